// Variables.Apply (nomad/variables_endpoint.go) over the variables table: validation with
// structs/variables.go's texts, then the state store's set, check-and-set, delete and lock
// operations (state_store_variables.go), conflicts answered with the conflicting variable.
import { RpcError } from '../errors.js';
import { formatMultiError } from '../jobspec/multierror.js';
import type { Store, Txn } from '../store.js';
import { VARIABLES_TABLE, getVariable, metadataView, variableKey, variablesTable, type VariableLock, type VariableRecord } from './table.js';

export type VarOp = 'set' | 'cas' | 'delete' | 'delete-cas' | 'lock-acquire' | 'lock-release';

/** The lock as a request gives it: any field may be missing. Durations in nanoseconds. */
export interface LockInput {
  ID: string;
  TTL: number;
  LockDelay: number;
}

export interface ApplyRequest {
  op: VarOp;
  namespace: string;
  path: string;
  items: Record<string, string> | null;
  lock: LockInput | null;
  /** The `cas` index for `cas` and `delete-cas`. */
  checkIndex: number;
}

export type ApplyResult =
  | { result: 'ok'; index: number; written: VariableRecord | null }
  /** `conflict` is the stored variable, or a zero value naming only namespace and path. */
  | { result: 'conflict'; conflict: VariableRecord };

const MAX_VARIABLE_SIZE = 65536;
const MIN_LOCK_TTL_NS = 10e9;
const MAX_LOCK_TTL_NS = 24 * 3600e9;
const DEFAULT_LOCK_TTL_NS = 15e9;
const DEFAULT_LOCK_DELAY_NS = 15e9;
const VALID_PATH = /^[a-zA-Z0-9\-_~/]{1,128}$/;

export const ERR_VAR_NOT_FOUND = "variable doesn't exist";
export const ERR_LOCK_NOT_FOUND = "variable doesn't hold a lock";
export const ERR_VAR_IS_LOCKED = 'attempting to modify locked variable';

const goQuote = (s: string): string => JSON.stringify(s);

/** structs.ValidatePath. */
export function validatePath(path: string): string | null {
  if (path.length === 0) return 'variable requires path';
  if (!VALID_PATH.test(path)) return `invalid path ${goQuote(path)}`;
  const parts = path.split('/');
  if (parts[0] !== 'nomad') return null;
  if (parts.length === 1) return '"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", "nomad/job-templates", or below';
  if (parts[1] === 'jobs') return null;
  if (parts[1] === 'job-templates' && parts.length === 3) return null;
  if (parts[1] === 'job-templates') return '"nomad/job-templates" is a reserved directory path, but you may write variables at the level below it, for example, "nomad/job-templates/template-name"';
  return 'only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the top-level "nomad" directory';
}

/** VariableItems.Size: bytes of every key and value. */
export const itemsSize = (items: Record<string, string>): number =>
  Object.entries(items).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);

/** VariableLock.Validate (a go-multierror). */
function validateLock(l: LockInput): string | null {
  const errs: string[] = [];
  if (l.LockDelay < 0 || l.TTL < 0) errs.push('Lock delay and TTL must be positive');
  if (l.TTL > MAX_LOCK_TTL_NS || l.TTL < MIN_LOCK_TTL_NS) errs.push('TTL must be between 10 seconds and 24 hours');
  return errs.length > 0 ? formatMultiError(errs) : null;
}

/** VariableLock.Canonicalize: a new lock gets an ID, unset durations their defaults. */
function canonicalLock(l: LockInput, newId: () => string): VariableLock {
  return { ID: l.ID || newId(), TTL: l.TTL || DEFAULT_LOCK_TTL_NS, LockDelay: l.LockDelay || DEFAULT_LOCK_DELAY_NS };
}

/** canonicalizeAndValidate of the RPC endpoint: the first problem, with Nomad's text. */
function validate(store: Store, req: ApplyRequest): VariableLock | null {
  const fail = (msg: string | null): void => {
    if (msg !== null) throw new RpcError(msg);
  };
  const items = req.items ?? {};
  switch (req.op) {
    case 'set':
    case 'cas': {
      if (req.namespace === '*') fail('can not target wildcard ("*")namespace');
      if (Object.keys(items).length === 0) fail('empty variables are invalid');
      if (itemsSize(items) > MAX_VARIABLE_SIZE) fail('variables are limited to 64KiB in total size');
      const lock = req.lock ? canonicalLock(req.lock, store.newId) : null;
      if (lock) fail(validateLock(lock));
      fail(validatePath(req.path));
      return lock;
    }
    case 'lock-acquire': {
      const lock = canonicalLock(req.lock ?? { ID: '', TTL: 0, LockDelay: 0 }, store.newId);
      if (req.namespace === '*') fail('can not target wildcard ("*")namespace');
      if (itemsSize(items) > MAX_VARIABLE_SIZE) fail('variables are limited to 64KiB in total size');
      fail(validateLock(lock));
      fail(validatePath(req.path));
      return lock;
    }
    case 'lock-release':
      if (!req.lock || req.lock.ID === '') fail('release requires all lock information');
      fail(validatePath(req.path));
      return null;
    case 'delete':
    case 'delete-cas':
      if (req.path === '') fail('delete requires a Path');
      return null;
  }
}

const zeroValue = (namespace: string, path: string): VariableRecord => ({
  Namespace: namespace,
  Path: path,
  Lock: null,
  CreateIndex: 0,
  CreateTime: 0,
  ModifyIndex: 0,
  ModifyTime: 0,
  Items: {},
});

const conflict = (v: VariableRecord): ApplyResult => ({ result: 'conflict', conflict: v });

/** A locked variable changes only for the holder of its lock. */
const lockedAgainst = (v: VariableRecord | undefined, lock: LockInput | null): boolean => !!v?.Lock && v.Lock.ID !== (lock?.ID ?? '');

function emitChange(tx: Txn, v: VariableRecord, deleted: boolean): void {
  tx.touch(VARIABLES_TABLE);
  tx.emit('Variable', v.Path, v.Namespace, null, { Metadata: metadataView(v), Deleted: deleted }, 'VariableUpdated');
}

/** Inserts or replaces a variable in one write and answers with the stored record. */
function put(store: Store, existing: VariableRecord | undefined, ns: string, path: string, items: Record<string, string>, lock: VariableLock | null): ApplyResult {
  return store.write((tx) => {
    const now = store.nowNs();
    const v: VariableRecord = {
      Namespace: ns,
      Path: path,
      Lock: lock,
      CreateIndex: existing ? existing.CreateIndex : tx.index,
      CreateTime: existing ? existing.CreateTime : now,
      ModifyIndex: tx.index,
      ModifyTime: now,
      Items: { ...items },
    };
    variablesTable(store).set(variableKey(ns, path), v);
    emitChange(tx, v, false);
    return { result: 'ok', index: tx.index, written: v };
  });
}

function remove(store: Store, existing: VariableRecord | undefined): ApplyResult {
  return store.write((tx) => {
    if (existing) {
      variablesTable(store).delete(variableKey(existing.Namespace, existing.Path));
      emitChange(tx, existing, true);
    }
    return { result: 'ok', index: tx.index, written: null };
  });
}

/**
 * Variables.Apply after its ACL check: validates, then performs `req.op`. Errors are RpcErrors
 * with Nomad's texts (the agent answers them 500); a conflict changes nothing.
 */
export function applyVariable(store: Store, req: ApplyRequest): ApplyResult {
  const lock = validate(store, req);
  const { namespace: ns, path } = req;
  const existing = getVariable(store, ns, path);
  const write = (): ApplyResult => {
    if (lockedAgainst(existing, req.lock)) return conflict(existing!);
    assertNamespace(store, ns, path);
    // The holder's update keeps the lock it holds; a plain write never creates one.
    return put(store, existing, ns, path, req.items ?? {}, existing?.Lock ?? null);
  };
  const destroy = (): ApplyResult => (lockedAgainst(existing, req.lock) ? conflict(existing!) : remove(store, existing));
  switch (req.op) {
    case 'cas':
      if (req.checkIndex === 0 && existing) return conflict(existing);
      if (req.checkIndex !== 0 && !existing) return conflict(zeroValue(ns, path));
      if (existing && existing.ModifyIndex !== req.checkIndex) return conflict(existing);
      return write();
    case 'set':
      return write();
    case 'delete-cas':
      if (req.checkIndex === 0 && !existing) return remove(store, undefined);
      if (req.checkIndex !== 0 && !existing) return conflict(zeroValue(ns, path));
      if (req.checkIndex === 0 || existing!.ModifyIndex !== req.checkIndex) return conflict(existing!);
      return destroy();
    case 'delete':
      return destroy();
    case 'lock-acquire': {
      if (existing?.Lock) return conflict(existing);
      assertNamespace(store, ns, path);
      const items = req.items && Object.keys(req.items).length > 0 ? req.items : (existing?.Items ?? {});
      return put(store, existing, ns, path, items, lock);
    }
    case 'lock-release':
      if (!existing) throw new RpcError(ERR_VAR_NOT_FOUND);
      if (!existing.Lock) throw new RpcError(ERR_LOCK_NOT_FOUND);
      if (existing.Lock.ID !== req.lock!.ID) return conflict(existing);
      return put(store, existing, ns, path, existing.Items, null);
  }
}

function assertNamespace(store: Store, ns: string, path: string): void {
  if (!store.namespaces.has(ns)) throw new RpcError(`variable ${goQuote(path)} is in nonexistent namespace ${goQuote(ns)}`);
}

/**
 * Variables.RenewLock's checks on the stored variable (the TTL timer is checked by the caller):
 * the variable must exist, hold a lock, and the caller must name that lock.
 */
export function lockToRenew(store: Store, namespace: string, path: string, lockId: string): VariableRecord {
  if (lockId === '') throw new RpcError('missing lock ID');
  if (path === '') throw new RpcError('missing path');
  const v = getVariable(store, namespace, path);
  if (!v) throw new RpcError(ERR_VAR_NOT_FOUND);
  if (!v.Lock) throw new RpcError(ERR_LOCK_NOT_FOUND);
  if (v.Lock.ID !== lockId) throw new RpcError(ERR_VAR_IS_LOCKED);
  return v;
}

/** The lock delay after an expired TTL has passed: the lock goes, if it is still the same lock. */
export function expireLock(store: Store, namespace: string, path: string, lockId: string): void {
  const v = getVariable(store, namespace, path);
  if (!v?.Lock || v.Lock.ID !== lockId) return;
  put(store, v, namespace, path, v.Items, null);
}
