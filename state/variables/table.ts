// The variables table (nomad/state/state_store_variables.go): one record per (namespace, path), its
// items kept in the clear (Nomad encrypts them at rest, which no client can observe), a lock when
// one is held. Kept per Store like the ACL tables; it rides along in snapshots as the `variables`
// part, and every write touches the `variables` table.
import { Type } from '@sinclair/typebox';
import { registerSnapshotPart } from '../snapshot/snapshot.js';
import { SchemaTypes as S } from '../snapshot/schema.js';
import { goDuration } from '../format.js';
import type { Store } from '../store.js';
import type { Obj } from '../types.js';

export const VARIABLES_TABLE = 'variables';

/** structs.VariableLock, durations in nanoseconds. */
export interface VariableLock {
  ID: string;
  TTL: number;
  LockDelay: number;
}

/** A stored variable (structs.VariableEncrypted with its items decrypted). Replaced, never mutated. */
export interface VariableRecord {
  Namespace: string;
  Path: string;
  Lock: VariableLock | null;
  CreateIndex: number;
  /** Unix nanoseconds. */
  CreateTime: number;
  ModifyIndex: number;
  ModifyTime: number;
  Items: Record<string, string>;
}

const tables = new WeakMap<Store, Map<string, VariableRecord>>();

export function variablesTable(store: Store): Map<string, VariableRecord> {
  let t = tables.get(store);
  if (!t) tables.set(store, (t = new Map()));
  return t;
}

export const variableKey = (namespace: string, path: string): string => `${namespace}\u0000${path}`;

export function getVariable(store: Store, namespace: string, path: string): VariableRecord | undefined {
  return variablesTable(store).get(variableKey(namespace, path));
}

/** The index reads of the table report (the table's last write). */
export const variablesIndex = (store: Store): number => store.tableIndex(VARIABLES_TABLE);

/** VariableLock's JSON: durations as Go duration strings, TTL and LockDelay before ID. */
export const lockView = (l: VariableLock): Obj => ({ TTL: goDuration(l.TTL), LockDelay: goDuration(l.LockDelay), ID: l.ID });

/** structs.VariableMetadata as JSON (`Lock` omitted when empty, or when the caller may not see it). */
export function metadataView(v: VariableRecord, withLock = true): Obj {
  const out: Obj = { Namespace: v.Namespace, Path: v.Path };
  if (v.Lock && withLock) out.Lock = lockView(v.Lock);
  out.CreateIndex = v.CreateIndex;
  out.CreateTime = v.CreateTime;
  out.ModifyIndex = v.ModifyIndex;
  out.ModifyTime = v.ModifyTime;
  return out;
}

/** structs.VariableDecrypted as JSON: the metadata plus `Items` (omitted when empty). */
export function decryptedView(v: VariableRecord, items: Record<string, string> | null, withLock = true): Obj {
  const out = metadataView(v, withLock);
  if (items && Object.keys(items).length > 0) out.Items = { ...items };
  return out;
}

/** Variables in memdb's `id` index order: by namespace, then path. */
export function sortedVariables(store: Store): VariableRecord[] {
  return [...variablesTable(store).values()].sort((a, b) =>
    a.Namespace !== b.Namespace ? (a.Namespace < b.Namespace ? -1 : 1) : a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0,
  );
}

/**
 * Paths of the variables in `namespace` (`*` for all) starting with `prefix`, in index order: the
 * query the search endpoint's `variables` context runs (ACL filtering is the caller's).
 */
export function variablePaths(store: Store, namespace: string, prefix: string): { Namespace: string; Path: string }[] {
  return sortedVariables(store)
    .filter((v) => (namespace === '*' || v.Namespace === namespace) && v.Path.startsWith(prefix))
    .map((v) => ({ Namespace: v.Namespace, Path: v.Path }));
}

const LockSchema = Type.Object({ ID: S.Str, TTL: S.Num, LockDelay: S.Num });

registerSnapshotPart('variables', {
  tables: [VARIABLES_TABLE],
  schema: Type.Object({
    Variables: Type.Array(
      Type.Object({
        Namespace: S.Str,
        Path: S.Str,
        Lock: S.Nullable(LockSchema),
        CreateIndex: S.Idx,
        CreateTime: S.Num,
        ModifyIndex: S.Idx,
        ModifyTime: S.Num,
        Items: Type.Record(Type.String(), Type.String()),
      }),
    ),
  }),
  save(store: Store): unknown {
    return { Variables: sortedVariables(store) };
  },
  load(store: Store, data: unknown): void {
    const d = (data ?? {}) as { Variables?: VariableRecord[] };
    const t = new Map<string, VariableRecord>();
    for (const v of d.Variables ?? []) t.set(variableKey(v.Namespace, v.Path), { ...v, Lock: v.Lock ? { ...v.Lock } : null, Items: { ...v.Items } });
    tables.set(store, t);
  },
  replaceNamespace(_store: Store, current: unknown, initial: unknown, ns: string): unknown {
    const rows = (d: unknown): VariableRecord[] => (d as { Variables?: VariableRecord[] } | undefined)?.Variables ?? [];
    return { Variables: [...rows(current).filter((v) => v.Namespace !== ns), ...rows(initial).filter((v) => v.Namespace === ns)] };
  },
});
