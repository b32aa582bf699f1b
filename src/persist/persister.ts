// Durable persistence under --data-dir, as Raft makes a commit durable before Nomad answers: every
// committed write goes into an append-only log, and an answer that saw a write leaves only once the
// log holds it on disk (one O_DSYNC write, files.ts). Writes are committed as a group: everything
// committed since the last append (one event-loop turn, or while the appends out take a slot) is
// one write; two appends may be out at once, answered in the order of their records. The
// log is compacted into checkpoints copied in small pieces between other work (checkpoint.ts), and
// start-up replays the log over the newest checkpoint (recover.ts).
import fs from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../../state/store.js';
import type { Snapshot } from '../../state/snapshot/snapshot.js';
import { snapshotParts } from '../../state/snapshot/snapshot.js';
import { Guard } from '../guard.js';
import { frame } from './frame.js';
import { changesRecord, fullRecord } from './image.js';
import { cause, PersistError, recover, walName, type Recovered } from './recover.js';
import { Checkpoint } from './checkpoint.js';
import { RefWriter } from './refs.js';
import { BACKGROUND_MS, CHECKPOINT_LOG_RATIO, type PersisterOptions } from './limits.js';
import { appendSync, backInOrder, dropSpare, makeSpare, MAX_APPENDS, nodeIo, openLogFile, requeue, SEGMENT_BYTES, type Append, type Group, type LogFile, type PersistIo, type Spare, type Waiter } from './files.js';

export type { PersistIo } from './files.js';

export { PersistError } from './recover.js';
export type { PersisterOptions } from './limits.js';

/** The answer to a request whose write could not be made durable. */
export class NotDurableError extends Error {}

/** The log's pipeline through the threadpool; `Persister` (loop-append.ts) adds appends on the event loop. */
export class PersisterCore {
  io: PersistIo = { ...nodeIo };
  /** The longest the log or a checkpoint held the event loop in one go, in ms of wall and process CPU time (the bench). */
  readonly stats = { longestStepMs: 0, longestStepCpuMs: 0, appends: 0, loopAppends: 0, slowLoopAppends: 0, chosenPoolAppends: 0, syncs: 0, records: 0, recordBytes: 0, checkpoints: 0, checkpointBytes: 0 };
  /** Times each record in CPU too (the bench): process.cpuUsage() (getrusage over every thread) costs more than a small record. */
  timeCpu = false;
  protected noteStep(ms: number, cpu: NodeJS.CpuUsage | null): void {
    if (ms > this.stats.longestStepMs) this.stats.longestStepMs = ms;
    const cpuMs = cpu ? (cpu.user + cpu.system) / 1000 : 0;
    if (cpuMs > this.stats.longestStepCpuMs) this.stats.longestStepCpuMs = cpuMs;
  }
  private recovered: Recovered | null = null;
  private generation = 0;
  protected file: LogFile | null = null;
  /** The objects the current log file holds already (a record refers to them rather than repeating them). */
  private refs = new RefWriter();
  protected logBytes = 0;
  private lastCheckpointBytes = 0;
  /** The highest index of the current epoch whose writes are on disk (-1: none since a replacement). */
  private durable = 0;
  /** Counts whole-state replacements (reset, restore): their indexes may go back. */
  private epoch = 0;
  // What the writes since the last encoded group changed.
  private dirty = new Map<string, Set<string>>();
  private touched = new Set<string>();
  /** The next group holds the whole state (restore, reset, a fresh data dir). */
  private full = false;
  private lastLabel = 0;
  private lastEpoch = 0;
  private nextSeq = 1;
  /** Every group up to this one is on disk. */
  private durableSeq = 0;
  // The pipeline: groups encoded and not yet written; the appends out (at most MAX_APPENDS, in file
  // order, each leaving once it and every one before it are back); written ones no completed sync
  // covers yet (no O_DSYNC: a write goes out while a sync runs).
  protected queued: Group[] = [];
  protected appends: Append[] = [];
  protected written: Group[] = [];
  /** The next group goes into a new log file (compaction, or after a failed append). */
  protected rotate = false;
  protected checkpointWanted = false;
  private immediate = false;
  private timer: NodeJS.Timeout | null = null;
  private backgroundDue = false;
  /** The last encoding threw (a bug): no retry until the next commit or answer. */
  protected stuck = false;
  private waiters: Waiter[] = [];
  private idleWaiters: (() => void)[] = [];
  protected ckpt: Checkpoint | null = null;
  private unsubscribe: (() => void)[] = [];
  protected closing = false;
  private closed = false;
  private readonly checkpointBytes: number;
  private readonly segmentBytes: number;
  protected spare: Spare | null = null;
  /** An append went out on the loop in this turn of it (loop-append.ts; cleared by schedule()'s immediate). */
  protected loopTurn = false;
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
    this.segmentBytes = opts.segmentBytes ?? SEGMENT_BYTES;
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
    this.lastLabel = this.store.index;
    if (r.snapshot && r.snapshot.Index === this.store.index) this.durable = this.store.index;
    else this.full = true; // a fresh dir (seeded or not), or writes made while loading
    this.unsubscribe = [
      this.store.onCommit((_index, touched) => {
        for (const t of touched) this.touched.add(t);
        this.stuck = false;
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
    this.prepareSpare();
    if (this.full) this.schedule();
  }

  /**
   * Null when everything up to `index` is on disk; otherwise a promise that settles once it is
   * (rejected with NotDurableError when the append failed). The group that holds it goes out at
   * once when the log is free: an answer waits for one durable write, not for a turn of the
   * event loop (and the work the simulator does in it).
   */
  whenDurable(index: number): Promise<void> | null {
    if (index <= this.durable || this.closed) return null;
    const seq = this.changed() ? this.nextSeq : this.nextSeq - 1;
    if (seq <= this.durableSeq) return null;
    if (this.waiters.length === 0) {
      const done = this.appendNow(seq);
      if (done !== undefined) return done;
    }
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
    this.pump();
    return p;
  }

  /** Compacts now (the bench, tests); resolves when the checkpoint is on disk. */
  async checkpoint(): Promise<void> {
    if (!this.ckpt) {
      this.checkpointWanted = this.rotate = true;
      this.pump();
      // Until the log has moved to a new file (or that failed: nothing is left to run).
      while (this.checkpointWanted && !this.closed && this.busy()) await this.idle();
    }
    await this.ckpt?.done;
  }

  /** Resolves at the next completed write or sync (or at once when none is outstanding). */
  private idle(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private busy(): boolean {
    return this.appends.length > 0 || (this.file?.syncing ?? 0) > 0 || this.immediate;
  }

  private wake(): void {
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const r of w) r();
  }

  /** Writes committed since the last encoded group. */
  private changed(): boolean {
    return this.full || this.dirty.size > 0 || this.touched.size > 0 || this.store.index !== this.lastLabel || this.epoch !== this.lastEpoch;
  }

  protected schedule(): void {
    if (this.immediate || this.closing) return;
    this.immediate = true;
    // Everything committed in this turn of the event loop is encoded as one group while the disk
    // works on the previous one; it is written when an answer waits for it (or a little later).
    setImmediate(() => {
      this.immediate = false;
      this.loopTurn = false;
      if (!this.rotate && !this.closing) this.encode();
      this.pump();
      this.wake();
    });
  }

  /** The waiters' groups go out; the background ones after BACKGROUND_MS. */
  protected pump(): void {
    if (this.closing) return;
    const file = this.file;
    if (this.rotate) {
      // Everything encoded so far belongs to the current file (a checkpoint starts where the new
      // file starts): it is written and synced first. After a failed append, nothing is left.
      if (this.appends.length > 0 || this.written.length > 0 || (file?.syncing ?? 0) > 0 || this.queued.length > 0) {
        if (file && this.appends.length < MAX_APPENDS && this.queued.length > 0) this.write(file);
        return;
      }
      try {
        this.openLog();
        this.rotate = false;
      } catch (err) {
        this.failed(err);
        return;
      }
      if (this.checkpointWanted && !this.ckpt) this.startCheckpoint();
    }
    if (!this.file || this.appends.length >= MAX_APPENDS) return;
    // A full file (or the first one, made without zeros) gives way to the spare once it is ready.
    if (this.spare?.ready && this.file.pos >= this.file.size) {
      this.rotate = true;
      return this.pump();
    }
    const wanted = this.waiters.length > 0 ? this.waiters[this.waiters.length - 1]!.seq : 0;
    const lastQueued = this.queued.length > 0 ? this.queued[this.queued.length - 1]!.seq : this.nextSeq - 1;
    // A waiter's record is encoded at once when nothing is out (its answer waits for one write, not
    // for a turn of the loop); with an append out, at the end of the turn (schedule()), so that the
    // next append holds everything the turn committed.
    if ((wanted > lastQueued && this.appends.length === 0) || (this.backgroundDue && this.changed())) this.encode();
    if (this.queued.length === 0 && !this.changed()) {
      this.backgroundDue = false;
      return;
    }
    if (this.queued.length > 0 && (wanted >= this.queued[0]!.seq || this.backgroundDue)) {
      this.backgroundDue = false;
      this.write(this.file);
    } else if (!this.timer && !this.stuck) this.armBackground(BACKGROUND_MS);
  }

  /** The timer that writes the groups nobody waits for. An answer that takes them leaves it running (one at a time the simulator queues a group after every answer, and clearing and arming the timer for each showed in the log's profiles); a group queued since waits out its own BACKGROUND_MS. */
  private armBackground(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      // Only a log idle that long writes them: a write or sync still out arms the wait again when it is back, so the next answer does not queue behind them.
      if (this.appends.length > 0 || (this.file?.syncing ?? 0) > 0 || this.closing) return;
      const rest = this.queued.length > 0 ? this.queued[0]!.at + BACKGROUND_MS - performance.now() : 0;
      if (rest >= 1) return this.armBackground(rest);
      this.backgroundDue = true;
      this.pump();
    }, ms).unref();
  }

  /** The writes since the last group, as the next group. */
  protected encode(): void {
    if (!this.changed()) return;
    const t0 = performance.now();
    const cpu0 = this.timeCpu ? process.cpuUsage() : null;
    let buf: Buffer;
    try {
      buf = frame(this.full ? fullRecord(this.store, this.refs) : changesRecord(this.store, this.dirty, this.touched, this.partOfTable, this.refs));
    } catch (err) {
      // What this record numbered never reaches the file: nothing later may refer to it.
      this.refs.forget();
      this.stuck = true;
      this.failed(err);
      return;
    }
    this.queued.push({ seq: this.nextSeq++, at: t0, buf, label: this.store.index, epoch: this.epoch, full: this.full, dirty: this.dirty, touched: this.touched });
    this.lastLabel = this.store.index;
    this.lastEpoch = this.epoch;
    this.full = false;
    this.dirty = new Map();
    this.touched = new Set();
    this.stats.records++;
    this.stats.recordBytes += buf.length;
    this.noteStep(performance.now() - t0, cpu0 ? process.cpuUsage(cpu0) : null);
  }

  /** For an answer nobody waits ahead of: its record written now (loop-append.ts); undefined: through the pipeline. */
  protected appendNow(_seq: number): Promise<void> | null | undefined {
    return undefined;
  }

  /** The queued groups leave for an append (a background timer left running finds none, or later ones that wait their own time: armBackground). */
  protected takeQueued(): void {
    this.queued = [];
  }

  private write(file: LogFile): void {
    const groups = this.queued;
    this.takeQueued();
    const append: Append = { groups, done: false };
    this.appends.push(append);
    const bufs = groups.map((g) => g.buf);
    let bytes = 0;
    for (const b of bufs) bytes += b.length;
    this.stats.appends++;
    file.ops++;
    const pos = file.pos;
    file.pos += bytes;
    this.io.write(file.fd, bufs, pos, (err) => {
      file.ops--;
      // A file given up after a failure: its appends were dropped with it.
      if (file !== this.file) return this.stale(file);
      if (err) return this.appendFailed(err, []);
      append.done = true;
      this.logBytes += bytes;
      const ready = backInOrder(this.appends);
      // Through O_DSYNC the write returned with its data on disk: its answers go now.
      if (ready) {
        if (file.dsync) this.synced(ready);
        else this.sync(file, ready);
      }
      this.pump();
      this.wake();
    });
  }

  /** One sync at a time; it covers every group written before it started. */
  private sync(file: LogFile, written: Group[] = []): void {
    this.written.push(...written);
    if (file.syncing > 0 || this.written.length === 0) return;
    const covers = this.written;
    this.written = [];
    file.covering = covers;
    file.syncing++;
    this.stats.syncs++;
    file.ops++;
    this.io.sync(file.fd, (err) => {
      file.ops--;
      file.syncing--;
      file.covering = [];
      if (file !== this.file) return this.stale(file);
      if (err) return this.appendFailed(err, covers);
      this.synced(covers);
      this.sync(file);
      this.pump();
      this.wake();
    });
  }

  protected synced(groups: Group[]): void {
    const last = groups[groups.length - 1]!;
    this.durableSeq = last.seq;
    for (const g of groups) if (g.epoch === this.epoch && g.label > this.durable) this.durable = g.label;
    let n = 0;
    while (n < this.waiters.length && this.waiters[n]!.seq <= this.durableSeq) n++;
    const done = this.waiters.splice(0, n);
    for (const w of done) w.resolve();
    if (!this.ckpt && this.logBytes >= Math.max(this.checkpointBytes, CHECKPOINT_LOG_RATIO * this.lastCheckpointBytes)) this.checkpointWanted = this.rotate = true;
  }

  private openLog(): void {
    const spare = this.spare?.ready ? this.spare : null;
    if (spare) this.spare = null;
    const { fd, size, dsync } = openLogFile(this.dir, walName(this.generation + 1), spare, this.io.dsync);
    if (this.file) this.retire(this.file);
    this.file = { fd, dsync, pos: 0, size, ops: 0, syncing: 0, covering: [], retired: false };
    // References never cross files: each replays on its own.
    this.refs = new RefWriter();
    this.generation++;
    this.prepareSpare();
  }

  /** Makes the next log file in the background (files.ts). */
  private prepareSpare(): void {
    if (this.spare || this.closing || this.segmentBytes <= 0) return;
    this.spare = makeSpare(this.dir, this.segmentBytes, (spare) => {
      if (!spare.ready && this.spare === spare) this.spare = null;
      if (spare.ready) this.pump();
      this.wake();
    });
  }

  /** The file is no longer written; its descriptor closes once nothing is outstanding on it. */
  private retire(file: LogFile): void {
    file.retired = true;
    if (file.ops === 0 && file.fd >= 0) {
      fs.close(file.fd, () => undefined);
      file.fd = -1;
    }
    this.wake();
  }

  /** A write or sync on a file given up after a failure came back: it counts for nothing. */
  private stale(file: LogFile): void {
    this.retire(file);
    this.pump();
  }

  /**
   * A write or sync failed. After a failed sync the file's pages may be gone whatever a later sync
   * says, so every group not yet known durable (written, being written or back ahead of a failed
   * one, or encoded for it) is encoded again into a new file, and every waiting answer becomes a 500.
   */
  protected appendFailed(err: Error, failing: Group[]): void {
    const covering = this.file && this.file.covering !== failing ? this.file.covering : [];
    const lost = [...failing, ...covering, ...this.written, ...this.appends.flatMap((a) => a.groups), ...this.queued];
    this.written = [];
    this.appends = [];
    this.queued = [];
    if (requeue(lost, this.dirty, this.touched)) this.full = true;
    // Later completions on the old file are ignored from here on.
    if (this.file) this.retire(this.file);
    this.file = null;
    this.rotate = true;
    this.failed(err);
  }

  /**
   * An append (or opening the next log) failed: counted, and every waiting answer becomes a 500.
   * The next commit or answer tries again.
   */
  private failed(err: unknown): void {
    this.guard.caught('persistence', err);
    if (!this.file) this.rotate = true;
    const waiters = this.waiters;
    this.waiters = [];
    const e = new NotDurableError(`write not durable: ${err instanceof Error ? err.message : String(err)}`);
    for (const w of waiters) w.reject(e);
    this.wake();
  }

  private startCheckpoint(): void {
    this.checkpointWanted = false;
    this.logBytes = 0;
    const ck = new Checkpoint(this.store, this.dir, this.generation, (ms, cpu) => this.noteStep(ms, cpu));
    this.ckpt = ck;
    ck.done.then(
      () => {
        if (this.ckpt === ck) this.ckpt = null;
        this.lastCheckpointBytes = ck.bytes;
        this.stats.checkpoints++;
        this.stats.checkpointBytes += ck.bytes;
      },
      (err: unknown) => {
        if (this.ckpt === ck) this.ckpt = null;
        this.guard.caught('persistence checkpoint', err);
      },
    );
  }

  /** Waits for the writes in flight, appends what is left, and stops (a running checkpoint is dropped). */
  async close(): Promise<void> {
    if (this.closed || this.closing) return;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.store.trackChanges(null);
    this.ckpt?.abort();
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.busy()) await this.idle();
    // The rest goes out synchronously: nothing may commit in between.
    const lastSeq = this.nextSeq - 1;
    if (this.changed() || this.queued.length > 0 || this.written.length > 0) {
      try {
        if (!this.file) this.openLog();
        this.encode();
        appendSync(this.file!, this.queued.map((g) => g.buf));
        this.durableSeq = this.nextSeq - 1;
      } catch (err) {
        this.guard.caught('persistence', err);
      }
    } else this.durableSeq = Math.max(this.durableSeq, lastSeq);
    this.closed = true;
    for (const w of this.waiters) (w.seq <= this.durableSeq ? w.resolve() : w.reject(new NotDurableError('persistence closed')));
    this.waiters = [];
    this.queued = [];
    await this.ckpt?.done.catch(() => undefined);
    if (this.spare) dropSpare(this.spare);
    this.spare = null;
    if (this.file) {
      this.file.retired = true;
      if (this.file.fd >= 0) fs.closeSync(this.file.fd);
      this.file.fd = -1;
    }
  }
}
