// Reads of what hangs off a job: its evaluations, allocations, deployments and summary.
import type { Evaluation, Job, Obj } from '../types.js';
import { listRegistrations } from '../services/registrations.js';
import { jobKey, type Store } from '../store.js';
import { evalsOfJob } from '../evaluations/table.js';

/** Memdb's `job` index orders a job's evals by status string, then ID. */
export function jobEvaluations(store: Store, namespace: string, id: string): Evaluation[] {
  return evalsOfJob(store, namespace, id).sort((a, b) =>
    a.Status === b.Status ? (a.ID < b.ID ? -1 : 1) : a.Status < b.Status ? -1 : 1,
  );
}

function ofCurrentInstance(store: Store, namespace: string, id: string, all: boolean): (createIndex: number) => boolean {
  const job = store.jobs.get(jobKey(namespace, id));
  return (createIndex) => all || (job !== undefined && createIndex === job.CreateIndex);
}

export function jobAllocations(store: Store, namespace: string, id: string, all: boolean): Obj[] {
  const keep = ofCurrentInstance(store, namespace, id, all);
  const out: Obj[] = [];
  for (const allocId of store.allocsByJob.get(jobKey(namespace, id)) ?? []) {
    const alloc = store.allocs.get(allocId)!;
    if (keep(alloc.Job?.CreateIndex ?? 0)) out.push(alloc);
  }
  return out.sort((a, b) => (a.ID < b.ID ? -1 : 1));
}

export function jobDeployments(store: Store, namespace: string, id: string, all: boolean): Obj[] {
  const keep = ofCurrentInstance(store, namespace, id, all);
  const out: Obj[] = [];
  for (const depId of store.deploymentsByJob.get(jobKey(namespace, id)) ?? []) {
    const dep = store.deployments.get(depId)!;
    if (keep(dep.JobCreateIndex)) out.push(dep);
  }
  return out.sort((a, b) => b.CreateIndex - a.CreateIndex);
}

export function latestDeployment(store: Store, namespace: string, id: string): Obj | null {
  return jobDeployments(store, namespace, id, false)[0] ?? null;
}

const stubCache = new WeakMap<Obj, Obj>();

/** AllocListStub: every field present (no omitempty), in declaration order. */
export function allocStub(alloc: Obj, withResources = false): Obj {
  if (!withResources) {
    const hit = stubCache.get(alloc);
    if (hit) return hit;
  }
  const job = alloc.Job as Job | undefined;
  const stub = {
    ID: alloc.ID,
    EvalID: alloc.EvalID,
    Name: alloc.Name,
    Namespace: alloc.Namespace,
    NodeID: alloc.NodeID,
    NodeName: alloc.NodeName,
    JobID: alloc.JobID,
    JobType: job?.Type ?? '',
    JobVersion: job?.Version ?? 0,
    TaskGroup: alloc.TaskGroup,
    AllocatedResources: withResources ? (alloc.AllocatedResources ?? null) : null,
    DesiredStatus: alloc.DesiredStatus,
    DesiredDescription: alloc.DesiredDescription ?? '',
    ClientStatus: alloc.ClientStatus,
    ClientDescription: alloc.ClientDescription ?? '',
    DesiredTransition: alloc.DesiredTransition ?? { Migrate: null, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null, MigrateDisablePlacement: null },
    TaskStates: alloc.TaskStates ?? null,
    DeploymentStatus: alloc.DeploymentStatus ?? null,
    FollowupEvalID: alloc.FollowupEvalID ?? '',
    NextAllocation: alloc.NextAllocation ?? '',
    RescheduleTracker: alloc.RescheduleTracker ?? null,
    PreemptedAllocations: alloc.PreemptedAllocations ?? null,
    PreemptedByAllocation: alloc.PreemptedByAllocation ?? '',
    CreateIndex: alloc.CreateIndex,
    ModifyIndex: alloc.ModifyIndex,
    CreateTime: alloc.CreateTime,
    ModifyTime: alloc.ModifyTime,
  };
  if (!withResources) stubCache.set(alloc, stub);
  return stub;
}

/** The actions every task of the current version declares (GET /v1/job/:id/actions). */
export function jobActions(job: Job): Obj[] {
  const out: Obj[] = [];
  for (const tg of job.TaskGroups) {
    for (const task of (tg.Tasks as Obj[]) ?? []) {
      for (const action of (task.Actions as Obj[] | null) ?? []) {
        out.push({ Name: action.Name, Command: action.Command, Args: action.Args ?? null, TaskName: task.Name, TaskGroupName: tg.Name });
      }
    }
  }
  return out;
}

/** Port a running alloc got for a label: the reserved value, or a stable pick from the dynamic range. */
export function portFor(tg: Obj, allocId: string, label: string): number {
  for (const net of (tg.Networks as Obj[] | null) ?? []) {
    const reserved = ((net.ReservedPorts as Obj[] | null) ?? []).find((p) => p.Label === label);
    if (reserved) return reserved.Value;
  }
  let h = 0;
  for (const ch of `${allocId}/${label}`) h = (Math.imul(31, h) + ch.charCodeAt(0)) | 0;
  return 20000 + (Math.abs(h) % 12000);
}

/** Nomad-native service registrations of a job (the service_registrations table), by ID. */
export function jobServices(store: Store, namespace: string, id: string): Obj[] {
  return listRegistrations(store, namespace)
    .filter((r) => r.JobID === id)
    .sort((x, y) => (x.ID < y.ID ? -1 : 1));
}
