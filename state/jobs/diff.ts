// Job diffs as Nomad's nomad/structs/diff.go shapes them: primitive fields flattened to strings,
// nested blocks as objects, string and object sets diffed by membership, task groups and tasks
// matched by name. Used by /versions?diffs=true (and later by plan).
import type { Obj } from '../types.js';

type DiffType = 'None' | 'Added' | 'Deleted' | 'Edited';

const JOB_IGNORED = new Set([
  'ID', 'Status', 'StatusDescription', 'Version', 'Stable', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex',
  'Update', 'SubmitTime', 'NomadTokenID', 'VaultToken', 'ConsulToken', 'TaskGroups', 'Datacenters',
  'Constraints', 'Affinities', 'Spreads', 'Periodic', 'ParameterizedJob', 'Multiregion', 'Payload', 'UI', 'VersionTag',
]);
const GROUP_OBJECTS = ['Update', 'Migrate', 'RestartPolicy', 'ReschedulePolicy', 'EphemeralDisk', 'Disconnect', 'Scaling', 'Consul'];
const TASK_OBJECTS = ['Resources', 'LogConfig', 'Vault', 'Consul', 'DispatchPayload', 'Lifecycle', 'Identity', 'CSIPluginConfig', 'RestartPolicy'];
const GROUP_SETS = ['Constraints', 'Affinities', 'Spreads', 'Networks', 'Services'];
const TASK_SETS = ['Constraints', 'Affinities', 'Services', 'Templates', 'Artifacts', 'VolumeMounts', 'Identities'];

/** Go's fmt of a primitive as flatmap renders it. */
function fmt(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : String(v);
}

const isPrimitive = (v: unknown): boolean => v === null || v === undefined || typeof v !== 'object';

/** flatmap.Flatten(primitiveOnly): scalar fields plus string maps as `Name[key]`. */
function flatten(obj: Obj | null | undefined, ignored: Set<string> = new Set(), maps: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  if (!obj) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (ignored.has(k)) continue;
    if (maps.includes(k)) {
      for (const [mk, mv] of Object.entries((v as Obj | null) ?? {})) out.set(`${k}[${mk}]`, fmt(mv));
    } else if (isPrimitive(v)) out.set(k, fmt(v));
  }
  return out;
}

/** A fully flattened view (nested objects and lists too), for config maps and set members. */
function deepFlatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (Array.isArray(v)) v.forEach((x, i) => deepFlatten(x, `${prefix}[${i}]`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) deepFlatten(x, prefix ? `${prefix}.${k}` : k, out);
  else out.set(prefix, fmt(v));
}

/** diff.go fieldDiff: an empty side means Added/Deleted; equal values appear only in contextual diffs. */
function fieldDiffs(a: Map<string, string>, b: Map<string, string>, contextual: boolean): Obj[] {
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: Obj[] = [];
  for (const name of names) {
    const old = a.get(name) ?? '';
    const nw = b.get(name) ?? '';
    const type: DiffType = old === nw ? 'None' : old === '' ? 'Added' : nw === '' ? 'Deleted' : 'Edited';
    if (type === 'None' && !contextual) continue;
    out.push({ Type: type, Name: name, Old: old, New: nw, Annotations: null });
  }
  return out;
}

function overallType(old: unknown, nw: unknown, fields: Obj[], objects: Obj[], extra: Obj[] = []): DiffType {
  if (!old) return 'Added';
  if (!nw) return 'Deleted';
  return [...fields, ...objects, ...extra].some((d) => d.Type !== 'None') ? 'Edited' : 'None';
}

function objectDiff(name: string, old: Obj | null | undefined, nw: Obj | null | undefined, contextual: boolean): Obj | null {
  if (!old && !nw) return null;
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  if (old) deepFlatten(old, '', a);
  if (nw) deepFlatten(nw, '', b);
  const fields = fieldDiffs(a, b, contextual || !old || !nw);
  const type = overallType(old, nw, fields, []);
  if (type === 'None' && !contextual) return null;
  return { Type: type, Name: name, Fields: fields, Objects: null };
}

function stringSetDiff(name: string, old: string[] | null, nw: string[] | null, contextual: boolean): Obj | null {
  const a = new Set(old ?? []);
  const b = new Set(nw ?? []);
  const fields: Obj[] = [];
  for (const v of [...new Set([...a, ...b])].sort()) {
    const type: DiffType = a.has(v) && b.has(v) ? 'None' : a.has(v) ? 'Deleted' : 'Added';
    if (type === 'None' && !contextual) continue;
    fields.push({ Type: type, Name: name, Old: a.has(v) ? v : '', New: b.has(v) ? v : '', Annotations: null });
  }
  const type: DiffType = !old?.length ? (nw?.length ? 'Added' : 'None') : !nw?.length ? 'Deleted' : fields.some((f) => f.Type !== 'None') ? 'Edited' : 'None';
  if (type === 'None' && !contextual) return null;
  if (fields.length === 0) return null;
  return { Type: type, Name: name, Fields: fields, Objects: null };
}

/** Lists of blocks compared as sets: members only added or deleted, named by their block type. */
function objectSetDiff(field: string, old: Obj[] | null, nw: Obj[] | null, contextual: boolean): Obj[] {
  const name = field.endsWith('ies') ? `${field.slice(0, -3)}y` : field.replace(/s$/, '');
  const key = (o: Obj): string => JSON.stringify(o);
  const a = new Map((old ?? []).map((o) => [key(o), o]));
  const b = new Map((nw ?? []).map((o) => [key(o), o]));
  const out: Obj[] = [];
  for (const [k, o] of a) if (!b.has(k)) out.push(objectDiff(name, o, null, contextual)!);
  for (const [k, o] of b) if (!a.has(k)) out.push(objectDiff(name, null, o, contextual)!);
  if (contextual) for (const [k, o] of a) if (b.has(k)) { const d = objectDiff(name, o, o, true); if (d) out.push(d); }
  return out;
}

const byName = (a: Obj, b: Obj): number => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0);

function taskDiff(old: Obj | null, nw: Obj | null, contextual: boolean): Obj {
  const fields = fieldDiffs(flatten(old, new Set(['Name']), ['Meta', 'Env']), flatten(nw, new Set(['Name']), ['Meta', 'Env']), contextual || !old || !nw);
  const objects: Obj[] = [];
  const config = objectDiff('Config', old?.Config ?? null, nw?.Config ?? null, contextual);
  if (config) objects.push(config);
  for (const f of TASK_OBJECTS) {
    const d = objectDiff(f, old?.[f] ?? null, nw?.[f] ?? null, contextual);
    if (d) objects.push(d);
  }
  for (const f of TASK_SETS) objects.push(...objectSetDiff(f, old?.[f] ?? null, nw?.[f] ?? null, contextual));
  objects.sort(byName);
  return { Type: overallType(old, nw, fields, objects), Name: (nw ?? old)!.Name, Fields: fields, Objects: objects, Annotations: null };
}

function groupDiff(old: Obj | null, nw: Obj | null, contextual: boolean): Obj {
  const ignored = new Set(['Name', 'Tasks']);
  const fields = fieldDiffs(flatten(old, ignored, ['Meta']), flatten(nw, ignored, ['Meta']), contextual || !old || !nw);
  const objects: Obj[] = [];
  for (const f of GROUP_OBJECTS) {
    // A scaling policy's ID and indexes are the store's, not the specification's.
    const strip = (v: Obj | null): Obj | null => {
      if (f !== 'Scaling' || !v) return v;
      const { ID: _id, CreateIndex: _c, ModifyIndex: _m, ...spec } = v;
      return spec;
    };
    const d = objectDiff(f, strip(old?.[f] ?? null), strip(nw?.[f] ?? null), contextual);
    if (d) objects.push(d);
  }
  for (const f of GROUP_SETS) objects.push(...objectSetDiff(f, old?.[f] ?? null, nw?.[f] ?? null, contextual));
  objects.sort(byName);
  const tasks = pairByName((old?.Tasks as Obj[]) ?? [], (nw?.Tasks as Obj[]) ?? []).map(([a, b]) => taskDiff(a, b, contextual));
  const type = overallType(old, nw, fields, objects, tasks);
  return {
    Type: type,
    Name: (nw ?? old)!.Name,
    Fields: fields,
    Objects: objects,
    Tasks: contextual ? tasks : tasks.filter((t) => t.Type !== 'None'),
    Updates: null,
  };
}

function pairByName(old: Obj[], nw: Obj[]): [Obj | null, Obj | null][] {
  const names = [...new Set([...old.map((x) => x.Name as string), ...nw.map((x) => x.Name as string)])].sort();
  return names.map((n) => [old.find((x) => x.Name === n) ?? null, nw.find((x) => x.Name === n) ?? null]);
}

export function diffJobs(oldJob: Obj | null, newJob: Obj | null, contextual: boolean): Obj {
  const fields = fieldDiffs(flatten(oldJob, JOB_IGNORED, ['Meta']), flatten(newJob, JOB_IGNORED, ['Meta']), contextual || !oldJob || !newJob);
  const objects: Obj[] = [];
  const dcs = stringSetDiff('Datacenters', oldJob?.Datacenters ?? null, newJob?.Datacenters ?? null, contextual);
  if (dcs) objects.push(dcs);
  for (const f of ['Constraints', 'Affinities', 'Spreads']) objects.push(...objectSetDiff(f, oldJob?.[f] ?? null, newJob?.[f] ?? null, contextual));
  for (const f of ['Periodic', 'ParameterizedJob', 'Multiregion']) {
    const d = objectDiff(f, oldJob?.[f] ?? null, newJob?.[f] ?? null, contextual);
    if (d) objects.push(d);
  }
  objects.sort(byName);
  const groups = pairByName((oldJob?.TaskGroups as Obj[]) ?? [], (newJob?.TaskGroups as Obj[]) ?? []).map(([a, b]) => groupDiff(a, b, contextual));
  return {
    Type: overallType(oldJob, newJob, fields, objects, groups),
    ID: (newJob ?? oldJob)?.ID ?? '',
    Fields: fields,
    Objects: objects,
    TaskGroups: contextual ? groups : groups.filter((g) => g.Type !== 'None'),
  };
}
