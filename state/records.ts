// Copies of the two records every write rewrites: jobs and evaluations. Stored objects are never
// mutated, so each change is a fresh copy; spelling the fields out keeps every copy on one hidden
// class, where `{ ...x, Field: v }` goes megamorphic across call sites and costs several times as
// much time and memory on the register path. Field order is Nomad's (and canonicalizeJob's/newEval's).
import type { Evaluation, Job } from './types.js';

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
