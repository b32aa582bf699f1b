// The whole state as one JSON document, and back: the basis of /_mock/snapshot, /_mock/restore,
// reset and the data-dir persistence. Secondary indexes are rebuilt, never stored.
import type { TSchema } from '@sinclair/typebox';
import type { Evaluation, Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { trackUsage } from '../nodes/usage.js';
import { upgradedNode } from '../nodes/upgrade.js';
import { explain, INDEX_HEADROOM, MAX_INDEX, snapshotChecker } from './schema.js';
import { emptyGroupSummary } from '../jobs/summary.js';
import { IdSet } from '../id-set.js';
import { shareAllocParts, shareEvalParts, shareJobParts, shareSummaryParts } from '../records.js';

export const SNAPSHOT_FORMAT = 'nomad-mock/v1';

export interface Snapshot {
  Format: string;
  Index: number;
  TableIndexes: Record<string, number>;
  Namespaces: Obj[];
  NodePools: Obj[];
  Nodes: Obj[];
  Jobs: Job[];
  Versions: Job[];
  Summaries: Obj[];
  Submissions: Obj[];
  Evaluations: Evaluation[];
  Allocations: Obj[];
  Deployments: Obj[];
  ScalingEvents: { Namespace: string; JobID: string; Record: Obj }[];
  PeriodicLaunches: Obj[];
  /** State kept outside the core tables (ACL tokens and policies…), by part name. */
  Parts: Record<string, unknown>;
}

export interface SnapshotPart {
  save(store: Store): unknown;
  load(store: Store, data: unknown): void;
  /** What `load` accepts; checked with the rest of the document before anything is replaced. */
  schema?: TSchema;
  /** Tables whose writes change this part (the write-ahead log saves the part when one is touched). */
  tables?: readonly string[];
  /**
   * The saved data without its secrets (token secrets, client secrets…), for snapshots handed to
   * clients; `load` must accept the result and say in its part what it does about what is missing.
   */
  redact?(saved: unknown): unknown;
  /**
   * For parts whose rows belong to namespaces: `current` (this part's `save`) with namespace `ns`'s
   * rows replaced by those of `initial` (a saved form, possibly undefined). Namespace reset calls it
   * after the core tables of `ns` were replaced, so `store` already holds `ns`'s start-up rows.
   */
  replaceNamespace?(store: Store, current: unknown, initial: unknown, ns: string): unknown;
}

export interface SnapshotOptions {
  /** False leaves out every part's secrets (see SnapshotPart.redact); internal snapshots keep them. */
  secrets?: boolean;
}

const parts = new Map<string, SnapshotPart>();

/** Lets a module outside the core tables (ACL) ride along in snapshots. */
export function registerSnapshotPart(name: string, part: SnapshotPart): void {
  parts.set(name, part);
}

/** Every registered part by name (the write-ahead log saves and loads them one by one). */
export function snapshotParts(): ReadonlyMap<string, SnapshotPart> {
  return parts;
}

export const splitKey = (key: string): [string, string] => {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
};

export function takeSnapshot(store: Store, opts: SnapshotOptions = {}): Snapshot {
  const saved: Record<string, unknown> = {};
  for (const [name, part] of parts) {
    const data = part.save(store);
    saved[name] = opts.secrets === false && part.redact ? part.redact(data) : data;
  }
  return {
    Format: SNAPSHOT_FORMAT,
    Index: store.index,
    TableIndexes: Object.fromEntries(store.tableIndexEntries()),
    Namespaces: [...store.namespaces.values()],
    NodePools: [...store.nodePools.values()],
    Nodes: [...store.nodes.values()],
    Jobs: [...store.jobs.values()],
    Versions: [...store.versions.values()].flat(),
    Summaries: [...store.summaries.values()],
    Submissions: [...store.submissions.values()].flatMap((m) => [...m.values()]),
    Evaluations: [...store.evals.values()],
    Allocations: [...store.allocs.values()],
    Deployments: [...store.deployments.values()],
    ScalingEvents: [...store.scalingEvents.entries()].map(([k, r]) => ({ Namespace: splitKey(k)[0], JobID: splitKey(k)[1], Record: r })),
    PeriodicLaunches: [...store.periodicLaunches.values()],
    Parts: saved,
  };
}

export class SnapshotError extends Error {}

const ARRAYS = ['Namespaces', 'NodePools', 'Nodes', 'Jobs', 'Versions', 'Summaries', 'Submissions', 'Evaluations', 'Allocations', 'Deployments', 'ScalingEvents', 'PeriodicLaunches'] as const;

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a document against the snapshot schema and the rules between its records, and returns
 * it with what Nomad would derive for a job that lacks it (its version row, its summary). The
 * first problem is reported by path, e.g. `Jobs[3].TaskGroups: expected array`.
 */
export function validateSnapshot(doc: unknown): Snapshot {
  if (!isObject(doc)) throw new SnapshotError('snapshot must be a JSON object');
  if (doc.Format !== SNAPSHOT_FORMAT) throw new SnapshotError(`unsupported snapshot format ${doc.Format === undefined ? '(none)' : JSON.stringify(doc.Format)} (want ${JSON.stringify(SNAPSHOT_FORMAT)})`);
  const schemas: Record<string, TSchema> = {};
  for (const [name, part] of parts) if (part.schema) schemas[name] = part.schema;
  const check = snapshotChecker(schemas);
  if (!check.Check(doc)) {
    const first = check.Errors(doc).First();
    throw new SnapshotError(first ? explain(first) : 'snapshot does not match its schema');
  }
  return checkRecords(doc as unknown as Snapshot);
}

const fail = (path: string, message: string): never => {
  throw new SnapshotError(`${path}: ${message}`);
};

const quoteJob = (ns: string, id: string): string => `no job ${JSON.stringify(id)} in namespace ${JSON.stringify(ns)}`;

function checkRecords(s: Snapshot): Snapshot {
  const top = MAX_INDEX - INDEX_HEADROOM;
  if (s.Index > top) fail('Index', `${s.Index} leaves no room for later writes (at most ${top})`);
  for (const [t, v] of Object.entries(s.TableIndexes)) if (v > s.Index) fail(`TableIndexes.${t}`, `${v} is above the snapshot's Index ${s.Index}`);
  for (const table of ARRAYS) {
    for (const [i, r] of (s[table] as Obj[]).entries()) {
      for (const [k, v] of Object.entries(r)) {
        if (k.endsWith('Index') && typeof v === 'number' && v > s.Index) fail(`${table}[${i}].${k}`, `${v} is above the snapshot's Index ${s.Index}`);
      }
    }
  }

  for (const [i, e] of s.ScalingEvents.entries()) {
    if (e.Record.ModifyIndex > s.Index) fail(`ScalingEvents[${i}].Record.ModifyIndex`, `${e.Record.ModifyIndex} is above the snapshot's Index ${s.Index}`);
  }

  const unique = (table: (typeof ARRAYS)[number], keyOf: (r: Obj) => string, what: string): Set<string> => {
    const seen = new Map<string, number>();
    for (const [i, r] of (s[table] as Obj[]).entries()) {
      const k = keyOf(r);
      const j = seen.get(k);
      if (j !== undefined) fail(`${table}[${i}]`, `duplicate ${what} (same as ${table}[${j}])`);
      seen.set(k, i);
    }
    return new Set(seen.keys());
  };
  const byJob = (r: Obj): string => jobKey(r.Namespace, r.JobID);
  const namespaces = unique('Namespaces', (r) => r.Name, 'Name');
  unique('NodePools', (r) => r.Name, 'Name');
  const nodes = unique('Nodes', (r) => r.ID, 'ID');
  unique('Jobs', (r) => jobKey(r.Namespace, r.ID), 'job (Namespace, ID)');
  unique('Versions', (r) => `${jobKey(r.Namespace, r.ID)}\u0000${r.Version}`, 'job version (Namespace, ID, Version)');
  unique('Summaries', byJob, 'summary (Namespace, JobID)');
  unique('Submissions', (r) => `${byJob(r)}\u0000${r.Version}`, 'submission (Namespace, JobID, Version)');
  unique('Evaluations', (r) => r.ID, 'ID');
  unique('Allocations', (r) => r.ID, 'ID');
  unique('Deployments', (r) => r.ID, 'ID');
  unique('ScalingEvents', byJob, 'scaling events (Namespace, JobID)');
  unique('PeriodicLaunches', (r) => jobKey(r.Namespace, r.ID), 'periodic launch (Namespace, ID)');

  if (!namespaces.has('default')) fail('Namespaces', 'the "default" namespace is missing');
  const jobs = new Map<string, Job>();
  for (const [i, j] of s.Jobs.entries()) {
    if (!namespaces.has(j.Namespace)) fail(`Jobs[${i}].Namespace`, `no namespace ${JSON.stringify(j.Namespace)}`);
    jobs.set(jobKey(j.Namespace, j.ID), j);
  }
  // Rows a job owns go with it: Nomad deletes them when it purges the job (evals stay).
  const owned = (table: (typeof ARRAYS)[number], idKey: 'ID' | 'JobID'): void => {
    for (const [i, r] of (s[table] as Obj[]).entries()) {
      if (!jobs.has(jobKey(r.Namespace, r[idKey]))) fail(`${table}[${i}].${idKey}`, quoteJob(r.Namespace, r[idKey]));
    }
  };
  owned('Versions', 'ID');
  owned('Summaries', 'JobID');
  owned('Submissions', 'JobID');
  owned('ScalingEvents', 'JobID');
  owned('PeriodicLaunches', 'ID');
  owned('Deployments', 'JobID');
  owned('Allocations', 'JobID');
  for (const [i, a] of s.Allocations.entries()) {
    const job = a.Job as Job;
    if (job.ID !== a.JobID || job.Namespace !== a.Namespace) fail(`Allocations[${i}].Job`, `is job ${JSON.stringify(job.ID)} in namespace ${JSON.stringify(job.Namespace)}, not the alloc's JobID and Namespace`);
    if (!job.TaskGroups.some((tg) => tg.Name === a.TaskGroup)) fail(`Allocations[${i}].TaskGroup`, `no group ${JSON.stringify(a.TaskGroup)} in the alloc's Job`);
    // No rule on NodeID: allocs outlive their node's deregistration or GC, as in Nomad (they are lost).
  }

  // Every job reads as its newest version and has a summary; derive what a document leaves out.
  const newest = new Map<string, number>();
  for (const v of s.Versions) {
    const k = jobKey(v.Namespace, v.ID);
    newest.set(k, Math.max(newest.get(k) ?? -1, v.Version));
  }
  const summaries = new Set(s.Summaries.map(byJob));
  const versions = [...s.Versions];
  const derived: Obj[] = [];
  for (const [i, j] of s.Jobs.entries()) {
    const k = jobKey(j.Namespace, j.ID);
    const top = newest.get(k);
    if (top === undefined) versions.push(j);
    else if (top !== j.Version) fail(`Jobs[${i}].Version`, `${j.Version} is not the newest of the job's Versions (${top})`);
    if (!summaries.has(k)) derived.push(deriveSummary(s, j));
  }
  if (versions.length === s.Versions.length && derived.length === 0) return s;
  return { ...s, Versions: versions, Summaries: [...s.Summaries, ...derived] };
}

const BIN: Record<string, string> = { running: 'Running', failed: 'Failed', pending: 'Starting', complete: 'Complete', lost: 'Lost', unknown: 'Unknown' };
const CHILD: Record<string, string> = { pending: 'Pending', running: 'Running', dead: 'Dead' };

/** A job summary recounted from the allocs and child jobs, as Nomad's ReconcileJobSummaries does. */
function deriveSummary(s: Snapshot, job: Job): Obj {
  const groups: Obj = {};
  for (const tg of job.TaskGroups) groups[tg.Name] = emptyGroupSummary();
  for (const a of s.Allocations) {
    if (a.Namespace !== job.Namespace || a.JobID !== job.ID || a.Job.CreateIndex !== job.CreateIndex) continue;
    const row = groups[a.TaskGroup];
    const bin = BIN[a.ClientStatus];
    if (row && bin) row[bin]++;
  }
  const children: Obj = { Pending: 0, Running: 0, Dead: 0 };
  for (const c of s.Jobs) if (c.Namespace === job.Namespace && c.ParentID === job.ID) children[CHILD[c.Status]!]++;
  return { JobID: job.ID, Namespace: job.Namespace, Summary: groups, Children: children, CreateIndex: job.CreateIndex, ModifyIndex: job.ModifyIndex };
}

function index<T extends Obj>(map: Map<string, Set<string>>, o: T): void {
  const key = jobKey(o.Namespace, o.JobID);
  let ids = map.get(key);
  if (!ids) map.set(key, (ids = new IdSet()));
  ids.add(o.ID);
}

/**
 * Replaces the whole state with a checked snapshot in one step, indexes as given, and wakes every
 * blocked reader. Callers choose the indexes (see MockControl.restore).
 */
export function restoreSnapshot(store: Store, snap: Snapshot): void {
  for (const m of [store.namespaces, store.nodePools, store.nodes, store.jobs, store.versions, store.summaries, store.submissions, store.evals, store.allocs, store.deployments, store.scalingEvents, store.periodicLaunches, store.evalsByJob, store.allocsByJob, store.deploymentsByJob, store.nodeUsage]) {
    (m as Map<string, unknown>).clear();
  }
  for (const n of snap.Namespaces) store.namespaces.set(n.Name, n);
  for (const p of snap.NodePools) store.nodePools.set(p.Name, p);
  for (const n of snap.Nodes) store.nodes.set(n.ID, upgradedNode(n));
  // Rows read back from JSON share nothing; equal parts are shared as live writes share them.
  for (const j of snap.Jobs) {
    shareJobParts(j);
    store.jobs.set(jobKey(j.Namespace, j.ID), j);
  }
  for (const v of snap.Versions) {
    shareJobParts(v);
    const key = jobKey(v.Namespace, v.ID);
    const list = store.versions.get(key) ?? [];
    list.push(v);
    store.versions.set(key, list);
  }
  for (const list of store.versions.values()) list.sort((a, b) => b.Version - a.Version);
  for (const s of snap.Summaries) {
    shareSummaryParts(s);
    store.summaries.set(jobKey(s.Namespace, s.JobID), s);
  }
  for (const sub of snap.Submissions) {
    const key = jobKey(sub.Namespace, sub.JobID);
    const m = store.submissions.get(key) ?? new Map<number, Obj>();
    m.set(sub.Version, sub);
    store.submissions.set(key, m);
  }
  for (const e of snap.Evaluations) {
    shareEvalParts(e);
    store.evals.set(e.ID, e);
    index(store.evalsByJob, e);
  }
  for (const a of snap.Allocations) {
    shareAllocParts(a);
    store.allocs.set(a.ID, a);
    index(store.allocsByJob, a);
    trackUsage(store.nodeUsage, undefined, a);
  }
  for (const d of snap.Deployments) {
    store.deployments.set(d.ID, d);
    index(store.deploymentsByJob, d);
  }
  for (const r of snap.ScalingEvents) store.scalingEvents.set(jobKey(r.Namespace, r.JobID), r.Record);
  for (const p of snap.PeriodicLaunches) store.periodicLaunches.set(jobKey(p.Namespace, p.ID), p);
  for (const [name, part] of parts) part.load(store, snap.Parts?.[name]);
  store.resetIndexes(snap.Index, Object.entries(snap.TableIndexes));
  store.replacements++;
  store.watch.notifyAll();
}
