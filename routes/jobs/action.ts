// `GET /v1/job/:id/action`: a job's predefined action run in one of its allocations over a
// websocket, as Nomad's jobRunAction (command/agent/job_endpoint.go) answers it. The agent reads
// `task`, `action`, `allocID` (so spelled; the docs say alloc_id) and `tty` (a 500 before the
// upgrade), then runs the same streaming exec as `alloc exec` with an AllocExecRequest that has
// the path's job ID and no command: the server checks the job exists and owns the allocation, and
// the client looks the action up in the allocation's job and runs its command and args
// (routes/client/exec-session.ts).
//
// The path is `/v1/job/*`'s: a request that is not an upgrade reaches that route's `action` row
// (job.ts) and gets the plain refusal; an upgrade reaches the websocket route below.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import type { Query } from '../http/query.js';
import { UPGRADE_ONLY } from '../http/websocket.js';
import { parseJobPath } from './path.js';
import { mountExecRoute, refuseUnupgraded, ttyParam, type ExecArgs } from '../client/exec-session.js';

/** jobRunAction's reading of the path and query; only `tty` can fail. */
function actionArgs(req: FastifyRequest): ExecArgs {
  const q = req.query as Query;
  const tty = ttyParam(q);
  const job = parseJobPath(req.raw.url ?? '').jobId;
  return { alloc: q.allocID ?? '', job, namespace: q.namespace || 'default', task: q.task ?? '', action: q.action ?? '', cmd: [], tty };
}

/** The `action` row of `/v1/job/*`: any method, never upgraded there. */
export function handleRunAction(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  return refuseUnupgraded(ctx, actionArgs)(req, reply);
}

export function jobActionRoutes(app: App, ctx: RouteContext): void {
  mountExecRoute(app, ctx, { url: '/v1/job/*', constraints: { ...UPGRADE_ONLY }, readArgs: actionArgs });
}
