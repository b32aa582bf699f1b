// `/v1/client/allocation/:id/{signal,restart,gc,checks}` and `/v1/client/gc` (command/agent/
// alloc_endpoint.go): the agent forwards each to the alloc's client (src/sim/client-api.ts), whose
// task state changes are ordinary client updates of the alloc. Only signal checks the method; the
// others answer any.
import type { FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { rawBody } from '../http/body.js';
import { sendEmpty, sendJson } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { ReadQuery } from '../http/schemas.js';
import { WRITE, readQuery, type AclDecl } from '../acl/rules.js';
import { decodeRequest } from '../../state/jobspec/decode.js';
import { RpcError } from '../../state/errors.js';
import { allocChecks } from '../../src/sim/checks.js';
import { clientAlloc, collectAlloc, collectNode, localNodeId, restartAlloc, signalAlloc } from '../../src/sim/client-api.js';
import { allocRule, pathAllocId } from './alloc-rule.js';

const schema = { querystring: ReadQuery };

/** structs.GenericResponse: its embedded WriteMeta is all there is. */
const GENERIC_RESPONSE = { Index: 0 };

/** AllocSignalRequest as decodeBody reads it: a missing body or bad JSON is a 400. */
function signalBody(req: FastifyRequest): { Task: string; Signal: string } {
  const raw = rawBody(req);
  if (raw.length === 0) throw new HttpError(400, 'Failed to decode body: Request body is empty');
  const res = decodeRequest('AllocSignalRequest', raw);
  if (!res.ok) throw new HttpError(400, `Failed to decode body: ${res.error}`);
  return { Task: String(res.value?.Task ?? ''), Signal: String(res.value?.Signal ?? '') };
}

/**
 * allocRestart's own decoding into an anonymous struct: an empty body is fine, bad JSON is returned
 * as it is (a 500 with Go's decoder text, the struct unnamed as Go names it).
 */
function restartBody(req: FastifyRequest): { TaskName: string; AllTasks: boolean } {
  const raw = rawBody(req);
  if (raw.toString('latin1').trim() === '') return { TaskName: '', AllTasks: false };
  const res = decodeRequest('AllocRestartBody', raw);
  if (!res.ok) {
    throw new RpcError(
      res.error
        .replace('Go struct field AllocRestartBody.', 'Go struct field .')
        .replace('Go value of type structs.AllocRestartBody', 'Go value of type struct { TaskName string; AllTasks bool }'),
    );
  }
  return { TaskName: String(res.value?.TaskName ?? ''), AllTasks: res.value?.AllTasks === true };
}

/** `node_id`, or the dev agent's own node; neither is Nomad's 400. */
function targetNode(req: FastifyRequest, ctx: RouteContext): string {
  const nodeId = (req.query as Query).node_id ?? '';
  if (nodeId !== '') return nodeId;
  const local = localNodeId(ctx.store, ctx.sim);
  if (local === null) throw new HttpError(400, 'No local Node and node_id not provided');
  return local;
}

export function allocLifecycleRoutes(app: App, ctx: RouteContext): void {
  const parse = (req: FastifyRequest): void => void parseQueryOptions(req.query as Query, ctx.config.region);

  const signalAcl = allocRule(ctx, ['alloc-lifecycle'], signalBody);
  app.all('/v1/client/allocation/:id/signal', { schema, config: { acl: (req) => (WRITE.has(req.method) ? signalAcl(req) : null) } }, async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    const body = signalBody(req);
    parse(req);
    signalAlloc(ctx.store, ctx.sim, pathAllocId(req), body.Task, body.Signal);
    return sendJson(req, reply, GENERIC_RESPONSE);
  });

  app.all('/v1/client/allocation/:id/restart', { schema, config: { acl: allocRule(ctx, ['alloc-lifecycle'], restartBody) } }, async (req, reply) => {
    parse(req);
    const id = pathAllocId(req);
    const body = restartBody(req);
    restartAlloc(ctx.store, ctx.sim, id, body.TaskName, body.AllTasks);
    return sendJson(req, reply, GENERIC_RESPONSE);
  });

  app.all('/v1/client/allocation/:id/gc', { schema, config: { acl: allocRule(ctx, ['submit-job']) } }, async (req, reply) => {
    parse(req);
    collectAlloc(ctx.store, ctx.sim, pathAllocId(req));
    return sendEmpty(reply);
  });

  app.all('/v1/client/allocation/:id/checks', { schema, config: { acl: allocRule(ctx, ['read-job']) } }, async (req, reply) => {
    parse(req);
    const alloc = clientAlloc(ctx.store, ctx.sim, pathAllocId(req));
    return sendJson(req, reply, allocChecks(alloc, ctx.store.nowNs()));
  });

  // Allocations.GarbageCollectAll: node:write, checked before the node is looked up.
  const nodeWrite: AclDecl = (req) => ({ check: { kind: 'node-write' }, pre: readQuery(req, ctx) });
  app.all('/v1/client/gc', { schema, config: { acl: nodeWrite } }, async (req, reply) => {
    parse(req);
    const nodeId = targetNode(req, ctx);
    // ClientGCRequest makes only `No path to node` a 404: an unknown node stays a 500.
    collectNode(ctx.store, ctx.sim, nodeId);
    return sendEmpty(reply);
  });
}
