// An exec session over a websocket, as Nomad's agent runs one for `/v1/client/allocation/:id/exec`
// (allocExec) and `/v1/job/:id/action` (jobRunAction): both read their query, upgrade, read the
// optional handshake frame and hand an AllocExecRequest to the same streaming RPC, the server's
// (nomad/client_alloc_endpoint.go) then the client's (client/alloc_endpoint.go). This module is
// that shared part; each route only reads its own query into `ExecArgs` (exec.ts, jobs/action.ts).
//
// Before the upgrade the agent reads its query parameters (500s) and then upgrades; a request that
// is no websocket handshake gets gorilla's refusal with the agent's error appended. After the
// upgrade every error is a close frame: the RPC error's code picks it (500 → 1011, others → 1008)
// and its text is the reason. The token comes from the headers, or from the first frame with
// `ws_handshake=true` (as Nomad's web UI sends it). Frames are drivers.ExecTaskStreamingRequestMsg
// in and ...ResponseMsg out; the simulated task's answer is src/sim/exec.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { websocketScope } from '../http/websocket.js';
import { everyMethodInOneTree } from '../http/method-routing.js';
import { headerToken } from '../acl/authorize.js';
import type { AclDecl } from '../acl/rules.js';
import { resolveSecret } from '../../state/acl/resolve.js';
import type { Acl } from '../../state/acl/acl.js';
import { parseGoBool } from '../../state/godur.js';
import type { Obj } from '../../state/types.js';
import { jobKey } from '../../state/store.js';
import { startExec, type ExecIO, type ExecProcess, type ExecTarget } from '../../src/sim/exec/index.js';
import { decodeHandshake, decodeRequestFrame } from './exec-frames.js';

/** The exit code of a process killed with its task. */
const KILLED = 137;
const CLOSE_NORMAL = 1000;
const CLOSE_GOING_AWAY = 1001;
const CLOSE_POLICY = 1008; // gorilla's toWsCode for every RPC code but 500
const CLOSE_INTERNAL = 1011; // ... and for 500, and for errors without a code
/** A close frame's reason must fit its 125-byte payload; gorilla sends no frame otherwise. */
const MAX_REASON_BYTES = 123;
/** Drivers without filesystem isolation also need alloc-node-exec (raw_exec; mock_driver's default). */
const NO_FS_ISOLATION = new Set(['raw_exec', 'mock_driver']);
const STATUS_TEXT: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 405: 'Method Not Allowed' };

/** cstructs.AllocExecRequest, as far as the RPCs read it. */
export interface ExecArgs {
  alloc: string;
  /** The job the allocation must belong to (job action); empty for exec, which names none. */
  job: string;
  /** The request's namespace (s.parse), where that job is looked up. */
  namespace: string;
  task: string;
  /** The command (exec); empty for an action, which the client turns into one. */
  cmd: string[];
  /** The job action to run (job action); empty for exec. */
  action: string;
  tty: boolean;
}
/** The agent's reading of a route's query before the upgrade: HttpError with its answer. */
export type ReadArgs = (req: FastifyRequest) => ExecArgs;

interface Refusal {
  code: number;
  reason: string;
}
interface Session {
  drop(): void;
  /** After a write to the allocations: ends the process if its task stopped running. */
  check(): void;
}

/** The agent's `tty` parameter: strconv.ParseBool when present, its error a 500. */
export function ttyParam(q: Query): boolean {
  const raw = q.tty ?? '';
  const tty = raw === '' ? false : parseGoBool(raw);
  if (tty === null) throw new HttpError(500, `tty value is not a boolean: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
  return tty;
}

/** The agent's query options (s.parse), whose error it writes and then goes on to upgrade anyway. */
function queryProblem(req: FastifyRequest, ctx: RouteContext): HttpError | null {
  try {
    parseQueryOptions(req.query as Query, ctx.config.region);
    return null;
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
}

const tokens = (v: string | string[] | undefined): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((s) => s.split(',')).map((t) => t.trim().toLowerCase());

/** gorilla/websocket's Upgrader checks, in its order: null when the handshake is acceptable. */
function handshakeRefusal(req: FastifyRequest): { status: number; reason: string } | null {
  const h = req.headers;
  const notWs = 'websocket: the client is not using the websocket protocol: ';
  if (!tokens(h.connection).includes('upgrade')) return { status: 400, reason: `${notWs}'upgrade' token not found in 'Connection' header` };
  if (!tokens(h.upgrade).includes('websocket')) return { status: 400, reason: `${notWs}'websocket' token not found in 'Upgrade' header` };
  if (req.method !== 'GET') return { status: 405, reason: `${notWs}request method is not GET` };
  if (!tokens(h['sec-websocket-version']).includes('13')) return { status: 400, reason: "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header" };
  const origin = h.origin;
  if (origin !== undefined) {
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host === null || host.toLowerCase() !== (h.host ?? '').toLowerCase()) return { status: 403, reason: 'websocket: request origin not allowed by Upgrader.CheckOrigin' };
  }
  if (!/^[A-Za-z0-9+/]{22}==$/.test(h['sec-websocket-key'] ?? '')) {
    return { status: 400, reason: "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header must be Base64 encoded value of 16-byte in length" };
  }
  return null;
}

/** gorilla's refusal (http.Error with the status text) followed by the agent's own error text. */
function refuse(reply: FastifyReply, status: number, reason: string, before: HttpError | null): FastifyReply {
  const text = `${STATUS_TEXT[status]}\nfailed to upgrade connection: ${reason}`;
  reply.type('text/plain; charset=utf-8');
  // The query error was written first: its status stands, and gorilla's headers come too late.
  if (before) return reply.code(before.status).send(before.message + text);
  return reply.code(status).header('Sec-Websocket-Version', '13').header('X-Content-Type-Options', 'nosniff').send(text);
}

/**
 * The answer to a request that is not upgraded (not a GET, not a websocket handshake): the route's
 * own query checks, the query options' error, then gorilla's refusal.
 */
export function refuseUnupgraded(ctx: RouteContext, readArgs: ReadArgs): (req: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (req, reply) => {
    readArgs(req);
    const before = queryProblem(req, ctx);
    const refusal = handshakeRefusal(req) ?? { status: 400, reason: "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header" };
    return refuse(reply, refusal.status, refusal.reason, before);
  };
}

const started = (at: unknown): boolean => typeof at === 'string' && at !== '' && !at.startsWith('0001-01-01');

/** The task of the alloc's own job (Allocation.LookupTask). */
function lookupTask(alloc: Obj, name: string): Obj | undefined {
  const job = (alloc.Job ?? {}) as Obj;
  const group = ((job.TaskGroups ?? []) as Obj[]).find((g) => g.Name === alloc.TaskGroup);
  return ((group?.Tasks ?? []) as Obj[]).find((t) => t.Name === name);
}

/** The client's turning of an action into its command line: [Command, ...Args], or its error. */
function actionCommand(alloc: Obj, args: ExecArgs): string[] | Refusal {
  const task = lookupTask(alloc, args.task);
  if (!task) return { code: CLOSE_POLICY, reason: `task ${args.task} not found in allocation ${String(alloc.ID)}` };
  const action = ((task.Actions ?? []) as Obj[]).find((a) => a.Name === args.action);
  if (!action) return { code: CLOSE_POLICY, reason: `action ${args.action} not found in task ${args.task}` };
  const rest = Array.isArray(action.Args) ? (action.Args as unknown[]).map(String) : [];
  return [String(action.Command ?? ''), ...rest];
}

/** The RPCs' checks after the upgrade, server then client, each with its close code and text. */
function findTarget(ctx: RouteContext, args: ExecArgs, token: string): Refusal | { target: ExecTarget; cmd: string[] } {
  const denied: Refusal = { code: CLOSE_INTERNAL, reason: 'Permission denied' };
  let acl: Acl | null = null;
  if (ctx.config.acl) {
    const res = resolveSecret(ctx.store, token);
    if (!res.ok) return denied;
    acl = res.acl;
  }
  // Only a job action can name no allocation (its `allocID` parameter); exec's path always does.
  if (args.alloc === '') return { code: CLOSE_POLICY, reason: 'missing AllocID' };
  const alloc = ctx.store.allocs.get(args.alloc);
  if (!alloc) return { code: CLOSE_POLICY, reason: `Unknown allocation ${JSON.stringify(args.alloc)}` };
  const ns = typeof alloc.Namespace === 'string' ? alloc.Namespace : 'default';
  if (acl && !acl.allowNs(ns, 'alloc-exec')) return denied;
  // A job action names its job: it must exist in the request's namespace and own the allocation.
  if (args.job !== '') {
    if (!ctx.store.jobs.get(jobKey(args.namespace, args.job))) return { code: CLOSE_POLICY, reason: `job ${args.job} not found in namespace ${args.namespace}` };
    if (args.job !== alloc.JobID) return { code: CLOSE_POLICY, reason: `job ${args.job} does not have allocation ${String(alloc.ID)}` };
  }
  const nodeId = typeof alloc.NodeID === 'string' ? alloc.NodeID : '';
  const node = ctx.store.nodes.get(nodeId);
  if (!node) return { code: CLOSE_POLICY, reason: `Unknown node ${JSON.stringify(nodeId)}` };
  if (node.Status === 'down' || node.Status === 'disconnected') return { code: CLOSE_POLICY, reason: 'No path to node' };
  if (args.task === '') return { code: CLOSE_POLICY, reason: 'must provide task name' };
  // The client turns an action into its command (its job check repeats the server's).
  let cmd = args.cmd;
  if (args.action !== '') {
    const line = actionCommand(alloc, args);
    if (!Array.isArray(line)) return line;
    cmd = line;
  }
  if (cmd.length === 0) return { code: CLOSE_POLICY, reason: 'command is not present' };
  const job = (alloc.Job ?? {}) as Obj;
  const task = lookupTask(alloc, args.task);
  if (!task) return { code: CLOSE_INTERNAL, reason: 'task not found' };
  if (acl && NO_FS_ISOLATION.has(String(task.Driver)) && !acl.allowNs(ns, 'alloc-node-exec')) return denied;
  // The client checks its own task state, which may be ahead of the server's.
  const seen = ctx.sim ? ctx.sim.client.view(alloc) : alloc;
  const state = (seen.TaskStates as Record<string, Obj> | null | undefined)?.[args.task];
  const quoted = JSON.stringify(args.task);
  if (!state) return { code: CLOSE_POLICY, reason: `unknown task name ${quoted}` };
  if (!started(state.StartedAt)) return { code: CLOSE_POLICY, reason: `task ${quoted} not started yet.` };
  if (state.State !== 'running') return { code: CLOSE_POLICY, reason: `task ${quoted} is not running.` };
  return { target: { task, env: taskEnv(ctx, alloc, job, task, node), hostname: String(node.Name ?? '') }, cmd };
}

/** The environment a task's exec sees: the NOMAD_* variables, the task's own `env`, a PATH. */
function taskEnv(ctx: RouteContext, alloc: Obj, job: Obj, task: Obj, node: Obj): [string, string][] {
  const env: Record<string, string> = {
    NOMAD_ALLOC_DIR: '/alloc',
    NOMAD_ALLOC_ID: String(alloc.ID),
    NOMAD_ALLOC_INDEX: /\[(\d+)\]$/.exec(String(alloc.Name ?? ''))?.[1] ?? '0',
    NOMAD_ALLOC_NAME: String(alloc.Name ?? ''),
    NOMAD_DC: String(node.Datacenter ?? ''),
    NOMAD_GROUP_NAME: String(alloc.TaskGroup ?? ''),
    NOMAD_JOB_ID: String(alloc.JobID ?? ''),
    NOMAD_JOB_NAME: String(job.Name ?? alloc.JobID ?? ''),
    NOMAD_NAMESPACE: String(alloc.Namespace ?? 'default'),
    NOMAD_REGION: String(job.Region ?? ctx.config.region),
    NOMAD_SECRETS_DIR: '/secrets',
    NOMAD_TASK_DIR: '/local',
    NOMAD_TASK_NAME: String(task.Name),
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  };
  const own = task.Env && typeof task.Env === 'object' ? (task.Env as Obj) : {};
  for (const [k, v] of Object.entries(own)) if (typeof v === 'string') env[k] = v;
  return Object.entries(env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** One upgraded connection: the handshake frame if asked for, the checks, then the process. */
function openSession(socket: WebSocket, req: FastifyRequest, ctx: RouteContext, sessions: Set<Session>, readArgs: ReadArgs): void {
  req.server.recordResponse?.(req, 101);
  let args: ExecArgs;
  try {
    args = readArgs(req); // checked before the upgrade; cannot fail here
  } catch {
    socket.terminate();
    return;
  }
  let proc: ExecProcess | null = null;
  let over = false;
  let awaitingHandshake = false;
  let idle: NodeJS.Timeout | undefined;
  const session: Session = { drop: () => end(null), check: () => undefined };
  sessions.add(session);

  /** Ends the session: a close frame with `close`, or the connection dropped without one. */
  function end(close: Refusal | null): void {
    if (over) return;
    over = true;
    sessions.delete(session);
    clearTimeout(idle);
    proc?.kill();
    proc = null;
    if (socket.readyState !== socket.OPEN) return;
    if (!close || Buffer.byteLength(close.reason) > MAX_REASON_BYTES) socket.terminate();
    else socket.close(close.code, close.reason);
  }
  const touch = (): void => {
    clearTimeout(idle);
    // Nomad keeps an idle session forever; a shared mock must not (src/limits.ts).
    idle = setTimeout(() => ctx.clock.guard.run('alloc exec idle limit', () => end({ code: CLOSE_GOING_AWAY, reason: 'exec session idle' })), ctx.limits.execIdleMs);
    idle.unref();
  };
  const send = (msg: object, always = false): void => {
    if (over || socket.readyState !== socket.OPEN) return;
    if (!always && socket.bufferedAmount > ctx.limits.execBufferedBytes) return;
    socket.send(JSON.stringify(msg));
    touch();
  };
  const io: ExecIO = {
    stdout: (d) => send({ stdout: { data: d.toString('base64') } }),
    stderr: (d) => send({ stderr: { data: d.toString('base64') } }),
    exit: (code) => {
      send({ stdout: { close: true } }, true);
      send({ stderr: { close: true } }, true);
      // The plugin protocol's ExitResult leaves a zero exit_code out.
      send({ exited: true, result: code === 0 ? {} : { exit_code: code } }, true);
      end({ code: CLOSE_NORMAL, reason: '' });
    },
  };

  const begin = (token: string): void => {
    const found = findTarget(ctx, args, token);
    if ('code' in found) return end(found);
    const p = startExec(found.target, found.cmd, args.tty, io, ctx.clock);
    if (over) return p.kill();
    proc = p;
    // The exec'd process dies with its task, killed (SIGKILL: 128 + 9).
    session.check = () => {
      const alloc = ctx.store.allocs.get(args.alloc);
      const seen = alloc && ctx.sim ? ctx.sim.client.view(alloc) : alloc;
      const state = (seen?.TaskStates as Record<string, Obj> | null | undefined)?.[args.task];
      if (state?.State === 'running') return;
      proc?.kill();
      proc = null;
      io.exit(KILLED);
    };
  };

  socket.on('close', () => end(null));
  socket.on('message', (data: RawData) => {
    if (over) return;
    touch();
    const raw = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    if (awaitingHandshake) {
      awaitingHandshake = false;
      const h = decodeHandshake(raw);
      return 'error' in h ? end({ code: CLOSE_POLICY, reason: h.error }) : begin(h.token);
    }
    if (!proc) return;
    const frame = decodeRequestFrame(raw);
    if ('error' in frame) return end({ code: CLOSE_INTERNAL, reason: frame.error });
    if (frame.kind === 'stdin') proc.stdin(frame.data);
    else if (frame.kind === 'close') proc.closeStdin();
    else if (frame.kind === 'resize') proc.resize(frame.height, frame.width);
  });
  touch();

  const hs = (req.query as Query).ws_handshake ?? '';
  const wantsHandshake = hs === '' ? false : parseGoBool(hs);
  if (wantsHandshake === null) {
    return end({ code: CLOSE_POLICY, reason: `ws_handshake value is not a boolean: strconv.ParseBool: parsing ${JSON.stringify(hs)}: invalid syntax` });
  }
  if (wantsHandshake) awaitingHandshake = true;
  else begin(headerToken(req));
}

export interface ExecRoute {
  url: string;
  /** Router constraints, for a websocket route sharing its URL pattern with a plain one. */
  constraints?: Record<string, string>;
  readArgs: ReadArgs;
}

/**
 * Mounts an exec-session route in the websocket scope: a GET that upgrades runs a session, any
 * other request gets the plain refusal. Its open sessions end with a reset or restore (a restarted
 * agent to its clients) and their processes with their tasks.
 */
export function mountExecRoute(app: App, ctx: RouteContext, route: ExecRoute): void {
  const sessions = new Set<Session>();
  const dropAll = (): void => {
    for (const s of [...sessions]) s.drop();
  };
  const unsubscribe = ctx.store.onReplace(dropAll);
  const unwatch = ctx.store.onCommit((_index, touched) => {
    if (sessions.size === 0 || !touched.has('allocs')) return;
    for (const s of [...sessions]) ctx.clock.guard.run('alloc exec task check', () => s.check());
  });
  app.addHook('preClose', (done) => {
    unsubscribe();
    unwatch();
    dropAll();
    done();
  });

  // Nomad authenticates exec inside the stream, after the upgrade: no token is needed to get there.
  const acl: AclDecl = () => null;
  const refusal = refuseUnupgraded(ctx, route.readArgs);
  const plain = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => refusal(req, reply);
  websocketScope(app, (scope) => {
    const options = {
      url: route.url,
      ...(route.constraints ? { constraints: route.constraints } : {}),
      config: { acl },
      // An upgrade is answered in HTTP only when it is refused; the agent's checks come first.
      preHandler: async (req: FastifyRequest, reply: FastifyReply) => {
        if (!req.ws) return;
        route.readArgs(req);
        const before = queryProblem(req, ctx);
        if (before) throw before;
        const refused = handshakeRefusal(req);
        if (refused) return refuse(reply, refused.status, refused.reason, null);
      },
      handler: plain,
      wsHandler: (socket: WebSocket, req: FastifyRequest) => openSession(socket, req, ctx, sessions, route.readArgs),
    };
    // Only a GET can be an upgrade (UpgradeGate); the other methods get the plain answer.
    if (everyMethodInOneTree(scope)) {
      scope.route({ ...options, method: scope.supportedMethods });
    } else {
      scope.route({ ...options, method: 'GET' });
      // A constrained route stands beside a plain one that answers the other methods itself.
      if (!route.constraints) scope.route({ method: scope.supportedMethods.filter((m) => m !== 'GET'), url: route.url, config: { acl }, handler: plain });
    }
  });
}
