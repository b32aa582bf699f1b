// Durable persistence under --data-dir, as Raft makes a commit durable before Nomad answers: every
// committed write goes into an append-only log, and an answer that saw a write leaves only once the
// log holds it on disk (fdatasync). Writes are committed as a group: everything committed since the
// last append (one event-loop turn, or the time one append took) is one record, with one sync. The
// log is compacted into checkpoints copied in small pieces between other work (checkpoint.ts), and
// start-up replays the log over the newest checkpoint (recover.ts).
import fs from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../state/store.js';
import type { Snapshot } from '../../state/snapshot/snapshot.js';
import { snapshotParts } from '../../state/snapshot/snapshot.js';
import { Guard } from '../guard.js';
import { frame } from './frame.js';
import { changeOf, fullRecord, isLoggedTable, savePart, type Change, type LogRecord } from './image.js';
import { cause, PersistError, recover, walName, type Recovered } from './recover.js';
import { Checkpoint } from './checkpoint.js';

export { PersistError } from './recover.js';

/** The two calls an append makes; tests replace them to make the disk fail. */
export interface PersistIo {
  write(fd: number, buf: Buffer, cb: (err: Error | null) => void): void;
  sync(fd: number, cb: (err: Error | null) => void): void;
}

function writeAll(fd: number, buf: Buffer, cb: (err: Error | null) => void, off = 0): void {
  fs.write(fd, buf, off, buf.length - off, null, (err, n) => {
    if (err) return cb(err);
    if (off + n < buf.length) return writeAll(fd, buf, cb, off + n);
    cb(null);
  });
}

const nodeIo: PersistIo = { write: writeAll, sync: (fd, cb) => fs.fdatasync(fd, cb) };

interface Waiter {
  index: number;
  /** The replacement count when it started waiting: a full-state record covers every earlier one. */
  epoch: number;
  resolve(): void;
  reject(err: Error): void;
}

/** The answer to a request whose write could not be made durable. */
export class NotDurableError extends Error {}

export interface PersisterOptions {
  /** Log bytes since the last checkpoint that start the next one (at least; default 16 MiB). */
  checkpointBytes?: number;
}

export class Persister {
  io: PersistIo = { ...nodeIo };
  /**
   * The longest the log or a checkpoint held the event loop in one go, in ms of wall time and of
   * process CPU time (which a busy machine does not inflate); the bench reports them.
   */
  readonly stats = { longestStepMs: 0, longestStepCpuMs: 0, appends: 0 };
  private noteStep(ms: number, cpu: NodeJS.CpuUsage): void {
    if (ms > this.stats.longestStepMs) this.stats.longestStepMs = ms;
    const cpuMs = (cpu.user + cpu.system) / 1000;
    if (cpuMs > this.stats.longestStepCpuMs) this.stats.longestStepCpuMs = cpuMs;
  }
  private recovered: Recovered | null = null;
  private generation = 0;
  private fd = -1;
  private logBytes = 0;
  private lastCheckpointBytes = 0;
  /** The highest index whose writes are on disk. */
  private durable = 0;
  /** Counts whole-state replacements (reset, restore): their indexes may go back. */
  private epoch = 0;
  private dirty = new Map<string, Set<string>>();
  private touched = new Set<string>();
  /** The next record holds the whole state (restore, reset, a fresh data dir). */
  private full = false;
  /** The next record goes into a new log file (compaction, or after a failed append). */
  private rotate = false;
  private checkpointWanted = false;
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  private waiters: Waiter[] = [];
  private ckpt: Checkpoint | null = null;
  private unsubscribe: (() => void)[] = [];
  private closed = false;
  private readonly checkpointBytes: number;
  /** Which part saves a touched table, for the parts registered outside the Store. */
  private partOfTable = new Map<string, string[]>();

  constructor(
    private readonly store: Store,
    readonly dir: string,
    /** A failed append or checkpoint is logged and counted here; the server keeps running. */
    private readonly guard = new Guard(),
    opts: PersisterOptions = {},
  ) {
    this.checkpointBytes = opts.checkpointBytes ?? 16 * 1024 * 1024;
    try {
      fs.mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new PersistError(`cannot use data dir ${dir}: ${cause(err)}`);
    }
  }

  /**
   * The saved state, if any. Only an empty (or new) data dir means "no state yet": a file that
   * cannot be read, a corrupt checkpoint, a damaged log record that is not the last, or a state
   * that fails the snapshot checks stops start-up, naming the file, rather than starting empty.
   */
  load(): Snapshot | null {
    this.recovered = recover(this.dir);
    return this.recovered.snapshot;
  }

  /** Starts logging; call after the state is loaded (or seeded) and before any client is answered. */
  start(): void {
    const r = this.recovered ?? recover(this.dir);
    for (const [name, part] of snapshotParts()) {
      for (const t of part.tables ?? []) this.partOfTable.set(t, [...(this.partOfTable.get(t) ?? []), name]);
    }
    this.generation = r.generation;
    this.openLog();
    if (r.snapshot && r.snapshot.Index === this.store.index) this.durable = this.store.index;
    else this.full = true; // a fresh dir (seeded or not), or writes made while loading
    this.unsubscribe = [
      this.store.onCommit((_index, touched) => {
        for (const t of touched) this.touched.add(t);
        this.schedule();
      }),
      this.store.onReplace(() => {
        // A reset brings the indexes back: what was durable before says nothing about the new
        // state until its full record is on disk.
        this.full = true;
        this.durable = -1;
        this.epoch++;
        this.dirty.clear();
        this.schedule();
      }),
    ];
    this.store.trackChanges((table, key) => {
      let keys = this.dirty.get(table);
      if (!keys) this.dirty.set(table, (keys = new Set()));
      keys.add(key);
    });
    // What was replayed (or a state.json of before the log) is compacted at once, from the new log on.
    if (r.logBytes > 0 || r.legacy) this.startCheckpoint();
    if (this.full) this.schedule();
  }

  /**
   * Null when everything up to `index` is on disk; otherwise a promise that settles once it is
   * (rejected with NotDurableError when the append failed).
   */
  whenDurable(index: number): Promise<void> | null {
    if (index <= this.durable || this.closed) return null;
    const epoch = this.epoch;
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ index, epoch, resolve, reject }));
    this.schedule();
    return p;
  }

  /** Compacts now (the bench, tests); resolves when the checkpoint is on disk. */
  async checkpoint(): Promise<void> {
    if (!this.ckpt) {
      this.checkpointWanted = this.rotate = true;
      this.schedule();
      // Until the log has moved to a new file (or that failed: nothing is left to run).
      while (this.checkpointWanted && (this.scheduled || this.flushing)) await new Promise((r) => setTimeout(r, 1));
    }
    await this.ckpt?.done;
  }

  private schedule(): void {
    if (this.scheduled || this.flushing || this.closed) return;
    this.scheduled = true;
    // Everything committed before the next turn of the event loop goes into the same record.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private pending(): boolean {
    return this.full || this.rotate || this.dirty.size > 0 || this.store.index > this.durable || this.waiters.length > 0;
  }

  private openLog(): void {
    const file = join(this.dir, walName(this.generation + 1));
    const fd = fs.openSync(file, 'a');
    try {
      // The new file's name must survive a crash before anything acknowledged is in it.
      const dfd = fs.openSync(this.dir, 'r');
      try {
        fs.fsyncSync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
    } catch {
      // Not every file system syncs a directory.
    }
    if (this.fd >= 0) fs.close(this.fd, () => undefined);
    this.fd = fd;
    this.generation++;
    this.logBytes = 0;
  }

  private flush(): void {
    if (this.flushing || this.closed || !this.pending()) return;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    if (this.rotate) {
      try {
        this.openLog();
        this.rotate = false;
      } catch (err) {
        this.failed(err, null);
        return;
      }
      if (this.checkpointWanted && !this.ckpt) this.startCheckpoint();
    }
    const label = this.store.index;
    const epoch = this.epoch;
    let buf: Buffer;
    const batch = { dirty: this.dirty, touched: this.touched };
    try {
      buf = frame(this.full ? fullRecord(this.store) : this.record(batch.dirty, batch.touched));
    } catch (err) {
      this.failed(err, null);
      return;
    }
    const wasFull = this.full;
    this.full = false;
    this.dirty = new Map();
    this.touched = new Set();
    let settle!: () => void;
    this.flushing = new Promise<void>((r) => (settle = r));
    const fd = this.fd;
    this.stats.appends++;
    this.noteStep(performance.now() - t0, process.cpuUsage(cpu0));
    this.io.write(fd, buf, (err) => {
      if (err) return this.appended(err, label, epoch, buf.length, batch, wasFull, settle);
      this.io.sync(fd, (err2) => this.appended(err2, label, epoch, buf.length, batch, wasFull, settle));
    });
  }

  /** The records the writes since the last append left, whole, with the indexes they moved. */
  private record(dirty: Map<string, Set<string>>, touched: Set<string>): LogRecord {
    const c: Change[] = [];
    for (const [table, keys] of dirty) {
      if (!isLoggedTable(table)) continue;
      for (const k of keys) c.push(changeOf(this.store, table, k));
    }
    const ti: Record<string, number> = {};
    let p: Record<string, unknown> | undefined;
    for (const t of touched) {
      ti[t] = this.store.tableIndex(t);
      for (const name of this.partOfTable.get(t) ?? []) (p ??= {})[name] = savePart(this.store, name);
    }
    return { i: this.store.index, ti, c, ...(p ? { p } : {}) };
  }

  private appended(
    err: Error | null,
    label: number,
    epoch: number,
    bytes: number,
    batch: { dirty: Map<string, Set<string>>; touched: Set<string> },
    wasFull: boolean,
    settle: () => void,
  ): void {
    this.flushing = null;
    settle();
    if (err) {
      // What the failed record held goes again, into a new file: after a failed sync the old
      // file's pages may be gone whatever a retry says.
      if (wasFull) this.full = true;
      for (const [t, keys] of batch.dirty) {
        let mine = this.dirty.get(t);
        if (!mine) this.dirty.set(t, (mine = new Set()));
        for (const k of keys) mine.add(k);
      }
      for (const t of batch.touched) this.touched.add(t);
      this.failed(err, 'rotate');
      return;
    }
    // A record of an older world (appended while a reset happened) settles nothing of the new one.
    if (epoch === this.epoch && label > this.durable) this.durable = label;
    this.logBytes += bytes;
    const still: Waiter[] = [];
    // A full record written after a replacement supersedes every write made before it.
    const covered = (w: Waiter): boolean => (w.epoch === this.epoch ? w.index <= this.durable : wasFull && w.epoch < epoch);
    for (const w of this.waiters) (covered(w) ? w.resolve() : still.push(w));
    this.waiters = still;
    if (!this.ckpt && this.logBytes >= Math.max(this.checkpointBytes, this.lastCheckpointBytes)) this.checkpointWanted = this.rotate = true;
    if (this.pending()) this.schedule();
  }

  /**
   * An append (or opening the next log) failed: counted, and every waiting answer becomes a 500.
   * The next commit or answer tries again.
   */
  private failed(err: unknown, then: 'rotate' | null): void {
    this.guard.caught('persistence', err);
    if (then === 'rotate') this.rotate = true;
    const waiters = this.waiters;
    this.waiters = [];
    const e = new NotDurableError(`write not durable: ${err instanceof Error ? err.message : String(err)}`);
    for (const w of waiters) w.reject(e);
  }

  private startCheckpoint(): void {
    this.checkpointWanted = false;
    const ck = new Checkpoint(this.store, this.dir, this.generation, (ms, cpu) => this.noteStep(ms, cpu));
    this.ckpt = ck;
    ck.done.then(
      () => {
        if (this.ckpt === ck) this.ckpt = null;
        this.lastCheckpointBytes = ck.bytes;
      },
      (err: unknown) => {
        if (this.ckpt === ck) this.ckpt = null;
        this.guard.caught('persistence checkpoint', err);
      },
    );
  }

  /** Waits for the append in flight, appends what is left, and stops (a running checkpoint is dropped). */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.store.trackChanges(null);
    this.ckpt?.abort();
    while (this.flushing) await this.flushing;
    // The last record goes out synchronously: nothing may commit in between.
    this.scheduled = false;
    if (this.fd >= 0 && this.pending()) {
      try {
        if (this.rotate) this.openLog();
        const label = this.store.index;
        const buf = frame(this.full ? fullRecord(this.store) : this.record(this.dirty, this.touched));
        for (let off = 0; off < buf.length; ) off += fs.writeSync(this.fd, buf, off, buf.length - off);
        fs.fdatasyncSync(this.fd);
        this.durable = label;
      } catch (err) {
        this.guard.caught('persistence', err);
      }
    }
    this.closed = true;
    for (const w of this.waiters) (w.index <= this.durable ? w.resolve() : w.reject(new NotDurableError('persistence closed')));
    this.waiters = [];
    await this.ckpt?.done.catch(() => undefined);
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
