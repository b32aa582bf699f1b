// The whole state as one JSON document, and back: the basis of /_mock/snapshot, /_mock/restore,
// reset and the data-dir persistence. Secondary indexes are rebuilt, never stored.
import type { Evaluation, Job, Obj } from './types.js';
import { jobKey, TABLES, type Store } from './store.js';
import { trackUsage } from './node-usage.js';

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
}

const parts = new Map<string, SnapshotPart>();

/** Lets a module outside the core tables (ACL) ride along in snapshots. */
export function registerSnapshotPart(name: string, part: SnapshotPart): void {
  parts.set(name, part);
}

const splitKey = (key: string): [string, string] => {
  const i = key.indexOf('\u0000');
  return [key.slice(0, i), key.slice(i + 1)];
};

export function takeSnapshot(store: Store): Snapshot {
  const saved: Record<string, unknown> = {};
  for (const [name, part] of parts) saved[name] = part.save(store);
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

const ARRAYS: (keyof Snapshot)[] = ['Namespaces', 'NodePools', 'Nodes', 'Jobs', 'Versions', 'Summaries', 'Submissions', 'Evaluations', 'Allocations', 'Deployments', 'ScalingEvents', 'PeriodicLaunches'];

/** Checks the shape well enough that a bad document is refused before anything is replaced. */
export function validateSnapshot(doc: unknown): Snapshot {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new SnapshotError('snapshot must be a JSON object');
  const s = doc as Snapshot;
  if (s.Format !== SNAPSHOT_FORMAT) throw new SnapshotError(`unsupported snapshot format ${JSON.stringify(s.Format)} (want ${JSON.stringify(SNAPSHOT_FORMAT)})`);
  if (!Number.isInteger(s.Index) || s.Index < 0) throw new SnapshotError('snapshot Index must be a non-negative integer');
  for (const k of ARRAYS) if (!Array.isArray(s[k])) throw new SnapshotError(`snapshot ${k} must be an array`);
  if (typeof s.TableIndexes !== 'object' || s.TableIndexes === null) throw new SnapshotError('snapshot TableIndexes must be an object');
  return s;
}

function index<T extends Obj>(map: Map<string, Set<string>>, o: T): void {
  const key = jobKey(o.Namespace, o.JobID);
  let ids = map.get(key);
  if (!ids) map.set(key, (ids = new Set()));
  ids.add(o.ID);
}

/** Replaces the whole state with a snapshot in one step and wakes every blocked reader. */
export function restoreSnapshot(store: Store, snap: Snapshot): void {
  for (const m of [store.namespaces, store.nodePools, store.nodes, store.jobs, store.versions, store.summaries, store.submissions, store.evals, store.allocs, store.deployments, store.scalingEvents, store.periodicLaunches, store.evalsByJob, store.allocsByJob, store.deploymentsByJob, store.nodeUsage]) {
    (m as Map<string, unknown>).clear();
  }
  for (const n of snap.Namespaces) store.namespaces.set(n.Name, n);
  for (const p of snap.NodePools) store.nodePools.set(p.Name, p);
  for (const n of snap.Nodes) store.nodes.set(n.ID, n);
  for (const j of snap.Jobs) store.jobs.set(jobKey(j.Namespace, j.ID), j);
  for (const v of snap.Versions) {
    const key = jobKey(v.Namespace, v.ID);
    const list = store.versions.get(key) ?? [];
    list.push(v);
    store.versions.set(key, list);
  }
  for (const list of store.versions.values()) list.sort((a, b) => b.Version - a.Version);
  for (const s of snap.Summaries) store.summaries.set(jobKey(s.Namespace, s.JobID), s);
  for (const sub of snap.Submissions) {
    const key = jobKey(sub.Namespace, sub.JobID);
    const m = store.submissions.get(key) ?? new Map<number, Obj>();
    m.set(sub.Version, sub);
    store.submissions.set(key, m);
  }
  for (const e of snap.Evaluations) {
    store.evals.set(e.ID, e);
    index(store.evalsByJob, e);
  }
  for (const a of snap.Allocations) {
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
  store.watch.notify(TABLES);
}
