// Session Logs: GET /sessions/{id}/logs (completed sessions; Logs permission or auditor of the session), with a search
// over what was typed and displayed (?q=) and a CSV export (?format=csv). Each opening is a *Log viewer* event.

import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sessionLogsCsv, sessionLogsJson, type SessionLogsView } from '../../core/session-logs.js';
import { actorOf, sessionGuard } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { idParams, logsQuerySchema, sessionLogsSchema, type SessionLogsResponse } from '../schemas.js';

/** The wire shape is core's plain JSON of the logs, checked against the schema here. */
export function toLogsResponse(v: SessionLogsView): SessionLogsResponse {
  return sessionLogsJson(v) satisfies SessionLogsResponse;
}

export const logRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/sessions/:id/logs',
    {
      preValidation: sessionGuard(ctx.access, 'logs'),
      schema: {
        tags: ['session logs'],
        summary: 'Session Logs: session and user info, commands, session events, file transfers; ?q= searches, ?format=csv exports',
        description:
          'Completed sessions only (409 while active). Needs PAM.SessionManagement.Logs or being an auditor of the session. Writes a Log viewer event. The search covers the reconstructed commands (never raw keystrokes, so no passwords) and every line the session displayed (read from the recording; from the search index once the recording was purged).',
        params: idParams,
        querystring: logsQuerySchema,
        response: { 200: sessionLogsSchema },
      },
    },
    async (req, reply) => {
      const view = await ctx.sessionLogs.logs.open(actorOf(req), req.params.id, { q: req.query.q });
      if (req.query.format === 'csv') {
        // Not the JSON schema's shape: sent as text, past the route's serializer.
        return (reply as unknown as FastifyReply)
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="session-${view.session.id}-logs.csv"`)
          .serializer((x: unknown) => x as string)
          .send(sessionLogsCsv(view));
      }
      return toLogsResponse(view);
    },
  );
};
