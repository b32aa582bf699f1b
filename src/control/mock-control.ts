// The handles tests and CI pipelines hold on a running mock: reset, snapshot/restore, clock,
// forced allocation states, faults, the leader switch and the request journal. Shared by the
// /_mock/ routes and the in-process API.
import type { Store } from '../../state/store.js';
import type { Obj } from '../../state/types.js';
import { TABLES } from '../../state/store.js';
import { restoreSnapshot, SnapshotError, takeSnapshot, validateSnapshot, type Snapshot } from '../../state/snapshot/snapshot.js';
import { rfc3339 } from '../../state/format.js';
import { ADVANCE_STEP_BUDGET, MAX_SCALE, MAX_SIM_MS, MIN_SCALE, type Clock, type ClockMode } from '../clock.js';
import type { Simulator } from '../sim/index.js';
import { Faults } from './faults.js';
import { Journal } from './journal.js';
import type { NodeControl } from './nodes.js';

export class ControlError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export interface ClockState {
  Mode: ClockMode;
  Scale: number;
  Now: string | null;
  NowNs: number;
}

/** An advance's answer; `Skipped` is there only when the tail of a long advance was coalesced. */
export interface AdvanceState extends ClockState {
  Skipped?: { From: string | null; Until: string | null; Message: string };
}

const MAX_SIM_TIME = new Date(MAX_SIM_MS).toISOString().replace('.000Z', 'Z');

export type ForcedState = 'running' | 'failed' | 'complete' | 'lost';

export class MockControl {
  readonly faults: Faults;
  readonly journal = new Journal();
  /** Add, change, mark down/up and remove client nodes (src/control/nodes.ts); set by the server factory. */
  nodes!: NodeControl;
  private initial: Snapshot;

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly sim: Simulator | null,
    random: () => number,
  ) {
    this.faults = new Faults(random);
    this.initial = takeSnapshot(store);
  }

  /** Marks the current state as what reset returns to (after seeding at start-up). */
  markStartupState(): void {
    this.initial = takeSnapshot(this.store);
  }

  snapshot(): Snapshot {
    return takeSnapshot(this.store);
  }

  /**
   * Replaces the state with a snapshot document (checked first: a bad one changes nothing). Clients
   * of this server may hold any index up to the current one, so the restore counts as one write
   * that touched every table: the index becomes max(current, snapshot's) + 1 and never goes back;
   * records keep their own CreateIndex/ModifyIndex. `exact` keeps the document's indexes, for
   * loading the data dir before any client has been answered.
   */
  restore(doc: unknown, opts: { exact?: boolean } = {}): void {
    let snap = validateSnapshot(doc);
    if (!opts.exact) {
      const index = Math.max(this.store.index, snap.Index) + 1;
      snap = { ...snap, Index: index, TableIndexes: Object.fromEntries(TABLES.map((t) => [t, index])) };
    }
    // Restoring clears the tables first: if anything still fails half-way, put the old state back.
    const backup = takeSnapshot(this.store);
    try {
      restoreSnapshot(this.store, snap);
      this.store.announceReplaced();
    } catch (err) {
      restoreSnapshot(this.store, backup);
      this.store.announceReplaced();
      if (err instanceof SnapshotError) throw err;
      throw new ControlError('invalid snapshot: its records could not be loaded');
    }
  }

  /**
   * Back to the start-up state, for everything or one namespace. The index keeps moving forward
   * (one new write) so blocked readers wake and no client sees it go backwards.
   */
  reset(namespace?: string): { Index: number } {
    if (namespace !== undefined && namespace !== '' && namespace !== '*') return this.resetNamespace(namespace);
    const index = this.store.index + 1;
    restoreSnapshot(this.store, { ...this.initial, Index: index, TableIndexes: Object.fromEntries(TABLES.map((t) => [t, index])) });
    this.store.announceReplaced();
    return { Index: index };
  }

  private resetNamespace(ns: string): { Index: number } {
    const cur = takeSnapshot(this.store);
    const init = this.initial;
    const other = <T extends Obj>(xs: T[]): T[] => xs.filter((x) => x.Namespace !== ns);
    const mine = <T extends Obj>(xs: T[]): T[] => xs.filter((x) => x.Namespace === ns);
    const pick = <K extends keyof Snapshot>(k: K): Snapshot[K] => [...other(cur[k] as Obj[]), ...mine(init[k] as Obj[])] as Snapshot[K];
    const index = this.store.index + 1;
    const merged: Snapshot = {
      ...cur,
      Index: index,
      TableIndexes: Object.fromEntries(TABLES.map((t) => [t, index])),
      Namespaces: [...cur.Namespaces.filter((n) => n.Name !== ns), ...init.Namespaces.filter((n) => n.Name === ns)],
      Jobs: pick('Jobs'),
      Versions: pick('Versions'),
      Summaries: pick('Summaries'),
      Submissions: pick('Submissions'),
      Evaluations: pick('Evaluations'),
      Allocations: pick('Allocations'),
      Deployments: pick('Deployments'),
      ScalingEvents: pick('ScalingEvents'),
      PeriodicLaunches: pick('PeriodicLaunches'),
    };
    restoreSnapshot(this.store, merged);
    this.store.announceReplaced();
    return { Index: index };
  }

  clockState(): ClockState {
    const ns = this.clock.nowNs();
    return { Mode: this.clock.mode, Scale: this.clock.scale, Now: rfc3339(ns), NowNs: ns };
  }

  /** `field` names the input in errors (`Milliseconds` or `Duration`). */
  async advance(ms: number, field = 'Milliseconds'): Promise<AdvanceState> {
    if (!Number.isFinite(ms) || ms < 0) throw new ControlError('the clock only moves forward: give a non-negative duration');
    const max = Math.floor(this.clock.maxAdvanceMs());
    if (ms > max) {
      throw new ControlError(`${field}: simulated time cannot pass ${MAX_SIM_TIME} (Nomad's times are int64 nanoseconds); at most ${max} ms from now`);
    }
    const { coalescedFromMs } = await this.clock.advance(ms);
    const state: AdvanceState = this.clockState();
    if (coalescedFromMs !== null) {
      state.Skipped = {
        From: rfc3339(coalescedFromMs * 1e6),
        Until: state.Now,
        Message: `after ${ADVANCE_STEP_BUDGET} timer callbacks the rest was coalesced: every timer due between From and Until fired once, at Until, so what repeats (periodic launches, task restarts, watcher batches) ran once for that span`,
      };
    }
    return state;
  }

  setClock(mode: ClockMode | undefined, scale: number | undefined): ClockState {
    if (mode !== undefined && mode !== 'scaled' && mode !== 'manual') throw new ControlError('Mode must be "scaled" or "manual"');
    if (scale !== undefined && !(scale >= MIN_SCALE && scale <= MAX_SCALE)) {
      throw new ControlError(`Scale must be between ${MIN_SCALE} and ${MAX_SCALE} (simulated milliseconds per wall-clock millisecond)`);
    }
    this.clock.setMode(mode ?? this.clock.mode, scale);
    return this.clockState();
  }

  /** Forces an allocation (or one of its tasks) into a state; the scheduler reacts as to a real client. */
  forceAlloc(id: string, state: ForcedState, opts: { exitCode?: number; task?: string } = {}): Obj {
    if (!this.sim) throw new ControlError('the simulator is off', 409);
    const alloc = this.store.allocs.get(id);
    if (!alloc) throw new ControlError(`allocation ${JSON.stringify(id)} not found`, 404);
    if (!['running', 'failed', 'complete', 'lost'].includes(state)) throw new ControlError('State must be one of running, failed, complete, lost');
    if (opts.task !== undefined && !(alloc.Job.TaskGroups as Obj[]).find((g) => g.Name === alloc.TaskGroup)?.Tasks.some((t: Obj) => t.Name === opts.task)) {
      throw new ControlError(`task ${JSON.stringify(opts.task)} not found in allocation`);
    }
    this.sim.force(id, state, opts);
    return this.store.allocs.get(id)!;
  }

}
