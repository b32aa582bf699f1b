// What one scheduler pass decides for a job, computed from state without writing anything: the allocations
// to place, stop and update, the deployment to create, cancel or complete, follow-up evals and placement
// failures (state-semantics §7.4, §8.5, §9). The scheduler applies it; plan dry-runs only report it.
import type { Evaluation, Job, Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import { isClientTerminal } from '../../state/allocations/table.js';
import { isActiveDeployment, DeploymentText } from '../../state/deployments/table.js';
import { jobKey } from '../../state/store.js';
import { PlanUsage } from './plan-usage.js';
import { EvalNodes, selectOnNode } from './stack.js';
import { rfc3339 } from '../../state/format.js';
import { newAllocation, newDeployment, type PlacementLinks } from './new-records.js';
import { schedulerConfig } from '../../state/operator/config.js';
import { stopLost, taintedAsLost } from './lost.js';
import { isDestructive } from './updates.js';
import { draftOf, sameData } from './deployment-draft.js';
import { DesiredText } from './desired-text.js';
import { NONE, reconcileGroup } from './reconcile-group.js';
export { isDestructive };

export { DesiredText };

export interface DesiredUpdates {
  Ignore: number; Place: number; Migrate: number; Stop: number; InPlaceUpdate: number; DestructiveUpdate: number;
  Canary: number; Preemptions: number; Disconnect: number; Reconnect: number; RescheduleNow: number; RescheduleLater: number;
}

const zeroUpdates = (): DesiredUpdates => ({ Ignore: 0, Place: 0, Migrate: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0, Canary: 0, Preemptions: 0, Disconnect: 0, Reconnect: 0, RescheduleNow: 0, RescheduleLater: 0 });

export interface Plan {
  place: Obj[];
  /** Existing allocs rewritten by the scheduler (stops, in-place updates, follow-up eval IDs). */
  update: Obj[];
  deployments: Obj[];
  /** The deployment this pass created, if any. */
  createdDeployment: Obj | null;
  markStable: boolean;
  failed: Record<string, Obj>;
  queued: Record<string, number>;
  desired: Record<string, DesiredUpdates>;
  followups: Evaluation[];
  deploymentId: string;
}

export function planIsEmpty(p: Plan): boolean {
  return p.place.length === 0 && p.update.length === 0 && p.deployments.length === 0 && !p.markStable;
}


export function hasDeployments(job: Job): boolean {
  if (job.Type !== 'service' && job.Type !== 'system') return false;
  const groups = job.TaskGroups;
  for (let i = 0; i < groups.length; i++) if ((groups[i]!.Update?.MaxParallel ?? 0) > 0) return true;
  return false;
}

export interface ReconcileInput {
  store: Store;
  /** The job to schedule (undefined once purged). */
  job: Job | undefined;
  namespace: string;
  jobId: string;
  ev: Evaluation;
  nowNs: number;
}

/** What a placement carries over from the alloc it replaces, or a canary's status. */ type Links = PlacementLinks;
const NO_LINKS: Links = Object.freeze({});


export function reconcile(input: ReconcileInput): Plan {
  return new Pass(input).run();
}

/**
 * One pass's working state. A class rather than closures over the pass: a scheduler pass runs for
 * every eval, and the dozen closures (and their context) it made each time were garbage at once.
 */
export class Pass {
  readonly store: Store;
  readonly job: Job | undefined;
  readonly ev: Evaluation;
  readonly nowNs: number;
  readonly plan: Plan = {
    place: [], update: [], deployments: [], createdDeployment: null, markStable: false,
    failed: {}, queued: {}, desired: {}, followups: [], deploymentId: '',
  };
  /** The job's deployments still active (made on the first). */
  active: Obj[] = NONE;
  dep: Obj | null = null;
  versionDep: Obj | null = null;
  /** Deployment objects are edited through this working copy and written once. */
  depDraft: Obj | null = null;
  wantsDeployment = false;
  /** IDs of the allocs this pass stops (made on the first). */
  stopping: Set<string> | null = null;
  private evalNodesMade: EvalNodes | null = null;
  // Per-pool scheduler settings are Enterprise-only, so the cluster-wide configuration decides.
  algorithm = 'binpack';
  memoryOversubscription = false;
  /** Made on first use: most passes of a running job neither place nor stop anything. */
  private planUsage: PlanUsage | null = null;
  /** The state index the pass reads (reconcile writes nothing): the stack's shuffle seed. */
  private readonly index: number;

  constructor(private readonly input: ReconcileInput) {
    this.store = input.store;
    this.job = input.job;
    this.ev = input.ev;
    this.nowNs = input.nowNs;
    this.index = input.store.index;
  }

  usage(): PlanUsage {
    return (this.planUsage ??= new PlanUsage(this.store));
  }

  evalNodes(): EvalNodes {
    return (this.evalNodesMade ??= new EvalNodes(this.store, this.job!, this.ev.ID, this.index));
  }

  stop(a: Obj, desc: string): void {
    this.plan.update.push({ ...a, DesiredStatus: 'stop', DesiredDescription: desc });
  }

  stopNext(a: Obj, desc: string, next: string): void {
    this.plan.update.push({ ...a, DesiredStatus: 'stop', DesiredDescription: desc, NextAllocation: next });
  }

  run(): Plan {
    const { store, job, plan, input } = this;
    const { all, newlyLost } = taintedAsLost(store, jobAllocs(store, input.namespace, input.jobId), this.nowNs);
    const stopped = !job || job.Stop;

    // Allocs of an earlier instance of the job (purged and re-registered) are simply stopped.
    // Mostly every alloc is of this instance: then the list is `all` itself.
    let current: Obj[] = all;
    for (let i = 0; i < all.length; i++) {
      const a = all[i]!;
      const mineNow = job !== undefined && (a.Job as Job).CreateIndex === job.CreateIndex;
      if (current !== all) {
        if (mineNow) current.push(a);
      } else if (!mineNow) {
        current = all.slice(0, i);
      }
      if (!mineNow && a.DesiredStatus === 'run' && !isClientTerminal(a)) this.stop(a, DesiredText.notNeeded);
    }

    // The first of the highest CreateIndex, as a stable sort would put it first.
    let latestDep: Obj | null = null;
    const depIds = store.deploymentsByJob.get(jobKey(input.namespace, input.jobId));
    // A job mostly has one deployment: read without an iterator when the index holds just the one.
    const onlyDep = depIds === undefined ? undefined : (depIds as { only?: string }).only;
    if (onlyDep !== undefined) latestDep = this.noteDeployment(store.deployments.get(onlyDep)!, latestDep);
    else if (depIds !== undefined) for (const id of depIds) latestDep = this.noteDeployment(store.deployments.get(id)!, latestDep);
    if (stopped) {
      for (let kD = 0; kD < this.active.length; kD++) {
        const d = this.active[kD]!;
        plan.deployments.push({ ...d, Status: 'cancelled', StatusDescription: DeploymentText.stoppedJob });
      }
    }
    if (!job) {
      stopLost(plan.update, all, newlyLost);
      return plan;
    }

    this.versionDep = latestDep && latestDep.JobVersion === job.Version ? latestDep : null;
    this.dep = this.versionDep;
    this.wantsDeployment = !stopped && hasDeployments(job);
    if (job.Type === 'service' || job.Type === 'system') plan.deploymentId = latestDep?.ID ?? '';
    this.depDraft = this.dep && isActiveDeployment(this.dep) ? draftOf(this.dep) : null;
    const sched = schedulerConfig(store);
    this.algorithm = sched.SchedulerAlgorithm || 'binpack';
    this.memoryOversubscription = sched.MemoryOversubscriptionEnabled;

    // Groups in the job's order, then groups only allocs still name, in the order they appear.
    const groups = job.TaskGroups;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!.Name as string;
      if (!nameBefore(groups, i, g)) this.group(g, groups[i], current, stopped);
    }
    let extra: string[] | null = null;
    for (let kA = 0; kA < current.length; kA++) {
      const a = current[kA]!;
      const g = a.TaskGroup as string;
      if (groupNamed(groups, g) || extra?.includes(g)) continue;
      (extra ??= []).push(g);
      this.group(g, undefined, current, stopped);
    }

    stopLost(plan.update, all, newlyLost);
    if (this.depDraft) this.settleDeployment(this.depDraft);
    return plan;
  }

  /** Notes one of the job's deployments: active ones are kept; answers the latest of this job instance so far. */
  private noteDeployment(d: Obj, latest: Obj | null): Obj | null {
    if (isActiveDeployment(d)) (this.active === NONE ? (this.active = []) : this.active).push(d);
    const job = this.job;
    return job && d.JobCreateIndex === job.CreateIndex && (!latest || d.CreateIndex > latest.CreateIndex) ? d : latest;
  }

  group(g: string, tg: Obj | undefined, current: Obj[], stopped: boolean): void {
    const { plan, job } = this;
    const du = zeroUpdates();
    plan.desired[g] = du;
    plan.queued[g] ??= 0;
    // The group's allocs, and those the server still wants running; the lists passed in when they all are.
    let mine = current;
    for (let i = 0; i < current.length; i++) {
      if (current[i]!.TaskGroup === g) {
        if (mine !== current) mine.push(current[i]!);
      } else if (mine === current) {
        mine = current.slice(0, i);
      }
    }
    let live = mine;
    for (let i = 0; i < mine.length; i++) {
      const a = mine[i]!;
      const on = a.DesiredStatus === 'run' && !isClientTerminal(a);
      if (live !== mine) {
        if (on) live.push(a);
      } else if (!on) {
        live = mine.slice(0, i);
      }
    }
    if (!tg || stopped || tg.Count === 0 && job!.Type !== 'system' && job!.Type !== 'sysbatch') {
      for (let kA = 0; kA < live.length; kA++) {
        const a = live[kA]!;
        this.markStop(a, DesiredText.notNeeded);
      }
      du.Stop += live.length;
      if (!tg) delete plan.queued[g];
      return;
    }
    if (job!.Type === 'system' || job!.Type === 'sysbatch') {
      this.reconcileSystemGroup(tg, mine, live, du);
      return;
    }
    reconcileGroup(this, tg, mine, live, du);
  }

  ensureDeployment(): Obj | null {
    if (!this.wantsDeployment) return null;
    if (this.depDraft) return this.depDraft;
    if (this.dep) return null; // one deployment per version: a finished one is not reopened
    const { plan, job } = this;
    for (let kD = 0; kD < this.active.length; kD++) {
      const d = this.active[kD]!;
      if (d.JobVersion !== job!.Version) plan.deployments.push({ ...d, Status: 'cancelled', StatusDescription: DeploymentText.newerJob });
    }
    const draft = newDeployment(this.store, job!, this.ev, this.nowNs);
    this.depDraft = draft;
    plan.createdDeployment = draft;
    this.dep = draft;
    plan.deploymentId = draft.ID;
    return draft;
  }

  /** Places one alloc or records the failure; returns the alloc or null. */
  tryPlace(tg: Obj, name: string, links: Links = NO_LINKS, onlyNode?: Obj): Obj | null {
    const { plan } = this;
    // The generic scheduler does not try a group again once one of its placements failed; it
    // counts the rest as coalesced failures. The system scheduler tries every node.
    const earlier = plan.failed[tg.Name];
    if (earlier && !onlyNode) {
      earlier.CoalescedFailures++;
      plan.queued[tg.Name] = (plan.queued[tg.Name] ?? 0) + 1;
      return null;
    }
    const { node, metric } = this.evalNodes().place(this.usage(), tg, this.algorithm, onlyNode, links.PreviousAllocation);
    if (!node) {
      if (earlier) earlier.CoalescedFailures++;
      else plan.failed[tg.Name] = metric;
      plan.queued[tg.Name] = (plan.queued[tg.Name] ?? 0) + 1;
      return null;
    }
    const job = this.job!;
    this.usage().add(node.ID, job, tg);
    const depDraft = this.depDraft;
    const d = depDraft && tg.Name in depDraft.TaskGroups ? depDraft : null;
    const alloc = newAllocation(this.store, job, this.ev, this.nowNs, tg, name, node, metric, d?.ID ?? '', links, this.memoryOversubscription);
    plan.place.push(alloc);
    return alloc;
  }

  /** Counts the stop of a live alloc out of the plan's usage; the caller records the stop itself. */
  private release(a: Obj): void {
    (this.stopping ??= new Set()).add(a.ID);
    if (a.DesiredStatus !== 'run' || isClientTerminal(a)) return;
    const held = groupNamed((a.Job as Job).TaskGroups, a.TaskGroup as string);
    if (held) this.usage().add(a.NodeID, a.Job as Job, held, -1);
  }

  markStop(a: Obj, desc: string): void {
    this.release(a);
    this.stop(a, desc);
  }

  markStopNext(a: Obj, desc: string, next: string): void {
    this.release(a);
    this.stopNext(a, desc, next);
  }

  isStopping(a: Obj): boolean {
    return this.stopping !== null && this.stopping.has(a.ID);
  }

  isCanary(tg: Obj, a: Obj): boolean {
    if (a.DeploymentStatus?.Canary === true) return true;
    const placed = (this.depDraft?.TaskGroups?.[tg.Name] as Obj | undefined)?.PlacedCanaries as string[] | null | undefined;
    return placed != null && placed.includes(a.ID);
  }

  /** Terminal allocs the reconciler leaves alone count as ignored when unchanged (computeUpdates). */
  notNow(a: Obj, du: DesiredUpdates): void {
    if ((a.Job as Job).JobModifyIndex === this.job!.JobModifyIndex) du.Ignore++;
  }

  reconcileSystemGroup(tg: Obj, mine: Obj[], live: Obj[], du: DesiredUpdates): void {
    const { plan, store, ev } = this;
    const job = this.job!;
    const name = `${job.ID}.${tg.Name}[0]`;
    let outdated = false;
    for (let kA = 0; kA < live.length; kA++) {
      const a = live[kA]!;
      if ((a.Job as Job).JobModifyIndex !== job.JobModifyIndex) { outdated = true; break; }
    }
    let firstOfVersion = true;
    for (let kA = 0; kA < mine.length; kA++) {
      const a = mine[kA]!;
      if ((a.Job as Job).Version === job.Version) { firstOfVersion = false; break; }
    }
    if (job.Type === 'system' && (tg.Update?.MaxParallel ?? 0) > 0 && (outdated || firstOfVersion)) this.ensureDeployment();
    for (const node of store.nodes.values()) {
      // The node's live allocs: those the drainer marked go without a replacement
      // (diffSystemAllocsForNode: migrate); a draining or ineligible node keeps the rest and gets nothing new.
      let here = NONE;
      let migrated = 0;
      for (let kA = 0; kA < live.length; kA++) {
        const a = live[kA]!;
        if (a.NodeID !== node.ID) continue;
        if (a.DesiredTransition?.Migrate) {
          this.markStop(a, DesiredText.nodeTainted);
          migrated++;
        } else {
          (here === NONE ? (here = []) : here).push(a);
        }
      }
      du.Migrate += migrated;
      if (node.Status === 'ready' && (node.DrainStrategy || node.SchedulingEligibility !== 'eligible')) {
        du.Ignore += here.length;
        continue;
      }
      const { node: fits } = selectOnNode(this.evalNodes().ready(), null, job, tg, node);
      if (!fits) {
        // No longer eligible: stop what runs there; never a placement failure for system jobs.
        for (let kA = 0; kA < here.length; kA++) {
          const a = here[kA]!;
          this.markStop(a, DesiredText.notNeeded);
          du.Stop++;
        }
        continue;
      }
      if (here.length === 0) {
        let done = false, failedHere = false;
        for (let kA = 0; kA < mine.length; kA++) {
          const a = mine[kA]!;
          if (a.NodeID !== node.ID || (a.Job as Job).Version !== job.Version) continue;
          if (a.ClientStatus === 'complete') done = true;
          else if (a.ClientStatus === 'failed' && a.DesiredStatus === 'run' && !a.NextAllocation) failedHere = true;
        }
        if (job.Type === 'sysbatch' && done) {
          du.Ignore++;
          continue;
        }
        if (failedHere) {
          du.Ignore++;
          continue;
        }
        if (this.tryPlace(tg, name, NO_LINKS, node)) du.Place++;
        continue;
      }
      for (let i = 1; i < here.length; i++) {
        this.markStop(here[i]!, DesiredText.notNeeded);
        du.Stop++;
      }
      const a = here[0]!;
      if ((a.Job as Job).JobModifyIndex === job.JobModifyIndex) {
        du.Ignore++;
      } else if (isDestructive(a.Job as Job, job, tg.Name)) {
        const placed = this.tryPlace(tg, name, { PreviousAllocation: a.ID }, node);
        if (placed) {
          this.markStopNext(a, DesiredText.updating, placed.ID);
          du.DestructiveUpdate++;
        }
      } else {
        const depDraft = this.depDraft;
        const d = depDraft && tg.Name in depDraft.TaskGroups ? depDraft : null;
        plan.update.push({ ...a, Job: job, EvalID: ev.ID, DeploymentID: d?.ID ?? '', DeploymentStatus: null });
        du.InPlaceUpdate++;
      }
    }
  }

  /** Deployment bookkeeping for this pass: totals for system jobs, placements, and success. */
  settleDeployment(d: Obj): void {
    const { plan, store, nowNs } = this;
    const job = this.job!;
    const groups = d.TaskGroups as Obj;
    for (const g in groups) {
      const st = groups[g] as Obj;
      let placedHere = 0, inPlaceHere = 0;
      for (let kA = 0; kA < plan.place.length; kA++) {
        const a = plan.place[kA]!;
        if (a.TaskGroup === g && a.DeploymentID === d.ID) placedHere++;
      }
      for (let kA = 0; kA < plan.update.length; kA++) {
        const a = plan.update[kA]!;
        if (a.TaskGroup === g && a.DeploymentID === d.ID && a.DesiredStatus === 'run' && store.allocs.get(a.ID)?.DeploymentID !== d.ID) inPlaceHere++;
      }
      st.PlacedAllocs += placedHere + inPlaceHere;
      if (job.Type === 'system' && plan.createdDeployment === d) st.DesiredTotal = placedHere + inPlaceHere + plan.desired[g]!.DestructiveUpdate;
      if (st.RequireProgressBy === null && placedHere + inPlaceHere > 0 && st.ProgressDeadline > 0) {
        st.RequireProgressBy = rfc3339(nowNs + st.ProgressDeadline);
      }
    }
    let nothingToDo = plan.place.length === 0;
    if (nothingToDo) {
      for (let kA = 0; kA < plan.update.length; kA++) {
        const a = plan.update[kA]!;
        if (a.DesiredStatus === 'run' && a.DeploymentID === d.ID && store.allocs.get(a.ID)?.DeploymentID !== d.ID) { nothingToDo = false; break; }
      }
    }
    let complete = true;
    for (const g in groups) {
      const s = groups[g] as Obj;
      if (!(s.HealthyAllocs >= Math.max(s.DesiredTotal, s.DesiredCanaries) && (s.DesiredCanaries === 0 || s.Promoted))) { complete = false; break; }
    }
    if (d.Status === 'running' && nothingToDo && complete && plan.createdDeployment !== d) {
      d.Status = 'successful';
      d.StatusDescription = DeploymentText.successful;
      plan.markStable = true;
    }
    const orig = plan.createdDeployment === d ? undefined : store.deployments.get(d.ID);
    // A status change (the usual change of a pass) is told apart before the groups are walked.
    if (!orig || orig.Status !== d.Status || orig.StatusDescription !== d.StatusDescription || !sameData(orig, d)) plan.deployments.push(d);
  }
}

/**
 * The job's allocs in the store's order (allocsOfJob), without an iterator or a grown list for the
 * usual job of one alloc, and the shared empty list for a job with none.
 */
function jobAllocs(store: Store, namespace: string, jobId: string): Obj[] {
  const ids = store.allocsByJob.get(jobKey(namespace, jobId));
  if (ids === undefined || ids.size === 0) return NONE;
  const only = (ids as { only?: string }).only;
  if (only !== undefined) return [store.allocs.get(only)!];
  const out: Obj[] = [];
  for (const id of ids) out.push(store.allocs.get(id)!);
  return out;
}

/** Whether an earlier group of the list has this name (the pass visits each name once). */
function nameBefore(groups: Obj[], i: number, name: string): boolean {
  for (let j = 0; j < i; j++) if (groups[j]!.Name === name) return true;
  return false;
}

/** The first group of the list with this name. */
function groupNamed(groups: Obj[], name: string): Obj | undefined {
  for (let kG = 0; kG < groups.length; kG++) {
    const g = groups[kG]!;
    if (g.Name === name) return g;
  }
  return undefined;
}

