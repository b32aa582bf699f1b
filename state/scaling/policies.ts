// The scaling_policy table (nomad/state/state_store.go updateJobScalingPolicies and
// UpsertScalingPoliciesTxn): one policy per group `scaling` block, written with the job. The ID is
// the job's own (Job.Register's propagateScalingPolicyIDs keeps it per group and type while the
// block exists); CreateIndex stays, ModifyIndex moves only when the block changed; the policy goes
// with the block or the job (purge, GC).
import { Type } from '@sinclair/typebox';
import { registerSnapshotPart } from '../snapshot/snapshot.js';
import { SchemaTypes as S } from '../snapshot/schema.js';
import { jobKey, type Store, type Txn } from '../store.js';
import type { Job, Obj } from '../types.js';

const tables = new WeakMap<Store, Map<string, Obj>>();

/** Every stored policy by ID. */
export function scalingPolicies(store: Store): Map<string, Obj> {
  let t = tables.get(store);
  if (!t) tables.set(store, (t = new Map()));
  return t;
}

/** JSON with sorted object keys: Go's reflect.DeepEqual ignores map order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Obj;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** ScalingPolicy.Diff: everything but ID and the indexes. */
const sameBlock = (a: Obj, b: Obj): boolean =>
  canonical({ ...a, ID: '', CreateIndex: 0, ModifyIndex: 0 }) === canonical({ ...b, ID: '', CreateIndex: 0, ModifyIndex: 0 });

const jobKeyOf = (p: Obj): string => `${p.Target?.Group ?? ''}\u0000${p.Target?.Task ?? ''}\u0000${p.Type}`;

/** Secondary index: policy IDs per job (memdb's `target` prefix lookups), rebuilt on load. */
const byJob = new WeakMap<Store, Map<string, Set<string>>>();
// The job's row key (store.ts): every register asks whether its job has policies, and the key it
// already made for its rows costs no new string to build and hash.
const jobIndexKey = jobKey;

function jobIndex(store: Store): Map<string, Set<string>> {
  let m = byJob.get(store);
  if (!m) {
    m = new Map();
    for (const p of scalingPolicies(store).values()) indexPolicy(m, p);
    byJob.set(store, m);
  }
  return m;
}

function indexPolicy(m: Map<string, Set<string>>, p: Obj): void {
  const k = jobIndexKey(p.Target?.Namespace ?? '', p.Target?.Job ?? '');
  let ids = m.get(k);
  if (!ids) m.set(k, (ids = new Set()));
  ids.add(p.ID);
}

function unindexPolicy(store: Store, p: Obj): void {
  const m = jobIndex(store);
  const k = jobIndexKey(p.Target?.Namespace ?? '', p.Target?.Job ?? '');
  const ids = m.get(k);
  if (!ids) return;
  ids.delete(p.ID);
  if (ids.size === 0) m.delete(k);
}

function putPolicy(store: Store, p: Obj): void {
  scalingPolicies(store).set(p.ID, p);
  indexPolicy(jobIndex(store), p);
}

function removePolicy(store: Store, p: Obj): void {
  scalingPolicies(store).delete(p.ID);
  unindexPolicy(store, p);
}

function policiesOfJob(store: Store, namespace: string, jobId: string): Obj[] {
  const table = scalingPolicies(store);
  const out: Obj[] = [];
  for (const id of jobIndex(store).get(jobIndexKey(namespace, jobId)) ?? []) {
    const p = table.get(id);
    if (p) out.push(p);
  }
  return out;
}

/**
 * Inside the job's register write, before the job row is stored: gives each group's block its ID
 * (the previous version's for the same group and type, else a new one), upserts the changed
 * policies and drops those whose block is gone. Returns the job's groups with the IDs set; a group
 * whose policy was written carries that write's indexes, an unchanged one zeros, as Nomad's job does.
 */
export function syncJobPolicies(store: Store, tx: Txn, job: Job, previous: Job | undefined): Job['TaskGroups'] {
  // Most jobs have no scaling block and no policy: nothing to give an ID, nothing to drop.
  if (!job.TaskGroups.some((tg) => tg.Scaling) && !jobIndex(store).has(jobIndexKey(job.Namespace, job.ID))) return job.TaskGroups;
  const oldIds = new Map<string, string>();
  for (const tg of previous?.TaskGroups ?? []) if (tg.Scaling?.ID) oldIds.set(jobKeyOf(tg.Scaling), tg.Scaling.ID);
  const existing = new Map<string, Obj>();
  for (const p of policiesOfJob(store, job.Namespace, job.ID)) existing.set(jobKeyOf(p), p);

  let changed = false;
  const keep = new Set<string>();
  const groups = job.TaskGroups.map((tg) => {
    if (!tg.Scaling) return tg;
    const block = tg.Scaling as Obj;
    const key = jobKeyOf(block);
    keep.add(key);
    const id = oldIds.get(key) ?? existing.get(key)?.ID ?? store.newId();
    const cur = existing.get(key);
    if (cur && sameBlock(cur, block)) return block.ID === id && !block.CreateIndex && !block.ModifyIndex ? tg : { ...tg, Scaling: { ...block, ID: id, CreateIndex: 0, ModifyIndex: 0 } };
    const policy = { ...block, ID: id, CreateIndex: cur ? cur.CreateIndex : tx.index, ModifyIndex: tx.index };
    if (cur) removePolicy(store, cur);
    putPolicy(store, policy);
    changed = true;
    return { ...tg, Scaling: policy };
  });
  for (const [key, p] of existing) {
    if (keep.has(key)) continue;
    removePolicy(store, p);
    changed = true;
  }
  if (changed) tx.touch('scaling_policy');
  return groups;
}

/** DeleteJob: the job's policies go with it. */
export function dropJobPolicies(store: Store, tx: Txn, namespace: string, jobId: string): void {
  let changed = false;
  for (const p of policiesOfJob(store, namespace, jobId)) {
    removePolicy(store, p);
    changed = true;
  }
  if (changed) tx.touch('scaling_policy');
}

/** ScalingPolicy.Stub: the list form. */
export const policyStub = (p: Obj): Obj => ({ ID: p.ID, Enabled: p.Enabled, Type: p.Type, Target: p.Target, CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex });

const targetKey = (p: Obj): string => `${p.Target?.Namespace ?? ''}\u0000${p.Target?.Job ?? ''}\u0000${p.Target?.Group ?? ''}\u0000${p.Target?.Task ?? ''}`;

export interface PolicyQuery {
  namespace: string;
  job: string;
  type: string;
  prefix: string;
  /** Namespaces the caller may list (null: all). */
  allowed: ((ns: string) => boolean) | null;
}

/**
 * Scaling.ListPolicies: by ID prefix, else by job, else by namespace (type as a prefix), in the
 * memdb index order each lookup walks; `*` walks the ID index and filters by the caller's namespaces.
 */
export function listPolicies(store: Store, q: PolicyQuery): Obj[] {
  const all = [...scalingPolicies(store).values()];
  if (q.namespace === '*') {
    return all
      .filter((p) => (q.type === '' || String(p.Type).startsWith(q.type)) && (!q.allowed || q.allowed(p.Target?.Namespace)) && String(p.ID).startsWith(q.prefix))
      .sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0))
      .map(policyStub);
  }
  let rows: Obj[];
  if (q.prefix !== '') {
    rows = all.filter((p) => p.Target?.Namespace === q.namespace && String(p.ID).startsWith(q.prefix)).sort((a, b) => (a.ID < b.ID ? -1 : 1));
  } else {
    rows = all
      .filter((p) => p.Target?.Namespace === q.namespace && (q.job === '' || p.Target?.Job === q.job) && (q.type === '' || String(p.Type).startsWith(q.type)))
      .sort((a, b) => (targetKey(a) < targetKey(b) ? -1 : targetKey(a) > targetKey(b) ? 1 : 0));
  }
  return rows.map(policyStub);
}

/** Policies whose ID starts with `prefix` in `namespace` (`*`: all), sorted by ID: the search context. */
export function policiesByIdPrefix(store: Store, namespace: string, prefix: string): Obj[] {
  return [...scalingPolicies(store).values()]
    .filter((p) => (namespace === '*' || p.Target?.Namespace === namespace) && String(p.ID).startsWith(prefix))
    .sort((a, b) => (a.ID < b.ID ? -1 : 1));
}

registerSnapshotPart('scaling_policies', {
  schema: Type.Array(
    Type.Object({
      ID: S.Str,
      Type: S.Str,
      Target: Type.Record(Type.String(), Type.String()),
      Min: S.Num,
      Max: S.Num,
      Enabled: S.Bool,
      CreateIndex: S.Idx,
      ModifyIndex: S.Idx,
    }),
  ),
  tables: ['scaling_policy'],
  save(store: Store): unknown {
    return [...scalingPolicies(store).values()];
  },
  load(store: Store, data: unknown): void {
    const t = new Map<string, Obj>();
    if (Array.isArray(data)) {
      for (const p of data as Obj[]) t.set(p.ID, p);
    } else {
      // A document without the part (hand-written or older): the policies the jobs carry.
      for (const job of store.jobs.values()) {
        for (const tg of job.TaskGroups) {
          const s = tg.Scaling as Obj | null | undefined;
          if (!s) continue;
          const id = s.ID || store.newId();
          t.set(id, { ...s, ID: id, CreateIndex: s.CreateIndex || job.CreateIndex, ModifyIndex: s.ModifyIndex || job.JobModifyIndex || job.ModifyIndex });
        }
      }
    }
    tables.set(store, t);
    byJob.delete(store);
  },
  replaceNamespace(_store: Store, current: unknown, initial: unknown, ns: string): unknown {
    const rows = (d: unknown): Obj[] => (Array.isArray(d) ? (d as Obj[]) : []);
    return [...rows(current).filter((p) => p.Target?.Namespace !== ns), ...rows(initial).filter((p) => p.Target?.Namespace === ns)];
  },
});
