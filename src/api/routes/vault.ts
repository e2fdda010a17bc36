// Devices, credentials (never their secrets) and grants for the console (PAM.Vault.Manage), through VaultAdmin.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { VigilError } from '../../core/errors.js';
import { actorOf } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { toCredential, toDevice, toGrant } from '../mappers.js';
import { createCredentialSchema, createDeviceSchema, createGrantSchema, credentialSchema, deviceSchema, grantSchema, idParams, okSchema } from '../schemas.js';

export const vaultRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  const { vaultAdmin } = ctx;
  const config = { permission: 'PAM.Vault.Manage' as const };
  const ok = { ok: true as const };

  app.get('/devices', { config, schema: { tags: ['vault'], summary: 'List devices', response: { 200: z.object({ items: z.array(deviceSchema) }) } } }, async () => ({
    items: (await vaultAdmin.listDevices()).map(toDevice),
  }));
  app.post(
    '/devices',
    { config, schema: { tags: ['vault'], summary: 'Register a device with a pinned host key, or trust on first use', body: createDeviceSchema, response: { 201: deviceSchema } } },
    async (req, reply) => {
      const d = await vaultAdmin.addDevice(req.body, actorOf(req).username);
      reply.code(201);
      return toDevice(d);
    },
  );
  app.delete('/devices/:id', { config, schema: { tags: ['vault'], summary: 'Remove a device, its credentials and their grants', params: idParams, response: { 200: okSchema } } }, async (req) => {
    const d = await ctx.devices.get(req.params.id);
    if (!d) throw VigilError.notFound('device');
    await vaultAdmin.removeDevice(d.name, actorOf(req).username);
    return ok;
  });

  app.get('/credentials', { config, schema: { tags: ['vault'], summary: 'List credentials (never their secrets)', response: { 200: z.object({ items: z.array(credentialSchema) }) } } }, async () => ({
    items: (await vaultAdmin.listCredentials()).map(toCredential),
  }));
  app.post(
    '/credentials',
    { config, schema: { tags: ['vault'], summary: 'Vault a password or private key for ACCOUNT@DEVICE (write-only)', body: createCredentialSchema, response: { 201: credentialSchema } } },
    async (req, reply) => {
      const { device, account, password, privateKey } = req.body;
      const secret = password !== undefined ? { password } : { privateKey: privateKey! };
      const c = await vaultAdmin.addCredential(`${account}@${device}`, secret, actorOf(req).username);
      reply.code(201);
      return toCredential(c);
    },
  );
  app.delete('/credentials/:id', { config, schema: { tags: ['vault'], summary: 'Remove a credential and its grants', params: idParams, response: { 200: okSchema } } }, async (req) => {
    const c = await ctx.credentials.get(req.params.id);
    if (!c) throw VigilError.notFound('credential');
    await vaultAdmin.removeCredential(`${c.account}@${c.deviceName}`, actorOf(req).username);
    return ok;
  });

  app.get('/grants', { config, schema: { tags: ['vault'], summary: 'List grants', response: { 200: z.object({ items: z.array(grantSchema) }) } } }, async () => ({
    items: (await vaultAdmin.listGrants()).map(toGrant),
  }));
  app.post(
    '/grants',
    { config, schema: { tags: ['vault'], summary: 'Let a user open sessions with a credential', body: createGrantSchema, response: { 201: grantSchema } } },
    async (req, reply) => {
      const user = await ctx.users.get(req.body.userId);
      if (!user) throw VigilError.badRequest('unknown user id', { field: 'userId' });
      const cred = await ctx.credentials.get(req.body.credentialId);
      if (!cred) throw VigilError.badRequest('unknown credential id', { field: 'credentialId' });
      const g = await vaultAdmin.addGrant(user.username, `${cred.account}@${cred.deviceName}`, { allowPortForwarding: req.body.allowPortForwarding }, actorOf(req).username);
      reply.code(201);
      return toGrant(g);
    },
  );
  app.delete('/grants/:id', { config, schema: { tags: ['vault'], summary: 'Remove a grant', params: idParams, response: { 200: okSchema } } }, async (req) => {
    const g = (await ctx.grants.list()).find((x) => x.id === req.params.id);
    if (!g) throw VigilError.notFound('grant');
    const cred = await ctx.credentials.get(g.credentialId);
    if (!cred) throw VigilError.notFound('credential');
    await vaultAdmin.removeGrant(g.username, `${cred.account}@${cred.deviceName}`, actorOf(req).username);
    return ok;
  });
};
