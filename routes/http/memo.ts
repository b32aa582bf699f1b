// Rendered list bodies depend only on the store's contents and the query, so they are kept until
// the next write (the global index moves on every write) or the next replacement of the state (a
// reset takes the index back, so an index alone can name two different states). Hot list polls
// then cost one lookup.
import type { Store } from '../../state/store.js';

const MAX_ENTRIES = 256;

export class RenderCache<V = { body: unknown; text: string; nextToken: string; index: number }> {
  private index = -1;
  private world = -1;
  private readonly entries = new Map<string, V>();

  constructor(private readonly store: Store) {}

  get(key: string): V | undefined {
    if (this.stale()) return undefined;
    return this.entries.get(key);
  }

  /** Empties the cache when the state moved on since it was filled; true when it did. */
  private stale(): boolean {
    if (this.index === this.store.index && this.world === this.store.replacements) return false;
    this.entries.clear();
    this.index = this.store.index;
    this.world = this.store.replacements;
    return true;
  }

  set(key: string, value: V): void {
    this.stale();
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, value);
  }
}
