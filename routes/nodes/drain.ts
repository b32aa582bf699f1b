// `/v1/node/:id/drain` and `/v1/node/:id/eligibility` (command/agent/node_endpoint.go
// nodeToggleDrain, nodeToggleEligibility over nomad/node_endpoint.go UpdateDrain, UpdateEligibility).
// Node IDs are taken whole, never resolved from a prefix: the RPCs look them up exactly.
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { invalidMethod } from '../http/errors.js';
import { decodeBody } from '../http/body.js';
import { sendJson, setWriteIndex } from '../http/reply.js';
import { ErrorText, ReadQuery } from '../http/schemas.js';
import { WRITE, lazyBody, str, type AclDecl } from '../acl/rules.js';
import { headerToken } from '../acl/authorize.js';
import { tokenBySecret } from '../../state/acl/tables.js';
import { updateNodeDrain, updateNodeEligibility } from '../../state/nodes/drain.js';
import type { RequestRoot } from '../../state/jobspec/decode.js';
import type { Obj } from '../../state/types.js';

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Unknown(), '4xx': ErrorText, '5xx': ErrorText },
};

/** node:write, after the agent decoded the body (a bad body is its 400 before any token check). */
function writeRule(root: RequestRoot, bodyToken: boolean): AclDecl {
  return (req) => {
    if (!WRITE.has(req.method)) return null;
    const body = lazyBody(req, root);
    return {
      check: { kind: 'node-write' },
      pre: () => void decodeBody(req, root),
      ...(bodyToken ? { bodyToken: () => str(body()?.AuthToken) } : {}),
    };
  };
}

/** The accessor of the token the request carries, as the FSM records it in LastDrain. */
function accessorOf(ctx: RouteContext, req: FastifyRequest, body: Obj): string {
  const secret = headerToken(req) || str(body.AuthToken);
  return secret === '' ? '' : str(tokenBySecret(ctx.store, secret)?.view.AccessorID);
}

export function toggleDrain(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, nodeId: string): FastifyReply {
  if (!WRITE.has(req.method)) throw invalidMethod();
  // JSON null decodes into the zero request, as Go leaves the struct untouched.
  const body = (decodeBody(req, 'NodeUpdateDrainRequest') ?? {}) as Obj;
  const spec = body.DrainSpec ? { Deadline: Number(body.DrainSpec.Deadline ?? 0), IgnoreSystemJobs: Boolean(body.DrainSpec.IgnoreSystemJobs) } : null;
  const out = updateNodeDrain(ctx.store, {
    nodeId,
    spec,
    markEligible: Boolean(body.MarkEligible),
    meta: (body.Meta as Record<string, string> | null | undefined) ?? null,
    accessorId: accessorOf(ctx, req, body),
  });
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out);
}

export function toggleEligibility(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, nodeId: string): FastifyReply {
  if (!WRITE.has(req.method)) throw invalidMethod();
  const body = (decodeBody(req, 'NodeUpdateEligibilityRequest') ?? {}) as Obj;
  // The body's NodeID, when set, wins over the path's.
  const id = str(body.NodeID) || nodeId;
  const out = updateNodeEligibility(ctx.store, id, str(body.Eligibility), body.NodeEvent != null);
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out);
}

export function drainRoutes(app: App, ctx: RouteContext): void {
  const id = (req: FastifyRequest): string => (req.params as { id: string }).id;
  app.all('/v1/node/:id/drain', { schema, config: { acl: writeRule('NodeUpdateDrainRequest', false) } }, async (req, reply) =>
    toggleDrain(ctx, req, reply, id(req)));
  app.all('/v1/node/:id/eligibility', { schema, config: { acl: writeRule('NodeUpdateEligibilityRequest', true) } }, async (req, reply) =>
    toggleEligibility(ctx, req, reply, id(req)));
}
