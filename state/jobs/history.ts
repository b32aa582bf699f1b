// Version-history operations: revert, stable flag and force-evaluate (state-semantics §4.3–4.4,
// http-semantics §6.5–6.7).
import type { Job } from '../types.js';
import { jobKey, type Store, type Txn } from '../store.js';
import { RpcError } from '../errors.js';
import { newEval, putEval } from '../evaluations/table.js';
import { putAlloc } from '../allocations/table.js';
import { rewriteJobRow } from './status.js';
import { checkEnforceIndex, isPeriodicOrParameterized, storeJobVersion, type WriteReply } from './ops.js';
import { specChanged } from '../jobspec/canonicalize.js';

function versionNotFound(ns: string, id: string, version: number): RpcError {
  return new RpcError(`job "${id}" in namespace "${ns}" at version ${version} not found`);
}

export function findVersion(store: Store, ns: string, id: string, version: number): Job | undefined {
  return store.versions.get(jobKey(ns, id))?.find((v) => v.Version === version);
}

const reply = (r: Partial<WriteReply>): WriteReply => ({
  EvalID: '',
  EvalCreateIndex: 0,
  JobModifyIndex: 0,
  Warnings: '',
  Index: 0,
  LastContact: 0,
  KnownLeader: false,
  NextToken: '',
  ...r,
});

export interface RevertArgs {
  namespace: string;
  jobId: string;
  jobVersion: number;
  enforcePriorVersion: number | null;
}

export function revertJob(store: Store, args: RevertArgs): WriteReply {
  if (!args.jobId) throw new RpcError('missing job ID for revert');
  const cur = store.jobs.get(jobKey(args.namespace, args.jobId));
  if (!cur) throw new RpcError(`job "${args.jobId}" not found`);
  if (args.jobVersion === cur.Version) throw new RpcError("can't revert to current version");
  const old = findVersion(store, args.namespace, args.jobId, args.jobVersion);
  if (!old) throw versionNotFound(args.namespace, args.jobId, args.jobVersion);
  if (args.enforcePriorVersion !== null) {
    if (args.enforcePriorVersion !== cur.Version) {
      throw new RpcError(`Current job has version ${cur.Version}; enforcing version ${args.enforcePriorVersion}`);
    }
    checkEnforceIndex(cur, cur.JobModifyIndex);
  }
  const revived: Job = { ...old, VersionTag: null, Stop: old.Stop };
  const noEval = isPeriodicOrParameterized(revived);
  if (!specChanged(cur, revived)) {
    if (noEval) return reply({ JobModifyIndex: cur.ModifyIndex, Index: cur.ModifyIndex });
    return store.write((tx) => {
      const ev = putEval(store, tx, newEval(store, cur, { triggeredBy: 'job-register', jobModifyIndex: 0 }));
      return reply({ EvalID: ev.ID, EvalCreateIndex: tx.index, JobModifyIndex: cur.ModifyIndex, Index: tx.index });
    });
  }
  return store.write((tx) => {
    const { eval: ev } = storeJobVersion(store, tx, revived, {
      evalFor: noEval
        ? undefined
        : (stored) => newEval(store, stored, { triggeredBy: 'job-register', jobModifyIndex: tx.index, now: stored.SubmitTime }),
    });
    return reply({ EvalID: ev?.ID ?? '', EvalCreateIndex: ev ? tx.index : 0, JobModifyIndex: tx.index, Index: tx.index });
  });
}

export interface StableArgs {
  namespace: string;
  jobId: string;
  jobVersion: number;
  stable: boolean;
}

/** Sets the Stable flag of a version. Nomad spends an index even when the flag is unchanged. */
export function setJobStability(store: Store, args: StableArgs): { Index: number } {
  if (!args.jobId) throw new RpcError('missing job ID for marking job as stable');
  const target = findVersion(store, args.namespace, args.jobId, args.jobVersion);
  if (!target) throw versionNotFound(args.namespace, args.jobId, args.jobVersion);
  return store.write((tx) => {
    if (target.Stable === args.stable) return { Index: tx.index };
    const key = jobKey(args.namespace, args.jobId);
    const cur = store.jobs.get(key)!;
    const versions = store.versions.get(key)!;
    if (cur.Version === target.Version) {
      rewriteJobRow(store, tx, cur, { Stable: args.stable });
    } else {
      // Nomad would write the old copy over the job row (hashicorp/nomad#20497); the mock only
      // flags the version row so the current job stays intact.
      store.versions.set(key, versions.map((v) => (v === target ? { ...target, Stable: args.stable, ModifyIndex: tx.index } : v)));
    }
    tx.touch('job_version');
    return { Index: tx.index };
  });
}

export interface EvaluateArgs {
  namespace: string;
  jobId: string;
  forceReschedule: boolean;
}

export function evaluateJob(store: Store, args: EvaluateArgs): WriteReply {
  const job = store.jobs.get(jobKey(args.namespace, args.jobId));
  if (!job) throw new RpcError('job not found');
  if (job.Periodic) throw new RpcError("can't evaluate periodic job");
  if (job.ParameterizedJob && !job.Dispatched) throw new RpcError("can't evaluate parameterized job");
  return store.write((tx) => {
    tx.eventType = 'AllocationUpdateDesiredStatus';
    const ev = putEval(store, tx, newEval(store, job, { triggeredBy: 'job-register', jobModifyIndex: job.ModifyIndex }));
    if (args.forceReschedule) forceRescheduleFailed(store, tx, job);
    tx.touch('allocs');
    return reply({ EvalID: ev.ID, EvalCreateIndex: tx.index, JobModifyIndex: job.ModifyIndex, Index: tx.index });
  });
}

/** Marks failed allocs of reschedulable groups for a forced reschedule (EvalOptions.ForceReschedule). */
function forceRescheduleFailed(store: Store, tx: Txn, job: Job): void {
  for (const id of store.allocsByJob.get(jobKey(job.Namespace, job.ID)) ?? []) {
    const alloc = store.allocs.get(id)!;
    if (alloc.ClientStatus !== 'failed' || alloc.DesiredStatus !== 'run') continue;
    const tg = job.TaskGroups.find((g) => g.Name === alloc.TaskGroup);
    if (!tg?.ReschedulePolicy) continue;
    putAlloc(store, tx, { ...alloc, DesiredTransition: { ...alloc.DesiredTransition, ForceReschedule: true } });
  }
}
