// GET /search?q=: sessions whose typed or displayed text contains q, with the matching lines and their times,
// among the sessions the caller may see (View: all; otherwise the ones they audit).

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { actorOf } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { toSessionItem } from '../mappers.js';
import { searchQuerySchema, searchResponseSchema } from '../schemas.js';

export const searchRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/search',
    {
      schema: {
        tags: ['session logs'],
        summary: 'Search across sessions: text typed (commands) or displayed (output lines), newest sessions first',
        description:
          'Matches are case-insensitive substrings that start at a word (the last word may be a prefix). Up to 100 sessions and 10 lines each, newest first; `truncated` when more may have matched. Displayed lines are indexed while sessions run by a worker thread that reads their recordings (a few seconds behind; at most 32 MiB of distinct text a session); the Session Logs search of one session reads its whole recording.',
        querystring: searchQuerySchema,
        response: { 200: searchResponseSchema },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const r = await ctx.sessionLogs.logs.searchAll(actor, req.query.q);
      const now = ctx.clock.now();
      const sessions = [];
      for (const s of r.sessions) {
        const view = await ctx.access.view(actor, s.session);
        if (!view) continue;
        sessions.push({ session: toSessionItem(view, now), matches: s.matches.map((m) => ({ at: m.at.toISOString(), offset: m.offset, kind: m.kind, text: m.text })) });
      }
      return { q: r.q, sessions, truncated: r.truncated };
    },
  );
};
