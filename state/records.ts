// Copies of the two records every write rewrites: jobs and evaluations. Stored objects are never
// mutated, so each change is a fresh copy; spelling the fields out keeps every copy on one hidden
// class, where `{ ...x, Field: v }` goes megamorphic across call sites and costs several times as
// much time and memory on the register path. Field order is Nomad's (and canonicalizeJob's/newEval's).
import type { Evaluation, Job, Obj } from './types.js';
import { SharePool } from './share.js';

export function copyJob(j: Job, patch?: Partial<Job>): Job {
  const out: Job = {
    Stop: j.Stop,
    Region: j.Region,
    Namespace: j.Namespace,
    ID: j.ID,
    ParentID: j.ParentID,
    Name: j.Name,
    Type: j.Type,
    Priority: j.Priority,
    AllAtOnce: j.AllAtOnce,
    Datacenters: j.Datacenters,
    NodePool: j.NodePool,
    Constraints: j.Constraints,
    Affinities: j.Affinities,
    Spreads: j.Spreads,
    TaskGroups: j.TaskGroups,
    Update: j.Update,
    Multiregion: j.Multiregion,
    Periodic: j.Periodic,
    ParameterizedJob: j.ParameterizedJob,
    Dispatched: j.Dispatched,
    DispatchIdempotencyToken: j.DispatchIdempotencyToken,
    Payload: j.Payload,
    Meta: j.Meta,
    ConsulNamespace: j.ConsulNamespace,
    VaultNamespace: j.VaultNamespace,
    NomadTokenID: j.NomadTokenID,
    Status: j.Status,
    StatusDescription: j.StatusDescription,
    Stable: j.Stable,
    Version: j.Version,
    SubmitTime: j.SubmitTime,
    CreateIndex: j.CreateIndex,
    ModifyIndex: j.ModifyIndex,
    JobModifyIndex: j.JobModifyIndex,
    UI: j.UI,
    VersionTag: j.VersionTag,
  };
  return patch ? Object.assign(out, patch) : out;
}

export function copyEval(e: Evaluation, patch?: Partial<Evaluation>): Evaluation {
  const out: Evaluation = {
    ID: e.ID,
    Namespace: e.Namespace,
    Priority: e.Priority,
    Type: e.Type,
    TriggeredBy: e.TriggeredBy,
    JobID: e.JobID,
    JobModifyIndex: e.JobModifyIndex,
    NodeID: e.NodeID,
    NodeModifyIndex: e.NodeModifyIndex,
    DeploymentID: e.DeploymentID,
    Status: e.Status,
    StatusDescription: e.StatusDescription,
    Wait: e.Wait,
    WaitUntil: e.WaitUntil,
    NextEval: e.NextEval,
    PreviousEval: e.PreviousEval,
    BlockedEval: e.BlockedEval,
    RelatedEvals: e.RelatedEvals,
    FailedTGAllocs: e.FailedTGAllocs,
    PlanAnnotations: e.PlanAnnotations,
    ClassEligibility: e.ClassEligibility,
    QuotaLimitReached: e.QuotaLimitReached,
    MissingNonNodeResources: e.MissingNonNodeResources,
    EscapedComputedClass: e.EscapedComputedClass,
    AnnotatePlan: e.AnnotatePlan,
    QueuedAllocations: e.QueuedAllocations,
    LeaderACL: e.LeaderACL,
    SnapshotIndex: e.SnapshotIndex,
    CreateIndex: e.CreateIndex,
    ModifyIndex: e.ModifyIndex,
    CreateTime: e.CreateTime,
    ModifyTime: e.ModifyTime,
  };
  return patch ? Object.assign(out, patch) : out;
}

const jobParts = new SharePool();
const evalParts = new SharePool();

/**
 * A canonical task group, shared with equal groups of other jobs as soon as it is made (the pool
 * and slot its job's TaskGroups share into), so a register from a known spec holds the pooled
 * group from the start. Frozen when it comes from the pool.
 */
export function shareTaskGroup(tg: Obj): Obj {
  return jobParts.share(tg, 3, 'TaskGroup');
}

/**
 * Shares a job's object-valued fields with equal ones of other jobs (jobs registered from one spec
 * have equal task groups, datacenters, update blocks): on the row while it is still private to
 * its write. Groups are shared down to each task's parts, so a job that differs in one group or
 * task still shares the rest.
 */
export function shareJobParts(j: Job): void {
  // A frozen row is never written (a restore of live rows, as a failed restore's backup holds).
  if (Object.isFrozen(j)) return;
  // The fields of Nomad's Job that hold objects, each read by name: a walk over every key reads
  // them through one megamorphic keyed load each, on every register.
  if (isPart(j.Datacenters)) j.Datacenters = jobParts.share(j.Datacenters, 1, 'Datacenters');
  if (isPart(j.Constraints)) j.Constraints = jobParts.share(j.Constraints, 1, 'Constraints');
  if (isPart(j.Affinities)) j.Affinities = jobParts.share(j.Affinities, 1, 'Affinities');
  if (isPart(j.Spreads)) j.Spreads = jobParts.share(j.Spreads, 1, 'Spreads');
  if (isPart(j.TaskGroups)) j.TaskGroups = jobParts.share(j.TaskGroups, 4, 'TaskGroups');
  if (isPart(j.Update)) j.Update = jobParts.share(j.Update, 1, 'Update');
  if (isPart(j.Multiregion)) j.Multiregion = jobParts.share(j.Multiregion, 1, 'Multiregion');
  if (isPart(j.Periodic)) j.Periodic = jobParts.share(j.Periodic, 1, 'Periodic');
  if (isPart(j.ParameterizedJob)) j.ParameterizedJob = jobParts.share(j.ParameterizedJob, 1, 'ParameterizedJob');
  if (isPart(j.Meta)) j.Meta = jobParts.share(j.Meta, 1, 'Meta');
  if (isPart(j.UI)) j.UI = jobParts.share(j.UI, 1, 'UI');
  if (isPart(j.VersionTag)) j.VersionTag = jobParts.share(j.VersionTag, 1, 'VersionTag');
}

const isPart = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** An eval's plan annotations, queued counts and failure metrics, shared with equal ones of other evals. */
export function shareEvalParts(e: Evaluation): void {
  if (Object.isFrozen(e)) return;
  if (e.PlanAnnotations) e.PlanAnnotations = evalParts.share(e.PlanAnnotations, 2, 'PlanAnnotations');
  if (e.QueuedAllocations) e.QueuedAllocations = evalParts.share(e.QueuedAllocations, 0, 'QueuedAllocations');
  if (e.FailedTGAllocs) e.FailedTGAllocs = evalParts.share(e.FailedTGAllocs, 2, 'FailedTGAllocs');
  if (e.ClassEligibility) e.ClassEligibility = evalParts.share(e.ClassEligibility, 0, 'ClassEligibility');
}

const allocParts = new SharePool();
const summaryParts = new SharePool();

/** A summary's counters, shared with equal ones of other summaries. */
export function shareSummaryParts(s: Obj): void {
  if (Object.isFrozen(s)) return;
  if (s.Summary) s.Summary = summaryParts.share(s.Summary, 1, 'Summary');
  if (s.Children) s.Children = summaryParts.share(s.Children, 0, 'Children');
}

/**
 * What a restored alloc (snapshot, data dir) holds that other allocs hold too: its job's parts,
 * resources, metrics, the transition, task event details. Rows the scheduler writes share these
 * as they are made (src/sim/new-records.ts, task-events.ts); rows read back from JSON share nothing
 * until this runs on them, before they are stored.
 */
export function shareAllocParts(a: Obj): void {
  if (Object.isFrozen(a)) return;
  if (a.Job && typeof a.Job === 'object') shareJobParts(a.Job as Job);
  for (const k of ['AllocatedResources', 'SharedResources', 'TaskResources', 'Metrics', 'DesiredTransition', 'NetworkStatus']) {
    if (a[k] && typeof a[k] === 'object') a[k] = allocParts.share(a[k], 2, k);
  }
  const states = a.TaskStates as Obj | null;
  if (states && typeof states === 'object') {
    for (const st of Object.values(states)) {
      for (const ev of (st?.Events as Obj[] | null) ?? []) {
        if (ev && typeof ev.Details === 'object' && ev.Details !== null && !Object.isFrozen(ev)) ev.Details = allocParts.share(ev.Details);
      }
    }
  }
}
