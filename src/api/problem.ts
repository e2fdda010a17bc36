// The one error hook: maps VigilError kinds and framework errors to RFC 9457 problem documents.

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isVigilError, type ErrorKind } from '../core/errors.js';
import type { Problem } from './schemas.js';

const KIND_STATUS: Record<ErrorKind, number> = {
  BadRequest: 400,
  Unauthenticated: 401,
  AccessDenied: 403,
  NotFound: 404,
  Conflict: 409,
  TooManyRequests: 429,
  Unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** `urn:vigil:problem:not-found` and so on: stable identifiers a client may switch on. */
export function problemType(status: number): string {
  const title = TITLES[status] ?? `status-${status}`;
  return `urn:vigil:problem:${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
}

export function problem(status: number, detail: string, extra: Partial<Problem> & Record<string, unknown> = {}): Problem & Record<string, unknown> {
  return { type: problemType(status), title: TITLES[status] ?? 'Error', status, detail, ...extra };
}

/** Sends a problem document, bypassing the route's response serializer. */
export function sendProblem(reply: FastifyReply, p: Problem & Record<string, unknown>): FastifyReply {
  if (p.status === 401) reply.header('www-authenticate', 'Bearer realm="vigil"');
  if (p.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return reply.code(p.status).type('application/problem+json; charset=utf-8').serializer((x: unknown) => JSON.stringify(x)).send(p);
}

/** Details of a VigilError that are safe and useful to a client (field names, flags), as problem extension members. */
function extensions(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) if (!['type', 'title', 'status', 'detail', 'instance'].includes(k)) out[k] = v;
  return out;
}

/** Seconds a client is asked to wait before retrying a 503. */
const RETRY_AFTER_SECONDS = 2;

/** SQLite busy or locked (another process holds the write lock past the busy timeout): nothing was changed. */
function isDatabaseBusy(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

function fromError(err: FastifyError | Error, req: FastifyRequest): Problem & Record<string, unknown> {
  if (isVigilError(err)) return problem(KIND_STATUS[err.kind], err.message, extensions(err.details));
  if (isDatabaseBusy(err)) {
    req.log.warn({ err }, 'database busy');
    return problem(503, 'The database is busy; try again in a moment.');
  }
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = (err as FastifyError).validationContext ?? 'request';
    const errors = err.validation.map((v) => ({ path: `${where}${v.instancePath.replace(/\//g, '.')}`, message: v.message ?? 'invalid' }));
    return problem(400, `invalid ${where}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const errors = fe.validation.map((v) => ({ path: v.instancePath || (fe.validationContext ?? 'request'), message: v.message ?? 'invalid' }));
    return problem(400, fe.message, { errors });
  }
  const status = fe.statusCode ?? 500;
  // Framework errors below 500 (malformed JSON, body too large, wrong media type, rate limit) carry messages safe to show.
  if (status >= 400 && status < 500) {
    const detail = status === 413 ? 'the request body is too large' : fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe instanceof SyntaxError ? 'the request body is not valid JSON' : fe.message;
    return problem(status, detail);
  }
  req.log.error({ err }, 'request failed');
  return problem(500, 'An unexpected error occurred; it has been logged.');
}

/**
 * Errors Fastify raises before routing (the `frameworkErrors` option): malformed percent-encoding in the path
 * (FST_ERR_BAD_URL) and over-long path parameters (414). Without this hook Fastify answers them with its own JSON.
 */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const detail =
    err.code === 'FST_ERR_BAD_URL' ? 'the URL is not valid (malformed percent-encoding)' : status === 414 ? 'a path parameter is too long' : 'the request could not be routed';
  void sendProblem(reply, problem(status, detail, { instance: req.url.split('?')[0] }));
}

/** Installs the error and not-found handlers on the root instance; `fallback` may answer an unknown route first (the console's index.html). */
export function installProblemHandlers(app: FastifyInstance, fallback?: (req: FastifyRequest, reply: FastifyReply) => boolean): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const p = fromError(err, req);
    if (p.status >= 500 && isVigilError(err)) req.log.warn({ err }, 'service unavailable');
    return sendProblem(reply, { ...p, instance: req.url.split('?')[0] });
  });
  app.setNotFoundHandler((req, reply) => {
    if (fallback?.(req, reply)) return;
    sendProblem(reply, problem(404, `no route ${req.method} ${req.url.split('?')[0]}`, { instance: req.url.split('?')[0] }));
  });
}
