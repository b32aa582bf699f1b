// Deployment rows (state-semantics §9): inserts and updates at the write's index.
import type { Obj } from '../types.js';
import { jobKey, type Store, type Txn } from '../store.js';
import { IdSet } from '../id-set.js';
import { stampDeployment } from '../records.js';

export const ACTIVE_DEPLOYMENT = new Set(['running', 'paused', 'pending', 'initializing', 'blocked', 'unblocking']);

export const DeploymentText = {
  running: 'Deployment is running',
  runningNeedsPromotion: 'Deployment is running but requires manual promotion',
  runningAutoPromotion: 'Deployment is running pending automatic promotion',
  paused: 'Deployment is paused',
  successful: 'Deployment completed successfully',
  failedAllocations: 'Failed due to unhealthy allocations',
  failedProgress: 'Failed due to progress deadline',
  failedByUser: 'Deployment marked as failed',
  stoppedJob: 'Cancelled because job is stopped',
  newerJob: 'Cancelled due to newer version of job',
} as const;

export function putDeployment(store: Store, tx: Txn, dep: Obj, type = ''): Obj {
  const prev = store.deployments.get(dep.ID);
  const stored = stampDeployment(dep, prev ? prev.CreateIndex : tx.index, tx.index, prev ? store.nowNs() : dep.ModifyTime);
  store.deployments.set(stored.ID, stored);
  const key = jobKey(stored.Namespace, stored.JobID);
  let ids = store.deploymentsByJob.get(key);
  if (!ids) store.deploymentsByJob.set(key, (ids = new IdSet()));
  ids.add(stored.ID);
  tx.touch('deployment');
  tx.emit('Deployment', stored.ID, stored.Namespace, [stored.JobID], { Deployment: stored }, type);
  return stored;
}

export function isActiveDeployment(dep: Obj): boolean {
  return ACTIVE_DEPLOYMENT.has(dep.Status);
}

/** The job's deployment that is still active, if any (there is at most one per job instance). */
export function activeDeployment(store: Store, namespace: string, jobId: string): Obj | null {
  let best: Obj | null = null;
  for (const id of store.deploymentsByJob.get(jobKey(namespace, jobId)) ?? []) {
    const d = store.deployments.get(id)!;
    if (isActiveDeployment(d) && (!best || d.CreateIndex > best.CreateIndex)) best = d;
  }
  return best;
}

/** A health report moves one alloc across a group's counters; a first report only adds. */
export function moveHealthCounters(state: Obj, prev: boolean | null, healthy: boolean): void {
  if (healthy) {
    state.HealthyAllocs++;
    if (prev === false && state.UnhealthyAllocs > 0) state.UnhealthyAllocs--;
  } else {
    state.UnhealthyAllocs++;
    if (prev === true && state.HealthyAllocs > 0) state.HealthyAllocs--;
  }
}
