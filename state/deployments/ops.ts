// Deployment writes made by the deployment watcher and the /v1/deployment/* endpoints: fail (with
// auto-revert), pause/resume, promote, manual alloc health, and the deployment-watcher evals that
// drive the scheduler on (state-semantics §9.3–9.4).
import type { Evaluation, Job, Obj } from '../types.js';
import { jobKey, type Store, type Txn } from '../store.js';
import { RpcError } from '../errors.js';
import { newEval, putEval, putNewEval } from '../evaluations/table.js';
import { putAlloc } from '../allocations/table.js';
import { putDeployment, isActiveDeployment, moveHealthCounters, DeploymentText } from './table.js';
import { storeJobVersion } from '../jobs/ops.js';
import { specChanged } from '../jobspec/canonicalize.js';
import { formatMultiError } from '../jobspec/multierror.js';
import { rfc3339 } from '../format.js';

export interface DeploymentUpdateResponse {
  EvalID: string;
  EvalCreateIndex: number;
  DeploymentModifyIndex: number;
  RevertedJobVersion: number | null;
  Index: number;
}

function lookup(store: Store, id: string, terminalText: string): Obj {
  if (!id) throw new RpcError('missing deployment ID');
  const dep = store.deployments.get(id);
  if (!dep) throw new RpcError('deployment not found');
  if (!isActiveDeployment(dep)) throw new RpcError(terminalText);
  return dep;
}

export function watcherEval(store: Store, tx: Txn, dep: Obj): Evaluation | null {
  const job = store.jobs.get(jobKey(dep.Namespace, dep.JobID));
  if (!job) return null;
  // Fresh from newEval and held by nothing else: set in place and stored without putEval's copy.
  const ev = newEval(store, job, { triggeredBy: 'deployment-watcher', priority: dep.EvalPriority || job.Priority, jobModifyIndex: 0 });
  ev.DeploymentID = dep.ID;
  return putNewEval(store, tx, ev);
}

function respond(tx: Txn, ev: Evaluation | null, reverted: number | null = null): DeploymentUpdateResponse {
  return { EvalID: ev?.ID ?? '', EvalCreateIndex: ev ? tx.index : 0, DeploymentModifyIndex: tx.index, RevertedJobVersion: reverted, Index: tx.index };
}

/**
 * Marks a deployment failed with `base` as its description; with auto-revert on any group the
 * latest stable version is registered again as a new version (one write, as the watcher does it).
 */
export function failDeploymentTx(store: Store, tx: Txn, dep: Obj, base: string): { ev: Evaluation | null; reverted: number | null } {
  let description = base;
  let reverted: number | null = null;
  const key = jobKey(dep.Namespace, dep.JobID);
  const job = store.jobs.get(key);
  const autoRevert = Object.values((dep.TaskGroups as Obj) ?? {}).some((s: Obj) => s.AutoRevert);
  let revertTo: Job | null = null;
  if (autoRevert && job) {
    const stable = (store.versions.get(key) ?? []).find((v) => v.Stable && v.Version !== dep.JobVersion && v.Version < job.Version);
    if (!stable) description = `${base} - no stable job version to auto revert to`;
    else if (!specChanged(job, stable)) description = `${base} - not rolling back to stable job version ${stable.Version} as current job has same specification`;
    else {
      description = `${base} - rolling back to job version ${stable.Version}`;
      revertTo = stable;
    }
  }
  putDeployment(store, tx, { ...dep, Status: 'failed', StatusDescription: description }, 'DeploymentStatusUpdate');
  if (revertTo) {
    storeJobVersion(store, tx, { ...revertTo, VersionTag: null }, { verbatim: true });
    reverted = revertTo.Version;
  }
  const ev = watcherEval(store, tx, dep);
  return { ev, reverted };
}

export function failDeployment(store: Store, id: string): DeploymentUpdateResponse {
  const dep = lookup(store, id, "can't fail terminal deployment");
  return store.write((tx) => {
    tx.eventType = 'DeploymentStatusUpdate';
    const { ev, reverted } = failDeploymentTx(store, tx, dep, DeploymentText.failedByUser);
    return respond(tx, ev, reverted);
  });
}

export function pauseDeployment(store: Store, id: string, pause: boolean): DeploymentUpdateResponse {
  const dep = lookup(store, id, pause ? "can't pause terminal deployment" : "can't resume terminal deployment");
  return store.write((tx) => {
    tx.eventType = 'DeploymentStatusUpdate';
    if (pause) {
      putDeployment(store, tx, { ...dep, Status: 'paused', StatusDescription: DeploymentText.paused });
      return respond(tx, null);
    }
    const groups: Obj = {};
    for (const [g, s] of Object.entries(dep.TaskGroups as Obj)) {
      groups[g] = { ...(s as Obj), RequireProgressBy: (s as Obj).ProgressDeadline > 0 && (s as Obj).RequireProgressBy ? nowPlus(store, (s as Obj).ProgressDeadline) : (s as Obj).RequireProgressBy };
    }
    const stored = putDeployment(store, tx, { ...dep, TaskGroups: groups, Status: 'running', StatusDescription: runningText(dep) });
    return respond(tx, watcherEval(store, tx, stored));
  });
}

function runningText(dep: Obj): string {
  const groups = Object.values(dep.TaskGroups as Obj) as Obj[];
  const canaries = groups.filter((s) => s.DesiredCanaries > 0 && !s.Promoted);
  if (canaries.length === 0) return DeploymentText.running;
  return canaries.every((s) => s.AutoPromote) ? DeploymentText.runningAutoPromotion : DeploymentText.runningNeedsPromotion;
}

function nowPlus(store: Store, ns: number): string | null {
  return rfc3339(store.nowNs() + ns);
}

export function promoteDeployment(store: Store, id: string, all: boolean, groups: string[] | null): DeploymentUpdateResponse {
  const dep = lookup(store, id, "can't promote terminal deployment");
  const wanted = Object.entries(dep.TaskGroups as Obj).filter(([g, s]) => (s as Obj).DesiredCanaries > 0 && (all || (groups ?? []).includes(g)));
  const errors: string[] = [];
  const canaryHealth = (s: Obj): number =>
    ((s.PlacedCanaries as string[] | null) ?? []).filter((aid) => store.allocs.get(aid)?.DeploymentStatus?.Healthy === true).length;
  for (const [g, s] of wanted) {
    const st = s as Obj;
    const healthy = canaryHealth(st);
    if (healthy < st.DesiredCanaries) errors.push(`Task group "${g}" has ${healthy}/${st.DesiredCanaries} healthy allocations`);
  }
  if (errors.length > 0) throw new RpcError(formatMultiError(errors));
  return store.write((tx) => {
    tx.eventType = 'DeploymentPromotion';
    const next: Obj = { ...dep.TaskGroups };
    for (const [g, s] of wanted) {
      const st = s as Obj;
      next[g] = { ...st, Promoted: true, RequireProgressBy: st.ProgressDeadline > 0 ? nowPlus(store, st.ProgressDeadline) : st.RequireProgressBy };
      for (const aid of (st.PlacedCanaries as string[] | null) ?? []) {
        const a = store.allocs.get(aid);
        if (a?.DeploymentStatus) putAlloc(store, tx, { ...a, DeploymentStatus: { ...a.DeploymentStatus, Canary: false, ModifyIndex: tx.index } });
      }
    }
    const updated = { ...dep, TaskGroups: next };
    const stored = putDeployment(store, tx, { ...updated, StatusDescription: dep.Status === 'running' ? runningText(updated) : dep.StatusDescription });
    return respond(tx, watcherEval(store, tx, stored));
  });
}

export function setAllocHealth(store: Store, id: string, healthy: string[], unhealthy: string[]): DeploymentUpdateResponse {
  if (!id) throw new RpcError('missing deployment ID');
  if (healthy.length + unhealthy.length === 0) throw new RpcError('must specify at least one healthy/unhealthy allocation ID');
  const dep = lookup(store, id, "can't set health of allocations for a terminal deployment");
  for (const aid of [...healthy, ...unhealthy]) {
    const a = store.allocs.get(aid);
    if (!a) throw new RpcError(`unknown alloc "${aid}"`);
    if (a.DeploymentID !== dep.ID) throw new RpcError(`alloc "${aid}" is not part of deployment "${dep.ID}"`);
  }
  return store.write((tx) => {
    tx.eventType = 'DeploymentAllocHealth';
    const groups: Obj = structuredClone(dep.TaskGroups);
    const mark = (aid: string, ok: boolean): void => {
      const a = store.allocs.get(aid)!;
      const prev = a.DeploymentStatus?.Healthy ?? null;
      if (prev === ok) return;
      moveHealthCounters(groups[a.TaskGroup] as Obj, prev, ok);
      putAlloc(store, tx, { ...a, DeploymentStatus: { Healthy: ok, Timestamp: nowPlus(store, 0), Canary: Boolean(a.DeploymentStatus?.Canary), ModifyIndex: tx.index } });
    };
    for (const aid of healthy) mark(aid, true);
    for (const aid of unhealthy) mark(aid, false);
    let stored = putDeployment(store, tx, { ...dep, TaskGroups: groups });
    let reverted: number | null = null;
    let ev: Evaluation | null;
    if (unhealthy.length > 0) {
      const r = failDeploymentTx(store, tx, stored, DeploymentText.failedAllocations);
      ev = r.ev;
      reverted = r.reverted;
      stored = store.deployments.get(stored.ID)!;
    } else {
      ev = watcherEval(store, tx, stored);
    }
    return respond(tx, ev, reverted);
  });
}
