// Dynamic node metadata as a client keeps it (client/node_meta_endpoint.go, client.go setupNode):
// the node's Meta is its static meta (agent configuration) with the dynamic meta set through
// /v1/client/metadata merged in; a null dynamic value removes a static key. The client keeps both
// halves; only the merged Meta reaches the servers. Rows exist only for nodes whose meta was applied.
import { Type } from '@sinclair/typebox';
import { registerSnapshotPart } from '../snapshot/snapshot.js';
import type { Store, Txn } from '../store.js';
import type { Obj } from '../types.js';
import { badRequest } from '../errors.js';
import { goQuote } from '../format.js';
import { sortedMap } from './table.js';

export interface NodeMetaRow {
  Static: Record<string, string>;
  Dynamic: Record<string, string | null>;
}

/** NodeMetaResponse, fields in declaration order. */
export interface NodeMetaView {
  Meta: Record<string, string>;
  Dynamic: Record<string, string | null>;
  Static: Record<string, string>;
}

export const NODE_META_TABLE = 'node_meta';

const tables = new WeakMap<Store, Map<string, NodeMetaRow>>();

function rows(store: Store): Map<string, NodeMetaRow> {
  let t = tables.get(store);
  if (!t) tables.set(store, (t = new Map()));
  return t;
}

/** NodeMeta.Read: the merged meta the node carries, and the two halves the client keeps. */
export function nodeMetaView(store: Store, node: Obj): NodeMetaView {
  const row = rows(store).get(node.ID);
  const meta = sortedMap({ ...((node.Meta as Record<string, string> | null) ?? {}) });
  return { Meta: meta, Dynamic: sortedMap({ ...row?.Dynamic }), Static: row ? sortedMap({ ...row.Static }) : meta };
}

/** hclsyntax.ValidIdentifier: a letter or underscore, then letters, digits, underscores or dashes. */
const IDENTIFIER = /^[\p{ID_Start}_][\p{ID_Continue}-]*$/u;

/** NodeMetaApplyRequest.Validate. */
export function validateNodeMeta(meta: Record<string, string | null> | null | undefined): void {
  const keys = Object.keys(meta ?? {});
  if (keys.length === 0) throw badRequest('missing required Meta object');
  for (const k of keys) {
    if (k === '') throw badRequest('metadata keys must not be empty');
    if (!k.split('.').every((part) => IDENTIFIER.test(part))) {
      throw badRequest(`${goQuote(k)} is invalid; metadata keys must be valid dotted hcl identifiers`);
    }
  }
}

/**
 * The client's half of NodeMeta.Apply inside a write (`node` as it was before): the dynamic meta takes the request (a null
 * for a key that is not static is forgotten rather than kept as a tombstone). Returns the row.
 */
export function putDynamicMeta(store: Store, tx: Txn, node: Obj, meta: Record<string, string | null>): NodeMetaRow {
  const t = rows(store);
  const prev = t.get(node.ID);
  const Static = prev?.Static ?? { ...((node.Meta as Record<string, string> | null) ?? {}) };
  const dynamic = new Map(Object.entries(prev?.Dynamic ?? {}));
  for (const [k, v] of Object.entries(meta)) {
    if (v === null && !Object.hasOwn(Static, k)) dynamic.delete(k);
    else dynamic.set(k, v);
  }
  const row = { Static, Dynamic: Object.fromEntries(dynamic) };
  t.set(node.ID, row);
  tx.touch(NODE_META_TABLE);
  return row;
}

/**
 * A string map with a change applied (a null value removes the key). Built from entries, never by
 * assignment, so a key such as `__proto__` stays an ordinary key.
 */
export function changedMap(base: Record<string, string> | null | undefined, change: Record<string, string | null>): Record<string, string> {
  const m = new Map(Object.entries(base ?? {}));
  for (const [k, v] of Object.entries(change)) {
    if (v === null) m.delete(k);
    else m.set(k, v);
  }
  return Object.fromEntries(m);
}

/** A change of the node's configured meta (control API) changes the static half the client keeps. */
export function changeStaticMeta(store: Store, tx: Txn, nodeId: string, meta: Record<string, string | null>): void {
  const t = rows(store);
  const prev = t.get(nodeId);
  if (!prev) return;
  const Static = changedMap(prev.Static, meta);
  t.set(nodeId, { ...prev, Static });
  tx.touch(NODE_META_TABLE);
}

/** A deregistered node's client state goes with it. */
export function dropNodeMeta(store: Store, tx: Txn, nodeId: string): void {
  if (rows(store).delete(nodeId)) tx.touch(NODE_META_TABLE);
}

const StrMap = Type.Record(Type.String(), Type.String());

registerSnapshotPart('node_meta', {
  schema: Type.Array(
    Type.Object({
      NodeID: Type.String(),
      Static: StrMap,
      Dynamic: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
    }),
  ),
  tables: [NODE_META_TABLE],
  save(store: Store): unknown {
    return [...rows(store)].map(([NodeID, row]) => ({ NodeID, Static: row.Static, Dynamic: row.Dynamic }));
  },
  load(store: Store, data: unknown): void {
    const t = new Map<string, NodeMetaRow>();
    // A document without the part: no node has dynamic meta.
    if (Array.isArray(data)) for (const r of data as Obj[]) t.set(r.NodeID, { Static: r.Static, Dynamic: r.Dynamic });
    tables.set(store, t);
  },
});
