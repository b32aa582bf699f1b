// API job → stored server job: Nomad's API Canonicalize, the agent's API→struct conversion and the
// server's Canonicalize and mutators (state-semantics §2), producing every field of the server
// structs in declaration order with Nomad's JSON types (durations in ns, nil as null).
import type { Job, Obj } from '../types.js';

const S = 1e9;
const MIN = 60 * S;
const H = 60 * MIN;

const nz = <T>(v: T | null | undefined, d: T): T => (v === null || v === undefined ? d : v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = <T>(v: T[] | null | undefined): T[] | null => (v && v.length > 0 ? v : null);
const map = <T extends object>(v: T | null | undefined): T | null => (v && Object.keys(v).length > 0 ? v : null);

export interface CanonicalizeContext {
  region: string;
}

function constraint(c: Obj): Obj {
  return { LTarget: str(c.LTarget), RTarget: str(c.RTarget), Operand: c.Operand || '=' };
}
function affinity(a: Obj): Obj {
  return { LTarget: str(a.LTarget), RTarget: str(a.RTarget), Operand: a.Operand || '=', Weight: nz(a.Weight, 50) };
}
function spread(s: Obj): Obj {
  return {
    Attribute: str(s.Attribute),
    Weight: nz(s.Weight, 50),
    SpreadTarget: list(((s.SpreadTarget as Obj[] | null) ?? []).map((t) => ({ Value: str(t.Value), Percent: nz(t.Percent, 0) }))),
  };
}
const constraints = (v: Obj[] | null | undefined): Obj[] | null => list((v ?? []).map(constraint));
const affinities = (v: Obj[] | null | undefined): Obj[] | null => list((v ?? []).map(affinity));
const spreads = (v: Obj[] | null | undefined): Obj[] | null => list((v ?? []).map(spread));

// Blocks a job leaves out get Nomad's defaults as one frozen object shared by every job: stored jobs
// are never mutated, and sharing keeps a typical job's stored size (and the collector's work) small.
const frozen = <T extends object>(o: T): Readonly<T> => Object.freeze(o);

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

function port(p: Obj): Obj {
  // Port and NetworkResource are omitempty structs on the wire: keep only set fields.
  const out: Obj = {};
  for (const k of ['Label', 'Value', 'To', 'HostNetwork', 'IgnoreCollision']) if (p[k]) out[k] = p[k];
  return out;
}
function network(n: Obj): Obj {
  const out: Obj = {};
  const mode = n.Mode || 'host';
  const full: Obj = {
    Mode: mode,
    Device: n.Device,
    CIDR: n.CIDR,
    IP: n.IP,
    Hostname: n.Hostname,
    MBits: n.MBits,
    DNS: n.DNS ? { Servers: list(n.DNS.Servers), Searches: list(n.DNS.Searches), Options: list(n.DNS.Options) } : null,
    ReservedPorts: list(((n.ReservedPorts as Obj[] | null) ?? []).map(port)),
    DynamicPorts: list(((n.DynamicPorts as Obj[] | null) ?? []).map(port)),
    CNI: n.CNI ?? null,
  };
  for (const [k, v] of Object.entries(full)) if (v !== null && v !== undefined && v !== '' && v !== 0) out[k] = v;
  return out;
}
const networks = (v: Obj[] | null | undefined): Obj[] | null => list((v ?? []).map(network));

function resources(r: Obj | null): Obj {
  const cores = nz(r?.Cores, 0);
  return {
    CPU: nz(r?.CPU, cores > 0 ? 0 : 100),
    Cores: cores,
    MemoryMB: nz(r?.MemoryMB, 300),
    MemoryMaxMB: nz(r?.MemoryMaxMB, 0),
    DiskMB: nz(r?.DiskMB, 0),
    IOPS: nz(r?.IOPS, 0),
    Networks: networks(r?.Networks),
    Devices: list(
      ((r?.Devices as Obj[] | null) ?? []).map((d) => ({
        Name: str(d.Name),
        Count: nz(d.Count, 1),
        Constraints: constraints(d.Constraints),
        Affinities: affinities(d.Affinities),
      })),
    ),
    NUMA: r?.NUMA ? { Affinity: r.NUMA.Affinity || 'none', Devices: list(r.NUMA.Devices) } : null,
    SecretsMB: nz(r?.SecretsMB, 0),
  };
}

const DEFAULT_TASK_IDENTITY = frozen({
  Name: 'default',
  Audience: frozen(['nomadproject.io']),
  ChangeMode: '',
  ChangeSignal: '',
  Env: false,
  File: false,
  Filepath: '',
  ServiceName: '',
  TTL: 0,
  ExtraClaims: null,
});

function identity(w: Obj | null, defaultName: string): Obj {
  if (!w && defaultName === 'default') return DEFAULT_TASK_IDENTITY;
  return {
    Name: w?.Name || defaultName,
    Audience: list(w?.Audience) ?? ['nomadproject.io'],
    ChangeMode: str(w?.ChangeMode),
    ChangeSignal: str(w?.ChangeSignal),
    Env: Boolean(w?.Env),
    File: Boolean(w?.File),
    Filepath: str(w?.Filepath),
    ServiceName: str(w?.ServiceName),
    TTL: nz(w?.TTL, 0),
    ExtraClaims: map(w?.ExtraClaims),
  };
}

function check(c: Obj, svc: Obj): Obj {
  return {
    Name: c.Name || `service: ${JSON.stringify(svc.Name)} check`,
    Type: str(c.Type),
    Command: str(c.Command),
    Args: list(c.Args),
    Path: str(c.Path),
    Protocol: str(c.Protocol),
    PortLabel: str(c.PortLabel),
    Expose: Boolean(c.Expose),
    AddressMode: str(c.AddressMode),
    Interval: nz(c.Interval, 0),
    Timeout: nz(c.Timeout, 0),
    InitialStatus: str(c.InitialStatus),
    Notes: str(c.Notes),
    TLSServerName: str(c.TLSServerName),
    TLSSkipVerify: Boolean(c.TLSSkipVerify),
    Method: str(c.Method),
    Header: map(c.Header),
    CheckRestart: c.CheckRestart ?? svc.CheckRestart ?? null,
    GRPCService: str(c.GRPCService),
    GRPCUseTLS: Boolean(c.GRPCUseTLS),
    TaskName: str(c.TaskName),
    SuccessBeforePassing: nz(c.SuccessBeforePassing, 0),
    FailuresBeforeCritical: nz(c.FailuresBeforeCritical, 0),
    FailuresBeforeWarning: nz(c.FailuresBeforeWarning, 0),
    Body: str(c.Body),
    OnUpdate: c.OnUpdate || svc.OnUpdate || 'require_healthy',
  };
}

function service(s: Obj, defaultName: string, taskName: string): Obj {
  const base: Obj = {
    Name: s.Name || defaultName,
    TaskName: s.TaskName || taskName,
    PortLabel: str(s.PortLabel),
    AddressMode: s.AddressMode || 'auto',
    Address: str(s.Address),
    EnableTagOverride: Boolean(s.EnableTagOverride),
    Tags: list(s.Tags),
    CanaryTags: list(s.CanaryTags),
    Checks: null,
    Connect: s.Connect ?? null,
    Meta: map(s.Meta),
    CanaryMeta: map(s.CanaryMeta),
    TaggedAddresses: map(s.TaggedAddresses),
    Namespace: '',
    OnUpdate: s.OnUpdate || 'require_healthy',
    Provider: s.Provider || 'consul',
    Cluster: s.Cluster || 'default',
    Identity: s.Identity ? identity(s.Identity, '') : null,
    Weights: s.Weights ?? null,
    Kind: str(s.Kind),
  };
  base.Checks = list(((s.Checks as Obj[] | null) ?? []).map((c) => check(c, base)));
  return base;
}

function template(t: Obj): Obj {
  return {
    SourcePath: str(t.SourcePath),
    DestPath: str(t.DestPath),
    EmbeddedTmpl: str(t.EmbeddedTmpl),
    ChangeMode: t.ChangeMode || 'restart',
    ChangeSignal: str(t.ChangeSignal).toUpperCase(),
    ChangeScript: t.ChangeScript ?? null,
    Splay: nz(t.Splay, 5 * S),
    Perms: t.Perms || '0644',
    Uid: nz(t.Uid, null),
    Gid: nz(t.Gid, null),
    LeftDelim: t.LeftDelim || '{{',
    RightDelim: t.RightDelim || '}}',
    Envvars: Boolean(t.Envvars),
    VaultGrace: nz(t.VaultGrace, 0),
    Wait: t.Wait ?? null,
    ErrMissingKey: Boolean(t.ErrMissingKey),
    Once: Boolean(t.Once),
  };
}

function artifact(a: Obj): Obj {
  const mode = a.GetterMode || 'any';
  return {
    GetterSource: str(a.GetterSource),
    GetterOptions: map(a.GetterOptions),
    GetterHeaders: map(a.GetterHeaders),
    GetterMode: mode,
    GetterInsecure: Boolean(a.GetterInsecure),
    RelativeDest: a.RelativeDest ?? (mode === 'file' ? `local/${str(a.GetterSource).split('/').pop()?.split('?')[0] ?? ''}` : 'local/'),
    Chown: Boolean(a.Chown),
  };
}

function vault(v: Obj | null): Obj | null {
  if (!v) return null;
  const changeMode = v.ChangeMode || 'restart';
  return {
    Role: str(v.Role),
    Policies: list(v.Policies),
    Namespace: str(v.Namespace),
    Cluster: v.Cluster || 'default',
    Env: nz(v.Env, true),
    DisableFile: Boolean(v.DisableFile),
    ChangeMode: changeMode,
    ChangeSignal: changeMode === 'signal' ? (v.ChangeSignal || 'SIGHUP').toUpperCase() : str(v.ChangeSignal),
    AllowTokenExpiration: Boolean(v.AllowTokenExpiration),
  };
}

function consul(c: Obj | null): Obj | null {
  return c ? { Namespace: str(c.Namespace), Cluster: c.Cluster || 'default', Partition: str(c.Partition) } : null;
}

const DEFAULT_LOG_CONFIG = frozen({ MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false });
const DEFAULT_EPHEMERAL_DISK = frozen({ Sticky: false, SizeMB: 300, Migrate: false });

function task(t: Obj, serviceBase: string, groupRestart: Obj): Obj {
  let restart = groupRestart;
  if (t.RestartPolicy) {
    restart = { ...groupRestart };
    for (const k of Object.keys(restart)) if (t.RestartPolicy[k] !== null && t.RestartPolicy[k] !== undefined && t.RestartPolicy[k] !== '') restart[k] = t.RestartPolicy[k];
  }
  const name = str(t.Name);
  return {
    Name: name,
    Driver: str(t.Driver),
    User: str(t.User),
    Config: map(t.Config),
    Env: map(t.Env),
    Services: list(((t.Services as Obj[] | null) ?? []).map((s) => service(s, `${serviceBase}-${name}`, name))),
    Vault: vault(t.Vault),
    Consul: consul(t.Consul),
    Templates: list(((t.Templates as Obj[] | null) ?? []).map(template)),
    Constraints: constraints(t.Constraints),
    Affinities: affinities(t.Affinities),
    Resources: resources(t.Resources),
    RestartPolicy: restart,
    DispatchPayload: t.DispatchPayload ? { File: str(t.DispatchPayload.File) } : null,
    Lifecycle: t.Lifecycle && t.Lifecycle.Hook ? { Hook: t.Lifecycle.Hook, Sidecar: Boolean(t.Lifecycle.Sidecar) } : null,
    Meta: map(t.Meta),
    KillTimeout: nz(t.KillTimeout, 5 * S),
    LogConfig: t.LogConfig
      ? {
          MaxFiles: nz(t.LogConfig.MaxFiles, 10),
          MaxFileSizeMB: nz(t.LogConfig.MaxFileSizeMB, 10),
          Disabled: Boolean(t.LogConfig.Disabled ?? (t.LogConfig.Enabled === false ? true : false)),
        }
      : DEFAULT_LOG_CONFIG,
    Artifacts: list(((t.Artifacts as Obj[] | null) ?? []).map(artifact)),
    Leader: Boolean(t.Leader),
    ShutdownDelay: nz(t.ShutdownDelay, 0),
    VolumeMounts: list(
      ((t.VolumeMounts as Obj[] | null) ?? []).map((m) => ({
        Volume: str(m.Volume),
        Destination: str(m.Destination),
        ReadOnly: Boolean(m.ReadOnly),
        PropagationMode: m.PropagationMode || 'private',
        SELinuxLabel: str(m.SELinuxLabel),
      })),
    ),
    ScalingPolicies: list(t.ScalingPolicies),
    KillSignal: str(t.KillSignal),
    Kind: str(t.Kind),
    CSIPluginConfig: t.CSIPluginConfig ?? null,
    Identity: identity(t.Identity, 'default'),
    Identities: list(((t.Identities as Obj[] | null) ?? []).map((w) => identity(w, ''))),
    Actions: list(t.Actions),
    Schedule: t.Schedule ?? null,
    Secrets: list(t.Secrets),
  };
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
  const services = [...((group.Services as Obj[] | null) ?? []), ...(group.Tasks as Obj[]).flatMap((t) => (t.Services as Obj[] | null) ?? [])];
  const add: Obj[] = [];
  if (services.some((s) => s.Provider === 'nomad')) {
    add.push({ LTarget: '${attr.nomad.service_discovery}', RTarget: 'true', Operand: '=' });
  }
  if (services.some((s) => s.Provider === 'consul')) {
    add.push({ LTarget: '${attr.consul.version}', RTarget: '>= 1.8.0', Operand: 'semver' });
  }
  if ((group.Tasks as Obj[]).some((t) => t.Vault)) {
    add.push({ LTarget: '${attr.vault.version}', RTarget: '>= 0.6.1', Operand: 'semver' });
  }
  const signals = new Set<string>();
  for (const t of group.Tasks as Obj[]) {
    if (t.KillSignal) signals.add(t.KillSignal);
    for (const tmpl of (t.Templates as Obj[] | null) ?? []) if (tmpl.ChangeMode === 'signal' && tmpl.ChangeSignal) signals.add(tmpl.ChangeSignal);
    if (t.Vault?.ChangeMode === 'signal' && t.Vault.ChangeSignal) signals.add(t.Vault.ChangeSignal);
  }
  if (signals.size > 0) add.push({ LTarget: '${attr.os.signals}', RTarget: [...signals].sort().join(','), Operand: 'set_contains' });
  if (add.length === 0) return;
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

export function canonicalizeJob(api: Obj, ctx: CanonicalizeContext): Job {
  const type = api.Type || 'service';
  const id = api.ID ?? '';
  const namespace = api.Namespace || 'default';
  const region = !api.Region || api.Region === 'global' ? ctx.region : api.Region;
  const jobUpdate = api.Update ?? null;
  const jobCtx: JobContext = { ID: id, Namespace: namespace, Migrate: api.Migrate ?? null, Reschedule: api.Reschedule ?? null };
  const groups = ((api.TaskGroups as Obj[] | null) ?? []).map((tg) => taskGroup(tg ?? {}, jobCtx, type, jobUpdate));
  for (const g of groups) impliedConstraints(g);
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
  return job;
}

const IGNORED = new Set(['Status', 'StatusDescription', 'Stable', 'Version', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex', 'SubmitTime']);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => deepEqual(x, bb[i]));
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => deepEqual((a as Obj)[k], (b as Obj)[k]));
}

/** Job.SpecChanged: anything but status, stability, version, indexes and submit time. */
export function specChanged(a: Job, b: Job): boolean {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (IGNORED.has(k)) continue;
    if (!deepEqual(a[k], b[k])) return true;
  }
  return false;
}
