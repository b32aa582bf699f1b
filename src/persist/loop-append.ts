// Appends on the event loop. Through the threadpool an answer waits for the hop there and back
// and for whatever the loop runs meanwhile: the simulator's work on the write it answers starts in
// the same turn, so the append's callback came back only after it. One small O_DSYNC write on the
// loop costs the disk's time alone, and the answer leaves before the simulator runs. Only on an idle
// log, once per turn, and while such writes stay fast: a slow one sends them to the threadpool for
// a while (limits.ts), so a busy disk holds answers, not the loop.
import { PersisterCore, NotDurableError } from './persister.js';
import { LOOP_APPEND_MAX_BYTES, LOOP_APPEND_MAX_MS, LOOP_BACKOFF_MS } from './limits.js';

export { NotDurableError, PersistError, type PersistIo, type PersisterOptions } from './persister.js';

export class Persister extends PersisterCore {
  /** An append on the loop slower than this turns them off for a while (tests and the bench change it). */
  loopAppendMaxMs = LOOP_APPEND_MAX_MS;
  /** Appends on the loop are off until then (performance.now()), after a slow one. */
  private loopOffUntil = 0;
  private loopBackoffMs = 0;

  protected override appendNow(seq: number): Promise<void> | null | undefined {
    return this.canAppendOnLoop() ? this.appendOnLoop(seq) : undefined;
  }

  /**
   * Whether the answer asking now may have its record written on the event loop: the log is idle
   * (nothing out, queued for a waiter, syncing, moving to another file or compacting) and this turn
   * of the loop has not written one already. Through the threadpool the answer also waits for the
   * hop there and back and for whatever the loop runs meanwhile (the simulator's work on the write
   * it answers, which starts in the same turn); one small O_DSYNC write on the loop costs the
   * disk's time alone. A second answer in the same turn goes through the threadpool and groups
   * with whatever else commits meanwhile, so many connections still commit as a group.
   */
  private canAppendOnLoop(): boolean {
    const file = this.file;
    if (!file || !file.dsync || !this.io.writeSync || this.closing || this.rotate || this.stuck || this.loopTurn) return false;
    if (this.appends.length > 0 || file.syncing > 0 || this.written.length > 0 || this.ckpt || this.checkpointWanted) return false;
    // A spare being filled writes megabytes to the same disk: the write would wait behind them.
    if (this.spare && !this.spare.ready) return false;
    return performance.now() >= this.loopOffUntil;
  }

  /**
   * Encodes and writes, on the loop, everything up to the group `seq` (and the groups queued
   * before it). Null: on disk; a rejected promise: the write failed (the answer is a 500, and what
   * it held goes out again into a new log file); undefined: it goes through the threadpool after all.
   */
  private appendOnLoop(seq: number): Promise<void> | null | undefined {
    const file = this.file!;
    this.encode();
    const groups = this.queued;
    if (groups.length === 0 || groups[groups.length - 1]!.seq < seq) return undefined;
    let bytes = 0;
    for (const g of groups) bytes += g.buf.length;
    // Only into a file made ahead: growing one commits its size too (a journal write, slower).
    if (bytes > LOOP_APPEND_MAX_BYTES || file.pos + bytes > file.size) return undefined;
    this.takeQueued();
    this.loopTurn = true;
    this.schedule();
    const t0 = performance.now();
    const cpu0 = this.timeCpu ? process.cpuUsage() : null;
    try {
      this.io.writeSync!(file.fd, groups.map((g) => g.buf), file.pos);
    } catch (err) {
      this.appendFailed(err instanceof Error ? err : new Error(String(err)), groups);
      return Promise.reject(new NotDurableError(`write not durable: ${err instanceof Error ? err.message : String(err)}`));
    }
    const ms = performance.now() - t0;
    // Wall time the loop was held (the disk's), which the pause figure counts.
    this.noteStep(ms, cpu0 ? process.cpuUsage(cpu0) : null);
    this.stats.appends++;
    this.stats.loopAppends++;
    if (ms > this.loopAppendMaxMs) {
      this.stats.slowLoopAppends++;
      this.loopBackoffMs = Math.min(Math.max(2 * this.loopBackoffMs, LOOP_BACKOFF_MS[0]), LOOP_BACKOFF_MS[1]);
      this.loopOffUntil = performance.now() + this.loopBackoffMs;
    } else this.loopBackoffMs = 0;
    file.pos += bytes;
    this.logBytes += bytes;
    this.synced(groups);
    // A checkpoint the log's size now calls for.
    if (this.rotate) this.pump();
    return null;
  }
}
