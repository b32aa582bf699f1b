// Namespaces (Nomad's Namespace RPC): upsert, delete, list.
import { variablePaths } from '../variables/table.js';
import { blake2b } from '../blake2b.js';
import type { Obj } from '../types.js';
import type { Store } from '../store.js';
import { RpcError } from '../errors.js';
import { formatMultiError } from '../jobspec/multierror.js';

const VALID_NAME = /^[a-zA-Z0-9-]{1,128}$/;
const MAX_DESCRIPTION = 256;

function validate(ns: Obj): string[] {
  const errors: string[] = [];
  if (!VALID_NAME.test(ns.Name ?? '')) {
    errors.push(`invalid name ${JSON.stringify(ns.Name ?? '')}. Must match regex ${VALID_NAME.source}`);
  }
  if (String(ns.Description ?? '').length > MAX_DESCRIPTION) {
    errors.push(`description longer than ${MAX_DESCRIPTION}`);
  }
  return errors;
}

const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Namespace.SetHash: BLAKE2b-256 over the user-set fields written one after the other (name,
 * description, quota, the capability and default/allowed/denied lists, then meta in key order),
 * base64 as Go encodes a []byte.
 */
export function namespaceHash(ns: Obj): string {
  const parts: string[] = [String(ns.Name ?? ''), String(ns.Description ?? ''), String(ns.Quota ?? '')];
  const caps = ns.Capabilities as Obj | null;
  if (caps) {
    for (const k of ['EnabledTaskDrivers', 'DisabledTaskDrivers', 'EnabledNetworkModes', 'DisabledNetworkModes']) parts.push(...strs(caps[k]));
  }
  for (const key of ['NodePoolConfiguration', 'VaultConfiguration', 'ConsulConfiguration']) {
    const c = ns[key] as Obj | null;
    if (c) parts.push(String(c.Default ?? ''), ...strs(c.Allowed), ...strs(c.Denied));
  }
  const meta = (ns.Meta ?? {}) as Record<string, string>;
  for (const k of Object.keys(meta).sort()) parts.push(k, String(meta[k]));
  return blake2b(Buffer.from(parts.join(''), 'utf8'), 32).toString('base64');
}

export function upsertNamespace(store: Store, input: Obj): { Index: number } {
  const errors = validate(input);
  if (errors.length > 0) {
    throw new RpcError(`Invalid namespace ${JSON.stringify(input.Name ?? '')}: ${formatMultiError(errors)}`);
  }
  return store.write((tx) => {
    const existing = store.namespaces.get(input.Name);
    const ns: Obj = {
      Name: input.Name,
      Description: input.Description ?? '',
      Quota: input.Quota ?? '',
      Capabilities: input.Capabilities ?? null,
      NodePoolConfiguration: input.NodePoolConfiguration ?? null,
      VaultConfiguration: input.VaultConfiguration ?? null,
      ConsulConfiguration: input.ConsulConfiguration ?? null,
      Meta: input.Meta && Object.keys(input.Meta).length > 0 ? input.Meta : null,
      Hash: null,
      CreateIndex: existing ? existing.CreateIndex : tx.index,
      ModifyIndex: tx.index,
    };
    ns.Hash = namespaceHash(ns);
    store.namespaces.set(ns.Name, ns);
    tx.touch('namespaces');
    return { Index: tx.index };
  });
}

export function deleteNamespace(store: Store, name: string): { Index: number } {
  if (name === 'default') throw new RpcError('can not delete default namespace');
  const live = [...store.jobs.values()].some((j) => j.Namespace === name && j.Status !== 'dead');
  if (live) {
    throw new RpcError(formatMultiError([`namespace ${JSON.stringify(name)} has non-terminal jobs in regions: [${store.region}]`]));
  }
  if (!store.namespaces.has(name)) throw new RpcError('namespace not found');
  // Nomad names no path here: the caller may not be allowed to list them.
  if (variablePaths(store, name, '').length > 0) {
    throw new RpcError(`namespace ${JSON.stringify(name)} contains at least one variable. All variables in namespace must be deleted before it can be deleted`);
  }
  return store.write((tx) => {
    store.namespaces.delete(name);
    tx.touch('namespaces');
    return { Index: tx.index };
  });
}

export function listNamespaces(store: Store, prefix: string): Obj[] {
  return [...store.namespaces.values()]
    .filter((ns) => ns.Name.startsWith(prefix))
    .sort((a, b) => (a.Name < b.Name ? -1 : 1));
}

/** Nomad floors namespace read indexes at 1 so blocking queries always work. */
export const namespacesIndex = (store: Store): number => Math.max(1, store.tableIndex('namespaces'));
