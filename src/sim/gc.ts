// The leader's periodic GC (nomad/leader.go schedulePeriodic): one ticker per collector on the
// simulated clock, each running its core_sched pass with the configured threshold. Timers go through
// `clock.after`, so the guard around every clock callback also covers a GC pass that throws.
import type { Store } from '../../state/store.js';
import { deploymentGC, evalGC, forceGC, jobGC, nodeGC, type GcResult } from '../../state/gc/gc.js';
import { DEFAULTS, GC_KEYS, gcDurationNs, type Config } from '../config.js';
import type { Clock, TimerHandle } from '../clock.js';

/** Thresholds and intervals in simulated milliseconds. */
export interface GcSettings {
  jobThreshold: number;
  jobInterval: number;
  evalThreshold: number;
  batchEvalThreshold: number;
  evalInterval: number;
  deploymentThreshold: number;
  deploymentInterval: number;
  nodeThreshold: number;
  nodeInterval: number;
}

/** The GC settings of a configuration; a bad value (only reachable in-process) throws. */
export function gcSettings(config: Partial<Config>): GcSettings {
  const ms = (key: keyof Config): number => {
    const g = GC_KEYS.find((x) => x.key === key)!;
    const value = String(config[key] ?? DEFAULTS[key]);
    const ns = gcDurationNs(value, g.interval);
    if (typeof ns === 'string') throw new Error(`${g.name}: ${ns}`);
    return ns / 1e6;
  };
  return {
    jobThreshold: ms('jobGcThreshold'),
    jobInterval: ms('jobGcInterval'),
    evalThreshold: ms('evalGcThreshold'),
    batchEvalThreshold: ms('batchEvalGcThreshold'),
    evalInterval: ms('evalGcInterval'),
    deploymentThreshold: ms('deploymentGcThreshold'),
    deploymentInterval: ms('deploymentGcInterval'),
    nodeThreshold: ms('nodeGcThreshold'),
    nodeInterval: ms('nodeGcInterval'),
  };
}

/**
 * One collector's ticker. It ticks every `interval` on a fixed grid, as Nomad's does, while the
 * state changes. Once a pass finds nothing and nothing has been written since, the only thing that
 * can make the next pass find something is an object growing old enough, so the ticker sleeps until
 * the first grid tick after the earliest such moment (or until the next write). A long clock advance
 * over a quiet state then costs a few passes, not one per interval.
 */
interface Ticker {
  interval: number;
  pass: () => GcResult;
  /** The earliest simulated ms ≥ now at which some object crosses its age threshold, if any. */
  nextCrossing: (nowMs: number) => number | null;
  timer: TimerHandle | null;
  at: number | null;
  /**
   * `at` is the first grid tick after a moment already past (an arm for a write or a busy pass),
   * so no later write can want the ticker sooner: it is on `gridAfter(now)` or before it.
   */
  onGrid: boolean;
  written: boolean;
}

/** The smallest `t + threshold` that is not in the past, over timestamps `t` (ms). */
class Earliest {
  best: number | null = null;
  constructor(private readonly nowMs: number) {}
  add(tsMs: number, thresholdMs: number): void {
    const at = tsMs + thresholdMs;
    if (!(at >= this.nowMs)) return;
    if (this.best === null || at < this.best) this.best = at;
  }
}

export class GarbageCollector {
  private readonly tickers: Ticker[] = [];
  /** Passes run by the tickers (not forced ones); tests use it to prove long advances stay cheap. */
  passes = 0;
  private origin = 0;
  private closed = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly settings: GcSettings,
    /** Told what each pass deleted, so the simulator drops its runners and watches for it. */
    private readonly removed: (r: GcResult) => void,
  ) {}

  start(): void {
    const s = this.settings;
    const store = this.store;
    const cutoff = (thresholdMs: number): number => store.nowNs() - thresholdMs * 1e6;
    const ms = (ns: unknown): number => Number(ns) / 1e6;
    this.origin = this.clock.nowMs();
    this.add(s.jobInterval, () => jobGC(store, cutoff(s.jobThreshold)), (now) => {
      const e = new Earliest(now);
      for (const j of store.jobs.values()) e.add(ms(j.SubmitTime), s.jobThreshold);
      for (const ev of store.evals.values()) e.add(ms(ev.ModifyTime), s.jobThreshold);
      for (const a of store.allocs.values()) e.add(ms(a.ModifyTime), s.jobThreshold);
      return e.best;
    });
    this.add(s.evalInterval, () => evalGC(store, cutoff(s.evalThreshold), cutoff(s.batchEvalThreshold)), (now) => {
      const e = new Earliest(now);
      for (const ev of store.evals.values()) e.add(ms(ev.ModifyTime), ev.Type === 'batch' ? s.batchEvalThreshold : s.evalThreshold);
      for (const a of store.allocs.values()) {
        e.add(ms(a.ModifyTime), s.evalThreshold);
        e.add(ms(a.ModifyTime), s.batchEvalThreshold);
      }
      return e.best;
    });
    this.add(s.deploymentInterval, () => deploymentGC(store, cutoff(s.deploymentThreshold)), (now) => {
      const e = new Earliest(now);
      for (const d of store.deployments.values()) e.add(ms(d.ModifyTime), s.deploymentThreshold);
      return e.best;
    });
    this.add(s.nodeInterval, () => nodeGC(store, cutoff(s.nodeThreshold)), (now) => {
      const e = new Earliest(now);
      for (const n of store.nodes.values()) e.add(Number(n.StatusUpdatedAt) * 1000, s.nodeThreshold);
      return e.best;
    });
    this.unsubscribe = store.onCommit(() => this.onWrite());
  }

  /** `PUT /v1/system/gc`: every collector now, ignoring the thresholds. */
  force(): GcResult {
    const r = forceGC(this.store);
    this.removed(r);
    return r;
  }

  private add(interval: number, pass: () => GcResult, nextCrossing: (nowMs: number) => number | null): void {
    const t: Ticker = { interval, pass, nextCrossing, timer: null, at: null, onGrid: false, written: false };
    this.tickers.push(t);
    this.arm(t, this.gridAfter(t, this.clock.nowMs()), true);
  }

  /** The first tick of the ticker's grid strictly after `ms`. */
  private gridAfter(t: Ticker, ms: number): number {
    const k = Math.floor((ms - this.origin) / t.interval) + 1;
    return this.origin + k * t.interval;
  }

  private gridAtOrAfter(t: Ticker, ms: number): number {
    return this.origin + Math.ceil((ms - this.origin) / t.interval) * t.interval;
  }

  private arm(t: Ticker, at: number, onGrid: boolean): void {
    t.timer?.cancel();
    t.at = at;
    t.onGrid = onGrid;
    t.timer = this.clock.after(at - this.clock.nowMs(), () => this.fire(t));
  }

  private fire(t: Ticker): void {
    t.timer = null;
    t.at = null;
    if (this.closed) return;
    t.written = false;
    this.passes++;
    let result: GcResult | null = null;
    try {
      result = t.pass();
      this.removed(result);
    } finally {
      // Re-armed even when the pass throws (the guard logs it), so the ticker never stops.
      const now = this.clock.nowMs();
      const busy = t.written || result === null || result.jobs.length + result.evals.length + result.allocs.length + result.deployments.length + result.nodes.length > 0;
      if (busy) this.arm(t, this.gridAfter(t, now), true);
      else {
        const crossing = t.nextCrossing(now);
        // Nothing new is due before the crossing; a crossing at `now` itself is judged next tick.
        if (crossing !== null) this.arm(t, crossing > now ? this.gridAtOrAfter(t, crossing) : this.gridAfter(t, now), !(crossing > now));
      }
    }
  }

  /** Any write may make something collectable: a sleeping ticker wakes at its next grid tick. */
  private onWrite(): void {
    if (this.closed) return;
    // Most writes find every ticker on the grid already: no clock reading for them.
    let now = -1;
    for (const t of this.tickers) {
      t.written = true;
      if (t.onGrid && t.at !== null) continue;
      if (now < 0) now = this.clock.nowMs();
      const next = this.gridAfter(t, now);
      if (t.at === null || t.at > next) this.arm(t, next, true);
      else t.onGrid = true;
    }
  }

  /** Starts the tickers over from now, on a new grid, as a restarted leader does. */
  restart(): void {
    this.close();
    this.closed = false;
    this.start();
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
    for (const t of this.tickers) t.timer?.cancel();
    this.tickers.length = 0;
  }
}
