// The results of an allocation's Nomad service checks (provider "nomad", http and tcp), as the
// client's check store lists them (client/serviceregistration/checks): a pending stub until the
// check's task (the group's first task, for group services) runs, then a success every Interval.
// A pure function of the alloc's task states and the simulated clock.
import { createHash } from 'node:crypto';
import type { Obj } from '../../state/types.js';

const DEFAULT_INTERVAL_NS = 10e9;

const ns = (rfc: unknown): number => (typeof rfc === 'string' && rfc !== '' ? Date.parse(rfc) * 1e6 : 0);

/** When the check started running (its task's start) and until when it ran (now, or the stop). */
function window(alloc: Obj, task: string | null, now: number): { from: number; to: number } | null {
  const states = (alloc.TaskStates as Obj | null) ?? {};
  const names = task === null ? Object.keys(states) : [task];
  let from = 0;
  let to = 0;
  for (const n of names) {
    const st = states[n] as Obj | undefined;
    const started = ns(st?.StartedAt);
    if (!started) continue;
    if (from === 0 || started < from) from = started;
    to = Math.max(to, st!.State === 'running' ? now : ns(st!.FinishedAt) || ns(st!.LastRestart) || started);
  }
  return from === 0 ? null : { from, to: Math.max(from, Math.min(to, now)) };
}

/** When the client received the alloc (its stub results carry that time). */
function received(alloc: Obj, now: number): number {
  let at = now;
  for (const st of Object.values((alloc.TaskStates as Obj | null) ?? {}) as Obj[]) {
    const t = (st.Events as Obj[] | null)?.[0]?.Time;
    if (typeof t === 'number' && t < at) at = t;
  }
  return at;
}

/**
 * Check ID → CheckQueryResult for a client-known alloc. A terminal alloc has none left (the client
 * purges them when the alloc stops).
 */
export function allocChecks(alloc: Obj, now: number): Obj {
  const out: Obj = {};
  if (!['pending', 'running'].includes(alloc.ClientStatus) || alloc.TaskStates === null) return out;
  const tg = ((alloc.Job?.TaskGroups as Obj[] | undefined) ?? []).find((g) => g.Name === alloc.TaskGroup);
  if (!tg) return out;
  const add = (task: string | null, service: Obj): void => {
    if (service?.Provider !== 'nomad') return;
    for (const check of (service.Checks as Obj[] | null) ?? []) {
      if (check?.Type !== 'http' && check?.Type !== 'tcp') continue;
      const id = createHash('md5').update(`${alloc.ID}\x00${tg.Name}\x00${task ?? ''}\x00${service.Name ?? ''}\x00${check.Name ?? ''}`).digest('hex');
      const ran = window(alloc, task, now);
      const interval = Math.max(1e9, Number(check.Interval) || DEFAULT_INTERVAL_NS);
      const result: Obj = { ID: id, Mode: check.OnUpdate === 'ignore' ? 'readiness' : 'healthiness' };
      if (!ran) Object.assign(result, { Status: 'pending', Output: 'nomad: waiting to run', Timestamp: Math.floor(received(alloc, now) / 1e9) });
      else {
        const last = ran.from + Math.floor((ran.to - ran.from) / interval) * interval;
        Object.assign(result, { Status: 'success' }, check.Type === 'http' ? { StatusCode: 200, Output: 'nomad: http ok' } : { Output: 'nomad: tcp ok' }, { Timestamp: Math.floor(last / 1e9) });
      }
      Object.assign(result, { Group: alloc.Name }, task === null ? {} : { Task: task }, { Service: String(service.Name ?? ''), Check: String(check.Name ?? '') });
      out[id] = result;
    }
  };
  for (const s of (tg.Services as Obj[] | null) ?? []) add(null, s);
  for (const t of (tg.Tasks as Obj[] | null) ?? []) for (const s of (t.Services as Obj[] | null) ?? []) add(String(t.Name), s);
  return out;
}
