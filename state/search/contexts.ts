// The contexts Nomad's Search endpoint walks (nomad/search_endpoint.go, 1.11): one provider per
// context, so a new table joins prefix and fuzzy search with one `registerSearchContext` call.
import type { Acl } from '../acl/acl.js';
import type { Store } from '../store.js';
import type { Obj } from '../types.js';
import { policiesByIdPrefix } from '../scaling/policies.js';
import { variablePaths } from '../variables/table.js';

/** A fuzzy hit before sorting: the matched name, its index in the name, its scope. */
export interface FuzzyHit {
  context: string;
  id: string;
  score: number;
  scope: string[] | null;
}

export interface SearchProvider {
  /** The table whose index the answer reports (contextToIndex). */
  table: string;
  /** Whether the context is found by UUID prefix (rounded down to an even length, parsed as hex). */
  uuid?: boolean;
  /** filteredSearchContexts: whether the caller may search this context in `namespace`. */
  allowed(acl: Acl, namespace: string): boolean;
  /** sufficientSearchPerms when the context is asked for by name (default: `allowed`). */
  sufficient?(acl: Acl, namespace: string): boolean;
  /** The IDs matching `prefix`, in the index order Nomad iterates, after its per-object ACL filter. */
  prefix(store: Store, namespace: string, prefix: string, acl: Acl | null): string[];
  /** Fuzzy contexts: the objects scanned, in order, after the per-object ACL filter; null to skip. */
  fuzzyScan?(store: Store, namespace: string, acl: Acl | null): Obj[] | null;
  /** The hits one scanned object yields for `text` (lower case). */
  fuzzyMatch?(o: Obj, text: string): FuzzyHit[];
  /** Contexts fuzzy search answers by prefix (evals, deployments, scaling policies, volumes). */
  fuzzyByPrefix?: boolean;
}

const providers = new Map<string, SearchProvider>();

/** Adds (or replaces) the provider of a search context. */
export function registerSearchContext(name: string, provider: SearchProvider): void {
  providers.set(name, provider);
}

export function searchProvider(name: string): SearchProvider | undefined {
  return providers.get(name);
}

/** ossContexts: what `all` expands to, in Nomad's order. */
export const ALL_CONTEXTS = ['allocs', 'jobs', 'nodes', 'node_pools', 'evals', 'deployment', 'plugins', 'volumes', 'scaling_policy', 'vars', 'namespaces', 'host_volumes'];

const byId = (a: Obj, b: Obj): number => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0);
const byName = (a: Obj, b: Obj): number => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0);
const byNsId = (a: Obj, b: Obj): number => (a.Namespace < b.Namespace ? -1 : a.Namespace > b.Namespace ? 1 : byId(a, b));
const inNs = (namespace: string) => (o: Obj): boolean => namespace === '*' || o.Namespace === namespace;

/** go-memdb's UUIDFieldIndex prefix: hyphens dropped, even length, hex; null where memdb errs. */
export function uuidPrefix(prefix: string): string | null {
  if (prefix.length > 36) return null;
  if ((prefix.match(/-/g) ?? []).length > 4) return null;
  const hex = prefix.replace(/-/g, '');
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  return hex.toLowerCase();
}
const uuidMatch = (hex: string) => (o: Obj): boolean => String(o.ID).replace(/-/g, '').toLowerCase().startsWith(hex);

/** A fuzzy hit when `name` contains `text` (case-insensitive). */
export function fuzzyHit(context: string, name: string, text: string, scope: string[] | null): FuzzyHit[] {
  const i = name.toLowerCase().indexOf(text);
  return i >= 0 ? [{ context, id: name, score: i, scope }] : [];
}

const readJob = (acl: Acl | null, o: Obj): boolean => !acl || acl.allowNs(o.Namespace, 'read-job');

function uuidContext(table: string, rows: (store: Store) => Iterable<Obj>, namespaced: boolean, aclFilter?: (acl: Acl | null, o: Obj) => boolean): Omit<SearchProvider, 'allowed'> {
  return {
    table,
    uuid: true,
    prefix(store, namespace, prefix, acl) {
      const hex = uuidPrefix(prefix);
      if (hex === null) return [];
      return [...rows(store)]
        .filter((o) => (!namespaced || inNs(namespace)(o)) && uuidMatch(hex)(o) && (!aclFilter || aclFilter(acl, o)))
        .sort(byId)
        .map((o) => o.ID);
    },
  };
}

const jobRead = (acl: Acl, ns: string): boolean => acl.allowNs(ns, 'read-job');
const volumeRead = (acl: Acl, ns: string): boolean => ['csi-list-volume', 'csi-read-volume', 'list-jobs', 'read-job'].some((c) => acl.allowNs(ns, c));
const none = (): string[] => [];

registerSearchContext('jobs', {
  table: 'jobs',
  allowed: jobRead,
  prefix: (store, namespace, prefix, acl) =>
    [...store.jobs.values()].filter((j) => inNs(namespace)(j) && j.ID.startsWith(prefix) && readJob(acl, j)).sort(byNsId).map((j) => j.ID),
  fuzzyScan: (store, namespace, acl) => [...store.jobs.values()].filter((j) => inNs(namespace)(j) && readJob(acl, j)).sort(byNsId),
  fuzzyMatch: (j, text) => {
    const ns = j.Namespace as string;
    const job = j.ID as string;
    const hits = fuzzyHit('jobs', j.Name, text, [ns, job]);
    for (const tg of (j.TaskGroups ?? []) as Obj[]) {
      hits.push(...fuzzyHit('groups', tg.Name, text, [ns, job]));
      for (const s of (tg.Services ?? []) as Obj[]) hits.push(...fuzzyHit('services', String(s.Name ?? ''), text, [ns, job, tg.Name]));
      for (const t of (tg.Tasks ?? []) as Obj[]) {
        hits.push(...fuzzyHit('tasks', t.Name, text, [ns, job, tg.Name]));
        for (const s of (t.Services ?? []) as Obj[]) hits.push(...fuzzyHit('services', String(s.Name ?? ''), text, [ns, job, tg.Name, t.Name]));
        const param = t.Driver === 'docker' ? ['images', 'image'] : t.Driver === 'exec' || t.Driver === 'raw_exec' ? ['commands', 'command'] : t.Driver === 'java' ? ['classes', 'class'] : null;
        if (param) {
          const v = (t.Config as Obj | null)?.[param[1]!];
          hits.push(...fuzzyHit(param[0]!, typeof v === 'string' ? v : '', text, [ns, job, tg.Name, t.Name]));
        }
      }
    }
    return hits;
  },
});

registerSearchContext('allocs', {
  ...uuidContext('allocs', (s) => s.allocs.values(), true, readJob),
  allowed: jobRead,
  fuzzyScan: (store, namespace, acl) => [...store.allocs.values()].filter((a) => inNs(namespace)(a) && readJob(acl, a)).sort(byId),
  fuzzyMatch: (a, text) => fuzzyHit('allocs', String(a.Name ?? ''), text, [a.Namespace, a.ID]),
});

registerSearchContext('evals', { ...uuidContext('evals', (s) => s.evals.values(), true), allowed: jobRead, fuzzyByPrefix: true });
registerSearchContext('deployment', { ...uuidContext('deployment', (s) => s.deployments.values(), true), allowed: jobRead, fuzzyByPrefix: true });

registerSearchContext('nodes', {
  ...uuidContext('nodes', (s) => s.nodes.values(), false),
  allowed: (acl) => acl.allowNodeRead(),
  fuzzyScan: (store, _ns, acl) => (acl && !acl.allowNodeRead() ? null : [...store.nodes.values()].sort(byId)),
  fuzzyMatch: (n, text) => fuzzyHit('nodes', String(n.Name ?? ''), text, [n.ID]),
});

registerSearchContext('node_pools', {
  table: 'node_pools',
  allowed: (acl) => acl.allowNodePoolSearch(),
  prefix: (store, _ns, prefix, acl) =>
    [...store.nodePools.values()].filter((p) => String(p.Name).startsWith(prefix) && (!acl || acl.allowNodePool(p.Name, 'read'))).sort(byName).map((p) => p.Name),
  fuzzyScan: (store, _ns, acl) => [...store.nodePools.values()].filter((p) => !acl || acl.allowNodePool(p.Name, 'read')).sort(byName),
  fuzzyMatch: (p, text) => fuzzyHit('node_pools', p.Name, text, [p.Name]),
});

registerSearchContext('namespaces', {
  table: 'namespaces',
  allowed: (acl, ns) => acl.allowNamespace(ns),
  prefix: (store, _ns, prefix, acl) =>
    [...store.namespaces.values()].filter((n) => String(n.Name).startsWith(prefix) && (!acl || acl.allowNamespace(n.Name))).sort(byName).map((n) => n.Name),
  fuzzyScan: (store, _ns, acl) => [...store.namespaces.values()].filter((n) => !acl || acl.allowNamespace(n.Name)).sort(byName),
  fuzzyMatch: (n, text) => fuzzyHit('namespaces', n.Name, text, null),
});

registerSearchContext('scaling_policy', {
  table: 'scaling_policy',
  uuid: true,
  allowed: (acl, ns) => acl.allowNs(ns, 'list-scaling-policies') || acl.allowNs(ns, 'read-job'),
  sufficient: jobRead,
  prefix: (store, namespace, prefix) => policiesByIdPrefix(store, namespace, prefix).map((p) => p.ID),
  fuzzyByPrefix: true,
});

// No client runs a CSI or host-volume plugin: these contexts are always empty.
registerSearchContext('plugins', {
  table: 'plugins',
  allowed: (acl) => acl.allowPluginList(),
  prefix: none,
  fuzzyScan: (_s, _ns, acl) => (acl && !acl.allowPluginRead() ? null : []),
  fuzzyMatch: () => [],
});
registerSearchContext('volumes', { table: 'volumes', allowed: volumeRead, prefix: none, fuzzyByPrefix: true });
registerSearchContext('host_volumes', { table: 'host_volumes', uuid: true, allowed: (acl, ns) => acl.allowNs(ns, 'host-volume-read'), prefix: none, fuzzyByPrefix: true });

// Variables are found by path (the table's ID index is namespace + path): fuzzy scope [Namespace,
// Path]; a token sees the context with any `variables` rule in the namespace (AllowVariableSearch)
// and each path it may list (AllowVariableOperation "list").
const listVar = (acl: Acl | null, v: { Namespace: string; Path: string }): boolean => !acl || acl.allowVariable(v.Namespace, v.Path, 'list');
registerSearchContext('vars', {
  table: 'variables',
  allowed: (acl, ns) => acl.allowVariableSearch(ns),
  prefix: (store, namespace, prefix, acl) => variablePaths(store, namespace, prefix).filter((v) => listVar(acl, v)).map((v) => v.Path),
  fuzzyScan: (store, namespace, acl) => variablePaths(store, namespace, '').filter((v) => listVar(acl, v)),
  fuzzyMatch: (v, text) => fuzzyHit('vars', v.Path, text, [v.Namespace, v.Path]),
});
