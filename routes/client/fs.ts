// `/v1/client/fs/{ls,stat,readat,cat,stream,logs}/:alloc_id` over the simulated allocation
// directory (state/allocdir). Nomad's FsRequest takes any method and dispatches on the path; the
// agent checks its parameters first (command/agent/fs_endpoint.go), then the server finds the
// allocation (404 `Unknown allocation "<id>"`) and checks read-fs (logs: read-fs or read-logs) in the
// allocation's namespace, then the client answers (client/fs_endpoint.go, client/allocdir).
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { decodePath } from '../http/path.js';
import { sendJson } from '../http/reply.js';
import { ErrorText } from '../http/schemas.js';
import { goQueryValues } from '../events/index.js';
import { nsCheck, type AclDecl } from '../acl/rules.js';
import { AllocDir, FsError, detectContentType } from '../../state/allocdir/tree.js';
import { goQuote } from '../../state/format.js';
import { parseGoBool, parseGoInt } from '../../state/godur.js';
import type { Obj } from '../../state/types.js';
import { FileSource, LogSource, findClosest, fsStreamLifecycle, runStream } from './fs-stream.js';

const PREFIX = '/v1/client/fs/';
const KINDS = ['ls', 'stat', 'readat', 'cat', 'stream', 'logs'] as const;
type Kind = (typeof KINDS)[number];

interface FsRequest {
  kind: Kind;
  allocId: string;
  path: string;
  offset: number;
  limit: number;
  origin: 'start' | 'end';
  follow: boolean;
  plain: boolean;
  task: string;
  type: 'stdout' | 'stderr';
}

/** strconv.ParseInt(s, 10, 64) or Go's error text. */
function parseInt64(s: string): number | string {
  const n = parseGoInt(s);
  if (n !== null) return n;
  const why = /^[+-]?[0-9]+$/.test(s) ? 'value out of range' : 'invalid syntax';
  return `strconv.ParseInt: parsing ${goQuote(s)}: ${why}`;
}

const boolText = (s: string): string => `strconv.ParseBool: parsing ${goQuote(s)}: invalid syntax`;

/** The agent's own checks, in its order (fs_endpoint.go); errors are its CodedErrors or plain 500s. */
export function parseFsRequest(req: FastifyRequest): FsRequest {
  const url = req.raw.url ?? '';
  const rest = decodePath(url).slice(PREFIX.length);
  const kind = KINDS.find((k) => rest.startsWith(`${k}/`));
  if (!kind) throw new HttpError(404, 'Invalid method');
  const allocId = rest.slice(kind.length + 1);
  if (allocId === '') throw new HttpError(400, 'must provide a valid alloc id');
  const values = goQueryValues(url);
  const get = (k: string): string => values.get(k)?.[0] ?? '';
  const out: FsRequest = { kind, allocId, path: get('path'), offset: 0, limit: 0, origin: 'start', follow: false, plain: true, task: '', type: 'stdout' };
  const origin = (code: number): void => {
    const o = get('origin');
    if (o !== '' && o !== 'start' && o !== 'end') throw new HttpError(code, 'origin must be start or end');
    out.origin = o === 'end' ? 'end' : 'start';
  };
  if (kind === 'ls') {
    if (out.path === '') out.path = '/';
    return out;
  }
  if (kind !== 'logs' && out.path === '') throw new HttpError(400, 'must provide a file name');
  if (kind === 'readat') {
    const off = parseInt64(get('offset'));
    if (typeof off === 'string') throw new HttpError(500, `error parsing offset: ${off}`);
    out.offset = off;
    if (get('limit') !== '') {
      const lim = parseInt64(get('limit'));
      if (typeof lim === 'string') throw new HttpError(500, `error parsing limit: ${lim}`);
      out.limit = lim;
    }
  } else if (kind === 'stream') {
    out.follow = true;
    out.plain = false;
    if (get('follow') !== '') {
      const f = parseGoBool(get('follow'));
      if (f === null) throw new HttpError(500, `failed to parse follow field to boolean: ${boolText(get('follow'))}`);
      out.follow = f;
    }
    if (get('offset') !== '') {
      const off = parseInt64(get('offset'));
      if (typeof off === 'string') throw new HttpError(500, `error parsing offset: ${off}`);
      out.offset = off;
    }
    origin(400);
  } else if (kind === 'logs') {
    out.task = get('task');
    if (out.task === '') throw new HttpError(400, 'must provide task name');
    out.plain = false;
    for (const name of ['follow', 'plain'] as const) {
      if (get(name) === '') continue;
      const v = parseGoBool(get(name));
      if (v === null) throw new HttpError(400, `failed to parse ${name} field to boolean: ${boolText(get(name))}`);
      out[name] = v;
    }
    const type = get('type');
    if (type !== 'stdout' && type !== 'stderr') throw new HttpError(400, 'must provide log type (stdout/stderr)');
    out.type = type;
    if (get('offset') !== '') {
      const off = parseInt64(get('offset'));
      if (typeof off === 'string') throw new HttpError(400, `error parsing offset: ${off}`);
      out.offset = off;
    }
    origin(400);
  }
  return out;
}

/**
 * read-fs (logs: read-fs or read-logs) in the allocation's namespace. A request the agent refuses,
 * or one for an allocation that does not exist, is answered before any token is looked at.
 */
function fsRule(ctx: RouteContext): AclDecl {
  return (req) => {
    let parsed: FsRequest;
    try {
      parsed = parseFsRequest(req);
    } catch {
      return null;
    }
    const alloc = ctx.store.allocs.get(parsed.allocId);
    if (!alloc) return null;
    const caps = parsed.kind === 'logs' ? ['read-fs', 'read-logs'] : ['read-fs'];
    return { check: nsCheck(caps, String(alloc.Namespace)) };
  };
}

/** The allocation as its client sees it, or the server's and client's errors. */
function clientAlloc(ctx: RouteContext, id: string): Obj {
  const alloc = ctx.store.allocs.get(id);
  if (!alloc) throw new HttpError(404, `Unknown allocation ${goQuote(id)}`);
  const node = ctx.store.nodes.get(String(alloc.NodeID));
  if (!node || node.Status === 'down' || node.Status === 'disconnected') throw new HttpError(404, 'No path to node');
  // The client has no runner for an allocation it has not picked up yet.
  const seen = ctx.sim ? ctx.sim.client.view(alloc) : alloc;
  if (!seen.TaskStates) throw new HttpError(404, `Unknown allocation ${goQuote(id)}`);
  return seen;
}

/** Go's %q of an int64 offset: a rune literal, U+FFFD for values that are no rune. */
const goRuneQuote = (n: number): string => (n >= 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff) ? JSON.stringify(String.fromCodePoint(n)).replace(/^"|"$/g, "'") : "'\uFFFD'");

const Query = Type.Object(
  {
    path: Type.Optional(Type.String()),
    offset: Type.Optional(Type.String()),
    limit: Type.Optional(Type.String()),
    origin: Type.Optional(Type.String({ description: 'start | end' })),
    follow: Type.Optional(Type.String()),
    plain: Type.Optional(Type.String()),
    task: Type.Optional(Type.String()),
    type: Type.Optional(Type.String({ description: 'stdout | stderr' })),
  },
  { additionalProperties: true },
);

export function fsRoutes(app: App, ctx: RouteContext): void {
  fsStreamLifecycle(app, ctx);
  // Nomad's FsRequest checks no method.
  app.all(`${PREFIX}*`, { schema: { querystring: Query, response: { '4xx': ErrorText, '5xx': ErrorText } }, config: { acl: fsRule(ctx) } }, async (req, reply) => {
    const r = parseFsRequest(req);
    const alloc = clientAlloc(ctx, r.allocId);
    const dir = new AllocDir(alloc, ctx.store.nowNs());
    if (r.kind === 'ls' || r.kind === 'stat') {
      try {
        return sendJson(req, reply, r.kind === 'ls' ? dir.list(r.path) : dir.stat(r.path));
      } catch (err) {
        if (err instanceof FsError) throw new HttpError(err.missing ? 404 : 500, err.message);
        throw err;
      }
    }
    if (r.kind === 'logs') {
      const source = logSource(r, dir);
      const contentType = r.plain ? 'text/plain' : 'application/json';
      return runStream(app, ctx, reply.hijack().raw, source, { allocId: r.allocId, plain: r.plain, heartbeats: true, contentType });
    }

    // FileSystem.Stream: stat (errors are 400s), refuse directories, place the offset, open.
    let size: number;
    try {
      const info = dir.stat(r.path);
      if (info.IsDir) throw new HttpError(400, `file ${goQuote(r.path)} is a directory`);
      size = info.Size;
    } catch (err) {
      if (err instanceof FsError) throw new HttpError(400, err.message);
      throw err;
    }
    let offset = r.offset;
    if (r.origin === 'end') offset = Math.max(0, size - offset);
    const file = dir.open(r.path);
    if (offset < 0) throw new HttpError(500, `can't seek to offset ${goRuneQuote(offset)}: seek ${file.abs}: invalid argument`);
    let contentType: string | null = null;
    if (r.kind !== 'stream') {
      // cat and readat go through Nomad's no-XSS writer: sniffed from the first bytes, never a renderable type.
      const head = file.read(offset, Math.min(512, r.limit > 0 ? r.limit : 512));
      contentType = head.length === 0 ? null : detectContentType(head);
      if (contentType !== null && /^text\/(html|xml)/.test(contentType)) contentType = 'text/plain';
    } else contentType = 'text/plain; charset=utf-8';
    const source = new FileSource(r.path, file, offset, r.kind === 'readat' ? r.limit : 0, r.follow);
    runStream(app, ctx, reply.hijack().raw, source, { allocId: r.allocId, plain: r.plain, heartbeats: r.kind === 'stream', contentType });
  });

  /** FileSystem.Logs: the task's state, then its log files, then where findClosest starts reading. */
  function logSource(r: FsRequest, dir: AllocDir): LogSource {
    const state = dir.taskState(r.task);
    if (!state) throw new HttpError(400, `unknown task name ${goQuote(r.task)}`);
    if (!state.StartedAt) throw new HttpError(404, `task ${goQuote(r.task)} not started yet. No logs available`);
    const files = dir.logFiles(r.task, r.type);
    if (files.length === 0) throw new HttpError(404, `log entry for task ${goQuote(r.task)} and log type ${goQuote(r.type)} not found`);
    const start = r.origin === 'end' ? findClosest(files, Number.MAX_SAFE_INTEGER, -r.offset) : findClosest(files, 0, r.offset);
    return new LogSource(r.task, r.type, files, start, r.follow);
  }
}
