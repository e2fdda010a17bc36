// GET /sessions/{id}/live: the Live Stream WebSocket. Authorised before the upgrade; silent to the user; logged.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { WebSocket } from 'ws';
import { VigilError } from '../core/errors.js';
import { actorOf, sessionGuard } from './auth-plugin.js';
import type { RouteContext } from './context.js';
import { problem, sendProblem } from './problem.js';
import { idParams } from './schemas.js';

/** Beyond this many unsent bytes a viewer is "slow": messages are refused so the user and other viewers never wait. */
const MAX_BUFFERED = 1024 * 1024;
const AUTH_RECHECK_MS = 15_000;

export const liveRoute: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.route({
    method: 'GET',
    url: '/sessions/:id/live',
    preValidation: sessionGuard(ctx.access, 'livestream', (view) => {
      if (!ctx.liveSource(view.session.id)) throw VigilError.unavailable('the live view of this session is not available');
    }),
    schema: {
      tags: ['session actions'],
      summary: 'Live Stream (WebSocket): the exact current screen, then live output, as JSON text frames',
      description:
        'Upgrade to a WebSocket. Messages: `snapshot` {cols, rows, data, seq} (write `data` into a fresh terminal), `output` {data, seq}, `resize` {cols, rows}, `end` {status}. A slow viewer is resynchronised with a new snapshot. Refusals (403/404/409/503) are answered as problem documents before the upgrade. Watching is silent to the user and writes a Live Stream session event.',
      params: idParams,
    },
    handler: async (_req, reply) => sendProblem(reply, problem(426, 'connect with a WebSocket (Upgrade: websocket)')),
    wsHandler: async (socket: WebSocket, req) => {
      const actor = actorOf(req);
      const view = req.sessionView ?? (await ctx.access.authorize(actor, 'livestream', req.params.id));
      const source = ctx.liveSource(view.session.id);
      if (!source) return socket.close(1011, 'live view not available');
      await ctx.hub.event(view.session.id, actor.userId, actor.username, 'Live Stream', '');
      await ctx.access.auditSession(actor, 'session.livestream', view.session);
      let unsubscribe: (() => void) | null = null;
      const token = req.auth!.token;
      const recheck = setInterval(() => {
        void ctx.auth.resolve(token).then((still) => {
          if (!still) socket.close(4401, 'authentication expired');
        });
      }, AUTH_RECHECK_MS);
      recheck.unref();
      socket.on('close', () => {
        clearInterval(recheck);
        unsubscribe?.();
      });
      // Viewers are read-only; anything they send is ignored.
      socket.on('message', () => undefined);
      unsubscribe = source.subscribe({
        send(msg) {
          if (socket.readyState !== socket.OPEN) return false;
          if (msg.type !== 'end' && socket.bufferedAmount > MAX_BUFFERED) return false;
          socket.send(JSON.stringify(msg));
          if (msg.type === 'end') socket.close(1000, 'session ended');
          return true;
        },
      });
      if (socket.readyState !== socket.OPEN) unsubscribe();
    },
  });
};
