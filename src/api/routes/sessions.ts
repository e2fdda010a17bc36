// GET /sessions (Remote Sessions list), GET /sessions/{id}, and GET /sessions/events (Server-Sent Events of changes).

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Actor } from '../../core/permissions.js';
import { actorOf } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import type { FeedChange } from '../change-feed.js';
import { toSessionItem } from '../mappers.js';
import { idParams, sessionChangeSchema, sessionItemSchema, sessionListQuerySchema, sessionPageSchema, type SessionChange } from '../schemas.js';

const HEARTBEAT_MS = 15_000;

/** "2026-03-01" as a range end means the whole day. */
function rangeDate(value: string | undefined, end: boolean): Date | undefined {
  if (value === undefined) return undefined;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(`${value}T${end ? '23:59:59.999' : '00:00:00.000'}Z`);
  return new Date(value);
}

export const sessionRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const closers = new Set<() => void>();
  // Open event streams would keep the server from closing; end them first.
  app.addHook('preClose', async () => {
    for (const close of [...closers]) close();
  });

  app.get(
    '/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Remote Sessions: the sessions the caller may see, filtered, sorted and paged',
        description: 'Callers with PAM.SessionManagement.View see every session; others see only the sessions they audit (an empty page when they audit none). Each item lists the `actions` the caller may take on it.',
        querystring: sessionListQuerySchema,
        response: { 200: sessionPageSchema },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await ctx.access.list(actorOf(req), {
        id: q.id,
        sessionId: q.sessionId,
        user: q.user,
        credential: q.credential,
        device: q.device,
        originIp: q.originIp,
        protocol: q.protocol,
        status: q.status,
        startFrom: rangeDate(q.startFrom, false),
        startTo: rangeDate(q.startTo, true),
        preventPurge: q.preventPurge === undefined ? undefined : q.preventPurge === 'true',
        sort: q.sort,
        order: q.order,
        page: q.page,
        pageSize: q.pageSize,
      });
      const now = ctx.clock.now();
      return { ...page, items: page.items.map((v) => toSessionItem(v, now)) };
    },
  );

  app.get(
    '/sessions/events',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Server-Sent Events: sessions that start, change or end, as the caller sees them',
        description: 'Each event is `event: session` with `data:` a SessionChange JSON object. `removed` means the session is no longer visible to the caller (e.g. removed as auditor).',
        response: { 200: { description: 'An endless event stream', content: { 'text/event-stream': { schema: sessionChangeSchema } } } },
      },
    },
    async (req, reply) => {
      let actor: Actor = actorOf(req);
      // Like the list, open to every signed-in user: each event is filtered to what this caller may see.
      const token = req.auth!.token;
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
        connection: 'keep-alive',
      });
      raw.write('retry: 3000\n\n');
      let closed = false;
      // Changes are written one at a time, in the order they happened.
      let chain: Promise<void> = Promise.resolve();
      const enqueue = (job: () => Promise<void>) => {
        chain = chain.then(job).catch((err: unknown) => req.log.warn({ err }, 'session event stream write failed'));
      };
      const toMessage = async (c: FeedChange): Promise<SessionChange | null> => {
        const view = await ctx.access.view(actor, c.session);
        if (view) return { kind: c.kind, id: c.session.id, session: toSessionItem(view, ctx.clock.now()) };
        return c.revokedFor?.includes(actor.userId) ? { kind: 'removed', id: c.session.id, session: null } : null;
      };
      const off = ctx.feed.subscribe((c) =>
        enqueue(async () => {
          const msg = closed ? null : await toMessage(c);
          if (msg && !closed) raw.write(`event: session\ndata: ${JSON.stringify(msg)}\n\n`);
        }),
      );
      // The heartbeat also re-checks the token, so a logout, expiry or role change reaches open streams.
      const heartbeat = setInterval(
        () =>
          enqueue(async () => {
            const still = await ctx.auth.resolve(token);
            if (!still) return close();
            actor = still.actor;
            if (!closed) raw.write(': keep-alive\n\n');
          }),
        HEARTBEAT_MS,
      );
      heartbeat.unref();
      function close() {
        if (closed) return;
        closed = true;
        off();
        clearInterval(heartbeat);
        closers.delete(close);
        raw.end();
      }
      closers.add(close);
      req.raw.on('close', close);
    },
  );

  app.get(
    '/sessions/:id',
    {
      schema: { tags: ['sessions'], summary: 'One session as the caller sees it (404 unknown, 403 not visible)', params: idParams, response: { 200: sessionItemSchema } },
    },
    async (req) => toSessionItem(await ctx.access.get(actorOf(req), req.params.id), ctx.clock.now()),
  );
};
