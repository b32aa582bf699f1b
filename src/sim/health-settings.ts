// The health settings a client runner tracks an alloc's deployment health with: its group's update
// block for an alloc of a deployment, else the migrate block (falling back to update).
import type { Obj } from '../../state/types.js';

export interface HealthSettings {
  /** Simulated ms. */
  minHealthy: number;
  deadline: number;
  check: string;
}

/** Per group object (records are immutable): both readings, made once rather than at every look. */
const ofGroup = new WeakMap<Obj, { deployment: HealthSettings; other: HealthSettings }>();

function from(src: Obj | null | undefined): HealthSettings {
  return {
    minHealthy: Number(src?.MinHealthyTime ?? 10e9) / 1e6,
    deadline: Number(src?.HealthyDeadline ?? 300e9) / 1e6,
    check: String(src?.HealthCheck ?? 'checks'),
  };
}

export function healthSettings(tg: Obj, inDeployment: boolean): HealthSettings {
  let settings = ofGroup.get(tg);
  if (!settings) ofGroup.set(tg, (settings = { deployment: from(tg.Update), other: from(tg.Migrate ?? tg.Update) }));
  return inDeployment ? settings.deployment : settings.other;
}

/** A DeploymentStatus Timestamp (RFC 3339) as the ns the runner keeps its health time in. */
export function parseTime(t: string | null | undefined): number | null {
  return t ? Date.parse(t) * 1e6 : null;
}
