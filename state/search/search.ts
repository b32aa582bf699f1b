// Search.PrefixSearch and Search.FuzzySearch (nomad/search_endpoint.go, 1.11) over the providers
// of contexts.ts: the contexts a token may search, each context's matches and truncation, the
// answer's index. Neither blocks: Nomad runs them with empty query options.
import type { Acl } from '../acl/acl.js';
import type { Store } from '../store.js';
import { RpcError } from '../errors.js';
import { ALL_CONTEXTS, searchProvider, type FuzzyHit } from './contexts.js';

/** truncateLimit: prefix matches kept per context. */
export const TRUNCATE_LIMIT = 20;
/** The agent's `search` block defaults (fuzzy_enabled, limit_query, limit_results, min_term_length). */
export const FUZZY = { enabled: true, limitQuery: 20, limitResults: 100, minTermLength: 2 };

const PERMISSION_DENIED = 'Permission denied';

const expand = (context: string): string[] => (context === 'all' ? [...ALL_CONTEXTS] : [context]);

/** sufficientSearchPerms: a context asked for by name must be searchable at all. */
function sufficient(acl: Acl | null, namespace: string, context: string): boolean {
  if (!acl || acl.management) return true;
  const p = searchProvider(context);
  if (!p || context === 'all') return true;
  return (p.sufficient ?? p.allowed)(acl, namespace);
}

/** filteredSearchContexts. */
function filtered(acl: Acl | null, namespace: string, context: string): string[] {
  const desired = expand(context);
  if (!acl || acl.management) return desired;
  return desired.filter((c) => {
    const p = searchProvider(c);
    return !p || p.allowed(acl, namespace);
  });
}

/** roundUUIDDownIfOdd: the hex digits (hyphens aside) rounded down to an even count. */
export function roundUuidPrefix(prefix: string, context: string): string {
  if (context === 'jobs') return prefix;
  const digits = prefix.length - (prefix.match(/-/g) ?? []).length;
  return digits % 2 === 0 ? prefix : prefix.slice(0, -1);
}

function prefixMatches(store: Store, contexts: string[], acl: Acl | null, namespace: string, prefix: string, asked: string) {
  const matches: Record<string, string[]> = {};
  const truncations: Record<string, boolean> = {};
  for (const c of contexts) {
    const p = searchProvider(c);
    if (!p) continue;
    const ids = p.prefix(store, namespace, p.uuid ? roundUuidPrefix(prefix, asked) : prefix, acl);
    matches[c] = ids.slice(0, TRUNCATE_LIMIT);
    truncations[c] = ids.length > TRUNCATE_LIMIT;
  }
  return { matches, truncations };
}

function indexOf(store: Store, contexts: string[]): number {
  let index = 0;
  for (const c of contexts) index = Math.max(index, store.tableIndex(searchProvider(c)?.table ?? c));
  return index;
}

/** Go encodes maps with sorted keys. */
function sortedKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k]!;
  return out;
}

export interface SearchArgs {
  namespace: string;
  context: string;
  acl: Acl | null;
}

export function prefixSearch(store: Store, args: SearchArgs & { prefix: string }) {
  if (!sufficient(args.acl, args.namespace, args.context)) throw new RpcError(PERMISSION_DENIED, 403);
  const contexts = filtered(args.acl, args.namespace, args.context);
  const { matches, truncations } = prefixMatches(store, contexts, args.acl, args.namespace, args.prefix, args.context);
  return { Matches: sortedKeys(matches), Truncations: sortedKeys(truncations), index: indexOf(store, contexts) };
}

/** sortSet: by position of the text, then shorter names, then alphabetically. */
function sortHits(hits: FuzzyHit[]): void {
  hits.sort((a, b) => a.score - b.score || a.id.length - b.id.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function fuzzySearch(store: Store, args: SearchArgs & { text: string; prefix: string }) {
  const wildcard = args.namespace === '*';
  if (!wildcard && !sufficient(args.acl, args.namespace, args.context)) throw new RpcError(PERMISSION_DENIED, 403);
  if (!FUZZY.enabled) throw new RpcError('fuzzy search is not enabled');
  const n = Buffer.byteLength(args.text, 'utf8');
  if (n < FUZZY.minTermLength) throw new RpcError(`fuzzy search query must be at least ${FUZZY.minTermLength} characters, got ${n}`);
  const text = args.text.toLowerCase();

  const prefixContexts = filtered(args.acl, args.namespace, args.context).filter((c) => searchProvider(c)?.fuzzyByPrefix);
  const fuzzyContexts = wildcard ? expand(args.context) : filtered(args.acl, args.namespace, args.context);

  const pm = prefixMatches(store, prefixContexts, args.acl, args.namespace, args.prefix, args.context);
  const matches: Record<string, { ID: string; Scope: string[] | null }[]> = {};
  const truncations: Record<string, boolean> = { ...pm.truncations };
  for (const [c, ids] of Object.entries(pm.matches)) matches[c] = ids.map((id) => ({ ID: id, Scope: null }));

  for (const c of fuzzyContexts) {
    const p = searchProvider(c);
    if (!p?.fuzzyScan || !p.fuzzyMatch) continue;
    const scanned = p.fuzzyScan(store, args.namespace, args.acl);
    if (!scanned) continue;
    // getFuzzyMatchesImpl: only the first limit_query objects are looked at.
    const unsorted = new Map<string, FuzzyHit[]>();
    const truncs = new Map<string, boolean>();
    const take = Math.min(scanned.length, FUZZY.limitQuery);
    for (let i = 0; i < take; i++) {
      const limited = i === FUZZY.limitQuery - 1 && scanned.length > FUZZY.limitQuery;
      for (const hit of p.fuzzyMatch(scanned[i]!, text)) {
        const list = unsorted.get(hit.context) ?? [];
        unsorted.set(hit.context, list);
        if (list.length >= FUZZY.limitResults) {
          truncs.set(hit.context, true);
          break;
        }
        list.push(hit);
        if (limited) {
          truncs.set(hit.context, true);
          break;
        }
      }
    }
    for (const [ctx, hits] of unsorted) {
      sortHits(hits);
      matches[ctx] = hits.map((h) => ({ ID: h.id, Scope: h.scope }));
      truncations[ctx] = false;
    }
    for (const [ctx, t] of truncs) truncations[ctx] = t;
  }
  return { Matches: sortedKeys(matches), Truncations: sortedKeys(truncations), index: indexOf(store, fuzzyContexts) };
}
