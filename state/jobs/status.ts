// Job status as Nomad's state store derives it (state-semantics §5.1) and the parent's Children
// counters that follow it.
import type { Job, Obj } from '../types.js';
import { jobKey, type Store, type Txn } from '../store.js';
import { touchSummaryChildren } from './summary.js';
import { copyJob } from '../records.js';
import { IdSet } from '../id-set.js';

import { ACTIVE_DEPLOYMENT } from '../deployments/table.js';
import { deploymentMakesJobRunning } from '../version.js';

export function isTerminalAlloc(a: Obj): boolean {
  return (
    a.DesiredStatus === 'stop' ||
    a.DesiredStatus === 'evict' ||
    a.ClientStatus === 'complete' ||
    a.ClientStatus === 'failed' ||
    a.ClientStatus === 'lost'
  );
}

const NO_IDS: readonly string[] = [];

export function computeJobStatus(store: Store, job: Job, evalDeleted = false): string {
  if (job.Type === 'system' || job.Periodic || (job.ParameterizedJob && !job.Dispatched)) {
    return job.Stop ? 'dead' : 'running';
  }
  const key = jobKey(job.Namespace, job.ID);
  // A job's one deployment and one alloc (most jobs') are read without an iterator, as its evals below.
  if (deploymentMakesJobRunning(store.nomad)) {
    const depIds = store.deploymentsByJob.get(key) ?? NO_IDS;
    const onlyDep = depIds instanceof IdSet ? depIds.only : undefined;
    if (onlyDep !== undefined) {
      if (ACTIVE_DEPLOYMENT.has(store.deployments.get(onlyDep)!.Status)) return 'running';
    } else {
      for (const id of depIds) {
        if (ACTIVE_DEPLOYMENT.has(store.deployments.get(id)!.Status)) return 'running';
      }
    }
  }
  const allocIds = store.allocsByJob.get(key) ?? NO_IDS;
  const onlyAlloc = allocIds instanceof IdSet ? allocIds.only : undefined;
  if (onlyAlloc !== undefined) {
    if (!isTerminalAlloc(store.allocs.get(onlyAlloc)!)) return 'running';
  } else {
    for (const id of allocIds) {
      if (!isTerminalAlloc(store.allocs.get(id)!)) return 'running';
    }
  }
  // Every write of a job asks this: the evals are looked at in place, not gathered into a list, and
  // a job's one eval (most jobs') without an iterator.
  let anyEval = false;
  const evalIds = store.evalsByJob.get(key) ?? NO_IDS;
  const only = evalIds instanceof IdSet ? evalIds.only : undefined;
  if (only !== undefined) {
    anyEval = true;
    const status = store.evals.get(only)!.Status;
    if (status === 'pending' || status === 'blocked') return 'pending';
  } else {
    for (const id of evalIds) {
      anyEval = true;
      const status = store.evals.get(id)!.Status;
      if (status === 'pending' || status === 'blocked') return 'pending';
    }
  }
  if (anyEval || job.Stop || evalDeleted) return 'dead';
  return 'pending';
}

/** Moves a child's bin in its parent's summary when the child's status changes (or appears/leaves). */
export function moveChildCounter(store: Store, tx: Txn, child: Job, from: string, to: string): void {
  if (!child.ParentID || from === to) return;
  const key = jobKey(child.Namespace, child.ParentID);
  const summary = store.summaries.get(key);
  if (!summary) return;
  // A summary rebuilt by reconcile has no Children yet (setJobSummary starts it from zero).
  const children = { Pending: 0, Running: 0, Dead: 0, ...summary.Children };
  const bin = (s: string): 'Pending' | 'Running' | 'Dead' | null =>
    s === 'pending' ? 'Pending' : s === 'running' ? 'Running' : s === 'dead' ? 'Dead' : null;
  const fromBin = bin(from);
  const toBin = bin(to);
  if (fromBin && children[fromBin] > 0) children[fromBin]--;
  if (toBin) children[toBin]++;
  touchSummaryChildren(store, tx, key, summary, children);
}

/**
 * Recomputes the stored job's status after a write that may affect it; on change the job row and
 * its current version row are rewritten at this index, as Nomad's setJobStatus does.
 */
export function refreshJobStatus(store: Store, tx: Txn, namespace: string, id: string, evalDeleted = false): void {
  const key = jobKey(namespace, id);
  const job = store.jobs.get(key);
  if (!job) return;
  const status = computeJobStatus(store, job, evalDeleted);
  if (status === job.Status) return;
  const updated = copyJob(job);
  updated.Status = status;
  storeJobRow(store, tx, updated);
  moveChildCounter(store, tx, job, job.Status, status);
}

/**
 * Writes the job row and its current version row at this index (setJobStatus, the Stable flag):
 * the spec is unchanged, so JobModifyIndex and Version stay.
 */
export function rewriteJobRow(store: Store, tx: Txn, job: Job, patch: Partial<Job>): Job {
  return storeJobRow(store, tx, copyJob(job, patch));
}

/** `updated`, a fresh copy of the stored row with its changes, stored at this index in both tables. */
function storeJobRow(store: Store, tx: Txn, updated: Job): Job {
  const key = jobKey(updated.Namespace, updated.ID);
  updated.ModifyIndex = tx.index;
  store.jobs.set(key, updated);
  const versions = store.versions.get(key);
  if (versions) {
    // Newest first: the job's current version is almost always the first row.
    let i = 0;
    while (i < versions.length && versions[i]!.Version !== updated.Version) i++;
    if (i < versions.length) {
      // A job of one version (most) gets its list as a literal, not a builtin slice call.
      let next: Job[];
      if (versions.length === 1) next = [updated];
      else {
        next = versions.slice();
        next[i] = updated;
      }
      store.versions.set(key, next);
    }
  }
  tx.touch('jobs', 'job_version');
  tx.emit('Job', updated.ID, updated.Namespace, null, { Job: updated });
  return updated;
}
