// Audit trail, settings, health and metrics.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { VigilError } from '../../core/errors.js';
import { actorOf } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { toAuditEntry } from '../mappers.js';
import { SETTING_DEFAULTS, SETTING_KEYS, auditEntrySchema, auditQuerySchema, auditVerifySchema, healthSchema, putSettingSchema, settingParams, settingsSchema, type Settings } from '../schemas.js';

export const systemRoutes: FastifyPluginAsyncZod<RouteContext & { registry: Registry }> = async (app, ctx) => {
  const config = { permission: 'System.Settings.Manage' as const };

  app.get('/healthz', { config: { auth: 'none' }, schema: { tags: ['system'], summary: 'Liveness', security: [], response: { 200: healthSchema } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/metrics',
    { config: { auth: 'metrics', ...config }, schema: { tags: ['system'], summary: 'Prometheus metrics (System.Settings.Manage, or the configured scrape token)' } },
    async (_req, reply) => {
      reply.type(ctx.registry.contentType);
      return ctx.registry.metrics();
    },
  );

  app.get(
    '/audit-trail',
    { config, schema: { tags: ['audit'], summary: 'The audit trail, newest first', querystring: auditQuerySchema, response: { 200: z.object({ items: z.array(auditEntrySchema) }) } } },
    async (req) => ({ items: (await ctx.audit.list({ limit: req.query.limit, offset: req.query.offset })).map(toAuditEntry) }),
  );

  app.get('/audit-trail/verify', { config, schema: { tags: ['audit'], summary: "Check the audit trail's hash chain", response: { 200: auditVerifySchema } } }, async () => {
    const problems = await ctx.audit.verify();
    return { ok: problems.length === 0, problems };
  });

  const current = async (): Promise<Settings> => {
    const out: Record<string, unknown> = {};
    for (const key of SETTING_KEYS) out[key] = await ctx.settings.get(key, SETTING_DEFAULTS[key]);
    return out as Settings;
  };

  app.get('/settings', { config, schema: { tags: ['settings'], summary: 'Known settings with their current values', response: { 200: settingsSchema } } }, current);

  app.put(
    '/settings/:key',
    { config, schema: { tags: ['settings'], summary: 'Change one setting', params: settingParams, body: putSettingSchema, response: { 200: settingsSchema } } },
    async (req) => {
      const { key } = req.params;
      const parsed = settingsSchema.shape[key].safeParse(req.body.value);
      if (!parsed.success) {
        const errors = parsed.error.issues.map((i) => ({ path: ['value', ...i.path].join('.'), message: i.message }));
        throw VigilError.badRequest(`invalid value for ${key}: ${errors.map((e) => e.message).join('; ')}`, { errors });
      }
      const value = parsed.data;
      if (key === 'auditors.default') {
        const ids = value as number[];
        const unknown = (await Promise.all(ids.map(async (uid) => ((await ctx.users.get(uid)) ? null : uid)))).filter((x) => x !== null);
        if (unknown.length) throw VigilError.badRequest(`unknown user id ${unknown.join(', ')}`, { unknownUserIds: unknown });
      }
      if (key === 'auth.requireTotp' && value === true) {
        const me = await ctx.users.get(actorOf(req).userId);
        if (!me?.totpEnrolled) throw VigilError.conflict('enrol TOTP yourself first (POST /me/totp): once it is required of everyone, an account without it may only enrol');
      }
      const before = await ctx.settings.get(key, SETTING_DEFAULTS[key]);
      await ctx.settings.set(key, value);
      await ctx.audit.append({ at: ctx.clock.now(), actor: actorOf(req).username, action: 'settings.set', target: key, details: JSON.stringify({ from: before, to: value }) });
      return current();
    },
  );
};
