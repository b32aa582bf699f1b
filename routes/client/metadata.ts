// `GET|POST /v1/client/metadata`: dynamic node metadata (command/agent/node_meta_endpoint.go over
// client/node_meta_endpoint.go NodeMeta.Read/Apply, or nomad/client_meta_endpoint.go when the server
// forwards to another node). Without `node_id` (query) or `NodeID` (body) the request goes to the
// agent's own client, which is the first simulated node (routes/agent/member.ts agentNode), as
// `nomad agent -dev` runs one client; any other node is reached through the server.
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { decodeBody } from '../http/body.js';
import { sendJson } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { ErrorText, ReadQuery } from '../http/schemas.js';
import { lazyBody, str, type AclDecl } from '../acl/rules.js';
import { agentNode, hasClient } from '../agent/member.js';
import { applyNodeMeta } from '../../state/nodes/ops.js';
import { nodeMetaView } from '../../state/nodes/meta.js';
import type { Obj } from '../../state/types.js';

const schema = {
  querystring: Type.Composite([ReadQuery, Type.Object({ node_id: Type.Optional(Type.String()) })], { additionalProperties: true }),
  response: { '4xx': ErrorText, '5xx': ErrorText },
};

/**
 * rpcHandlerForNode, then the RPC's own lookup: the local client answers for its node (or no node
 * named); the server forwards to any other node it knows and can reach.
 */
function targetNode(ctx: RouteContext, nodeId: string): Obj {
  const local = hasClient(ctx) ? agentNode(ctx.store) : undefined;
  if (local && (nodeId === '' || nodeId === local.ID)) return local;
  const node = ctx.store.nodes.get(nodeId);
  // getNodeForRpc: `%w %s` with ErrUnknownNode, a plain error (500).
  if (!node) throw new HttpError(500, `Unknown node ${nodeId}`);
  // A down node holds no connection to the server: ErrNoNodeConn, which the agent turns into a 404.
  if (node.Status === 'down') throw new HttpError(404, 'No path to node');
  return node;
}

const nodeIdParam = (req: FastifyRequest): string => (req.query as Query).node_id ?? '';

export function clientMetadataRoutes(app: App, ctx: RouteContext): void {
  const { store } = ctx;
  const parse = (req: FastifyRequest): void => {
    parseQueryOptions(req.query as Query, ctx.config.region);
  };
  // The body is decoded before the query is parsed and before the RPC authenticates.
  const decode = (req: FastifyRequest): Obj => (decodeBody(req, 'NodeMetaApplyRequest') as Obj | null) ?? {};

  const acl: AclDecl = (req) => {
    if (req.method === 'GET') return { check: { kind: 'node-read' }, pre: () => parse(req) };
    if (req.method !== 'POST') return null;
    const body = lazyBody(req, 'NodeMetaApplyRequest');
    return {
      check: { kind: 'node-write' },
      bodyToken: () => str(body()?.AuthToken),
      pre: () => {
        decode(req);
        parse(req);
      },
    };
  };

  app.all('/v1/client/metadata', { schema, config: { acl } }, async (req, reply) => {
    if (req.method === 'GET') {
      parse(req);
      const node = targetNode(ctx, nodeIdParam(req));
      return sendJson(req, reply, nodeMetaView(store, node));
    }
    if (req.method !== 'POST') throw invalidMethod();
    const body = decode(req);
    parse(req);
    const node = targetNode(ctx, nodeIdParam(req) || str(body.NodeID));
    const meta = (body.Meta as Record<string, string | null> | null | undefined) ?? {};
    applyNodeMeta(store, node.ID, meta);
    // No index header: the answer comes from the client, not from a server write.
    return sendJson(req, reply, nodeMetaView(store, store.nodes.get(node.ID) ?? node));
  });
}
