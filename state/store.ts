// The state store: Nomad's memdb tables as plain maps, one global Raft-like index, and a per-table
// "last index" row. Every successful write bumps the global index exactly once; a write that throws
// before `commit` changes nothing, so callers validate first and mutate last.

import { randomUUID } from 'node:crypto';
import { Watch, type Table } from './watch.js';
import type { Evaluation, Job, Obj } from './types.js';
import type { NodeUsage } from './nodes/usage.js';
import { namespaceHash } from './namespaces/table.js';
import { defaultNomadVersion, type NomadVersion } from './version.js';

export const TABLES = [
  'namespaces',
  'node_pools',
  'jobs',
  'job_version',
  'job_summary',
  'job_submission',
  'evals',
  'allocs',
  'deployment',
  'periodic_launch',
  'scaling_event',
  'scaling_policy',
  'service_registrations',
  'nodes',
  'variables',
  'scheduler_config',
  'autopilot_config',
  'root_keys',
  'csi_volumes',
  'csi_plugins',
  'host_volumes',
] as const;

export interface StoreOptions {
  /** Unix time in nanoseconds; the simulator's clock in production, a fake in tests. */
  nowNs?: () => number;
  newId?: () => string;
  region?: string;
  /** The Nomad version whose rules the store applies (state/version.ts); the default when absent. */
  nomadVersion?: NomadVersion;
}

// The last two keys made, as loose variables: a cache entry object per miss was garbage of its own.
let lastNs = '';
let lastId = '';
let lastKey = '\u0000';
let prevNs = '';
let prevId = '';
let prevKey = '\u0000';

/**
 * The key of a job's rows. One write asks for the same job's key a score of times; handing back the
 * same string lets every map lookup reuse its cached hash instead of building and hashing a new one.
 * Two entries: the simulator's passes alternate between two jobs often enough (a client batch
 * interleaved with a scheduler pass) that one entry kept building new strings.
 */
export function jobKey(namespace: string, id: string): string {
  if (lastId === id && lastNs === namespace) return lastKey;
  // join() gives a flat string; a template gives a rope that maps keep alive beside its flat copy.
  const key = prevId === id && prevNs === namespace ? prevKey : [namespace, id].join('\u0000');
  prevNs = lastNs;
  prevId = lastId;
  prevKey = lastKey;
  lastNs = namespace;
  lastId = id;
  lastKey = key;
  return key;
}

/** Where the tables report changed keys; `note` stays null unless persistence listens. */
interface ChangeSink {
  note: ((table: string, key: string) => void) | null;
}

/**
 * A table whose writes note the key they changed, so the write-ahead log (src/persist/) can save
 * exactly the records a write replaced or deleted. Costs one null check while nobody listens.
 */
export class TableMap<V> extends Map<string, V> {
  /**
   * Bumped by every set, delete and clear: what was derived from the table's rows stays valid
   * while it stands still (the scheduler's ready nodes).
   */
  version = 0;
  constructor(
    private readonly sink: ChangeSink,
    readonly table: string,
  ) {
    super();
  }
  override set(key: string, value: V): this {
    super.set(key, value);
    this.version++;
    if (this.sink.note) this.sink.note(this.table, key);
    return this;
  }
  override delete(key: string): boolean {
    const had = super.delete(key);
    this.version++;
    if (had && this.sink.note) this.sink.note(this.table, key);
    return had;
  }
  override clear(): void {
    if (this.sink.note) for (const k of this.keys()) this.sink.note(this.table, k);
    super.clear();
    this.version++;
  }
}

/** One object changed by a write, as Nomad's event stream reports it. */
export interface StoreEvent {
  Topic: 'Job' | 'Evaluation' | 'Allocation' | 'Deployment' | 'Node' | 'Variable' | 'NodePool' | 'Service' | 'ACLToken' | 'ACLPolicy' | 'ACLRole' | 'ACLAuthMethod' | 'ACLBindingRule';
  Type: string;
  Key: string;
  Namespace: string;
  FilterKeys: string[] | null;
  Index: number;
  Payload: Obj;
}

export class Txn {
  readonly touched = new Set<Table>();
  readonly events: StoreEvent[] = [];
  /** The Raft request type names the event type of every object the write touched. */
  eventType = '';
  constructor(readonly index: number) {}
  touch(...tables: Table[]): void {
    for (const t of tables) this.touched.add(t);
  }
  emit(topic: StoreEvent['Topic'], key: string, namespace: string, filterKeys: string[] | null, payload: Obj, type = ''): void {
    this.events.push({ Topic: topic, Type: type, Key: key, Namespace: namespace, FilterKeys: filterKeys, Index: this.index, Payload: payload });
  }
}

export type StoreListener = (index: number, events: readonly StoreEvent[]) => void;
export type CommitListener = (index: number, touched: ReadonlySet<Table>) => void;

const DEFAULT_EVENT_TYPE: Record<StoreEvent['Topic'], string> = {
  Job: 'JobRegistered',
  Evaluation: 'EvaluationUpdated',
  Allocation: 'AllocationUpdated',
  Deployment: 'DeploymentStatusUpdate',
  Node: 'NodeRegistration',
  Variable: 'VariableUpdated',
  ACLToken: 'ACLTokenUpserted',
  ACLPolicy: 'ACLPolicyUpserted',
  ACLRole: 'ACLRoleUpserted',
  ACLAuthMethod: 'ACLAuthMethodUpserted',
  ACLBindingRule: 'ACLBindingRuleUpserted',
  NodePool: 'NodePoolUpserted',
  Service: 'ServiceRegistration',
};

export class Store {
  index = 0;
  /** Counts wholesale replacements (restore, reset): a blocked reader of the old world answers at one. */
  replacements = 0;
  private readonly tableIndexes = new Map<Table, number>();
  readonly watch = new Watch();
  readonly nowNs: () => number;
  readonly newId: () => string;
  readonly region: string;
  readonly nomad: NomadVersion;

  private readonly changes: ChangeSink = { note: null };
  // The tables proper (each named as its field); a stored value is replaced, never changed in place.
  readonly namespaces = new TableMap<Obj>(this.changes, 'namespaces');
  readonly nodePools = new TableMap<Obj>(this.changes, 'nodePools');
  readonly jobs = new TableMap<Job>(this.changes, 'jobs');
  /** Stored versions of each job, newest first. */
  readonly versions = new TableMap<Job[]>(this.changes, 'versions');
  readonly summaries = new TableMap<Obj>(this.changes, 'summaries');
  /** Submissions per job, keyed by version. */
  readonly submissions = new TableMap<Map<number, Obj>>(this.changes, 'submissions');
  readonly evals = new TableMap<Evaluation>(this.changes, 'evals');
  readonly allocs = new TableMap<Obj>(this.changes, 'allocs');
  readonly deployments = new TableMap<Obj>(this.changes, 'deployments');
  readonly scalingEvents = new TableMap<Obj>(this.changes, 'scalingEvents');
  readonly periodicLaunches = new TableMap<Obj>(this.changes, 'periodicLaunches');
  /** Secondary indexes: job key → IDs, as memdb's `job` indexes. */
  readonly evalsByJob = new Map<string, Set<string>>();
  readonly allocsByJob = new Map<string, Set<string>>();
  readonly deploymentsByJob = new Map<string, Set<string>>();
  readonly nodes = new TableMap<Obj>(this.changes, 'nodes');
  /** Resources held on each node by allocs that are neither stopped nor finished. */
  readonly nodeUsage = new Map<string, NodeUsage>();
  private readonly listeners = new Set<StoreListener>();
  private readonly commitListeners = new Set<CommitListener>();
  private readonly replaceListeners = new Set<() => void>();

  constructor(opts: StoreOptions = {}) {
    this.nowNs = opts.nowNs ?? (() => Date.now() * 1e6);
    this.newId = opts.newId ?? randomUUID;
    this.region = opts.region ?? 'global';
    this.nomad = opts.nomadVersion ?? defaultNomadVersion();
    this.bootstrap();
  }

  /** What a fresh `nomad agent -dev` holds before the first client write. */
  private bootstrap(): void {
    this.write((tx) => {
      this.namespaces.set('default', defaultNamespace(tx.index));
      for (const name of ['all', 'default']) this.nodePools.set(name, builtinNodePool(name, tx.index));
      tx.touch('namespaces', 'node_pools');
    });
  }

  /** Every table's last-write index, for snapshots. */
  tableIndexEntries(): [Table, number][] {
    return [...this.tableIndexes.entries()];
  }

  /** Replaces the global and per-table indexes (restoring a snapshot). */
  resetIndexes(index: number, tables: [Table, number][]): void {
    this.index = index;
    this.tableIndexes.clear();
    for (const [t, i] of tables) this.tableIndexes.set(t, i);
  }

  tableIndex(table: Table): number {
    return this.tableIndexes.get(table) ?? 0;
  }

  latestIndex(): number {
    let max = 0;
    for (const v of this.tableIndexes.values()) if (v > max) max = v;
    return max;
  }

  /**
   * Runs one Raft-like write. `fn` must do all its checks before its first mutation: a throw means
   * nothing was applied and no index was consumed.
   */
  write<T>(fn: (tx: Txn) => T): T {
    const tx = new Txn(this.index + 1);
    const result = fn(tx);
    this.index = tx.index;
    for (const t of tx.touched) this.tableIndexes.set(t, tx.index);
    this.watch.notify(tx.touched);
    if (tx.events.length > 0 && this.listeners.size > 0) {
      for (const e of tx.events) if (e.Type === '') e.Type = tx.eventType || DEFAULT_EVENT_TYPE[e.Topic];
      for (const l of this.listeners) l(tx.index, tx.events);
    }
    for (const l of this.commitListeners) l(tx.index, tx.touched);
    return result;
  }

  /** Subscribes to committed writes (the simulator and the event stream); returns the unsubscribe. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Subscribes to every committed write, including those that stream no events (GC reaps, namespace
   * and ACL writes); returns the unsubscribe. Persistence uses it.
   */
  onCommit(listener: CommitListener): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /**
   * Reports every key set or deleted in the tables (by field name) from now on, or stops with null.
   * One listener at a time: the write-ahead log.
   */
  trackChanges(note: ((table: string, key: string) => void) | null): void {
    this.changes.note = note;
  }

  /**
   * Subscribes to wholesale replacements of the state (restore, reset), which happen outside any
   * committed write; returns the unsubscribe.
   */
  onReplace(listener: () => void): () => void {
    this.replaceListeners.add(listener);
    return () => this.replaceListeners.delete(listener);
  }

  /** Tells every replacement listener (the simulator re-adopts, persistence saves) the state was swapped. */
  announceReplaced(): void {
    for (const l of this.replaceListeners) l();
  }
}

function defaultNamespace(index: number): Obj {
  const ns: Obj = {
    Name: 'default',
    Description: 'Default shared namespace',
    Quota: '',
    Capabilities: null,
    NodePoolConfiguration: null,
    VaultConfiguration: null,
    ConsulConfiguration: null,
    Meta: null,
    Hash: null,
    CreateIndex: index,
    ModifyIndex: index,
  };
  ns.Hash = namespaceHash(ns);
  return ns;
}

function builtinNodePool(name: string, index: number): Obj {
  return {
    Name: name,
    Description:
      name === 'all' ? 'Node pool with all nodes in the cluster.' : 'Default node pool.',
    Meta: null,
    SchedulerConfiguration: null,
    // DefaultNodePoolNodeIdentityTTL (24h) in nanoseconds; built-in pools are never hashed.
    NodeIdentityTTL: 86_400_000_000_000,
    Hash: null,
    CreateIndex: index,
    ModifyIndex: index,
  };
}
