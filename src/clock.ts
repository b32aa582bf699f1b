// The one clock every simulated duration goes through. Simulated time is virtual: in `scaled` mode it
// runs `scale` times faster than the wall clock (so a 10 s min_healthy_time takes 100 ms at the
// default ×100); in `manual` mode it stands still until `advance` moves it. Timers due "now" run on
// the next turn of the event loop in both modes: work that takes no simulated time (the scheduler
// picking up an eval) never waits for the test to move the clock.
//
// Every callback runs inside the server's Guard, so a failing one is logged and counted instead of
// killing the process. Simulated time never passes MAX_SIM_MS: Nomad's times are int64 nanoseconds
// (they overflow in April 2262), and each value must also stay a valid JS Date and RFC 3339 year.
import { Guard } from './guard.js';
import { lastMsOf } from './clock-ns.js';

export type ClockMode = 'scaled' | 'manual';

/** The last instant simulated time can reach: 2262-01-01T00:00:00Z, just short of int64 nanoseconds' end. */
export const MAX_SIM_MS = Date.UTC(2262, 0, 1);
/** Scales outside this range are refused: below it nothing visibly moves, above it a wall millisecond skips weeks. */
export const MIN_SCALE = 1e-6;
export const MAX_SCALE = 1e9;
/**
 * Timer callbacks a manual advance steps through one by one, each at its own due time. Past this the
 * rest of the advance is coalesced (see `advance`), so even an advance of centuries does bounded work.
 */
export const ADVANCE_STEP_BUDGET = 10_000;
/** Callbacks one turn of the event loop runs before yielding, so zero-delay chains never starve requests. */
const TURN_BUDGET = 1_000;
/** Node's setTimeout limit (2^31-1 ms); a longer wait is re-armed when it ends. */
const MAX_WALL_WAIT = 2 ** 31 - 1;

export interface ClockOptions {
  mode?: ClockMode;
  /** Simulated milliseconds per wall millisecond in scaled mode. */
  scale?: number;
  /** Simulated start time, unix ms. Defaults to the wall clock at start-up. */
  startMs?: number;
  /** Catches and counts exceptions of timer callbacks; a fresh one when not given. */
  guard?: Guard;
}

/** What an advance did: whether it had to coalesce the tail of a long jump, and from where. */
export interface AdvanceResult {
  /** Timer callbacks run. */
  fired: number;
  /** Null when every timer fired at its own due time; else the simulated ms where stepping stopped. */
  coalescedFromMs: number | null;
}

export interface TimerHandle {
  cancel(): void;
}

/** What `afterTask` runs: an object the caller holds anyway, instead of a closure made for the timer. */
export interface TimerTask {
  fire(): void;
}

const NO_FN = (): void => undefined;

/** A pending timer, which is also its caller's handle: one object per timer, no closure for cancel. */
class Timer implements TimerHandle {
  cancelled = false;
  constructor(
    private readonly clock: Clock,
    readonly due: number,
    readonly seq: number,
    readonly fn: () => void,
    readonly source: string,
    /** Fires after every timer without it due at the same time, whenever that one was armed. */
    readonly late: boolean,
  ) {}

  /** Fired instead of `fn` when set (afterTask). */
  task: TimerTask | null = null;

  cancel(): void {
    this.clock.drop(this);
  }
}

/** The handle of a timer that can never fire (due past MAX_SIM_MS). */
const NEVER: TimerHandle = Object.freeze({ cancel: () => undefined });

export class Clock {
  mode: ClockMode;
  scale: number;
  /** Simulated ms at the last mode/scale change and the wall ms it corresponded to. */
  private baseSim: number;
  private baseWall: number;
  /**
   * Pending timers as a binary min-heap on (due, late, seq): a register arms a dozen short timers while
   * thousands of longer ones wait (health deadlines, progress deadlines), and a sorted array paid a
   * shift of all of them for each. (due, late, seq) is a total order, so timers fire in the same order.
   */
  private readonly queue: Timer[] = [];
  /**
   * Timers armed with no delay, in creation order, so in (due, seq) order too while each is due no
   * earlier than the one before (the clock only moves on; one that does not goes to the heap). Most
   * of a register's timers are such hand-offs to the next turn (a scheduler pass, the reactions to a
   * write), and each paid a sift up through the whole heap of waiting deadlines and a sift down
   * again when it fired; here it costs a push and a shift. `runDue` takes the earlier of this list's
   * head and the heap's top, so timers fire in exactly the heap's order.
   */
  private readonly soon: (Timer | undefined)[] = [];
  /** Index of `soon`'s first timer still waiting (the ones before it have been taken). */
  private soonHead = 0;
  private seq = 0;
  private wallTimer: NodeJS.Timeout | null = null;
  /** The due time the wall timer was set for: re-arming it for the same head would only churn Node's timers. */
  private armedDue = Number.NaN;
  private immediate: NodeJS.Immediate | null = null;
  private running = false;
  private closed = false;
  /** Cancelled timers still in the queue; swept out once they are the majority. */
  private cancelled = 0;
  /** Bumped by `restart`: an advance still stepping through the old world's timers stops there. */
  private epoch = 0;
  /**
   * Scaled mode, while `runDue` runs callbacks: the time it last read, at which it found them due and
   * which `nowMs` answers instead of reading the wall clock again (-1: none). Callbacks take no
   * simulated time, as on the manual clock, and the dozens of readings a register's lifecycle makes
   * inside them cost one Date.now per batch of due timers instead of one each (a system call's
   * price on some VMs).
   */
  private pinned = -1;
  readonly guard: Guard;

  constructor(opts: ClockOptions = {}) {
    this.mode = opts.mode ?? 'scaled';
    this.scale = opts.scale ?? 100;
    this.baseSim = Math.min(Math.max(opts.startMs ?? Date.now(), 0), MAX_SIM_MS);
    this.baseWall = Date.now();
    this.guard = opts.guard ?? new Guard();
  }

  /** Simulated unix time in milliseconds (fractional in scaled mode); never past MAX_SIM_MS. */
  nowMs(): number {
    if (this.mode === 'manual') return this.baseSim;
    if (this.pinned >= 0) return this.pinned;
    return Math.min(this.baseSim + (Date.now() - this.baseWall) * this.scale, MAX_SIM_MS);
  }

  /** The longest advance that keeps simulated time within MAX_SIM_MS. */
  maxAdvanceMs(): number {
    return MAX_SIM_MS - this.nowMs();
  }

  nowNs(): number {
    return Math.round(this.nowMs() * 1e6);
  }

  /**
   * Runs `fn` inside the guard after `delayMs` of simulated time (`source` names it in error
   * reports). A timer that would fall due after MAX_SIM_MS can never fire and is not kept.
   */
  after(delayMs: number, fn: () => void, source = 'clock timer'): TimerHandle {
    const now = this.nowMs();
    return this.schedule(delayMs > 0 ? now + delayMs : now, fn, source, false, !(delayMs > 0));
  }

  /** `after` for a task object: its `fire()` runs, in the same order and guard as a callback would. */
  afterTask(delayMs: number, task: TimerTask, source: string): TimerHandle {
    // Through `after`, so whatever wraps it (the lifecycle probe's timer counts) sees this timer too.
    const t = this.after(delayMs, NO_FN, source);
    if (t instanceof Timer) t.task = task;
    return t;
  }

  /**
   * Runs `fn` at the simulated instant `ns` (as `nowNs()` reads it; now when that has passed), after
   * every `after` timer due at that same nanosecond, armed before or after this one. For a reader
   * woken for what happens at an instant (a log line): it sees the instant once everything at it has
   * happened (a task's exit then). Unix nanoseconds are floats 256 ns apart today and timers are due
   * in milliseconds, so several due times read as one `nowNs()`: a delay computed from nanoseconds
   * landed on either side of a timer armed in milliseconds for the same instant, and which side
   * depended on the last digits of the time the clock started at.
   */
  atNs(ns: number, fn: () => void, source = 'clock timer'): TimerHandle {
    return this.schedule(Math.max(this.nowMs(), lastMsOf(ns)), fn, source, true, false);
  }

  private schedule(due: number, fn: () => void, source: string, late: boolean, now: boolean): TimerHandle {
    if (!(due <= MAX_SIM_MS)) return NEVER;
    const t = new Timer(this, due, this.seq++, fn, source, late);
    const soon = this.soon;
    if (now && (this.soonHead === soon.length || soon[soon.length - 1]!.due <= due)) soon.push(t);
    else this.insert(t);
    // A running runDue arms for what is left when it ends, and a pending immediate runs runDue: either
    // way the wall timer or immediate this timer needs is set then, from the whole queue.
    if (!this.running && this.immediate === null) this.arm();
    return t;
  }

  /** A timer's cancel (Timer.cancel): marked here, swept out of the queue later. */
  drop(t: Timer): void {
    if (t.cancelled || this.closed) return;
    t.cancelled = true;
    this.cancelled++;
    if (this.cancelled > 1024 && this.cancelled * 2 > this.queue.length + this.soon.length - this.soonHead) this.sweep();
  }

  /**
   * Timers created so far: a caller that sees it one past the count just after its own `after` knows
   * its timer is still the newest, so work it adds to that timer runs exactly where a timer of its
   * own would have (the next one in creation order at the same due time).
   */
  get created(): number {
    return this.seq;
  }

  /** Timers waiting to fire (cancelled ones not counted). */
  pending(): number {
    return this.queue.length + this.soon.length - this.soonHead - this.cancelled;
  }

  /**
   * Moves simulated time forward by `ms`, firing every timer that falls due on the way, in order,
   * each at its own due time. After ADVANCE_STEP_BUDGET callbacks the rest is coalesced: time jumps
   * to the target and every timer still due fires once, at the target. What repeats (a periodic
   * launch, a task's restart, a watcher batch) re-arms from the target, so it runs once for the
   * skipped span instead of once per period, as when a real Nomad's clock jumps.
   */
  async advance(ms: number): Promise<AdvanceResult> {
    if (!(ms >= 0)) throw new RangeError('cannot move the clock backwards');
    // Callers check maxAdvanceMs(); in scaled mode time may have moved since, so clamp rather than fail.
    const target = Math.min(this.nowMs() + ms, MAX_SIM_MS);
    let fired = 0;
    let coalescedFromMs: number | null = null;
    const epoch = this.epoch;
    if (this.mode === 'scaled') {
      this.rebase(target);
    } else {
      for (;;) {
        const next = this.peek();
        if (!next || next.due > target) break;
        if (fired >= ADVANCE_STEP_BUDGET) {
          coalescedFromMs = this.baseSim;
          break;
        }
        this.baseSim = Math.max(this.baseSim, next.due);
        fired += this.runDue();
        await settleTurn();
        if (epoch !== this.epoch) return { fired, coalescedFromMs };
      }
      // Another advance running at the same time may already have gone further.
      this.baseSim = Math.max(this.baseSim, target);
    }
    fired += this.runDue();
    fired += await this.settle();
    return { fired, coalescedFromMs };
  }

  /** Resolves once nothing is due now (all zero-delay work has run); answers how many callbacks ran. */
  async settle(): Promise<number> {
    let fired = 0;
    for (let i = 0; i < 10_000; i++) {
      const next = this.peek();
      if (!next || next.due > this.nowMs()) break;
      fired += this.runDue();
      await settleTurn();
    }
    return fired;
  }

  setMode(mode: ClockMode, scale?: number): void {
    this.rebase(this.nowMs());
    this.mode = mode;
    if (scale !== undefined) this.scale = scale;
    this.arm();
  }

  /**
   * Starts time over (reset): every waiting timer is dropped, as with the old world's processes, and
   * simulated time, mode and scale are set as given. An advance in progress stops where it is.
   */
  restart(at: { nowMs: number; mode: ClockMode; scale: number }): void {
    this.epoch++;
    // Marked cancelled, so a component of the old world that cancels its handle later changes nothing.
    for (const t of this.queue) t.cancelled = true;
    for (let i = this.soonHead; i < this.soon.length; i++) this.soon[i]!.cancelled = true;
    this.queue.length = 0;
    this.clearSoon();
    this.cancelled = 0;
    if (this.wallTimer) clearTimeout(this.wallTimer);
    this.wallTimer = null;
    this.mode = at.mode;
    this.scale = at.scale;
    this.rebase(Math.min(Math.max(at.nowMs, 0), MAX_SIM_MS));
  }

  /** Stops all timers; used when the server closes. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.clearSoon();
    this.cancelled = 0;
    if (this.wallTimer) clearTimeout(this.wallTimer);
    if (this.immediate) clearImmediate(this.immediate);
  }

  private rebase(simMs: number): void {
    this.pinned = -1;
    this.baseSim = simMs;
    this.baseWall = Date.now();
    // Simulated time maps to the wall clock afresh: the wall timer must be computed again.
    this.armedDue = Number.NaN;
  }

  private insert(t: Timer): void {
    // Sift up: equal times fire in creation order (`late` ones last).
    const q = this.queue;
    let i = q.length;
    q.push(t);
    while (i > 0) {
      const up = (i - 1) >> 1;
      const p = q[up]!;
      if (!earlier(t, p)) break;
      q[i] = p;
      i = up;
    }
    q[i] = t;
  }

  private clearSoon(): void {
    this.soon.length = 0;
    this.soonHead = 0;
  }

  /** Takes `t`, the timer `peek` answered, off the list or heap it is in. */
  private take(t: Timer): void {
    const soon = this.soon;
    if (this.soonHead < soon.length && soon[this.soonHead] === t) this.shiftSoon();
    else this.pop();
  }

  private shiftSoon(): void {
    const soon = this.soon;
    soon[this.soonHead++] = undefined;
    if (this.soonHead === soon.length) this.clearSoon();
    else if (this.soonHead >= 1024 && this.soonHead * 2 >= soon.length) {
      // A long zero-delay chain: drop the taken slots rather than let the list grow with it.
      soon.copyWithin(0, this.soonHead);
      soon.length -= this.soonHead;
      this.soonHead = 0;
    }
  }

  /** Takes the earliest timer off the heap. */
  private pop(): Timer | undefined {
    const q = this.queue;
    const top = q[0];
    const last = q.pop();
    if (q.length > 0 && last !== undefined) this.siftDown(last, 0);
    return top;
  }

  private siftDown(t: Timer, from: number): void {
    const q = this.queue;
    const n = q.length;
    let i = from;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && earlier(q[c + 1]!, q[c]!)) c++;
      if (!earlier(q[c]!, t)) break;
      q[i] = q[c]!;
      i = c;
    }
    q[i] = t;
  }

  /** The timer that fires next: the earlier of the heap's top and `soon`'s head (cancelled ones dropped). */
  private peek(): Timer | undefined {
    while (this.queue.length > 0 && this.queue[0]!.cancelled) {
      this.pop();
      this.cancelled--;
    }
    const soon = this.soon;
    while (this.soonHead < soon.length && soon[this.soonHead]!.cancelled) {
      this.shiftSoon();
      this.cancelled--;
    }
    const top = this.queue[0];
    if (this.soonHead === soon.length) return top;
    const first = soon[this.soonHead]!;
    return top === undefined || earlier(first, top) ? first : top;
  }

  private sweep(): void {
    let w = 0;
    const soon = this.soon;
    for (let i = this.soonHead; i < soon.length; i++) if (!soon[i]!.cancelled) soon[w++] = soon[i];
    soon.length = w;
    this.soonHead = 0;
    w = 0;
    for (const t of this.queue) if (!t.cancelled) this.queue[w++] = t;
    this.queue.length = w;
    this.cancelled = 0;
    for (let i = (w >> 1) - 1; i >= 0; i--) this.siftDown(this.queue[i]!, i);
  }

  /** Runs what is due now, at most TURN_BUDGET callbacks (the rest on the next turn); answers how many ran. */
  private runDue(): number {
    if (this.running) return 0;
    this.running = true;
    let ran = 0;
    try {
      while (ran < TURN_BUDGET) {
        const next = this.peek();
        if (!next) break;
        // Scaled mode: a timer due by the time the last one ran at runs at that time too (time only
        // moves on); the wall clock is read again only for one that was not due yet (or after a rebase).
        let now = this.pinned;
        if (!(next.due <= now)) {
          this.pinned = -1;
          now = this.nowMs();
          if (next.due > now) break;
        }
        this.take(next);
        // Fired timers can no longer be cancelled: mark them so a late cancel() is not counted.
        next.cancelled = true;
        ran++;
        if (this.mode === 'scaled') this.pinned = now;
        const task = next.task;
        if (task === null) this.guard.run(next.source, next.fn);
        else {
          // guard.run's try/catch spelled out: a task's fire() returns nothing to wait for.
          try {
            task.fire();
          } catch (err) {
            this.guard.caught(next.source, err);
          }
        }
      }
    } finally {
      this.running = false;
      this.pinned = -1;
    }
    this.arm();
    return ran;
  }

  // Made once: the clock arms an immediate after most turns that ran timers, and a closure each time
  // was garbage for every one.
  private readonly onImmediate = (): void => {
    this.immediate = null;
    this.runDue();
  };

  private readonly onWallTimer = (): void => {
    this.wallTimer = null;
    this.runDue();
  };

  private arm(): void {
    if (this.closed) return;
    const next = this.peek();
    if (!next) return;
    const now = this.nowMs();
    if (next.due <= now) {
      if (!this.immediate) this.immediate = setImmediate(this.onImmediate);
      return;
    }
    if (this.mode === 'manual') return;
    if (this.wallTimer && this.armedDue === next.due) return;
    if (this.wallTimer) clearTimeout(this.wallTimer);
    this.armedDue = next.due;
    const wallMs = Math.min(MAX_WALL_WAIT, Math.max(0, Math.ceil((next.due - now) / this.scale)));
    this.wallTimer = setTimeout(this.onWallTimer, wallMs);
    this.wallTimer.unref?.();
  }
}

/** Whether `a` fires before `b`: earlier due time, then `late` ones last, then earlier creation. */
function earlier(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && (a.late === b.late ? a.seq < b.seq : b.late));
}

const settleTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
