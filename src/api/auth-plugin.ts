// Request authentication (bearer token or session cookie), CSRF for cookie-authenticated changes, and permission gates.

import type { FastifyInstance, FastifyReply, FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { safeEqual, type AuthService, type ResolvedToken } from '../core/auth-service.js';
import { VigilError } from '../core/errors.js';
import { hasPermission, type Actor, type Permission, type SessionAction } from '../core/permissions.js';
import type { SessionAccess, SessionView } from '../core/session-access.js';

export const SESSION_COOKIE = 'vigil_session';
export const CSRF_HEADER = 'x-csrf-token';

/** How a route is authenticated: `required` (default), `none`, or `metrics` (a scrape token also works). */
export type RouteAuth = 'required' | 'none' | 'metrics';

/** The authenticated caller of a request. */
export interface RequestAuth extends ResolvedToken {
  token: string;
  via: 'bearer' | 'cookie';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** The caller needs at least one of these. */
    permission?: Permission | readonly Permission[];
    /** Open to a token that may only enrol TOTP (auth.requireTotp and the user has none): who am I, logout, enrolment. */
    beforeTotp?: boolean;
  }
  interface FastifyRequest {
    auth: RequestAuth | null;
    /** Set by {@link sessionGuard}: the session the request acts on, as the caller sees it. */
    sessionView: SessionView | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The caller; only for routes that require authentication. */
export function actorOf(req: FastifyRequest): Actor {
  if (!req.auth) throw new VigilError('Unauthenticated', 'authentication required');
  return req.auth.actor;
}

function bearer(req: FastifyRequest): string | null | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+([A-Za-z0-9_-]{1,256})\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/** A browser's WebSocket carries the cookie cross-site only if Origin is foreign; refuse that (cross-site WebSocket hijacking). */
function foreignOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

export interface AuthPluginOptions {
  auth: AuthService;
  /** A static bearer token Prometheus may use for GET /metrics. */
  metricsToken?: string;
}

/** Installs the onRequest hook that authenticates every route of the instance (routes opt out with `config.auth`). */
export function installAuth(app: FastifyInstance, o: AuthPluginOptions): void {
  app.decorateRequest('auth', null);
  app.decorateRequest('sessionView', null);
  app.addHook('onRequest', async (req, reply) => {
    const config = req.routeOptions.config;
    const mode = config.auth ?? 'required';
    if (mode === 'none') return;
    const fromHeader = bearer(req);
    if (mode === 'metrics' && o.metricsToken && fromHeader && safeEqual(fromHeader, o.metricsToken)) return;
    if (fromHeader === null) throw new VigilError('Unauthenticated', 'the Authorization header must be "Bearer <token>"');
    const cookie = req.cookies[SESSION_COOKIE];
    const token = fromHeader ?? cookie;
    if (!token) throw new VigilError('Unauthenticated', 'authentication required: log in first');
    const resolved = await o.auth.resolve(token);
    if (!resolved) {
      if (fromHeader === undefined) clearSessionCookie(reply);
      throw new VigilError('Unauthenticated', 'the session has expired or was revoked; log in again');
    }
    const via = fromHeader !== undefined ? 'bearer' : 'cookie';
    if (via === 'cookie') {
      const sent = req.headers[CSRF_HEADER];
      if (!SAFE_METHODS.has(req.method) && (typeof sent !== 'string' || !safeEqual(sent, resolved.csrf))) {
        throw VigilError.denied('missing or invalid CSRF token (send the X-CSRF-Token header)');
      }
      if (req.ws && foreignOrigin(req)) throw VigilError.denied('cross-origin WebSocket refused');
    }
    req.auth = { ...resolved, token, via };
    if (resolved.totpEnrolmentRequired && config.beforeTotp !== true) {
      throw new VigilError('AccessDenied', 'TOTP is required for every user: enrol first (POST /api/v1/me/totp, then /api/v1/me/totp/confirm)', { details: { totpEnrolmentRequired: true } });
    }
    const needed = config.permission;
    if (needed !== undefined) {
      const any = typeof needed === 'string' ? [needed] : needed;
      if (!any.some((p) => hasPermission(resolved.actor, p))) throw VigilError.denied();
    }
  });
}

export interface CookieOptions {
  secure: boolean;
  expires: Date;
}

export function setSessionCookie(reply: FastifyReply, token: string, o: CookieOptions): void {
  reply.setCookie(SESSION_COOKIE, token, { httpOnly: true, sameSite: 'strict', path: '/', secure: o.secure, expires: o.expires });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
}

/**
 * A preValidation hook authorising `action` on the session named by `:id` before the body is validated,
 * so a caller without the right learns nothing from validation messages. Ids that are not numbers are left to validation (400).
 */
export function sessionGuard(access: SessionAccess, action: SessionAction, extra?: (view: SessionView, req: FastifyRequest) => void): preValidationAsyncHookHandler {
  return async (req) => {
    const raw = (req.params as Record<string, unknown>).id;
    if (typeof raw !== 'string' || !/^[1-9]\d{0,15}$/.test(raw)) return;
    const view = await access.authorize(actorOf(req), action, Number(raw));
    extra?.(view, req);
    req.sessionView = view;
  };
}
