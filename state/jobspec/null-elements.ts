// JSON `null` where a job holds a list (or map) of blocks. Go decodes it into a nil pointer, and
// Nomad then dereferences it: the API canonicalisation (`TaskGroup.Canonicalize`, `Task.Canonicalize`,
// `Service.Canonicalize`, …) panics inside the agent's HTTP handler, which Go's server answers by
// dropping the connection; constraints survive conversion as nil and crash the server's validation.
// Neither is an answer a client can use, so the mock reports each null element as a validation
// error of the job (paths use the Go field names and 0-based JSON indexes), without canonicalising.
import { Kind, apiTypes, type GoType, type StructDesc } from './decode-types.js';

/**
 * Where the walk is: field segments (`.Name`, built once per struct field) and element indexes or
 * map-key segments; a path is only spelled out for a null element, so a job without any costs no
 * strings.
 */
type Path = (string | number)[];
type Visit = (value: unknown, path: Path, out: string[]) => void;

const spell = (path: Path): string => path.map((s) => (typeof s === 'number' ? `[${s}]` : s)).join('');

const structOf = (t: GoType): StructDesc | undefined =>
  t.kind === Kind.Struct ? t.struct : t.kind === Kind.Ptr && t.elem?.kind === Kind.Struct ? t.elem.struct : undefined;

const visitors = new Map<StructDesc, Visit>();

/** A checker for a value of struct `desc`, built once per struct from its field types. */
function structVisitor(desc: StructDesc): Visit {
  let v = visitors.get(desc);
  if (v) return v;
  const checks: [string, string, Visit][] = [];
  v = (value, path, out) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
    const obj = value as Record<string, unknown>;
    for (let i = 0; i < checks.length; i++) {
      const [name, segment, check] = checks[i]!;
      const x = obj[name];
      if (x !== undefined && x !== null) {
        path.push(segment);
        check(x, path, out);
        path.pop();
      }
    }
  };
  visitors.set(desc, v);
  for (const f of desc.fields) {
    const check = typeVisitor(f.type);
    if (check) checks.push([f.name, `.${f.name}`, check]);
  }
  return v;
}

/** A checker for a value of type `t`, or null when nothing below it can hold a block. */
function typeVisitor(t: GoType): Visit | null {
  const s = structOf(t);
  if (s) return structVisitor(s);
  if ((t.kind !== Kind.Slice && t.kind !== Kind.Map) || !t.elem) return null;
  const es = structOf(t.elem);
  if (!es) return null;
  const elem = structVisitor(es);
  // Only pointer elements stay nil: Go decodes null into a struct element as its zero value.
  const nilable = t.elem.kind === Kind.Ptr;
  const one = (x: unknown, path: Path, out: string[]): void => {
    if (x !== null) elem(x, path, out);
    else if (nilable) out.push(spell(path));
  };
  if (t.kind === Kind.Slice) {
    return (value, path, out) => {
      if (!Array.isArray(value)) return;
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        one(value[i], path, out);
        path.pop();
      }
    };
  }
  return (value, path, out) => {
    if (value === null || typeof value !== 'object') return;
    for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
      path.push(`[${JSON.stringify(k)}]`);
      one(x, path, out);
      path.pop();
    }
  };
}

const jobVisitor = structVisitor(apiTypes.Job!);

// Whether there is any null element at all: the walk goes by the keys a value holds (a few) rather
// than by every field its struct declares (dozens), and spells nothing. Only a job that has one
// takes the walk above, whose errors come in the fields' declaration order.
type Probe = (value: unknown) => boolean;
const probes = new Map<StructDesc, Probe>();

function structProbe(desc: StructDesc): Probe {
  let p = probes.get(desc);
  if (p) return p;
  const byName = new Map<string, Probe>();
  p = (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    const obj = value as Record<string, unknown>;
    // Inherited keys need no skipping: the full walk reads a field wherever it lives, as this does.
    for (const k in obj) {
      const probe = byName.get(k);
      if (probe === undefined) continue;
      const x = obj[k];
      if (x !== undefined && x !== null && probe(x)) return true;
    }
    return false;
  };
  probes.set(desc, p);
  for (const f of desc.fields) {
    const probe = typeProbe(f.type);
    if (probe) byName.set(f.name, probe);
  }
  return p;
}

function typeProbe(t: GoType): Probe | null {
  const s = structOf(t);
  if (s) return structProbe(s);
  if ((t.kind !== Kind.Slice && t.kind !== Kind.Map) || !t.elem) return null;
  const es = structOf(t.elem);
  if (!es) return null;
  const elem = structProbe(es);
  const nilable = t.elem.kind === Kind.Ptr;
  const one = (x: unknown): boolean => (x !== null ? elem(x) : nilable);
  if (t.kind === Kind.Slice) {
    return (value) => {
      if (!Array.isArray(value)) return false;
      for (let i = 0; i < value.length; i++) if (one(value[i])) return true;
      return false;
    };
  }
  return (value) => {
    if (value === null || typeof value !== 'object') return false;
    for (const x of Object.values(value as Record<string, unknown>)) if (one(x)) return true;
    return false;
  };
}

const jobProbe = structProbe(apiTypes.Job!);

/**
 * API jobs the request decoder made from a body without a single nil element (decode.ts): neither
 * walk can find one in them. The decoded job belongs to its request, whose code writes only scalar
 * fields into it (namespace, region) before checking it.
 */
const withoutNullElements = new WeakSet<object>();

export function markWithoutNullElements(job: object): void {
  withoutNullElements.add(job);
}

/** One validation error per null block element of an API job (none for a job without). */
export function nullElementErrors(job: unknown): string[] {
  if (typeof job === 'object' && job !== null && withoutNullElements.has(job)) return [];
  if (!jobProbe(job)) return [];
  const paths: string[] = [];
  jobVisitor(job, ['Job'], paths);
  return paths.map((p) => `${p} must not be null`);
}
