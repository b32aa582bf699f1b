// The one clock every simulated duration goes through. Simulated time is virtual: in `scaled` mode it
// runs `scale` times faster than the wall clock (so a 10 s min_healthy_time takes 100 ms at the
// default ×100); in `manual` mode it stands still until `advance` moves it. Timers due "now" run on
// the next turn of the event loop in both modes: work that takes no simulated time (the scheduler
// picking up an eval) never waits for the test to move the clock.

export type ClockMode = 'scaled' | 'manual';

export interface ClockOptions {
  mode?: ClockMode;
  /** Simulated milliseconds per wall millisecond in scaled mode. */
  scale?: number;
  /** Simulated start time, unix ms. Defaults to the wall clock at start-up. */
  startMs?: number;
}

interface Timer {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export interface TimerHandle {
  cancel(): void;
}

export class Clock {
  mode: ClockMode;
  scale: number;
  /** Simulated ms at the last mode/scale change and the wall ms it corresponded to. */
  private baseSim: number;
  private baseWall: number;
  private readonly queue: Timer[] = [];
  private seq = 0;
  private wallTimer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private running = false;
  private closed = false;

  constructor(opts: ClockOptions = {}) {
    this.mode = opts.mode ?? 'scaled';
    this.scale = opts.scale ?? 100;
    this.baseSim = opts.startMs ?? Date.now();
    this.baseWall = Date.now();
  }

  /** Simulated unix time in milliseconds (fractional in scaled mode). */
  nowMs(): number {
    if (this.mode === 'manual') return this.baseSim;
    return this.baseSim + (Date.now() - this.baseWall) * this.scale;
  }

  nowNs(): number {
    return Math.round(this.nowMs() * 1e6);
  }

  /** Runs `fn` after `delayMs` of simulated time. */
  after(delayMs: number, fn: () => void): TimerHandle {
    const t: Timer = { due: this.nowMs() + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.insert(t);
    this.arm();
    return { cancel: () => void (t.cancelled = true) };
  }

  /** Manual mode: moves simulated time forward, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError('cannot move the clock backwards');
    const target = this.nowMs() + ms;
    if (this.mode === 'scaled') {
      this.rebase(target);
    } else {
      for (;;) {
        const next = this.peek();
        if (!next || next.due > target) break;
        this.baseSim = Math.max(this.baseSim, next.due);
        this.runDue();
        await settleTurn();
      }
      this.baseSim = target;
    }
    this.runDue();
    await this.settle();
  }

  /** Resolves once nothing is due now (all zero-delay work has run). */
  async settle(): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      const next = this.peek();
      if (!next || next.due > this.nowMs()) return;
      this.runDue();
      await settleTurn();
    }
  }

  setMode(mode: ClockMode, scale?: number): void {
    this.rebase(this.nowMs());
    this.mode = mode;
    if (scale !== undefined) this.scale = scale;
    this.arm();
  }

  /** Stops all timers; used when the server closes. */
  close(): void {
    this.closed = true;
    this.queue.length = 0;
    if (this.wallTimer) clearTimeout(this.wallTimer);
    if (this.immediate) clearImmediate(this.immediate);
  }

  private rebase(simMs: number): void {
    this.baseSim = simMs;
    this.baseWall = Date.now();
  }

  private insert(t: Timer): void {
    // Binary insertion keeps the queue ordered by (due, seq): equal times fire in creation order.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.queue[mid]!;
      if (m.due < t.due || (m.due === t.due && m.seq < t.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, t);
  }

  private peek(): Timer | undefined {
    while (this.queue.length > 0 && this.queue[0]!.cancelled) this.queue.shift();
    return this.queue[0];
  }

  private runDue(): void {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const next = this.peek();
        if (!next || next.due > this.nowMs()) break;
        this.queue.shift();
        next.fn();
      }
    } finally {
      this.running = false;
    }
    this.arm();
  }

  private arm(): void {
    if (this.closed) return;
    const next = this.peek();
    if (!next) return;
    const now = this.nowMs();
    if (next.due <= now) {
      if (!this.immediate) {
        this.immediate = setImmediate(() => {
          this.immediate = null;
          this.runDue();
        });
      }
      return;
    }
    if (this.mode === 'manual') return;
    if (this.wallTimer) clearTimeout(this.wallTimer);
    const wallMs = Math.max(0, (next.due - now) / this.scale);
    this.wallTimer = setTimeout(() => {
      this.wallTimer = null;
      this.runDue();
    }, Math.ceil(wallMs));
    this.wallTimer.unref?.();
  }
}

const settleTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
