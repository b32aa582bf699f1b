// Job.Scale and Job.ScaleStatus (state-semantics §11): three raft writes for a count change (job,
// job-scaling eval, scaling event), one for an event alone; and the per-group scale status.
import type { Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { badRequest, notFound, RpcError } from '../errors.js';
import { newEval, putEval } from '../evaluations/table.js';
import { storeJobVersion, isPeriodicOrParameterized, type WriteReply } from './ops.js';
import { refreshJobStatus, isTerminalAlloc } from './status.js';
import { activeDeployment } from '../deployments/table.js';
import { allocsOfJob } from '../allocations/table.js';

export interface ScaleArgs {
  namespace: string;
  jobId: string;
  group: string;
  count: number | null;
  message: string;
  error: boolean;
  meta: Obj | null;
  jobModifyIndex: number;
}

const MAX_EVENTS_PER_GROUP = 20;

export function scaleJob(store: Store, args: ScaleArgs): WriteReply {
  if (!args.group) throw badRequest('missing task group name for scaling action');
  if (args.count !== null && args.count < 0) throw badRequest("scaling action count can't be negative");
  if (args.count !== null && args.error) throw badRequest('scaling action should not contain count if error is true');
  const key = jobKey(args.namespace, args.jobId);
  const job = store.jobs.get(key);
  if (!job) throw notFound(`job ${JSON.stringify(args.jobId)} not found`);
  if (job.Type === 'system' && args.count !== null && args.count > 1) {
    throw badRequest('jobs of type "system" can only be scaled between 0 and 1');
  }
  const tg = job.TaskGroups.find((g) => g.Name === args.group);
  if (!tg) throw badRequest(`task group ${JSON.stringify(args.group)} specified for scaling does not exist in job`);
  if (args.count !== null && tg.Scaling) {
    if (tg.Scaling.Min !== null && tg.Scaling.Min !== undefined && args.count < tg.Scaling.Min) {
      throw badRequest(`group count was less than scaling policy minimum: ${args.count} < ${tg.Scaling.Min}`);
    }
    if (tg.Scaling.Max !== null && tg.Scaling.Max !== undefined && args.count > tg.Scaling.Max) {
      throw badRequest(`group count was greater than scaling policy maximum: ${args.count} > ${tg.Scaling.Max}`);
    }
  }
  if (args.count !== null) {
    const dep = activeDeployment(store, job.Namespace, job.ID);
    if (dep && dep.JobCreateIndex === job.CreateIndex) throw badRequest('job scaling blocked due to active deployment');
    if (args.jobModifyIndex > 0 && args.jobModifyIndex !== job.JobModifyIndex) {
      throw new RpcError(`Enforcing job modify index ${args.jobModifyIndex}: job exists with conflicting job modify index: ${job.JobModifyIndex}`);
    }
  }
  const previous = tg.Count as number;
  let evalId = '';
  let evalIndex = 0;
  let jobModifyIndex = job.ModifyIndex;
  if (args.count !== null) {
    const count = args.count;
    const scaled: Job = { ...job, TaskGroups: job.TaskGroups.map((g) => (g.Name === args.group ? { ...g, Count: count } : g)) };
    jobModifyIndex = store.write((tx) => {
      storeJobVersion(store, tx, scaled, {});
      return tx.index;
    });
    if (!isPeriodicOrParameterized(job)) {
      store.write((tx) => {
        const stored = store.jobs.get(key)!;
        const ev = putEval(store, tx, newEval(store, stored, { triggeredBy: 'job-scaling', jobModifyIndex }));
        refreshJobStatus(store, tx, job.Namespace, job.ID);
        evalId = ev.ID;
        evalIndex = tx.index;
      });
    }
  }
  const index = store.write((tx) => {
    const record = store.scalingEvents.get(key) ?? { ScalingEvents: {}, ModifyIndex: 0 };
    const event = {
      Time: store.nowNs(),
      Count: args.count,
      PreviousCount: previous,
      Message: args.message,
      Error: args.error,
      Meta: args.meta,
      EvalID: evalId === '' ? null : evalId,
      CreateIndex: tx.index,
    };
    const list = [event, ...((record.ScalingEvents[args.group] as Obj[] | undefined) ?? [])].slice(0, MAX_EVENTS_PER_GROUP);
    store.scalingEvents.set(key, { ScalingEvents: { ...record.ScalingEvents, [args.group]: list }, ModifyIndex: tx.index });
    tx.touch('scaling_event');
    return tx.index;
  });
  return {
    EvalID: evalId,
    EvalCreateIndex: evalIndex,
    JobModifyIndex: jobModifyIndex,
    Warnings: '',
    Index: index,
    LastContact: 0,
    KnownLeader: true,
    NextToken: '',
  };
}

export function scaleStatus(store: Store, namespace: string, jobId: string): { status: Obj | null; index: number } {
  const key = jobKey(namespace, jobId);
  const job = store.jobs.get(key);
  if (!job) return { status: null, index: store.latestIndex() };
  const events = store.scalingEvents.get(key);
  let index = Math.max(job.ModifyIndex, events?.ModifyIndex ?? 0);
  const groups: Obj = {};
  for (const tg of job.TaskGroups) groups[tg.Name] = { Desired: tg.Count, Placed: 0, Running: 0, Healthy: 0, Unhealthy: 0, Events: events?.ScalingEvents[tg.Name] ?? null };
  for (const a of allocsOfJob(store, namespace, jobId)) {
    if ((a.Job as Job).CreateIndex !== job.CreateIndex || isTerminalAlloc(a) || a.DeploymentStatus?.Canary) continue;
    const g = groups[a.TaskGroup];
    if (!g) continue;
    g.Placed++;
    if (a.ClientStatus === 'running') g.Running++;
    if (a.DeploymentStatus?.Healthy === true) g.Healthy++;
    if (a.DeploymentStatus?.Healthy === false) g.Unhealthy++;
    index = Math.max(index, a.ModifyIndex);
  }
  return {
    status: { JobID: job.ID, Namespace: job.Namespace, JobCreateIndex: job.CreateIndex, JobModifyIndex: job.ModifyIndex, JobStopped: job.Stop, TaskGroups: groups },
    index,
  };
}
