// Agent and status endpoints clients call around job work.
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { invalidMethod } from '../http/errors.js';
import { sendJson } from '../http/reply.js';
import { ReadQuery } from '../http/schemas.js';

export const LEADER_ADDR = '127.0.0.1:4647';

const Health = Type.Object({
  client: Type.Object({ ok: Type.Boolean(), message: Type.String() }),
  server: Type.Object({ ok: Type.Boolean(), message: Type.String() }),
});

export function agentRoutes(app: App, _ctx: RouteContext): void {
  app.all('/v1/status/leader', { schema: { querystring: ReadQuery, response: { 200: Type.String() } }, config: { acl: 'none' } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    return sendJson(req, reply, LEADER_ADDR);
  });
  app.all('/v1/status/peers', { schema: { querystring: ReadQuery, response: { 200: Type.Array(Type.String()) } }, config: { acl: 'none' } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    return sendJson(req, reply, [LEADER_ADDR]);
  });
  app.all('/v1/agent/health', { schema: { querystring: ReadQuery, response: { 200: Health } }, config: { acl: 'none' } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    return sendJson(req, reply, { client: { ok: true, message: 'ok' }, server: { ok: true, message: 'ok' } });
  });
}
