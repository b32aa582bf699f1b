// The cluster's shape at run time: add, change, mark down or up, and remove client nodes, as a
// client registering, a missed heartbeat, a client coming back and `nomad node` deregistration
// would. Shared by the /_mock/node(s) routes and the in-process API (`mock.control.nodes`).
import type { Store } from '../../state/store.js';
import type { Obj } from '../../state/types.js';
import { RpcError } from '../../state/errors.js';
import { deregisterNode, registerNode, updateNode, updateNodeStatus, type NodeWriteResult } from '../../state/nodes/ops.js';
import { API_KEYS, NodeSpecError, readSpec } from '../../state/nodes/spec.js';
import type { NodeSpec } from '../../state/nodes/table.js';
import { MAX_NODES } from '../config.js';
import { ControlError } from './mock-control.js';

export type { NodeWriteResult } from '../../state/nodes/ops.js';

/** What a new node gets for what its description leaves out: the defaults of the generated nodes. */
export interface NodeDefaults {
  datacenter: string;
  nodePool: string;
  cpu: number;
  memoryMB: number;
}

export class NodeControl {
  constructor(
    private readonly store: Store,
    private readonly defaults: NodeDefaults,
  ) {}

  /**
   * A node by ID, or by name when exactly one node has it (names need not be unique in Nomad, IDs
   * are). Unknown → 404.
   */
  resolve(ref: string): Obj {
    const byId = this.store.nodes.get(ref);
    if (byId) return byId;
    const named = [...this.store.nodes.values()].filter((n) => n.Name === ref);
    if (named.length === 1) return named[0]!;
    if (named.length > 1) throw new ControlError(`${named.length} nodes are named ${JSON.stringify(ref)}: give the node's ID`);
    throw new ControlError(`node ${JSON.stringify(ref)} not found`, 404);
  }

  /**
   * Registers a node described with Nomad's field names: Name (required), Datacenter, NodePool,
   * NodeClass, Resources {CPU, MemoryMB, DiskMB}, Attributes, Meta, Drivers (a list of names, or
   * name → {Detected, Healthy}), ID (a UUID; generated when absent).
   */
  add(doc: unknown): NodeWriteResult {
    const input = this.read(doc, false);
    if (input.name === undefined) throw new ControlError('missing node name for client registration');
    if (input.attributes && Object.values(input.attributes).some((v) => v === null)) throw new ControlError('Attributes: values must be strings');
    if (this.store.nodes.size >= MAX_NODES) throw new ControlError(`the cluster already has ${MAX_NODES} nodes, the most one server simulates`);
    if ([...this.store.nodes.values()].some((n) => n.Name === input.name)) {
      throw new ControlError(`a node named ${JSON.stringify(input.name)} already exists: names identify nodes in the control API`);
    }
    const spec: NodeSpec = {
      name: input.name,
      datacenter: input.datacenter ?? this.defaults.datacenter,
      nodePool: input.nodePool ?? this.defaults.nodePool,
      nodeClass: input.nodeClass,
      cpu: input.cpu ?? this.defaults.cpu,
      memoryMB: input.memoryMB ?? this.defaults.memoryMB,
      diskMB: input.diskMB ?? 100 * 1024,
      attributes: input.attributes as Record<string, string> | undefined,
      meta: input.meta as Record<string, string> | undefined,
      drivers: input.drivers,
    };
    return this.run(() => registerNode(this.store, spec, input.id));
  }

  /**
   * Changes a node: the fields given replace the node's (Drivers as a whole set); Attributes and
   * Meta merge key by key, a null value removing the key. Status, events and eligibility are kept.
   */
  change(ref: string, doc: unknown): NodeWriteResult {
    const node = this.resolve(ref);
    const input = this.read(doc, true);
    if (input.id !== undefined && input.id !== node.ID) throw new ControlError('ID cannot be changed');
    if (input.name !== undefined && input.name !== node.Name && [...this.store.nodes.values()].some((n) => n.Name === input.name)) {
      throw new ControlError(`a node named ${JSON.stringify(input.name)} already exists: names identify nodes in the control API`);
    }
    return this.run(() => updateNode(this.store, node.ID, input));
  }

  /** The node's client stops heartbeating: status down; its allocs become lost and are replaced. */
  down(ref: string): NodeWriteResult {
    const node = this.resolve(ref);
    return this.run(() => updateNodeStatus(this.store, node.ID, 'down'));
  }

  /** The node's client is back: status ready; blocked evaluations get another go. */
  up(ref: string): NodeWriteResult {
    const node = this.resolve(ref);
    return this.run(() => updateNodeStatus(this.store, node.ID, 'ready'));
  }

  /** Deregisters the node: it is gone from /v1/nodes; its allocs become lost and are replaced. */
  remove(ref: string): NodeWriteResult {
    const node = this.resolve(ref);
    return this.run(() => deregisterNode(this.store, node.ID));
  }

  private read(doc: unknown, change: boolean): ReturnType<typeof readSpec> {
    try {
      return readSpec(doc, API_KEYS, 'node', change);
    } catch (err) {
      if (err instanceof NodeSpecError) throw new ControlError(err.message);
      throw err;
    }
  }

  private run(fn: () => NodeWriteResult): NodeWriteResult {
    try {
      return fn();
    } catch (err) {
      if (err instanceof RpcError) throw new ControlError(err.message, err.code === 404 ? 404 : 400);
      throw err;
    }
  }
}
