// Equal sub-objects of stored records shared by content (issue 16, memory at scale). A cluster holds
// many records built from the same few specs: the task groups of jobs registered from one spec, the
// plan annotations and queued counts of their evals, the counters of their summaries. Stored records
// are immutable (a change is a new copy), so one frozen copy can serve every record that holds an
// equal part. Freezing makes a stray write to a shared part throw instead of changing other records.
//
// A pool is content-addressed (equal inputs give the same JSON), so it holds no state that a reset
// must clear; it is emptied when it grows past its bounds.

/** Objects some pool handed out (frozen, with frozen parts): sharing them again costs nothing. */
const pooled = new WeakSet<object>();

const isObject = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** Parts remembered per slot (see SharePool.recent). */
const RECENT = 4;

/**
 * Same keys in the same order, same values (Object.is), arrays for arrays: what JSON text cannot
 * tell apart (an undefined field, -0, NaN, a prototype) keeps an object out of a pool.
 */
export function sameTree(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || a === null) return Object.is(a, b);
  if (a === b) return true;
  if (typeof b !== 'object' || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameTree(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  // b's keys are walked in place (no array): an inherited enumerable key makes the counts differ,
  // which only keeps b out of the pool.
  const ka = frozenKeys.get(a) ?? Object.keys(a);
  let i = 0;
  for (const k in b) {
    if (k !== ka[i] || !sameTree((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
    i++;
  }
  return i === ka.length;
}

/**
 * The keys of each object a pool froze: they never change, and a comparison with a pooled part
 * (every register's) would otherwise allocate a key array per object it visits.
 */
const frozenKeys = new WeakMap<object, string[]>();

/**
 * Freezes a tree kept only to be compared with (a memo's input): its keys are then read from the
 * table above instead of an array made per object on every comparison.
 */
export function freezeForComparison(v: unknown): void {
  deepFreeze(v);
}

function deepFreeze(v: unknown): void {
  if (!isObject(v) || Object.isFrozen(v)) return;
  Object.freeze(v);
  if (!Array.isArray(v)) frozenKeys.set(v, Object.keys(v));
  for (const c of Object.values(v)) deepFreeze(c);
}

/** True when `v` came from a pool: it and all its parts are frozen. */
export const isShared = (v: unknown): boolean => isObject(v) && pooled.has(v);

export class SharePool {
  /** Off: every part stays the record's own (the comparison run of test/share-records.test.ts). */
  static enabled = true;

  private readonly byJson = new Map<string, object>();
  /**
   * What each slot (a field name of the records this pool serves; '' for calls that name none) was
   * last given, newest first: records made from one spec come one after another, so comparing with
   * these first spares serializing the part to find its pooled copy. A few per slot, because one
   * spec's records cycle through a few states (a summary's counters as its alloc starts, runs,
   * completes) and interleave across jobs. Bounded by the callers' field names; content-addressed
   * like the pool, so a hit is the very object the lookup would have returned.
   */
  private readonly recent = new Map<string, object[]>();
  private chars = 0;

  /** `limit` entries and `charLimit` characters of keys at most (then the pool starts over). */
  constructor(
    private readonly limit = 4096,
    private readonly charLimit = 4 << 20,
  ) {}

  /**
   * The pool's copy of `v` when one with equal content is held, else a frozen copy of `v` that the
   * pool keeps from now on. `depth` > 0: on a miss, the parts `depth` levels down are shared too,
   * so records that differ in one field still share the rest (a job whose groups differ in Count
   * shares its tasks). `v` itself is never changed; what cannot be pooled comes back as it was.
   * `slot` names where `v` sits (a field name): an equal part last shared there is found without
   * serializing `v`.
   */
  share<T>(v: T, depth = 0, slot?: string): T {
    if (!isObject(v) || pooled.has(v) || !SharePool.enabled) return v;
    const name = slot ?? '';
    let last = this.recent.get(name);
    if (last !== undefined) {
      for (let i = 0; i < last.length; i++) if (sameTree(last[i], v)) return last[i] as T;
    }
    const out = this.lookup(v, depth);
    if (out !== v) {
      // The pool may have started over inside lookup, taking the slots with it.
      last = this.recent.get(name);
      if (last === undefined) this.recent.set(name, (last = []));
      if (last.length >= RECENT) last.pop();
      last.unshift(out);
    }
    return out as T;
  }

  private lookup(v: object, depth: number): object {
    const key = JSON.stringify(v);
    if (key === undefined) return v;
    const hit = this.byJson.get(key);
    if (hit !== undefined) return sameTree(hit, v) ? hit : v;
    const copy = depth > 0 ? this.copyWithSharedParts(key, depth - 1) : (JSON.parse(key) as object);
    if (!sameTree(copy, v)) return v;
    deepFreeze(copy);
    if (this.byJson.size >= this.limit || this.chars + key.length > this.charLimit) {
      this.byJson.clear();
      this.recent.clear();
      this.chars = 0;
    }
    this.byJson.set(key, copy);
    this.chars += key.length;
    pooled.add(copy);
    return copy;
  }

  /**
   * A copy of `v` (its JSON parsed back: objects built key by key with computed keys fall into
   * dictionary mode, slower to read and to serialize) whose parts are the pooled ones.
   */
  private copyWithSharedParts(key: string, depth: number): object {
    const copy = JSON.parse(key) as Record<string, unknown>;
    if (Array.isArray(copy)) {
      for (let i = 0; i < copy.length; i++) copy[i] = this.share(copy[i], depth);
    } else {
      for (const k of Object.keys(copy)) copy[k] = this.share(copy[k], depth);
    }
    return copy;
  }

  get size(): number {
    return this.byJson.size;
  }
}
