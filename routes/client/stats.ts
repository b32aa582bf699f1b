// `/v1/client/allocation/:id/stats` and `/v1/client/stats` (command/agent/alloc_endpoint.go,
// stats_endpoint.go): the simulated client's resource usage (src/sim/stats.ts) at the simulated
// clock's now. Neither checks the method nor blocks, and neither sets index headers.
import type { FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { sendJson } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { ReadQuery } from '../http/schemas.js';
import { readQuery, type AclDecl } from '../acl/rules.js';
import { RpcError } from '../../state/errors.js';
import { allocStats, hostStats } from '../../src/sim/stats.js';
import { clientAlloc, localNodeId, reachNode } from '../../src/sim/client-api.js';
import { allocRule, pathAllocId } from './alloc-rule.js';

const schema = { querystring: ReadQuery };

export function statsRoutes(app: App, ctx: RouteContext): void {
  const parse = (req: FastifyRequest): void => void parseQueryOptions(req.query as Query, ctx.config.region);

  app.all('/v1/client/allocation/:id/stats', { schema, config: { acl: allocRule(ctx, ['read-job']) } }, async (req, reply) => {
    parse(req);
    const alloc = clientAlloc(ctx.store, ctx.sim, pathAllocId(req));
    return sendJson(req, reply, allocStats(ctx.store, alloc, (req.query as Query).task ?? '', ctx.store.nowNs()));
  });

  // ClientStats.Stats: node:read, checked before the node is looked up.
  const nodeRead: AclDecl = (req) => ({ check: { kind: 'node-read' }, pre: readQuery(req, ctx) });
  app.all('/v1/client/stats', { schema, config: { acl: nodeRead } }, async (req, reply) => {
    parse(req);
    const nodeId = (req.query as Query).node_id || localNodeId(ctx.store, ctx.sim);
    if (!nodeId) throw new HttpError(400, 'No local Node and node_id not provided');
    try {
      reachNode(ctx.store, ctx.sim, nodeId);
    } catch (err) {
      // ClientStatsRequest answers an unknown node with 404 as well.
      if (err instanceof RpcError && err.message.includes('Unknown node')) throw new HttpError(404, err.message);
      throw err;
    }
    return sendJson(req, reply, hostStats(ctx.store, ctx.store.nodes.get(nodeId)!, ctx.store.nowNs()));
  });
}
