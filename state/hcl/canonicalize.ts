// Nomad's API-side Job.Canonicalize (api/jobs.go, api/tasks.go, api/resources.go,
// api/services.go, api/consul.go, api/scaling.go), which `/v1/jobs/parse` runs when the request
// asks for `Canonicalize`: defaults for every unset pointer, group policies merged from the job's.
// This is the API struct's canonical form, not the server's (no datacenters `*`, no node pool).
import { zeroStruct, type Obj } from './zero.js';

const S = 1e9;
const MIN = 60 * S;
const H = 60 * MIN;

const isNil = (v: unknown): boolean => v === null || v === undefined;
function def(o: Obj, k: string, v: unknown): void {
  if (isNil(o[k])) o[k] = v;
}
const each = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

const DEFAULT_UPDATE = (): Obj => ({
  Stagger: 30 * S,
  MaxParallel: 1,
  HealthCheck: 'checks',
  MinHealthyTime: 10 * S,
  HealthyDeadline: 5 * MIN,
  ProgressDeadline: 10 * MIN,
  Canary: 0,
  AutoRevert: false,
  AutoPromote: false,
});

function canonicalizeUpdate(u: Obj): void {
  for (const [k, v] of Object.entries(DEFAULT_UPDATE())) def(u, k, v);
}

/** UpdateStrategy.Empty: no user-defined (non-zero) value. */
function updateEmpty(u: Obj): boolean {
  return !Object.keys(DEFAULT_UPDATE()).some((k) => !isNil(u[k]) && u[k] !== 0 && u[k] !== '' && u[k] !== false);
}

function merge(into: Obj, from: Obj): Obj {
  for (const [k, v] of Object.entries(from)) if (!isNil(v)) into[k] = v;
  return into;
}

function defaultReschedule(type: string): Obj {
  if (type === 'service') return { Attempts: 0, Interval: 0, Delay: 30 * S, DelayFunction: 'exponential', MaxDelay: H, Unlimited: true };
  if (type === 'batch') return { Attempts: 1, Interval: 24 * H, Delay: 5 * S, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false };
  return { Attempts: 0, Interval: 0, Delay: 0, DelayFunction: '', MaxDelay: 0, Unlimited: false };
}

function defaultRestart(type: string): Obj {
  return type === 'service' || type === 'system'
    ? { Interval: 30 * MIN, Attempts: 2, Delay: 15 * S, Mode: 'fail', RenderTemplates: false }
    : { Interval: 24 * H, Attempts: 3, Delay: 15 * S, Mode: 'fail', RenderTemplates: false };
}

export function canonicalizeJob(j: Obj): void {
  def(j, 'ID', '');
  def(j, 'Name', j.ID);
  def(j, 'ParentID', '');
  def(j, 'Namespace', 'default');
  def(j, 'Priority', 50);
  def(j, 'Stop', false);
  def(j, 'Region', 'global');
  def(j, 'NodePool', '');
  def(j, 'Type', 'service');
  def(j, 'AllAtOnce', false);
  def(j, 'ConsulNamespace', '');
  def(j, 'VaultNamespace', '');
  def(j, 'NomadTokenID', '');
  def(j, 'DispatchIdempotencyToken', '');
  def(j, 'Status', '');
  def(j, 'StatusDescription', '');
  def(j, 'Stable', false);
  def(j, 'Version', 0);
  def(j, 'CreateIndex', 0);
  def(j, 'ModifyIndex', 0);
  def(j, 'JobModifyIndex', 0);
  const periodic = j.Periodic as Obj | null;
  if (periodic) {
    def(periodic, 'Enabled', true);
    def(periodic, 'Spec', '');
    def(periodic, 'Specs', []);
    def(periodic, 'SpecType', 'cron');
    def(periodic, 'ProhibitOverlap', false);
    if (isNil(periodic.TimeZone) || periodic.TimeZone === '') periodic.TimeZone = 'UTC';
  }
  if (j.Update) canonicalizeUpdate(j.Update as Obj);
  else if (j.Type === 'service') j.Update = DEFAULT_UPDATE();
  const mr = j.Multiregion as Obj | null;
  if (mr) {
    if (!mr.Strategy) mr.Strategy = { MaxParallel: 0, OnFailure: '' };
    else {
      def(mr.Strategy as Obj, 'MaxParallel', 0);
      def(mr.Strategy as Obj, 'OnFailure', '');
    }
    def(mr, 'Regions', []);
    for (const r of each(mr.Regions)) {
      def(r, 'Count', 1);
      def(r, 'Datacenters', []);
      def(r, 'Meta', {});
    }
  }
  for (const tg of each(j.TaskGroups)) canonicalizeGroup(tg, j);
  for (const s of each(j.Spreads)) def(s, 'Weight', 50);
  for (const a of each(j.Affinities)) def(a, 'Weight', 50);
  const ui = j.UI as Obj | null;
  if (ui && Array.isArray(ui.Links) && ui.Links.length === 0) ui.Links = null;
}

function canonicalizeGroup(g: Obj, job: Obj): void {
  const type = job.Type as string;
  def(g, 'Name', '');
  const scaling = g.Scaling as Obj | null;
  if (isNil(g.Count)) g.Count = scaling && !isNil(scaling.Min) ? scaling.Min : 1;
  if (scaling) {
    def(scaling, 'Enabled', true);
    def(scaling, 'Min', g.Count);
    if (scaling.Type === '') scaling.Type = 'horizontal';
  }
  const disk = g.EphemeralDisk as Obj | null;
  if (!disk) g.EphemeralDisk = { Sticky: false, Migrate: false, SizeMB: 300 };
  else {
    def(disk, 'Sticky', false);
    def(disk, 'Migrate', false);
    def(disk, 'SizeMB', 300);
  }
  const consul = g.Consul as Obj | null;
  if (consul) {
    if (consul.Namespace === '' && !isNil(job.ConsulNamespace)) consul.Namespace = job.ConsulNamespace;
    if (consul.Cluster === '') consul.Cluster = 'default';
  }
  const ju = job.Update as Obj | null;
  const tu = g.Update as Obj | null;
  if (ju && tu) g.Update = merge({ ...ju }, tu);
  else if (ju && !updateEmpty(ju)) g.Update = { ...ju };
  if (g.Update) canonicalizeUpdate(g.Update as Obj);

  const jr = job.Reschedule as Obj | null;
  const tr = g.ReschedulePolicy as Obj | null;
  if (jr && tr) g.ReschedulePolicy = merge({ ...jr }, tr);
  else if (jr) g.ReschedulePolicy = { ...jr };
  if (!g.ReschedulePolicy && type !== 'sysbatch' && type !== 'system') g.ReschedulePolicy = defaultReschedule(type);
  if (g.ReschedulePolicy) {
    const d = defaultReschedule(type);
    for (const k of ['Interval', 'Attempts', 'Delay', 'DelayFunction', 'MaxDelay', 'Unlimited']) def(g.ReschedulePolicy as Obj, k, d[k]);
  }

  const jm = job.Migrate as Obj | null;
  const tm = g.Migrate as Obj | null;
  if (jm && tm) g.Migrate = merge({ ...jm }, tm);
  else if (jm) g.Migrate = { ...jm };
  if (!g.Migrate && type === 'service') g.Migrate = { MaxParallel: null, HealthCheck: null, MinHealthyTime: null, HealthyDeadline: null };
  if (g.Migrate) {
    const m = g.Migrate as Obj;
    def(m, 'MaxParallel', 1);
    def(m, 'HealthCheck', 'checks');
    def(m, 'MinHealthyTime', 10 * S);
    def(m, 'HealthyDeadline', 5 * MIN);
  }

  const restart = defaultRestart(type);
  if (g.RestartPolicy) merge(restart, g.RestartPolicy as Obj);
  g.RestartPolicy = restart;

  for (const t of each(g.Tasks)) canonicalizeTask(t, g, job);
  for (const s of each(g.Spreads)) def(s, 'Weight', 50);
  for (const a of each(g.Affinities)) def(a, 'Weight', 50);
  for (const s of each(g.Services)) canonicalizeService(s, null, g, job);
  const disc = g.Disconnect as Obj | null;
  if (disc) {
    def(disc, 'Replace', true);
    def(disc, 'Reconcile', 'best_score');
  }
}

function canonicalizeTask(t: Obj, g: Obj, job: Obj): void {
  if (!t.Resources) t.Resources = zeroStruct('Resources');
  canonicalizeResources(t.Resources as Obj);
  def(t, 'KillTimeout', 5 * S);
  const log = t.LogConfig as Obj | null;
  if (!log) t.LogConfig = { MaxFiles: 10, MaxFileSizeMB: 10, Enabled: null, Disabled: false };
  else {
    def(log, 'MaxFiles', 10);
    def(log, 'MaxFileSizeMB', 10);
    def(log, 'Disabled', false);
  }
  for (const a of each(t.Artifacts)) canonicalizeArtifact(a);
  const vault = t.Vault as Obj | null;
  if (vault) {
    def(vault, 'Env', true);
    def(vault, 'DisableFile', false);
    def(vault, 'Namespace', '');
    if (vault.Cluster === '') vault.Cluster = 'default';
    def(vault, 'ChangeMode', 'restart');
    def(vault, 'ChangeSignal', 'SIGHUP');
    def(vault, 'AllowTokenExpiration', false);
  }
  const consul = t.Consul as Obj | null;
  if (consul && consul.Cluster === '') consul.Cluster = 'default';
  for (const tmpl of each(t.Templates)) canonicalizeTemplate(tmpl);
  for (const s of each(t.Secrets)) {
    if (!s.Config || Object.keys(s.Config as Obj).length === 0) s.Config = null;
    if (!s.Env || Object.keys(s.Env as Obj).length === 0) s.Env = null;
  }
  for (const s of each(t.Services)) canonicalizeService(s, t, g, job);
  for (const a of each(t.Affinities)) def(a, 'Weight', 50);
  for (const vm of each(t.VolumeMounts)) {
    def(vm, 'PropagationMode', 'private');
    def(vm, 'ReadOnly', false);
    def(vm, 'SELinuxLabel', '');
  }
  const csi = t.CSIPluginConfig as Obj | null;
  if (csi) {
    if (csi.MountDir === '') csi.MountDir = '/csi';
    if (csi.StagePublishBaseDir === '') csi.StagePublishBaseDir = '/local/csi';
    if (csi.HealthTimeout === 0) csi.HealthTimeout = 30 * S;
  }
  if (!t.RestartPolicy) t.RestartPolicy = { ...(g.RestartPolicy as Obj) };
  else t.RestartPolicy = merge({ ...(g.RestartPolicy as Obj) }, t.RestartPolicy as Obj);
}

function canonicalizeResources(r: Obj): void {
  if (isNil(r.Cores)) {
    r.Cores = 0;
    def(r, 'CPU', 100);
  }
  def(r, 'CPU', 0);
  def(r, 'MemoryMB', 300);
  for (const d of each(r.Devices)) {
    def(d, 'Count', 1);
    for (const a of each(d.Affinities)) def(a, 'Weight', 50);
  }
  const numa = r.NUMA as Obj | null;
  if (numa && numa.Affinity === '') numa.Affinity = 'none';
}

function canonicalizeArtifact(a: Obj): void {
  def(a, 'GetterMode', 'any');
  def(a, 'GetterInsecure', false);
  def(a, 'GetterSource', '');
  if (a.GetterOptions && Object.keys(a.GetterOptions as Obj).length === 0) a.GetterOptions = null;
  if (a.GetterHeaders && Object.keys(a.GetterHeaders as Obj).length === 0) a.GetterHeaders = null;
  if (isNil(a.RelativeDest)) {
    if (a.GetterMode === 'file') {
      const src = a.GetterSource as string;
      const base = src.replace(/\/+$/, '').split('/').pop() || (src.startsWith('/') ? '/' : '.');
      a.RelativeDest = `local/${base}`;
    } else a.RelativeDest = 'local/';
  }
}

function canonicalizeTemplate(t: Obj): void {
  def(t, 'SourcePath', '');
  def(t, 'DestPath', '');
  def(t, 'EmbeddedTmpl', '');
  def(t, 'ChangeMode', 'restart');
  if (isNil(t.ChangeSignal)) t.ChangeSignal = t.ChangeMode === 'signal' ? 'SIGHUP' : '';
  else t.ChangeSignal = (t.ChangeSignal as string).toUpperCase();
  const cs = t.ChangeScript as Obj | null;
  if (cs) {
    def(cs, 'Command', '');
    def(cs, 'Args', []);
    def(cs, 'Timeout', 5 * S);
    def(cs, 'FailOnError', false);
  }
  def(t, 'Once', false);
  def(t, 'Splay', 5 * S);
  def(t, 'Perms', '0644');
  def(t, 'LeftDelim', '{{');
  def(t, 'RightDelim', '}}');
  def(t, 'Envvars', false);
  def(t, 'ErrMissingKey', false);
  def(t, 'VaultGrace', 0);
}

function mergeCheckRestart(c: Obj | null, o: Obj | null): Obj | null {
  if (!c) return o ? { ...o } : null;
  const nc = { ...c };
  if (!o) return nc;
  if ((o.Limit as number) > 0) nc.Limit = o.Limit;
  if (!isNil(o.Grace)) nc.Grace = o.Grace;
  if (o.IgnoreWarnings) nc.IgnoreWarnings = o.IgnoreWarnings;
  return nc;
}

function canonicalizeService(s: Obj, t: Obj | null, g: Obj, job: Obj): void {
  if (s.Name === '') s.Name = t ? `${job.Name}-${g.Name}-${t.Name}` : `${job.Name}-${g.Name}`;
  if (s.AddressMode === '') s.AddressMode = 'auto';
  if (s.OnUpdate === '') s.OnUpdate = 'require_healthy';
  if (s.Provider === '') s.Provider = 'consul';
  if (s.Cluster === '') s.Cluster = 'default';
  for (const k of ['Meta', 'CanaryMeta', 'TaggedAddresses']) if (s[k] && Object.keys(s[k] as Obj).length === 0) s[k] = null;
  for (const c of each(s.Checks)) {
    const cr = mergeCheckRestart(s.CheckRestart as Obj | null, c.CheckRestart as Obj | null);
    if (cr) def(cr, 'Grace', 1 * S);
    c.CheckRestart = cr;
    if ((c.SuccessBeforePassing as number) < 0) c.SuccessBeforePassing = 0;
    if ((c.FailuresBeforeCritical as number) < 0) c.FailuresBeforeCritical = 0;
    if ((c.FailuresBeforeWarning as number) < 0) c.FailuresBeforeWarning = 0;
    if (c.OnUpdate === '') c.OnUpdate = s.OnUpdate;
  }
}
