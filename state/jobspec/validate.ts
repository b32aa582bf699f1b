// Register-time validation (state-semantics §3, http-semantics §5.4–5.6): Nomad's validators in
// their order, with Job.Validate's items and nested task-group and task errors.
import type { Job, Obj } from '../types.js';
import type { VError } from './multierror.js';
import { cronError } from './cron.js';
import { compileRegexp, RegexpSyntaxError } from '../regexp.js';
import { isShared } from '../share.js';

export interface ValidateContext {
  namespaceExists(ns: string): boolean;
  nodePoolExists(pool: string): boolean;
  maxPriority?: number;
  maxCount?: number;
}

const S = 1e9;
const JOB_TYPES = new Set(['service', 'batch', 'system', 'sysbatch', '_core']);
const goDur = (ns: number): string => formatGoDuration(ns);

/** Go's time.Duration.String for whole-ish values (e.g. 30m0s, 24h0m0s, 5s, 1.5s). */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let v = Math.abs(ns);
  if (v < S) {
    const [unit, div] = v < 1e3 ? ['ns', 1] : v < 1e6 ? ['µs', 1e3] : ['ms', 1e6];
    return `${neg ? '-' : ''}${trimFloat(v / div)}${unit}`;
  }
  const h = Math.floor(v / 3600e9);
  v -= h * 3600e9;
  const m = Math.floor(v / 60e9);
  v -= m * 60e9;
  const s = trimFloat(v / S);
  return `${neg ? '-' : ''}${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}
const trimFloat = (n: number): string => String(Number(n.toFixed(9)));

// Constraint.Validate's regexp case (the other operands are not checked yet): a pattern Go's regexp
// rejects fails the job, with Go's parse error.
function validateConstraints(constraints: unknown, errors: VError[]): void {
  if (!Array.isArray(constraints)) return;
  constraints.forEach((c: Obj | null, i) => {
    if (c?.Operand !== 'regexp') return;
    try {
      compileRegexp(String(c.RTarget ?? ''));
    } catch (err) {
      if (!(err instanceof RegexpSyntaxError)) throw err;
      errors.push({ prefix: `Constraint ${i + 1} validation failed: `, errors: [`Regular expression failed to compile: ${err.message}`] });
    }
  });
}

function validateRestart(r: Obj, errors: VError[]): void {
  const valid = r.Mode === 'delay' || r.Mode === 'fail';
  if (!valid) errors.push(`Unsupported restart mode: ${JSON.stringify(r.Mode)}`);
  if (r.Attempts === 0 && r.Mode !== 'fail') {
    errors.push(`Restart policy ${JSON.stringify(r.Mode)} with ${r.Attempts} attempts is ambiguous`);
  }
  if (r.Interval !== 0 && r.Interval < 5 * S) errors.push(`Interval can not be less than 5s (got ${goDur(r.Interval)})`);
  if (r.Interval !== 0 && r.Attempts * r.Delay > r.Interval) {
    errors.push(`Nomad can't restart the TaskGroup ${r.Attempts} times in an interval of ${goDur(r.Interval)} with a delay of ${goDur(r.Delay)}`);
  }
}

function validateReschedule(r: Obj, errors: VError[]): void {
  if (r.Attempts === 0 && !r.Unlimited) return;
  if (r.Attempts > 0 && r.Unlimited) {
    errors.push(`Reschedule Policy with Attempts = ${r.Attempts}, Interval = ${goDur(r.Interval)}, and Unlimited = ${r.Unlimited} is ambiguous`);
  }
  if (r.Delay < 5 * S) errors.push(`Delay cannot be less than 5s (got ${goDur(r.Delay)})`);
  const fns = ['constant', 'exponential', 'fibonacci'];
  if (!fns.includes(r.DelayFunction)) errors.push(`Invalid delay function ${JSON.stringify(r.DelayFunction)}, must be one of [${fns.join(' ')}]`);
  if (r.Attempts > 0 && r.Interval === 0) errors.push('Interval must be a non zero value if Attempts > 0');
}

function validateUpdate(u: Obj, errors: VError[]): void {
  if (!['checks', 'task_states', 'manual'].includes(u.HealthCheck)) errors.push(`Invalid health check given: ${JSON.stringify(u.HealthCheck)}`);
  if (u.MaxParallel < 0) errors.push(`Max parallel can not be less than zero: ${u.MaxParallel} < 0`);
  if (u.Canary < 0) errors.push(`Canary count can not be less than zero: ${u.Canary} < 0`);
  if (u.Canary === 0 && u.AutoPromote) errors.push('Auto Promote requires a Canary count greater than zero');
  if (u.MinHealthyTime < 0) errors.push(`Minimum healthy time may not be less than zero: ${u.MinHealthyTime} < 0`);
  if (u.HealthyDeadline <= 0) errors.push(`Healthy deadline must be greater than zero: ${u.HealthyDeadline} <= 0`);
  if (u.ProgressDeadline < 0) errors.push(`Progress deadline must be zero or greater: ${u.ProgressDeadline} < 0`);
  if (u.MinHealthyTime >= u.HealthyDeadline) {
    errors.push(`Minimum healthy time must be less than healthy deadline: ${goDur(u.MinHealthyTime)} > ${goDur(u.HealthyDeadline)}`);
  }
  if (u.ProgressDeadline !== 0 && u.HealthyDeadline >= u.ProgressDeadline) {
    errors.push(`Healthy deadline must be less than progress deadline: ${goDur(u.HealthyDeadline)} > ${goDur(u.ProgressDeadline)}`);
  }
  if (u.Stagger <= 0) errors.push(`Stagger must be greater than zero: ${goDur(u.Stagger)}`);
}

function validateTask(t: Obj, tg: Obj, job: Job): VError[] {
  const errors: VError[] = [];
  if (!t.Name) errors.push('Missing task name');
  if (t.Name === 'alloc') errors.push('Task cannot be named "alloc"');
  if (String(t.Name).includes('/')) errors.push('Task name cannot include slashes');
  if (String(t.Name).includes('\0')) errors.push('Task name cannot include null characters');
  if (!t.Driver) errors.push('Missing task driver');
  if (t.KillTimeout < 0) errors.push('KillTimeout must be a positive value');
  else if (job.Type === 'service' && tg.Update && tg.Update.ProgressDeadline !== 0 && t.KillTimeout > tg.Update.ProgressDeadline) {
    errors.push(`KillTimout (${goDur(t.KillTimeout)}) longer than the group's ProgressDeadline (${goDur(tg.Update.ProgressDeadline)})`);
  }
  if (t.ShutdownDelay < 0) errors.push('ShutdownDelay must be a positive value');
  const r = t.Resources as Obj | null;
  if (!r) errors.push('Missing task resources');
  else {
    if (r.Cores > 0 && r.CPU > 0) errors.push("Task can only ask for 'cpu' or 'cores' resource, not both.");
    else if (r.Cores === 0 && r.CPU < 1) errors.push(`minimum CPU value is 1; got ${r.CPU}`);
    if (r.MemoryMB < 10) errors.push(`minimum MemoryMB value is 10; got ${r.MemoryMB}`);
    if (r.DiskMB > 0) errors.push("Task can't ask for disk resources, they have to be specified at the task group level.");
  }
  const log = t.LogConfig as Obj | null;
  if (!log) errors.push('Missing Log Config');
  else {
    if (log.MaxFiles < 1) errors.push(`minimum number of files is 1; got ${log.MaxFiles}`);
    if (log.MaxFileSizeMB < 1) errors.push(`minimum file size is 1MB; got ${log.MaxFileSizeMB}`);
    const disk = tg.EphemeralDisk?.SizeMB ?? 0;
    if (!log.Disabled && log.MaxFiles * log.MaxFileSizeMB >= disk) {
      errors.push(`log storage (${log.MaxFiles * log.MaxFileSizeMB} MB) must be less than requested disk capacity (${disk} MB)`);
    }
  }
  validateConstraints(t.Constraints, errors);
  return errors;
}

function validateGroup(tg: Obj, job: Job): VError[] {
  const errors: VError[] = [];
  if (!tg.Name) errors.push('Missing task group name');
  else if (String(tg.Name).includes('\0')) errors.push('Task group name contains null character');
  if (tg.Count < 0) errors.push("Task group count can't be negative");
  const tasks = tg.Tasks as Obj[];
  if (tasks.length === 0) errors.push('Missing tasks for task group');
  validateConstraints(tg.Constraints, errors);
  if (job.Type === 'system' && tg.Count > 1) {
    // reported at job level by Nomad; see validateJob
  }
  if (tg.RestartPolicy) validateRestart(tg.RestartPolicy, errors);
  else errors.push(`Task Group ${tg.Name} should have a restart policy`);
  if (job.Type === 'system' || job.Type === 'sysbatch') {
    if (tg.ReschedulePolicy) errors.push('System or sysbatch jobs should not have a reschedule policy');
  } else if (tg.ReschedulePolicy) validateReschedule(tg.ReschedulePolicy, errors);
  else errors.push(`Task Group ${tg.Name} should have a reschedule policy`);
  if (tg.EphemeralDisk && tg.EphemeralDisk.SizeMB < 10) errors.push(`minimum DiskMB value is 10; got ${tg.EphemeralDisk.SizeMB}`);
  if (tg.Update) {
    if (job.Type === 'batch' || job.Type === 'sysbatch') errors.push(`Job type ${JSON.stringify(job.Type)} does not allow update block`);
    else validateUpdate(tg.Update, errors);
  }
  if (tg.Migrate && job.Type !== 'service') errors.push(`Job type ${JSON.stringify(job.Type)} does not allow migrate block`);
  // A lone task cannot repeat a name: no map for it.
  const seen = tasks.length > 1 ? new Map<string, number>() : null;
  let leaders = 0;
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i]!;
    if (!t.Name) errors.push(`Task ${i + 1} missing name`);
    else if (seen?.has(t.Name)) errors.push(`Task ${i + 1} redefines '${t.Name}' from task ${seen.get(t.Name)! + 1}`);
    else seen?.set(t.Name, i);
    if (t.Leader) leaders++;
  }
  if (leaders > 1) errors.push('Only one task may be marked as leader');
  for (const t of tasks) {
    const te = validateTask(t, tg, job);
    if (te.length > 0) errors.push({ prefix: `Task ${t.Name} validation failed: `, errors: te });
  }
  return errors;
}

function validatePeriodic(p: Obj, errors: VError[]): void {
  if (!p.Enabled) return;
  if (p.Spec && p.Specs.length > 0) errors.push('Only cron or crons may be used');
  if (!p.Spec && p.Specs.length === 0) errors.push('Must specify a spec');
  if (!isTimeZone(p.TimeZone)) errors.push(`Invalid time zone ${JSON.stringify(p.TimeZone)}: unknown time zone ${p.TimeZone}`);
  if (p.SpecType !== 'cron') {
    errors.push(`Unknown periodic specification type ${JSON.stringify(p.SpecType)}`);
    return;
  }
  for (const spec of p.Spec ? [p.Spec] : p.Specs) {
    const msg = cronError(spec);
    if (msg) errors.push(`Invalid cron spec ${JSON.stringify(spec)}: ${msg}`);
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Pooled groups (deep-frozen, shared by the jobs registered from one spec) that passed validateGroup, by the job
 * type they passed for: a group's checks read nothing else of its job.
 */
const cleanGroups = new WeakMap<object, string>();

export function validateJob(job: Job, ctx: ValidateContext): { errors: VError[]; warnings: string[] } {
  const errors: VError[] = [];
  if (!ctx.namespaceExists(job.Namespace)) errors.push(`job ${JSON.stringify(job.ID)} is in nonexistent namespace ${JSON.stringify(job.Namespace)}`);
  if (!ctx.nodePoolExists(job.NodePool)) errors.push(`job ${JSON.stringify(job.ID)} is in nonexistent node pool ${JSON.stringify(job.NodePool)}`);

  if (!job.Region && !job.Multiregion) errors.push('Missing job region');
  if (!job.ID) errors.push('Missing job ID');
  else if (job.ID.includes(' ')) errors.push('Job ID contains a space');
  else if (job.ID.includes('\0')) errors.push('Job ID contains a null character');
  if (!job.Name) errors.push('Missing job name');
  else if (job.Name.includes('\0')) errors.push('Job Name contains a null character');
  if (!job.Namespace) errors.push('Job must be in a namespace');
  if (!job.Type) errors.push('Missing job type');
  else if (!JOB_TYPES.has(job.Type)) errors.push(`Invalid job type: ${JSON.stringify(job.Type)}`);
  if (job.Datacenters.length === 0) errors.push('Missing job datacenters');
  else if (job.Datacenters.includes('')) errors.push('Job datacenter must be non-empty string');
  if (job.TaskGroups.length === 0) errors.push('Missing job task groups');
  validateConstraints(job.Constraints, errors);
  if (job.Type === 'system') {
    if (job.Affinities) errors.push('System jobs may not have an affinity block');
    if (job.Spreads) errors.push('System jobs may not have a spread block');
  }
  if (job.UI?.Description && String(job.UI.Description).length > 1000) {
    errors.push(`UI description must be under 1000 characters, currently ${String(job.UI.Description).length}`);
  }
  // Most jobs have one group, which cannot repeat a name: no map for it. (Indexed loops: the pooled
  // group arrays are frozen, and iterating a frozen array allocates an iterator.)
  const groups = job.TaskGroups;
  const seen = groups.length > 1 ? new Map<string, number>() : null;
  for (let i = 0; i < groups.length; i++) {
    const tg = groups[i]!;
    if (!tg.Name) errors.push(`Job task group ${i + 1} missing name`);
    else if (seen?.has(tg.Name)) errors.push(`Job task group ${i + 1} redefines '${tg.Name}' from group ${seen.get(tg.Name)! + 1}`);
    else seen?.set(tg.Name, i);
    if (tg.ShutdownDelay !== null && tg.ShutdownDelay < 0) errors.push('ShutdownDelay must be a positive value');
    if (job.Type === 'system' && tg.Count > 1) {
      errors.push(`Job task group ${tg.Name} has count ${tg.Count}. Count cannot exceed 1 with system scheduler`);
    }
  }
  for (let i = 0; i < groups.length; i++) {
    const tg = groups[i]!;
    if (cleanGroups.get(tg) === job.Type) continue;
    const ge = validateGroup(tg, job);
    if (ge.length > 0) errors.push({ prefix: `Task group ${tg.Name} validation failed: `, errors: ge });
    else if (isShared(tg)) cleanGroups.set(tg, job.Type);
  }
  if (job.Periodic) {
    if (job.Type !== 'batch' && job.Type !== 'sysbatch') errors.push('Periodic can only be used with "batch" or "sysbatch" scheduler');
    validatePeriodic(job.Periodic, errors);
  }
  if (job.ParameterizedJob) {
    if (job.Type !== 'batch' && job.Type !== 'sysbatch') errors.push('Parameterized job can only be used with "batch" or "sysbatch" scheduler');
    const p = job.ParameterizedJob;
    if (!['optional', 'required', 'forbidden'].includes(p.Payload)) errors.push(`Unknown payload requirement: ${JSON.stringify(p.Payload)}`);
    const both = ((p.MetaRequired as string[] | null) ?? []).filter((k) => ((p.MetaOptional as string[] | null) ?? []).includes(k));
    if (both.length > 0) errors.push(`Required and optional meta keys should be disjoint. Following keys exist in both: [${both.join(' ')}]`);
  }

  if (job.Type === '_core') errors.push('job type cannot be core');
  if (job.Payload) errors.push("job can't be submitted with a payload, only dispatched");
  const maxPriority = ctx.maxPriority ?? 100;
  if (job.Priority < 1 || job.Priority > maxPriority) errors.push(`job priority must be between [1, ${maxPriority}]`);
  const maxCount = ctx.maxCount ?? 50000;
  let total = 0;
  for (let i = 0; i < groups.length; i++) total += Math.max(0, groups[i]!.Count);
  if (maxCount > 0 && total > maxCount) errors.push(`total count was greater than configured job_max_count: ${total} > ${maxCount}`);

  return { errors, warnings: jobWarnings(job) };
}

function jobWarnings(job: Job): string[] {
  const warnings: string[] = [];
  if (job.Periodic?.Spec) warnings.push('cron is deprecated and may be removed in a future release. Use crons instead');
  // Counted in one indexed pass: no filtered lists on every register.
  let autoPromote = 0;
  let canaries = 0;
  const groups = job.TaskGroups;
  for (let i = 0; i < groups.length; i++) {
    const u = groups[i]!.Update;
    if (!u) continue;
    if (u.AutoPromote) autoPromote++;
    if (u.Canary > 0) canaries++;
  }
  if (autoPromote > 0 && autoPromote < canaries) {
    warnings.push('auto_promote must be true for all groups to enable automatic promotion');
  }
  return warnings;
}
