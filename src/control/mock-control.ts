// The handles tests and CI pipelines hold on a running mock: reset, snapshot/restore, clock,
// forced allocation states, faults, the leader switch and the request journal. Shared by the
// /_mock/ routes and the in-process API.
import type { Store } from '../../state/store.js';
import type { Obj } from '../../state/types.js';
import { TABLES } from '../../state/store.js';
import { restoreSnapshot, SnapshotError, takeSnapshot, validateSnapshot, type Snapshot } from '../../state/snapshot/snapshot.js';
import { replaceNamespace } from '../../state/snapshot/namespace.js';
import { eventBuffer, type EventBatch } from '../../state/events/buffer.js';
import { rfc3339 } from '../../state/format.js';
import { ADVANCE_STEP_BUDGET, MAX_SCALE, MAX_SIM_MS, MIN_SCALE, type Clock, type ClockMode } from '../clock.js';
import type { RandomState, Randomness } from '../random.js';
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

/**
 * Everything a freshly started server holds once it is ready: the state with its exact indexes, the
 * event buffer's batches, where the seeded random streams stand and the clock. Records are shared,
 * not copied: a committed record is replaced, never changed in place.
 */
interface StartupWorld {
  snapshot: Snapshot;
  events: readonly EventBatch[];
  random: RandomState;
  clock: { nowMs: number; mode: ClockMode; scale: number };
}

export class MockControl {
  readonly faults: Faults;
  readonly journal = new Journal();
  /** Add, change, mark down/up and remove client nodes (src/control/nodes.ts); set by the server factory. */
  nodes!: NodeControl;
  private start!: StartupWorld;

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly sim: Simulator | null,
    private readonly rnd: Pick<Randomness, 'random' | 'save' | 'load'>,
  ) {
    this.faults = new Faults(rnd.random);
    this.markStartupState();
  }

  /** Marks the current world as what reset returns to (after seeding or loading at start-up). */
  markStartupState(): void {
    this.start = {
      snapshot: takeSnapshot(this.store),
      events: eventBuffer(this.store).backlog(0),
      random: this.rnd.save(),
      clock: { nowMs: this.clock.nowMs(), mode: this.clock.mode, scale: this.clock.scale },
    };
  }

  /**
   * The whole state. In-process callers get everything by default; `{ secrets: false }` (what
   * GET /_mock/snapshot gives unless asked for `?secrets=true`) leaves out token secrets.
   */
  snapshot(opts: { secrets?: boolean } = {}): Snapshot {
    return takeSnapshot(this.store, { secrets: opts.secrets ?? true });
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
   * Back to the start-up world, as if the server had just been started with the same flags: every
   * index as it was then (a restarted Nomad's indexes go back too), the start-up events, the random
   * streams and the clock where they stood, no faults, an empty journal. Held blocking queries
   * answer and open event streams end, as a restarted agent drops its connections. With a
   * namespace, only that namespace goes back, as one new write (see `resetNamespace`).
   */
  reset(namespace?: string): { Index: number } {
    if (namespace !== undefined && namespace !== '' && namespace !== '*') return this.resetNamespace(namespace);
    const start = this.start;
    // The clock first: it drops every timer of the old world before anything re-arms one.
    this.clock.restart(start.clock);
    this.rnd.load(start.random);
    restoreSnapshot(this.store, start.snapshot);
    eventBuffer(this.store).restart(start.events);
    this.faults.restart();
    this.journal.restart();
    this.store.announceReplaced();
    return { Index: this.store.index };
  }

  /**
   * Namespace `ns` back to its start-up rows (its namespace record, jobs with their versions,
   * summaries and submissions, evals, allocs, deployments, scaling events, periodic launches); all
   * else stays. A write in the running world: it takes the next index for the tables it touches, so
   * blocked readers of those tables answer, and event streams stay open. A namespace that exists
   * neither now nor at start-up is a 404.
   */
  private resetNamespace(ns: string): { Index: number } {
    const init = this.start.snapshot;
    if (!this.store.namespaces.has(ns) && !init.Namespaces.some((n) => n.Name === ns)) {
      throw new ControlError(`namespace ${JSON.stringify(ns)} not found: it exists neither now nor at start-up`, 404);
    }
    const index = this.store.write((tx) => {
      replaceNamespace(this.store, tx, ns, init);
      return tx.index;
    });
    // Runners, deadlines and periodic timers follow the replaced rows; persistence saves the whole state.
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
