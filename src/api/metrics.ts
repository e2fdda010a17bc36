// Prometheus metrics of the API process: live sessions, sessions started, HTTP requests.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { HubChanges } from './change-feed.js';

export interface MetricsSource extends HubChanges {
  list(): readonly unknown[];
}

/** One registry per API instance (several apps may live in one process, as in tests). */
export function installMetrics(app: FastifyInstance, hub: MetricsSource): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vigil_' });
  new Gauge({
    name: 'vigil_sessions_active',
    help: 'Sessions in progress',
    registers: [registry],
    collect() {
      this.set(hub.list().length);
    },
  });
  const started = new Counter({ name: 'vigil_sessions_started_total', help: 'Sessions started since the process started', registers: [registry] });
  const ended = new Counter({ name: 'vigil_sessions_ended_total', help: 'Sessions ended, by final status', labelNames: ['status'], registers: [registry] });
  const requests = new Histogram({
    name: 'vigil_http_request_duration_seconds',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const off = hub.onChange((c) => {
    if (c.kind === 'started') started.inc();
    if (c.kind === 'ended') ended.inc({ status: c.session.status });
  });
  app.addHook('onClose', async () => off());
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern, never the raw URL, keeps label cardinality bounded.
    const route = req.routeOptions.url ?? 'unmatched';
    requests.observe({ method: req.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  return registry;
}
