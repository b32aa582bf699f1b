// The deployment watcher: turns alloc health into deployment-watcher evals (batched over 1 s),
// fails deployments on unhealthy allocs or a passed progress deadline (with auto-revert), and
// auto-promotes healthy canaries (state-semantics §9.4).
import type { Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { isActiveDeployment, DeploymentText } from '../../state/deployments/table.js';
import { failDeploymentTx, promoteDeployment, watcherEval } from '../../state/deployments/ops.js';
import { putAlloc } from '../../state/allocations/table.js';
import { IdSet } from '../../state/id-set.js';
import { rescheduleDecision } from './reschedule.js';
import type { Clock, TimerHandle, TimerTask } from '../clock.js';

export const WATCHER_BATCH_MS = 1000;

/**
 * Date.parse of a deployment's RequireProgressBy: every write to a deployment (each health report)
 * asks again, mostly for the same text. A pure memo of the last one.
 */
let lastTime = '';
let lastParsed = Number.NaN;
function parseTime(s: string): number {
  if (s !== lastTime) {
    lastParsed = Date.parse(s);
    lastTime = s;
  }
  return lastParsed;
}

/** A deployment's pending watcher batch: its timer's task, and the allocs it asks to reschedule. */
class Batch implements TimerTask {
  timer: TimerHandle | null = null;
  /** Made for the first alloc to reschedule: most batches carry health only. */
  reschedule: Set<string> | null = null;
  constructor(
    private readonly watcher: DeploymentWatcher,
    readonly depId: string,
  ) {}
  fire(): void {
    this.watcher.batchDue(this);
  }
}

/** A running deployment's progress deadline: when, and its timer's task. */
class Deadline implements TimerTask {
  timer: TimerHandle | null = null;
  constructor(
    private readonly watcher: DeploymentWatcher,
    readonly depId: string,
    readonly at: number,
  ) {}
  fire(): void {
    this.watcher.deadlineDue(this);
  }
}

const NO_RESCHEDULE: ReadonlySet<string> = new Set();

export class DeploymentWatcher {
  /**
   * The health last seen of allocs in an active deployment (absent: null). Only such allocs can
   * ask for an eval, and an alloc moves to another deployment only with its health reset to null
   * (the scheduler's in-place update), so an entry goes once the alloc or its deployment is gone or
   * done: a cluster's settled allocs cost the watcher nothing.
   */
  private readonly lastHealth = new Map<string, boolean>();
  private readonly batched = new Map<string, Batch>();
  private readonly deadlines = new Map<string, Deadline>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  onAlloc(allocId: string): void {
    const alloc = this.store.allocs.get(allocId);
    // No health (most of an alloc's writes: placed, picked up, started) only clears what was seen,
    // whatever the deployment: it need not be looked up.
    const health: boolean | null = alloc === undefined ? null : (alloc.DeploymentStatus?.Healthy ?? null);
    if (alloc === undefined || health === null) {
      this.lastHealth.delete(allocId);
      return;
    }
    const dep = alloc.DeploymentID ? this.store.deployments.get(alloc.DeploymentID) : undefined;
    if (!dep || !isActiveDeployment(dep)) {
      this.lastHealth.delete(allocId);
      return;
    }
    const before = this.lastHealth.get(allocId) ?? null;
    this.lastHealth.set(allocId, health);
    if (health === before) return;
    if (health) {
      // Only health the scheduler has not seen yet asks for an eval (deploymentWatcher.jobEvalStatus):
      // an allocation-health write carries its own eval at the same index.
      if ((alloc.DeploymentStatus?.ModifyIndex ?? 0) > this.latestEvalIndex(alloc.Namespace, alloc.JobID)) this.schedule(dep.ID);
      this.maybeAutoPromote(dep);
      return;
    }
    const state = dep.TaskGroups?.[alloc.TaskGroup] as Obj | undefined;
    const job = alloc.Job;
    const tg = job?.TaskGroups?.find((g: Obj) => g.Name === alloc.TaskGroup);
    const canRetry = state && state.ProgressDeadline > 0 && tg && rescheduleDecision(alloc, tg, this.store.nowNs()).eligible;
    if (!canRetry) {
      this.fail(dep.ID, DeploymentText.failedAllocations);
      return;
    }
    this.schedule(dep.ID, alloc.ID);
  }

  onDeployment(depId: string): void {
    const dep = this.store.deployments.get(depId);
    const prev = this.deadlines.get(depId);
    if (!dep || dep.Status !== 'running') {
      if (prev) {
        prev.timer?.cancel();
        this.deadlines.delete(depId);
      }
      if (dep && !isActiveDeployment(dep)) this.forgetHealth(dep);
      return;
    }
    let at = Infinity;
    const groups = dep.TaskGroups as Obj;
    for (const name in groups) {
      const s = groups[name] as Obj;
      if (!s.RequireProgressBy || s.HealthyAllocs >= Math.max(s.DesiredTotal, s.DesiredCanaries)) continue;
      // An unparsable time never arms a timer (NaN would re-arm it at once, forever).
      const by = parseTime(s.RequireProgressBy);
      if (by < at) at = by;
    }
    if (prev && prev.at === at) return;
    if (prev) {
      prev.timer?.cancel();
      this.deadlines.delete(depId);
    }
    if (at === Infinity) return;
    const d = new Deadline(this, depId, at);
    d.timer = this.clock.afterTask(at - this.clock.nowMs(), d, 'deployment progress deadline');
    this.deadlines.set(depId, d);
  }

  /** A progress deadline passed: the deployment fails unless a group made progress since. */
  deadlineDue(d: Deadline): void {
    const depId = d.depId;
    this.deadlines.delete(depId);
    const cur = this.store.deployments.get(depId);
    if (!cur || cur.Status !== 'running') return;
    const now = this.clock.nowMs();
    let late = false;
    const groups = cur.TaskGroups as Obj;
    for (const name in groups) {
      const s = groups[name] as Obj;
      if (s.RequireProgressBy && parseTime(s.RequireProgressBy) <= now && s.HealthyAllocs < Math.max(s.DesiredTotal, s.DesiredCanaries)) {
        late = true;
        break;
      }
    }
    if (late) this.fail(depId, DeploymentText.failedProgress);
    else this.onDeployment(depId);
  }

  /** A deployment is done: the health of its allocs can no longer ask for anything. */
  private forgetHealth(dep: Obj): void {
    if (this.lastHealth.size === 0) return;
    const ids = this.store.allocsByJob.get(jobKey(dep.Namespace, dep.JobID));
    if (!ids) return;
    // A job of one alloc (most of them) is read without an iterator over its set.
    const only = ids instanceof IdSet ? ids.only : undefined;
    if (only !== undefined) {
      if (this.store.allocs.get(only)?.DeploymentID === dep.ID) this.lastHealth.delete(only);
      return;
    }
    for (const id of ids) {
      if (this.store.allocs.get(id)?.DeploymentID === dep.ID) this.lastHealth.delete(id);
    }
  }

  /** Allocs whose health the watcher remembers (for tests: settled allocs must not be among them). */
  get trackedHealth(): number {
    return this.lastHealth.size;
  }

  /** The newest index the scheduler has seen for the job: SnapshotIndex, else CreateIndex; cancelled evals aside. */
  private latestEvalIndex(namespace: string, jobId: string): number {
    let max = 0;
    const ids = this.store.evalsByJob.get(jobKey(namespace, jobId));
    if (!ids) return 0;
    for (const id of ids) {
      const e = this.store.evals.get(id)!;
      if (e.Status === 'canceled') continue;
      if (e.SnapshotIndex && max < e.SnapshotIndex) max = e.SnapshotIndex;
      else if (max < e.CreateIndex) max = e.CreateIndex;
    }
    return max;
  }

  private schedule(depId: string, rescheduleAlloc?: string): void {
    let b = this.batched.get(depId);
    if (!b) {
      b = new Batch(this, depId);
      b.timer = this.clock.afterTask(WATCHER_BATCH_MS, b, 'deployment watcher batch');
      this.batched.set(depId, b);
    }
    if (rescheduleAlloc) (b.reschedule ??= new Set()).add(rescheduleAlloc);
  }

  /** A batch's second is up: its eval (and reschedule marks) in one write. */
  batchDue(b: Batch): void {
    this.batched.delete(b.depId);
    this.flush(b.depId, b.reschedule ?? NO_RESCHEDULE);
  }

  private flush(depId: string, reschedule: ReadonlySet<string>): void {
    const dep = this.store.deployments.get(depId);
    if (!dep || !isActiveDeployment(dep)) return;
    this.store.write((tx) => {
      for (const id of reschedule) {
        const a = this.store.allocs.get(id);
        if (a) putAlloc(this.store, tx, { ...a, DesiredTransition: { ...a.DesiredTransition, Reschedule: true } });
      }
      watcherEval(this.store, tx, dep);
      tx.touch('allocs');
    });
  }

  private fail(depId: string, reason: string): void {
    const dep = this.store.deployments.get(depId);
    if (!dep || !isActiveDeployment(dep)) return;
    this.store.write((tx) => {
      tx.eventType = 'DeploymentStatusUpdate';
      failDeploymentTx(this.store, tx, dep, reason);
    });
  }

  /**
   * Promotes once every unpromoted canary group auto-promotes and has its canaries healthy. Asked at
   * each alloc's first health, so it walks the groups in place instead of building arrays of them.
   */
  private maybeAutoPromote(dep: Obj): void {
    const groups = dep.TaskGroups as Obj;
    let canaries = false;
    for (const name in groups) {
      const s = groups[name] as Obj;
      if (!(s.DesiredCanaries > 0 && !s.Promoted)) continue;
      if (!s.AutoPromote) return;
      canaries = true;
    }
    if (!canaries) return;
    for (const name in groups) {
      const s = groups[name] as Obj;
      if (!(s.DesiredCanaries > 0 && !s.Promoted)) continue;
      let healthy = 0;
      for (const id of (s.PlacedCanaries as string[] | null) ?? []) if (this.store.allocs.get(id)?.DeploymentStatus?.Healthy === true) healthy++;
      if (!(healthy >= s.DesiredCanaries)) return;
    }
    promoteDeployment(this.store, dep.ID, true, null);
  }

  /** Forgets allocs and deployments that left the store without an event of their own (a job purge). */
  forgetMissing(): void {
    for (const id of this.lastHealth.keys()) if (!this.store.allocs.has(id)) this.lastHealth.delete(id);
    for (const [id, d] of this.deadlines) {
      if (this.store.deployments.has(id)) continue;
      d.timer?.cancel();
      this.deadlines.delete(id);
    }
    for (const [id, b] of this.batched) {
      if (this.store.deployments.has(id)) continue;
      b.timer?.cancel();
      this.batched.delete(id);
    }
  }

  close(): void {
    for (const b of this.batched.values()) b.timer?.cancel();
    for (const d of this.deadlines.values()) d.timer?.cancel();
    this.batched.clear();
    this.deadlines.clear();
    this.lastHealth.clear();
  }

  /** After a restore: remember every alloc's health as already seen and re-arm progress deadlines. */
  adoptAll(): void {
    this.close();
    for (const a of this.store.allocs.values()) {
      const healthy = a.DeploymentStatus?.Healthy ?? null;
      if (healthy === null || !a.DeploymentID) continue;
      const dep = this.store.deployments.get(a.DeploymentID);
      if (dep && isActiveDeployment(dep)) this.lastHealth.set(a.ID, healthy);
    }
    for (const d of this.store.deployments.values()) this.onDeployment(d.ID);
  }
}
