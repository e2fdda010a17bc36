// Generate video for download: POST /sessions/{id}/video queues an MP4 render, GET shows its progress, GET …/video/file
// (or …/video?download=1) downloads it and writes a *Video Download* session event.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { VigilError } from '../../core/errors.js';
import type { SessionView } from '../../core/session-access.js';
import { actorOf, sessionGuard } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { idParams, videoJobSchema, videoQuerySchema, type VideoJob } from '../schemas.js';
import { recordingFile, sendDownload } from './recording.js';

export const videoRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { access, sessionVideo: video } = ctx;
  const guard = sessionGuard(access, 'video');
  const viewOf = async (req: FastifyRequest & { params: { id: number } }): Promise<SessionView> =>
    req.sessionView ?? access.authorize(actorOf(req), 'video', req.params.id);

  const download = async (req: FastifyRequest, reply: FastifyReply, view: SessionView): Promise<FastifyReply> => {
    const s = view.session;
    const file = await video.videos.file(s.sessionId);
    if (!file) {
      const job = await video.videos.status(s.sessionId);
      if (job && (job.state === 'queued' || job.state === 'running')) throw VigilError.conflict(`the video is not ready yet (${job.state}, ${job.percent}%)`);
      throw new VigilError('NotFound', 'no video has been generated for this session');
    }
    return sendDownload(req, reply, {
      path: file.path,
      size: file.size,
      contentType: 'video/mp4',
      filename: `session-${s.id}-${s.sessionId}.mp4`,
      etag: `"mp4-${s.sessionId}-${file.size}"`,
      onDownload: async () => {
        const actor = actorOf(req);
        await ctx.hub.event(s.id, actor.userId, actor.username, 'Video Download', 'video (.mp4)');
        await access.auditSession(actor, 'session.video.download', s);
      },
    });
  };

  app.post(
    '/sessions/:id/video',
    {
      preValidation: guard,
      schema: {
        tags: ['session video'],
        summary: 'Generate video for download: queue an MP4 (H.264) of the recording; 202 while it is made, 200 when it already exists',
        description: 'Renders run in the background, one at a time by default. Poll GET on the same path for progress.',
        params: idParams,
        response: { 200: videoJobSchema, 202: videoJobSchema },
      },
    },
    async (req, reply) => {
      const view = await viewOf(req);
      const s = view.session;
      const file = await recordingFile(s, video.recordings);
      // requestedBy goes into the job's file, so that a job resumed after a restart still says who asked.
      const job = await video.videos.start({ sessionId: s.sessionId, castPath: file.path, startedAt: s.startedAt, requestedBy: actorOf(req).username });
      if (job.state !== 'done') await access.auditSession(actorOf(req), 'session.video.generate', s);
      return reply.code(job.state === 'done' ? 200 : 202).send(job);
    },
  );

  app.get(
    '/sessions/:id/video',
    {
      preValidation: guard,
      schema: {
        tags: ['session video'],
        summary: 'The video job: state (queued, running, done, failed) and percent; with ?download=1 the MP4 itself',
        description: '404 when no video was requested for this session.',
        params: idParams,
        querystring: videoQuerySchema,
        response: { 200: videoJobSchema },
      },
    },
    async (req, reply): Promise<VideoJob> => {
      const view = await viewOf(req);
      // The download answers with the file; the response schema describes the JSON form only.
      if (req.query.download) return (await download(req, reply, view)) as unknown as VideoJob;
      const job = await video.videos.status(view.session.sessionId);
      if (!job) throw new VigilError('NotFound', 'no video has been generated for this session');
      return job;
    },
  );

  app.get(
    '/sessions/:id/video/file',
    {
      preValidation: guard,
      schema: {
        tags: ['session video'],
        summary: 'Download the generated MP4 (HTTP Range supported); writes a Video Download session event',
        description: '409 while the video is still being made, 404 when none was requested.',
        params: idParams,
      },
    },
    async (req, reply) => download(req, reply, await viewOf(req)),
  );
};
