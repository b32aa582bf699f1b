// The lifecycle simulator: reacts to committed writes like a Nomad leader and its clients would.
// Pending evals go to the scheduler, placed allocs to their client runners, health changes to the
// deployment watcher. All reactions run off the shared clock, never inside the write that caused them.
// Every reaction and every deferred callback runs inside the clock's guard, and each re-checks that
// what it refers to (alloc, eval, deployment, job) still exists when it runs.
import { jobKey, type Store, type StoreEvent } from '../../state/store.js';
import type { Clock, TimerTask } from '../clock.js';
import { Scheduler } from './scheduler.js';
import { ClientSim } from './client.js';
import { DeploymentWatcher } from './watcher.js';
import { PeriodicDispatcher } from './periodic.js';
import { GarbageCollector, gcSettings, type GcSettings } from './gc.js';
import { NodeDrainer } from './drainer.js';
import type { GcResult } from '../../state/gc/gc.js';
import { onSchedulerConfig, schedulerConfig } from '../../state/operator/config.js';

/** The guard's source name of each topic's reaction, made once rather than for every event of every write. */
const REACTION_SOURCES = new Map<string, string>();
function reactionSource(topic: string): string {
  let source = REACTION_SOURCES.get(topic);
  if (source === undefined) REACTION_SOURCES.set(topic, (source = `simulator reaction to ${topic}`));
  return source;
}

const ALLOC = 0;
const DEPLOYMENT = 1;
type DeferredKind = typeof ALLOC | typeof DEPLOYMENT;

/**
 * Reactions joined to one zero-delay timer (its task): kinds and IDs side by side rather than a closure
 * each. Reused once it has run (Simulator.spare): a register's writes arm a couple of these, and their
 * two arrays were most of the simulator's garbage per event.
 */
class Deferred implements TimerTask {
  readonly kinds: DeferredKind[] = [];
  readonly ids: string[] = [];
  /** Items in use (the arrays keep their length between uses). */
  n = 0;
  /** The clock's count of timers just before the batch's timer was armed. */
  seq = 0;
  constructor(private readonly sim: Simulator) {}
  push(kind: DeferredKind, id: string): void {
    this.kinds[this.n] = kind;
    this.ids[this.n++] = id;
  }
  fire(): void {
    this.sim.runDeferred(this);
  }
}

/** Spare batches kept for reuse; more are only ever wanted when one write touches many allocs. */
const MAX_SPARE = 64;

export class Simulator {
  /** Told what each GC pass deleted (the server logs it). */
  onCollected: ((r: GcResult) => void) | null = null;
  readonly scheduler: Scheduler;
  readonly client: ClientSim;
  readonly watcher: DeploymentWatcher;
  readonly periodic: PeriodicDispatcher;
  readonly gc: GarbageCollector;
  readonly drainer: NodeDrainer;
  private readonly unsubscribe: (() => void)[];
  /**
   * The zero-delay watcher timer this write's reactions armed last and the clock's count just before
   * it: while no other timer has been created since, the next reaction joins it instead of arming
   * one of its own (a client batch of N allocs took N timers), and runs exactly where its own timer
   * would have. Only within one write's reactions.
   */
  private deferred: Deferred | null = null;
  /** Batches that have run, ready for the next write's reactions. */
  private readonly spare: Deferred[] = [];

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    gc: GcSettings = gcSettings({}),
  ) {
    const defer = (task: TimerTask): void => void clock.afterTask(0, task, 'scheduler');
    this.scheduler = new Scheduler(store, defer, clock.guard);
    this.client = new ClientSim(store, clock, { capacityFreed: () => this.scheduler.unblockAll() });
    this.watcher = new DeploymentWatcher(store, clock);
    this.periodic = new PeriodicDispatcher(store, clock);
    this.gc = new GarbageCollector(store, clock, gc, (r) => this.collected(r));
    this.drainer = new NodeDrainer(store, clock);
    this.gc.start();
    // Reactions run synchronously after a commit: a failure must neither reach the HTTP answer of the
    // write that caused it nor skip the reactions to the write's other events.
    this.unsubscribe = [
      store.subscribe((_index, events) => {
        this.deferred = null;
        // guard.run's try/catch spelled out: no closure for each of a write's events.
        for (const e of events) {
          try {
            this.react(e);
          } catch (err) {
            clock.guard.caught(reactionSource(e.Topic), err);
          }
        }
        this.deferred = null;
      }),
      store.onReplace(() => clock.guard.run('simulator resync', () => this.resync())),
      onSchedulerConfig(store, (cfg) => clock.guard.run('eval broker state change', () => this.scheduler.setPaused(cfg.PauseEvalBroker))),
    ];
    this.scheduler.setPaused(schedulerConfig(store).PauseEvalBroker);
    this.drainer.resync();
  }

  private react(e: StoreEvent): void {
    switch (e.Topic) {
      case 'Evaluation': {
        const ev = e.Payload.Evaluation;
        this.scheduler.noteEval(ev);
        if (ev.Status !== 'pending') break;
        const wait = ev.WaitUntil ? Date.parse(ev.WaitUntil) - this.clock.nowMs() : 0;
        if (wait > 0) this.clock.after(wait, () => this.scheduler.enqueue(ev.ID), 'delayed evaluation');
        else this.scheduler.enqueue(ev.ID);
        break;
      }
      case 'Allocation': {
        this.defer(ALLOC, e.Key);
        this.drainer.onAlloc();
        break;
      }
      case 'Deployment': {
        this.defer(DEPLOYMENT, e.Key);
        break;
      }
      case 'Job': {
        const { Namespace, ID } = e.Payload.Job;
        this.periodic.onJob(Namespace, ID);
        // A purge deletes the job's allocs without an event of their own: their runners go with them.
        if (!this.store.jobs.has(jobKey(Namespace, ID))) {
          this.client.forgetJob(Namespace, ID);
          this.watcher.forgetMissing();
        }
        break;
      }
      case 'Node': {
        const node = this.store.nodes.get(e.Key);
        if (!node || node.Status === 'down') this.client.nodeLost(e.Key);
        this.drainer.onNode(e.Key);
        // A node that joins or changes may take what could not be placed before.
        if (node?.Status === 'ready') this.scheduler.unblockAll();
        break;
      }
      default:
        break;
    }
  }

  /**
   * Turns to an alloc (its client runner, then the watcher) or a deployment (the watcher) on the next
   * turn, as a zero-delay 'deployment watcher' timer of its own would (see `deferred`).
   */
  private defer(kind: DeferredKind, id: string): void {
    const d = this.deferred;
    if (d && this.clock.created === d.seq + 1) {
      d.push(kind, id);
      return;
    }
    const batch = this.spare.pop() ?? new Deferred(this);
    batch.seq = this.clock.created;
    batch.push(kind, id);
    this.clock.afterTask(0, batch, 'deployment watcher');
    this.deferred = this.clock.created === batch.seq + 1 ? batch : null;
  }

  /** Each item as its own timer ran it: one failing leaves the others to run. */
  runDeferred(batch: Deferred): void {
    const guard = this.clock.guard;
    // Only a write's reactions add to a batch, and this one's write is over: `n` no longer changes.
    for (let i = 0; i < batch.n; i++) {
      const id = batch.ids[i]!;
      try {
        if (batch.kinds[i] === DEPLOYMENT) {
          this.watcher.onDeployment(id);
          continue;
        }
        try {
          this.client.onAlloc(id);
        } catch (err) {
          guard.caught('client runner', err);
        }
        this.watcher.onAlloc(id);
      } catch (err) {
        guard.caught('deployment watcher', err);
      }
    }
    batch.n = 0;
    if (this.spare.length < MAX_SPARE) this.spare.push(batch);
  }

  /**
   * A GC pass deleted these without streaming alloc or deployment events: clients drop the runners
   * of deleted allocs and the watcher forgets them, as after any other removal.
   */
  private collected(r: GcResult): void {
    this.onCollected?.(r);
    for (const id of r.allocs) {
      this.client.onAlloc(id);
      this.watcher.onAlloc(id);
    }
    for (const id of r.deployments) this.watcher.onDeployment(id);
  }

  force(allocId: string, state: 'running' | 'failed' | 'complete' | 'lost', opts: { exitCode?: number; task?: string }): void {
    this.client.force(allocId, state, opts);
  }

  /**
   * Re-reads the whole state after a restore or reset, as a restarted leader and clients would: the
   * GC tickers start over first (as at start-up), then every runner, deadline and timer is re-armed.
   */
  resync(): void {
    this.gc.restart();
    this.client.adoptAll();
    this.watcher.adoptAll();
    this.periodic.close();
    for (const job of this.store.jobs.values()) this.periodic.onJob(job.Namespace, job.ID);
    for (const ev of this.store.evals.values()) {
      if (ev.Status !== 'pending' || !ev.WaitUntil) continue;
      this.clock.after(Date.parse(ev.WaitUntil) - this.clock.nowMs(), () => this.scheduler.enqueue(ev.ID), 'delayed evaluation');
    }
    this.scheduler.adoptAll();
    this.drainer.resync();
  }

  close(): void {
    for (const u of this.unsubscribe) u();
    this.client.close();
    this.watcher.close();
    this.periodic.close();
    this.gc.close();
    this.drainer.close();
  }
}
