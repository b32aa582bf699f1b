// The leader's node drainer (nomad/drainer/): while a node drains, its allocs are marked for
// migration in batches per task group's migrate block (max_parallel; the replacements' health, as
// the client sets it from min_healthy_time / healthy_deadline, opens the next batch), batch allocs
// are left to finish, system allocs go last (unless IgnoreSystemJobs), everything left is forced at
// the deadline, and the drain completes once nothing but system allocs runs there.
// All state is re-read from the store on every pass: nothing here outlives a reset but timers.
import type { Job, Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { allocsOfJob, isClientTerminal } from '../../state/allocations/table.js';
import { completeNodeDrain, markForMigration } from '../../state/nodes/drain.js';
import type { Clock, TimerHandle } from '../clock.js';

/** Allocation.TerminalStatus: stopped or evicted by the server, or finished on the client. */
const isTerminal = (a: Obj): boolean => a.DesiredStatus === 'stop' || a.DesiredStatus === 'evict' || isClientTerminal(a);

const isSystem = (a: Obj): boolean => (a.Job as Job | undefined)?.Type === 'system';

const byId = (a: Obj, b: Obj): number => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0);

export class NodeDrainer {
  /** Nodes with a drain strategy, as last seen. */
  private readonly draining = new Set<string>();
  private readonly deadlines = new Map<string, { atMs: number; timer: TimerHandle }>();
  private pending: TimerHandle | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** A node changed: track or forget its drain, then look again. */
  onNode(id: string): void {
    const node = this.store.nodes.get(id);
    if (node?.DrainStrategy) this.draining.add(id);
    else this.forget(id);
    if (node?.DrainStrategy) this.poke();
  }

  /** An alloc changed: while anything drains, a replacement's health or a stop may open the next step. */
  onAlloc(): void {
    if (this.draining.size > 0) this.poke();
  }

  /** After a restore or reset: the draining nodes are whatever the state says. */
  resync(): void {
    for (const id of [...this.draining]) this.forget(id);
    for (const n of this.store.nodes.values()) if (n.DrainStrategy) this.draining.add(n.ID);
    if (this.draining.size > 0) this.poke();
  }

  close(): void {
    for (const id of [...this.draining]) this.forget(id);
    this.pending?.cancel();
    this.pending = null;
  }

  private forget(id: string): void {
    this.draining.delete(id);
    this.deadlines.get(id)?.timer.cancel();
    this.deadlines.delete(id);
  }

  /** One pass soon, however many changes ask for it now. */
  private poke(): void {
    if (this.pending) return;
    this.pending = this.clock.after(0, () => {
      this.pending = null;
      this.pass();
    }, 'node drainer');
  }

  private pass(): void {
    const now = this.clock.nowMs();
    const nodes: Obj[] = [];
    for (const id of [...this.draining]) {
      const node = this.store.nodes.get(id);
      if (!node?.DrainStrategy) this.forget(id);
      else nodes.push(node);
    }
    if (nodes.length === 0) return;
    const onNode = new Map<string, Obj[]>(nodes.map((n) => [n.ID, []]));
    for (const a of this.store.allocs.values()) onNode.get(a.NodeID)?.push(a);

    const drain: string[] = [];
    const done: Obj[] = [];
    const handled = new Set<string>();
    for (const node of nodes) {
      const allocs = onNode.get(node.ID)!.sort(byId);
      const deadline = this.deadline(node, now);
      if (deadline) {
        this.force(node, allocs);
        continue;
      }
      // Jobs that can hold the drain up: service and batch work still wanted on the node.
      for (const a of allocs) {
        if (isTerminal(a) || isSystem(a)) continue;
        const key = jobKey(a.Namespace, a.JobID);
        if (handled.has(key)) continue;
        handled.add(key);
        drain.push(...this.handleJob(a.Namespace, a.JobID));
      }
      if (allocs.every((a) => isSystem(a) || isClientTerminal(a))) done.push(node);
    }
    if (drain.length > 0) markForMigration(this.store, drain);
    for (const node of done) {
      // Only system allocs are left: they go now, and the drain is over.
      markForMigration(this.store, this.remaining(node, onNode.get(node.ID)!).map((a) => a.ID));
      this.forget(node.ID);
      completeNodeDrain(this.store, node.ID, false);
    }
  }

  /** Whether the node's deadline has come; arms the timer for a deadline still ahead. */
  private deadline(node: Obj, nowMs: number): boolean {
    const d = node.DrainStrategy as Obj;
    if (d.Deadline < 0) return true;
    if (d.Deadline === 0) return false;
    const atMs = Date.parse(d.ForceDeadline);
    if (!Number.isFinite(atMs)) return false;
    if (atMs <= nowMs) return true;
    const armed = this.deadlines.get(node.ID);
    if (armed?.atMs === atMs) return false;
    armed?.timer.cancel();
    const timer = this.clock.after(atMs - nowMs, () => {
      this.deadlines.delete(node.ID);
      this.pass();
    }, 'node drain deadline');
    this.deadlines.set(node.ID, { atMs, timer });
    return false;
  }

  /** handleDeadlinedNodes: every alloc still wanted there is marked at once; the drain completes. */
  private force(node: Obj, allocs: Obj[]): void {
    markForMigration(this.store, this.remaining(node, allocs).map((a) => a.ID));
    this.forget(node.ID);
    completeNodeDrain(this.store, node.ID, true);
  }

  /** drainingNode.RemainingAllocs: live allocs, system ones unless the drain ignores them. */
  private remaining(node: Obj, allocs: Obj[]): Obj[] {
    const ignoreSystem = Boolean(node.DrainStrategy?.IgnoreSystemJobs);
    return allocs.filter((a) => !isTerminal(a) && !(ignoreSystem && isSystem(a)) && this.store.allocs.has(a.ID));
  }

  /** handleJob: the allocs of one job to mark now, group by group, within each migrate block's budget. */
  private handleJob(namespace: string, jobId: string): string[] {
    const job = this.store.jobs.get(jobKey(namespace, jobId));
    if (!job) return [];
    // Batch work is never marked: it may finish until the deadline.
    if (job.Type === 'batch') return [];
    const out: string[] = [];
    const allocs = allocsOfJob(this.store, namespace, jobId).sort(byId);
    for (const tg of job.TaskGroups) {
      if (!tg.Migrate) continue;
      let healthy = 0;
      const drainable: Obj[] = [];
      for (const a of allocs) {
        if (a.TaskGroup !== tg.Name) continue;
        const onDraining = Boolean(this.store.nodes.get(a.NodeID)?.DrainStrategy);
        // Nomad looks only once the marking write's plan is in, when marked allocs are already
        // stopped; here a marked alloc the scheduler has not stopped yet is not counted either.
        const markedLive = a.DesiredTransition?.Migrate === true && a.DesiredStatus === 'run';
        if (!isTerminal(a) && a.DeploymentStatus?.Healthy != null && !markedLive) healthy++;
        if (!onDraining || isClientTerminal(a)) continue;
        if (a.DesiredTransition?.Migrate !== true) drainable.push(a);
      }
      const n = Math.min(drainable.length, healthy - (Number(tg.Count) - Number(tg.Migrate.MaxParallel)));
      for (const a of drainable.slice(0, Math.max(0, n))) out.push(a.ID);
    }
    return out;
  }
}
