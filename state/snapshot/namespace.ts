// One namespace back to what a snapshot holds for it (POST /_mock/reset with a Namespace): a write
// in the running world, so it takes the next index and touches only the tables a namespace lives in;
// every other namespace, the nodes and the ACL tables stay as they are.
import type { Evaluation, Job, Obj } from '../types.js';
import { jobKey, type Store, type Txn } from '../store.js';
import type { Table } from '../watch.js';
import { trackUsage } from '../nodes/usage.js';
import { snapshotParts, type Snapshot } from './snapshot.js';
import { IdSet } from '../id-set.js';

/** The tables whose rows belong to a namespace. */
export const NAMESPACED_TABLES: readonly Table[] = ['namespaces', 'jobs', 'job_version', 'job_summary', 'job_submission', 'evals', 'allocs', 'deployment', 'scaling_event', 'periodic_launch'];

const splitKey = (key: string): string => key.slice(0, key.indexOf('\u0000'));

function dropFrom<T>(map: Map<string, T>, ns: string, nsOf: (key: string, v: T) => string): void {
  for (const [k, v] of map) if (nsOf(k, v) === ns) map.delete(k);
}

function indexByJob(map: Map<string, Set<string>>, o: Obj, add: boolean): void {
  const key = jobKey(o.Namespace, o.JobID);
  const ids = map.get(key);
  if (add) {
    if (ids) ids.add(o.ID);
    else map.set(key, new IdSet([o.ID]));
  } else if (ids) {
    ids.delete(o.ID);
    if (ids.size === 0) map.delete(key);
  }
}

/**
 * Replaces namespace `ns` (its namespace record and every row it holds) with `from`'s rows for it,
 * inside the caller's write. A namespace `from` does not hold is deleted with its rows.
 */
export function replaceNamespace(store: Store, tx: Txn, ns: string, from: Snapshot): void {
  const byKey = (_k: string, v: Obj): string => v.Namespace;
  const keyNs = (k: string): string => splitKey(k);
  for (const e of [...store.evals.values()]) {
    if (e.Namespace !== ns) continue;
    store.evals.delete(e.ID);
    indexByJob(store.evalsByJob, e, false);
  }
  for (const a of [...store.allocs.values()]) {
    if (a.Namespace !== ns) continue;
    store.allocs.delete(a.ID);
    indexByJob(store.allocsByJob, a, false);
    trackUsage(store.nodeUsage, a, undefined);
  }
  for (const d of [...store.deployments.values()]) {
    if (d.Namespace !== ns) continue;
    store.deployments.delete(d.ID);
    indexByJob(store.deploymentsByJob, d, false);
  }
  dropFrom(store.jobs, ns, byKey);
  dropFrom(store.versions, ns, keyNs);
  dropFrom(store.summaries, ns, keyNs);
  dropFrom(store.submissions, ns, keyNs);
  dropFrom(store.scalingEvents, ns, keyNs);
  dropFrom(store.periodicLaunches, ns, keyNs);
  store.namespaces.delete(ns);

  const mine = <T extends Obj>(xs: readonly T[]): T[] => xs.filter((x) => x.Namespace === ns);
  const nsRecord = from.Namespaces.find((n) => n.Name === ns);
  if (nsRecord) store.namespaces.set(ns, nsRecord);
  for (const j of mine<Job>(from.Jobs)) store.jobs.set(jobKey(j.Namespace, j.ID), j);
  for (const v of mine<Job>(from.Versions)) {
    const key = jobKey(v.Namespace, v.ID);
    const list = store.versions.get(key);
    if (list) list.push(v);
    else store.versions.set(key, [v]);
  }
  for (const [k, list] of store.versions) if (keyNs(k) === ns) list.sort((a, b) => b.Version - a.Version);
  for (const s of mine(from.Summaries)) store.summaries.set(jobKey(s.Namespace, s.JobID), s);
  for (const sub of mine(from.Submissions)) {
    const key = jobKey(sub.Namespace, sub.JobID);
    let m = store.submissions.get(key);
    if (!m) store.submissions.set(key, (m = new Map()));
    m.set(sub.Version, sub);
  }
  for (const e of mine<Evaluation>(from.Evaluations)) {
    store.evals.set(e.ID, e);
    indexByJob(store.evalsByJob, e, true);
  }
  for (const a of mine(from.Allocations)) {
    store.allocs.set(a.ID, a);
    indexByJob(store.allocsByJob, a, true);
    trackUsage(store.nodeUsage, undefined, a);
  }
  for (const d of mine(from.Deployments)) {
    store.deployments.set(d.ID, d);
    indexByJob(store.deploymentsByJob, d, true);
  }
  for (const r of from.ScalingEvents) if (r.Namespace === ns) store.scalingEvents.set(jobKey(r.Namespace, r.JobID), r.Record);
  for (const p of mine(from.PeriodicLaunches)) store.periodicLaunches.set(jobKey(p.Namespace, p.ID), p);
  tx.touch(...NAMESPACED_TABLES);
  // Parts with namespaced rows (variables, scaling policies, service registrations) follow.
  for (const [name, part] of snapshotParts()) {
    if (!part.replaceNamespace) continue;
    part.load(store, part.replaceNamespace(store, part.save(store), from.Parts[name], ns));
    tx.touch(...(part.tables ?? []));
  }
}
