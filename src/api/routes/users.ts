// Users and roles for the console (System.Users.Manage), through UserAdmin so every change is validated and audited.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { VigilError } from '../../core/errors.js';
import { actorOf } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { toRole, toUser } from '../mappers.js';
import { createUserSchema, idParams, okSchema, patchUserSchema, roleSchema, upsertRoleSchema, userSchema } from '../schemas.js';

export const userRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { userAdmin } = ctx;
  const config = { permission: 'System.Users.Manage' as const };
  const tags = ['users'];
  const summaryOf = async (id: number) => {
    const u = (await userAdmin.listUsers()).find((x) => x.id === id);
    if (!u) throw VigilError.notFound('user');
    return toUser(u);
  };

  // Auditor managers pick users from this list (Session Auditors Configuration), so they may read it too.
  const listConfig = { permission: ['System.Users.Manage', 'PAM.SessionManagement.Auditors'] as const };
  app.get('/users', { config: listConfig, schema: { tags, summary: 'List users', response: { 200: z.object({ items: z.array(userSchema) }) } } }, async () => ({
    items: (await userAdmin.listUsers()).map(toUser),
  }));

  app.post(
    '/users',
    { config, schema: { tags, summary: 'Create a user (roles default to PAM User)', body: createUserSchema, response: { 201: userSchema } } },
    async (req, reply) => {
      const user = await userAdmin.addUser(req.body, actorOf(req).username);
      reply.code(201);
      return summaryOf(user.id);
    },
  );

  app.patch(
    '/users/:id',
    { config, schema: { tags, summary: 'Disable or enable a user, replace roles, or set a password', params: idParams, body: patchUserSchema, response: { 200: userSchema } } },
    async (req) => {
      const actor = actorOf(req);
      const user = await ctx.users.get(req.params.id);
      if (!user) throw VigilError.notFound('user');
      const { disabled, roles, password } = req.body;
      if (disabled === true && user.id === actor.userId) throw VigilError.conflict('you cannot disable your own account');
      if (roles !== undefined) await userAdmin.setRoles(user.username, roles, actor.username);
      if (password !== undefined) await userAdmin.setPassword(user.username, password, actor.username);
      if (disabled === true) {
        await userAdmin.disableUser(user.username, actor.username);
        await ctx.auth.revokeUser(user.id);
      } else if (disabled === false) {
        await userAdmin.enableUser(user.username, actor.username);
      }
      return summaryOf(user.id);
    },
  );

  app.get('/roles', { config, schema: { tags, summary: 'List roles and their permissions', response: { 200: z.object({ items: z.array(roleSchema) }) } } }, async () => ({
    items: (await userAdmin.listRoles()).map(toRole),
  }));

  app.post(
    '/roles',
    { config, schema: { tags, summary: 'Create a role or replace its permissions', body: upsertRoleSchema, response: { 200: roleSchema } } },
    async (req) => toRole(await userAdmin.upsertRole(req.body.name, req.body.permissions, actorOf(req).username)),
  );

  app.delete(
    '/roles/:name',
    { config, schema: { tags, summary: 'Remove a role no user holds', params: z.object({ name: z.string().min(1).max(64) }), response: { 200: okSchema } } },
    async (req) => {
      await userAdmin.removeRole(req.params.name, actorOf(req).username);
      return { ok: true as const };
    },
  );
};
