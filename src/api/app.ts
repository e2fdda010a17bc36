// The HTTP API: builds the Fastify app (validation, problems, security headers, OpenAPI, routes) and starts it.

import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { VigilError } from '../core/errors.js';
import { installAuth } from './auth-plugin.js';
import { ChangeFeed } from './change-feed.js';
import type { ApiDeps, ApiOptions, RouteContext } from './context.js';
import { liveRoute } from './live-route.js';
import { installMetrics } from './metrics.js';
import { frameworkErrorHandler, installProblemHandlers } from './problem.js';
import { authRoutes } from './routes/auth.js';
import { blockRoutes } from './routes/blocks.js';
import { sessionActionRoutes } from './routes/session-actions.js';
import { sessionRoutes } from './routes/sessions.js';
import { systemRoutes } from './routes/system.js';
import { userRoutes } from './routes/users.js';
import { vaultRoutes } from './routes/vault.js';
import { recordingRoutes } from './routes/recording.js';
import { videoRoutes } from './routes/video.js';
import { auditSessionRoutes } from './routes/audit-sessions.js';
import { logRoutes } from './routes/logs.js';
import { ruleRoutes } from './routes/rules.js';
import { searchRoutes } from './routes/search.js';
import { totpRoutes } from './routes/totp.js';

export type { ApiDeps, ApiHub, ApiOptions } from './context.js';
export type { LiveViewer, LiveViewerSource, ViewerMessage } from './live-source.js';

const CSP = {
  defaultSrc: ["'self'"],
  connectSrc: ["'self'", 'ws:', 'wss:'],
  scriptSrc: ["'self'"],
  // xterm.js and React set inline styles.
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  mediaSrc: ["'self'", 'blob:'],
  fontSrc: ["'self'", 'data:'],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  // The console is often reached over plain HTTP on loopback; upgrading would break it.
  upgradeInsecureRequests: null,
};

export async function buildApi(deps: ApiDeps, options: ApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
    frameworkErrors: frameworkErrorHandler,
  });
  // A JSON API: text/plain bodies (which a cross-site form or fetch may send without a CORS preflight) are refused with 415.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installProblemHandlers(app, options.webRoot ? consoleFallback : undefined);

  await app.register(fastifyCookie);
  await app.register(fastifyHelmet, { contentSecurityPolicy: { useDefaults: false, directives: CSP }, crossOriginEmbedderPolicy: false });
  await app.register(fastifyRateLimit, {
    global: false,
    errorResponseBuilder: (_req, ctx) => new VigilError('TooManyRequests', `too many attempts; retry in ${ctx.after}`),
  });
  await app.register(fastifyWebsocket, { options: { maxPayload: 4096 } });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Vigil API', version: '1', description: 'Remote Sessions, live control and administration of the Vigil PAM gateway. Errors are RFC 9457 problem documents.' },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          cookie: { type: 'apiKey', in: 'cookie', name: 'vigil_session' },
        },
      },
      security: [{ bearer: [] }, { cookie: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  const registry = installMetrics(app, deps.hub);
  const ctx: RouteContext = { ...deps, feed: new ChangeFeed(deps.hub), options };

  await app.register(
    async (api) => {
      installAuth(api, { auth: deps.auth, metricsToken: options.metricsToken });
      await api.register(authRoutes, ctx);
      await api.register(sessionRoutes, ctx);
      await api.register(sessionActionRoutes, ctx);
      await api.register(liveRoute, ctx);
      await api.register(blockRoutes, ctx);
      await api.register(userRoutes, ctx);
      await api.register(totpRoutes, ctx);
      await api.register(vaultRoutes, ctx);
      await api.register(recordingRoutes, ctx);
      await api.register(videoRoutes, ctx);
      await api.register(logRoutes, ctx);
      await api.register(searchRoutes, ctx);
      await api.register(ruleRoutes, ctx);
      await api.register(auditSessionRoutes, ctx);
      await api.register(systemRoutes, { ...ctx, registry });
      api.get('/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: '/api/v1' },
  );
  if (options.webRoot) await serveConsole(app, options.webRoot);
  return app;
}

/** Serves the built console at `/`. */
async function serveConsole(app: FastifyInstance, root: string): Promise<void> {
  const dir = path.resolve(root);
  if (!fs.existsSync(path.join(dir, 'index.html'))) throw new Error(`web console not found in ${dir} (index.html missing)`);
  await app.register(fastifyStatic, { root: dir, wildcard: false, index: ['index.html'] });
}

/** Unknown non-API GETs that accept HTML get index.html, so the console's client-side routes survive a reload. */
function consoleFallback(req: FastifyRequest, reply: FastifyReply): boolean {
  const accept = req.headers.accept ?? '';
  if (req.method !== 'GET' || req.url.startsWith('/api/') || !accept.includes('text/html')) return false;
  void reply.sendFile('index.html');
  return true;
}

/** A listening API. */
export interface RunningApi {
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Builds the API and listens on host:port (port 0 picks a free one). */
export async function startApi(deps: ApiDeps, listen: { host: string; port: number } & ApiOptions): Promise<RunningApi> {
  const { host, port, ...options } = listen;
  const app = await buildApi(deps, options);
  await app.listen({ host, port });
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? { host: addr.address, port: addr.port } : { host, port };
  return { address: bound, close: () => app.close() };
}
