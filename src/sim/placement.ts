// Node selection for one placement: feasibility (datacenter, node pool, constraints, driver) and
// capacity (CPU, memory), with the AllocMetric Nomad reports for failed placements.
import type { Job, Obj } from '../../state/types.js';
import { groupAsk } from '../../state/nodes/usage.js';
import { compileRegexp, RegexpSyntaxError } from '../../state/regexp.js';
import type { PlanUsage } from './plan-usage.js';

export function emptyMetric(): Obj {
  return {
    NodesEvaluated: 0,
    NodesFiltered: 0,
    NodesInPool: 0,
    NodePool: '',
    NodesAvailable: {},
    ClassFiltered: null,
    ConstraintFiltered: null,
    NodesExhausted: 0,
    ClassExhausted: null,
    DimensionExhausted: null,
    QuotaExhausted: null,
    ResourcesExhausted: null,
    Scores: null,
    ScoreMetaData: null,
    AllocationTime: 0,
    CoalescedFailures: 0,
  };
}

/** Resolves `${attr.x}`, `${node.datacenter}`, `${meta.x}`… against a node; undefined when unset. */
function resolveTarget(target: string, node: Obj): string | undefined {
  const m = /^\$\{(.+)\}$/.exec(target.trim());
  if (!m) return target;
  const path = m[1]!;
  if (path === 'node.unique.id') return node.ID;
  if (path === 'node.datacenter') return node.Datacenter;
  if (path === 'node.unique.name') return node.Name;
  if (path === 'node.class') return node.NodeClass;
  if (path === 'node.pool') return node.NodePool;
  if (path === 'node.region') return 'global';
  if (path.startsWith('attr.')) return node.Attributes?.[path.slice(5)];
  if (path.startsWith('meta.')) return node.Meta?.[path.slice(5)];
  return undefined;
}

function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.replace(/^v/, '').split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function versionMatches(value: string, spec: string): boolean {
  return spec.split(',').every((part) => {
    const m = /^\s*(>=|<=|!=|>|<|=|~>)?\s*(\S+)\s*$/.exec(part);
    if (!m) return false;
    const c = compareVersions(value, m[2]!);
    switch (m[1] ?? '=') {
      case '>=': return c >= 0;
      case '<=': return c <= 0;
      case '>': return c > 0;
      case '<': return c < 0;
      case '!=': return c !== 0;
      case '~>': return c >= 0;
      default: return c === 0;
    }
  });
}

function lexOrNum(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One constraint against one node, with Nomad's operand names. distinct_* are handled by the caller. */
export function constraintHolds(c: Obj, node: Obj): boolean {
  const op = String(c.Operand || '=');
  if (op === 'distinct_hosts' || op === 'distinct_property') return true;
  const l = resolveTarget(String(c.LTarget ?? ''), node);
  const r = resolveTarget(String(c.RTarget ?? ''), node);
  switch (op) {
    case 'is_set': return l !== undefined;
    case 'is_not_set': return l === undefined;
  }
  if (l === undefined) return false;
  const rv = r ?? '';
  switch (op) {
    case '=': case '==': case 'is': return l === rv;
    case '!=': case 'not': return l !== rv;
    case '<': return lexOrNum(l, rv) < 0;
    case '<=': return lexOrNum(l, rv) <= 0;
    case '>': return lexOrNum(l, rv) > 0;
    case '>=': return lexOrNum(l, rv) >= 0;
    // Nomad's checkRegexpMatch: a pattern that does not compile makes the node infeasible.
    case 'regexp': try { return compileRegexp(rv).test(l); } catch (err) { if (err instanceof RegexpSyntaxError) return false; throw err; }
    case 'version': case 'semver': return versionMatches(l, rv);
    case 'set_contains': case 'set_contains_all': {
      const have = new Set(l.split(',').map((s) => s.trim()));
      return rv.split(',').every((s) => have.has(s.trim()));
    }
    case 'set_contains_any': {
      const have = new Set(l.split(',').map((s) => s.trim()));
      return rv.split(',').some((s) => have.has(s.trim()));
    }
    default: return false;
  }
}

function constraintString(c: Obj): string {
  return `${c.LTarget ?? ''} ${c.Operand || '='} ${c.RTarget ?? ''}`.trim();
}

/**
 * The node's fitness for the ask once placed (ScoreFitBinPack / ScoreFitSpread), normalized to
 * 0…1: binpack prefers the fuller node, spread the emptier one.
 */
function fitness(algorithm: string, cpuFree: number, cpuTotal: number, memFree: number, memTotal: number, ask: { cpu: number; memoryMB: number }): number {
  const freeCpu = cpuTotal > 0 ? (cpuFree - ask.cpu) / cpuTotal : 0;
  const freeMem = memTotal > 0 ? (memFree - ask.memoryMB) / memTotal : 0;
  const total = 10 ** freeCpu + 10 ** freeMem;
  const raw = algorithm === 'spread' ? total - 2 : 20 - total;
  return Math.min(18, Math.max(0, raw)) / 18;
}

/**
 * The last fitness computed for each node, with its inputs: between two placements most nodes' free
 * resources do not move, and the two powers of ten are the costliest part of scoring a node. A pure
 * memo (the same inputs give the same score), so it needs no invalidation; bounded for node churn.
 */
interface FitMemo {
  algorithm: string;
  cpuFree: number;
  cpuTotal: number;
  memFree: number;
  memTotal: number;
  askCpu: number;
  askMem: number;
  fit: number;
}
const fitMemo = new Map<string, FitMemo>();
const FIT_MEMO_MAX = 10_000;

function memoFitness(nodeId: string, algorithm: string, cpuFree: number, cpuTotal: number, memFree: number, memTotal: number, ask: { cpu: number; memoryMB: number }): number {
  const m = fitMemo.get(nodeId);
  if (
    m && m.cpuFree === cpuFree && m.memFree === memFree && m.askCpu === ask.cpu && m.askMem === ask.memoryMB &&
    m.cpuTotal === cpuTotal && m.memTotal === memTotal && m.algorithm === algorithm
  ) return m.fit;
  const fit = fitness(algorithm, cpuFree, cpuTotal, memFree, memTotal, ask);
  if (m) {
    m.algorithm = algorithm;
    m.cpuFree = cpuFree;
    m.cpuTotal = cpuTotal;
    m.memFree = memFree;
    m.memTotal = memTotal;
    m.askCpu = ask.cpu;
    m.askMem = ask.memoryMB;
    m.fit = fit;
  } else {
    if (fitMemo.size >= FIT_MEMO_MAX) fitMemo.clear();
    fitMemo.set(nodeId, { algorithm, cpuFree, cpuTotal, memFree, memTotal, askCpu: ask.cpu, askMem: ask.memoryMB, fit });
  }
  return fit;
}

/** scheduler/feasible.go FilterConstraintDrivers. */
export const FILTER_MISSING_DRIVERS = 'missing drivers';

/** AllocMetric.FilterNode: a filtered node counts once, under its class and under the reason. */
function filterNode(metric: Obj, node: Obj, constraint: string): void {
  metric.NodesFiltered++;
  if (node.NodeClass) {
    metric.ClassFiltered ??= {};
    metric.ClassFiltered[node.NodeClass] = (metric.ClassFiltered[node.NodeClass] ?? 0) + 1;
  }
  metric.ConstraintFiltered ??= {};
  metric.ConstraintFiltered[constraint] = (metric.ConstraintFiltered[constraint] ?? 0) + 1;
}

/**
 * DriverChecker.hasDrivers: the node's DriverInfo decides when it has one (detected and healthy);
 * otherwise the `driver.<name>` attribute must parse as a true Go bool.
 */
export function hasDriver(node: Obj, driver: string): boolean {
  const info = (node.Drivers as Obj | null)?.[driver];
  if (info !== undefined) return info !== null && info.Detected === true && info.Healthy === true;
  const attr = (node.Attributes as Record<string, string> | null)?.[`driver.${driver}`];
  return attr !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(attr);
}

export interface PickResult {
  node: Obj | null;
  metric: Obj;
}

/** What a placement needs from a group of the job; kept for one plan (see PlanUsage.facts). */
export interface GroupFacts {
  job: Job;
  jobConstraints: Obj[];
  groupConstraints: Obj[];
  drivers: string[];
  distinct: boolean;
  ask: { cpu: number; memoryMB: number };
  /**
   * Feasibility per node (the reason it was filtered, or null), kept for one eval as Nomad's
   * EvalEligibility keeps it per computed class: later placements of the plan skip the checks.
   */
  feasible: Map<Obj, string | null> | null;
  /** The same across evals, per node ID, for as long as what the checks read of the node is unchanged. */
  known: Map<string, KnownFeasibility> | null;
}

/** A node's feasibility for a group, with the parts of the node the checks read (records are immutable). */
interface KnownFeasibility {
  attributes: unknown;
  meta: unknown;
  drivers: unknown;
  datacenter: unknown;
  name: unknown;
  nodeClass: unknown;
  pool: unknown;
  reason: string | null;
}

/**
 * Feasibility results kept across evals, keyed by the group object and the job's constraints:
 * equal groups of different jobs are one shared frozen object (state/share.ts), so the jobs of one
 * spec check each node once, not once per register. A node's record is replaced on every client
 * update (LastAllocUpdateIndex) but keeps its attribute, meta and driver objects, which the entry
 * compares. A pure memo: the same inputs give the same answer, so nothing a reset must clear.
 */
const knownFeasibility = new WeakMap<Obj, { jobConstraints: unknown; byNode: Map<string, KnownFeasibility> }>();
const KNOWN_NODES_MAX = 10_000;

function knownFor(job: Job, tg: Obj): Map<string, KnownFeasibility> | null {
  if (!Object.isFrozen(tg)) return null;
  let k = knownFeasibility.get(tg);
  if (!k || k.jobConstraints !== job.Constraints) knownFeasibility.set(tg, (k = { jobConstraints: job.Constraints, byNode: new Map() }));
  if (k.byNode.size >= KNOWN_NODES_MAX) k.byNode.clear();
  return k.byNode;
}

/** What a placement reads of a group and its job's constraints; the same for every plan. */
interface StaticFacts {
  /** The job's Constraints these were made from (records are immutable: compared by identity). */
  source: unknown;
  jobConstraints: Obj[];
  groupConstraints: Obj[];
  drivers: string[];
  distinct: boolean;
  ask: { cpu: number; memoryMB: number };
}

/**
 * The static facts of each frozen (shared) group, for the job constraints they were made with:
 * the jobs of one spec hold one group object, so each register's plan does not build them again.
 * A pure memo of immutable inputs.
 */
const staticFacts = new WeakMap<Obj, StaticFacts>();

function staticFactsOf(job: Job, tg: Obj): StaticFacts {
  // The generic stack's order: job constraints, then the group's drivers, then group and task constraints.
  const jobConstraints: Obj[] = (job.Constraints as Obj[]) ?? [];
  const groupConstraints: Obj[] = [...((tg.Constraints as Obj[]) ?? [])];
  for (const t of (tg.Tasks as Obj[]) ?? []) groupConstraints.push(...((t.Constraints as Obj[]) ?? []));
  return {
    source: job.Constraints,
    jobConstraints,
    groupConstraints,
    drivers: [...new Set(((tg.Tasks as Obj[]) ?? []).map((t) => String(t.Driver ?? '')))],
    distinct: [...jobConstraints, ...groupConstraints].some((c) => c.Operand === 'distinct_hosts'),
    ask: groupAsk(tg),
  };
}

export function groupFactsOf(job: Job, tg: Obj, cache: boolean): GroupFacts {
  let st: StaticFacts | undefined;
  if (Object.isFrozen(tg)) {
    st = staticFacts.get(tg);
    if (!st || st.source !== job.Constraints) staticFacts.set(tg, (st = staticFactsOf(job, tg)));
  } else {
    st = staticFactsOf(job, tg);
  }
  const known = cache ? knownFor(job, tg) : null;
  return {
    job,
    jobConstraints: st.jobConstraints,
    groupConstraints: st.groupConstraints,
    drivers: st.drivers,
    distinct: st.distinct,
    ask: st.ask,
    // Across evals the known results serve; the per-eval map is for groups that have none.
    feasible: cache && !known ? new Map() : null,
    known,
  };
}

function firstFailing(constraints: Obj[], node: Obj): Obj | undefined {
  for (const c of constraints) if (!constraintHolds(c, node)) return c;
  return undefined;
}

/** Why the node cannot run the group at all (constraints, drivers), or null when it can. */
function infeasibleReason(g: GroupFacts, node: Obj): string | null {
  const cached = g.feasible?.get(node);
  if (cached !== undefined) return cached;
  const known = g.known?.get(node.ID);
  if (
    known && known.attributes === node.Attributes && known.meta === node.Meta && known.drivers === node.Drivers &&
    known.datacenter === node.Datacenter && known.name === node.Name && known.nodeClass === node.NodeClass && known.pool === node.NodePool
  ) {
    g.feasible?.set(node, known.reason);
    return known.reason;
  }
  let reason: string | null = null;
  const failedJob = firstFailing(g.jobConstraints, node);
  if (failedJob) reason = constraintString(failedJob);
  else {
    for (const d of g.drivers) {
      if (!hasDriver(node, d)) {
        reason = FILTER_MISSING_DRIVERS;
        break;
      }
    }
    if (reason === null) {
      const failedGroup = firstFailing(g.groupConstraints, node);
      if (failedGroup) reason = constraintString(failedGroup);
    }
  }
  g.feasible?.set(node, reason);
  g.known?.set(node.ID, {
    attributes: node.Attributes, meta: node.Meta, drivers: node.Drivers, datacenter: node.Datacenter, name: node.Name,
    nodeClass: node.NodeClass, pool: node.NodePool, reason,
  });
  return reason;
}

/** A node that passed every check, with its final (normalized) score. */
export interface Ranked {
  node: Obj;
  score: number;
}

/**
 * Runs one node through the stack's checks in Nomad's order (feasibility, distinct_hosts, binpack's
 * capacity) and scores it: the algorithm's fitness averaged with the job anti-affinity penalty
 * when the node already holds allocs of the group, and with -1 on a node a rescheduled alloc failed
 * on (ScoreNormalizationIterator averages the scores each iterator appended). Null when filtered or
 * exhausted, counted in the metric.
 */
export function rank(node: Obj, g: GroupFacts, metric: Obj, usage: PlanUsage | null, count: (nodeId: string) => number, desired: number, algorithm: string, penalty: ReadonlySet<string> | null): Ranked | null {
  const score = scoreOf(node, g, metric, usage, count, desired, algorithm, penalty);
  return score === FILTERED ? null : { node, score };
}

/** What `scoreOf` answers for a node filtered or exhausted: no score is ever this low. */
export const FILTERED = -Infinity;

/** `rank` without the pair: the node's final score, or FILTERED (counted in the metric). */
export function scoreOf(node: Obj, g: GroupFacts, metric: Obj, usage: PlanUsage | null, count: (nodeId: string) => number, desired: number, algorithm: string, penalty: ReadonlySet<string> | null): number {
  const reason = infeasibleReason(g, node);
  if (reason !== null) {
    filterNode(metric, node, reason);
    return FILTERED;
  }
  const held = count(node.ID);
  if (g.distinct && held > 0) {
    filterNode(metric, node, 'distinct_hosts');
    return FILTERED;
  }
  const ask = g.ask;
  const cpuTotal = node.NodeResources.Cpu.CpuShares - node.ReservedResources.Cpu.CpuShares;
  const memTotal = node.NodeResources.Memory.MemoryMB - node.ReservedResources.Memory.MemoryMB;
  let cpuFree = cpuTotal;
  let memFree = memTotal;
  if (usage) {
    usage.load(node.ID);
    cpuFree -= usage.usedCpu;
    memFree -= usage.usedMemoryMB;
  }
  const dim = ask.cpu > cpuFree ? 'cpu' : ask.memoryMB > memFree ? 'memory' : null;
  if (dim) {
    metric.NodesExhausted++;
    metric.DimensionExhausted ??= {};
    metric.DimensionExhausted[dim] = (metric.DimensionExhausted[dim] ?? 0) + 1;
    if (node.NodeClass) {
      metric.ClassExhausted ??= {};
      metric.ClassExhausted[node.NodeClass] = (metric.ClassExhausted[node.NodeClass] ?? 0) + 1;
    }
    return FILTERED;
  }
  let sum = memoFitness(node.ID, algorithm, cpuFree, cpuTotal, memFree, memTotal, ask);
  let scores = 1;
  if (held > 0) {
    sum -= (held + 1) / desired;
    scores++;
  }
  if (penalty?.has(node.ID)) {
    sum -= 1;
    scores++;
  }
  return scores === 1 ? sum : sum / scores;
}
