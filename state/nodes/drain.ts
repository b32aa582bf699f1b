// Drain and eligibility writes as Nomad's server makes them (nomad/node_endpoint.go UpdateDrain and
// UpdateEligibility over state_store.go updateNodeDrainImpl and updateNodeEligibilityImpl), and the
// two writes of the drainer (nomad/drainer: AllocUpdateDesiredTransition, BatchUpdateNodeDrain).
// The simulator's drainer (src/sim/drainer.ts) decides when the latter happen.
import type { Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { RpcError } from '../errors.js';
import { rfc3339 } from '../format.js';
import { newEval, putEval } from '../evaluations/table.js';
import { putAlloc } from '../allocations/table.js';
import { appendNodeEvents, createNodeEvals, nodeEvent } from './ops.js';

/** Node event messages of drains and eligibility (node_endpoint.go, drainer/drainer.go). */
export const DrainText = {
  set: 'Node drain strategy set',
  updated: 'Node drain strategy updated',
  disabled: 'Node drain disabled',
  complete: 'Node drain complete',
  eligible: 'Node marked as eligible for scheduling',
  ineligible: 'Node marked as ineligible for scheduling',
} as const;

/** The detail the drainer adds to "Node drain complete" when the deadline ended the drain. */
export const DEADLINE_DETAIL = 'deadline_reached';

/** Go's zero time.Time in JSON: the ForceDeadline of a drain without one. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** NodeDrainUpdateResponse / NodeEligibilityUpdateResponse, in Go field order. */
export interface NodeDrainResponse {
  NodeModifyIndex: number;
  EvalIDs: string[] | null;
  EvalCreateIndex: number;
  Index: number;
}

export interface DrainUpdate {
  nodeId: string;
  /** api.DrainSpec; null cancels a drain. Deadline in ns: negative forces now, 0 waits forever. */
  spec: { Deadline: number; IgnoreSystemJobs: boolean } | null;
  markEligible: boolean;
  meta: Record<string, string> | null;
  /** The caller's token accessor (the FSM looks the request's token up), '' without one. */
  accessorId: string;
}

/**
 * updateNodeDrainImpl: the node with a drain strategy set, changed or removed; eligibility and
 * LastDrain follow. `completed` marks the drainer's own end of a drain (LastDrain complete).
 */
function drainedNode(node: Obj, strategy: Obj | null, o: { markEligible: boolean; updatedAtSec: number; event: Obj | null; meta: Record<string, string> | null; accessorId: string; completed: boolean; index: number }): Obj {
  const next: Obj = { ...node, StatusUpdatedAt: o.updatedAtSec };
  if (o.event) next.Events = appendNodeEvents(node, [o.event]);
  next.DrainStrategy = strategy;
  if (strategy) next.SchedulingEligibility = 'ineligible';
  else if (o.markEligible) next.SchedulingEligibility = 'eligible';
  if (node.DrainStrategy || strategy) {
    // LastDrain's times have whole seconds (time.Unix(updatedAt, 0)).
    const at = rfc3339(o.updatedAtSec * 1e9);
    const started = !node.DrainStrategy && strategy;
    const last: Obj = started || !node.LastDrain
      ? { StartedAt: started ? at : rfc3339(Math.floor(Date.parse(node.DrainStrategy.StartedAt) / 1000) * 1e9), UpdatedAt: at, Status: '', AccessorID: '', Meta: o.meta }
      : { ...node.LastDrain };
    last.UpdatedAt = at;
    if (o.meta && Object.keys(o.meta).length > 0) last.Meta = o.meta;
    if (o.accessorId !== '') last.AccessorID = o.accessorId;
    last.Status = strategy ? 'draining' : o.completed ? 'complete' : 'canceled';
    next.LastDrain = last;
  }
  next.ModifyIndex = o.index;
  // The JSON encoder's node extension adds the legacy Drain flag after every other field.
  delete next.Drain;
  next.Drain = strategy !== null;
  return next;
}

const evalsOrNull = (e: { ids: string[]; index: number }): Pick<NodeDrainResponse, 'EvalIDs' | 'EvalCreateIndex'> =>
  ({ EvalIDs: e.ids.length > 0 ? e.ids : null, EvalCreateIndex: e.index });

/** Node.UpdateDrain. Errors are the RPC's plain ones (500). */
export function updateNodeDrain(store: Store, u: DrainUpdate): NodeDrainResponse {
  if (u.nodeId === '') throw new RpcError('missing node ID for drain update');
  const node = store.nodes.get(u.nodeId);
  if (!node) throw new RpcError('node not found');
  const now = store.nowNs();
  const strategy: Obj | null = u.spec
    ? {
        Deadline: u.spec.Deadline,
        IgnoreSystemJobs: u.spec.IgnoreSystemJobs,
        ForceDeadline: u.spec.Deadline > 0 ? rfc3339(now + u.spec.Deadline) : ZERO_TIME,
        StartedAt: node.DrainStrategy ? node.DrainStrategy.StartedAt : rfc3339(now),
      }
    : null;
  const message = !node.DrainStrategy && strategy ? DrainText.set : node.DrainStrategy && strategy ? DrainText.updated : node.DrainStrategy ? DrainText.disabled : null;
  const index = store.write((tx) => {
    tx.eventType = 'NodeDrain';
    const next = drainedNode(node, strategy, {
      markEligible: u.markEligible, updatedAtSec: Math.floor(now / 1e9), event: message ? nodeEvent(store, message, tx.index, 'Drain') : null,
      meta: u.meta, accessorId: u.accessorId, completed: false, index: tx.index,
    });
    store.nodes.set(next.ID, next);
    tx.touch('nodes');
    tx.emit('Node', next.ID, '', null, { Node: next });
    return tx.index;
  });
  // A node made eligible again gets evals: a system job may want to run there.
  const evals = node.SchedulingEligibility === 'ineligible' && u.markEligible && !strategy
    ? createNodeEvals(store, store.nodes.get(node.ID) ?? node, index)
    : { ids: [], index: 0 };
  return { NodeModifyIndex: index, ...evalsOrNull(evals), Index: index };
}

/** Node.UpdateEligibility. The same eligibility again writes nothing and answers index 0. */
export function updateNodeEligibility(store: Store, nodeId: string, eligibility: string, eventGiven: boolean): NodeDrainResponse {
  if (nodeId === '') throw new RpcError('missing node ID for setting scheduling eligibility');
  if (eventGiven) throw new RpcError('node event must not be set');
  if (eligibility !== 'eligible' && eligibility !== 'ineligible') throw new RpcError(`invalid scheduling eligibility ${JSON.stringify(eligibility)}`);
  const node = store.nodes.get(nodeId);
  if (!node) throw new RpcError('node not found');
  if (node.DrainStrategy && eligibility === 'eligible') throw new RpcError("can not set node's scheduling eligibility to eligible while it is draining");
  if (node.SchedulingEligibility === eligibility) return { NodeModifyIndex: 0, EvalIDs: null, EvalCreateIndex: 0, Index: 0 };
  const index = store.write((tx) => {
    tx.eventType = 'NodeDrain';
    const message = eligibility === 'eligible' ? DrainText.eligible : DrainText.ineligible;
    const next: Obj = {
      ...node,
      StatusUpdatedAt: Math.floor(store.nowNs() / 1e9),
      Events: appendNodeEvents(node, [nodeEvent(store, message, tx.index)]),
      SchedulingEligibility: eligibility,
      ModifyIndex: tx.index,
    };
    store.nodes.set(next.ID, next);
    tx.touch('nodes');
    tx.emit('Node', next.ID, '', null, { Node: next });
    return tx.index;
  });
  const evals = eligibility === 'eligible' ? createNodeEvals(store, store.nodes.get(nodeId) ?? node, index) : { ids: [], index: 0 };
  return { NodeModifyIndex: index, ...evalsOrNull(evals), Index: index };
}

/**
 * The drainer's AllocUpdateDesiredTransition: Migrate on each alloc still stored and one node-drain
 * eval per job, in one write. Returns the write's index, 0 when nothing was left to mark.
 */
export function markForMigration(store: Store, allocIds: string[]): number {
  const allocs = allocIds.map((id) => store.allocs.get(id)).filter((a): a is Obj => a !== undefined);
  if (allocs.length === 0) return 0;
  return store.write((tx) => {
    tx.eventType = 'AllocationUpdateDesiredStatus';
    const jobs = new Map<string, Job>();
    for (const a of allocs) {
      putAlloc(store, tx, { ...a, DesiredTransition: { ...a.DesiredTransition, Migrate: true } });
      jobs.set(jobKey(a.Namespace, a.JobID), a.Job as Job);
    }
    // The eval carries the alloc's job's priority and type, and no job modify index.
    for (const job of jobs.values()) putEval(store, tx, newEval(store, job, { triggeredBy: 'node-drain', jobModifyIndex: 0 }));
    return tx.index;
  });
}

/** BatchUpdateNodeDrain from the drainer: the drain is over (complete), the node stays ineligible. */
export function completeNodeDrain(store: Store, nodeId: string, deadlined: boolean): number {
  const node = store.nodes.get(nodeId);
  if (!node || !node.DrainStrategy) return 0;
  return store.write((tx) => {
    tx.eventType = 'NodeDrain';
    const event = nodeEvent(store, DrainText.complete, tx.index, 'Drain', deadlined ? { [DEADLINE_DETAIL]: 'true' } : null);
    const next = drainedNode(node, null, {
      markEligible: false, updatedAtSec: Math.floor(store.nowNs() / 1e9), event, meta: null, accessorId: '', completed: true, index: tx.index,
    });
    store.nodes.set(next.ID, next);
    tx.touch('nodes');
    tx.emit('Node', next.ID, '', null, { Node: next });
    return tx.index;
  });
}
