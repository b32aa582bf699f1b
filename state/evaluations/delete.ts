// Eval.Delete (nomad/eval_endpoint.go): an operator removes evaluations by ID or by filter while the
// eval broker is paused. Only evaluations whose deletion cannot lose scheduling state are removed
// (state store EvalIsUserDeleteSafe); the removal is one reap-like write that streams no events.
import type { Evaluation, Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { RpcError } from '../errors.js';

/** structs.MaxUUIDsPerWriteRequest. */
export const MAX_UUIDS_PER_WRITE = 7281;

/** isEvalDeleteSafe: nothing of the eval may still run or still need its reschedule history. */
export function evalDeleteSafe(store: Store, ev: Evaluation): boolean {
  const job = store.jobs.get(jobKey(ev.Namespace, ev.JobID)) as Job | undefined;
  if (!job || job.Stop || job.Status === 'dead') return true;
  for (const a of store.allocs.values()) {
    if (a.EvalID !== ev.ID) continue;
    if (a.ClientStatus === 'running' || a.ClientStatus === 'unknown') return false;
    if (a.ClientStatus !== 'failed') continue;
    const policy = (job.TaskGroups.find((g) => g.Name === a.TaskGroup) as Obj | undefined)?.ReschedulePolicy as Obj | null | undefined;
    if (!policy || (!policy.Unlimited && !policy.Attempts)) continue;
    if (!a.NextAllocation) return false;
    if (policy.Unlimited) return false;
    if (!a.RescheduleTracker || !(a.RescheduleTracker.Events?.length > 0)) return false;
  }
  return true;
}

function removeEvals(store: Store, ids: string[]): number {
  return store.write((tx) => {
    for (const id of ids) {
      const ev = store.evals.get(id);
      if (!ev) continue;
      store.evals.delete(id);
      const key = jobKey(ev.Namespace, ev.JobID);
      const set = store.evalsByJob.get(key);
      if (set) {
        set.delete(id);
        if (set.size === 0) store.evalsByJob.delete(key);
      }
    }
    // DeleteEval bumps the index of both tables it may touch.
    tx.touch('evals', 'allocs');
    return tx.index;
  });
}

/** By IDs: every eval must exist and be safe to delete, else nothing is deleted. */
export function deleteEvalsById(store: Store, ids: string[]): { Count: number; Index: number } {
  for (const id of ids) {
    const ev = store.evals.get(id);
    if (!ev) throw new RpcError('eval not found');
    if (!evalDeleteSafe(store, ev)) throw new RpcError(`eval ${ev.ID} is not safe to delete`);
  }
  return { Count: ids.length, Index: removeEvals(store, ids) };
}

/** By filter: the matching evals that are safe to delete; the others stay. */
export function deleteEvalsByFilter(store: Store, matches: (ev: Evaluation) => boolean): { Count: number; Index: number } {
  const ids: string[] = [];
  for (const ev of store.evals.values()) if (matches(ev) && evalDeleteSafe(store, ev)) ids.push(ev.ID);
  if (ids.length === 0) return { Count: 0, Index: 0 };
  return { Count: ids.length, Index: removeEvals(store, ids) };
}
