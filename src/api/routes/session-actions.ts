// Actions on one session: drop, block (Hold on!), unblock, Prevent Purge, Configure Auditors. Each is a session event and an audit entry.

import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { SessionAction } from '../../core/permissions.js';
import type { SessionView } from '../../core/session-access.js';
import { actorOf, sessionGuard } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { toSessionItem } from '../mappers.js';
import { auditorsRequestSchema, auditorsResponseSchema, dropRequestSchema, idParams, justificationSchema, sessionItemSchema } from '../schemas.js';

export const sessionActionRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { access, hub, feed } = ctx;
  /** The session the guard authorised, or authorise now (ids the guard left to validation). */
  const guarded = async (req: FastifyRequest & { params: { id: number } }, action: SessionAction): Promise<SessionView> =>
    req.sessionView ?? access.authorize(actorOf(req), action, req.params.id);
  const item = async (req: FastifyRequest, id: number) => toSessionItem(await access.get(actorOf(req), id), ctx.clock.now());
  const by = (req: FastifyRequest) => ({ userId: actorOf(req).userId, username: actorOf(req).username });

  app.post(
    '/sessions/:id/drop',
    {
      preValidation: sessionGuard(access, 'drop'),
      schema: {
        tags: ['session actions'],
        summary: 'Drop Session: the user sees "You have been disconnected" and the session ends as dropped (409 when not active)',
        params: idParams,
        body: dropRequestSchema,
        response: { 200: sessionItemSchema },
      },
    },
    async (req) => {
      const view = await guarded(req, 'drop');
      const reason = req.body?.reason || undefined;
      // Subscribe before dropping so the end cannot be missed; answer once it is stored (or after the wait).
      const ended = feed.waitForEnd(view.session.id, ctx.options.dropWaitMs ?? 5000);
      try {
        await hub.drop(view.session.id, by(req), reason);
      } catch (err) {
        ended.cancel();
        throw err;
      }
      await access.auditSession(actorOf(req), 'session.drop', view.session, reason ? { reason } : {});
      await ended.promise;
      return item(req, view.session.id);
    },
  );

  app.post(
    '/sessions/:id/block',
    {
      preValidation: sessionGuard(access, 'block'),
      schema: {
        tags: ['session actions'],
        summary: 'Hold on!: discard the user\'s input ("Session interaction revoked") and prevent new sessions until released',
        params: idParams,
        response: { 200: sessionItemSchema },
      },
    },
    async (req) => {
      const view = await guarded(req, 'block');
      await hub.block(view.session.id, by(req));
      await access.auditSession(actorOf(req), 'session.block', view.session);
      return item(req, view.session.id);
    },
  );

  app.post(
    '/sessions/:id/unblock',
    {
      preValidation: sessionGuard(access, 'block'),
      schema: {
        tags: ['session actions'],
        summary: 'Release: the user sees "Interactivity restored. User may interact with the session!"',
        params: idParams,
        response: { 200: sessionItemSchema },
      },
    },
    async (req) => {
      const view = await guarded(req, 'block');
      await hub.unblock(view.session.id, by(req));
      await access.auditSession(actorOf(req), 'session.unblock', view.session);
      return item(req, view.session.id);
    },
  );

  for (const method of ['POST', 'DELETE'] as const) {
    const protect = method === 'POST';
    app.route({
      method,
      url: '/sessions/:id/prevent-purge',
      preValidation: sessionGuard(access, 'preventPurge'),
      schema: {
        tags: ['session actions'],
        summary: protect ? 'Prevent Purge: protect the recording from purge, with a justification' : 'Allow purge again, with a justification',
        params: idParams,
        body: justificationSchema,
        response: { 200: sessionItemSchema },
      },
      handler: async (req) => {
        const actor = actorOf(req);
        const view = protect
          ? await access.preventPurge(actor, req.params.id, req.body.justification)
          : await access.allowPurge(actor, req.params.id, req.body.justification);
        feed.publish({ kind: 'updated', session: view.session });
        return toSessionItem(view, ctx.clock.now());
      },
    });
  }

  app.get(
    '/sessions/:id/auditors',
    {
      preValidation: sessionGuard(access, 'auditors'),
      schema: { tags: ['session actions'], summary: 'Session Auditors Configuration: the auditors of a session', params: idParams, response: { 200: auditorsResponseSchema } },
    },
    async (req) => ({ auditors: await access.getAuditors(actorOf(req), req.params.id) }),
  );

  app.put(
    '/sessions/:id/auditors',
    {
      preValidation: sessionGuard(access, 'auditors'),
      schema: {
        tags: ['session actions'],
        summary: 'Save the auditors of a session (the full list of user ids)',
        params: idParams,
        body: auditorsRequestSchema,
        response: { 200: auditorsResponseSchema },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const before = (await access.getAuditors(actor, req.params.id)).map((a) => a.id);
      const auditors = await access.setAuditors(actor, req.params.id, req.body.userIds);
      const removed = before.filter((uid) => !auditors.some((a) => a.id === uid));
      const session = (await access.get(actor, req.params.id)).session;
      feed.publish({ kind: 'updated', session, revokedFor: removed });
      return { auditors };
    },
  );
};
