// Appends on the event loop. Through the threadpool an answer waits for the hop there and back
// and for whatever the loop runs meanwhile: the simulator's work on the write it answers starts in
// the same turn, so the append's callback came back only after it. One small O_DSYNC write on the
// loop costs the disk's time alone, and the answer leaves before the simulator runs. But on a busy
// machine the loop's write can take longer than the threadpool's (the woken main thread waits for
// a CPU behind the other work, where a threadpool thread that mostly sleeps is run at once), so
// each answer on an idle log goes the way whose recent appends were faster, the other way now and
// then to see whether it still is. A stalled disk (one append on the loop slower than a few ms)
// turns appends on the loop off for a while (limits.ts), so it holds answers, not the loop.
import { PersisterCore, NotDurableError } from './persister.js';
import { APPEND_PROBE_EVERY, APPEND_TIMES_KEPT, LOOP_APPEND_MAX_BYTES, LOOP_APPEND_MAX_MS, LOOP_BACKOFF_MS } from './limits.js';

export { NotDurableError, PersistError, type PersistIo, type PersisterOptions } from './persister.js';

/** How an answer on an idle log has its record appended: by the measured times, or always one way (the bench's trace compares them). */
export type AppendWay = 'measured' | 'loop' | 'threadpool';

/** The median of a few times (NaN for none). */
function median(times: number[]): number {
  if (times.length === 0) return Number.NaN;
  const s = [...times].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export class Persister extends PersisterCore {
  /** An append on the loop slower than this turns them off for a while (tests and the bench change it). */
  loopAppendMaxMs = LOOP_APPEND_MAX_MS;
  appendWay: AppendWay = 'measured';
  /** Appends on the loop are off until then (now()), after a slow one. */
  private loopOffUntil = 0;
  private loopBackoffMs = 0;
  /** The last few times of each way, for an answer on an idle log (ms, oldest first). */
  private readonly loopTimes: number[] = [];
  private readonly poolTimes: number[] = [];
  /** Answers on an idle log so far (every APPEND_PROBE_EVERY-th goes the other way). */
  private idleAnswers = 0;
  /** When the answer asking now was sent through the threadpool by choice (whenDurable times its wait), else -1. */
  private poolFrom = -1;
  /** The clock the two ways are timed by (tests drive their own). */
  now: () => number = () => performance.now();

  /** What the last appends of each way took (the bench and tests read it). */
  get appendTimes(): { loop: number; threadpool: number } {
    return { loop: median(this.loopTimes), threadpool: median(this.poolTimes) };
  }

  protected override appendNow(seq: number): Promise<void> | null | undefined {
    if (!this.idleForLoop()) return undefined;
    if (this.onLoopNow()) return this.appendOnLoop(seq);
    // Through the threadpool, at once (whenDurable), timed for the comparison.
    this.poolFrom = this.now();
    this.stats.chosenPoolAppends++;
    return undefined;
  }

  override whenDurable(index: number): Promise<void> | null {
    const wait = super.whenDurable(index);
    const t0 = this.poolFrom;
    if (t0 >= 0) {
      this.poolFrom = -1;
      // Encoded, written, back on the loop: what the answer waited (a failed append tells nothing).
      wait?.then(() => keep(this.poolTimes, this.now() - t0), () => undefined);
    }
    return wait;
  }

  /**
   * Whether the log is idle for the answer asking now, so that its record may be written on the
   * event loop: nothing out, queued for a waiter, syncing, moving to another file or compacting,
   * and this turn of the loop has not written one already. A second answer in the same turn goes
   * through the threadpool and groups with whatever else commits meanwhile, so many connections
   * still commit as a group.
   */
  private idleForLoop(): boolean {
    const file = this.file;
    if (!file || !file.dsync || !this.io.writeSync || this.closing || this.rotate || this.stuck || this.loopTurn) return false;
    if (this.appends.length > 0 || file.syncing > 0 || this.written.length > 0 || this.ckpt || this.checkpointWanted) return false;
    // A spare being filled writes megabytes to the same disk: the write would wait behind them.
    if (this.spare && !this.spare.ready) return false;
    return this.now() >= this.loopOffUntil;
  }

  /** The way for this answer on an idle log: the faster of late (the loop while either is unknown), the other one now and then. */
  private onLoopNow(): boolean {
    if (this.appendWay !== 'measured') return this.appendWay === 'loop';
    const loop = median(this.loopTimes);
    const pool = median(this.poolTimes);
    const faster = !(pool < loop);
    return ++this.idleAnswers % APPEND_PROBE_EVERY === 0 ? !faster : faster;
  }

  /**
   * Encodes and writes, on the loop, everything up to the group `seq` (and the groups queued
   * before it). Null: on disk; a rejected promise: the write failed (the answer is a 500, and what
   * it held goes out again into a new log file); undefined: it goes through the threadpool after all.
   */
  private appendOnLoop(seq: number): Promise<void> | null | undefined {
    const file = this.file!;
    // Timed from before the encoding, as the threadpool's way is.
    const start = this.now();
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
    const t0 = this.now();
    const cpu0 = this.timeCpu ? process.cpuUsage() : null;
    try {
      this.io.writeSync!(file.fd, groups.map((g) => g.buf), file.pos);
    } catch (err) {
      this.appendFailed(err instanceof Error ? err : new Error(String(err)), groups);
      return Promise.reject(new NotDurableError(`write not durable: ${err instanceof Error ? err.message : String(err)}`));
    }
    const ms = this.now() - t0;
    // Wall time the loop was held (the disk's), which the pause figure counts.
    this.noteStep(ms, cpu0 ? process.cpuUsage(cpu0) : null);
    this.stats.appends++;
    this.stats.loopAppends++;
    keep(this.loopTimes, this.now() - start);
    if (ms > this.loopAppendMaxMs) {
      this.stats.slowLoopAppends++;
      this.loopBackoffMs = Math.min(Math.max(2 * this.loopBackoffMs, LOOP_BACKOFF_MS[0]), LOOP_BACKOFF_MS[1]);
      this.loopOffUntil = this.now() + this.loopBackoffMs;
    } else this.loopBackoffMs = 0;
    file.pos += bytes;
    this.logBytes += bytes;
    this.synced(groups);
    // A checkpoint the log's size now calls for.
    if (this.rotate) this.pump();
    return null;
  }
}

/** Adds a time to the last few kept. */
function keep(times: number[], ms: number): void {
  times.push(ms);
  if (times.length > APPEND_TIMES_KEPT) times.shift();
}
