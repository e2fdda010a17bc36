// The HTTP API: builds the Fastify app (validation, problems, security headers, OpenAPI, routes) and starts it.

import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifyWebsocket from '@fastify/websocket';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AuthService } from '../core/auth-service.js';
import type { Clock } from '../core/clock.js';
import { VigilError } from '../core/errors.js';
import type { AuditRepo, BlockRepo, CredentialRepo, DeviceRepo, GrantRepo, SettingsRepo, UserRepo } from '../core/ports.js';
import type { SessionAccess } from '../core/session-access.js';
import type { UserAdmin } from '../core/user-admin.js';
import type { VaultAdmin } from '../core/vault-admin.js';
import type { SessionHub } from '../hub/session-hub.js';
import { installAuth } from './auth-plugin.js';
import { ChangeFeed } from './change-feed.js';
import type { LiveViewerSource } from './live-route.js';
import { liveRoute } from './live-route.js';
import { installMetrics } from './metrics.js';
import { installProblemHandlers } from './problem.js';
import { authRoutes } from './routes/auth.js';
import { blockRoutes } from './routes/blocks.js';
import { sessionActionRoutes } from './routes/session-actions.js';
import { sessionRoutes } from './routes/sessions.js';
import { systemRoutes } from './routes/system.js';
import { userRoutes } from './routes/users.js';
import { vaultRoutes } from './routes/vault.js';

/** What the hub offers the API. */
export type ApiHub = Pick<SessionHub, 'drop' | 'block' | 'unblock' | 'releaseUser' | 'onChange' | 'get' | 'list' | 'event'>;

/** Exactly what the API needs, built by the composition root. */
export interface ApiDeps {
  auth: AuthService;
  access: SessionAccess;
  userAdmin: UserAdmin;
  vaultAdmin: VaultAdmin;
  hub: ApiHub;
  /** The live terminal mirror of an active session, or null when there is none. */
  liveSource: (sessionId: number) => LiveViewerSource | null;
  users: Pick<UserRepo, 'get'>;
  blocks: Pick<BlockRepo, 'list' | 'activeFor'>;
  devices: Pick<DeviceRepo, 'get'>;
  credentials: Pick<CredentialRepo, 'get'>;
  grants: Pick<GrantRepo, 'list'>;
  audit: Pick<AuditRepo, 'append' | 'list' | 'verify'>;
  settings: SettingsRepo;
  clock: Clock;
  logger: FastifyBaseLogger;
}

export interface ApiOptions {
  /** Always mark the session cookie Secure (behind a TLS-terminating proxy); it is anyway when the request is https. */
  secureCookies?: boolean;
  /** Trust X-Forwarded-* (client IP for rate limits, https detection). */
  trustProxy?: boolean;
  /** Largest accepted request body; 1 MiB by default. */
  bodyLimit?: number;
  /** Login attempts per client IP; 10 a minute by default. */
  loginRateLimit?: { max: number; timeWindowMs: number };
  /** Bearer token that may read GET /api/v1/metrics without a user (Prometheus). */
  metricsToken?: string;
  /** Built web console to serve at `/` (index.html for client-side routes). */
  webRoot?: string;
  /** How long POST /drop waits for the session to finish closing before answering; 5 s by default. */
  dropWaitMs?: number;
}

/** What every route module receives. */
export interface RouteContext extends ApiDeps {
  feed: ChangeFeed;
  options: ApiOptions;
}

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
  });
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
      await api.register(vaultRoutes, ctx);
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
