// How client alloc updates reach the state, as in Nomad. Each client queues its allocs' updates and
// sends them every 200 ms (client/client.go allocSync, allocSyncIntv), a newer update of an alloc
// replacing the queued one; the server gathers the Node.UpdateAlloc calls for 50 ms
// (nomad/node_endpoint.go batchUpdateInterval) and applies them in one Raft write
// (state_store.go UpdateAllocsFromClient), so the allocs of a batch share one index.
//
// Deterministic: every simulated client ticks every 200 ms of simulated time counted from the
// simulator's start (the clock's start, or the last reset or restore). An update made at simulated
// time t is sent at the first tick strictly after t (T) and
// lands in the state at T + 50 ms, together with every other update sent at T, in the order the
// allocs were first queued. A client whose node is not ready at T is refused, as Node.UpdateAlloc
// refuses a down or disconnected node.
import type { Obj } from '../../state/types.js';
import type { Job } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { putAlloc } from '../../state/allocations/table.js';
import { refreshJobStatus } from '../../state/jobs/status.js';
import { rfc3339 } from '../../state/format.js';
import { clientUpdatedAlloc } from '../../state/records.js';
import type { Clock, TimerHandle } from '../clock.js';
import { countHealth, hasNomadServices, maybeFailureEval } from './client-update.js';

/** Simulated milliseconds of the two batch windows. */
export const SYNC_TIMING = {
  /** client.go allocSyncIntv */
  client: 200,
  /** node_endpoint.go batchUpdateInterval */
  server: 50,
};

/** What a client sends of an alloc (Client.AllocStateUpdated: the fields it is the authority on). */
export interface ClientUpdate {
  ID: string;
  NodeID: string;
  ClientStatus: string;
  ClientDescription: string;
  TaskStates: Obj;
  NetworkStatus: Obj;
  /** The client's deployment health (null: none yet) and when it was set. */
  Healthy: boolean | null;
  HealthAt: number | null;
  /** The job version the client's health refers to: health of an older one is not reported. */
  JobModifyIndex: number;
  /** Simulated ms when the client made the update; ns when the server took it (the alloc's ModifyTime). */
  madeAt: number;
  modifyTime: number;
}

/** The job's group of that name (a loop: no closure for `find`). */
export function groupNamed(job: Job, name: string): Obj | undefined {
  for (const g of job.TaskGroups) if (g.Name === name) return g;
  return undefined;
}

export class AllocSync {
  /** Updates waiting for the clients' next tick, by alloc (insertion order is the batch's order). */
  private readonly queued = new Map<string, ClientUpdate>();
  /** Updates the server took at the last tick, waiting for its batch write. */
  private taken = new Map<string, ClientUpdate>();
  private tick: TimerHandle | null = null;
  private batch: TimerHandle | null = null;
  /** Simulated ms the clients' ticks count from. */
  private origin: number;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    /** After a batch write in which an alloc became terminal (capacity freed). */
    private readonly onTerminal: () => void,
  ) {
    this.origin = clock.nowMs();
  }

  /** A client update, sent with the client's next tick. */
  queue(u: ClientUpdate): void {
    this.queued.set(u.ID, u);
    if (this.tick) return;
    const now = this.clock.nowMs();
    const next = this.origin + (Math.floor((now - this.origin) / SYNC_TIMING.client) + 1) * SYNC_TIMING.client;
    this.tick = this.clock.after(next - now, () => this.send(), 'client alloc sync');
  }

  /** Whether an update of this alloc has not reached the state yet. */
  pending(allocId: string): boolean {
    return this.queued.has(allocId) || this.taken.has(allocId);
  }

  /** The client's newest update of this alloc that has not reached the state yet. */
  latest(allocId: string): ClientUpdate | undefined {
    return this.queued.get(allocId) ?? this.taken.get(allocId);
  }

  /** The control API forces a state: this alloc's update is applied now, in a write of its own. */
  flush(allocId: string): void {
    const u = this.queued.get(allocId) ?? this.taken.get(allocId);
    this.queued.delete(allocId);
    this.taken.delete(allocId);
    if (!u) return;
    u.modifyTime = this.store.nowNs();
    this.apply([u]);
  }

  /** The clients' tick: each sends what it queued before this instant; the server batches them. */
  private send(): void {
    this.tick = null;
    const now = this.clock.nowMs();
    const nowNs = this.store.nowNs();
    let sent = false;
    for (const [id, u] of this.queued) {
      // Made at this very instant: it goes with the next tick.
      if (u.madeAt >= now) continue;
      this.queued.delete(id);
      if (this.store.nodes.get(u.NodeID)?.Status !== 'ready') continue;
      u.modifyTime = nowNs;
      this.taken.set(id, u);
      sent = true;
    }
    if (this.queued.size > 0) {
      this.tick = this.clock.after(SYNC_TIMING.client, () => this.send(), 'client alloc sync');
    }
    if (sent && !this.batch) {
      this.batch = this.clock.after(SYNC_TIMING.server, () => {
        this.batch = null;
        const batch = [...this.taken.values()];
        this.taken.clear();
        this.apply(batch);
      }, 'alloc update batch');
    }
  }

  /**
   * One write for the batch (UpdateAllocsFromClient, then the batch's failure evals at the same
   * index, one per job: batchUpdate's evalsByJobId).
   */
  private apply(updates: ClientUpdate[]): void {
    const store = this.store;
    // Updates of allocs the server no longer holds change nothing (nestedUpdateAllocFromClient).
    let held = 0;
    for (const u of updates) if (store.allocs.has(u.ID)) held++;
    if (held === 0) return;
    let terminal = false;
    store.write((tx) => {
      tx.eventType = 'AllocationUpdated';
      let failedJobs: Obj[] | null = null;
      for (const u of updates) {
        const alloc = store.allocs.get(u.ID);
        if (alloc === undefined) continue;
        const job = alloc.Job as Job;
        const prevHealth: boolean | null = alloc.DeploymentStatus?.Healthy ?? null;
        const healthChanged = u.Healthy !== null && prevHealth !== u.Healthy && u.JobModifyIndex === job.JobModifyIndex;
        const updated = clientUpdatedAlloc(
          alloc,
          u.ClientStatus,
          u.ClientDescription,
          u.TaskStates,
          healthChanged
            ? { Healthy: u.Healthy, Timestamp: rfc3339(u.HealthAt!), Canary: Boolean(alloc.DeploymentStatus?.Canary), ModifyIndex: tx.index }
            : alloc.DeploymentStatus,
          u.NetworkStatus,
        );
        const next = putAlloc(store, tx, updated, { client: true, modifyTime: u.modifyTime, own: true });
        if (healthChanged && alloc.DeploymentID) countHealth(store, tx, next, prevHealth, u.Healthy!, u.HealthAt!);
        if ((alloc.ClientStatus === 'running') !== (u.ClientStatus === 'running')) {
          const tg = groupNamed(job, alloc.TaskGroup);
          if (tg && hasNomadServices(tg)) tx.touch('service_registrations');
        }
        if (u.ClientStatus === 'failed' && alloc.ClientStatus !== 'failed') (failedJobs ??= []).push(next);
        if (u.ClientStatus === 'complete' || u.ClientStatus === 'failed') terminal = true;
        refreshJobStatus(store, tx, alloc.Namespace, alloc.JobID);
      }
      if (failedJobs === null) return;
      const evaluated = new Set<string>();
      for (const alloc of failedJobs) {
        const key = jobKey(alloc.Namespace, alloc.JobID);
        if (evaluated.has(key)) continue;
        if (!maybeFailureEval(store, tx, alloc)) continue;
        evaluated.add(key);
        // nestedUpsertEval sets the job's status too: a failed alloc awaiting its eval leaves it pending.
        refreshJobStatus(store, tx, alloc.Namespace, alloc.JobID);
      }
    });
    if (terminal) this.onTerminal();
  }

  /** Reset, restore, shutdown: the clients start afresh with nothing queued. */
  clear(): void {
    this.tick?.cancel();
    this.batch?.cancel();
    this.tick = null;
    this.batch = null;
    this.queued.clear();
    this.taken.clear();
    this.origin = this.clock.nowMs();
  }
}
