// `PUT|POST /v1/node/:id/purge` and `/v1/node/:id/evaluate` (command/agent/node_endpoint.go
// nodePurge, nodeForceEvaluate over nomad/node_endpoint.go Deregister, Evaluate). Both answer a
// NodeUpdateResponse with the write's index in X-Nomad-Index; the simulator does the rest (a purged
// node's allocs are found lost by the next scheduler pass and replaced elsewhere).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { sendJson, setWriteIndex } from '../http/reply.js';
import { createNodeEvals, deregisterNode } from '../../state/nodes/ops.js';
import type { Obj } from '../../state/types.js';
import { RPC_ADDR, agentName } from '../agent/member.js';

type Handler = (ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, nodeId: string) => FastifyReply;

interface UpdateResponse {
  evalIds: string[];
  evalIndex: number;
  nodeIndex: number;
  index: number;
  /** constructNodeServerInfoResponse: the leader and the servers, as Evaluate fills them in. */
  servers?: { leader: string; numNodes: number; servers: Obj[] };
}

/** NodeUpdateResponse (nomad/structs/node.go), fields in declaration order, QueryMeta last. */
function nodeUpdateResponse(r: UpdateResponse): Obj {
  return {
    HeartbeatTTL: 0,
    EvalIDs: r.evalIds.length > 0 ? r.evalIds : null,
    EvalCreateIndex: r.evalIndex,
    NodeModifyIndex: r.nodeIndex,
    Features: 0,
    LeaderRPCAddr: r.servers?.leader ?? '',
    NumNodes: r.servers?.numNodes ?? 0,
    Servers: r.servers?.servers ?? null,
    SchedulingEligibility: '',
    SignedIdentity: null,
    Index: r.index,
    LastContact: 0,
    KnownLeader: false,
    NextToken: '',
  };
}

/** Node.Deregister: the node row goes at once; node-update evals let the scheduler find its allocs lost. */
const purge: Handler = (ctx, req, reply, nodeId) => {
  const { store } = ctx;
  if (nodeId === '') throw new HttpError(500, 'missing node ID for client deregistration');
  // A plain error in the RPC, hence a 500 (the control API's own deregister answers 404).
  if (!store.nodes.has(nodeId)) throw new HttpError(500, 'node not found');
  const res = deregisterNode(store, nodeId);
  setWriteIndex(reply, res.Index);
  return sendJson(req, reply, nodeUpdateResponse({ evalIds: res.EvalIDs, evalIndex: res.EvalCreateIndex, nodeIndex: res.NodeModifyIndex, index: res.Index }));
};

/** Node.Evaluate: evals for the node's jobs and the system jobs it could run; no node write (index = the evals'). */
const evaluate: Handler = (ctx, req, reply, nodeId) => {
  const { store } = ctx;
  if (nodeId === '') throw new HttpError(500, 'missing node ID for evaluation');
  const node = store.nodes.get(nodeId);
  if (!node) throw new HttpError(500, 'node not found');
  const evals = createNodeEvals(store, node, node.ModifyIndex as number);
  const servers = [{ RPCAdvertiseAddr: RPC_ADDR, RPCMajorVersion: 1, RPCMinorVersion: 1, Datacenter: agentName(ctx).dc }];
  setWriteIndex(reply, evals.index);
  return sendJson(req, reply, nodeUpdateResponse({
    evalIds: evals.ids,
    evalIndex: evals.index,
    nodeIndex: 0,
    index: evals.index,
    servers: { leader: RPC_ADDR, numNodes: store.nodes.size, servers },
  }));
};

/** The node write sub-paths this module answers, by suffix of `/v1/node/:id`. */
export const NODE_LIFECYCLE: Readonly<Record<string, Handler>> = { '/purge': purge, '/evaluate': evaluate };
