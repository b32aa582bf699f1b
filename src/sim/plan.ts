// Job.Plan: a dry run of the scheduler against the proposed job (http-semantics §6.3). Nothing is
// written; the reconciler runs on the current state exactly as an eval for the new version would.
import type { Evaluation, Job, Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { RpcError } from '../../state/errors.js';
import { newEval } from '../../state/evaluations/table.js';
import { prepareJob } from '../../state/jobs/ops.js';
import { specChanged } from '../../state/jobspec/canonicalize.js';
import { formatMultiError, formatWarnings } from '../../state/jobspec/multierror.js';
import { diffJobs } from '../../state/jobs/diff.js';
import { isDestructive, reconcile, type DesiredUpdates } from './reconcile.js';
import { planAnnotations } from './scheduler.js';
import { nextLaunchMs } from './periodic.js';
import { isTrackedPeriodic } from '../../state/jobs/periodic.js';
import { msOfNs, rfc3339 } from '../../state/format.js';

function nextLaunch(job: Job, store: Store): string | null {
  if (!job.Periodic || !isTrackedPeriodic(job)) return null;
  const at = nextLaunchMs(job.Periodic, msOfNs(store.nowNs()));
  return at === null ? null : rfc3339(at * 1e6);
}

const UPDATE_KEYS: [keyof DesiredUpdates, string][] = [
  ['Ignore', 'ignore'],
  ['Place', 'create'],
  ['Stop', 'destroy'],
  ['Migrate', 'migrate'],
  ['Canary', 'canary'],
  ['InPlaceUpdate', 'in-place update'],
  ['DestructiveUpdate', 'create/destroy update'],
  ['Preemptions', 'preempt'],
  ['RescheduleNow', 'reschedule now'],
  ['RescheduleLater', 'reschedule later'],
];

/** scheduler.Annotate: desired-update counts on each group, "forces …" on counts and tasks. */
function annotate(diff: Obj, desired: Record<string, DesiredUpdates>, oldJob: Job | undefined, newJob: Job): void {
  for (const g of (diff.TaskGroups as Obj[]) ?? []) {
    const du = desired[g.Name];
    if (du) {
      const updates: Obj = {};
      for (const [k, name] of UPDATE_KEYS) if (du[k] > 0) updates[name] = du[k];
      g.Updates = Object.keys(updates).length > 0 ? updates : null;
    }
    for (const f of (g.Fields as Obj[]) ?? []) {
      if (f.Name !== 'Count' || f.Type !== 'Edited') continue;
      f.Annotations = [Number(f.New) > Number(f.Old) ? 'forces create' : 'forces destroy'];
    }
    const destructive = oldJob ? isDestructive(oldJob, newJob, g.Name) : true;
    for (const t of (g.Tasks as Obj[]) ?? []) {
      if (t.Type === 'Added') t.Annotations = ['forces create'];
      else if (t.Type === 'Deleted') t.Annotations = ['forces destroy'];
      else if (t.Type === 'Edited') t.Annotations = [destructive ? 'forces create/destroy update' : 'forces in-place update'];
    }
  }
}

export function planJob(store: Store, apiJob: Obj, withDiff: boolean): Obj {
  const { job: prepared, errors, warnings } = prepareJob(store, apiJob);
  if (errors.length > 0) throw new RpcError(formatMultiError(errors));
  const key = jobKey(prepared.Namespace, prepared.ID);
  const existing = store.jobs.get(key);
  const changed = !existing || specChanged(existing, prepared);
  const next = store.index + 1;
  const proposed: Job = {
    ...prepared,
    Version: existing ? (changed ? existing.Version + 1 : existing.Version) : prepared.Version,
    CreateIndex: existing?.CreateIndex ?? next,
    ModifyIndex: changed ? next : existing!.ModifyIndex,
    JobModifyIndex: changed ? next : existing!.JobModifyIndex,
    Status: existing?.Status ?? 'pending',
  };
  const ev: Evaluation = newEval(store, proposed, { triggeredBy: 'job-register', jobModifyIndex: next });
  // The reconciler reads the job from the store; give it the proposed one without storing it.
  const plan = reconcile({ store, job: proposed, namespace: proposed.Namespace, jobId: proposed.ID, ev, nowNs: store.nowNs() });
  const failed = Object.keys(plan.failed).length > 0 ? plan.failed : null;
  let diff: Obj | null = null;
  if (withDiff) {
    diff = diffJobs(existing ?? null, proposed, true);
    annotate(diff, plan.desired, existing, proposed);
  }
  const created = failed
    ? [{ ...newEval(store, proposed, { triggeredBy: 'queued-allocs', jobModifyIndex: next, status: 'blocked', statusDescription: 'created to place remaining allocations' }), PreviousEval: ev.ID, FailedTGAllocs: failed }]
    : null;
  const jobModifyIndex = existing?.JobModifyIndex ?? 0;
  return {
    Annotations: planAnnotations(plan),
    FailedTGAllocs: failed,
    JobModifyIndex: jobModifyIndex,
    CreatedEvals: created,
    Diff: diff,
    NextPeriodicLaunch: nextLaunch(proposed, store),
    Warnings: formatWarnings(warnings),
    Index: jobModifyIndex,
  };
}
