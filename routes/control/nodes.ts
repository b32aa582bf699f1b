// `/_mock/nodes` and `/_mock/node/:id[/down|/up]`: the cluster's shape at run time (src/control/nodes.ts).
// A node is named by its ID or its (unique) name. Every answer is the NodeUpdateResponse-like
// `{ Node, EvalIDs, EvalCreateIndex, NodeModifyIndex, Index }`.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify';
import type { RouteContext } from '../http/context.js';

type Handler = (req: FastifyRequest<RouteGenericInterface>, reply: FastifyReply) => Promise<FastifyReply> | FastifyReply;

/** The control area's route, body and answer helpers (routes/control/index.ts). */
export interface ControlHelpers {
  route(method: string | string[], url: string, handler: Handler): void;
  body(req: FastifyRequest, schema: ReturnType<typeof Type.Unknown>, emptyOk?: boolean): Promise<unknown>;
  json(reply: FastifyReply, value: unknown): FastifyReply;
}

const Any = Type.Unknown();

export function nodeControlRoutes(ctx: RouteContext, h: ControlHelpers): void {
  const nodes = ctx.control.nodes;
  const id = (req: FastifyRequest): string => (req.params as { id: string }).id;

  h.route('POST', '/_mock/nodes', async (req, reply) => h.json(reply, nodes.add(await h.body(req, Any))));
  h.route(['PUT', 'POST', 'DELETE'], '/_mock/node/:id', async (req, reply) => {
    if (req.method === 'DELETE') return h.json(reply, nodes.remove(id(req)));
    return h.json(reply, nodes.change(id(req), await h.body(req, Any)));
  });
  h.route(['PUT', 'POST'], '/_mock/node/:id/down', (req, reply) => h.json(reply, nodes.down(id(req))));
  h.route(['PUT', 'POST'], '/_mock/node/:id/up', (req, reply) => h.json(reply, nodes.up(id(req))));
}
