// A task and its blocks canonicalized (state-semantics §2): ports and networks, resources,
// identities, services and checks, templates, artifacts, vault and consul.
import type { Obj } from '../types.js';
import { S, affinities, constraints, frozen, list, map, nz, str } from './canonicalize-common.js';

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
export const networks = (v: Obj[] | null | undefined): Obj[] | null => list((v ?? []).map(network));

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

export function service(s: Obj, defaultName: string, taskName: string): Obj {
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

export function consul(c: Obj | null): Obj | null {
  return c ? { Namespace: str(c.Namespace), Cluster: c.Cluster || 'default', Partition: str(c.Partition) } : null;
}

const DEFAULT_LOG_CONFIG = frozen({ MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false });
export const DEFAULT_EPHEMERAL_DISK = frozen({ Sticky: false, SizeMB: 300, Migrate: false });

export function task(t: Obj, serviceBase: string, groupRestart: Obj): Obj {
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
