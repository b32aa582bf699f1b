// The reap writes of the core scheduler's GC (Eval.Reap, Job.BatchDeregister, Deployment.Reap,
// Node.BatchDeregister): each deletes through the store's write path in batches of at most
// MAX_IDS_PER_REAP IDs, so indexes move, blocking queries wake and persistence saves.
import type { Evaluation, Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { newEval, putEval } from '../evaluations/table.js';
import { refreshJobStatus } from '../jobs/status.js';
import { purgeJob } from '../jobs/ops.js';
import { trackUsage } from '../nodes/usage.js';
import { createNodeEvals } from '../nodes/ops.js';
import { IdSet } from '../id-set.js';

/** What one GC pass deleted; the simulator forgets its own bookkeeping for these. */
export interface GcResult {
  jobs: { Namespace: string; ID: string }[];
  evals: string[];
  allocs: string[];
  deployments: string[];
  nodes: string[];
}

export const emptyResult = (): GcResult => ({ jobs: [], evals: [], allocs: [], deployments: [], nodes: [] });

/** core_sched's maxIdsPerReap: 0.25 MB of UUIDs per Raft write keeps every reap write bounded. */
export const MAX_IDS_PER_REAP = Math.floor((1024 * 256) / 36);

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Eval.Reap (DeleteEval): deletes evals and allocs, then re-derives the status of every job that
 * lost an eval. Nomad streams no events for this write.
 */
export function reapEvals(store: Store, evalIds: string[], allocIds: string[]): GcResult {
  const out = emptyResult();
  const evals = [...new Set(evalIds)];
  const allocs = [...new Set(allocIds)];
  // partitionEvalReap: allocs fill each request first, evals take what room is left.
  let e = 0;
  let a = 0;
  while (e < evals.length || a < allocs.length) {
    let room = MAX_IDS_PER_REAP;
    const allocPart = allocs.slice(a, a + room);
    a += allocPart.length;
    room -= allocPart.length;
    const evalPart = evals.slice(e, e + room);
    e += evalPart.length;
    store.write((tx) => {
      const jobs = new Map<string, { ns: string; id: string }>();
      for (const id of evalPart) {
        const ev = store.evals.get(id);
        if (!ev) continue;
        store.evals.delete(id);
        const key = jobKey(ev.Namespace, ev.JobID);
        const ids = store.evalsByJob.get(key);
        if (ids) {
          ids.delete(id);
          shrinkRow(store.evalsByJob, key, ids);
        }
        jobs.set(key, { ns: ev.Namespace, id: ev.JobID });
        out.evals.push(id);
      }
      for (const id of allocPart) {
        const alloc = store.allocs.get(id);
        if (!alloc) continue;
        removeAlloc(store, alloc);
        out.allocs.push(id);
      }
      tx.touch('evals', 'allocs');
      for (const j of jobs.values()) refreshJobStatus(store, tx, j.ns, j.id, true);
      // EvalDeleteRequestType has no event type in Nomad's stream: the status rewrites above stay
      // off the event stream (persistence still sees the write through Store.onCommit).
      tx.events.length = 0;
    });
  }
  return out;
}

function removeAlloc(store: Store, alloc: Obj): void {
  store.allocs.delete(alloc.ID);
  trackUsage(store.nodeUsage, alloc, undefined);
  const key = jobKey(alloc.Namespace, alloc.JobID);
  const ids = store.allocsByJob.get(key);
  if (ids) {
    ids.delete(alloc.ID);
    shrinkRow(store.allocsByJob, key, ids);
  }
}

/**
 * An index row left empty goes; one left with a single ID is replaced by a new row holding it
 * inline (an IdSet that grew a Set keeps it, 150 bytes, so that a live iteration never changes
 * representation; a replaced row is no longer changed, so an iteration over it stays valid).
 */
function shrinkRow(map: Map<string, Set<string>>, key: string, ids: Set<string>): void {
  if (ids.size === 0) map.delete(key);
  else if (ids.size === 1) map.set(key, new IdSet(ids));
}

/** Job.BatchDeregister with purge: each job goes as a purge does (§5.4), streamed JobBatchDeregistered. */
export function reapJobs(store: Store, jobs: Job[]): GcResult {
  const out = emptyResult();
  for (const part of chunks(jobs, MAX_IDS_PER_REAP)) {
    store.write((tx) => {
      tx.eventType = 'JobBatchDeregistered';
      for (const job of part) {
        const key = jobKey(job.Namespace, job.ID);
        const cur = store.jobs.get(key);
        if (!cur) continue;
        out.allocs.push(...(store.allocsByJob.get(key) ?? []));
        out.deployments.push(...(store.deploymentsByJob.get(key) ?? []));
        purgeJob(store, tx, cur);
        // Any eval left (a job GC reaps them first) would only keep an empty index row alive.
        if (store.evalsByJob.get(key)?.size === 0) store.evalsByJob.delete(key);
        out.jobs.push({ Namespace: cur.Namespace, ID: cur.ID });
      }
    });
  }
  return out;
}

/** Deployment.Reap (DeleteDeployment): no events. */
export function reapDeployments(store: Store, ids: string[]): GcResult {
  const out = emptyResult();
  for (const part of chunks(ids, MAX_IDS_PER_REAP)) {
    store.write((tx) => {
      for (const id of part) {
        const dep = store.deployments.get(id);
        if (!dep) continue;
        store.deployments.delete(id);
        const key = jobKey(dep.Namespace, dep.JobID);
        const set = store.deploymentsByJob.get(key);
        if (set) {
          set.delete(id);
          if (set.size === 0) store.deploymentsByJob.delete(key);
        }
        out.deployments.push(id);
      }
      tx.touch('deployment');
    });
  }
  return out;
}

/**
 * Node.BatchDeregister: the node rows go (streamed NodeDeregistration), then each node gets the
 * node-update evals of createNodeEvals: one per job with allocs on it, one per system job that
 * could run there.
 */
export function reapNodes(store: Store, ids: string[], allocsOnNode: Map<string, Obj[]>): GcResult {
  const out = emptyResult();
  if (ids.length === 0) return out;
  const removed: { node: Obj; index: number }[] = [];
  for (const part of chunks(ids, MAX_IDS_PER_REAP)) {
    store.write((tx) => {
      tx.eventType = 'NodeDeregistration';
      for (const id of part) {
        const node = store.nodes.get(id);
        if (!node) continue;
        store.nodes.delete(id);
        store.nodeUsage.delete(id);
        tx.emit('Node', node.ID, '', null, { Node: node });
        removed.push({ node, index: tx.index });
        out.nodes.push(id);
      }
      tx.touch('nodes');
    });
  }
  // Node.BatchDeregister then runs createNodeEvals for each node, as a deregistration does.
  for (const { node, index } of removed) createNodeEvals(store, node, index, allocsOnNode.get(node.ID) ?? []);
  return out;
}

