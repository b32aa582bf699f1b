// The set of IDs behind each job's index row (evals, allocs, deployments by job). Most jobs have one
// of each, and a Set with one member costs about 200 bytes (its hash table is allocated for four);
// this holds a single ID inline and moves to a real Set at the second, so a 100,000-job store
// saves a few tens of megabytes. Same contract as Set: insertion order, and deleting while
// iterating is fine. Once it holds a Set it stays on it, so a live iteration never changes
// representation under the iterator.

export class IdSet implements Set<string> {
  private one: string | undefined = undefined;
  private many: Set<string> | undefined = undefined;

  constructor(ids?: Iterable<string>) {
    if (ids) for (const id of ids) this.add(id);
  }

  get size(): number {
    return this.many ? this.many.size : this.one === undefined ? 0 : 1;
  }

  add(id: string): this {
    if (this.many) this.many.add(id);
    else if (this.one === undefined) this.one = id;
    else if (this.one !== id) {
      this.many = new Set([this.one, id]);
      this.one = undefined;
    }
    return this;
  }

  /** The member while there is exactly one and no Set behind it, else undefined: read without an iterator. */
  get only(): string | undefined {
    return this.many ? undefined : this.one;
  }

  has(id: string): boolean {
    return this.many ? this.many.has(id) : this.one === id;
  }

  delete(id: string): boolean {
    if (this.many) return this.many.delete(id);
    if (this.one !== id || id === undefined) return false;
    this.one = undefined;
    return true;
  }

  clear(): void {
    if (this.many) this.many.clear();
    this.one = undefined;
  }

  values(): SetIterator<string> {
    if (this.many) return this.many.values();
    return (this.one === undefined ? NONE : [this.one]).values() as unknown as SetIterator<string>;
  }

  keys(): SetIterator<string> {
    return this.values();
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.values();
  }

  *entries(): SetIterator<[string, string]> {
    for (const id of this.values()) yield [id, id];
  }

  forEach(fn: (value: string, key: string, set: Set<string>) => void, thisArg?: unknown): void {
    for (const id of this.values()) fn.call(thisArg, id, id, this);
  }

  get [Symbol.toStringTag](): string {
    return 'IdSet';
  }
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * The rows `ids` names, in the set's order, in an array made at its size: an empty array's first
 * push reserves 17 slots, for the one to three rows most jobs index. A set of one is read without
 * an iterator.
 */
export function rowsOf<T>(ids: Set<string> | undefined, rows: ReadonlyMap<string, T>): T[] {
  if (!ids) return [];
  const only = ids instanceof IdSet ? ids.only : undefined;
  if (only !== undefined) return [rows.get(only)!];
  const out = new Array<T>(ids.size);
  let i = 0;
  for (const id of ids) out[i++] = rows.get(id)!;
  return out;
}
