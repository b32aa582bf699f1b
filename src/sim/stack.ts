// The scheduler's stacks (Nomad's scheduler/feasible/stack.go and select.go): which nodes an eval
// places on, in which order, and how many of them one placement ranks.
import type { Job, Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import { globMatch } from '../../state/glob.js';
import { emptyMetric, FILTERED, groupFactsOf, rank, scoreOf, type GroupFacts, type PickResult } from './placement.js';
import type { PlanUsage } from './plan-usage.js';

/**
 * The nodes one eval places on (readyNodesInDCsAndPool): ready (status ready, eligible, not draining),
 * in the job's node pool and datacenters, with their count per datacenter. `NodesInPool` and
 * `NodesAvailable` of every AllocMetric of the eval report these.
 */
export interface ReadyNodes {
  nodes: Obj[];
  byDC: Record<string, number>;
}

/** Whether any of the job's datacenter globs matches; the default `["*"]` needs no matching. */
function dcMatcher(patterns: string[]): (dc: string) => boolean {
  if (patterns.length === 1 && patterns[0] === '*') return () => true;
  // Each distinct datacenter is matched once, not once per node.
  const seen = new Map<string, boolean>();
  return (dc) => {
    let ok = seen.get(dc);
    if (ok === undefined) seen.set(dc, (ok = patterns.some((p) => globMatch(p, dc))));
    return ok;
  };
}

export function readyNodes(all: Iterable<Obj>, job: Job): ReadyNodes {
  const inDC = dcMatcher(job.Datacenters);
  const anyPool = job.NodePool === 'all' || job.NodePool === '';
  const nodes: Obj[] = [];
  const byDC: Record<string, number> = {};
  for (const n of all) {
    if (!anyPool && n.NodePool !== job.NodePool) continue;
    if (n.Status !== 'ready' || n.DrainStrategy || n.SchedulingEligibility !== 'eligible' || !inDC(n.Datacenter)) continue;
    nodes.push(n);
    byDC[n.Datacenter] = (byDC[n.Datacenter] ?? 0) + 1;
  }
  return { nodes, byDC };
}

/**
 * The ready nodes of each job shape (node pool, datacenters) for the nodes table as it stands: evals
 * of jobs from one spec ask for the same nodes, and a scan per eval walked every node. Kept across
 * writes to the table (TableMap.version) that leave every node the same for the scheduler: each
 * client alloc update rewrites its node's record for LastAllocUpdateIndex alone. The ready lists
 * then hold the records from before such a write, which differ from the stored ones in nothing the
 * scheduler reads (`sameForScheduling`).
 */
interface ReadyMemo {
  version: number;
  /** The table's records in its order, as last checked. */
  seen: Obj[];
  byShape: Map<string, ReadyNodes>;
  /** The last shape asked for, by its parts: evals in a row are mostly of one spec's jobs. */
  lastPool: string;
  lastDatacenters: unknown;
  last: ReadyNodes | null;
}
const readyMemo = new WeakMap<Store, ReadyMemo>();
/** A cluster's job shapes are few; a table that stands still this long under many shapes starts over. */
const READY_SHAPES_MAX = 64;

/**
 * Whether two records of a node are the same for the scheduler: every field that decides readiness,
 * feasibility, capacity and score, and that a new alloc copies. Records are immutable and a rewrite
 * keeps the parts it does not change, so the object-valued fields compare by identity.
 */
function sameForScheduling(a: Obj, b: Obj): boolean {
  return a.ID === b.ID && a.Status === b.Status && a.DrainStrategy === b.DrainStrategy && a.SchedulingEligibility === b.SchedulingEligibility &&
    a.Datacenter === b.Datacenter && a.NodePool === b.NodePool && a.NodeClass === b.NodeClass && a.Name === b.Name &&
    a.Attributes === b.Attributes && a.Meta === b.Meta && a.Drivers === b.Drivers &&
    a.NodeResources === b.NodeResources && a.ReservedResources === b.ReservedResources;
}

/** Whether the memo still describes the nodes table; notes the records that changed nothing it reads. */
function stillSame(memo: ReadyMemo, nodes: Map<string, Obj>): boolean {
  const seen = memo.seen;
  if (nodes.size !== seen.length) return false;
  let i = 0;
  for (const n of nodes.values()) {
    const was = seen[i]!;
    if (n !== was) {
      if (!sameForScheduling(n, was)) return false;
      seen[i] = n;
    }
    i++;
  }
  return true;
}

function readyNodesOf(store: Store, job: Job): ReadyNodes {
  const version = store.nodes.version;
  let memo = readyMemo.get(store);
  if (!memo || (memo.version !== version && !stillSame(memo, store.nodes))) {
    memo = { version, seen: [...store.nodes.values()], byShape: new Map(), lastPool: '', lastDatacenters: null, last: null };
    readyMemo.set(store, memo);
  }
  memo.version = version;
  // A frozen (shared) datacenter list is the same list for as long as it is the same object.
  if (memo.last && job.NodePool === memo.lastPool && job.Datacenters === memo.lastDatacenters) return memo.last;
  const shape = JSON.stringify([job.NodePool, job.Datacenters]);
  let ready = memo.byShape.get(shape);
  if (!ready) {
    if (memo.byShape.size >= READY_SHAPES_MAX) memo.byShape.clear();
    ready = readyNodes(memo.seen, job);
    memo.byShape.set(shape, ready);
  }
  if (Object.isFrozen(job.Datacenters)) {
    memo.lastPool = job.NodePool;
    memo.lastDatacenters = job.Datacenters;
    memo.last = ready;
  }
  return ready;
}

/** Whether `node` is one of the eval's ready nodes: the same checks, without a scan. */
function isReady(node: Obj, job: Job): boolean {
  if (job.NodePool !== 'all' && job.NodePool !== '' && node.NodePool !== job.NodePool) return false;
  return node.Status === 'ready' && !node.DrainStrategy && node.SchedulingEligibility === 'eligible' && dcMatcher(job.Datacenters)(node.Datacenter);
}

function metricFor(job: Job, ready: ReadyNodes): Obj {
  const metric = emptyMetric();
  metric.NodePool = job.NodePool;
  metric.NodesInPool = ready.nodes.length;
  metric.NodesAvailable = ready.byDC;
  return metric;
}

/** LimitIterator: a node scoring at or below this is passed over while better ones may follow. */
const SKIP_SCORE_THRESHOLD = 0;
/** LimitIterator: at most this many low scorers are passed over per placement. */
const MAX_SKIP = 3;
/** The limit for a group with affinities or spreads, unless its count is higher (GenericStack.Select). */
const AFFINITY_NODE_LIMIT = 100;

/**
 * Nomad's seeded Fisher-Yates shuffle of an eval's nodes (scheduler shuffleNodes): the seed is the
 * last 8 bytes of the eval ID read as a big-endian uint64, XORed with the state index, shifted right
 * by 2, so one eval on one state always visits nodes in the same order. The random source is our own
 * (Go's math/rand source is not reproduced), so the order is Nomad's kind, not Nomad's exact one.
 */
export function shuffleNodes(nodes: Obj[], evalId: string, index: number): void {
  let hi = 0;
  let lo = 0;
  const b = evalId.length - 8;
  for (let i = 0; i < 4; i++) hi = ((hi << 8) | (evalId.charCodeAt(b + i) & 0xff)) >>> 0;
  for (let i = 4; i < 8; i++) lo = ((lo << 8) | (evalId.charCodeAt(b + i) & 0xff)) >>> 0;
  lo = (lo ^ (index % 0x1_0000_0000)) >>> 0;
  hi = (hi ^ Math.floor(index / 0x1_0000_0000)) >>> 0;
  lo = ((lo >>> 2) | ((hi & 3) << 30)) >>> 0;
  hi >>>= 2;
  // mulberry32 over a 32-bit mix of the 62-bit seed.
  let state = (Math.imul(hi, 0x9e3779b1) ^ lo) >>> 0;
  // The generator is written out in the loop: a closure returning each draw boxed it as a heap number.
  for (let i = nodes.length - 1; i > 0; i--) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const j = Math.floor((((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000) * (i + 1));
    const x = nodes[i]!;
    nodes[i] = nodes[j]!;
    nodes[j] = x;
  }
}

const some = (v: unknown): boolean => Array.isArray(v) && v.length > 0;

const NO_TASKS: readonly Obj[] = Object.freeze([]);

/** Affinities or spreads anywhere in the group make the stack consider far more nodes. */
function hasAffinitiesOrSpreads(job: Job, tg: Obj): boolean {
  if (some(job.Affinities) || some(job.Spreads) || some(tg.Affinities) || some(tg.Spreads)) return true;
  const tasks = (tg.Tasks as Obj[] | null) ?? NO_TASKS;
  for (let i = 0; i < tasks.length; i++) if (some(tasks[i]!.Affinities)) return true;
  return false;
}

/**
 * The generic scheduler's stack for one eval (service and batch jobs; GenericStack): the eval's ready
 * nodes in a seeded random order, visited from where the previous placement of the eval stopped
 * (StaticIterator's offset), and only as many feasible nodes ranked per placement as the limit says:
 * 2 for batch jobs (power of two choices), ceil(log2(n)) but at least 2 for services, at least 100
 * once a group has affinities or spreads. AllocMetric.NodesEvaluated counts the nodes visited, so a
 * placement on a large cluster reports a handful, as Nomad does.
 */
export class GenericStack {
  private readonly order: Obj[];
  private offset = 0;
  private limit: number;
  /** Nodes visited by the placement under way, and the score of the last node `source` gave. */
  private seen = 0;
  private score = 0;

  constructor(
    private readonly ready: ReadyNodes,
    batch: boolean,
    evalId: string,
    index: number,
  ) {
    this.order = [...ready.nodes];
    shuffleNodes(this.order, evalId, index);
    const n = this.order.length;
    this.limit = !batch && n > 0 ? Math.max(2, Math.ceil(Math.log2(n))) : 2;
  }

  /** One placement of `tg` (GenericStack.Select): the best of the nodes the limit lets it rank. */
  select(usage: PlanUsage, job: Job, tg: Obj, algorithm: string, penalty: ReadonlySet<string> | null = null): PickResult {
    const metric = metricFor(job, this.ready);
    const g = usage.facts(job, tg);
    const count = usage.counter(job, tg.Name);
    const desired = Math.max(1, Number(tg.Count) || 1);
    // SetLimit here is not undone for later groups of the eval, as in Nomad.
    if (hasAffinitiesOrSpreads(job, tg)) this.limit = Math.max(Number(tg.Count) || 0, AFFINITY_NODE_LIMIT);
    this.seen = 0;
    // LimitIterator with its skipped low scorers, under MaxScoreIterator (first best wins ties).
    // An option is a node with its score in `this.score`; the skipped ones wait in scratch lists.
    let skipped = 0;
    let skippedAt = 0;
    let best: Obj | null = null;
    let bestScore = 0;
    for (let returned = 0; returned < this.limit; ) {
      let option = this.source(g, metric, usage, count, desired, algorithm, penalty);
      let score = this.score;
      if (option === null && skippedAt < skipped) {
        option = skippedNodes[skippedAt]!;
        score = skippedScores[skippedAt++]!;
      }
      if (option === null) break;
      while (option !== null && score <= SKIP_SCORE_THRESHOLD && skipped < MAX_SKIP) {
        skippedNodes[skipped] = option;
        skippedScores[skipped++] = score;
        option = this.source(g, metric, usage, count, desired, algorithm, penalty);
        score = this.score;
      }
      returned++;
      if (option === null) {
        option = this.source(g, metric, usage, count, desired, algorithm, penalty);
        score = this.score;
        if (option === null && skippedAt < skipped) {
          option = skippedNodes[skippedAt]!;
          score = skippedScores[skippedAt++]!;
        }
      }
      if (option === null) break;
      if (best === null || score > bestScore) {
        best = option;
        bestScore = score;
      }
    }
    // The scratch list holds no node past the placement.
    for (let i = 0; i < skipped; i++) skippedNodes[i] = null;
    return { node: best, metric };
  }

  /**
   * StaticIterator.Next through the feasibility and rank iterators: the next node that ranks, its
   * score in `score`; null once every node of the eval was visited in this placement.
   */
  private source(g: GroupFacts, metric: Obj, usage: PlanUsage, count: (nodeId: string) => number, desired: number, algorithm: string, penalty: ReadonlySet<string> | null): Obj | null {
    const nodes = this.order;
    const n = nodes.length;
    for (;;) {
      if (this.offset === n || this.seen === n) {
        if (this.seen === n) return null;
        this.offset = 0;
      }
      const node = nodes[this.offset++]!;
      this.seen++;
      metric.NodesEvaluated++;
      const score = scoreOf(node, g, metric, usage, count, desired, algorithm, penalty);
      if (score !== FILTERED) {
        this.score = score;
        return node;
      }
    }
  }
}

/** The low scorers one placement passed over (at most MAX_SKIP), with their scores; reused by every placement. */
const skippedNodes: (Obj | null)[] = [null, null, null];
const skippedScores: number[] = [0, 0, 0];

/**
 * The system scheduler's check of one node (SystemStack: every node is considered, one at a time):
 * the node's feasibility, capacity and score for the group. Without `usage` only feasibility and
 * the node's whole capacity count (whether the job may run there at all).
 */
export function selectOnNode(ready: ReadyNodes, usage: PlanUsage | null, job: Job, tg: Obj, node: Obj, algorithm = 'binpack'): PickResult {
  const metric = metricFor(job, ready);
  if (!isReady(node, job)) return { node: null, metric };
  const g = usage ? usage.facts(job, tg) : groupFactsOf(job, tg, false);
  const count = usage ? usage.counter(job, tg.Name) : (): number => 0;
  metric.NodesEvaluated++;
  const r = rank(node, g, metric, usage, count, Math.max(1, Number(tg.Count) || 1), algorithm, null);
  return { node: r ? node : null, metric };
}

/**
 * The nodes and the generic stack of one eval, made on first use (most passes of a running job place
 * nothing): the stack is set up once per eval, so its node order and offset carry across placements.
 */
export class EvalNodes {
  private readyNodes: ReadyNodes | null = null;
  private generic: GenericStack | null = null;
  constructor(
    private readonly store: Store,
    private readonly job: Job,
    private readonly evalId: string,
    /** The state index the eval is scheduled at (the snapshot's LatestIndex), part of the shuffle's seed. */
    private readonly index: number,
  ) {}

  ready(): ReadyNodes {
    return (this.readyNodes ??= readyNodesOf(this.store, this.job));
  }

  stack(): GenericStack {
    return (this.generic ??= new GenericStack(this.ready(), this.job.Type === 'batch', this.evalId, this.index));
  }

  /** One placement: on `only` for the system schedulers, else through the generic stack. */
  place(usage: PlanUsage, tg: Obj, algorithm: string, only: Obj | undefined, previousAlloc: unknown): PickResult {
    if (only) return selectOnNode(this.ready(), usage, this.job, tg, only, algorithm);
    return this.stack().select(usage, this.job, tg, algorithm, penaltyNodes(this.store, previousAlloc));
  }
}

/**
 * getSelectOptions: a replacement avoids the node its predecessor failed on and every node of its
 * reschedule history (the node-reschedule-penalty scorer).
 */
export function penaltyNodes(store: Store, prevId: unknown): Set<string> | null {
  const prev = typeof prevId === 'string' && prevId ? store.allocs.get(prevId) : undefined;
  if (!prev) return null;
  const out = new Set<string>();
  if (prev.ClientStatus === 'failed') out.add(prev.NodeID);
  for (const e of (prev.RescheduleTracker?.Events as Obj[] | null) ?? []) out.add(e.PrevNodeID);
  return out.size > 0 ? out : null;
}
