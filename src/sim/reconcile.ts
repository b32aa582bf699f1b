// What one scheduler pass decides for a job, computed from state without writing anything: the allocations
// to place, stop and update, the deployment to create, cancel or complete, follow-up evals and placement
// failures (state-semantics §7.4, §8.5, §9). The scheduler applies it; plan dry-runs only report it.
import type { Evaluation, Job, Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import { allocsOfJob, isClientTerminal } from '../../state/allocations/table.js';
import { isActiveDeployment, DeploymentText } from '../../state/deployments/table.js';
import { jobKey } from '../../state/store.js';
import { newEval } from '../../state/evaluations/table.js';
import { PlanUsage } from './placement.js';
import { EvalNodes, selectOnNode } from './stack.js';
import { rfc3339 } from '../../state/format.js';
import { rescheduleDecision } from './reschedule.js';
import { newAllocation, newDeployment, type PlacementLinks } from './new-records.js';
import { schedulerConfig } from '../../state/operator/config.js';
import { stopLost, taintedAsLost } from './lost.js';
import { ignoredTerminal, isDestructive } from './updates.js';
import { draftOf, sameData } from './deployment-draft.js';
import { nameIndex } from './alloc-names.js';
export { isDestructive };

export const DesiredText = {
  notNeeded: 'alloc not needed due to job update',
  updating: 'alloc is being updated due to job update',
  rescheduled: 'alloc was rescheduled because it failed',
  lost: 'alloc is lost since its node is down',
  migrating: 'alloc is being migrated',
  nodeTainted: 'alloc not needed as node is tainted',
} as const;

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


export const hasDeployments = (job: Job): boolean =>
  (job.Type === 'service' || job.Type === 'system') && job.TaskGroups.some((tg) => (tg.Update?.MaxParallel ?? 0) > 0);

export interface ReconcileInput {
  store: Store;
  /** The job to schedule (undefined once purged). */
  job: Job | undefined;
  namespace: string;
  jobId: string;
  ev: Evaluation;
  nowNs: number;
}

/** What a placement carries over from the alloc it replaces, or a canary's status. */ type Links = Omit<PlacementLinks, 'DeploymentID'>;
const NO_LINKS: Links = Object.freeze({});

export function reconcile(input: ReconcileInput): Plan {
  const { store, job, ev, nowNs } = input;
  const plan: Plan = {
    place: [], update: [], deployments: [], createdDeployment: null, markStable: false,
    failed: {}, queued: {}, desired: {}, followups: [], deploymentId: '',
  };
  const { all, newlyLost } = taintedAsLost(store, allocsOfJob(store, input.namespace, input.jobId), nowNs);
  const stopped = !job || job.Stop;
  const stop = (a: Obj, desc: string, extra: Obj = {}): void => {
    plan.update.push({ ...a, DesiredStatus: 'stop', DesiredDescription: desc, ...extra });
  };

  // Allocs of an earlier instance of the job (purged and re-registered) are simply stopped.
  const current: Obj[] = [];
  for (const a of all) {
    if (job && (a.Job as Job).CreateIndex === job.CreateIndex) current.push(a);
    else if (a.DesiredStatus === 'run' && !isClientTerminal(a)) stop(a, DesiredText.notNeeded);
  }

  const deps: Obj[] = [], active: Obj[] = [];
  for (const id of store.deploymentsByJob.get(jobKey(input.namespace, input.jobId)) ?? []) {
    const d = store.deployments.get(id)!;
    deps.push(d);
    if (isActiveDeployment(d)) active.push(d);
  }
  if (stopped) {
    for (const d of active) plan.deployments.push({ ...d, Status: 'cancelled', StatusDescription: DeploymentText.stoppedJob });
  }
  if (!job) {
    for (const a of current) if (a.DesiredStatus === 'run' && !isClientTerminal(a)) stop(a, DesiredText.notNeeded);
    stopLost(plan.update, all, newlyLost);
    return plan;
  }

  // The first of the highest CreateIndex, as a stable sort would put it first.
  let latestDep: Obj | null = null;
  for (const d of deps) if (d.JobCreateIndex === job.CreateIndex && (!latestDep || d.CreateIndex > latestDep.CreateIndex)) latestDep = d;
  const versionDep: Obj | null = latestDep && latestDep.JobVersion === job.Version ? latestDep : null;
  let dep: Obj | null = versionDep;
  const wantsDeployment = !stopped && hasDeployments(job);
  if (job.Type === 'service' || job.Type === 'system') plan.deploymentId = latestDep?.ID ?? '';

  // Deployment objects are edited through this working copy and written once.
  let depDraft: Obj | null = dep && isActiveDeployment(dep) ? draftOf(dep) : null;
  const ensureDeployment = (): Obj | null => {
    if (!wantsDeployment) return null;
    if (depDraft) return depDraft;
    if (dep) return null; // one deployment per version: a finished one is not reopened
    for (const d of active) {
      if (d.JobVersion !== job.Version) plan.deployments.push({ ...d, Status: 'cancelled', StatusDescription: DeploymentText.newerJob });
    }
    depDraft = newDeployment(store, job, ev, nowNs);
    plan.createdDeployment = depDraft;
    dep = depDraft;
    plan.deploymentId = depDraft.ID;
    return depDraft;
  };

  const stopping = new Set<string>();
  const evalNodes = new EvalNodes(store, job, ev.ID);
  // Per-pool scheduler settings are Enterprise-only, so the cluster-wide configuration decides.
  const sched = schedulerConfig(store);
  const algorithm = sched.SchedulerAlgorithm || 'binpack';
  // Made on first use: most passes of a running job neither place nor stop anything.
  let planUsage: PlanUsage | null = null; const usage = (): PlanUsage => (planUsage ??= new PlanUsage(store.nodeUsage, store));

  /** Places one alloc or records the failure; returns the alloc or null. */
  const tryPlace = (tg: Obj, name: string, links: Links = NO_LINKS, onlyNode?: Obj): Obj | null => {
    // The generic scheduler does not try a group again once one of its placements failed; it
    // counts the rest as coalesced failures. The system scheduler tries every node.
    const earlier = plan.failed[tg.Name];
    if (earlier && !onlyNode) {
      earlier.CoalescedFailures++;
      plan.queued[tg.Name] = (plan.queued[tg.Name] ?? 0) + 1;
      return null;
    }
    const { node, metric } = evalNodes.place(usage(), tg, algorithm, onlyNode, links.PreviousAllocation);
    if (!node) {
      if (earlier) earlier.CoalescedFailures++;
      else plan.failed[tg.Name] = metric;
      plan.queued[tg.Name] = (plan.queued[tg.Name] ?? 0) + 1;
      return null;
    }
    usage().add(node.ID, job, tg);
    const d = depDraft && tg.Name in depDraft.TaskGroups ? depDraft : null;
    const alloc = newAllocation(store, job, ev, nowNs, tg, name, node, metric, {
      DeploymentID: d?.ID ?? '',
      PreviousAllocation: links.PreviousAllocation,
      RescheduleTracker: links.RescheduleTracker,
      DeploymentStatus: links.DeploymentStatus,
    }, sched.MemoryOversubscriptionEnabled);
    plan.place.push(alloc);
    return alloc;
  };

  const markStop = (a: Obj, desc: string, extra: Obj = {}): void => {
    stopping.add(a.ID);
    const held = (a.Job as Job).TaskGroups.find((g) => g.Name === a.TaskGroup);
    if (held && a.DesiredStatus === 'run' && !isClientTerminal(a)) usage().add(a.NodeID, a.Job as Job, held, -1);
    stop(a, desc, extra);
  };

  const groupNames = new Set<string>();
  for (const g of job.TaskGroups) groupNames.add(g.Name);
  for (const a of current) groupNames.add(a.TaskGroup as string);
  for (const g of groupNames) {
    const tg = job.TaskGroups.find((x) => x.Name === g);
    const du = zeroUpdates();
    plan.desired[g] = du;
    plan.queued[g] ??= 0;
    const mine = current.filter((a) => a.TaskGroup === g);
    const live = mine.filter((a) => a.DesiredStatus === 'run' && !isClientTerminal(a));
    if (!tg || stopped || tg.Count === 0 && job.Type !== 'system' && job.Type !== 'sysbatch') {
      for (const a of live) markStop(a, DesiredText.notNeeded);
      du.Stop += live.length;
      if (!tg) delete plan.queued[g];
      continue;
    }
    if (job.Type === 'system' || job.Type === 'sysbatch') {
      reconcileSystemGroup(tg, mine, live, du);
      continue;
    }
    reconcileGroup(tg, mine, live, du);
  }

  /** Lost allocs are stopped and their names placed again once. */
  function lostReplacements(mine: Obj[]): string[] {
    const names: string[] = [];
    for (const a of mine) {
      if (a.ClientStatus !== 'lost') continue;
      if (a.DesiredStatus === 'run') markStop(a, DesiredText.lost);
      if (!a.NextAllocation && !mine.some((b) => b.PreviousAllocation === a.ID)) names.push(a.Name);
    }
    return names;
  }

  function reconcileGroup(tg: Obj, mine: Obj[], live: Obj[], du: DesiredUpdates): void {
    const count: number = tg.Count;
    const usesDeployment = (tg.Update?.MaxParallel ?? 0) > 0 && job!.Type === 'service';
    const depState = (): Obj | null => (depDraft?.TaskGroups?.[tg.Name] as Obj | undefined) ?? null;
    const isCanary = (a: Obj): boolean => a.DeploymentStatus?.Canary === true || (depState()?.PlacedCanaries ?? []).includes(a.ID);

    // Scale-down and duplicates: keep one live alloc per name below the count, highest indexes go first.
    const byIndex = [...live].sort((a, b) => nameIndex(b.Name) - nameIndex(a.Name) || b.CreateIndex - a.CreateIndex);
    const kept: Obj[] = [];
    const seen = new Set<string>();
    for (const a of byIndex) {
      const canary = isCanary(a);
      if (nameIndex(a.Name) >= count && !canary) {
        markStop(a, DesiredText.notNeeded);
        du.Stop++;
        continue;
      }
      if (!canary && seen.has(a.Name)) {
        markStop(a, DesiredText.notNeeded);
        du.Stop++;
        continue;
      }
      if (!canary) seen.add(a.Name);
      kept.push(a);
    }

    // Names still held: live allocs, finished batch work of this version, failed allocs not replaced.
    const occupied = new Set<string>(kept.map((a) => a.Name));
    if (job!.Type === 'batch') {
      for (const a of mine) {
        if (a.ClientStatus === 'complete' && a.DesiredStatus === 'run' && (a.Job as Job).Version === job!.Version) occupied.add(a.Name);
      }
    }

    // Failed allocs hold their name whatever becomes of them: rescheduled now, later, or never.
    const failed = mine.filter((a) => a.ClientStatus === 'failed' && a.DesiredStatus === 'run' && !a.NextAllocation && nameIndex(a.Name) < count);
    const rescheduling = failed.filter((a) => !occupied.has(a.Name));
    for (const a of rescheduling) occupied.add(a.Name);
    // Lost allocs are replaced up to the group's count, whatever their reschedule policy says.
    const lost = lostReplacements(mine).filter((n) => !occupied.has(n) && nameIndex(n) < count);
    for (const n of lost) occupied.add(n);

    const outdated = kept.filter((a) => (a.Job as Job).JobModifyIndex !== job!.JobModifyIndex && !isCanary(a));
    const destructive = outdated.filter((a) => isDestructive(a.Job as Job, job!, tg.Name));
    const inPlace = outdated.filter((a) => !destructive.includes(a));
    const firstOfVersion = !mine.some((a) => (a.Job as Job).Version === job!.Version);
    const missing: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${job!.ID}.${tg.Name}[${i}]`;
      if (!occupied.has(name)) missing.push(name);
    }
    const needsDeployment = usesDeployment && (((missing.length > 0 || rescheduling.length > 0) && firstOfVersion) || outdated.length > 0);
    const d = needsDeployment ? ensureDeployment() : depDraft;
    const ds = d ? (d.TaskGroups[tg.Name] as Obj | undefined) : undefined;
    // A paused or failed deployment of this version holds back further placements of it.
    const blocked = Boolean((d && (d.Status === 'paused' || d.Status === 'failed')) || versionDep?.Status === 'failed');

    // Migrating allocs (alloc stop, drain) stop, replaced under the same name if there is room.
    for (const a of kept.filter((x) => x.DesiredTransition?.Migrate)) {
      markStop(a, DesiredText.migrating);
      const stopAt = plan.update.length - 1;
      const placed = tryPlace(tg, a.Name, { PreviousAllocation: a.ID });
      if (placed) plan.update[stopAt] = { ...plan.update[stopAt]!, NextAllocation: placed.ID };
      kept.splice(kept.indexOf(a), 1);
      du.Migrate++;
    }

    // Terminal allocs the reconciler leaves alone count as ignored, and so do failed allocs that
    // are not rescheduled now (untainted, then unchanged for computeUpdates).
    const unchanged = (a: Obj): boolean => (a.Job as Job).JobModifyIndex === job!.JobModifyIndex;
    du.Ignore += ignoredTerminal(job!, mine, failed);
    const notNow = (a: Obj): number => (unchanged(a) ? du.Ignore++ : 0);

    // Failed allocs: reschedule now, later, or never (state-semantics §8.5).
    for (const a of rescheduling) {
      const inActiveDep = a.DeploymentID && depDraft && a.DeploymentID === depDraft.ID;
      if (inActiveDep && !a.DesiredTransition?.Reschedule && !a.DesiredTransition?.ForceReschedule) {
        notNow(a);
        continue;
      }
      const decision = rescheduleDecision(a, tg, nowNs);
      if (!decision.eligible && !a.DesiredTransition?.ForceReschedule) {
        notNow(a);
        continue;
      }
      if (decision.at <= nowNs || a.DesiredTransition?.ForceReschedule) {
        const tracker = {
          Events: [...((a.RescheduleTracker?.Events as Obj[]) ?? []).slice(decision.unlimited ? -4 : 0), {
            RescheduleTime: nowNs,
            PrevAllocID: a.ID,
            PrevNodeID: a.NodeID,
            Delay: decision.delay,
          }],
          LastReschedule: 'ok',
        };
        const placed = tryPlace(tg, a.Name, { PreviousAllocation: a.ID, RescheduleTracker: tracker });
        if (placed) {
          markStop(a, DesiredText.rescheduled, { NextAllocation: placed.ID });
          du.Place++;
          du.RescheduleNow++;
        } else {
          plan.update.push({ ...a, RescheduleTracker: { ...(a.RescheduleTracker ?? { Events: null }), LastReschedule: 'no placement' } });
        }
      } else {
        notNow(a);
        if (a.FollowupEvalID) continue;
        const at = decision.at;
        let follow = plan.followups.find((f) => f.WaitUntil === rfc3339(at));
        if (!follow) {
          follow = {
            ...newEval(store, job!, { triggeredBy: plan.followups.length === 0 ? 'alloc-reschedule' : 'alloc-failure', priority: ev.Priority, jobModifyIndex: job!.ModifyIndex, statusDescription: 'created for delayed rescheduling' }),
            PreviousEval: ev.ID,
            WaitUntil: rfc3339(at),
          };
          plan.followups.push(follow);
        }
        plan.update.push({ ...a, FollowupEvalID: follow.ID });
        du.RescheduleLater++;
      }
    }
    for (const n of lost) {
      const prev = mine.find((a) => a.Name === n && a.ClientStatus === 'lost');
      const placed = tryPlace(tg, n, { PreviousAllocation: prev?.ID ?? '' });
      if (!placed) continue;
      du.Place++;
      // The state store links the lost alloc to its replacement (upsertAllocsImpl).
      const i = prev ? plan.update.findIndex((u) => u.ID === prev.ID) : -1;
      if (i >= 0) plan.update[i] = { ...plan.update[i], NextAllocation: placed.ID };
      else if (prev) plan.update.push({ ...prev, NextAllocation: placed.ID });
    }

    for (const a of inPlace) {
      if (stopping.has(a.ID)) continue;
      plan.update.push({ ...a, Job: job, EvalID: ev.ID, DeploymentID: d?.ID ?? '', DeploymentStatus: null });
      du.InPlaceUpdate++;
    }

    // Canaries first: no destructive replacement until they are promoted.
    const canaryWanted = usesDeployment && (tg.Update?.Canary ?? 0) > 0 && destructive.length > 0 && ds && !ds.Promoted;
    let destructiveBudget = destructive.length;
    if (blocked) {
      destructiveBudget = 0;
    } else if (usesDeployment && ds) {
      const inDep = kept.filter((a) => a.DeploymentID === d!.ID && !destructive.includes(a));
      const notHealthy = inDep.filter((a) => a.DeploymentStatus?.Healthy !== true).length;
      const unhealthy = inDep.some((a) => a.DeploymentStatus?.Healthy === false);
      destructiveBudget = unhealthy || blocked ? 0 : Math.max(0, (tg.Update.MaxParallel as number) - notHealthy);
    }
    if (canaryWanted && !blocked) {
      ds.DesiredCanaries = tg.Update.Canary;
      const placedCanaries = kept.filter((a) => isCanary(a));
      const names = destructive.map((a) => a.Name).sort((x, y) => nameIndex(x) - nameIndex(y));
      for (let i = placedCanaries.length; i < tg.Update.Canary; i++) {
        const name = names[i] ?? `${job!.ID}.${tg.Name}[${count + i}]`;
        const c = tryPlace(tg, name, { DeploymentStatus: { Healthy: null, Timestamp: null, Canary: true, ModifyIndex: 0 } });
        if (c) {
          ds.PlacedCanaries = [...(ds.PlacedCanaries ?? []), c.ID];
          du.Canary++;
        }
      }
      if (d!.StatusDescription === DeploymentText.running) {
        const auto = Object.values(d!.TaskGroups as Obj).every((s: Obj) => s.DesiredCanaries === 0 || s.AutoPromote);
        d!.StatusDescription = auto ? DeploymentText.runningAutoPromotion : DeploymentText.runningNeedsPromotion;
      }
      du.Ignore += kept.length - inPlace.length;
    } else {
      // After promotion the canaries own their names: the old allocs holding them stop.
      let replaced = 0;
      const canaryNames = new Set(kept.filter((a) => isCanary(a)).map((a) => a.Name));
      // Nomad walks allocs in name order, so the lowest index is replaced first.
      for (const a of [...destructive].sort((x, y) => nameIndex(x.Name) - nameIndex(y.Name))) {
        if (stopping.has(a.ID)) continue;
        if (canaryNames.has(a.Name) && ds?.Promoted) {
          markStop(a, DesiredText.notNeeded);
          du.Stop++;
          continue;
        }
        if (replaced >= destructiveBudget) {
          du.Ignore++;
          continue;
        }
        const placed = tryPlace(tg, a.Name, { PreviousAllocation: a.ID });
        if (!placed) continue;
        markStop(a, DesiredText.updating, { NextAllocation: placed.ID });
        du.DestructiveUpdate++;
        replaced++;
      }
      du.Ignore += kept.length - outdated.length;
    }

    // Place counts what the reconciler wanted, whether or not a node was found.
    for (const name of missing) {
      if (blocked) continue;
      du.Place++;
      tryPlace(tg, name);
    }
  }

  function reconcileSystemGroup(tg: Obj, mine: Obj[], live: Obj[], du: DesiredUpdates): void {
    const name = `${job!.ID}.${tg.Name}[0]`;
    const outdated = live.some((a) => (a.Job as Job).JobModifyIndex !== job!.JobModifyIndex);
    const firstOfVersion = !mine.some((a) => (a.Job as Job).Version === job!.Version);
    if (job!.Type === 'system' && (tg.Update?.MaxParallel ?? 0) > 0 && (outdated || firstOfVersion)) ensureDeployment();
    for (const node of store.nodes.values()) {
      const onNode = live.filter((a) => a.NodeID === node.ID);
      const here = onNode.filter((a) => !a.DesiredTransition?.Migrate);
      // Allocs the drainer marked go without a replacement (diffSystemAllocsForNode: migrate); a
      // draining or ineligible node keeps the rest and gets nothing new.
      for (const a of onNode.filter((x) => !here.includes(x))) markStop(a, DesiredText.nodeTainted);
      du.Migrate += onNode.length - here.length;
      if (node.Status === 'ready' && (node.DrainStrategy || node.SchedulingEligibility !== 'eligible')) {
        du.Ignore += here.length;
        continue;
      }
      const done = job!.Type === 'sysbatch' && mine.some((a) => a.NodeID === node.ID && a.ClientStatus === 'complete' && (a.Job as Job).Version === job!.Version);
      const { node: fits } = selectOnNode(evalNodes.ready(), null, job!, tg, node);
      if (!fits) {
        // No longer eligible: stop what runs there; never a placement failure for system jobs.
        for (const a of here) {
          markStop(a, DesiredText.notNeeded);
          du.Stop++;
        }
        continue;
      }
      if (here.length === 0) {
        if (done) {
          du.Ignore++;
          continue;
        }
        const failedHere = mine.find((a) => a.NodeID === node.ID && a.ClientStatus === 'failed' && a.DesiredStatus === 'run' && !a.NextAllocation && (a.Job as Job).Version === job!.Version);
        if (failedHere) {
          du.Ignore++;
          continue;
        }
        if (tryPlace(tg, name, {}, node)) du.Place++;
        continue;
      }
      const [keep, ...extra] = here;
      for (const a of extra) {
        markStop(a, DesiredText.notNeeded);
        du.Stop++;
      }
      const a = keep!;
      if ((a.Job as Job).JobModifyIndex === job!.JobModifyIndex) {
        du.Ignore++;
      } else if (isDestructive(a.Job as Job, job!, tg.Name)) {
        const placed = tryPlace(tg, name, { PreviousAllocation: a.ID }, node);
        if (placed) {
          markStop(a, DesiredText.updating, { NextAllocation: placed.ID });
          du.DestructiveUpdate++;
        }
      } else {
        const d = depDraft && tg.Name in depDraft.TaskGroups ? depDraft : null;
        plan.update.push({ ...a, Job: job, EvalID: ev.ID, DeploymentID: d?.ID ?? '', DeploymentStatus: null });
        du.InPlaceUpdate++;
      }
    }
  }

  stopLost(plan.update, all, newlyLost);

  // Deployment bookkeeping for this pass: totals for system jobs, placements, and success.
  if (depDraft) {
    const d = depDraft;
    const groups = d.TaskGroups as Obj;
    for (const g in groups) {
      const st = groups[g] as Obj;
      let placedHere = 0, inPlaceHere = 0;
      for (const a of plan.place) if (a.TaskGroup === g && a.DeploymentID === d.ID) placedHere++;
      for (const a of plan.update) if (a.TaskGroup === g && a.DeploymentID === d.ID && a.DesiredStatus === 'run' && store.allocs.get(a.ID)?.DeploymentID !== d.ID) inPlaceHere++;
      st.PlacedAllocs += placedHere + inPlaceHere;
      if (job.Type === 'system' && plan.createdDeployment === d) st.DesiredTotal = placedHere + inPlaceHere + plan.desired[g]!.DestructiveUpdate;
      if (st.RequireProgressBy === null && placedHere + inPlaceHere > 0 && st.ProgressDeadline > 0) {
        st.RequireProgressBy = rfc3339(nowNs + st.ProgressDeadline);
      }
    }
    const nothingToDo = plan.place.length === 0 && !plan.update.some((a) => a.DesiredStatus === 'run' && a.DeploymentID === d.ID && store.allocs.get(a.ID)?.DeploymentID !== d.ID);
    const complete = Object.values(d.TaskGroups as Obj).every((s: Obj) =>
      s.HealthyAllocs >= Math.max(s.DesiredTotal, s.DesiredCanaries) && (s.DesiredCanaries === 0 || s.Promoted),
    );
    if (d.Status === 'running' && nothingToDo && complete && plan.createdDeployment !== d) {
      d.Status = 'successful';
      d.StatusDescription = DeploymentText.successful;
      plan.markStable = true;
    }
    const orig = plan.createdDeployment === d ? undefined : store.deployments.get(d.ID);
    // A status change (the usual change of a pass) is told apart before the groups are walked.
    if (!orig || orig.Status !== d.Status || orig.StatusDescription !== d.StatusDescription || !sameData(orig, d)) plan.deployments.push(d);
  }
  return plan;
}
