// Node pools (nomad/node_pool_endpoint.go, nomad/state/state_store_node_pools.go): the one place that
// looks pools up by name, creates them for registering nodes, and checks, upserts and deletes them.
import type { Job, Obj } from '../types.js';
import type { Store, Txn } from '../store.js';
import { RpcError, badRequest } from '../errors.js';
import { formatMultiError } from '../jobspec/multierror.js';
import { goDuration } from '../format.js';
import { blake2b } from '../blake2b.js';

export const BUILTIN_POOLS = new Set(['all', 'default']);
/** DefaultNodePoolNodeIdentityTTL: 24h, in nanoseconds. */
export const DEFAULT_NODE_IDENTITY_TTL = 24 * 3600 * 1e9;

const VALID_NAME = /^[a-zA-Z0-9-_]{1,128}$/;
const MAX_DESCRIPTION = 256;

export const poolByName = (store: Store, name: string): Obj | undefined => store.nodePools.get(name);

/** Pools in name order (memdb's id index), optionally by prefix and reversed. */
export function poolsInOrder(store: Store, prefix: string, reverse: boolean): Obj[] {
  const pools = [...store.nodePools.values()].filter((p) => p.Name.startsWith(prefix)).sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  return reverse ? pools.reverse() : pools;
}

/** NodesByNodePool; the `all` pool lists every node. */
export function nodesInPool(store: Store, pool: string): Obj[] {
  const nodes = [...store.nodes.values()].filter((n) => pool === 'all' || n.NodePool === pool);
  return nodes.sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0));
}

/** JobsByPool: the jobs whose NodePool is exactly `pool`. */
export function jobsInPool(store: Store, pool: string): Job[] {
  return [...store.jobs.values()].filter((j) => j.NodePool === pool);
}

/** The row a pool created implicitly by a registering node gets (fetchOrCreateNodePoolTxn). */
function implicitPool(name: string, index: number): Obj {
  return { Name: name, Description: '', Meta: null, SchedulerConfiguration: null, NodeIdentityTTL: DEFAULT_NODE_IDENTITY_TTL, Hash: null, CreateIndex: index, ModifyIndex: index };
}

/** Inside a node registration write: the node's pool is created when it does not exist yet. */
export function ensurePool(store: Store, tx: Txn, name: string): void {
  if (store.nodePools.has(name)) return;
  store.nodePools.set(name, implicitPool(name, tx.index));
  tx.touch('node_pools');
}

/** NodePool.Validate with the CE scheduler-configuration rules (node_pool_ce.go). */
function validate(p: Obj): string[] {
  const errors: string[] = [];
  const name = typeof p.Name === 'string' ? p.Name : '';
  if (!VALID_NAME.test(name)) errors.push(`invalid name ${JSON.stringify(name)}, must match regex ${VALID_NAME.source}`);
  if (String(p.Description ?? '').length > MAX_DESCRIPTION) errors.push(`description longer than ${MAX_DESCRIPTION}`);
  const sc = p.SchedulerConfiguration as Obj | null | undefined;
  if (sc) {
    if (sc.SchedulerAlgorithm) errors.push('SchedulerAlgorithm is only available in Nomad Enterprise');
    if (sc.MemoryOversubscriptionEnabled !== undefined && sc.MemoryOversubscriptionEnabled !== null) {
      errors.push('MemoryOversubscriptionEnabled is only available in Nomad Enterprise');
    }
  }
  return errors;
}

/** NodePool.SetHash: BLAKE2b-256 over the user-set fields, Meta keys sorted. */
function poolHash(p: Obj): string {
  const parts: string[] = [p.Name, p.Description, goDuration(p.NodeIdentityTTL)];
  const sc = p.SchedulerConfiguration as Obj | null;
  if (sc) {
    parts.push(String(sc.SchedulerAlgorithm ?? ''));
    if (sc.MemoryOversubscriptionEnabled === true) parts.push('memory_oversubscription_enabled');
    if (sc.MemoryOversubscriptionEnabled === false) parts.push('memory_oversubscription_disabled');
  }
  const meta = (p.Meta ?? {}) as Record<string, string>;
  for (const k of Object.keys(meta).sort()) parts.push(k, meta[k]!);
  return blake2b(Buffer.from(parts.join(''), 'utf8')).toString('base64');
}

/** UpsertNodePools for one pool: checks (400s) first, then one write. Returns the write's index. */
export function upsertNodePool(store: Store, input: Obj): number {
  const name = typeof input.Name === 'string' ? input.Name : '';
  const errors = validate(input);
  if (errors.length > 0) throw badRequest(`invalid node pool ${JSON.stringify(name)}: ${formatMultiError(errors)}`);
  if (BUILTIN_POOLS.has(name)) throw badRequest(`modifying node pool ${JSON.stringify(name)} is not allowed`);
  const ttl = typeof input.NodeIdentityTTL === 'number' && input.NodeIdentityTTL !== 0 ? input.NodeIdentityTTL : DEFAULT_NODE_IDENTITY_TTL;
  const sc = input.SchedulerConfiguration as Obj | null | undefined;
  const pool: Obj = {
    Name: name,
    Description: input.Description ?? '',
    Meta: input.Meta ?? null,
    SchedulerConfiguration: sc ? { SchedulerAlgorithm: sc.SchedulerAlgorithm ?? '', MemoryOversubscriptionEnabled: sc.MemoryOversubscriptionEnabled ?? null } : null,
    NodeIdentityTTL: ttl,
    Hash: null,
    CreateIndex: 0,
    ModifyIndex: 0,
  };
  pool.Hash = poolHash(pool);
  return store.write((tx) => {
    const existing = store.nodePools.get(name);
    const row = { ...pool, CreateIndex: existing ? existing.CreateIndex : tx.index, ModifyIndex: tx.index };
    store.nodePools.set(name, row);
    tx.touch('node_pools');
    tx.emit('NodePool', name, '', null, { NodePool: row }, 'NodePoolUpserted');
    return tx.index;
  });
}

/**
 * DeleteNodePools for one pool: refused while nodes or non-dead jobs use it (one multierror, a
 * plain 500 as in Nomad), then the state store's own checks (missing pool, built-in pool).
 */
export function deleteNodePool(store: Store, name: string): number {
  if (name === '') throw badRequest('node pool name is empty');
  const problems: string[] = [];
  if (jobsInPool(store, name).some((j) => j.Status !== 'dead')) problems.push(`node pool ${JSON.stringify(name)} has non-terminal jobs in regions: [${store.region}]`);
  if (name !== 'all' && nodesInPool(store, name).length > 0) problems.push(`node pool ${JSON.stringify(name)} has nodes in regions: [${store.region}]`);
  if (problems.length > 0) throw new RpcError(formatMultiError(problems));
  const existing = store.nodePools.get(name);
  if (!existing) throw new RpcError(`node pool ${name} not found`);
  if (BUILTIN_POOLS.has(name)) throw new RpcError(`deleting node pool ${JSON.stringify(name)} is not allowed`);
  return store.write((tx) => {
    store.nodePools.delete(name);
    tx.touch('node_pools');
    tx.emit('NodePool', name, '', null, { NodePool: existing }, 'NodePoolDeleted');
    return tx.index;
  });
}

/** Read indexes are floored at 1, as NodePool.List and GetNodePool do. */
export const nodePoolsIndex = (store: Store): number => Math.max(1, store.tableIndex('node_pools'));
