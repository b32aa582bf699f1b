// Rendered list bodies depend only on the store's contents and the query, so they are kept until
// the next write (the global index moves on every write) or the next replacement of the state (a
// reset takes the index back, so an index alone can name two different states). Hot list polls
// then cost one lookup.
import type { Store } from '../../state/store.js';

const MAX_ENTRIES = 256;
/** Bodies held at once: with 100,000 jobs one full list is 60 MB, and each query has its own. */
export const MAX_RENDERED_BYTES = 256 * 1024 * 1024;

export class RenderCache<V = { body: unknown; text: string; nextToken: string; index: number }> {
  private index = -1;
  private world = -1;
  private held = 0;
  private readonly entries = new Map<string, V>();

  /** `sizeOf` tells what an entry holds, in bytes; the cache empties itself before passing `maxBytes`. */
  constructor(
    private readonly store: Store,
    private readonly sizeOf: (value: V) => number = () => 0,
    private readonly maxBytes = MAX_RENDERED_BYTES,
  ) {}

  get(key: string): V | undefined {
    if (this.stale()) return undefined;
    return this.entries.get(key);
  }

  /** Empties the cache when the state moved on since it was filled; true when it did. */
  private stale(): boolean {
    if (this.index === this.store.index && this.world === this.store.replacements) return false;
    this.entries.clear();
    this.held = 0;
    this.index = this.store.index;
    this.world = this.store.replacements;
    return true;
  }

  set(key: string, value: V): void {
    this.stale();
    const size = this.sizeOf(value);
    const before = this.entries.get(key);
    if (before !== undefined) {
      this.entries.delete(key);
      this.held -= this.sizeOf(before);
    }
    if (size > this.maxBytes) return; // answered, never kept
    if (this.entries.size >= MAX_ENTRIES || this.held + size > this.maxBytes) {
      this.entries.clear();
      this.held = 0;
    }
    this.entries.set(key, value);
    this.held += size;
  }
}
