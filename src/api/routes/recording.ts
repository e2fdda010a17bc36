// Session Video reads: GET /sessions/{id}/recording (the raw asciicast, with Range and its stored SHA-256) and the player's
// GET /sessions/{id}/player (timeline, markers) and GET /sessions/{id}/player/chunk (a keyframe and the events after it).
//
// Audit decisions: opening the player (GET …/player) writes *Session Play*; downloading the raw
// recording writes *Video Download* (note "recording (.cast)"), as the MP4 download does — both
// hand the session's screen to the caller. Range requests that do not start at byte 0 (a resumed
// download, a media player seeking) are not logged again. Chunks are not logged.

import { createReadStream } from 'node:fs';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { VigilError } from '../../core/errors.js';
import type { SessionView } from '../../core/session-access.js';
import type { SessionRecord } from '../../core/types.js';
import { actorOf, sessionGuard } from '../auth-plugin.js';
import type { RouteContext, SessionVideoDeps } from '../context.js';
import { problem, sendProblem } from '../problem.js';
import { idParams, playerChunkQuerySchema, playerChunkSchema, playerInfoSchema, type PlayerChunk, type PlayerInfo } from '../schemas.js';

/** How long opening the player waits for a recording without keyframes to be indexed before answering 503. */
const INDEX_WAIT_MS = 15_000;

/** The recording of a session (its path, uncompressed size, last change), or 404 saying why there is none. */
export async function recordingFile(s: SessionRecord, recordings: SessionVideoDeps['recordings']): Promise<{ path: string; size: number; mtimeMs: number }> {
  if (s.purgedAt) throw new VigilError('NotFound', 'the recording of this session was purged');
  if (!s.recordingPath) throw new VigilError('NotFound', 'this session has no recording');
  const st = recordings.stat(s.recordingPath);
  if (!st) throw new VigilError('NotFound', 'the recording file of this session is missing');
  return { path: s.recordingPath, size: st.size, mtimeMs: st.mtimeMs };
}

export interface FileDownload {
  path: string;
  size: number;
  contentType: string;
  filename: string;
  etag: string;
  /** Hex SHA-256 of the whole file, sent as Digest, Repr-Digest and X-Vigil-SHA256. */
  sha256?: string | null;
  /** Called before the body is sent when the response starts at byte 0 (a new download). */
  onDownload: () => Promise<void>;
  /** Reads bytes [start, end] of the content; default: the file at `path` as it is on disk. */
  open?: (start: number, end: number) => NodeJS.ReadableStream;
}

/** Sends a file as an attachment with single-range support (206/416) and conditional GET (304). */
export async function sendDownload(req: FastifyRequest, reply: FastifyReply, f: FileDownload): Promise<FastifyReply> {
  reply.header('accept-ranges', 'bytes').header('etag', f.etag).header('cache-control', 'private, no-cache');
  reply.header('content-disposition', `attachment; filename="${f.filename}"`);
  if (f.sha256) {
    const b64 = Buffer.from(f.sha256, 'hex').toString('base64');
    reply.header('x-vigil-sha256', f.sha256).header('digest', `sha-256=${b64}`).header('repr-digest', `sha-256=:${b64}:`);
  }
  if (req.headers['if-none-match'] === f.etag) return reply.code(304).send();
  const ifRange = req.headers['if-range'];
  const range = parseRange(req.headers.range, f.size, typeof ifRange === 'string' ? ifRange : undefined, f.etag);
  if (range === 'unsatisfiable') {
    reply.removeHeader('content-disposition');
    return sendProblem(reply.header('content-range', `bytes */${f.size}`), problem(416, `the range is outside the ${f.size} bytes of the file`));
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? f.size - 1;
  // HEAD (Fastify answers it with the GET handler) reads no content: not a download.
  if (start === 0 && req.method !== 'HEAD') await f.onDownload();
  reply.type(f.contentType).header('content-length', String(Math.max(0, end - start + 1)));
  if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${f.size}`);
  if (f.size === 0) return reply.send('');
  return reply.send(f.open ? f.open(start, end) : createReadStream(f.path, { start, end }));
}

/** One `bytes=` range (multiple ranges are answered with the whole file), null for none. */
function parseRange(header: string | undefined, size: number, ifRange: string | undefined, etag: string): { start: number; end: number } | null | 'unsatisfiable' {
  if (!header || (ifRange !== undefined && ifRange !== etag)) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number, end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

function withDeadline<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(VigilError.unavailable(message)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

export const recordingRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { access, sessionVideo: video } = ctx;
  const guard = sessionGuard(access, 'video');
  const viewOf = async (req: FastifyRequest & { params: { id: number } }): Promise<SessionView> =>
    req.sessionView ?? access.authorize(actorOf(req), 'video', req.params.id);

  app.get(
    '/sessions/:id/recording',
    {
      preValidation: guard,
      schema: {
        tags: ['session video'],
        summary: 'Download the raw recording (asciicast v2), with HTTP Range; X-Vigil-SHA256/Digest carry the SHA-256 stored when the session closed',
        description: 'Completed sessions only; needs PAM.SessionManagement.Recording and a viewing role. A download from byte 0 writes a *Video Download* session event.',
        params: idParams,
      },
    },
    async (req, reply) => {
      const view = await viewOf(req);
      const s = view.session;
      const file = await recordingFile(s, video.recordings);
      return sendDownload(req, reply, {
        path: file.path,
        size: file.size,
        contentType: 'application/x-asciicast',
        filename: `session-${s.id}-${s.sessionId}.cast`,
        etag: s.recordingSha256 ? `"${s.recordingSha256}"` : `"${file.size}-${Math.floor(file.mtimeMs)}"`,
        sha256: s.recordingSha256,
        // A recording compressed after close is sent decompressed: the exact asciicast, which the stored SHA-256 verifies.
        open: (start, end) => video.recordings.stream(file.path, { start, end }),
        onDownload: async () => {
          const actor = actorOf(req);
          await ctx.hub.event(s.id, actor.userId, actor.username, 'Video Download', 'recording (.cast)');
          await access.auditSession(actor, 'session.recording.download', s);
        },
      });
    },
  );

  app.get(
    '/sessions/:id/player',
    {
      preValidation: guard,
      schema: {
        tags: ['session video'],
        summary: 'Session Video > View: duration, size, idle periods and markers of a recording; writes a Session Play event',
        description: 'A recording without keyframes is indexed first; if that takes longer than 15 s the answer is 503 and indexing goes on.',
        params: idParams,
        response: { 200: playerInfoSchema },
      },
    },
    async (req): Promise<PlayerInfo> => {
      const view = await viewOf(req);
      const s = view.session;
      const file = await recordingFile(s, video.recordings);
      const timeline = await withDeadline(video.player.timeline(file.path), INDEX_WAIT_MS, 'the recording is being prepared for playback; try again in a moment');
      const at = (d: Date) => (d.getTime() - s.startedAt.getTime()) / 1000;
      const inside = (t: number) => t >= 0 && t <= timeline.duration;
      const events = (await video.events.forSession(s.id)).map((e) => ({ time: at(e.at), kind: 'event' as const, label: `${e.event}: ${e.user}${e.note ? ` (${e.note})` : ''}` }));
      const commands = ((await video.commands?.forSession(s.id)) ?? []).map((c) => ({ time: c.offset, kind: 'command' as const, label: c.command }));
      const markers = [...commands, ...events].filter((m) => inside(m.time)).sort((a, b) => a.time - b.time);
      const actor = actorOf(req);
      if (req.method === 'GET') {
        await ctx.hub.event(s.id, actor.userId, actor.username, 'Session Play', '');
        await access.auditSession(actor, 'session.play', s);
      }
      return { ...timeline, size: s.recordingSize ?? file.size, markers };
    },
  );

  app.get(
    '/sessions/:id/player/chunk',
    {
      preValidation: guard,
      schema: {
        tags: ['session video'],
        summary: 'One bounded piece of a recording for the player: seek with t (keyframe + events) or continue with after',
        description: 'At most ~30 s or ~512 KiB of events after the requested time, plus those between the keyframe and t (keyframes are at most 10 s / 256 KiB apart). Continue with `after=next` until `done`.',
        params: idParams,
        querystring: playerChunkQuerySchema,
        response: { 200: playerChunkSchema },
      },
    },
    async (req, reply) => {
      const view = await viewOf(req);
      const file = await recordingFile(view.session, video.recordings);
      const q = req.query;
      const query = q.after !== undefined ? { after: q.after } : { at: q.t ?? q.at ?? 0 };
      const json = await withDeadline(video.player.chunkJson(file.path, query), INDEX_WAIT_MS, 'the recording is being prepared for playback; try again in a moment');
      // Already JSON (a PlayerChunk): sent as bytes, without re-validating and re-encoding up to a few hundred KiB.
      // Fastify does not serialize Buffers; the cast only quiets the typed reply.
      return reply.type('application/json; charset=utf-8').send(json as unknown as PlayerChunk);
    },
  );
};
