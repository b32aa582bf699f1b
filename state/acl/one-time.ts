// One-time tokens (ACL.UpsertOneTimeToken / ExchangeOneTimeToken): a short-lived secret a token
// holder hands out (the web UI's sign-in link), exchanged once for the token that made it.
import type { Store } from '../store.js';
import type { Obj } from '../types.js';
import { RpcError } from '../errors.js';
import { rfc3339 } from '../format.js';
import { tokenByAccessor, tokenBySecret } from './tables.js';
import { identityTables, liveToken, ONE_TIME_TABLE, type OneTimeRecord } from './identity-tables.js';

/** Nomad's fixed lifetime of a one-time token. */
export const ONE_TIME_TTL_NS = 10 * 60e9;

const denied = (): RpcError => new RpcError('Permission denied', 403);

export function oneTimeView(o: OneTimeRecord): Obj {
  return { OneTimeSecretID: o.OneTimeSecretID, AccessorID: o.AccessorID, ExpiresAt: rfc3339(o.ExpiresNs), CreateIndex: o.CreateIndex, ModifyIndex: o.ModifyIndex };
}

/** A one-time token for the caller's own token; no capability needed, only a token that exists. */
export function createOneTimeToken(store: Store, secret: string): { oneTime: OneTimeRecord; index: number } {
  const rec = secret === '' ? undefined : tokenBySecret(store, secret);
  if (!rec) throw denied();
  const t = identityTables(store);
  const now = store.nowNs();
  return store.write((tx) => {
    // Expired ones go with the next write (Nomad's core GC removes them), so spamming cannot pile them up.
    for (const [k, o] of t.oneTime) if (o.ExpiresNs < now) t.oneTime.delete(k);
    const oneTime: OneTimeRecord = { OneTimeSecretID: store.newId(), AccessorID: rec.view.AccessorID as string, ExpiresNs: now + ONE_TIME_TTL_NS, CreateIndex: tx.index, ModifyIndex: tx.index };
    t.oneTime.set(oneTime.OneTimeSecretID, oneTime);
    t.indexes[ONE_TIME_TABLE] = tx.index;
    tx.touch(ONE_TIME_TABLE);
    return { oneTime, index: tx.index };
  });
}

/**
 * The token behind a one-time secret; every one-time token of that accessor is spent by the
 * exchange. Unknown, expired, or a token deleted since: 403.
 */
export function exchangeOneTimeToken(store: Store, oneTimeSecret: string): { token: Obj; index: number } {
  const t = identityTables(store);
  const o = t.oneTime.get(oneTimeSecret);
  if (!o || o.ExpiresNs < store.nowNs()) throw denied();
  const token = tokenByAccessor(store, o.AccessorID);
  if (!token) throw denied();
  return store.write((tx) => {
    for (const [k, x] of t.oneTime) if (x.AccessorID === o.AccessorID) t.oneTime.delete(k);
    t.indexes[ONE_TIME_TABLE] = tx.index;
    tx.touch(ONE_TIME_TABLE);
    return { token: liveToken(store, token), index: tx.index };
  });
}
