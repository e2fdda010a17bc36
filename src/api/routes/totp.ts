// TOTP enrolment of the caller (GET/POST/DELETE /me/totp, POST /me/totp/confirm) and an administrator's reset of another
// user's TOTP (DELETE /users/{id}/totp). The secret leaves the server once, in the answer that starts an enrolment.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { VigilError } from '../../core/errors.js';
import { actorOf, clearSessionCookie } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { toUser } from '../mappers.js';
import { idParams, okSchema, totpCodeRequestSchema, totpConfirmResponseSchema, totpStartSchema, totpStatusSchema, userSchema } from '../schemas.js';

export const totpRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { totp } = ctx;
  const tags = ['totp'];
  const required = () => ctx.settings.get<boolean>('auth.requireTotp', false);

  app.get(
    '/me/totp',
    { config: { beforeTotp: true }, schema: { tags, summary: 'Whether you have TOTP, an enrolment pending, and whether everyone must', response: { 200: totpStatusSchema } } },
    async (req) => {
      const actor = actorOf(req);
      const user = await ctx.users.get(actor.userId);
      if (!user) throw VigilError.notFound('user');
      return { enrolled: user.totpEnrolled, pending: totp.isPending(user.id), required: await required() };
    },
  );

  app.post(
    '/me/totp',
    {
      config: { beforeTotp: true },
      schema: {
        tags,
        summary: 'Start TOTP enrolment: a new secret and its otpauth:// URI, shown once; TOTP is enabled only when a code confirms it',
        description: 'Starting again replaces a pending enrolment. 409 when TOTP is already enabled.',
        response: { 200: totpStartSchema },
      },
    },
    async (req, reply) => {
      const started = await totp.start(actorOf(req).userId);
      reply.header('cache-control', 'no-store');
      return { secret: started.secret, uri: started.uri, expiresAt: started.expiresAt.toISOString() };
    },
  );

  app.post(
    '/me/totp/confirm',
    {
      config: { beforeTotp: true },
      schema: {
        tags,
        summary: 'Confirm the pending enrolment with a current code; from then on logins need a code',
        description: 'A wrong code is 400 and counts towards the account lock (429 while locked). A token that could only enrol is revoked: log in again with a code.',
        body: totpCodeRequestSchema,
        response: { 200: totpConfirmResponseSchema },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      await totp.confirm(actor.userId, req.body.code, actor.username);
      const auth = req.auth!;
      // A token issued without a second factor must not become a full one by enrolling.
      const reauthenticate = auth.totpEnrolmentRequired;
      if (reauthenticate) {
        await ctx.auth.logout(auth.token);
        if (auth.via === 'cookie') clearSessionCookie(reply);
      }
      return { enrolled: true as const, reauthenticate };
    },
  );

  app.delete(
    '/me/totp',
    {
      schema: {
        tags,
        summary: 'Disable your TOTP with a current code',
        description: 'A wrong code is 400 and counts towards the account lock (429 while locked).',
        body: totpCodeRequestSchema,
        response: { 200: okSchema },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      await totp.disable(actor.userId, req.body.code, actor.username);
      return { ok: true as const };
    },
  );

  app.delete(
    '/users/:id/totp',
    {
      config: { permission: 'System.Users.Manage' },
      schema: {
        tags: ['users', ...tags],
        summary: "Reset another user's TOTP (lost authenticator): removes it and any pending enrolment; audited",
        description: '409 when the user has none, and for yourself (disable your own with a code).',
        params: idParams,
        response: { 200: userSchema },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const user = await totp.reset(req.params.id, { userId: actor.userId, username: actor.username });
      const summary = (await ctx.userAdmin.listUsers()).find((u) => u.id === user.id);
      if (!summary) throw VigilError.notFound('user');
      return toUser(summary);
    },
  );
};
