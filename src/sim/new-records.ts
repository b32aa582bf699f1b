// The allocation and deployment records a scheduler pass creates (reconcile.ts), field for field in
// Nomad's order.
import type { Evaluation, Job, Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import { DeploymentText } from '../../state/deployments/table.js';

export function newAllocation(store: Store, job: Job, ev: Evaluation, nowNs: number, tg: Obj, name: string, node: Obj, metric: Obj, extra: Obj = {}, memoryOversubscription = false): Obj {
  return {
    ID: store.newId(),
    Namespace: job.Namespace,
    EvalID: ev.ID,
    Name: name,
    NodeID: node.ID,
    NodeName: node.Name,
    JobID: job.ID,
    Job: job,
    TaskGroup: tg.Name,
    Resources: null,
    SharedResources: { DiskMB: tg.EphemeralDisk?.SizeMB ?? 300, Networks: tg.Networks ?? null },
    TaskResources: null,
    AllocatedResources: allocatedResources(tg, memoryOversubscription),
    Metrics: { ...metric, AllocationTime: 150000 },
    DesiredStatus: 'run',
    DesiredDescription: '',
    DesiredTransition: { Migrate: null, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null, MigrateDisablePlacement: null },
    ClientStatus: 'pending',
    ClientDescription: '',
    TaskStates: null,
    AllocStates: null,
    PreviousAllocation: '',
    NextAllocation: '',
    DeploymentID: '',
    DeploymentStatus: null,
    RescheduleTracker: null,
    NetworkStatus: null,
    FollowupEvalID: '',
    PreemptedAllocations: null,
    PreemptedByAllocation: '',
    SigningKeyID: '',
    CreateIndex: 0,
    ModifyIndex: 0,
    AllocModifyIndex: 0,
    CreateTime: nowNs,
    ModifyTime: nowNs,
    ...extra,
  };
}

/** A deployment for the job's current version: one entry per group with an update strategy. */
export function newDeployment(store: Store, job: Job, ev: Evaluation, nowNs: number): Obj {
  const groups: Obj = {};
  for (const tg of job.TaskGroups) {
    if (!((tg.Update?.MaxParallel ?? 0) > 0)) continue;
    groups[tg.Name] = {
      AutoRevert: Boolean(tg.Update.AutoRevert),
      AutoPromote: Boolean(tg.Update.AutoPromote),
      ProgressDeadline: tg.Update.ProgressDeadline ?? 0,
      RequireProgressBy: null,
      Promoted: false,
      PlacedCanaries: null,
      DesiredCanaries: 0,
      DesiredTotal: job.Type === 'system' ? 0 : tg.Count,
      PlacedAllocs: 0,
      HealthyAllocs: 0,
      UnhealthyAllocs: 0,
    };
  }
  return {
    ID: store.newId(),
    Namespace: job.Namespace,
    JobID: job.ID,
    JobVersion: job.Version,
    JobModifyIndex: job.ModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex,
    IsMultiregion: false,
    TaskGroups: groups,
    Status: 'running',
    StatusDescription: DeploymentText.running,
    EvalPriority: ev.Priority,
    CreateIndex: 0,
    ModifyIndex: 0,
    CreateTime: nowNs,
    ModifyTime: 0,
  };
}

/** The BinPackIterator's task resources: `memory_max` is kept only while oversubscription is enabled. */
function allocatedResources(tg: Obj, memoryOversubscription: boolean): Obj {
  const tasks: Obj = {};
  const lifecycles: Obj = {};
  for (const t of (tg.Tasks as Obj[]) ?? []) {
    tasks[t.Name] = {
      Cpu: { CpuShares: t.Resources?.CPU ?? 100, ReservedCores: null },
      Memory: { MemoryMB: t.Resources?.MemoryMB ?? 300, MemoryMaxMB: memoryOversubscription ? (t.Resources?.MemoryMaxMB ?? 0) : 0 },
      Networks: null,
      Devices: null,
    };
    lifecycles[t.Name] = t.Lifecycle ?? null;
  }
  return { Tasks: tasks, TaskLifecycles: lifecycles, Shared: { DiskMB: tg.EphemeralDisk?.SizeMB ?? 300, Networks: tg.Networks ?? null, Ports: null } };
}
