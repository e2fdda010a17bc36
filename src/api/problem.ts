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
  415: 'Unsupported Media Type',
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
  return reply.code(p.status).type('application/problem+json; charset=utf-8').serializer((x: unknown) => JSON.stringify(x)).send(p);
}

/** Details of a VigilError that are safe and useful to a client (field names, flags), as problem extension members. */
function extensions(details: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!details) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) if (!['type', 'title', 'status', 'detail', 'instance'].includes(k)) out[k] = v;
  return out;
}

function fromError(err: FastifyError | Error, req: FastifyRequest): Problem & Record<string, unknown> {
  if (isVigilError(err)) return problem(KIND_STATUS[err.kind], err.message, extensions(err.details));
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
