// The state as the log sees it: each Store table as key → record (the keys the Store uses), the
// registered snapshot parts in their save() form, and the indexes. Recovery builds one from a
// checkpoint (or a legacy state.json), replays log records over it, and turns it into a snapshot
// document that goes through the same checks and loader as /_mock/restore.
import type { Evaluation, Job, Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { SNAPSHOT_FORMAT, snapshotParts, splitKey, type Snapshot } from '../../state/snapshot/snapshot.js';
import { RefError, type Change, type RefReader, type RefWriter } from './refs.js';

export type { Change } from './refs.js';

/**
 * The format of log and checkpoint records, carried by the first record of each file as `v`.
 * 1 (no `v`): every change holds its row whole. 2: changes may refer to objects written earlier in
 * the same file (refs.ts). A reader of format 2 reads both; a newer format stops start-up.
 */
export const LOG_FORMAT = 2;

/** The Store's tables by field name; secondary indexes are rebuilt on load, never logged. */
export const LOGGED_TABLES = ['namespaces', 'nodePools', 'nodes', 'jobs', 'versions', 'summaries', 'submissions', 'evals', 'allocs', 'deployments', 'scalingEvents', 'periodicLaunches'] as const;
export type LoggedTable = (typeof LOGGED_TABLES)[number];
const LOGGED = new Set<string>(LOGGED_TABLES);
export const isLoggedTable = (t: string): t is LoggedTable => LOGGED.has(t);

/**
 * A log or checkpoint record. `full` starts from nothing (a whole-state record, a checkpoint's
 * header); `i` and `ti` are the global and per-table indexes after the write(s) it holds.
 */
export interface LogRecord {
  /** The format (first record of a file; absent: 1). */
  v?: number;
  full?: boolean;
  i?: number;
  ti?: Record<string, number>;
  c?: Change[];
  p?: Record<string, unknown>;
  end?: boolean;
}

export interface Image {
  index: number;
  tableIndexes: Map<string, number>;
  tables: Map<string, Map<string, unknown>>;
  parts: Map<string, unknown>;
}

export function emptyImage(): Image {
  return { index: 0, tableIndexes: new Map(), tables: new Map(LOGGED_TABLES.map((t) => [t, new Map()])), parts: new Map() };
}

/** The stored value of a table row as it is written to disk (a job's submissions map becomes a list). */
export function diskValue(table: string, value: unknown): unknown {
  return table === 'submissions' ? [...(value as Map<number, Obj>).values()] : value;
}

export function storeTable(store: Store, table: LoggedTable): Map<string, unknown> {
  return store[table] as Map<string, unknown>;
}

/** The record a write left in `store` for `key`: its value (objects the file holds by reference), or a deletion. */
export function changeOf(store: Store, table: LoggedTable, key: string, refs: RefWriter): Change {
  const map = storeTable(store, table);
  const v = map.get(key);
  if (v !== undefined || map.has(key)) return refs.change(table, key, diskValue(table, v));
  refs.deleted(table, key);
  return [table, key];
}

/** `v` on the first record of a file. */
function format(refs: RefWriter): { v?: number } {
  if (!refs.fresh) return {};
  refs.fresh = false;
  return { v: LOG_FORMAT };
}

export function savePart(store: Store, name: string): unknown {
  return snapshotParts().get(name)?.save(store);
}

/** The records the writes since the last append left, whole, with the indexes they moved. */
export function changesRecord(store: Store, dirty: Map<string, Set<string>>, touched: Set<string>, partOfTable: Map<string, string[]>, refs: RefWriter): LogRecord {
  const c: Change[] = [];
  for (const [table, keys] of dirty) {
    if (!isLoggedTable(table)) continue;
    for (const k of keys) c.push(changeOf(store, table, k, refs));
  }
  const ti: Record<string, number> = {};
  let p: Record<string, unknown> | undefined;
  for (const t of touched) {
    ti[t] = store.tableIndex(t);
    for (const name of partOfTable.get(t) ?? []) (p ??= {})[name] = savePart(store, name);
  }
  return { ...format(refs), i: store.index, ti, c, ...(p ? { p } : {}) };
}

/** The whole state as one record (restore, reset, a fresh data dir, a failed append). */
export function fullRecord(store: Store, refs: RefWriter): LogRecord {
  refs.startFull();
  const c: Change[] = [];
  for (const t of LOGGED_TABLES) for (const [k, v] of storeTable(store, t)) c.push(refs.change(t, k, diskValue(t, v)));
  const p: Record<string, unknown> = {};
  for (const name of snapshotParts().keys()) p[name] = savePart(store, name);
  return { ...format(refs), full: true, i: store.index, ti: Object.fromEntries(store.tableIndexEntries()), c, p };
}

export class ImageError extends Error {}

/**
 * Applies one record of a file; `refs` holds the objects that file numbered so far. Throws
 * ImageError on a record that is not one the log writes.
 */
export function apply(img: Image, rec: unknown, refs: RefReader): Image {
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) throw new ImageError('a record is not a JSON object');
  const r = rec as LogRecord;
  if (r.v !== undefined && r.v !== 1 && r.v !== LOG_FORMAT) throw new ImageError(`it is in record format ${JSON.stringify(r.v)}, which this version does not read (it reads formats 1 and ${LOG_FORMAT}): it was written by a newer nomad-mock`);
  if (r.full) img = emptyImage();
  if (r.i !== undefined) {
    if (!Number.isSafeInteger(r.i) || r.i < 0) throw new ImageError(`a record has an invalid index ${JSON.stringify(r.i)}`);
    img.index = r.i;
  }
  for (const [t, v] of Object.entries(r.ti ?? {})) {
    if (!Number.isSafeInteger(v)) throw new ImageError(`a record has an invalid index for table ${t}`);
    img.tableIndexes.set(t, v);
  }
  for (const c of r.c ?? []) {
    if (!Array.isArray(c) || typeof c[0] !== 'string' || typeof c[1] !== 'string' || !isLoggedTable(c[0])) throw new ImageError(`a record holds an unknown change ${JSON.stringify(c).slice(0, 80)}`);
    const m = img.tables.get(c[0])!;
    if (c.length === 3) m.set(c[1], c[2]);
    else if (c.length === 4 || c.length === 5) {
      try {
        m.set(c[1], c.length === 5 ? refs.value(c[2], c[3], m.get(c[1]) ?? null, c[4]) : refs.value(c[2], c[3]));
      } catch (err) {
        if (err instanceof RefError) throw new ImageError(err.message);
        throw err;
      }
    } else if (c.length === 2) m.delete(c[1]);
    else throw new ImageError(`a record holds a change of ${(c as unknown[]).length} fields`);
  }
  for (const [name, data] of Object.entries(r.p ?? {})) img.parts.set(name, data);
  return img;
}

const values = <T>(img: Image, t: LoggedTable): T[] => [...img.tables.get(t)!.values()] as T[];

/** The image as a snapshot document (not yet checked). */
export function toSnapshot(img: Image): Snapshot {
  return {
    Format: SNAPSHOT_FORMAT,
    Index: img.index,
    TableIndexes: Object.fromEntries(img.tableIndexes),
    Namespaces: values(img, 'namespaces'),
    NodePools: values(img, 'nodePools'),
    Nodes: values(img, 'nodes'),
    Jobs: values<Job>(img, 'jobs'),
    Versions: values<Job[]>(img, 'versions').flat(),
    Summaries: values(img, 'summaries'),
    Submissions: values<Obj[]>(img, 'submissions').flat(),
    Evaluations: values<Evaluation>(img, 'evals'),
    Allocations: values(img, 'allocs'),
    Deployments: values(img, 'deployments'),
    ScalingEvents: [...img.tables.get('scalingEvents')!.entries()].map(([k, r]) => ({ Namespace: splitKey(k)[0], JobID: splitKey(k)[1], Record: r as Obj })),
    PeriodicLaunches: values(img, 'periodicLaunches'),
    Parts: Object.fromEntries(img.parts),
  };
}

/** A checked snapshot document (a legacy state.json) as an image, keyed as the Store keys it. */
export function fromSnapshot(s: Snapshot): Image {
  const img = emptyImage();
  img.index = s.Index;
  for (const [t, v] of Object.entries(s.TableIndexes)) img.tableIndexes.set(t, v);
  const put = (t: LoggedTable, k: string, v: unknown): void => void img.tables.get(t)!.set(k, v);
  for (const n of s.Namespaces) put('namespaces', n.Name, n);
  for (const p of s.NodePools) put('nodePools', p.Name, p);
  for (const n of s.Nodes) put('nodes', n.ID, n);
  for (const j of s.Jobs) put('jobs', jobKey(j.Namespace, j.ID), j);
  const versions = img.tables.get('versions') as Map<string, Job[]>;
  for (const v of s.Versions) {
    const k = jobKey(v.Namespace, v.ID);
    versions.set(k, [...(versions.get(k) ?? []), v].sort((a, b) => b.Version - a.Version));
  }
  for (const x of s.Summaries) put('summaries', jobKey(x.Namespace, x.JobID), x);
  const subs = img.tables.get('submissions') as Map<string, Obj[]>;
  for (const x of s.Submissions) {
    const k = jobKey(x.Namespace, x.JobID);
    subs.set(k, [...(subs.get(k) ?? []), x]);
  }
  for (const e of s.Evaluations) put('evals', e.ID, e);
  for (const a of s.Allocations) put('allocs', a.ID, a);
  for (const d of s.Deployments) put('deployments', d.ID, d);
  for (const r of s.ScalingEvents) put('scalingEvents', jobKey(r.Namespace, r.JobID), r.Record);
  for (const p of s.PeriodicLaunches) put('periodicLaunches', jobKey(p.Namespace, p.ID), p);
  for (const [name, data] of Object.entries(s.Parts ?? {})) img.parts.set(name, data);
  return img;
}
