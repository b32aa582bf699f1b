// Job write operations as Nomad's Job RPC endpoints perform them: checks first (each failure is an
// RpcError and leaves the store untouched), then one Raft-like write.
import type { Evaluation, Job, Obj } from '../types.js';
import { dropJobPolicies, syncJobPolicies } from '../scaling/policies.js';
import { dropAllocServices } from '../services/registrations.js';
import { jobKey, type Store, type Txn } from '../store.js';
import { RpcError } from '../errors.js';
import { newEval, putEval, putNewEval, evalsOfJob } from '../evaluations/table.js';
import { computeJobStatus, moveChildCounter, refreshJobStatus } from './status.js';
import { ensureSummary } from './summary.js';
import { MAX_SOURCE_SIZE, putSubmission, putVersion, submissionSize } from './versions.js';
import { canonicalizeJob, specChanged } from '../jobspec/canonicalize.js';
import { validateJob } from '../jobspec/validate.js';
import { nullElementErrors } from '../jobspec/null-elements.js';
import { trackUsage } from '../nodes/usage.js';
import { copyJob, shareJobParts } from '../records.js';
import { formatMultiError, formatWarnings } from '../jobspec/multierror.js';
import { schedulerConfig } from '../operator/config.js';
import { poolByName } from '../nodepools/table.js';
import { identityHasExtraClaims } from '../version.js';

export interface WriteReply {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  Warnings: string;
  Index: number;
  LastContact: number;
  KnownLeader: boolean;
  NextToken: string;
}

export interface RegisterArgs {
  /** The API job as decoded from the request, with the request's namespace already applied. */
  job: Obj;
  enforceIndex?: boolean;
  jobModifyIndex?: number;
  preserveCounts?: boolean;
  preserveResources?: boolean;
  evalPriority?: number;
  submission?: Obj | null;
}

export const isPeriodicOrParameterized = (job: Job): boolean =>
  Boolean(job.Periodic) || (Boolean(job.ParameterizedJob) && !job.Dispatched);

/** Positional, so a register builds the one reply object and no field bag beside it. */
function writeReply(evalId: string, evalCreateIndex: number, jobModifyIndex: number, index: number, warnings: string): WriteReply {
  return {
    EvalID: evalId,
    EvalCreateIndex: evalCreateIndex,
    JobModifyIndex: jobModifyIndex,
    Warnings: warnings,
    Index: index,
    LastContact: 0,
    KnownLeader: false,
    NextToken: '',
  };
}

/**
 * memoryOversubscriptionValidate: `memory_max` is ignored while the scheduler configuration
 * disables it. Indexed loops: pooled groups and their task lists are frozen arrays, whose
 * iteration allocates an iterator on every register.
 */
function memoryOversubscriptionWarnings(store: Store, job: Job, out: string[]): void {
  if (schedulerConfig(store).MemoryOversubscriptionEnabled) return;
  const groups = job.TaskGroups;
  for (let g = 0; g < groups.length; g++) {
    const tg = groups[g]!;
    const tasks = (tg.Tasks as Obj[] | null) ?? [];
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i]!;
      if (t.Resources && t.Resources.MemoryMaxMB) {
        out.push(`Memory oversubscription is not enabled; Task "${tg.Name}.${t.Name}" memory_max value will be ignored. Update the Scheduler Configuration to allow oversubscription.`);
      }
    }
  }
}

/** Canonicalises and validates an API job the way Register/Plan/Validate do. */
export function prepareJob(store: Store, apiJob: Obj): { job: Job; errors: ReturnType<typeof validateJob>['errors']; warnings: string[] } {
  // Nomad would dereference these; canonicalising them is meaningless, so they are all there is to say.
  const nulls = nullElementErrors(apiJob);
  if (nulls.length > 0) return { job: apiJob as Job, errors: nulls, warnings: [] };
  const job = canonicalizeJob(apiJob, { region: store.region, extraClaims: identityHasExtraClaims(store.nomad) });
  const { errors, warnings } = validateJob(job, {
    namespaceExists: (ns) => store.namespaces.has(ns),
    nodePoolExists: (pool) => poolByName(store, pool) !== undefined,
  });
  if (errors.length === 0) memoryOversubscriptionWarnings(store, job, warnings);
  return { job, errors, warnings };
}

export function checkEnforceIndex(existing: Job | undefined, index: number): void {
  if (existing && index === 0) {
    throw new RpcError('Enforcing job modify index 0: job already exists');
  }
  if (existing && index !== existing.JobModifyIndex) {
    throw new RpcError(
      `Enforcing job modify index ${index}: job exists with conflicting job modify index: ${existing.JobModifyIndex}`,
    );
  }
  if (!existing && index !== 0) {
    throw new RpcError(`Enforcing job modify index ${index}: job does not exist`);
  }
}

function validateJobUpdate(existing: Job | undefined, job: Job): void {
  if (!existing) {
    if (job.Dispatched) throw new RpcError("job can't be submitted with 'Dispatched' set");
    return;
  }
  if (existing.Type !== job.Type) {
    throw new RpcError(`cannot update job from type "${existing.Type}" to "${job.Type}"`);
  }
  if (existing.Periodic && !job.Periodic) throw new RpcError('cannot update periodic job to being non-periodic');
  if (!existing.Periodic && job.Periodic) throw new RpcError('cannot update non-periodic job to being periodic');
  if (existing.ParameterizedJob && !job.ParameterizedJob) {
    throw new RpcError('cannot update parameterized job to being non-parameterized');
  }
  if (!existing.ParameterizedJob && job.ParameterizedJob) {
    throw new RpcError('cannot update non-parameterized job to being parameterized');
  }
  if (existing.Dispatched !== job.Dispatched) throw new RpcError("field 'Dispatched' is read-only");
}

function preserve(existing: Job, job: Job, counts: boolean, resources: boolean): Job {
  if (!counts && !resources) return job;
  const groups = job.TaskGroups.map((tg) => {
    const old = existing.TaskGroups.find((o) => o.Name === tg.Name);
    if (!old) return tg;
    let next = counts ? { ...tg, Count: old.Count } : tg;
    if (resources) {
      next = {
        ...next,
        Tasks: (next.Tasks as Obj[]).map((t) => {
          const ot = (old.Tasks as Obj[]).find((o) => o.Name === t.Name);
          return ot ? { ...t, Resources: ot.Resources } : t;
        }),
      };
    }
    return next;
  });
  return { ...job, TaskGroups: groups };
}

/**
 * Stores a new version of a job with its eval in one write (Nomad's JobRegisterRequestType).
 * Shared by register, revert and stop.
 */
export function storeJobVersion(
  store: Store,
  tx: Txn,
  job: Job,
  opts: {
    submission?: Obj | null;
    /** The write's eval: a new one from newEval, which is stored as it is (not copied). */
    evalFor?: (stored: Job) => Evaluation | null;
    /**
     * `job` is this write's own, fresh from canonicalizeJob (copyJob's field order, held by nothing
     * else): it becomes the row itself instead of being copied.
     */
    fresh?: boolean;
    /** Auto-revert writes the stable version as it was: Stable and SubmitTime kept. */
    verbatim?: boolean;
  },
): { job: Job; eval: Evaluation | null } {
  const key = jobKey(job.Namespace, job.ID);
  const existing = store.jobs.get(key);
  const incomingVersion = job.Version;
  // Every object a JobRegisterRequest write touches is streamed as JobRegistered.
  if (!tx.eventType) tx.eventType = 'JobRegistered';
  const version = existing && incomingVersion <= existing.Version ? existing.Version + 1 : incomingVersion;
  const stable = opts.verbatim ? job.Stable : false;
  const submitTime = opts.verbatim ? job.SubmitTime : store.nowNs();
  const stored = opts.fresh ? job : copyJob(job);
  // Set field by field on the row's one hidden class (Object.assign from a patch object takes the
  // generic path and allocates the patch).
  stored.Version = version;
  stored.Stable = stable;
  stored.Status = existing?.Status ?? '';
  stored.SubmitTime = submitTime;
  stored.CreateIndex = existing ? existing.CreateIndex : tx.index;
  stored.ModifyIndex = tx.index;
  stored.JobModifyIndex = tx.index;
  stored.TaskGroups = syncJobPolicies(store, tx, stored, existing);
  shareJobParts(stored);
  store.jobs.set(key, stored);
  let ev: Evaluation | null = null;
  const evalToAdd = opts.evalFor?.(stored) ?? null;
  if (evalToAdd) ev = putNewEval(store, tx, evalToAdd);
  // The status depends on the eval just stored; the row is still private to this write, so it is
  // set in place rather than copied again.
  const status = computeJobStatus(store, stored);
  stored.Status = status;
  putVersion(store, tx, key, stored);
  ensureSummary(store, tx, key, stored);
  putSubmission(store, key, stored, opts.submission ?? null, incomingVersion, existing ? existing.Version : null);
  if (hasScaling(stored.TaskGroups)) tx.touch('scaling_policy');
  if (stored.Periodic && !existing) {
    store.periodicLaunches.set(key, { ID: stored.ID, Namespace: stored.Namespace, Launch: null, CreateIndex: tx.index, ModifyIndex: tx.index });
    tx.touch('periodic_launch');
  }
  tx.touch('jobs');
  tx.emit('Job', stored.ID, stored.Namespace, null, { Job: stored });
  moveChildCounter(store, tx, stored, existing ? existing.Status : '', status);
  return { job: stored, eval: ev };
}

/** Indexed: a pooled group list is a frozen array, and a predicate closure costs an allocation. */
function hasScaling(groups: Job['TaskGroups']): boolean {
  for (let i = 0; i < groups.length; i++) if (groups[i]!.Scaling) return true;
  return false;
}

export function registerJob(store: Store, args: RegisterArgs): WriteReply {
  const { job: prepared, errors, warnings } = prepareJob(store, args.job);
  if (errors.length > 0) throw new RpcError(formatMultiError(errors));
  const key = jobKey(prepared.Namespace, prepared.ID);
  const existing = store.jobs.get(key);
  if (args.enforceIndex) checkEnforceIndex(existing, args.jobModifyIndex ?? 0);
  validateJobUpdate(existing, prepared);
  const job = existing
    ? preserve(existing, prepared, Boolean(args.preserveCounts), Boolean(args.preserveResources))
    : prepared;

  let submission = args.submission ?? null;
  if (submission && submissionSize(submission) > MAX_SOURCE_SIZE) {
    warnings.push(`job source size of ${humanSize(submissionSize(submission))} exceeds maximum of ${humanSize(MAX_SOURCE_SIZE)} and will be discarded`);
    submission = null;
  }
  const priority = args.evalPriority && args.evalPriority > 0 ? args.evalPriority : undefined;
  const noEval = isPeriodicOrParameterized(job);

  if (existing && !specChanged(existing, job)) {
    if (noEval) {
      return writeReply('', 0, existing.ModifyIndex, existing.ModifyIndex, formatWarnings(warnings));
    }
    return store.write((tx) => {
      const ev = putEval(store, tx, newEval(store, existing, { triggeredBy: 'job-register', priority, jobModifyIndex: 0 }));
      refreshJobStatus(store, tx, existing.Namespace, existing.ID);
      return writeReply(ev.ID, tx.index, existing.ModifyIndex, tx.index, formatWarnings(warnings));
    });
  }

  return store.write((tx) => {
    const { eval: ev } = storeJobVersion(store, tx, job, {
      submission,
      fresh: job === prepared,
      evalFor: noEval
        ? undefined
        : (stored) => newEval(store, stored, { triggeredBy: 'job-register', priority, jobModifyIndex: tx.index, now: stored.SubmitTime }),
    });
    return writeReply(ev ? ev.ID : '', ev ? tx.index : 0, tx.index, tx.index, formatWarnings(warnings));
  });
}

/** go-humanize's IBytes-free Bytes formatting used in Nomad's source-size warning (SI units). */
function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return i === 0 ? `${n} B` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export interface DeregisterArgs {
  namespace: string;
  jobId: string;
  purge: boolean;
  evalPriority?: number;
}

export interface DeregisterReply {
  EvalID: string;
  EvalCreateIndex: number;
  JobModifyIndex: number;
  VolumeEvalID: string;
  VolumeEvalIndex: number;
  Index: number;
  LastContact: number;
  KnownLeader: boolean;
  NextToken: string;
}

export function deregisterJob(store: Store, args: DeregisterArgs): DeregisterReply {
  const reply = (index: number, ev: Evaluation | null): DeregisterReply => ({
    EvalID: ev?.ID ?? '',
    EvalCreateIndex: ev ? index : 0,
    JobModifyIndex: index,
    VolumeEvalID: '',
    VolumeEvalIndex: 0,
    Index: index,
    LastContact: 0,
    KnownLeader: false,
    NextToken: '',
  });
  if (!args.jobId) throw new RpcError('missing job ID for deregistering');
  const key = jobKey(args.namespace, args.jobId);
  const existing = store.jobs.get(key);
  if (!existing) return reply(0, null);
  const priority = args.evalPriority && args.evalPriority > 0 ? args.evalPriority : existing.Priority;
  const noEval = isPeriodicOrParameterized(existing);
  const deregisterEval = (job: Job, index: number): Evaluation =>
    newEval(store, job, { triggeredBy: 'job-deregister', priority, type: 'service', jobModifyIndex: index });

  return store.write((tx) => {
    tx.eventType = 'JobDeregistered';
    if (args.purge) {
      purgeJob(store, tx, existing);
      const ev = noEval ? null : putEval(store, tx, deregisterEval(existing, tx.index));
      return reply(tx.index, ev);
    }
    // One copy, which becomes the row (a spread here went megamorphic and was copied once more).
    const stopped = copyJob(existing);
    stopped.Stop = true;
    const { eval: ev } = storeJobVersion(store, tx, stopped, {
      fresh: true,
      evalFor: noEval ? undefined : (stored) => deregisterEval(stored, tx.index),
    });
    store.periodicLaunches.delete(key);
    return reply(tx.index, ev);
  });
}

/** Deletes a job and everything hanging off it except its evals (state-semantics §5.4). */
export function purgeJob(store: Store, tx: Txn, job: Job): void {
  const key = jobKey(job.Namespace, job.ID);
  store.jobs.delete(key);
  store.versions.delete(key);
  store.summaries.delete(key);
  store.submissions.delete(key);
  store.scalingEvents.delete(key);
  tx.touch('jobs', 'job_version', 'job_summary', 'allocs', 'scaling_event');
  if (store.periodicLaunches.delete(key)) tx.touch('periodic_launch');
  const deployments = store.deploymentsByJob.get(key);
  if (deployments && deployments.size > 0) {
    for (const id of deployments) store.deployments.delete(id);
    tx.touch('deployment');
  }
  store.deploymentsByJob.delete(key);
  for (const id of store.allocsByJob.get(key) ?? []) {
    dropAllocServices(store, tx, id);
    trackUsage(store.nodeUsage, store.allocs.get(id), undefined);
    store.allocs.delete(id);
  }
  store.allocsByJob.delete(key);
  for (const ev of evalsOfJob(store, job.Namespace, job.ID)) {
    if (ev.Status === 'pending') {
      putEval(store, tx, ev, { Status: 'complete', StatusDescription: `job ${job.ID} deleted`, ModifyTime: store.nowNs() });
    }
  }
  if (job.TaskGroups.some((tg) => tg.Scaling)) tx.touch('scaling_policy');
  dropJobPolicies(store, tx, job.Namespace, job.ID);
  tx.emit('Job', job.ID, job.Namespace, null, { Job: job });
  moveChildCounter(store, tx, job, job.Status, 'dead');
}
