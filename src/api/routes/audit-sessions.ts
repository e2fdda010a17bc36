// Audit > Sessions for audit: the sessions where I am an auditor (Audited? yes/no), Comment session (≤ 500
// characters), Audit (mark audited), and Session audit (the auditors and their comments).

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { SessionComment } from '../../core/audit-sessions.js';
import { actorOf } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { toSessionItem } from '../mappers.js';
import { auditSessionItemSchema, auditSessionPageSchema, auditSessionsQuerySchema, commentRequestSchema, idParams, sessionAuditSchema, sessionCommentSchema } from '../schemas.js';

function toComment(c: SessionComment) {
  return { id: c.id, userId: c.userId, user: c.username, at: c.at.toISOString(), text: c.text };
}

export const auditSessionRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const audits = ctx.sessionLogs.audits;
  const tags = ['sessions for audit'];

  /** A session as the caller sees it in the list, with whether they audited it. */
  const item = async (req: Parameters<typeof actorOf>[0], s: { session: import('../../core/types.js').SessionRecord; audited: boolean; auditedAt: Date | null }) => {
    const view = await ctx.access.get(actorOf(req), s.session.id);
    return { ...toSessionItem(view, ctx.clock.now()), audited: s.audited, auditedAt: s.auditedAt?.toISOString() ?? null };
  };

  app.get(
    '/audit/sessions',
    { schema: { tags, summary: 'Sessions for audit: the sessions where you are an auditor, newest first, with Audited? yes/no', querystring: auditSessionsQuerySchema, response: { 200: auditSessionPageSchema } } },
    async (req) => {
      const page = await audits.list(actorOf(req), req.query.page, req.query.pageSize);
      return { ...page, items: await Promise.all(page.items.map((i) => item(req, i))) };
    },
  );

  app.get(
    '/audit/sessions/:id',
    { schema: { tags, summary: 'Session audit: the auditors of a session, whether each audited it, and the comments (auditors of the session; Auditors or Logs permission)', params: idParams, response: { 200: sessionAuditSchema } } },
    async (req) => {
      const actor = actorOf(req);
      const d = await audits.detail(actor, req.params.id);
      const view = await ctx.access.view(actor, d.session);
      return {
        session: view ? toSessionItem(view, ctx.clock.now()) : null,
        auditors: d.auditors.map((a) => ({ id: a.id, username: a.username, audited: a.audited, auditedAt: a.auditedAt?.toISOString() ?? null })),
        comments: [...d.auditors.flatMap((a) => a.comments.map((c) => ({ ...c, sessionId: d.session.id, userId: a.id, username: a.username }))), ...d.otherComments]
          .sort((x, y) => x.id - y.id)
          .map(toComment),
      };
    },
  );

  app.post(
    '/audit/sessions/:id/comments',
    { schema: { tags, summary: 'Comment session (auditors of the session; at most 500 characters): a Comment session event', params: idParams, body: commentRequestSchema, response: { 201: sessionCommentSchema } } },
    async (req, reply) => {
      const c = await audits.comment(actorOf(req), req.params.id, req.body.text ?? req.body.comment);
      return reply.code(201).send(toComment(c));
    },
  );

  app.post(
    '/audit/sessions/:id/audited',
    { schema: { tags, summary: 'Audit: mark the session audited by you (an Audited session event); 409 when already', params: idParams, response: { 200: auditSessionItemSchema } } },
    async (req) => item(req, await audits.markAudited(actorOf(req), req.params.id)),
  );
};
