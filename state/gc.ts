// The core scheduler's garbage collection (nomad/core_sched.go, state-semantics §5.5): which jobs,
// evals, allocs, deployments and nodes are old and finished enough to delete, and the reap writes
// that delete them. Ages are judged by the objects' own timestamps against a cutoff (Nomad ≥ 1.9):
// anything stamped after the cutoff is too new. A forced GC uses "now" as every cutoff.
import type { Evaluation, Job, Obj } from './types.js';
import { jobKey, type Store } from './store.js';
import { isTerminalEval, newEval, putEval } from './evals.js';
import { isTerminalAlloc, refreshJobStatus } from './job-status.js';
import { isActiveDeployment } from './deployments.js';
import { purgeJob } from './job-ops.js';
import { trackUsage } from './node-usage.js';

/** Unix-nanosecond cutoffs per kind of object. */
export interface GcCutoffs {
  job: number;
  eval: number;
  batchEval: number;
  deployment: number;
  node: number;
}

/** What one GC pass deleted; the simulator forgets its own bookkeeping for these. */
export interface GcResult {
  jobs: { Namespace: string; ID: string }[];
  evals: string[];
  allocs: string[];
  deployments: string[];
  nodes: string[];
}

export const emptyResult = (): GcResult => ({ jobs: [], evals: [], allocs: [], deployments: [], nodes: [] });

function merge(into: GcResult, from: GcResult): GcResult {
  into.jobs.push(...from.jobs);
  into.evals.push(...from.evals);
  into.allocs.push(...from.allocs);
  into.deployments.push(...from.deployments);
  into.nodes.push(...from.nodes);
  return into;
}

/** core_sched's maxIdsPerReap: 0.25 MB of UUIDs per Raft write keeps every reap write bounded. */
export const MAX_IDS_PER_REAP = Math.floor((1024 * 256) / 36);

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

/** memdb's allocs `eval` and `deployment` indexes, built once per pass. */
class AllocIndex {
  readonly byEval = new Map<string, Obj[]>();
  readonly byDeployment = new Map<string, Obj[]>();
  readonly byNode = new Map<string, Obj[]>();
  constructor(store: Store) {
    for (const a of store.allocs.values()) {
      push(this.byEval, a.EvalID, a);
      if (a.DeploymentID) push(this.byDeployment, a.DeploymentID, a);
      push(this.byNode, a.NodeID, a);
    }
  }
}

function push<T>(m: Map<string, T[]>, k: string, v: T): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** gcEval: whether the eval may go, and which of its allocs may go with it (or without it). */
function gcEval(store: Store, ev: Evaluation, cutoff: number, allowBatch: boolean, index: AllocIndex): { gc: boolean; allocs: string[] } {
  if (!isTerminalEval(ev) || ev.ModifyTime > cutoff) return { gc: false, allocs: [] };
  const job = store.jobs.get(jobKey(ev.Namespace, ev.JobID));
  const allocs = index.byEval.get(ev.ID) ?? [];
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
    if ((index.byDeployment.get(dep.ID) ?? []).some((a) => !isTerminalAlloc(a))) continue;
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
  return reapNodes(store, ids, index);
}

/** `nomad system gc`: every collector with every threshold at zero; nodes last, once allocs are gone. */
export function forceGC(store: Store): GcResult {
  const now = store.nowNs();
  const out = jobGC(store, now);
  merge(out, evalGC(store, now, now));
  merge(out, deploymentGC(store, now));
  return merge(out, nodeGC(store, now));
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Eval.Reap (DeleteEval): deletes evals and allocs, then re-derives the status of every job that
 * lost an eval. Nomad streams no events for this write.
 */
export function reapEvals(store: Store, evalIds: string[], allocIds: string[]): GcResult {
  const out = emptyResult();
  const evals = [...new Set(evalIds)];
  const allocs = [...new Set(allocIds)];
  // partitionEvalReap: allocs fill each request first, evals take what room is left.
  let e = 0;
  let a = 0;
  while (e < evals.length || a < allocs.length) {
    let room = MAX_IDS_PER_REAP;
    const allocPart = allocs.slice(a, a + room);
    a += allocPart.length;
    room -= allocPart.length;
    const evalPart = evals.slice(e, e + room);
    e += evalPart.length;
    store.write((tx) => {
      const jobs = new Map<string, { ns: string; id: string }>();
      for (const id of evalPart) {
        const ev = store.evals.get(id);
        if (!ev) continue;
        store.evals.delete(id);
        const key = jobKey(ev.Namespace, ev.JobID);
        const ids = store.evalsByJob.get(key);
        if (ids) {
          ids.delete(id);
          if (ids.size === 0) store.evalsByJob.delete(key);
        }
        jobs.set(key, { ns: ev.Namespace, id: ev.JobID });
        out.evals.push(id);
      }
      for (const id of allocPart) {
        const alloc = store.allocs.get(id);
        if (!alloc) continue;
        removeAlloc(store, alloc);
        out.allocs.push(id);
      }
      tx.touch('evals', 'allocs');
      for (const j of jobs.values()) refreshJobStatus(store, tx, j.ns, j.id, true);
      // EvalDeleteRequestType has no event type in Nomad's stream: the status rewrites above stay
      // off the event stream (persistence still sees the write through Store.onCommit).
      tx.events.length = 0;
    });
  }
  return out;
}

function removeAlloc(store: Store, alloc: Obj): void {
  store.allocs.delete(alloc.ID);
  trackUsage(store.nodeUsage, alloc, undefined);
  const key = jobKey(alloc.Namespace, alloc.JobID);
  const ids = store.allocsByJob.get(key);
  if (ids) {
    ids.delete(alloc.ID);
    if (ids.size === 0) store.allocsByJob.delete(key);
  }
}

/** Job.BatchDeregister with purge: each job goes as a purge does (§5.4), streamed JobBatchDeregistered. */
export function reapJobs(store: Store, jobs: Job[]): GcResult {
  const out = emptyResult();
  for (const part of chunks(jobs, MAX_IDS_PER_REAP)) {
    store.write((tx) => {
      tx.eventType = 'JobBatchDeregistered';
      for (const job of part) {
        const key = jobKey(job.Namespace, job.ID);
        const cur = store.jobs.get(key);
        if (!cur) continue;
        out.allocs.push(...(store.allocsByJob.get(key) ?? []));
        out.deployments.push(...(store.deploymentsByJob.get(key) ?? []));
        purgeJob(store, tx, cur);
        // Any eval left (a job GC reaps them first) would only keep an empty index row alive.
        if (store.evalsByJob.get(key)?.size === 0) store.evalsByJob.delete(key);
        out.jobs.push({ Namespace: cur.Namespace, ID: cur.ID });
      }
    });
  }
  return out;
}

/** Deployment.Reap (DeleteDeployment): no events. */
export function reapDeployments(store: Store, ids: string[]): GcResult {
  const out = emptyResult();
  for (const part of chunks(ids, MAX_IDS_PER_REAP)) {
    store.write((tx) => {
      for (const id of part) {
        const dep = store.deployments.get(id);
        if (!dep) continue;
        store.deployments.delete(id);
        const key = jobKey(dep.Namespace, dep.JobID);
        const set = store.deploymentsByJob.get(key);
        if (set) {
          set.delete(id);
          if (set.size === 0) store.deploymentsByJob.delete(key);
        }
        out.deployments.push(id);
      }
      tx.touch('deployment');
    });
  }
  return out;
}

/**
 * Node.BatchDeregister: the node rows go (streamed NodeDeregistration), then each node gets the
 * node-update evals of createNodeEvals: one per job with allocs on it, one per system job that
 * could run there.
 */
function reapNodes(store: Store, ids: string[], index: AllocIndex): GcResult {
  const out = emptyResult();
  if (ids.length === 0) return out;
  const removed: Obj[] = [];
  for (const part of chunks(ids, MAX_IDS_PER_REAP)) {
    store.write((tx) => {
      tx.eventType = 'NodeDeregistration';
      for (const id of part) {
        const node = store.nodes.get(id);
        if (!node) continue;
        store.nodes.delete(id);
        store.nodeUsage.delete(id);
        tx.emit('Node', node.ID, '', null, { Node: node });
        removed.push(node);
        out.nodes.push(id);
      }
      tx.touch('nodes');
    });
  }
  for (const node of removed) {
    const seen = new Set<string>();
    const evals: Evaluation[] = [];
    for (const a of index.byNode.get(node.ID) ?? []) {
      const key = jobKey(a.Namespace, a.JobID);
      if (seen.has(key) || !a.Job) continue;
      seen.add(key);
      evals.push(newEval(store, a.Job as Job, { triggeredBy: 'node-update', jobModifyIndex: 0 }));
    }
    for (const job of store.jobs.values()) {
      if (job.Type !== 'system' || seen.has(jobKey(job.Namespace, job.ID))) continue;
      if (!(job.Datacenters ?? []).some((dc) => dcMatches(dc, node.Datacenter))) continue;
      if (job.NodePool !== 'all' && job.NodePool !== node.NodePool) continue;
      evals.push(newEval(store, job, { triggeredBy: 'node-update', jobModifyIndex: 0 }));
    }
    if (evals.length === 0) continue;
    store.write((tx) => {
      for (const ev of evals) putEval(store, tx, ev, { NodeID: node.ID, NodeModifyIndex: node.ModifyIndex });
    });
  }
  return out;
}

/** Node.IsInAnyDC: datacenters may be globs with `*`. */
function dcMatches(pattern: string, dc: string): boolean {
  if (!pattern.includes('*')) return pattern === dc;
  const parts = pattern.split('*');
  if (!dc.startsWith(parts[0]!) || !dc.endsWith(parts[parts.length - 1]!)) return false;
  let at = parts[0]!.length;
  for (const p of parts.slice(1, -1)) {
    const i = dc.indexOf(p, at);
    if (i < 0) return false;
    at = i + p.length;
  }
  return at <= dc.length - parts[parts.length - 1]!.length;
}
