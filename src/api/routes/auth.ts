// POST /auth/login, POST /auth/logout, GET /auth/me: tokens for scripts, an HttpOnly cookie for the browser.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf, clearSessionCookie, setSessionCookie } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { toCurrentUser } from '../mappers.js';
import { loginRequestSchema, loginResponseSchema, meResponseSchema, okSchema } from '../schemas.js';

export const authRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const limit = ctx.options.loginRateLimit ?? { max: 10, timeWindowMs: 60_000 };

  app.post(
    '/auth/login',
    {
      config: { auth: 'none', rateLimit: { max: limit.max, timeWindow: limit.timeWindowMs } },
      schema: {
        tags: ['auth'],
        summary: 'Log in with username, password and (when enrolled) a TOTP code',
        description:
          'Returns a bearer token and sets the HttpOnly, SameSite=Strict `vigil_session` cookie. Repeated failures (passwords or codes) lock the account for 15 minutes; attempts are rate-limited per client address. When auth.requireTotp is on and the user has no TOTP, the token may only enrol (`totpEnrolmentRequired`).',
        security: [],
        body: loginRequestSchema,
        response: { 200: loginResponseSchema },
      },
    },
    async (req, reply) => {
      const { username, password, totp } = req.body;
      let result;
      try {
        result = await ctx.auth.login(username, password, totp);
      } catch (err) {
        req.log.warn({ username: username.slice(0, 64), ip: req.ip }, 'console login refused');
        throw err;
      }
      setSessionCookie(reply, result.token, { secure: ctx.options.secureCookies === true || req.protocol === 'https', expires: result.expiresAt });
      await ctx.audit.append({ at: ctx.clock.now(), actor: result.actor.username, action: 'auth.login', target: result.actor.username, details: JSON.stringify({ ip: req.ip, ...(result.totpEnrolmentRequired ? { totpEnrolmentRequired: true } : {}) }) });
      reply.header('cache-control', 'no-store');
      return { token: result.token, csrfToken: result.csrfToken, expiresAt: result.expiresAt.toISOString(), user: toCurrentUser(result.actor), totpEnrolmentRequired: result.totpEnrolmentRequired };
    },
  );

  app.post(
    '/auth/logout',
    { config: { beforeTotp: true }, schema: { tags: ['auth'], summary: 'Revoke the current token and clear the cookie', response: { 200: okSchema } } },
    async (req, reply) => {
      await ctx.auth.logout(req.auth!.token);
      clearSessionCookie(reply);
      return { ok: true as const };
    },
  );

  app.get(
    '/auth/me',
    { config: { beforeTotp: true }, schema: { tags: ['auth'], summary: 'Who the token or cookie belongs to, with the CSRF token to send on changes', response: { 200: meResponseSchema } } },
    async (req, reply) => {
      const actor = actorOf(req);
      reply.header('cache-control', 'no-store');
      return { user: toCurrentUser(actor), csrfToken: req.auth!.csrf, expiresAt: req.auth!.expiresAt.toISOString(), totpEnrolmentRequired: req.auth!.totpEnrolmentRequired };
    },
  );
};
