// How the reconciler classifies a group's existing allocs against the job being scheduled
// (scheduler/reconciler computeUpdates, filterOldTerminalAllocs, util.go tasksUpdated).
import type { Job, Obj } from '../../state/types.js';
import { isClientTerminal } from '../../state/allocations/table.js';

/** The fields whose change forces a destructive update (scheduler/util.go tasksUpdated, abridged). */
function destructiveSignature(job: Job, tg: Obj): string {
  const tasks = ((tg.Tasks as Obj[]) ?? []).map((t) => ({
    n: t.Name, d: t.Driver, u: t.User, c: t.Config, e: t.Env, a: t.Artifacts, v: t.Vault, tm: t.Templates,
    vm: t.VolumeMounts, id: t.Identities, l: t.LogConfig?.Disabled,
    r: t.Resources ? [t.Resources.CPU, t.Resources.Cores, t.Resources.MemoryMB, t.Resources.MemoryMaxMB, t.Resources.Devices, t.Resources.Networks] : null,
    m: { ...job.Meta, ...tg.Meta, ...t.Meta },
  }));
  return JSON.stringify([tasks, tg.Networks, tg.EphemeralDisk, tg.Volumes]);
}

export function isDestructive(oldJob: Job, newJob: Job, tgName: string): boolean {
  const o = oldJob.TaskGroups.find((g) => g.Name === tgName);
  const n = newJob.TaskGroups.find((g) => g.Name === tgName);
  if (!o || !n) return true;
  return destructiveSignature(oldJob, o) !== destructiveSignature(newJob, n);
}

/**
 * Terminal allocs of a batch group that count as ignored (reconcile_cluster.go computeGroup): those
 * of an older job version (filterOldTerminalAllocs) and, of this job modify index, completed work
 * that computeUpdates finds unchanged. `failed` (reschedule candidates) is counted by the caller.
 */
export function ignoredTerminal(job: Job, mine: Obj[], failed: Obj[]): number {
  if (job.Type !== 'batch') return 0;
  let n = 0;
  for (const a of mine) {
    const terminal = a.DesiredStatus !== 'run' || isClientTerminal(a);
    if (!terminal || failed.includes(a)) continue;
    const held = a.Job as Job;
    if (held.Version < job.Version) n++;
    else if (a.ClientStatus === 'complete' && a.DesiredStatus === 'run' && held.JobModifyIndex === job.JobModifyIndex) n++;
  }
  return n;
}
