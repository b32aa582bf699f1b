// Node writes as Nomad's server makes them (nomad/node_endpoint.go Register, UpdateStatus,
// Deregister over state_store.go upsertNodeTxn, updateNodeStatusTxn, deleteNodeTxn): one write for
// the node, then one for the node-update evaluations of the jobs it concerns (createNodeEvals).
// The scheduler does the rest: allocs on a down or deleted node become lost there and are replaced.
// Drain, eligibility and purge (/v1/node/:id/…) are meant to reuse these pieces.
import type { Evaluation, Job, Obj } from '../types.js';
import { jobKey, type Store, type Txn } from '../store.js';
import { newEval, putEval } from '../evaluations/table.js';
import { badRequest, notFound } from '../errors.js';
import { globMatch } from '../glob.js';
import { msOfNs } from '../format.js';
import { ensurePool } from '../nodepools/table.js';
import { coreCount, processorResources } from './resources.js';
import { buildNode, computedClass, driverAttributes, driverInfos, driverStates, sortedMap, type NodeSpec } from './table.js';
import type { SpecInput } from './spec.js';
import { changedMap, changeStaticMeta, dropNodeMeta, putDynamicMeta, validateNodeMeta, type NodeMetaRow } from './meta.js';

/** Node event messages (nomad/node_endpoint.go, state_store.go). */
export const NodeEventText = {
  registered: 'Node registered',
  reregistered: 'Node re-registered',
  heartbeatMissed: 'Node heartbeat missed',
  heartbeatReregistered: 'Node reregistered by heartbeat',
} as const;

/** structs.MaxRetainedNodeEvents: older events fall off the front. */
export const MAX_RETAINED_NODE_EVENTS = 10;

/** What every node write answers, in the fields of Nomad's NodeUpdateResponse. */
export interface NodeWriteResult {
  /** The node after the write; null once deregistered. */
  Node: Obj | null;
  EvalIDs: string[];
  EvalCreateIndex: number;
  NodeModifyIndex: number;
  Index: number;
}

export function nodeEvent(store: Store, message: string, index: number, subsystem = 'Cluster', details: Record<string, string> | null = null): Obj {
  return { Message: message, Subsystem: subsystem, Details: details, Timestamp: new Date(msOfNs(store.nowNs())).toISOString(), CreateIndex: index };
}

/** appendNodeEvents: the new ones at the end, the oldest dropped beyond the limit. */
export function appendNodeEvents(node: Obj, events: Obj[]): Obj[] {
  return [...((node.Events as Obj[] | null) ?? []), ...events].slice(-MAX_RETAINED_NODE_EVENTS);
}

function mustGet(store: Store, id: string): Obj {
  const node = store.nodes.get(id);
  if (!node) throw notFound('node not found');
  return node;
}

/** Node.IsInPool / IsInAnyDC for a job. */
const nodeRunsJob = (node: Obj, job: Job): boolean =>
  (job.NodePool === 'all' || job.NodePool === node.NodePool) && (job.Datacenters ?? []).some((dc) => globMatch(dc, node.Datacenter));

/**
 * createNodeEvals: one pending node-update eval per job with an alloc on the node, and one per system
 * job that could run there, in one write. `allocs` defaults to the node's allocs in the store.
 */
export function createNodeEvals(store: Store, node: Obj, nodeIndex: number, allocs?: Obj[]): { ids: string[]; index: number } {
  const onNode = allocs ?? [...store.allocs.values()].filter((a) => a.NodeID === node.ID);
  const seen = new Set<string>();
  const evals: Evaluation[] = [];
  for (const a of onNode) {
    const key = jobKey(a.Namespace, a.JobID);
    if (seen.has(key) || !a.Job) continue;
    seen.add(key);
    evals.push(newEval(store, a.Job as Job, { triggeredBy: 'node-update', jobModifyIndex: 0 }));
  }
  for (const job of store.jobs.values()) {
    if (job.Type !== 'system' || seen.has(jobKey(job.Namespace, job.ID)) || !nodeRunsJob(node, job)) continue;
    seen.add(jobKey(job.Namespace, job.ID));
    evals.push(newEval(store, job, { triggeredBy: 'node-update', jobModifyIndex: 0 }));
  }
  if (evals.length === 0) return { ids: [], index: 0 };
  return store.write((tx) => {
    const ids = evals.map((ev) => putEval(store, tx, ev, { NodeID: node.ID, NodeModifyIndex: nodeIndex }).ID);
    return { ids, index: tx.index };
  });
}

function result(store: Store, nodeId: string, nodeIndex: number, evals: { ids: string[]; index: number }): NodeWriteResult {
  return { Node: store.nodes.get(nodeId) ?? null, EvalIDs: evals.ids, EvalCreateIndex: evals.index, NodeModifyIndex: nodeIndex, Index: nodeIndex };
}

/** Node.Register of a new node, ready at once; evals for the system jobs it can run. */
export function registerNode(store: Store, spec: NodeSpec, id?: string): NodeWriteResult {
  if (id !== undefined && store.nodes.has(id)) throw badRequest(`node ${JSON.stringify(id)} already exists`);
  const node = store.write((tx) => {
    ensurePool(store, tx, spec.nodePool);
    const n = buildNode(store, spec, store.nodes.size, tx.index, id);
    store.nodes.set(n.ID, n);
    tx.touch('nodes');
    tx.emit('Node', n.ID, '', null, { Node: n }, 'NodeRegistration');
    return n;
  });
  return result(store, node.ID, node.ModifyIndex, createNodeEvals(store, node, node.ModifyIndex));
}

/** Whether a change alters what the scheduler sees (shouldCreateNodeEval). */
function schedulingChanged(before: Obj, after: Obj): boolean {
  return (
    before.Datacenter !== after.Datacenter || before.NodePool !== after.NodePool || before.NodeClass !== after.NodeClass ||
    JSON.stringify([before.Attributes, before.Meta, before.Drivers, before.NodeResources]) !==
      JSON.stringify([after.Attributes, after.Meta, after.Drivers, after.NodeResources])
  );
}

/** The node with a change applied: every field derived from a changed input follows it. */
export function changedNode(store: Store, node: Obj, change: SpecInput): Obj {
  const next: Obj = structuredClone(node);
  const attrs: Record<string, string> = next.Attributes;
  if (change.name !== undefined) {
    next.Name = change.name;
    attrs['unique.hostname'] = change.name;
  }
  if (change.datacenter !== undefined) next.Datacenter = change.datacenter;
  if (change.nodePool !== undefined) next.NodePool = change.nodePool;
  if (change.nodeClass !== undefined) next.NodeClass = change.nodeClass;
  next.ComputedClass = computedClass(next.Datacenter, next.NodePool, next.NodeClass);
  if (change.cpu !== undefined) {
    const cores = coreCount(change.cpu);
    Object.assign(next.NodeResources, processorResources(change.cpu));
    Object.assign(attrs, { 'cpu.numcores': String(cores), 'cpu.reservablecores': String(cores), 'cpu.totalcompute': String(change.cpu), 'cpu.usablecompute': String(change.cpu) });
  }
  if (change.memoryMB !== undefined) {
    next.NodeResources.Memory.MemoryMB = change.memoryMB;
    attrs['memory.totalbytes'] = String(change.memoryMB * 1024 * 1024);
  }
  if (change.diskMB !== undefined) {
    next.NodeResources.Disk.DiskMB = change.diskMB;
    attrs['unique.storage.bytesfree'] = attrs['unique.storage.bytestotal'] = String(change.diskMB * 1024 * 1024);
  }
  if (change.drivers !== undefined) {
    const states = driverStates({ drivers: change.drivers } as NodeSpec);
    for (const k of Object.keys(attrs)) if (k.startsWith('driver.')) delete attrs[k];
    Object.assign(attrs, driverAttributes(states));
    next.Drivers = driverInfos(states, new Date(msOfNs(store.nowNs())).toISOString());
  }
  next.Attributes = sortedMap(changedMap(attrs, change.attributes ?? {}));
  if (change.meta !== undefined) next.Meta = sortedMap(changedMap(next.Meta, change.meta));
  return next;
}

/**
 * Node.Register of a known node with changed fields: events, status, eligibility and drain are kept
 * (upsertNodeTxn); evals follow when something the scheduler looks at changed.
 */
export function updateNode(store: Store, id: string, change: SpecInput, also?: (tx: Txn, node: Obj) => void): NodeWriteResult {
  const before = mustGet(store, id);
  const after = changedNode(store, before, change);
  const node = store.write((tx) => {
    ensurePool(store, tx, after.NodePool);
    const n: Obj = { ...after, ModifyIndex: tx.index };
    store.nodes.set(n.ID, n);
    tx.touch('nodes');
    tx.emit('Node', n.ID, '', null, { Node: n }, 'NodeRegistration');
    if (also) also(tx, n);
    else if (change.meta !== undefined) changeStaticMeta(store, tx, id, change.meta);
    return n;
  });
  const evals = node.Status === 'ready' && schedulingChanged(before, node) ? createNodeEvals(store, node, node.ModifyIndex) : { ids: [], index: 0 };
  return result(store, id, node.ModifyIndex, evals);
}

/**
 * Node.UpdateStatus between ready and down, as a missed heartbeat and a client coming back make it.
 * The same status again writes nothing (Nomad skips the raft write).
 */
export function updateNodeStatus(store: Store, id: string, status: 'ready' | 'down'): NodeWriteResult {
  const before = mustGet(store, id);
  if (before.Status === status) return result(store, id, 0, { ids: [], index: 0 });
  const node = store.write((tx) => {
    tx.eventType = 'NodeEvent';
    const message = status === 'down' ? NodeEventText.heartbeatMissed : NodeEventText.heartbeatReregistered;
    const n: Obj = {
      ...before,
      Status: status,
      StatusUpdatedAt: Math.floor(store.nowNs() / 1e9),
      Events: appendNodeEvents(before, [nodeEvent(store, message, tx.index)]),
      // Set when the node stops answering, cleared once it is ready again (updateNodeStatusTxn).
      LastMissedHeartbeatIndex: status === 'down' ? tx.index : 0,
      ModifyIndex: tx.index,
    };
    store.nodes.set(n.ID, n);
    tx.touch('nodes');
    tx.emit('Node', n.ID, '', null, { Node: n });
    return n;
  });
  return result(store, id, node.ModifyIndex, createNodeEvals(store, node, node.ModifyIndex));
}

/** Node.Deregister: the node row goes; evals let the scheduler find its allocs lost. */
export function deregisterNode(store: Store, id: string): NodeWriteResult {
  const before = mustGet(store, id);
  const allocs = [...store.allocs.values()].filter((a) => a.NodeID === id);
  const index = store.write((tx) => {
    tx.eventType = 'NodeDeregistration';
    store.nodes.delete(id);
    dropNodeMeta(store, tx, id);
    tx.touch('nodes');
    tx.emit('Node', id, '', null, { Node: before });
    return tx.index;
  });
  return result(store, id, index, createNodeEvals(store, before, index, allocs));
}

/**
 * NodeMeta.Apply on the node's client, then the client's re-registration with the merged meta
 * (Node.Register) in the same write: the node gets a new index and its NodeRegistration event, and
 * evaluations follow as for any change of what the scheduler sees. (A real client batches the
 * re-registration for up to 10 s; here it is immediate.)
 */
export function applyNodeMeta(store: Store, id: string, meta: Record<string, string | null>): NodeWriteResult & { row: NodeMetaRow } {
  validateNodeMeta(meta);
  const before = mustGet(store, id);
  let row: NodeMetaRow | undefined;
  const res = updateNode(store, id, { meta }, (tx) => {
    row = putDynamicMeta(store, tx, before, meta);
  });
  return { ...res, row: row! };
}
