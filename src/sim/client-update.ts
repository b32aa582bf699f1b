// What a client alloc update writes besides the alloc itself (Node.UpdateAlloc on the server; alloc-sync.ts batches them):
// the deployment's health counters, the alloc-failure eval, whether service registrations change.
import type { Evaluation, Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { newEval, putEval } from '../../state/evaluations/table.js';
import { moveHealthCounters, putDeployment } from '../../state/deployments/table.js';
import { rfc3339 } from '../../state/format.js';
import { rescheduleDecision } from './reschedule.js';

/**
 * Feeds a health report into the alloc's deployment (updateDeploymentWithAlloc); `at` (ns) is when
 * the client found the alloc healthy, which the batch may apply later.
 */
export function countHealth(store: Store, tx: Parameters<Parameters<Store['write']>[0]>[0], alloc: Obj, prev: boolean | null, healthy: boolean, at: number): void {
  const dep = store.deployments.get(alloc.DeploymentID);
  if (!dep) return;
  const st = dep.TaskGroups?.[alloc.TaskGroup] as Obj | undefined;
  if (!st) return;
  const s = { ...st };
  moveHealthCounters(s, prev, healthy);
  // Each newly healthy alloc pushes the progress deadline out from its health time (§9.2).
  const by = at + Number(s.ProgressDeadline);
  if (healthy && s.ProgressDeadline > 0 && (!s.RequireProgressBy || Date.parse(s.RequireProgressBy) * 1e6 < by)) s.RequireProgressBy = rfc3339(by);
  putDeployment(store, tx, { ...dep, TaskGroups: { ...dep.TaskGroups, [alloc.TaskGroup]: s } }, 'DeploymentAllocHealth');
}

/** A failed alloc that may be rescheduled gets an alloc-failure eval in the same write. */
export function maybeFailureEval(store: Store, tx: Parameters<Parameters<Store['write']>[0]>[0], alloc: Obj): Evaluation | null {
  if (alloc.DesiredStatus !== 'run' || alloc.FollowupEvalID) return null;
  const job = store.jobs.get(jobKey(alloc.Namespace, alloc.JobID));
  if (!job) return null;
  const tg = job.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
  if (!tg || !rescheduleDecision(alloc, tg, store.nowNs()).eligible) return null;
  return putEval(store, tx, newEval(store, job, { triggeredBy: 'alloc-failure', jobModifyIndex: 0 }));
}

/** Per group object (records are immutable): a group's services do not change under it. */
const nomadServices = new WeakMap<Obj, boolean>();

export function hasNomadServices(tg: Obj): boolean {
  let has = nomadServices.get(tg);
  if (has === undefined) nomadServices.set(tg, (has = findNomadServices(tg)));
  return has;
}

function findNomadServices(tg: Obj): boolean {
  const all = [...((tg.Services as Obj[] | null) ?? []), ...((tg.Tasks as Obj[]) ?? []).flatMap((t) => (t.Services as Obj[] | null) ?? [])];
  return all.some((s) => s.Provider === 'nomad');
}
