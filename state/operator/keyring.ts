// The root keyring (nomad/keyring_endpoint.go, table root_keys): key metadata only, since the mock
// encrypts nothing. One active key exists from the start; rotate makes a new one active and the old
// one inactive in the same write; only inactive keys may be deleted.
import { Type } from '@sinclair/typebox';
import type { Store } from '../store.js';
import { RpcError } from '../errors.js';
import { registerSnapshotPart } from '../snapshot/snapshot.js';
import { SchemaTypes as S } from '../snapshot/schema.js';

export interface RootKeyMeta {
  KeyID: string;
  Algorithm: string;
  CreateTime: number;
  CreateIndex: number;
  ModifyIndex: number;
  State: string;
  PublishTime: number;
}

const ALGORITHM = 'aes256-gcm';
const keyrings = new WeakMap<Store, Map<string, RootKeyMeta>>();

/** The keys; the first read creates the initial active key (at the bootstrap index, like the other leader defaults). */
function keys(store: Store): Map<string, RootKeyMeta> {
  let k = keyrings.get(store);
  if (!k) {
    const key: RootKeyMeta = { KeyID: store.newId(), Algorithm: ALGORITHM, CreateTime: store.nowNs(), CreateIndex: 1, ModifyIndex: 1, State: 'active', PublishTime: 0 };
    k = new Map([[key.KeyID, key]]);
    keyrings.set(store, k);
  }
  return k;
}

/** The active key's ID: the key the servers sign with (an allocation's SigningKeyID, a node's IdentitySigningKeyID). */
export function activeRootKeyId(store: Store): string {
  for (const k of keys(store).values()) if (k.State === 'active') return k.KeyID;
  return '';
}

/** Keyring.List: every key's metadata, in KeyID order (the table's id index). */
export function listRootKeys(store: Store): RootKeyMeta[] {
  return [...keys(store).values()].sort((a, b) => (a.KeyID < b.KeyID ? -1 : a.KeyID > b.KeyID ? 1 : 0));
}

/** The index Keyring.List reports: the root_keys table, else the newest key's. */
export function rootKeysIndex(store: Store): number {
  let max = store.tableIndex('root_keys');
  for (const k of keys(store).values()) max = Math.max(max, k.ModifyIndex);
  return Math.max(1, max);
}

/** Keyring.Rotate: the answer carries the new key as it was before the write gave it indexes. */
export function rotateRootKey(store: Store): { Key: RootKeyMeta; Index: number } {
  const fresh: RootKeyMeta = { KeyID: store.newId(), Algorithm: ALGORITHM, CreateTime: store.nowNs(), CreateIndex: 0, ModifyIndex: 0, State: 'active', PublishTime: 0 };
  const index = store.write((tx) => {
    const k = keys(store);
    for (const [id, key] of k) if (key.State === 'active') k.set(id, { ...key, State: 'inactive', ModifyIndex: tx.index });
    k.set(fresh.KeyID, { ...fresh, CreateIndex: tx.index, ModifyIndex: tx.index });
    tx.touch('root_keys');
    return tx.index;
  });
  return { Key: fresh, Index: index };
}

/** Keyring.Delete: a missing key is no error (index 0); the active key is refused. */
export function deleteRootKey(store: Store, keyId: string): number {
  const key = keys(store).get(keyId);
  if (!key) return 0;
  if (key.State === 'active') throw new RpcError('active root key cannot be deleted - call rotate first');
  return store.write((tx) => {
    keys(store).delete(keyId);
    tx.touch('root_keys');
    return tx.index;
  });
}

registerSnapshotPart('keyring', {
  tables: ['root_keys'],
  schema: Type.Array(
    Type.Object({ KeyID: S.Str, Algorithm: S.Str, CreateTime: S.Num, CreateIndex: S.Idx, ModifyIndex: S.Idx, State: S.Str, PublishTime: S.Num }),
  ),
  save(store: Store): unknown {
    return listRootKeys(store);
  },
  load(store: Store, data: unknown): void {
    const list = (data ?? []) as RootKeyMeta[];
    if (list.length === 0) {
      // A document from before the keyring existed: a fresh keyring, as on a new cluster.
      keyrings.delete(store);
      return;
    }
    keyrings.set(store, new Map(list.map((k) => [k.KeyID, { ...k }])));
  },
});
