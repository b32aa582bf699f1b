// The store invariants, checked from outside: one `/_mock/snapshot` (taken in one step, so the
// counts agree with each other) plus reads of every listed job over the API.
// Rules from the reference's state-semantics: §4.2 versions newest first, the job's Version is the
// newest; §6.2 a summary counts the allocs of the job's current incarnation (same CreateIndex):
// Running/Starting/Unknown follow the allocs both ways; Complete/Failed/Lost count terminal allocs,
// which the core GC deletes without touching the summary (as Nomad's does), so they may exceed the
// allocs left; §5.4 purge
// deletes a job's allocs and deployments, so none may outlive their job.
import type { FuzzRequest, FuzzResponse } from './transport.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type Send = (req: FuzzRequest) => Promise<FuzzResponse>;

const BINS: Record<string, string> = { running: 'Running', pending: 'Starting', lost: 'Lost', unknown: 'Unknown', complete: 'Complete', failed: 'Failed' };
const EXACT = new Set(['Running', 'Starting', 'Unknown']);

const key = (ns: string, id: string): string => `${ns}\u0000${id}`;
const show = (ns: string, id: string): string => `${ns}/${id}`;

function dupes(items: Obj[], of: (o: Obj) => string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const o of items) {
    const k = of(o);
    if (seen.has(k)) out.push(k);
    seen.add(k);
  }
  return out;
}

/** Every broken invariant, as one line each (empty when all hold). */
export async function checkInvariants(send: Send, token = ''): Promise<string[]> {
  const problems: string[] = [];
  const headers: Record<string, string> = token ? { 'X-Nomad-Token': token } : {};
  const get = async (path: string): Promise<FuzzResponse> => send({ method: 'GET', path, headers });
  const json = (r: FuzzResponse): Obj | undefined => {
    try {
      return JSON.parse(r.body) as Obj;
    } catch {
      return undefined;
    }
  };

  const snapRes = await get('/_mock/snapshot');
  const snap = json(snapRes);
  if (snapRes.status !== 200 || !snap) return [`GET /_mock/snapshot answered ${snapRes.status}: ${snapRes.body.slice(0, 200)}`];
  const jobs = (snap.Jobs ?? []) as Obj[];
  const allocs = (snap.Allocations ?? []) as Obj[];
  const versions = (snap.Versions ?? []) as Obj[];
  const summaries = new Map(((snap.Summaries ?? []) as Obj[]).map((s) => [key(s.Namespace, s.JobID), s]));
  const jobByKey = new Map(jobs.map((j) => [key(j.Namespace, j.ID), j]));

  for (const [what, list, of] of [
    ['job', jobs, (o: Obj) => key(o.Namespace, o.ID)],
    ['allocation', allocs, (o: Obj) => o.ID],
    ['evaluation', snap.Evaluations ?? [], (o: Obj) => o.ID],
    ['deployment', snap.Deployments ?? [], (o: Obj) => o.ID],
    ['node', snap.Nodes ?? [], (o: Obj) => o.ID],
    ['job version', versions, (o: Obj) => `${key(o.Namespace, o.ID)}@${o.Version}`],
  ] as [string, Obj[], (o: Obj) => string][]) {
    for (const d of dupes(list, of)) problems.push(`duplicate ${what} ${JSON.stringify(d)}`);
  }

  const top = Number(snap.Index);
  for (const [table, idx] of Object.entries((snap.TableIndexes ?? {}) as Record<string, number>)) {
    if (!(idx <= top)) problems.push(`table ${table} index ${idx} is above the store index ${top}`);
  }

  // Summaries: the allocs of the job's current incarnation, per group and status.
  const counted = new Map<string, Map<string, Record<string, number>>>();
  for (const a of allocs) {
    const k = key(a.Namespace, a.JobID);
    const j = jobByKey.get(k);
    if (!j) {
      problems.push(`allocation ${a.ID} belongs to unknown job ${show(a.Namespace, a.JobID)}`);
      continue;
    }
    if (a.Job?.CreateIndex !== j.CreateIndex) continue;
    const groups = counted.get(k) ?? new Map<string, Record<string, number>>();
    counted.set(k, groups);
    const row = groups.get(a.TaskGroup) ?? {};
    groups.set(a.TaskGroup, row);
    const bin = BINS[a.ClientStatus];
    if (bin) row[bin] = (row[bin] ?? 0) + 1;
  }
  for (const d of (snap.Deployments ?? []) as Obj[]) {
    if (!jobByKey.has(key(d.Namespace, d.JobID))) problems.push(`deployment ${d.ID} belongs to unknown job ${show(d.Namespace, d.JobID)}`);
  }
  for (const j of jobs) {
    const k = key(j.Namespace, j.ID);
    const s = summaries.get(k);
    if (!s) {
      problems.push(`job ${show(j.Namespace, j.ID)} has no summary`);
      continue;
    }
    const groups = counted.get(k) ?? new Map();
    const names = new Set<string>([...Object.keys(s.Summary ?? {}), ...groups.keys()]);
    for (const g of names) {
      const have = (s.Summary ?? {})[g] ?? {};
      const want = groups.get(g) ?? {};
      for (const bin of Object.values(BINS)) {
        const h = Number(have[bin] ?? 0);
        const w = want[bin] ?? 0;
        if (EXACT.has(bin) ? h !== w : h < w) problems.push(`job ${show(j.Namespace, j.ID)} group ${g}: summary ${bin} ${h}, allocations ${w}`);
      }
    }
    // Children of periodic and parameterized parents: pending and running follow the children.
    if (j.Periodic || j.ParameterizedJob) {
      const kids = jobs.filter((c) => c.ParentID === j.ID && c.Namespace === j.Namespace);
      const count = (st: string): number => kids.filter((c) => c.Status === st).length;
      const ch = s.Children ?? {};
      if (ch.Pending !== count('pending') || ch.Running !== count('running') || !(ch.Dead >= count('dead'))) {
        problems.push(`job ${show(j.Namespace, j.ID)} Children ${JSON.stringify(ch)} but children pending ${count('pending')}, running ${count('running')}, dead ${count('dead')}`);
      }
    }
  }
  for (const v of versions) if (!jobByKey.has(key(v.Namespace, v.ID))) problems.push(`version ${v.Version} of unknown job ${show(v.Namespace, v.ID)}`);

  // Every listed job is readable with its summary and versions, newest first.
  const list = await get('/v1/jobs?namespace=*');
  const listed = json(list);
  if (list.status !== 200 || !Array.isArray(listed)) {
    problems.push(`GET /v1/jobs?namespace=* answered ${list.status}: ${list.body.slice(0, 200)}`);
    return problems;
  }
  for (const d of dupes(listed, (o) => key(o.Namespace, o.ID))) problems.push(`job listed twice: ${JSON.stringify(d)}`);
  for (const stub of listed.slice(0, 300)) {
    // Go's mux cleans `/v1/job/.` and `/v1/job/..` away (301) before Nomad sees them, as here.
    if (stub.ID === '.' || stub.ID === '..') continue;
    const base = `/v1/job/${encodeURIComponent(stub.ID)}`;
    const q = `?namespace=${encodeURIComponent(stub.Namespace)}`;
    const [jr, sr, vr] = await Promise.all([get(base + q), get(`${base}/summary${q}`), get(`${base}/versions${q}`)]);
    const name = show(stub.Namespace, stub.ID);
    if (jr.status !== 200) problems.push(`listed job ${name}: GET answered ${jr.status} ${jr.body.slice(0, 100)}`);
    if (sr.status !== 200) problems.push(`listed job ${name}: summary answered ${sr.status} ${sr.body.slice(0, 100)}`);
    if (vr.status !== 200) {
      problems.push(`listed job ${name}: versions answered ${vr.status} ${vr.body.slice(0, 100)}`);
      continue;
    }
    const vs = (json(vr)?.Versions ?? []) as Obj[];
    const nums = vs.map((v) => Number(v.Version));
    if (nums.some((n, i) => i > 0 && n >= nums[i - 1]!)) problems.push(`listed job ${name}: versions not newest first: ${nums.join(',')}`);
    const jv = json(jr)?.Version;
    if (jr.status === 200 && nums[0] !== jv) problems.push(`listed job ${name}: Version ${jv} but newest version ${nums[0]}`);
  }

  const health = json(await get('/_mock/health'));
  const errors = Number(health?.Errors?.Count ?? 0);
  if (errors !== 0) problems.push(`/_mock/health counts ${errors} simulator errors; last: ${JSON.stringify(health?.Errors?.Last)}`);
  return problems;
}
