// Resources each node has committed to allocations that still hold them, kept up to date on every
// alloc write so the scheduler never rescans all allocations.
import type { Obj } from '../types.js';

/**
 * A node's committed resources. Per-group counts (distinct_hosts, spreading) are not kept here: a
 * plan counts its own job's allocs per node from the job's allocs (src/sim/plan-usage.ts), so a
 * per-node map of every job group on the node would be written on every alloc write and never read.
 */
export interface NodeUsage {
  cpu: number;
  memoryMB: number;
}

/** A plan's own changes on a node: resources plus allocs per usageKey (the plan's placements and stops). */
export interface PlanNodeUsage extends NodeUsage {
  groups: Map<string, number>;
}

export function groupAsk(tg: Obj): { cpu: number; memoryMB: number } {
  let cpu = 0;
  let memoryMB = 0;
  for (const t of (tg.Tasks as Obj[]) ?? []) {
    cpu += Number(t.Resources?.CPU ?? 100);
    memoryMB += Number(t.Resources?.MemoryMB ?? 300);
  }
  return { cpu, memoryMB };
}

/** A flat string (join), not a rope: the key is held once per node a group runs on. */
export const usageKey = (namespace: string, jobId: string, group: string): string => [namespace, jobId, group].join('\u0000');

export const holdsResources = (a: Obj | undefined): boolean =>
  a !== undefined && a.DesiredStatus === 'run' && a.ClientStatus !== 'complete' && a.ClientStatus !== 'failed' && a.ClientStatus !== 'lost';

export function addToPlanUsage(usage: Map<string, PlanNodeUsage>, nodeId: string, key: string, ask: { cpu: number; memoryMB: number }, sign: number): void {
  let u = usage.get(nodeId);
  if (!u) usage.set(nodeId, (u = { cpu: 0, memoryMB: 0, groups: new Map() }));
  u.cpu += sign * ask.cpu;
  u.memoryMB += sign * ask.memoryMB;
  const n = (u.groups.get(key) ?? 0) + sign;
  if (n === 0) u.groups.delete(key);
  else u.groups.set(key, n);
  // Nodes come and go at run time: an empty entry goes, so the map never outgrows the live allocs.
  if (u.groups.size === 0 && u.cpu === 0 && u.memoryMB === 0) usage.delete(nodeId);
}

/** Moves an ask in or out of a node's committed usage; a node back at zero leaves the map. */
function addToUsage(usage: Map<string, NodeUsage>, nodeId: string, ask: { cpu: number; memoryMB: number }, sign: number): void {
  let u = usage.get(nodeId);
  if (!u) usage.set(nodeId, (u = { cpu: 0, memoryMB: 0 }));
  u.cpu += sign * ask.cpu;
  u.memoryMB += sign * ask.memoryMB;
  // Nodes come and go at run time: an empty entry goes, so the map never outgrows the live allocs.
  if (u.cpu === 0 && u.memoryMB === 0) usage.delete(nodeId);
}

/**
 * Asks of pooled (frozen) task groups: allocs of one spec share their group, and every alloc that
 * starts or stops holding resources asks for it. A frozen group never changes, so neither does its ask.
 */
const frozenAsks = new WeakMap<object, { cpu: number; memoryMB: number }>();
const NO_ASK = Object.freeze({ cpu: 0, memoryMB: 0 });

function allocAsk(a: Obj): { cpu: number; memoryMB: number } {
  const tgs = a.Job?.TaskGroups as Obj[] | undefined;
  if (!tgs) return NO_ASK;
  for (let i = 0; i < tgs.length; i++) {
    const tg = tgs[i]!;
    if (tg.Name !== a.TaskGroup) continue;
    if (!Object.isFrozen(tg)) return groupAsk(tg);
    let ask = frozenAsks.get(tg);
    if (ask === undefined) frozenAsks.set(tg, (ask = Object.freeze(groupAsk(tg))));
    return ask;
  }
  return NO_ASK;
}

/** Moves an alloc's resources in or out of its node's usage as its status changes. */
export function trackUsage(usage: Map<string, NodeUsage>, prev: Obj | undefined, next: Obj | undefined): void {
  const before = holdsResources(prev);
  const after = holdsResources(next);
  if (before === after && (!before || prev!.Job === next!.Job)) return;
  if (before) addToUsage(usage, prev!.NodeID, allocAsk(prev!), -1);
  if (after) addToUsage(usage, next!.NodeID, allocAsk(next!), 1);
}
