// API job → stored server job: Nomad's API Canonicalize, the agent's API→struct conversion and the
// server's Canonicalize and mutators (state-semantics §2), producing every field of the server
// structs in declaration order with Nomad's JSON types (durations in ns, nil as null). Job and
// group level here; tasks and their blocks in canonicalize-task.ts.
import type { Job, Obj } from '../types.js';
import { H, MIN, S, affinities, constraints, frozen, list, map, nz, spreads, str } from './canonicalize-common.js';
import { DEFAULT_EPHEMERAL_DISK, consul, networks, service, task } from './canonicalize-task.js';
import { shareTaskGroup } from '../records.js';
import { freezeForComparison, isShared, sameTree } from '../share.js';

const DEFAULT_UPDATE = frozen({
  Stagger: 30 * S,
  MaxParallel: 1,
  HealthCheck: 'checks',
  MinHealthyTime: 10 * S,
  HealthyDeadline: 5 * MIN,
  ProgressDeadline: 10 * MIN,
  AutoRevert: false,
  AutoPromote: false,
  Canary: 0,
});

/** Group update = defaults, overlaid by the job's update block, overlaid by the group's own. */
function groupUpdate(jobUpdate: Obj | null, tgUpdate: Obj | null): Obj {
  if (!jobUpdate && !tgUpdate) return DEFAULT_UPDATE;
  const out: Obj = { ...DEFAULT_UPDATE };
  for (const src of [jobUpdate, tgUpdate]) {
    if (!src) continue;
    for (const k of Object.keys(DEFAULT_UPDATE)) if (src[k] !== null && src[k] !== undefined) out[k] = src[k];
  }
  return out;
}

const BATCH_RESTART = frozen({ Attempts: 3, Interval: 24 * H, Delay: 15 * S, Mode: 'fail', RenderTemplates: false });
const SERVICE_RESTART = frozen({ Attempts: 2, Interval: 30 * MIN, Delay: 15 * S, Mode: 'fail', RenderTemplates: false });

function restartPolicy(type: string, given: Obj | null): Obj {
  const d = type === 'batch' || type === 'sysbatch' ? BATCH_RESTART : SERVICE_RESTART;
  if (!given) return d;
  return {
    Attempts: nz(given?.Attempts, d.Attempts),
    Interval: nz(given?.Interval, d.Interval),
    Delay: nz(given?.Delay, d.Delay),
    Mode: given?.Mode || d.Mode,
    RenderTemplates: nz(given?.RenderTemplates, d.RenderTemplates),
  };
}

const SERVICE_RESCHEDULE = frozen({ Attempts: 0, Interval: 0, Delay: 30 * S, DelayFunction: 'exponential', MaxDelay: H, Unlimited: true });
const BATCH_RESCHEDULE = frozen({ Attempts: 1, Interval: 24 * H, Delay: 5 * S, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false });
const ZERO_RESCHEDULE = frozen({ Attempts: 0, Interval: 0, Delay: 0, DelayFunction: '', MaxDelay: 0, Unlimited: false });

function reschedulePolicy(type: string, jobLevel: Obj | null, given: Obj | null): Obj | null {
  const d = type === 'service' ? SERVICE_RESCHEDULE : type === 'batch' ? BATCH_RESCHEDULE : ZERO_RESCHEDULE;
  if (!given && !jobLevel) return d === ZERO_RESCHEDULE ? null : d;
  const out: Obj = { ...d };
  for (const src of [jobLevel, given]) {
    if (!src) continue;
    for (const k of Object.keys(d)) if (src[k] !== null && src[k] !== undefined) out[k] = src[k];
  }
  return out;
}

const DEFAULT_MIGRATE = frozen({ MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * S, HealthyDeadline: 5 * MIN });

function migrate(type: string, jobLevel: Obj | null, given: Obj | null): Obj | null {
  if (!given && !jobLevel) return type === 'service' ? DEFAULT_MIGRATE : null;
  const out: Obj = { ...DEFAULT_MIGRATE };
  for (const src of [jobLevel, given]) {
    if (!src) continue;
    for (const k of Object.keys(out)) if (src[k] !== null && src[k] !== undefined) out[k] = src[k];
  }
  return out;
}


/** What a group needs of its job. */
interface JobContext {
  ID: string;
  Namespace: string;
  Migrate: Obj | null;
  Reschedule: Obj | null;
}

function taskGroup(tg: Obj, job: JobContext, type: string, jobUpdate: Obj | null): Obj {
  const name = str(tg.Name);
  const scaling = tg.Scaling ?? null;
  const count = nz(tg.Count, scaling && scaling.Min !== null && scaling.Min !== undefined ? scaling.Min : 1);
  const restart = restartPolicy(type, tg.RestartPolicy ?? null);
  const hasUpdate = type === 'service' || type === 'system';
  return {
    Name: name,
    Count: count,
    Update: hasUpdate ? groupUpdate(jobUpdate, tg.Update ?? null) : (tg.Update ? groupUpdate(jobUpdate, tg.Update) : null),
    Migrate: migrate(type, job.Migrate, tg.Migrate ?? null),
    Constraints: constraints(tg.Constraints),
    Scaling: scaling
      ? {
          ID: '',
          Type: scaling.Type || 'horizontal',
          Target: { Namespace: job.Namespace, Job: job.ID, Group: name },
          Policy: map(scaling.Policy),
          Min: nz(scaling.Min, count),
          Max: nz(scaling.Max, 0),
          Enabled: nz(scaling.Enabled, true),
          CreateIndex: 0,
          ModifyIndex: 0,
        }
      : null,
    RestartPolicy: restart,
    Disconnect: tg.Disconnect
      ? {
          LostAfter: nz(tg.Disconnect.LostAfter, 0),
          Replace: nz(tg.Disconnect.Replace, true),
          Reconcile: tg.Disconnect.Reconcile || 'best_score',
          StopOnClientAfter: nz(tg.Disconnect.StopOnClientAfter, null),
        }
      : null,
    Tasks: ((tg.Tasks as Obj[] | null) ?? []).map((t) => task(t, `${job.ID}-${name}`, restart)),
    EphemeralDisk: tg.EphemeralDisk
      ? { Sticky: Boolean(tg.EphemeralDisk.Sticky), SizeMB: nz(tg.EphemeralDisk.SizeMB, 300), Migrate: Boolean(tg.EphemeralDisk.Migrate) }
      : DEFAULT_EPHEMERAL_DISK,
    Meta: map(tg.Meta),
    ReschedulePolicy: reschedulePolicy(type, job.Reschedule, tg.ReschedulePolicy ?? null),
    Affinities: affinities(tg.Affinities),
    Spreads: spreads(tg.Spreads),
    Networks: networks(tg.Networks),
    Consul: consul(tg.Consul),
    Services: list(((tg.Services as Obj[] | null) ?? []).map((s) => service(s, `${job.ID}-${name}`, ''))),
    Volumes: map(tg.Volumes),
    ShutdownDelay: nz(tg.ShutdownDelay, null),
    StopAfterClientDisconnect: nz(tg.StopAfterClientDisconnect, null),
    MaxClientDisconnect: nz(tg.MaxClientDisconnect, null),
    PreventRescheduleOnLost: Boolean(tg.PreventRescheduleOnLost),
  };
}

/** Server-side implied constraints for services (job_endpoint_hooks.go). */
function impliedConstraints(group: Obj): void {
  const tasks = group.Tasks as Obj[];
  // One pass over the services and tasks; a group without any of these allocates nothing.
  let nomad = false;
  let consul = false;
  const providers = (services: Obj[] | null | undefined): void => {
    if (services) for (const s of services) {
      if (s.Provider === 'nomad') nomad = true;
      else if (s.Provider === 'consul') consul = true;
    }
  };
  providers(group.Services as Obj[] | null);
  let vault = false;
  let signals: Set<string> | null = null;
  for (const t of tasks) {
    providers(t.Services as Obj[] | null);
    if (t.Vault) vault = true;
    if (t.KillSignal) (signals ??= new Set()).add(t.KillSignal);
    for (const tmpl of (t.Templates as Obj[] | null) ?? []) if (tmpl.ChangeMode === 'signal' && tmpl.ChangeSignal) (signals ??= new Set()).add(tmpl.ChangeSignal);
    if (t.Vault?.ChangeMode === 'signal' && t.Vault.ChangeSignal) (signals ??= new Set()).add(t.Vault.ChangeSignal);
  }
  if (!nomad && !consul && !vault && signals === null) return;
  const add: Obj[] = [];
  if (nomad) add.push({ LTarget: '${attr.nomad.service_discovery}', RTarget: 'true', Operand: '=' });
  if (consul) add.push({ LTarget: '${attr.consul.version}', RTarget: '>= 1.8.0', Operand: 'semver' });
  if (vault) add.push({ LTarget: '${attr.vault.version}', RTarget: '>= 0.6.1', Operand: 'semver' });
  if (signals !== null) add.push({ LTarget: '${attr.os.signals}', RTarget: [...signals].sort().join(','), Operand: 'set_contains' });
  const existing = (group.Constraints as Obj[] | null) ?? [];
  const fresh = add.filter((c) => !existing.some((e) => e.LTarget === c.LTarget && e.RTarget === c.RTarget && e.Operand === c.Operand));
  if (fresh.length > 0) group.Constraints = [...existing, ...fresh];
}

// The job-level update block keeps only Stagger and MaxParallel (the rest moved to the groups).
const JOB_UPDATE_NONE = frozen({
  Stagger: 0,
  MaxParallel: 0,
  HealthCheck: '',
  MinHealthyTime: 0,
  HealthyDeadline: 0,
  ProgressDeadline: 0,
  AutoRevert: false,
  AutoPromote: false,
  Canary: 0,
});
const JOB_UPDATE_ROLLING = frozen({ ...JOB_UPDATE_NONE, Stagger: 30 * S, MaxParallel: 1 });

function storedJobUpdate(type: string, u: Obj | null): Obj {
  if ((type !== 'service' && type !== 'system') || nz(u?.MaxParallel, 1) <= 0) return JOB_UPDATE_NONE;
  if (!u) return JOB_UPDATE_ROLLING;
  return { ...JOB_UPDATE_ROLLING, Stagger: nz(u.Stagger, 30 * S), MaxParallel: nz(u.MaxParallel, 1) };
}

/** What a group was last canonicalized from, at its place in the job, and the pooled result. */
interface GroupMemo {
  input: Obj;
  type: string;
  jobUpdate: Obj | null;
  migrate: Obj | null;
  reschedule: Obj | null;
  /** Null when the result names no job (no scaling block, no service whose name defaults to the job's). */
  job: { ID: string; Namespace: string } | null;
}
const GROUP_MEMO_PLACES = 8;
const groupMemo: ({ at: GroupMemo; out: Obj } | undefined)[] = [];

/** True when a group's canonical form holds its job's ID or namespace. */
function namesJob(tg: Obj): boolean {
  if (tg.Scaling) return true;
  if (Array.isArray(tg.Services) && tg.Services.length > 0) return true;
  for (const t of (tg.Tasks as Obj[] | null) ?? []) if (t && Array.isArray(t.Services) && t.Services.length > 0) return true;
  return false;
}

/**
 * A group's canonical form, shared with equal groups of other jobs. Jobs registered from one spec
 * come one after another: a group made from the same input in the same job context as the last one
 * at its place is the pooled group made then (frozen, so no job can change it for another).
 */
function canonicalGroup(tg: Obj, i: number, job: JobContext, type: string, jobUpdate: Obj | null): Obj {
  const memo = i < GROUP_MEMO_PLACES ? groupMemo[i] : undefined;
  if (memo !== undefined) {
    const m = memo.at;
    if (
      m.type === type &&
      (m.job === null || (m.job.ID === job.ID && m.job.Namespace === job.Namespace)) &&
      sameTree(m.input, tg) &&
      sameTree(m.jobUpdate, jobUpdate) &&
      sameTree(m.migrate, job.Migrate) &&
      sameTree(m.reschedule, job.Reschedule)
    ) {
      return memo.out;
    }
  }
  const group = taskGroup(tg, job, type, jobUpdate);
  impliedConstraints(group);
  const out = shareTaskGroup(group);
  if (i < GROUP_MEMO_PLACES && isShared(out)) {
    // A copy: the caller's objects are its own to change after this returns.
    let at: GroupMemo | undefined;
    try {
      at = structuredClone({ input: tg, type, jobUpdate, migrate: job.Migrate, reschedule: job.Reschedule, job: namesJob(tg) ? { ID: job.ID, Namespace: job.Namespace } : null });
    } catch {
      at = undefined;
    }
    if (at) freezeForComparison(at);
    groupMemo[i] = at && { at, out };
  }
  return out;
}

export interface CanonicalizeContext {
  region: string;
  /** Whether the claimed version's WorkloadIdentity has `ExtraClaims` (state/version.ts); default yes. */
  extraClaims?: boolean;
}

function withoutExtraClaims(w: Obj | null): Obj | null {
  if (!w || !('ExtraClaims' in w)) return w;
  const { ExtraClaims: _drop, ...rest } = w;
  return rest;
}

/** Every workload identity of a group (tasks', services') without the field an older Nomad lacks. */
function groupWithoutExtraClaims(tg: Obj): Obj {
  const services = (xs: Obj[] | null): Obj[] | null => xs && xs.map((s) => (s?.Identity ? { ...s, Identity: withoutExtraClaims(s.Identity) } : s));
  const tasks = ((tg.Tasks as Obj[] | null) ?? []).map((t) => ({
    ...t,
    Identity: withoutExtraClaims(t.Identity),
    Identities: t.Identities ? (t.Identities as Obj[]).map((w) => withoutExtraClaims(w)) : t.Identities,
    Services: services(t.Services ?? null),
  }));
  return { ...tg, Services: services(tg.Services ?? null), Tasks: tasks };
}

export function canonicalizeJob(api: Obj, ctx: CanonicalizeContext): Job {
  const type = api.Type || 'service';
  const id = api.ID ?? '';
  const namespace = api.Namespace || 'default';
  const region = !api.Region || api.Region === 'global' ? ctx.region : api.Region;
  const jobUpdate = api.Update ?? null;
  const jobCtx: JobContext = { ID: id, Namespace: namespace, Migrate: api.Migrate ?? null, Reschedule: api.Reschedule ?? null };
  const groups = ((api.TaskGroups as Obj[] | null) ?? []).map((tg, i) => canonicalGroup(tg ?? {}, i, jobCtx, type, jobUpdate));
  const periodic = api.Periodic
    ? {
        Enabled: nz(api.Periodic.Enabled, true),
        Spec: str(api.Periodic.Spec),
        Specs: api.Periodic.Specs ?? [],
        SpecType: api.Periodic.SpecType || 'cron',
        ProhibitOverlap: Boolean(api.Periodic.ProhibitOverlap),
        TimeZone: api.Periodic.TimeZone || 'UTC',
      }
    : null;
  const parameterized = api.ParameterizedJob
    ? {
        Payload: api.ParameterizedJob.Payload || 'optional',
        MetaRequired: list(api.ParameterizedJob.MetaRequired),
        MetaOptional: list(api.ParameterizedJob.MetaOptional),
      }
    : null;
  const job: Job = {
    Stop: Boolean(api.Stop),
    Region: region,
    Namespace: namespace,
    ID: id,
    ParentID: '',
    Name: api.Name ?? id,
    Type: type,
    Priority: api.Priority === null || api.Priority === undefined || api.Priority === 0 ? 50 : api.Priority,
    AllAtOnce: Boolean(api.AllAtOnce),
    Datacenters: api.Datacenters && api.Datacenters.length > 0 ? api.Datacenters : ['*'],
    NodePool: api.NodePool || 'default',
    Constraints: constraints(api.Constraints),
    Affinities: affinities(api.Affinities),
    Spreads: spreads(api.Spreads),
    TaskGroups: groups,
    Update: storedJobUpdate(type, jobUpdate),
    Multiregion: api.Multiregion ?? null,
    Periodic: periodic,
    ParameterizedJob: parameterized,
    Dispatched: false,
    DispatchIdempotencyToken: '',
    Payload: api.Payload ?? null,
    Meta: map(api.Meta),
    ConsulNamespace: str(api.ConsulNamespace),
    VaultNamespace: str(api.VaultNamespace),
    NomadTokenID: '',
    Status: '',
    StatusDescription: '',
    Stable: false,
    Version: nz(api.Version, 0),
    SubmitTime: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
    UI: api.UI ?? null,
    VersionTag: api.VersionTag ?? null,
  };
  if (ctx.extraClaims === false) job.TaskGroups = job.TaskGroups.map(groupWithoutExtraClaims);
  return job;
}

const IGNORED = new Set(['Status', 'StatusDescription', 'Stable', 'Version', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex', 'SubmitTime']);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], bb[i])) return false;
    return true;
  }
  const ka = Object.keys(a as object);
  if (ka.length !== Object.keys(b as object).length) return false;
  for (let i = 0; i < ka.length; i++) if (!deepEqual((a as Obj)[ka[i]!], (b as Obj)[ka[i]!])) return false;
  return true;
}

/**
 * A group's scaling policy carries the ID and indexes the store gave it (Job.Register propagates the
 * ID before comparing), which are no part of the specification.
 */
function withoutPolicyIdentity(tg: Obj): Obj {
  return tg && tg.Scaling ? { ...tg, Scaling: { ...tg.Scaling, ID: '', CreateIndex: 0, ModifyIndex: 0 } } : tg;
}

function sameGroups(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b)) {
    return deepEqual(Array.isArray(a) ? a.map(withoutPolicyIdentity) : a, Array.isArray(b) ? b.map(withoutPolicyIdentity) : b);
  }
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    // Pooled groups: a resubmitted spec holds the very groups its stored version does.
    if (a[i] !== b[i] && !deepEqual(withoutPolicyIdentity(a[i]), withoutPolicyIdentity(b[i]))) return false;
  }
  return true;
}

/**
 * Job.SpecChanged: anything but status, stability, version, indexes and submit time. Over the keys
 * of each job in turn (no set of their union, no copy of groups that hold no scaling policy).
 */
export function specChanged(a: Job, b: Job): boolean {
  const ka = Object.keys(a);
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i]!;
    if (IGNORED.has(k)) continue;
    if (k === 'TaskGroups' ? !sameGroups(a[k], b[k]) : !deepEqual(a[k], b[k])) return true;
  }
  const kb = Object.keys(b);
  for (let i = 0; i < kb.length; i++) {
    const k = kb[i]!;
    if (IGNORED.has(k) || Object.prototype.hasOwnProperty.call(a, k)) continue;
    if (k === 'TaskGroups' ? !sameGroups(a[k], b[k]) : !deepEqual(a[k], b[k])) return true;
  }
  return false;
}
