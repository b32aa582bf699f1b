// The leader's periodic dispatcher: every tracked periodic job (enabled, not stopped, not an
// undispatched parameterized parent) gets a timer on the simulated clock for its next cron time.
import { Cron } from 'croner';
import type { Job, Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { isTrackedPeriodic } from '../../state/jobs/periodic.js';
import { launchPeriodicChild } from '../../state/jobs/periodic.js';
import { isTerminalEval } from '../../state/evaluations/table.js';
import { isTerminalAlloc } from '../../state/jobs/status.js';
import type { Clock, TimerHandle } from '../clock.js';

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** hashicorp/cronexpr field layouts → croner's: 6 fields end with a year, 7 start with seconds. */
function toCroner(spec: string): string {
  const s = spec.trim();
  if (MACROS[s]) return MACROS[s]!;
  const f = s.split(/\s+/);
  if (f.length === 6) return f.slice(0, 5).join(' ');
  if (f.length === 7) return f.slice(0, 6).join(' ');
  return s;
}

/** Parsed specs, reused: every launch asks for the next one, and parsing dominates a long advance. */
const CRONS = new Map<string, Cron>();

function cronFor(spec: string, timezone: string): Cron {
  const key = `${timezone}\u0000${spec}`;
  let cron = CRONS.get(key);
  if (!cron) {
    if (CRONS.size >= 1024) CRONS.clear();
    cron = new Cron(toCroner(spec), { timezone, paused: true });
    CRONS.set(key, cron);
  }
  return cron;
}

/** The earliest launch strictly after `afterMs` over all of the job's specs, in its time zone. */
export function nextLaunchMs(periodic: Obj, afterMs: number): number | null {
  const specs: string[] = periodic.Specs?.length ? periodic.Specs : periodic.Spec ? [periodic.Spec] : [];
  let best: number | null = null;
  for (const spec of specs) {
    try {
      const every = /^@every\s+(\S+)$/.exec(spec.trim());
      let next: number | null;
      if (every) {
        const secs = Number.parseFloat(every[1]!);
        next = Number.isFinite(secs) && secs > 0 ? afterMs + secs * 1000 : null;
      } else {
        next = cronFor(spec, periodic.TimeZone || 'UTC').nextRun(new Date(afterMs))?.getTime() ?? null;
      }
      if (next !== null && (best === null || next < best)) best = next;
    } catch {
      // Register validated the spec; anything croner still rejects simply never fires.
    }
  }
  return best;
}

export class PeriodicDispatcher {
  private readonly timers = new Map<string, { at: number; timer: TimerHandle }>();

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
  ) {}

  /** (Re)arms the timer of a job after any write to it. */
  onJob(namespace: string, id: string): void {
    const key = jobKey(namespace, id);
    const job = this.store.jobs.get(key);
    const prev = this.timers.get(key);
    if (!job || !isTrackedPeriodic(job)) {
      prev?.timer.cancel();
      this.timers.delete(key);
      return;
    }
    const at = nextLaunchMs(job.Periodic!, Math.floor(this.clock.nowMs()));
    if (prev && prev.at === at) return;
    prev?.timer.cancel();
    this.timers.delete(key);
    if (at === null) return;
    const timer = this.clock.after(at - this.clock.nowMs(), () => this.fire(key, at), 'periodic launch');
    this.timers.set(key, { at, timer });
  }

  private fire(key: string, at: number): void {
    this.timers.delete(key);
    const job = this.store.jobs.get(key);
    if (!job || !isTrackedPeriodic(job)) return;
    if (!(job.Periodic!.ProhibitOverlap && this.childRunning(job))) launchPeriodicChild(this.store, job, at * 1e6);
    const cur = this.store.jobs.get(key);
    if (cur) this.onJob(cur.Namespace, cur.ID);
  }

  /** Any child with a non-terminal eval or a non-terminal alloc blocks an overlapping launch. */
  private childRunning(parent: Job): boolean {
    const prefix = `${parent.ID}/periodic-`;
    for (const child of this.store.jobs.values()) {
      if (child.Namespace !== parent.Namespace || child.ParentID !== parent.ID || !child.ID.startsWith(prefix)) continue;
      // Straight off the indexes: this runs over every child at every launch.
      const key = jobKey(child.Namespace, child.ID);
      for (const id of this.store.evalsByJob.get(key) ?? []) {
        const e = this.store.evals.get(id);
        if (e && !isTerminalEval(e)) return true;
      }
      for (const id of this.store.allocsByJob.get(key) ?? []) {
        const a = this.store.allocs.get(id);
        if (a && !isTerminalAlloc(a)) return true;
      }
    }
    return false;
  }

  close(): void {
    for (const t of this.timers.values()) t.timer.cancel();
    this.timers.clear();
  }
}
