// `GET /v1/client/allocation/:alloc/exec`: a command in a running task over a websocket, as Nomad's
// allocExec (command/agent/alloc_endpoint.go) answers it. Before the upgrade the agent reads
// `command` (JSON) and `tty` (500s); the session after it is exec-session.ts, shared with the job
// action route (routes/jobs/action.ts).
import type { FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import type { Query } from '../http/query.js';
import { mountExecRoute, ttyParam, type ExecArgs } from './exec-session.js';
import { unmarshalStringList } from './exec-frames.js';

const PATH = '/v1/client/allocation/:alloc/exec';

/** ClientAllocRequest's path check, then allocExec's own: the command JSON, then tty. */
function execArgs(req: FastifyRequest): ExecArgs {
  const alloc = (req.params as { alloc: string }).alloc;
  if (alloc.includes('/')) throw new HttpError(404, 'resource not found');
  const q = req.query as Query;
  const cmd = unmarshalStringList(q.command ?? '');
  if (!cmd.ok) throw new HttpError(500, `failed to marshal command into json: ${cmd.error}`);
  return { alloc, job: '', namespace: q.namespace || 'default', task: q.task ?? '', cmd: cmd.value, action: '', tty: ttyParam(q) };
}

export function execRoutes(app: App, ctx: RouteContext): void {
  mountExecRoute(app, ctx, { url: PATH, readArgs: execArgs });
}
