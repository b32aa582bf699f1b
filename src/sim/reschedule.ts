// Reschedule policy arithmetic (nomad/structs Allocation.RescheduleEligible / NextDelay).
import type { Obj } from '../../state/types.js';

export interface RescheduleDecision {
  eligible: boolean;
  unlimited: boolean;
  /** Delay applied to this attempt, ns. */
  delay: number;
  /** When the replacement may be placed, unix ns. */
  at: number;
}

/** When the alloc failed: the latest task finish time, or its last modification. */
export function failedAtNs(alloc: Obj): number {
  let latest = 0;
  for (const ts of Object.values((alloc.TaskStates as Obj | null) ?? {})) {
    const t = (ts as Obj).FinishedAt ? Date.parse((ts as Obj).FinishedAt) * 1e6 : 0;
    if (t > latest) latest = t;
  }
  return latest || alloc.ModifyTime;
}

export function nextDelay(policy: Obj, events: Obj[]): number {
  const base = Number(policy.Delay ?? 0);
  const max = Number(policy.MaxDelay ?? 0);
  const last = events[events.length - 1];
  let delay = base;
  if (last) {
    if (policy.DelayFunction === 'exponential') delay = Number(last.Delay) * 2;
    else if (policy.DelayFunction === 'fibonacci') {
      const prev = events[events.length - 2];
      delay = prev ? Number(last.Delay) + Number(prev.Delay) : Number(last.Delay);
    }
  }
  if (max > 0 && delay > max) delay = max;
  return delay;
}

export function rescheduleDecision(alloc: Obj, tg: Obj, nowNs: number): RescheduleDecision {
  const policy = tg.ReschedulePolicy as Obj | null;
  const events = (alloc.RescheduleTracker?.Events as Obj[] | null) ?? [];
  if (!policy) return { eligible: false, unlimited: false, delay: 0, at: 0 };
  const unlimited = Boolean(policy.Unlimited);
  let eligible = unlimited;
  if (!unlimited && (policy.Attempts ?? 0) > 0) {
    const windowStart = nowNs - Number(policy.Interval ?? 0);
    const recent = events.filter((e) => Number(e.RescheduleTime) > windowStart).length;
    eligible = recent < policy.Attempts;
  }
  const delay = nextDelay(policy, events);
  return { eligible, unlimited, delay, at: failedAtNs(alloc) + delay };
}
