// Allocation rows: inserts and updates with the index bookkeeping and summary counters of Nomad's
// upsertAllocsImpl / updateSummaryWithAlloc (state-semantics §1.2, §6.2).
import type { Job, Obj } from '../types.js';
import { jobKey, type Store, type Txn } from '../store.js';
import { touchSummaryGroups, emptyGroupSummary } from '../jobs/summary.js';
import { trackUsage } from '../nodes/usage.js';
import { syncAllocServices } from '../services/registrations.js';
import { IdSet, rowsOf } from '../id-set.js';
import { copyGroupSummary, nodeWithAllocUpdateIndex, stampAlloc } from '../records.js';

const BIN: Record<string, string> = {
  running: 'Running',
  failed: 'Failed',
  pending: 'Starting',
  complete: 'Complete',
  lost: 'Lost',
  unknown: 'Unknown',
};
// Complete and Failed are cumulative: a status leaving them never decrements.
const DECREMENTED = new Set(['running', 'pending', 'lost', 'unknown']);

export interface PutAllocOptions {
  /** Client updates move ModifyIndex only; scheduler writes also move AllocModifyIndex. */
  client?: boolean;
  /** A client update's ModifyTime: when the server took it (Node.UpdateAlloc), not when it was applied. */
  modifyTime?: number;
  /**
   * `alloc` is a fresh object no one else holds (a copy the caller just made with every field of
   * an alloc): it is completed and stored as it is instead of being copied once more.
   */
  own?: boolean;
}

const NO_OPTIONS: PutAllocOptions = {};

export function putAlloc(store: Store, tx: Txn, alloc: Obj, opts: PutAllocOptions = NO_OPTIONS): Obj {
  const prev = store.allocs.get(alloc.ID);
  const createIndex = prev ? prev.CreateIndex : tx.index;
  const allocModifyIndex = opts.client && prev ? prev.AllocModifyIndex : tx.index;
  const modifyTime = opts.modifyTime ?? store.nowNs();
  let stored: Obj;
  if (opts.own && 'CreateIndex' in alloc && 'ModifyIndex' in alloc && 'AllocModifyIndex' in alloc && 'ModifyTime' in alloc) {
    // The four fields exist already, so assigning them keeps the record's field order.
    stored = alloc;
    stored.CreateIndex = createIndex;
    stored.ModifyIndex = tx.index;
    stored.AllocModifyIndex = allocModifyIndex;
    stored.ModifyTime = modifyTime;
  } else {
    stored = stampAlloc(alloc, createIndex, tx.index, allocModifyIndex, modifyTime);
  }
  store.allocs.set(stored.ID, stored);
  trackUsage(store.nodeUsage, prev, stored);
  const key = jobKey(stored.Namespace, stored.JobID);
  let ids = store.allocsByJob.get(key);
  if (!ids) store.allocsByJob.set(key, (ids = new IdSet()));
  ids.add(stored.ID);
  tx.touch('allocs');
  if (opts.client) noteClientUpdate(store, tx, stored.NodeID);
  countInSummary(store, tx, key, prev, stored);
  syncAllocServices(store, tx, stored);
  tx.emit('Allocation', stored.ID, stored.Namespace, [stored.JobID, stored.DeploymentID ?? ''], { Allocation: stored });
  return stored;
}

/**
 * A client's alloc update records its index on the node (UpdateAllocsFromClient →
 * updateClientAllocUpdateIndex): LastAllocUpdateIndex moves, ModifyIndex does not.
 */
function noteClientUpdate(store: Store, tx: Txn, nodeId: string): void {
  tx.touch('nodes');
  const node = store.nodes.get(nodeId);
  if (node && node.LastAllocUpdateIndex !== tx.index) store.nodes.set(nodeId, nodeWithAllocUpdateIndex(node, tx.index));
}

function countInSummary(store: Store, tx: Txn, key: string, prev: Obj | undefined, next: Obj): void {
  const job = store.jobs.get(key);
  if (!job || (next.Job as Job | undefined)?.CreateIndex !== job.CreateIndex) return;
  if (prev && prev.ClientStatus === next.ClientStatus) return;
  const summary = store.summaries.get(key);
  if (!summary) return;
  const cur = summary.Summary[next.TaskGroup];
  const group = cur ? copyGroupSummary(cur) : emptyGroupSummary();
  if (!prev) {
    group.Starting++;
    if (group.Queued > 0) group.Queued--;
  } else {
    const to = BIN[next.ClientStatus];
    if (to) group[to]++;
    const from = BIN[prev.ClientStatus];
    if (from && DECREMENTED.has(prev.ClientStatus) && group[from] > 0) group[from]--;
  }
  touchSummaryGroups(store, tx, key, summary, withGroup(summary.Summary, next.TaskGroup, group));
}

/**
 * `{ ...groups, [name]: group }`. The group maps of all jobs have as many hidden classes as there
 * are group names, so the spread goes megamorphic and clones through V8's runtime; a job's one or
 * two groups are copied here by a loop instead. "__proto__" would set the prototype of the copy
 * rather than define a key: such a map takes the spread.
 */
function withGroup(groups: Obj, name: string, group: Obj): Obj {
  const out: Obj = {};
  let found = false;
  for (const k in groups) {
    if (k === '__proto__') return { ...groups, [name]: group };
    if (k === name) {
      out[k] = group;
      found = true;
    } else out[k] = groups[k];
  }
  if (!found) {
    if (name === '__proto__') return { ...groups, [name]: group };
    out[name] = group;
  }
  return out;
}

/** Overwrites a group's Queued counter from an eval's QueuedAllocations, as nestedUpsertEval does. */
export function setQueued(store: Store, tx: Txn, namespace: string, jobId: string, queued: Record<string, number>): void {
  const key = jobKey(namespace, jobId);
  const summary = store.summaries.get(key);
  if (!summary) return;
  // Most evals leave every Queued as it was (a running job's passes): copy only on a change.
  let groups: Obj | null = null;
  for (const g in queued) {
    const n = queued[g];
    const row = (groups ?? summary.Summary)[g];
    if (!row || row.Queued === n) continue;
    const next: Obj = groups ?? { ...summary.Summary };
    next[g] = { ...row, Queued: n };
    groups = next;
  }
  if (groups) touchSummaryGroups(store, tx, key, summary, groups);
}

export function allocsOfJob(store: Store, namespace: string, jobId: string): Obj[] {
  return rowsOf(store.allocsByJob.get(jobKey(namespace, jobId)), store.allocs);
}

export const isClientTerminal = (a: Obj): boolean =>
  a.ClientStatus === 'complete' || a.ClientStatus === 'failed' || a.ClientStatus === 'lost';
