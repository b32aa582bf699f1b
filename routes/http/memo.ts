// Rendered list bodies depend only on the store's contents and the query, so they are kept until
// the next write (the global index moves on every write). Hot list polls then cost one lookup.
import type { Store } from '../../state/store.js';

const MAX_ENTRIES = 256;

export class RenderCache {
  private index = -1;
  private readonly entries = new Map<string, { body: unknown; text: string; nextToken: string; index: number }>();

  constructor(private readonly store: Store) {}

  get(key: string): { body: unknown; text: string; nextToken: string; index: number } | undefined {
    if (this.index !== this.store.index) {
      this.entries.clear();
      this.index = this.store.index;
      return undefined;
    }
    return this.entries.get(key);
  }

  set(key: string, value: { body: unknown; text: string; nextToken: string; index: number }): void {
    if (this.index !== this.store.index) {
      this.entries.clear();
      this.index = this.store.index;
    }
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(key, value);
  }
}
