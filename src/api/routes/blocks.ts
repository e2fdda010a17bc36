// Users with session block: the report of blocks and the release action.

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { VigilError } from '../../core/errors.js';
import { actorOf } from '../auth-plugin.js';
import type { RouteContext } from '../context.js';
import { toBlock } from '../mappers.js';
import { sessionBlockSchema, sessionBlocksResponseSchema, userIdParams } from '../schemas.js';

export const blockRoutes: FastifyPluginAsyncZod<RouteContext> = async (app, ctx) => {
  app.get(
    '/session-blocks',
    {
      config: { permission: ['PAM.SessionManagement.Block', 'PAM.SessionManagement.View'] },
      schema: { tags: ['session blocks'], summary: 'Users with session block: who, by whom, when, released by whom and when', response: { 200: sessionBlocksResponseSchema } },
    },
    async () => ({ items: (await ctx.blocks.list()).map(toBlock) }),
  );

  app.post(
    '/session-blocks/:userId/release',
    {
      config: { permission: 'PAM.SessionManagement.Block' },
      schema: { tags: ['session blocks'], summary: "Release a user's block (409 when not blocked)", params: userIdParams, response: { 200: sessionBlockSchema } },
    },
    async (req) => {
      const actor = actorOf(req);
      const user = await ctx.users.get(req.params.userId);
      if (!user) throw VigilError.notFound('user');
      const block = await ctx.blocks.activeFor(user.id);
      if (!block) throw VigilError.conflict(`user ${user.username} is not blocked`);
      await ctx.hub.releaseUser(user.id, { userId: actor.userId, username: actor.username }, block.sessionId ?? undefined);
      await ctx.audit.append({ at: ctx.clock.now(), actor: actor.username, action: 'user.block.release', target: user.username, details: JSON.stringify({ blockId: block.id, sessionId: block.sessionId }) });
      const released = (await ctx.blocks.list()).find((b) => b.id === block.id) ?? block;
      return toBlock(released);
    },
  );
};
