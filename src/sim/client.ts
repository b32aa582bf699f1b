// The client side of every simulated node: one runner per allocation (alloc-runner.ts), found by
// alloc and by job, so the server's stops, purges and restores reach the runners they concern.
// A runner with nothing pending (a task that just runs) is parked: only the alloc record it wrote
// last is kept, and the runner is rebuilt from it when the server or the API next turns to it. A big
// cluster's steady allocs thus cost the client nothing beyond the server's own records.
import type { Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { putAlloc } from '../../state/allocations/table.js';
import { newEval, putEval } from '../../state/evaluations/table.js';
import { refreshJobStatus } from '../../state/jobs/status.js';
import type { Clock } from '../clock.js';
import { AllocRunner } from './alloc-runner.js';
import { IdSet } from '../../state/id-set.js';
import { AllocSync } from './alloc-sync.js';

export interface ClientHooks {
  /** A terminal client status frees capacity: blocked evals get another go. */
  capacityFreed(): void;
}

export class ClientSim {
  private readonly runners = new Map<string, AllocRunner>();
  /** Parked runners: alloc ID → the alloc record that holds the runner's whole state (AllocRunner.parkable). */
  private readonly parked = new Map<string, Obj>();
  /** The task objects of parked runners that do not work from their alloc's job (AllocRunner.ownTasks). */
  private readonly parkedTasks = new Map<string, Obj[]>();
  /** Off only in tests, which compare a run with parking to one without (answers must not differ). */
  parking = true;
  /** Runner alloc IDs by job key, so a purge finds the runners of the allocs it deleted. */
  private readonly byJob = new Map<string, Set<string>>();
  /**
   * Terminal allocs whose client destroyed their runner and alloc dir (`/v1/client/allocation/:id/gc`,
   * `/v1/client/gc`); the servers still hold them. Client-local, like the runners: a restore or reset
   * starts the clients afresh.
   */
  private readonly collectedIds = new Set<string>();
  /** The clients' alloc updates on their way to the state (batched as Nomad's allocSync and Node.UpdateAlloc). */
  readonly sync: AllocSync;

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly hooks: ClientHooks,
  ) {
    this.sync = new AllocSync(store, clock, () => hooks.capacityFreed());
  }

  /** Called after every committed write that touched this alloc. */
  onAlloc(allocId: string): void {
    const alloc = this.store.allocs.get(allocId);
    if (!alloc) {
      this.gone(allocId);
      return;
    }
    // A runner is live or parked, never both: a live one needs no look at the parked ones, which
    // are most of the cluster's allocs.
    let runner = this.runners.get(allocId);
    if (runner === undefined) {
      const parked = this.parked.get(allocId);
      // Unchanged since parked: the runner would find nothing to do.
      if (parked === alloc) return;
      if (parked !== undefined) runner = this.revive(allocId, parked);
    }
    if (!runner) {
      // Only a client that is up picks up its new allocs.
      // An alloc whose first update is on its way already has (or had) a runner.
      if (alloc.DesiredStatus === 'run' && alloc.ClientStatus === 'pending' && alloc.TaskStates === null && this.nodeUp(alloc.NodeID) && !this.sync.pending(allocId)) {
        this.add(alloc).start();
      }
      return;
    }
    if (alloc.ClientStatus === 'lost') {
      this.gone(allocId);
      return;
    }
    if (alloc.DesiredStatus !== 'run') runner.kill();
    else {
      runner.maybeUpdated(alloc);
      runner.settle();
    }
  }

  /**
   * An alloc as its client sees it (the alloc dir, logs): the server's record with the client's
   * update that has not reached the state yet.
   */
  view(alloc: Obj): Obj {
    const u = this.sync.latest(alloc.ID);
    return u ? { ...alloc, ClientStatus: u.ClientStatus, ClientDescription: u.ClientDescription, TaskStates: u.TaskStates } : alloc;
  }

  /** The runner of an alloc, revived if it was parked. */
  private live(allocId: string): AllocRunner | undefined {
    const runner = this.runners.get(allocId);
    if (runner) return runner;
    const parked = this.parked.get(allocId);
    return parked ? this.revive(allocId, parked) : undefined;
  }

  /** A parked runner back to life, from `parked`, the record it was parked with. */
  private revive(allocId: string, parked: Obj): AllocRunner {
    const tasks = this.parkedTasks.get(allocId) ?? null;
    this.parked.delete(allocId);
    this.parkedTasks.delete(allocId);
    const r = new AllocRunner(this, allocId, jobKey(parked.Namespace, parked.JobID));
    r.revive(parked, tasks);
    this.runners.set(allocId, r);
    // A caller that only looked (a task's state for the API) leaves it idle: it parks again once
    // the caller's synchronous work is done; one that armed a timer keeps it awake.
    queueMicrotask(() => this.clock.guard.run('client runner', () => r.settle()));
    return r;
  }

  /** A runner with no timer pending: parked when its alloc record holds all its state. */
  idle(r: AllocRunner): void {
    // Until its last update reaches the state, the alloc record does not hold the runner's state.
    if (!this.parking || this.runners.get(r.allocId) !== r || this.sync.pending(r.allocId)) return;
    const alloc = this.store.allocs.get(r.allocId);
    if (!alloc || !r.parkable(alloc)) return;
    const tasks = r.ownTasks(alloc);
    this.runners.delete(r.allocId);
    this.parked.set(r.allocId, alloc);
    if (tasks) this.parkedTasks.set(r.allocId, tasks);
  }

  /** After a restore: a runner for every alloc a client would still be running or stopping. */
  adoptAll(): void {
    this.close();
    for (const alloc of this.store.allocs.values()) {
      if (alloc.ClientStatus !== 'pending' && alloc.ClientStatus !== 'running') continue;
      if (!this.nodeUp(alloc.NodeID)) continue;
      this.clock.guard.run('client runner', () => {
        const r = this.add(alloc);
        r.adopt();
        r.settle();
      });
    }
  }

  private add(alloc: Obj): AllocRunner {
    const key = jobKey(alloc.Namespace, alloc.JobID);
    const r = new AllocRunner(this, alloc.ID, key);
    this.runners.set(alloc.ID, r);
    let ids = this.byJob.get(key);
    if (!ids) this.byJob.set(key, (ids = new IdSet()));
    ids.add(alloc.ID);
    return r;
  }

  private remove(allocId: string): AllocRunner | undefined {
    const r = this.runners.get(allocId);
    const parked = this.parked.get(allocId);
    if (!r && !parked) return undefined;
    this.runners.delete(allocId);
    this.parked.delete(allocId);
    this.parkedTasks.delete(allocId);
    const key = r ? r.jobKey : jobKey(parked!.Namespace, parked!.JobID);
    const ids = this.byJob.get(key);
    ids?.delete(allocId);
    if (ids?.size === 0) this.byJob.delete(key);
    return r;
  }

  /** The alloc left the store (purge, GC, reset, restore): its runner and every timer it holds go too. */
  gone(allocId: string): void {
    this.collectedIds.delete(allocId);
    this.remove(allocId)?.abandon();
  }

  /** The client GC (AllocGarbageCollector.Collect): only a terminal alloc, and only once. */
  collect(allocId: string): boolean {
    const alloc = this.store.allocs.get(allocId);
    if (!alloc || this.collectedIds.has(allocId) || this.runners.has(allocId) || this.parked.has(allocId)) return false;
    if (!['complete', 'failed', 'lost'].includes(alloc.ClientStatus) || alloc.TaskStates === null) return false;
    this.collectedIds.add(allocId);
    return true;
  }

  /** Whether the client GC destroyed this alloc's runner and directory. */
  collected(allocId: string): boolean {
    return this.collectedIds.has(allocId);
  }

  private nodeUp(nodeId: string): boolean {
    return this.store.nodes.get(nodeId)?.Status === 'ready';
  }

  /**
   * The node went down or was deregistered: its client stops reporting, so the runners of its allocs
   * go silently; the server marks the allocs lost when it schedules the node's evals.
   */
  nodeLost(nodeId: string): void {
    for (const id of [...this.runners.keys(), ...this.parked.keys()]) {
      if (this.store.allocs.get(id)?.NodeID === nodeId) this.gone(id);
    }
  }

  /** After a job's purge: the runners of its allocs that were deleted with it. */
  forgetJob(namespace: string, jobId: string): void {
    for (const id of [...(this.byJob.get(jobKey(namespace, jobId)) ?? [])]) if (!this.store.allocs.has(id)) this.gone(id);
    for (const id of [...this.collectedIds]) if (!this.store.allocs.has(id)) this.collectedIds.delete(id);
  }

  /** Control API: drive an alloc into a state as if its client had reported it. */
  force(allocId: string, state: 'running' | 'failed' | 'complete' | 'lost', opts: { exitCode?: number; task?: string }): void {
    const alloc = this.store.allocs.get(allocId);
    if (!alloc) return;
    let runner = this.live(allocId);
    if (state === 'lost') {
      this.gone(allocId);
      this.store.write((tx) => {
        putAlloc(this.store, tx, { ...alloc, ClientStatus: 'lost', ClientDescription: 'alloc is lost since its node is down' });
        const job = this.store.jobs.get(jobKey(alloc.Namespace, alloc.JobID));
        if (job) putEval(this.store, tx, newEval(this.store, job, { triggeredBy: 'node-update', jobModifyIndex: 0 }), { NodeID: alloc.NodeID });
        refreshJobStatus(this.store, tx, alloc.Namespace, alloc.JobID);
      });
      this.hooks.capacityFreed();
      return;
    }
    if (!runner) {
      runner = this.add(alloc);
      runner.adopt();
    }
    runner.force(state, opts);
    runner.settle();
    // The control API answers with the forced state: this update does not wait for the clients' tick.
    this.sync.flush(allocId);
  }

  /** Forgets a runner whose alloc is terminal on the client (capacity frees once the server has the update). */
  finished(allocId: string): void {
    this.remove(allocId);
  }

  runner(allocId: string): AllocRunner | undefined {
    return this.live(allocId);
  }

  close(): void {
    this.sync.clear();
    for (const r of this.runners.values()) r.abandon();
    this.runners.clear();
    this.parked.clear();
    this.parkedTasks.clear();
    this.byJob.clear();
    this.collectedIds.clear();
  }

  /** Parked runners (for tests). */
  get parkedCount(): number {
    return this.parked.size;
  }

  /** Runners, parked ones included (for tests: none may outlive its alloc). */
  get size(): number {
    return this.runners.size + this.parked.size;
  }
}
