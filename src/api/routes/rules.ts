// Audited-command rules: GET/POST /command-rules, DELETE /command-rules/{name}. Managing needs PAM.Vault.Manage or
// System.Settings.Manage; reading also PAM.SessionManagement.Logs or .View. Every change is in the audit trail.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { formatScope, type CommandRule } from '../../core/command-rules.js';
import { actorOf } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { commandRuleSchema, commandRulesResponseSchema, createCommandRuleSchema, okSchema, ruleNameParams, type CommandRuleItem } from '../schemas.js';

export function toRule(r: CommandRule): CommandRuleItem {
  return { id: r.id, name: r.name, pattern: r.pattern, scope: formatScope(r.scope), criticality: r.criticality, action: r.action, createdAt: r.createdAt.toISOString(), createdBy: r.createdBy };
}

export const ruleRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const rules = ctx.sessionLogs.rules;
  const tags = ['command rules'];

  app.get('/command-rules', { schema: { tags, summary: 'Audited-command rules', response: { 200: commandRulesResponseSchema } } }, async (req) => ({
    items: (await rules.list(actorOf(req))).map(toRule),
  }));

  app.post(
    '/command-rules',
    {
      schema: {
        tags,
        summary: 'Add a rule: a regular expression (at most 512 characters, no nested repetition), a scope, a criticality and an action',
        description: 'Deny and interrupt rules act in real time: the Enter key is held until the line is checked. Patterns are tried on every command of a line (`;`, `&&`, `||`, `|`, substitutions), with quotes and escapes undone and wrappers such as sudo or bash -c peeled off, and on every line of a paste.',
        body: createCommandRuleSchema,
        response: { 201: commandRuleSchema },
      },
    },
    async (req, reply) => {
      const r = await rules.add(actorOf(req), req.body);
      return reply.code(201).send(toRule(r));
    },
  );

  app.delete('/command-rules/:name', { schema: { tags, summary: 'Remove a rule', params: ruleNameParams, response: { 200: okSchema } } }, async (req) => {
    await rules.remove(actorOf(req), req.params.name);
    return { ok: true as const };
  });
};
