// The leader's periodic GC (nomad/leader.go schedulePeriodic): one ticker per collector on the
// simulated clock, each running its core_sched pass with the configured threshold. Timers go through
// `clock.after`, so the guard around every clock callback also covers a GC pass that throws.
import type { Store } from '../../state/store.js';
import { deploymentGC, evalGC, forceGC, jobGC, nodeGC, type GcResult } from '../../state/gc.js';
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

export class GarbageCollector {
  private readonly timers: TimerHandle[] = [];
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly settings: GcSettings,
    /** Told what each pass deleted, so the simulator drops its runners and watches for it. */
    private readonly removed: (r: GcResult) => void,
  ) {}

  start(): void {
    const s = this.settings;
    const cutoff = (thresholdMs: number): number => this.store.nowNs() - thresholdMs * 1e6;
    this.every(s.jobInterval, () => jobGC(this.store, cutoff(s.jobThreshold)));
    this.every(s.evalInterval, () => evalGC(this.store, cutoff(s.evalThreshold), cutoff(s.batchEvalThreshold)));
    this.every(s.deploymentInterval, () => deploymentGC(this.store, cutoff(s.deploymentThreshold)));
    this.every(s.nodeInterval, () => nodeGC(this.store, cutoff(s.nodeThreshold)));
  }

  /** `PUT /v1/system/gc`: every collector now, ignoring the thresholds. */
  force(): GcResult {
    const r = forceGC(this.store);
    this.removed(r);
    return r;
  }

  private every(intervalMs: number, pass: () => GcResult): void {
    const slot = this.timers.length;
    const arm = (): void => {
      if (this.closed) return;
      // Re-armed before the pass runs, so a pass that throws does not stop the ticker.
      this.timers[slot] = this.clock.after(intervalMs, () => {
        arm();
        this.removed(pass());
      });
    };
    arm();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) t.cancel();
    this.timers.length = 0;
  }
}
