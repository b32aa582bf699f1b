// The reconciler's pass over one group of a service or batch job (scheduler/reconcile_cluster.go
// computeGroup): which allocs to keep, stop, replace, reschedule or update, and which names to place.
import type { Job, Obj } from '../../state/types.js';
import { DeploymentText } from '../../state/deployments/table.js';
import { newEval } from '../../state/evaluations/table.js';
import { rfc3339 } from '../../state/format.js';
import { rescheduleDecision } from './reschedule.js';
import { ignoredTerminal, isDestructive } from './updates.js';
import { nameIndex } from './alloc-names.js';
import { DesiredText } from './desired-text.js';
import type { DesiredUpdates, Pass } from './reconcile.js';

/**
 * The empty list a pass hands on where most passes find nothing (failed, lost, outdated allocs…):
 * one shared frozen array instead of a new one per pass. Lists that get items are made on the first.
 * The pass walks its lists by index: a for-of loop that meets both this frozen array and ordinary
 * ones allocates an iterator and a result object per step, even in optimized code.
 */
export const NONE = Object.freeze([]) as unknown as Obj[];

/** Highest name index first, then the newest: the order scale-down keeps and stops allocs in. */
const byIndexDesc = (a: Obj, b: Obj): number => nameIndex(b.Name) - nameIndex(a.Name) || b.CreateIndex - a.CreateIndex;
const byNameIndex = (x: Obj, y: Obj): number => nameIndex(x.Name) - nameIndex(y.Name);
const byIndexOfName = (x: string, y: string): number => nameIndex(x) - nameIndex(y);

/** Whether `name` is exactly `<prefix><index>]` as the reconciler writes it (no leading zeros, no sign). */
function exactIndex(name: string, prefix: string): number {
  if (!name.startsWith(prefix)) return -1;
  const i = nameIndex(name);
  return name.length === prefix.length + String(i).length + 1 ? i : -1;
}

export function reconcileGroup(p: Pass, tg: Obj, mine: Obj[], live: Obj[], du: DesiredUpdates): void {
  const { plan, store, nowNs, ev } = p;
  const job = p.job!;
  const count: number = tg.Count;
  const usesDeployment = (tg.Update?.MaxParallel ?? 0) > 0 && job.Type === 'service';

  // Scale-down and duplicates: keep one live alloc per name below the count, highest indexes go first.
  const byIndex = live.length > 1 ? [...live].sort(byIndexDesc) : live;
  const kept: Obj[] = [];
  const seen = byIndex.length > 1 ? new Set<string>() : null;
  for (let kA = 0; kA < byIndex.length; kA++) {
    const a = byIndex[kA]!;
    const canary = p.isCanary(tg, a);
    if (nameIndex(a.Name) >= count && !canary) {
      p.markStop(a, DesiredText.notNeeded);
      du.Stop++;
      continue;
    }
    if (!canary && seen?.has(a.Name)) {
      p.markStop(a, DesiredText.notNeeded);
      du.Stop++;
      continue;
    }
    if (!canary) seen?.add(a.Name);
    kept.push(a);
  }

  // Names still held: live allocs, finished batch work of this version, failed allocs not replaced.
  const occupied = new Names(kept);
  if (job.Type === 'batch') {
    for (let kA = 0; kA < mine.length; kA++) {
      const a = mine[kA]!;
      if (a.ClientStatus === 'complete' && a.DesiredStatus === 'run' && (a.Job as Job).Version === job.Version) occupied.add(a.Name);
    }
  }

  // Failed allocs hold their name whatever becomes of them: rescheduled now, later, or never.
  let failed = NONE;
  for (let kA = 0; kA < mine.length; kA++) {
    const a = mine[kA]!;
    if (a.ClientStatus === 'failed' && a.DesiredStatus === 'run' && !a.NextAllocation && nameIndex(a.Name) < count) (failed === NONE ? (failed = []) : failed).push(a);
  }
  let rescheduling = NONE;
  for (let kA = 0; kA < failed.length; kA++) {
    const a = failed[kA]!;
    if (!occupied.has(a.Name)) (rescheduling === NONE ? (rescheduling = []) : rescheduling).push(a);
  }
  for (let kA = 0; kA < rescheduling.length; kA++) {
    const a = rescheduling[kA]!;
    occupied.add(a.Name);
  }
  // Lost allocs are stopped and their names placed again once, up to the group's count, whatever
  // their reschedule policy says (the names are checked against the names held before any is added).
  let lost: string[] = NONE as unknown as string[];
  for (let kA = 0; kA < mine.length; kA++) {
    const a = mine[kA]!;
    if (a.ClientStatus !== 'lost') continue;
    if (a.DesiredStatus === 'run') p.markStop(a, DesiredText.lost);
    if (a.NextAllocation || replacedIn(mine, a.ID)) continue;
    if (!occupied.has(a.Name) && nameIndex(a.Name) < count) (lost === (NONE as unknown) ? (lost = []) : lost).push(a.Name);
  }
  for (let kN = 0; kN < lost.length; kN++) {
    const n = lost[kN]!;
    occupied.add(n);
  }

  let outdated = NONE;
  for (let kA = 0; kA < kept.length; kA++) {
    const a = kept[kA]!;
    if ((a.Job as Job).JobModifyIndex !== job.JobModifyIndex && !p.isCanary(tg, a)) (outdated === NONE ? (outdated = []) : outdated).push(a);
  }
  let destructive = NONE, inPlace = NONE;
  for (let kA = 0; kA < outdated.length; kA++) {
    const a = outdated[kA]!;
    if (isDestructive(a.Job as Job, job, tg.Name)) (destructive === NONE ? (destructive = []) : destructive).push(a);
    else (inPlace === NONE ? (inPlace = []) : inPlace).push(a);
  }
  let firstOfVersion = true;
  for (let kA = 0; kA < mine.length; kA++) {
    const a = mine[kA]!;
    if ((a.Job as Job).Version === job.Version) { firstOfVersion = false; break; }
  }
  const prefix = `${job.ID}.${tg.Name}[`;
  const missing = occupied.missing(prefix, count);
  const needsDeployment = usesDeployment && (((missing.length > 0 || rescheduling.length > 0) && firstOfVersion) || outdated.length > 0);
  const d = needsDeployment ? p.ensureDeployment() : p.depDraft;
  const ds = d ? (d.TaskGroups[tg.Name] as Obj | undefined) : undefined;
  // A paused or failed deployment of this version holds back further placements of it.
  const blocked = Boolean((d && (d.Status === 'paused' || d.Status === 'failed')) || p.versionDep?.Status === 'failed');

  // Migrating allocs (alloc stop, drain) stop, replaced under the same name if there is room.
  let migrating = NONE;
  for (let kX = 0; kX < kept.length; kX++) {
    const x = kept[kX]!;
    if (x.DesiredTransition?.Migrate) (migrating === NONE ? (migrating = []) : migrating).push(x);
  }
  for (let kA = 0; kA < migrating.length; kA++) {
    const a = migrating[kA]!;
    p.markStop(a, DesiredText.migrating);
    const stopAt = plan.update.length - 1;
    const placed = p.tryPlace(tg, a.Name, { PreviousAllocation: a.ID });
    if (placed) plan.update[stopAt] = { ...plan.update[stopAt]!, NextAllocation: placed.ID };
    kept.splice(kept.indexOf(a), 1);
    du.Migrate++;
  }

  // Terminal allocs the reconciler leaves alone count as ignored, and so do failed allocs that
  // are not rescheduled now (untainted, then unchanged for computeUpdates).
  du.Ignore += ignoredTerminal(job, mine, failed);

  // Failed allocs: reschedule now, later, or never (state-semantics §8.5).
  for (let kA = 0; kA < rescheduling.length; kA++) {
    const a = rescheduling[kA]!;
    const inActiveDep = a.DeploymentID && p.depDraft && a.DeploymentID === p.depDraft.ID;
    if (inActiveDep && !a.DesiredTransition?.Reschedule && !a.DesiredTransition?.ForceReschedule) {
      p.notNow(a, du);
      continue;
    }
    const decision = rescheduleDecision(a, tg, nowNs);
    if (!decision.eligible && !a.DesiredTransition?.ForceReschedule) {
      p.notNow(a, du);
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
      const placed = p.tryPlace(tg, a.Name, { PreviousAllocation: a.ID, RescheduleTracker: tracker });
      if (placed) {
        p.markStopNext(a, DesiredText.rescheduled, placed.ID);
        du.Place++;
        du.RescheduleNow++;
      } else {
        plan.update.push({ ...a, RescheduleTracker: { ...(a.RescheduleTracker ?? { Events: null }), LastReschedule: 'no placement' } });
      }
    } else {
      p.notNow(a, du);
      if (a.FollowupEvalID) continue;
      const waitUntil = rfc3339(decision.at);
      let follow = plan.followups.find((f) => f.WaitUntil === waitUntil);
      if (!follow) {
        follow = {
          ...newEval(store, job, { triggeredBy: plan.followups.length === 0 ? 'alloc-reschedule' : 'alloc-failure', priority: ev.Priority, jobModifyIndex: job.ModifyIndex, statusDescription: 'created for delayed rescheduling' }),
          PreviousEval: ev.ID,
          WaitUntil: waitUntil,
        };
        plan.followups.push(follow);
      }
      plan.update.push({ ...a, FollowupEvalID: follow.ID });
      du.RescheduleLater++;
    }
  }
  for (let kN = 0; kN < lost.length; kN++) {
    const n = lost[kN]!;
    const prev = mine.find((a) => a.Name === n && a.ClientStatus === 'lost');
    const placed = p.tryPlace(tg, n, { PreviousAllocation: prev?.ID ?? '' });
    if (!placed) continue;
    du.Place++;
    // The state store links the lost alloc to its replacement (upsertAllocsImpl).
    const i = prev ? plan.update.findIndex((u) => u.ID === prev.ID) : -1;
    if (i >= 0) plan.update[i] = { ...plan.update[i], NextAllocation: placed.ID };
    else if (prev) plan.update.push({ ...prev, NextAllocation: placed.ID });
  }

  for (let kA = 0; kA < inPlace.length; kA++) {
    const a = inPlace[kA]!;
    if (p.isStopping(a)) continue;
    plan.update.push({ ...a, Job: job, EvalID: ev.ID, DeploymentID: d?.ID ?? '', DeploymentStatus: null });
    du.InPlaceUpdate++;
  }

  // Canaries first: no destructive replacement until they are promoted.
  const canaryWanted = usesDeployment && (tg.Update?.Canary ?? 0) > 0 && destructive.length > 0 && ds && !ds.Promoted;
  let destructiveBudget = destructive.length;
  if (blocked) {
    destructiveBudget = 0;
  } else if (usesDeployment && ds) {
    // The allocs of this deployment not about to be replaced: any unhealthy one stops the rollout,
    // and those not yet healthy use up its parallelism.
    let notHealthy = 0, unhealthy = false;
    for (let kA = 0; kA < kept.length; kA++) {
      const a = kept[kA]!;
      if (a.DeploymentID !== d!.ID || destructive.includes(a)) continue;
      const healthy = a.DeploymentStatus?.Healthy;
      if (healthy !== true) notHealthy++;
      if (healthy === false) unhealthy = true;
    }
    destructiveBudget = unhealthy || blocked ? 0 : Math.max(0, (tg.Update.MaxParallel as number) - notHealthy);
  }
  if (canaryWanted && !blocked) {
    ds.DesiredCanaries = tg.Update.Canary;
    let placedCanaries = 0;
    for (let kA = 0; kA < kept.length; kA++) {
      const a = kept[kA]!;
      if (p.isCanary(tg, a)) placedCanaries++;
    }
    const names = destructive.map((a) => a.Name).sort(byIndexOfName);
    for (let i = placedCanaries; i < tg.Update.Canary; i++) {
      const name = names[i] ?? `${job.ID}.${tg.Name}[${count + i}]`;
      const c = p.tryPlace(tg, name, { DeploymentStatus: { Healthy: null, Timestamp: null, Canary: true, ModifyIndex: 0 } });
      if (c) {
        ds.PlacedCanaries = [...(ds.PlacedCanaries ?? []), c.ID];
        du.Canary++;
      }
    }
    if (d!.StatusDescription === DeploymentText.running) {
      let auto = true;
      for (const g in d!.TaskGroups as Obj) {
        const s = (d!.TaskGroups as Obj)[g] as Obj;
        if (!(s.DesiredCanaries === 0 || s.AutoPromote)) { auto = false; break; }
      }
      d!.StatusDescription = auto ? DeploymentText.runningAutoPromotion : DeploymentText.runningNeedsPromotion;
    }
    du.Ignore += kept.length - inPlace.length;
  } else {
    if (destructive.length > 0) {
      // After promotion the canaries own their names: the old allocs holding them stop.
      let replaced = 0;
      const canaryNames = new Set<string>();
      for (let kA = 0; kA < kept.length; kA++) {
        const a = kept[kA]!;
        if (p.isCanary(tg, a)) canaryNames.add(a.Name);
      }
      // Nomad walks allocs in name order, so the lowest index is replaced first.
      for (const a of [...destructive].sort(byNameIndex)) {
        if (p.isStopping(a)) continue;
        if (canaryNames.has(a.Name) && ds?.Promoted) {
          p.markStop(a, DesiredText.notNeeded);
          du.Stop++;
          continue;
        }
        if (replaced >= destructiveBudget) {
          du.Ignore++;
          continue;
        }
        const placed = p.tryPlace(tg, a.Name, { PreviousAllocation: a.ID });
        if (!placed) continue;
        p.markStopNext(a, DesiredText.updating, placed.ID);
        du.DestructiveUpdate++;
        replaced++;
      }
    }
    du.Ignore += kept.length - outdated.length;
  }

  // Place counts what the reconciler wanted, whether or not a node was found.
  for (let kName = 0; kName < missing.length; kName++) {
    const name = missing[kName]!;
    if (blocked) continue;
    du.Place++;
    p.tryPlace(tg, name);
  }
}

/** Whether one of the allocs replaced the alloc with this ID. */
function replacedIn(allocs: Obj[], id: string): boolean {
  for (let kB = 0; kB < allocs.length; kB++) {
    const b = allocs[kB]!;
    if (b.PreviousAllocation === id) return true;
  }
  return false;
}

/**
 * The alloc names a group's pass holds: the kept allocs' names (read from the list, which the pass
 * changes only after its last look here) and the names added to them; a Set once there are more
 * than a few. `missing` lists the names `<prefix><i>]` below the count not held, without building a
 * name for every index to look it up.
 */
class Names {
  private extra: string[] | null = null;
  private set: Set<string> | null = null;

  constructor(private readonly kept: Obj[]) {}

  add(name: string): void {
    if (this.has(name)) return;
    (this.extra ??= []).push(name);
    this.set?.add(name);
  }

  has(name: string): boolean {
    const kept = this.kept;
    if (this.set === null && kept.length + (this.extra?.length ?? 0) > 8) {
      const set = new Set<string>();
      for (let i = 0; i < kept.length; i++) set.add(kept[i]!.Name);
      if (this.extra !== null) for (let i = 0; i < this.extra.length; i++) set.add(this.extra[i]!);
      this.set = set;
    }
    if (this.set !== null) return this.set.has(name);
    for (let i = 0; i < kept.length; i++) if (kept[i]!.Name === name) return true;
    return this.extra !== null && this.extra.includes(name);
  }

  missing(prefix: string, count: number): string[] {
    const kept = this.kept;
    const extra = this.extra;
    let held = 0;
    let taken: boolean[] | null = null;
    const n = kept.length + (extra?.length ?? 0);
    for (let k = 0; k < n; k++) {
      const i = exactIndex(k < kept.length ? kept[k]!.Name : extra![k - kept.length]!, prefix);
      if (i < 0 || i >= count || (taken !== null && taken[i] === true)) continue;
      (taken ??= [])[i] = true;
      held++;
    }
    if (held === count) return NONE as unknown as string[];
    const out: string[] = [];
    for (let i = 0; i < count; i++) if (taken === null || taken[i] !== true) out.push(`${prefix}${i}]`);
    return out;
  }
}
