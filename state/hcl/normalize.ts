// jobspec2/parse_job.go normalizeJob: what the parser fills in on every parse (Canonicalize or
// not): name and ID from the label, `cron` spec type, job-level tasks as their own groups, `port`
// blocks split into reserved and dynamic ports, template and vault defaults, and the default
// workload identity moved to Task.Identity.
import { zeroStruct, type Obj } from './zero.js';

const S = 1e9;

export interface JobConfig {
  jobId: string;
  job: Obj;
  /** A job-level `vault` block. */
  vault: Obj | null;
  /** Job-level `task` blocks. */
  tasks: Obj[];
}

export function normalizeJob(jc: JobConfig): void {
  const j = jc.job;
  if (j.Name === null) j.Name = jc.jobId;
  if (j.ID === null) j.ID = jc.jobId;
  const periodic = j.Periodic as Obj | null;
  if (periodic && (periodic.Spec !== null || periodic.Specs !== null)) periodic.SpecType = 'cron';
  normalizeVault(jc.vault);
  if (jc.tasks.length > 0) {
    const alone = jc.tasks.map((t) => ({ ...zeroStruct('TaskGroup'), Name: t.Name, Tasks: [t] }));
    j.TaskGroups = [...alone, ...((j.TaskGroups as Obj[] | null) ?? [])];
  }
  for (const tg of (j.TaskGroups as Obj[] | null) ?? []) {
    normalizeNetworkPorts(tg.Networks as Obj[] | null);
    for (const t of (tg.Tasks as Obj[] | null) ?? []) {
      const res = t.Resources as Obj | null;
      if (res) normalizeNetworkPorts(res.Networks as Obj[] | null);
      normalizeTemplates(t.Templates as Obj[] | null);
      normalizeVault(t.Vault as Obj | null);
      if (t.Vault === null) t.Vault = jc.vault;
      const ids = t.Identities as Obj[] | null;
      if (ids) {
        const i = ids.findIndex((w) => w.Name === '' || w.Name === 'default');
        if (i >= 0) {
          t.Identity = ids[i];
          ids.splice(i, 1);
        }
      }
    }
  }
}

function normalizeVault(v: Obj | null): void {
  if (!v) return;
  if (v.Env === null) v.Env = true;
  if (v.DisableFile === null) v.DisableFile = false;
  if (v.ChangeMode === null) v.ChangeMode = 'restart';
}

function normalizeNetworkPorts(networks: Obj[] | null): void {
  for (const n of networks ?? []) {
    const ports = n.DynamicPorts as Obj[] | null;
    if (!ports || ports.length === 0) continue;
    const dynamic = ports.filter((p) => !((p.Value as number) > 0));
    const reserved = ports.filter((p) => (p.Value as number) > 0);
    n.DynamicPorts = dynamic.length > 0 ? dynamic : null;
    n.ReservedPorts = reserved.length > 0 ? reserved : null;
  }
}

function normalizeTemplates(templates: Obj[] | null): void {
  for (const t of templates ?? []) {
    if (t.ChangeMode === null) t.ChangeMode = 'restart';
    if (t.Perms === null) t.Perms = '0644';
    if (t.Splay === null) t.Splay = 5 * S;
    if (t.ErrMissingKey === null) t.ErrMissingKey = false;
    const cs = t.ChangeScript as Obj | null;
    if (cs) {
      if (cs.Args === null) cs.Args = [];
      if (cs.Timeout === null) cs.Timeout = 5 * S;
      if (cs.FailOnError === null) cs.FailOnError = false;
    }
  }
}
