// The core scheduler's garbage collection (nomad/core_sched.go, state-semantics §5.5): which jobs,
// evals, allocs, deployments and nodes are old and finished enough to delete (the writes that
// delete them are in reap.ts). Ages are judged by the objects' own timestamps against a cutoff (Nomad ≥ 1.9):
// anything stamped after the cutoff is too new. A forced GC uses "now" as every cutoff.
import type { Evaluation, Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { isTerminalEval } from '../evaluations/table.js';
import { isTerminalAlloc } from '../jobs/status.js';
import { isActiveDeployment } from '../deployments/table.js';
import { reapDeployments, reapEvals, reapJobs, reapNodes, type GcResult } from './reap.js';

export type { GcResult } from './reap.js';

function merge(into: GcResult, from: GcResult): GcResult {
  into.jobs.push(...from.jobs);
  into.evals.push(...from.evals);
  into.allocs.push(...from.allocs);
  into.deployments.push(...from.deployments);
  into.nodes.push(...from.nodes);
  return into;
}

/** The jobs table's `gc` index (jobIsGCable in nomad/state/schema.go). */
export function jobIsGCable(job: Job): boolean {
  if (job.VersionTag) return false;
  const periodic = Boolean(job.Periodic?.Enabled);
  const parameterized = Boolean(job.ParameterizedJob) && !job.Dispatched;
  if (periodic || parameterized) return job.Stop;
  if (job.Status !== 'dead') return false;
  if (job.Stop) return true;
  return job.Type === 'batch' || job.Type === 'sysbatch';
}

/** Whether a lost alloc of this group may be replaced (TaskGroup.Replace). */
function replacesLost(tg: Obj): boolean {
  if (tg.Disconnect) return tg.Disconnect.Replace !== false;
  return !tg.PreventRescheduleOnLost;
}

/** allocGCEligible: terminal and old, and not still needed to carry a reschedule policy forward. */
export function allocGCEligible(a: Obj, job: Job | undefined, nowNs: number, cutoff: number): boolean {
  if (!isTerminalAlloc(a) || a.ModifyTime > cutoff) return false;
  if (a.ClientStatus === 'running') return false;
  if (!job) return true;
  const tg = job.TaskGroups.find((g) => g.Name === a.TaskGroup);
  if (!tg) return true;
  if (!job.Stop && !replacesLost(tg) && a.ClientStatus === 'lost') return false;
  if (job.Stop || job.Status === 'dead') return true;
  if (a.DesiredStatus === 'stop') return true;
  if (a.ClientStatus !== 'failed') return true;
  const policy = tg.ReschedulePolicy as Obj | null | undefined;
  if (!policy || (!policy.Unlimited && !policy.Attempts)) return true;
  if (a.NextAllocation) return true;
  if (policy.Unlimited) return false;
  const events = (a.RescheduleTracker?.Events as Obj[] | null | undefined) ?? [];
  if (events.length === 0) return false;
  return nowNs - Number(events[events.length - 1]!.RescheduleTime) > Number(policy.Interval ?? 0);
}

/**
 * memdb's allocs `eval`, `deployment` and `node` indexes. An eval's or a deployment's allocs are
 * those of its job, so the first two are built per job, from the job's own allocs, when a pass
 * first asks about that job: a pass over a big cluster with a few collectable evals walks their
 * jobs' allocs, not every alloc of the cluster. Within a job, allocs come in the store's order.
 */
class AllocIndex {
  private readonly jobs = new Map<string, { byEval: Map<string, Obj[]>; byDeployment: Map<string, Obj[]> }>();
  private nodes: Map<string, Obj[]> | null = null;
  constructor(private readonly store: Store) {}

  private ofJob(namespace: string, jobId: string): { byEval: Map<string, Obj[]>; byDeployment: Map<string, Obj[]> } {
    const key = jobKey(namespace, jobId);
    let m = this.jobs.get(key);
    if (!m) {
      m = { byEval: new Map<string, Obj[]>(), byDeployment: new Map<string, Obj[]>() };
      for (const id of this.store.allocsByJob.get(key) ?? []) {
        const a = this.store.allocs.get(id)!;
        push(m.byEval, a.EvalID, a);
        if (a.DeploymentID) push(m.byDeployment, a.DeploymentID, a);
      }
      this.jobs.set(key, m);
    }
    return m;
  }

  ofEval(ev: Evaluation): Obj[] {
    const few = this.fewOfJob(ev.Namespace, ev.JobID);
    if (few) return few.filter((a) => a.EvalID === ev.ID);
    return this.ofJob(ev.Namespace, ev.JobID).byEval.get(ev.ID) ?? [];
  }

  ofDeployment(dep: Obj): Obj[] {
    const few = this.fewOfJob(dep.Namespace, dep.JobID);
    if (few) return few.filter((a) => a.DeploymentID === dep.ID);
    return this.ofJob(dep.Namespace, dep.JobID).byDeployment.get(dep.ID) ?? [];
  }

  /** A job with a handful of allocs (most of a big cluster's) is filtered directly, with no map built. */
  private fewOfJob(namespace: string, jobId: string): Obj[] | null {
    const ids = this.store.allocsByJob.get(jobKey(namespace, jobId));
    if (!ids) return NO_ALLOCS;
    if (ids.size > FEW) return null;
    const out: Obj[] = [];
    for (const id of ids) out.push(this.store.allocs.get(id)!);
    return out;
  }

  get byNode(): Map<string, Obj[]> {
    if (!this.nodes) {
      const m = new Map<string, Obj[]>();
      for (const a of this.store.allocs.values()) push(m, a.NodeID, a);
      this.nodes = m;
    }
    return this.nodes;
  }
}

const NO_ALLOCS: Obj[] = [];
const FEW = 8;

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** gcEval: whether the eval may go, and which of its allocs may go with it (or without it). */
function gcEval(store: Store, ev: Evaluation, cutoff: number, allowBatch: boolean, index: AllocIndex): { gc: boolean; allocs: string[] } {
  if (!isTerminalEval(ev) || ev.ModifyTime > cutoff) return { gc: false, allocs: [] };
  const job = store.jobs.get(jobKey(ev.Namespace, ev.JobID));
  const allocs = index.ofEval(ev);
  if (ev.Type === 'batch') {
    // A live batch job keeps its latest allocs: GC'ing them would make the scheduler run them again.
    const collect = !job || (job.Status === 'dead' && (job.Stop || allowBatch));
    if (!collect) {
      const old = allocs
        .filter((a) => a.CreateIndex < job.JobModifyIndex && a.ModifyTime < cutoff && isTerminalAlloc(a))
        .map((a) => a.ID as string);
      return { gc: old.length === allocs.length, allocs: old };
    }
  }
  let gc = true;
  const ids: string[] = [];
  const now = store.nowNs();
  for (const a of allocs) {
    if (allocGCEligible(a, job, now, cutoff)) ids.push(a.ID);
    else gc = false;
  }
  return { gc, allocs: ids };
}

/** jobGC: eligible jobs whose every eval (and its allocs) is collectable go, all at once. */
export function jobGC(store: Store, cutoff: number): GcResult {
  const index = new AllocIndex(store);
  const jobs: Job[] = [];
  const evals: string[] = [];
  const allocs: string[] = [];
  for (const job of store.jobs.values()) {
    if (!jobIsGCable(job) || job.SubmitTime > cutoff) continue;
    const jobEvals: string[] = [];
    const jobAllocs: string[] = [];
    let all = true;
    for (const id of store.evalsByJob.get(jobKey(job.Namespace, job.ID)) ?? []) {
      const ev = store.evals.get(id)!;
      const r = gcEval(store, ev, cutoff, true, index);
      if (!r.gc) {
        all = false;
        break;
      }
      jobEvals.push(ev.ID);
      jobAllocs.push(...r.allocs);
    }
    if (!all) continue;
    jobs.push(job);
    evals.push(...jobEvals);
    allocs.push(...jobAllocs);
  }
  const out = reapEvals(store, evals, allocs);
  return merge(out, reapJobs(store, jobs));
}

/** evalGC: terminal old evals with their collectable allocs; batch evals by their own threshold. */
export function evalGC(store: Store, cutoff: number, batchCutoff: number): GcResult {
  const index = new AllocIndex(store);
  const evals: string[] = [];
  const allocs: string[] = [];
  for (const ev of store.evals.values()) {
    const r = gcEval(store, ev, ev.Type === 'batch' ? batchCutoff : cutoff, false, index);
    if (r.gc) evals.push(ev.ID);
    allocs.push(...r.allocs);
  }
  return reapEvals(store, evals, allocs);
}

/** deploymentGC: terminal old deployments no live alloc refers to. */
export function deploymentGC(store: Store, cutoff: number): GcResult {
  const index = new AllocIndex(store);
  const ids: string[] = [];
  for (const dep of store.deployments.values()) {
    if (isActiveDeployment(dep) || dep.ModifyTime > cutoff) continue;
    if (index.ofDeployment(dep).some((a) => !isTerminalAlloc(a))) continue;
    ids.push(dep.ID);
  }
  return reapDeployments(store, ids);
}

/** nodeGC: down nodes, down long enough, with nothing live left on them. */
export function nodeGC(store: Store, cutoff: number): GcResult {
  const index = new AllocIndex(store);
  const ids: string[] = [];
  for (const node of store.nodes.values()) {
    if (node.Status !== 'down' || Number(node.StatusUpdatedAt) * 1e9 > cutoff) continue;
    if ((index.byNode.get(node.ID) ?? []).some((a) => !isTerminalAlloc(a))) continue;
    ids.push(node.ID);
  }
  return reapNodes(store, ids, ids.length > 0 ? index.byNode : new Map());
}

/** `nomad system gc`: every collector with every threshold at zero; nodes last, once allocs are gone. */
export function forceGC(store: Store): GcResult {
  const now = store.nowNs();
  const out = jobGC(store, now);
  merge(out, evalGC(store, now, now));
  merge(out, deploymentGC(store, now));
  return merge(out, nodeGC(store, now));
}

