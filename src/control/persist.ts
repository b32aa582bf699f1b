// Optional persistence under --data-dir: the whole state is saved after writes (debounced) by
// writing a temporary file, syncing it, and renaming it over state.json, so a crash at any moment
// leaves either the previous complete file or the new complete file, never half of one.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../state/store.js';
import { takeSnapshot, validateSnapshot, type Snapshot } from '../../state/snapshot.js';

export const STATE_FILE = 'state.json';
const TMP_PREFIX = `${STATE_FILE}.tmp-`;

export class Persister {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void)[] = [];
  private saved = -1;

  constructor(
    private readonly store: Store,
    readonly dir: string,
    private readonly debounceMs = 50,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  /** The last complete save, if any; leftovers of an interrupted save are removed. */
  load(): Snapshot | null {
    for (const f of readdirSync(this.dir)) if (f.startsWith(TMP_PREFIX)) rmSync(join(this.dir, f), { force: true });
    let text: string;
    try {
      text = readFileSync(join(this.dir, STATE_FILE), 'utf8');
    } catch {
      return null;
    }
    return validateSnapshot(JSON.parse(text));
  }

  start(): void {
    this.unsubscribe = [this.store.onCommit(() => this.schedule()), this.store.onReplace(() => this.invalidate())];
    this.schedule();
  }

  /** The state was replaced outside a committed write: save it even if the index is the one last saved. */
  private invalidate(): void {
    this.saved = -1;
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.save();
    }, this.debounceMs);
    this.timer.unref();
  }

  save(): void {
    if (this.saved === this.store.index) return;
    const index = this.store.index;
    const tmp = join(this.dir, `${TMP_PREFIX}${process.pid}`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(takeSnapshot(this.store)));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, STATE_FILE));
    try {
      const dfd = openSync(this.dir, 'r');
      fsyncSync(dfd);
      closeSync(dfd);
    } catch {
      // Directory fsync is not supported everywhere; the rename is still atomic.
    }
    this.saved = index;
  }

  /** Flushes a pending save and stops listening. */
  close(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.save();
  }
}
