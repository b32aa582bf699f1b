// Optional persistence under --data-dir: the whole state is saved after writes (debounced) by
// writing a temporary file, syncing it, and renaming it over state.json, so a crash at any moment
// leaves either the previous complete file or the new complete file, never half of one.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../state/store.js';
import { takeSnapshot, validateSnapshot, type Snapshot } from '../../state/snapshot/snapshot.js';
import { Guard } from '../guard.js';

export const STATE_FILE = 'state.json';
const TMP_PREFIX = `${STATE_FILE}.tmp-`;

/** The data dir or its state file cannot be used; the message names the path and the cause. */
export class PersistError extends Error {}

/** `EACCES: permission denied, open '/x/state.json'` → `permission denied (EACCES)`. */
function cause(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.message === 'string') {
    const text = e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2).replace(/, \w+ '.*'$/, '') : e.message;
    return `${text} (${e.code})`;
  }
  return e instanceof Error ? e.message : String(err);
}

export class Persister {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void)[] = [];
  private saved = -1;

  constructor(
    private readonly store: Store,
    readonly dir: string,
    /** A failed save (disk full, directory gone) is logged and counted, and the next write retries. */
    private readonly guard = new Guard(),
    private readonly debounceMs = 50,
  ) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new PersistError(`cannot use data dir ${dir}: ${cause(err)}`);
    }
  }

  /**
   * The last complete save, if any; leftovers of an interrupted save are removed. Only a missing
   * state.json means "no state yet": anything else that stops it being read (a directory, a FIFO,
   * no permission, bad JSON, a document that fails the snapshot schema) stops start-up, naming the
   * file, rather than starting empty and overwriting it on the first save.
   */
  load(): Snapshot | null {
    const file = join(this.dir, STATE_FILE);
    let text: string;
    try {
      for (const f of readdirSync(this.dir)) if (f.startsWith(TMP_PREFIX)) rmSync(join(this.dir, f), { force: true });
      const st = statSync(file, { throwIfNoEntry: false });
      if (!st) return null;
      // Reading a FIFO or a device would block start-up, or never end.
      if (!st.isFile()) throw new PersistError(`cannot read state file ${file}: not a regular file (${st.isDirectory() ? 'a directory' : 'a special file'})`);
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if (err instanceof PersistError) throw err;
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new PersistError(`cannot read state file ${file}: ${cause(err)}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new PersistError(`state file ${file} is not valid JSON: ${(err as Error).message}`);
    }
    try {
      return validateSnapshot(doc);
    } catch (err) {
      throw new PersistError(`state file ${file} is not a valid snapshot: ${(err as Error).message}`);
    }
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
    // Wall-clock, not the simulated clock: saves must happen even while a manual clock stands still.
    this.timer = setTimeout(() => {
      this.timer = null;
      this.guard.run('persistence save', () => this.save());
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
    this.guard.run('persistence save', () => this.save());
  }
}
