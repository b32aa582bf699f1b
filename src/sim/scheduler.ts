// The scheduler worker: takes pending evals one at a time, reconciles the job, and commits the result
// in the raft writes Nomad uses (state-semantics §7.4): an optional blocked eval, follow-up evals,
// the plan, then the eval's completion.
import type { Evaluation, Job, Obj } from '../../state/types.js';
import { jobKey, type Store, type Txn } from '../../state/store.js';
import { isTerminalEval, newEval, putEval } from '../../state/evaluations/table.js';
import { putAlloc, setQueued } from '../../state/allocations/table.js';
import { putDeployment } from '../../state/deployments/table.js';
import { refreshJobStatus, rewriteJobRow } from '../../state/jobs/status.js';
import { planIsEmpty, reconcile, type Plan } from './reconcile.js';
import type { Guard } from '../guard.js';
import type { TimerTask } from '../clock.js';
import { metricsFor } from '../metrics.js';

const KNOWN_TRIGGERS = new Set([
  'job-register', 'job-deregister', 'periodic-job', 'job-scaling', 'alloc-failure', 'alloc-reschedule',
  'deployment-watcher', 'queued-allocs', 'max-plan-attempts', 'failed-follow-up', 'node-update',
  'node-drain', 'alloc-stop', 'preemption', 'rolling-update', 'max-disconnect-timeout', 'reconnect',
]);

/** Scheduler types with a worker.invoke_scheduler.<type> sample, and the sample's name. */
const SAMPLE_NAMES = new Map(['service', 'batch', 'system', 'sysbatch', '_core'].map((t) => [t, `nomad.nomad.worker.invoke_scheduler.${t}`]));

export function planAnnotations(plan: Plan): Obj {
  return { DesiredTGUpdates: plan.desired, PreemptedAllocs: null };
}

/** Writes a plan: deployments, allocs, the job's Stable flag, and the eval's ModifyIndex bump. */
export function applyPlan(store: Store, tx: Txn, plan: Plan, ev: Evaluation, job: Job | undefined): void {
  tx.eventType = 'PlanResult';
  for (const d of plan.deployments) putDeployment(store, tx, d);
  // The plan's allocs are its own fresh records (reconcile copies what it changes): stored as they are.
  for (const a of plan.update) putAlloc(store, tx, a, { own: true });
  for (const a of plan.place) putAlloc(store, tx, a, { own: true });
  if (plan.markStable && job) markVersionStable(store, tx, job);
  const cur = store.evals.get(ev.ID);
  if (cur) putEval(store, tx, cur);
  // Plan apply only recomputes the job's status when it writes allocations.
  if (job && plan.place.length + plan.update.length > 0) refreshJobStatus(store, tx, job.Namespace, job.ID);
}

function markVersionStable(store: Store, tx: Txn, job: Job): void {
  const cur = store.jobs.get(jobKey(job.Namespace, job.ID));
  if (!cur || cur.Version !== job.Version || cur.Stable) return;
  rewriteJobRow(store, tx, cur, { Stable: true });
}

/** A kick's deferred scheduler pass: the task of its zero-delay timer. */
class Kick implements TimerTask {
  /** The scheduler's generation when armed: a pass armed before a reset does nothing after it. */
  generation = 0;
  /** Armed and not yet fired. */
  armed = false;
  constructor(private readonly scheduler: Scheduler) {}
  fire(): void {
    this.armed = false;
    this.scheduler.pass(this.generation);
  }
}

export class Scheduler {
  /** Pending work in arrival order; a Set so re-queuing an eval is a lookup, not a scan. */
  private readonly queue = new Set<string>();
  private busy = false;
  /** Bumped by adoptAll: a pass deferred for the replaced state must not clear the new one's `busy`. */
  private generation = 0;
  /** Blocked evals, kept from eval writes so freeing capacity never rescans every eval. */
  private readonly blocked = new Set<string>();
  /** The scheduler configuration's PauseEvalBroker: queued evals wait, still pending, until unpaused. */
  private paused = false;

  private kickTask = new Kick(this);

  constructor(
    private readonly store: Store,
    /** Arms `task` as a zero-delay timer: the pass runs on the next turn, never inside the write that queued it. */
    private readonly defer: (task: TimerTask) => void,
    private readonly guard: Guard,
  ) {}

  enqueue(evalId: string): void {
    if (this.queue.has(evalId)) return;
    this.queue.add(evalId);
    this.kick();
  }

  /** After a restore: forget queued work and queue every pending eval of the new state. */
  adoptAll(): void {
    this.queue.clear();
    this.blocked.clear();
    // A reset drops the clock's timers, the deferred pass among them: start free of it.
    this.generation++;
    this.busy = false;
    for (const ev of this.store.evals.values()) {
      this.noteEval(ev);
      if (ev.Status === 'pending' && !ev.WaitUntil) this.enqueue(ev.ID);
    }
  }

  /**
   * Follows every committed eval write. Only the evals this scheduler creates for unplaced
   * allocations (queued-allocs) are ever blocked, so no other eval needs a lookup in what can be a
   * very large set.
   */
  noteEval(ev: Evaluation): void {
    if (ev.Status === 'blocked') this.blocked.add(ev.ID);
    else if (ev.TriggeredBy === 'queued-allocs') this.blocked.delete(ev.ID);
  }

  /** Re-runs the blocked evals of every job: capacity may have appeared. */
  unblockAll(): void {
    for (const id of this.blocked) this.enqueue(id);
  }

  /** Pauses or resumes the eval broker; resuming hands every pending eval to the workers again. */
  setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    if (!paused) {
      for (const ev of this.store.evals.values()) if (ev.Status === 'pending' && !ev.WaitUntil) this.queue.add(ev.ID);
      this.kick();
    }
  }

  private kick(): void {
    if (this.busy || this.paused) return;
    this.busy = true;
    // The pass's task is made once and armed again for each kick; a new one only while the last is
    // still armed (a reset dropped or outran it), so each armed task keeps its own generation.
    let k = this.kickTask;
    if (k.armed) k = this.kickTask = new Kick(this);
    k.generation = this.generation;
    k.armed = true;
    this.defer(k);
  }

  /** The deferred pass a kick armed for `generation`: every queued eval, in order. */
  pass(generation: number): void {
    if (generation !== this.generation) return;
    try {
      // Set iteration also visits evals queued while earlier ones are processed.
      for (const id of this.queue) {
        if (this.paused) break;
        this.queue.delete(id);
        // One eval that fails to process must not hold up the ones queued behind it (guard.run's
        // try/catch spelled out: no closure per eval).
        try {
          this.process(id);
        } catch (err) {
          this.guard.caught('scheduler', err);
        }
      }
    } finally {
      if (generation === this.generation) this.busy = false;
    }
  }

  /** Schedules one eval: reconcile, the plan's writes, the eval's completion. */
  process(evalId: string): void {
    const ev = this.store.evals.get(evalId);
    if (!ev || (ev.Status !== 'pending' && ev.Status !== 'blocked')) {
      // Gone (a GC, a restore) or settled without a write we saw: nothing to unblock later either.
      // An eval queued again by its own plan write (still pending then) is settled by the time it
      // comes up: no worker would be handed it, so it is no sample either.
      this.blocked.delete(evalId);
      return;
    }
    const t0 = performance.now();
    this.invoke(ev);
    // worker.invoke_scheduler.<type>: one sample per scheduler type (service, batch, system, sysbatch),
    // per eval a worker ran.
    const name = SAMPLE_NAMES.get(ev.Type);
    if (name !== undefined) metricsFor(this.store).sample(name, performance.now() - t0);
  }

  /** Runs the scheduler on a pending or blocked eval. */
  private invoke(ev: Evaluation): void {
    const store = this.store;
    const key = jobKey(ev.Namespace, ev.JobID);
    const job = store.jobs.get(key);
    const snapshotIndex = store.index;
    if (!KNOWN_TRIGGERS.has(ev.TriggeredBy)) {
      store.write((tx) => {
        putEval(store, tx, ev, { Status: 'failed', StatusDescription: `scheduler cannot handle '${ev.TriggeredBy}' evaluation reason`, ModifyTime: store.nowNs() });
        if (job) refreshJobStatus(store, tx, job.Namespace, job.ID);
      });
      return;
    }
    const plan = reconcile({ store, job, namespace: ev.Namespace, jobId: ev.JobID, ev, nowNs: store.nowNs() });
    const failures = hasKeys(plan.failed);
    const isBlocked = ev.Status === 'blocked';

    // A blocked eval that still cannot place anything new stays as it is: no write, no wake-ups.
    if (isBlocked && failures && sameFailures(ev, plan)) return;

    let blockedId = '';
    if (failures && !isBlocked && job) {
      store.write((tx) => {
        for (const id of jobEvalIds(store, ev.Namespace, ev.JobID)) {
          const other = store.evals.get(id)!;
          if (other.Status === 'blocked') {
            putEval(store, tx, other, { Status: 'canceled', StatusDescription: `existing blocked evaluation exists for job "${ev.JobID}"`, ModifyTime: store.nowNs() });
          }
        }
        const blocked = putEval(
          store,
          tx,
          newEval(store, job, { triggeredBy: 'queued-allocs', priority: ev.Priority, type: ev.Type, jobModifyIndex: ev.JobModifyIndex, status: 'blocked', statusDescription: 'created to place remaining allocations' }),
          { PreviousEval: ev.ID, FailedTGAllocs: plan.failed, ClassEligibility: {}, EscapedComputedClass: false },
        );
        blockedId = blocked.ID;
        refreshJobStatus(store, tx, job.Namespace, job.ID);
      });
    }
    if (plan.followups.length > 0) {
      store.write((tx) => {
        for (const f of plan.followups) putEval(store, tx, f);
      });
    }
    if (!planIsEmpty(plan)) {
      const t0 = performance.now();
      store.write((tx) => applyPlan(store, tx, plan, ev, job));
      metricsFor(store).sample('nomad.nomad.plan.apply', performance.now() - t0);
    }

    store.write((tx) => {
      tx.eventType = 'EvaluationUpdated';
      const cur = store.evals.get(ev.ID) ?? ev;
      putEval(store, tx, cur, {
        Status: isBlocked && failures ? 'blocked' : 'complete',
        StatusDescription: isBlocked && failures ? cur.StatusDescription : '',
        DeploymentID: plan.deploymentId,
        BlockedEval: blockedId || cur.BlockedEval,
        NextEval: plan.followups.length > 0 ? plan.followups[plan.followups.length - 1]!.ID : cur.NextEval,
        FailedTGAllocs: failures ? plan.failed : null,
        QueuedAllocations: job ? plan.queued : null,
        PlanAnnotations: job ? planAnnotations(plan) : null,
        SnapshotIndex: snapshotIndex,
        ModifyTime: store.nowNs(),
      });
      if (job) setQueued(store, tx, job.Namespace, job.ID, plan.queued);
      // The job's other evals, read from the store as each is reached: the blocked ones this write
      // cancels are never pending, so the superseded pending ones are the same found before or after.
      const others = jobEvalIds(store, ev.Namespace, ev.JobID);
      if (!failures) {
        for (const id of others) {
          const other = store.evals.get(id)!;
          if (other.ID !== ev.ID && other.Status === 'blocked') {
            // Nomad's loop variable shadows the successful eval here, so the text names the blocked one.
            putEval(store, tx, other, { Status: 'canceled', StatusDescription: `evaluation "${other.ID}" successful`, ModifyTime: store.nowNs() });
          }
        }
      }
      cancelSuperseded(store, tx, ev, others);
      if (job) refreshJobStatus(store, tx, job.Namespace, job.ID);
    });
  }
}

function hasKeys(o: object): boolean {
  for (const _ in o) return true;
  return false;
}

function sameFailures(ev: Evaluation, plan: Plan): boolean {
  return JSON.stringify(ev.QueuedAllocations ?? {}) === JSON.stringify(plan.queued) && planIsEmpty(plan) && plan.followups.length === 0;
}

/** The IDs of the job's evals as the store indexes them, read in place rather than copied to a list per pass. */
function jobEvalIds(store: Store, namespace: string, jobId: string): Iterable<string> {
  return store.evalsByJob.get(jobKey(namespace, jobId)) ?? NO_IDS;
}
const NO_IDS: readonly string[] = Object.freeze([]);

/** After an eval is acked, all but the newest other pending eval of the job are cancelled. */
function cancelSuperseded(store: Store, tx: Txn, ev: Evaluation, ids: Iterable<string>): void {
  let pending: Evaluation[] | null = null;
  for (const id of ids) {
    const e = store.evals.get(id)!;
    if (e.ID !== ev.ID && e.Status === 'pending' && !e.WaitUntil) (pending ??= []).push(e);
  }
  // Most acks leave one pending eval at most: nothing to cancel.
  if (pending === null || pending.length < 2) return;
  pending.sort((a, b) => a.CreateIndex - b.CreateIndex);
  for (const e of pending.slice(0, -1)) {
    if (isTerminalEval(e)) continue;
    putEval(store, tx, e, { Status: 'canceled', StatusDescription: 'canceled after more recent eval was processed', ModifyTime: store.nowNs() });
  }
}
