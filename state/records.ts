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
  if (patch) patchEval(out, patch);
  return out;
}

/**
 * Object.assign(out, patch), spelled per field: the generic assign looks every key up in the
 * record's 32 descriptors through the runtime, where a switch on the (internalized) key is a few
 * pointer compares and a store at a known offset. Same semantics: every enumerable key of the
 * patch, an explicit undefined included, overwrites in place; an unknown key is appended.
 */
function patchEval(out: Evaluation, patch: Partial<Evaluation>): void {
  for (const k in patch) {
    const v = (patch as Obj)[k];
    switch (k) {
      case 'ID': out.ID = v; break;
      case 'Namespace': out.Namespace = v; break;
      case 'Priority': out.Priority = v; break;
      case 'Type': out.Type = v; break;
      case 'TriggeredBy': out.TriggeredBy = v; break;
      case 'JobID': out.JobID = v; break;
      case 'JobModifyIndex': out.JobModifyIndex = v; break;
      case 'NodeID': out.NodeID = v; break;
      case 'NodeModifyIndex': out.NodeModifyIndex = v; break;
      case 'DeploymentID': out.DeploymentID = v; break;
      case 'Status': out.Status = v; break;
      case 'StatusDescription': out.StatusDescription = v; break;
      case 'Wait': out.Wait = v; break;
      case 'WaitUntil': out.WaitUntil = v; break;
      case 'NextEval': out.NextEval = v; break;
      case 'PreviousEval': out.PreviousEval = v; break;
      case 'BlockedEval': out.BlockedEval = v; break;
      case 'RelatedEvals': out.RelatedEvals = v; break;
      case 'FailedTGAllocs': out.FailedTGAllocs = v; break;
      case 'PlanAnnotations': out.PlanAnnotations = v; break;
      case 'ClassEligibility': out.ClassEligibility = v; break;
      case 'QuotaLimitReached': out.QuotaLimitReached = v; break;
      case 'MissingNonNodeResources': out.MissingNonNodeResources = v; break;
      case 'EscapedComputedClass': out.EscapedComputedClass = v; break;
      case 'AnnotatePlan': out.AnnotatePlan = v; break;
      case 'QueuedAllocations': out.QueuedAllocations = v; break;
      case 'LeaderACL': out.LeaderACL = v; break;
      case 'SnapshotIndex': out.SnapshotIndex = v; break;
      case 'CreateIndex': out.CreateIndex = v; break;
      case 'ModifyIndex': out.ModifyIndex = v; break;
      case 'CreateTime': out.CreateTime = v; break;
      case 'ModifyTime': out.ModifyTime = v; break;
      default: (out as Obj)[k] = v;
    }
  }
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

/**
 * Whether `o`'s enumerable keys are exactly `fields`, in that order: then a copy spelled field by
 * field is the same record as a spread, key order included. Records reach a write on many hidden
 * classes (built here, by the simulator, spread by callers, parsed back from a data dir), so a
 * spread of them goes megamorphic, and V8 then clones through its runtime at several times the cost
 * of this walk plus a spelled copy. A record of any other shape (an older data dir's, a field added
 * elsewhere) takes the spread, as before.
 */
function hasFields(o: Obj, fields: readonly string[]): boolean {
  let i = 0;
  for (const k in o) {
    if (k !== fields[i]) return false;
    i++;
  }
  return i === fields.length;
}

// Field order of Nomad's structs as the simulator builds them (src/sim/new-records.ts,
// state/nodes/table.ts buildNode, state/jobs/summary.ts).
const DEPLOYMENT_FIELDS: readonly string[] = ['ID', 'Namespace', 'JobID', 'JobVersion', 'JobModifyIndex', 'JobSpecModifyIndex', 'JobCreateIndex', 'IsMultiregion', 'TaskGroups', 'Status', 'StatusDescription', 'EvalPriority', 'CreateIndex', 'ModifyIndex', 'CreateTime', 'ModifyTime'];
const ALLOC_FIELDS: readonly string[] = ['ID', 'Namespace', 'EvalID', 'Name', 'NodeID', 'NodeName', 'JobID', 'Job', 'TaskGroup', 'Resources', 'SharedResources', 'TaskResources', 'AllocatedResources', 'Metrics', 'DesiredStatus', 'DesiredDescription', 'DesiredTransition', 'ClientStatus', 'ClientDescription', 'TaskStates', 'AllocStates', 'PreviousAllocation', 'NextAllocation', 'DeploymentID', 'DeploymentStatus', 'RescheduleTracker', 'NetworkStatus', 'FollowupEvalID', 'PreemptedAllocations', 'PreemptedByAllocation', 'SigningKeyID', 'CreateIndex', 'ModifyIndex', 'AllocModifyIndex', 'CreateTime', 'ModifyTime'];
const NODE_FIELDS: readonly string[] = ['ID', 'SecretID', 'Datacenter', 'Name', 'CgroupParent', 'HTTPAddr', 'TLSEnabled', 'Attributes', 'NodeResources', 'ReservedResources', 'Links', 'Meta', 'NodeClass', 'NodePool', 'ComputedClass', 'DrainStrategy', 'SchedulingEligibility', 'Status', 'StatusDescription', 'IdentitySigningKeyID', 'StatusUpdatedAt', 'Events', 'Drivers', 'CSIControllerPlugins', 'CSINodePlugins', 'HostVolumes', 'GCVolumesOnNodeGC', 'HostNetworks', 'LastDrain', 'NodeMaxAllocs', 'LastMissedHeartbeatIndex', 'LastAllocUpdateIndex', 'CreateIndex', 'ModifyIndex', 'Drain'];
const SUMMARY_FIELDS: readonly string[] = ['JobID', 'Namespace', 'Summary', 'Children', 'CreateIndex', 'ModifyIndex'];
const GROUP_SUMMARY_FIELDS: readonly string[] = ['Queued', 'Complete', 'Failed', 'Running', 'Starting', 'Lost', 'Unknown'];

/** `{ ...d, CreateIndex, ModifyIndex, ModifyTime }`: a deployment as a write stores it. */
export function stampDeployment(d: Obj, createIndex: number, modifyIndex: number, modifyTime: unknown): Obj {
  if (!hasFields(d, DEPLOYMENT_FIELDS)) return { ...d, CreateIndex: createIndex, ModifyIndex: modifyIndex, ModifyTime: modifyTime };
  return {
    ID: d.ID,
    Namespace: d.Namespace,
    JobID: d.JobID,
    JobVersion: d.JobVersion,
    JobModifyIndex: d.JobModifyIndex,
    JobSpecModifyIndex: d.JobSpecModifyIndex,
    JobCreateIndex: d.JobCreateIndex,
    IsMultiregion: d.IsMultiregion,
    TaskGroups: d.TaskGroups,
    Status: d.Status,
    StatusDescription: d.StatusDescription,
    EvalPriority: d.EvalPriority,
    CreateIndex: createIndex,
    ModifyIndex: modifyIndex,
    CreateTime: d.CreateTime,
    ModifyTime: modifyTime,
  };
}

/** `{ ...a, CreateIndex, ModifyIndex, AllocModifyIndex, ModifyTime }`: an alloc as a write stores it. */
export function stampAlloc(a: Obj, createIndex: number, modifyIndex: number, allocModifyIndex: number, modifyTime: number): Obj {
  if (!hasFields(a, ALLOC_FIELDS)) return { ...a, CreateIndex: createIndex, ModifyIndex: modifyIndex, AllocModifyIndex: allocModifyIndex, ModifyTime: modifyTime };
  return spelledAlloc(a, a.ClientStatus, a.ClientDescription, a.TaskStates, a.DeploymentStatus, a.NetworkStatus, createIndex, modifyIndex, allocModifyIndex, modifyTime);
}

/** `{ ...a, ClientStatus, ClientDescription, TaskStates, DeploymentStatus, NetworkStatus }`: what a client update changes. */
export function clientUpdatedAlloc(a: Obj, clientStatus: string, clientDescription: string, taskStates: Obj, deploymentStatus: unknown, networkStatus: Obj): Obj {
  if (!hasFields(a, ALLOC_FIELDS)) {
    return { ...a, ClientStatus: clientStatus, ClientDescription: clientDescription, TaskStates: taskStates, DeploymentStatus: deploymentStatus, NetworkStatus: networkStatus };
  }
  return spelledAlloc(a, clientStatus, clientDescription, taskStates, deploymentStatus, networkStatus, a.CreateIndex, a.ModifyIndex, a.AllocModifyIndex, a.ModifyTime);
}

/** A copy of an alloc of ALLOC_FIELDS' shape, in their order, with the fields a write or a client update sets. */
function spelledAlloc(a: Obj, clientStatus: unknown, clientDescription: unknown, taskStates: unknown, deploymentStatus: unknown, networkStatus: unknown, createIndex: unknown, modifyIndex: unknown, allocModifyIndex: unknown, modifyTime: unknown): Obj {
  return {
    ID: a.ID,
    Namespace: a.Namespace,
    EvalID: a.EvalID,
    Name: a.Name,
    NodeID: a.NodeID,
    NodeName: a.NodeName,
    JobID: a.JobID,
    Job: a.Job,
    TaskGroup: a.TaskGroup,
    Resources: a.Resources,
    SharedResources: a.SharedResources,
    TaskResources: a.TaskResources,
    AllocatedResources: a.AllocatedResources,
    Metrics: a.Metrics,
    DesiredStatus: a.DesiredStatus,
    DesiredDescription: a.DesiredDescription,
    DesiredTransition: a.DesiredTransition,
    ClientStatus: clientStatus,
    ClientDescription: clientDescription,
    TaskStates: taskStates,
    AllocStates: a.AllocStates,
    PreviousAllocation: a.PreviousAllocation,
    NextAllocation: a.NextAllocation,
    DeploymentID: a.DeploymentID,
    DeploymentStatus: deploymentStatus,
    RescheduleTracker: a.RescheduleTracker,
    NetworkStatus: networkStatus,
    FollowupEvalID: a.FollowupEvalID,
    PreemptedAllocations: a.PreemptedAllocations,
    PreemptedByAllocation: a.PreemptedByAllocation,
    SigningKeyID: a.SigningKeyID,
    CreateIndex: createIndex,
    ModifyIndex: modifyIndex,
    AllocModifyIndex: allocModifyIndex,
    CreateTime: a.CreateTime,
    ModifyTime: modifyTime,
  };
}

/** `{ ...n, LastAllocUpdateIndex }`: the node row a client's alloc update rewrites. */
export function nodeWithAllocUpdateIndex(n: Obj, index: number): Obj {
  if (!hasFields(n, NODE_FIELDS)) return { ...n, LastAllocUpdateIndex: index };
  return {
    ID: n.ID,
    SecretID: n.SecretID,
    Datacenter: n.Datacenter,
    Name: n.Name,
    CgroupParent: n.CgroupParent,
    HTTPAddr: n.HTTPAddr,
    TLSEnabled: n.TLSEnabled,
    Attributes: n.Attributes,
    NodeResources: n.NodeResources,
    ReservedResources: n.ReservedResources,
    Links: n.Links,
    Meta: n.Meta,
    NodeClass: n.NodeClass,
    NodePool: n.NodePool,
    ComputedClass: n.ComputedClass,
    DrainStrategy: n.DrainStrategy,
    SchedulingEligibility: n.SchedulingEligibility,
    Status: n.Status,
    StatusDescription: n.StatusDescription,
    IdentitySigningKeyID: n.IdentitySigningKeyID,
    StatusUpdatedAt: n.StatusUpdatedAt,
    Events: n.Events,
    Drivers: n.Drivers,
    CSIControllerPlugins: n.CSIControllerPlugins,
    CSINodePlugins: n.CSINodePlugins,
    HostVolumes: n.HostVolumes,
    GCVolumesOnNodeGC: n.GCVolumesOnNodeGC,
    HostNetworks: n.HostNetworks,
    LastDrain: n.LastDrain,
    NodeMaxAllocs: n.NodeMaxAllocs,
    LastMissedHeartbeatIndex: n.LastMissedHeartbeatIndex,
    LastAllocUpdateIndex: index,
    CreateIndex: n.CreateIndex,
    ModifyIndex: n.ModifyIndex,
    Drain: n.Drain,
  };
}

/** `{ ...s, Summary, ModifyIndex }`: a job summary with new group counters. */
export function summaryWithGroups(s: Obj, groups: Obj, modifyIndex: number): Obj {
  if (!hasFields(s, SUMMARY_FIELDS)) return { ...s, Summary: groups, ModifyIndex: modifyIndex };
  return {
    JobID: s.JobID,
    Namespace: s.Namespace,
    Summary: groups,
    Children: s.Children,
    CreateIndex: s.CreateIndex,
    ModifyIndex: modifyIndex,
  };
}

/** `{ ...g }`: a group's summary counters, to be changed by the caller. */
export function copyGroupSummary(g: Obj): Obj {
  if (!hasFields(g, GROUP_SUMMARY_FIELDS)) return { ...g };
  return {
    Queued: g.Queued,
    Complete: g.Complete,
    Failed: g.Failed,
    Running: g.Running,
    Starting: g.Starting,
    Lost: g.Lost,
    Unknown: g.Unknown,
  };
}
