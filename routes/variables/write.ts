// `PUT|POST /v1/var/:path` (command/agent/variable_endpoint.go): plain and check-and-set writes, and
// the lock operations `?lock-acquire`, `?lock-renew`, `?lock-release`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { decodeBody } from '../http/body.js';
import { sendJson, setWriteIndex } from '../http/reply.js';
import { writeNamespace, type Query } from '../http/query.js';
import { denied, requestAcl } from '../acl/authorize.js';
import { parseGoDuration } from '../../state/godur.js';
import { applyVariable, lockToRenew, ERR_VAR_IS_LOCKED, type ApplyResult, type LockInput, type VarOp } from '../../state/variables/ops.js';
import { decryptedView, metadataView, type VariableRecord } from '../../state/variables/table.js';
import type { LockTimers } from '../../state/variables/locks.js';
import { RpcError } from '../../state/errors.js';
import type { Obj } from '../../state/types.js';

const LOCK_OPS = ['lock-renew', 'lock-acquire', 'lock-release'] as const;
type LockOp = (typeof LOCK_OPS)[number];

const has = (q: Query, key: string): boolean => Object.prototype.hasOwnProperty.call(q, key);

/** getLockOperation: at most one of the three lock parameters, by presence. */
export function lockOperation(q: Query): LockOp | '' {
  const given = LOCK_OPS.filter((op) => has(q, op));
  if (given.length > 1) throw new HttpError(400, 'multiple lock operations');
  return given[0] ?? '';
}

/** parseCAS: a non-empty `cas` must be a uint64. */
export function parseCas(q: Query): number | null {
  const raw = q.cas;
  if (raw === undefined || raw === '') return null;
  if (/^[0-9]+$/.test(raw)) {
    if (BigInt(raw) <= 18446744073709551615n) return Number(raw);
    throw new HttpError(400, `can not parse cas: strconv.ParseUint: parsing ${JSON.stringify(raw)}: value out of range`);
  }
  throw new HttpError(400, `can not parse cas: strconv.ParseUint: parsing ${JSON.stringify(raw)}: invalid syntax`);
}

const KIND: Record<string, string> = { string: 'string', number: 'number', boolean: 'bool', object: 'object' };
const jsonKind = (v: unknown): string => (Array.isArray(v) ? 'array' : (KIND[typeof v] ?? 'object'));

/** A duration field of VariableLock.UnmarshalJSON: a Go duration string or nanoseconds. */
function lockDuration(v: unknown, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string') {
    const ns = parseGoDuration(v);
    if (ns === null) throw new HttpError(400, `time: invalid duration ${JSON.stringify(v)}`);
    return ns;
  }
  throw new HttpError(400, `json: cannot unmarshal ${jsonKind(v)} into Go struct field .${field} of type time.Duration`);
}

/** The body's `Lock` (VariableLock has its own JSON form: durations as strings, keys case-folded). */
export function bodyLock(raw: unknown): LockInput | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new HttpError(400, `json: cannot unmarshal ${jsonKind(raw)} into Go struct field VariableDecrypted.Lock of type structs.VariableLock`);
  }
  const fields = new Map(Object.entries(raw as Obj).map(([k, v]) => [k.toUpperCase(), v]));
  const id = fields.get('ID');
  if (id !== undefined && id !== null && typeof id !== 'string') {
    throw new HttpError(400, `json: cannot unmarshal ${jsonKind(id)} into Go struct field .ID of type string`);
  }
  return { ID: (id as string | undefined) ?? '', TTL: lockDuration(fields.get('TTL'), 'TTL'), LockDelay: lockDuration(fields.get('LOCKDELAY'), 'LockDelay') };
}

interface VariableBody {
  Namespace?: string;
  Items?: Record<string, string> | null;
  Lock?: unknown;
}

/** The agent's checks of a write, in its order (they run before the server authenticates). */
export function checkWrite(req: FastifyRequest): { op: LockOp | ''; cas: number | null; body: VariableBody; lock: LockInput | null } {
  const q = req.query as Query;
  const op = lockOperation(q);
  if (op !== '' && q.cas !== undefined && q.cas !== '') throw new HttpError(400, "CAS can't be used with lock operations");
  const body = (decodeBody(req, 'VariableDecrypted') as VariableBody | null) ?? {};
  const lock = bodyLock(body.Lock);
  if (op === '' && Object.keys(body.Items ?? {}).length === 0) throw new HttpError(400, 'variable missing required Items object');
  const cas = op === '' ? parseCas(q) : null;
  return { op, cas, body, lock };
}

/** How a write answers: its variable (200), or the conflicting one (409) with Nomad's redaction. */
export interface WriteContext {
  ctx: RouteContext;
  timers: LockTimers;
}

const ZERO_TIME = (v: VariableRecord): boolean => v.ModifyIndex === 0 && v.CreateIndex === 0;

/** The conflict body: metadata only when the caller may not read the path, no items for a zero value. */
export function conflictView(req: FastifyRequest, v: VariableRecord): Obj {
  const acl = requestAcl(req);
  const canRead = !acl || acl.allowVariable(v.Namespace, v.Path, 'read');
  return decryptedView(v, canRead && !ZERO_TIME(v) ? v.Items : null);
}

/** Runs an apply, turning its RpcErrors into the agent's answer (with `X-Nomad-Index: 0`). */
function run(reply: FastifyReply, fn: () => ApplyResult): ApplyResult {
  try {
    return fn();
  } catch (err) {
    if (err instanceof RpcError || err instanceof HttpError) setWriteIndex(reply, 0);
    throw err;
  }
}

export function handleWrite(w: WriteContext, req: FastifyRequest, reply: FastifyReply, path: string): FastifyReply {
  const { op, cas, body, lock } = checkWrite(req);
  const q = req.query as Query;
  if (op === 'lock-renew') return renew(w, req, reply, path, q.namespace || 'default', lock);
  const namespace = writeNamespace(q, body.Namespace || undefined);
  const acl = requestAcl(req);
  if (acl && !acl.allowVariable(namespace, path, 'write')) {
    setWriteIndex(reply, 0);
    throw denied();
  }
  const varOp: VarOp = op !== '' ? op : cas !== null ? 'cas' : 'set';
  const items = body.Items ?? null;
  const res = run(reply, () => applyVariable(w.ctx.store, { op: varOp, namespace, path, items, lock, checkIndex: cas ?? 0 }));
  if (res.result === 'conflict') {
    // Lock operations answer with their apply's index, the others with the conflict's.
    setWriteIndex(reply, op !== '' ? w.ctx.store.index : res.conflict.ModifyIndex);
    return sendJson(req, reply, conflictView(req, res.conflict), undefined, 409);
  }
  const written = res.written!;
  if (varOp === 'lock-acquire') w.timers.create(written);
  if (varOp === 'lock-release') w.timers.remove(lock!.ID);
  setWriteIndex(reply, res.index);
  // The writer sees what it wrote; the lock only when it holds it (or manages the cluster).
  const owner = varOp === 'lock-acquire' || (!!lock && lock.ID === written.Lock?.ID);
  return sendJson(req, reply, decryptedView(written, items, !acl || acl.management || owner));
}

/** Variables.RenewLock: the holder keeps its lease; answers the variable's metadata. */
function renew(w: WriteContext, req: FastifyRequest, reply: FastifyReply, path: string, namespace: string, lock: LockInput | null): FastifyReply {
  const acl = requestAcl(req);
  if (acl && !acl.allowVariable(namespace, path, 'write')) throw denied();
  const v = lockToRenew(w.ctx.store, namespace, path, lock?.ID ?? '');
  // The TTL ran out: the lock waits for its delay and can no longer be renewed.
  if (!w.timers.renew(v.Lock!.ID)) throw new RpcError(ERR_VAR_IS_LOCKED);
  return sendJson(req, reply, metadataView(v));
}
