// Node usage as one scheduler pass sees it: the store's committed usage plus the pass's own placements
// and stops, and the group facts and counts a placement reads, kept for the pass.
import type { Job, Obj } from '../../state/types.js';
import { addToPlanUsage, groupAsk, holdsResources, usageKey, type PlanNodeUsage } from '../../state/nodes/usage.js';
import { jobKey, type Store } from '../../state/store.js';
import { groupFactsOf, type GroupFacts } from './placement.js';

/**
 * Node usage as a plan sees it: the store's committed usage plus this plan's own placements and
 * stops, kept in a delta so the store's map is never copied or touched.
 */
export class PlanUsage {
  /** The plan's own placements and stops per node; made when a second change comes or usage is read. */
  private delta: Map<string, PlanNodeUsage> | null = null;
  /**
   * The plan's first change, held until usage is read again: most plans place one alloc and read
   * nothing after it, so they need no delta map (and no per-node entry in it) at all.
   */
  private firstNode: string | null = null;
  private firstKey = '';
  private firstAsk: Ask = NO_ASK;
  private firstSign = 0;
  /**
   * Allocs of a group per node, from the job's own allocs (the store's `allocsByJob`), counted once
   * per plan and group: the store keeps no per-node group counts (state/nodes/usage.ts). Counts the
   * allocs that hold resources, as `nodeUsage` does.
   */
  private countsKey: string | null = null;
  private countsFirst: ReadonlyMap<string, number> = NO_COUNTS;
  private groupCounts: Map<string, ReadonlyMap<string, number>> | null = null;
  /** Group facts for this plan: the first group's in fields (plans are mostly of one group), others in a map. */
  private factsGroup: Obj | null = null;
  private factsFirst: GroupFacts | null = null;
  private groups: Map<Obj, GroupFacts> | null = null;
  /** The usage keys of the plan's groups: a plan is for one job, so the group name tells them apart. */
  private keyGroup: string | null = null;
  private keyFirst = '';
  private keys: Map<string, string> | null = null;
  private keysNamespace = '';
  private keysJob = '';
  /** What `load` read for one node: its committed usage plus the plan's own. */
  usedCpu = 0;
  usedMemoryMB = 0;
  constructor(private readonly store: Store) {}

  /** The plan's changes as a map, the held first one folded in (in the order they were made). */
  private settled(): Map<string, PlanNodeUsage> | null {
    if (this.firstNode !== null) {
      const delta = (this.delta ??= new Map());
      addToPlanUsage(delta, this.firstNode, this.firstKey, this.firstAsk, this.firstSign);
      this.firstNode = null;
      this.firstAsk = NO_ASK;
    }
    return this.delta;
  }

  /** Reads the node's CPU and memory in use into `usedCpu` and `usedMemoryMB`. */
  load(nodeId: string): void {
    const b = this.store.nodeUsage.get(nodeId);
    const delta = this.settled();
    const d = delta !== null && delta.size > 0 ? delta.get(nodeId) : undefined;
    this.usedCpu = (b?.cpu ?? 0) + (d?.cpu ?? 0);
    this.usedMemoryMB = (b?.memoryMB ?? 0) + (d?.memoryMB ?? 0);
  }

  /** usageKey of a group, made once per plan. */
  private keyOf(job: Job, group: string): string {
    if (job.Namespace !== this.keysNamespace || job.ID !== this.keysJob) {
      this.keyGroup = null;
      this.keys?.clear();
      this.keysNamespace = job.Namespace;
      this.keysJob = job.ID;
    }
    if (this.keyGroup === group) return this.keyFirst;
    if (this.keyGroup === null) {
      this.keyGroup = group;
      return (this.keyFirst = usageKey(job.Namespace, job.ID, group));
    }
    const keys = (this.keys ??= new Map());
    let key = keys.get(group);
    if (key === undefined) keys.set(group, (key = usageKey(job.Namespace, job.ID, group)));
    return key;
  }

  /** The group's committed allocs per node (the plan's own excluded), counted from the job's allocs. */
  private committed(job: Job, group: string, key: string): ReadonlyMap<string, number> {
    const known = this.countsKey === key ? this.countsFirst : this.groupCounts?.get(key);
    if (known) return known;
    let counts: Map<string, number> | null = null;
    const store = this.store;
    for (const id of store.allocsByJob.get(jobKey(job.Namespace, job.ID)) ?? []) {
      const a = store.allocs.get(id);
      if (!a || a.TaskGroup !== group || a.Namespace !== job.Namespace || !holdsResources(a)) continue;
      counts ??= new Map();
      counts.set(a.NodeID, (counts.get(a.NodeID) ?? 0) + 1);
    }
    const out = counts ?? NO_COUNTS;
    if (this.countsKey === null) {
      this.countsKey = key;
      this.countsFirst = out;
    } else {
      (this.groupCounts ??= new Map()).set(key, out);
    }
    return out;
  }

  /** `count` for a whole placement: one lookup per node instead of two map walks. */
  counter(job: Job, group: string): (nodeId: string) => number {
    const key = this.keyOf(job, group);
    const committed = this.committed(job, group, key);
    const delta = this.settled();
    if (committed.size === 0 && (delta === null || delta.size === 0)) return none;
    return (nodeId) => (committed.get(nodeId) ?? 0) + (this.delta?.get(nodeId)?.groups.get(key) ?? 0);
  }

  /**
   * The group's placement facts for this plan. Keyed by the group object and checked against the
   * job: equal groups of different jobs (or versions) are one shared object (state/share.ts).
   */
  facts(job: Job, tg: Obj): GroupFacts {
    if (this.factsGroup === null || this.factsGroup === tg) {
      let f = this.factsFirst;
      if (f === null || f.job !== job) {
        this.factsGroup = tg;
        this.factsFirst = f = groupFactsOf(job, tg, true);
      }
      return f;
    }
    const groups = (this.groups ??= new Map());
    let f = groups.get(tg);
    if (!f || f.job !== job) groups.set(tg, (f = groupFactsOf(job, tg, true)));
    return f;
  }

  add(nodeId: string, job: Job, tg: Obj, sign = 1): void {
    const key = this.keyOf(job, tg.Name);
    const ask = askOf(tg);
    if (this.delta === null && this.firstNode === null) {
      this.firstNode = nodeId;
      this.firstKey = key;
      this.firstAsk = ask;
      this.firstSign = sign;
      return;
    }
    addToPlanUsage(this.settled()!, nodeId, key, ask, sign);
  }
}

type Ask = { cpu: number; memoryMB: number };
const NO_ASK: Ask = Object.freeze({ cpu: 0, memoryMB: 0 });
/** The committed counts of a group no alloc of the job holds: shared, never written. */
const NO_COUNTS: ReadonlyMap<string, number> = new Map();

/** A frozen (shared) group's ask never changes: worked out once, not on every placement and stop. */
const frozenAsks = new WeakMap<Obj, Ask>();
function askOf(tg: Obj): Ask {
  if (!Object.isFrozen(tg)) return groupAsk(tg);
  let ask = frozenAsks.get(tg);
  if (ask === undefined) frozenAsks.set(tg, (ask = groupAsk(tg)));
  return ask;
}

const none = (): number => 0;

