// Compaction off the hot path: a fuzzy checkpoint. It notes the indexes when it starts (the log has
// just moved to a new generation, so every write from here on is in that log), then copies the
// tables a few milliseconds at a time between other work. Records written while it runs may be in
// it at any of their states; replaying the new log over it brings every one to its last state,
// because each log record holds whole records. Only a complete checkpoint is renamed into place;
// then the older checkpoints and logs (and a legacy state.json) are deleted.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../state/store.js';
import { snapshotParts } from '../../state/snapshot/snapshot.js';
import { frame, frameText } from './frame.js';
import { diskValue, LOG_FORMAT, LOGGED_TABLES, savePart, storeTable, type LogRecord } from './image.js';
import { RefWriter } from './refs.js';
import { checkpointName, listDataDir, STATE_FILE, TMP_SUFFIX, walName } from './recover.js';

/** Longest stretch of copying before the checkpoint lets other work run. */
export const CHUNK_BUDGET_MS = 4;
/** Most JSON text per chunk: framing it (encode, checksum) costs time too. */
export const CHUNK_BYTES = 256 * 1024;

class Aborted extends Error {}

export async function syncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | null = null;
  try {
    fh = await fsp.open(dir, 'r');
    await fh.sync();
  } catch {
    // Not every file system syncs a directory; the rename itself is still atomic.
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

export class Checkpoint {
  private aborted = false;
  /** Bytes of the finished checkpoint (the next compaction waits for at least this much log). */
  bytes = 0;
  readonly done: Promise<void>;

  constructor(
    private readonly store: Store,
    private readonly dir: string,
    readonly generation: number,
    /** Told how long each stretch of copying held the event loop (the bench reads the longest). */
    private readonly step: (ms: number, cpu: NodeJS.CpuUsage) => void = () => undefined,
  ) {
    this.done = this.run();
  }

  /** Stops at the next chunk; the temporary file is removed. */
  abort(): void {
    this.aborted = true;
  }

  private async run(): Promise<void> {
    const final = join(this.dir, checkpointName(this.generation));
    const tmp = final + TMP_SUFFIX;
    const fh = await fsp.open(tmp, 'w');
    let closed = false;
    try {
      // Rows copied later may refer to objects copied before them (a version list to its job row).
      const refs = new RefWriter(false);
      const header: LogRecord = { v: LOG_FORMAT, full: true, i: this.store.index, ti: Object.fromEntries(this.store.tableIndexEntries()) };
      await this.write(fh, frame(header));
      for (const table of LOGGED_TABLES) {
        // A Map iterator stays valid while the map changes between chunks (new keys are visited too).
        const it = storeTable(this.store, table).entries();
        for (let done = false; !done; ) {
          if (this.aborted) throw new Aborted();
          const t0 = performance.now();
          const cpu0 = process.cpuUsage();
          const parts: string[] = [];
          let size = 0;
          for (;;) {
            const r = it.next();
            if (r.done) {
              done = true;
              break;
            }
            const text = JSON.stringify(refs.change(table, r.value[0], diskValue(table, r.value[1])));
            parts.push(text);
            size += text.length;
            if (size > CHUNK_BYTES || ((parts.length & 15) === 0 && performance.now() - t0 > CHUNK_BUDGET_MS)) break;
          }
          const buf = parts.length > 0 ? frameText(`{"c":[${parts.join(',')}]}`) : null;
          this.step(performance.now() - t0, process.cpuUsage(cpu0));
          if (buf) await this.write(fh, buf);
          else await new Promise((r) => setImmediate(r));
        }
      }
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const p: Record<string, unknown> = {};
      for (const name of snapshotParts().keys()) p[name] = savePart(this.store, name);
      const parts = frame({ p });
      this.step(performance.now() - t0, process.cpuUsage(cpu0));
      await this.write(fh, parts);
      await this.write(fh, frame({ end: true }));
      if (this.aborted) throw new Aborted();
      await fh.sync();
      await fh.close();
      closed = true;
      await fsp.rename(tmp, final);
      await syncDir(this.dir);
    } catch (err) {
      if (!closed) await fh.close().catch(() => undefined);
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      if (err instanceof Aborted) return;
      throw err;
    }
    // The checkpoint stands: what it replaces goes.
    const files = listDataDir(this.dir);
    const old = [
      ...files.checkpoints.filter((g) => g < this.generation).map(checkpointName),
      ...files.wals.filter((g) => g < this.generation).map(walName),
      ...(files.legacy ? [STATE_FILE] : []),
    ];
    for (const f of old) await fsp.rm(join(this.dir, f), { force: true }).catch(() => undefined);
  }

  private async write(fh: fsp.FileHandle, buf: Buffer): Promise<void> {
    for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off, buf.length - off)).bytesWritten;
    this.bytes += buf.length;
  }
}
