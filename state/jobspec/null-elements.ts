// JSON `null` where a job holds a list (or map) of blocks. Go decodes it into a nil pointer, and
// Nomad then dereferences it: the API canonicalisation (`TaskGroup.Canonicalize`, `Task.Canonicalize`,
// `Service.Canonicalize`, …) panics inside the agent's HTTP handler, which Go's server answers by
// dropping the connection; constraints survive conversion as nil and crash the server's validation.
// Neither is an answer a client can use, so the mock refuses such a job up front with a 400 that
// names the first null element (paths use the Go field names and 0-based JSON indexes).
import { Kind, apiTypes, type GoType, type StructDesc } from './decode-types.js';

type Visit = (value: unknown, path: string) => string | null;

const structOf = (t: GoType): StructDesc | undefined =>
  t.kind === Kind.Struct ? t.struct : t.kind === Kind.Ptr && t.elem?.kind === Kind.Struct ? t.elem.struct : undefined;

const visitors = new Map<StructDesc, Visit>();

/** A checker for a value of struct `desc`, built once per struct from its field types. */
function structVisitor(desc: StructDesc): Visit {
  let v = visitors.get(desc);
  if (v) return v;
  const checks: [string, Visit][] = [];
  v = (value, path) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
    const obj = value as Record<string, unknown>;
    for (const [name, check] of checks) {
      if (obj[name] === undefined || obj[name] === null) continue;
      const found = check(obj[name], `${path}.${name}`);
      if (found) return found;
    }
    return null;
  };
  visitors.set(desc, v);
  for (const f of desc.fields) {
    const check = typeVisitor(f.type);
    if (check) checks.push([f.name, check]);
  }
  return v;
}

/** A checker for a value of type `t`, or null when nothing below it can hold a block. */
function typeVisitor(t: GoType): Visit | null {
  const s = structOf(t);
  if (s) return structVisitor(s);
  if ((t.kind === Kind.Slice || t.kind === Kind.Map) && t.elem) {
    const es = structOf(t.elem);
    if (!es) return null;
    const elem = structVisitor(es);
    // Only pointer elements stay nil: Go decodes null into a struct element as its zero value.
    const nilable = t.elem.kind === Kind.Ptr;
    if (t.kind === Kind.Slice) {
      return (value, path) => {
        if (!Array.isArray(value)) return null;
        for (let i = 0; i < value.length; i++) {
          const p = `${path}[${i}]`;
          if (value[i] === null) return nilable ? p : null;
          const found = elem(value[i], p);
          if (found) return found;
        }
        return null;
      };
    }
    return (value, path) => {
      if (value === null || typeof value !== 'object') return null;
      for (const [k, x] of Object.entries(value as Record<string, unknown>)) {
        const p = `${path}[${JSON.stringify(k)}]`;
        if (x === null) return nilable ? p : null;
        const found = elem(x, p);
        if (found) return found;
      }
      return null;
    };
  }
  return null;
}

const jobVisitor = structVisitor(apiTypes.Job!);

/** The message for the first null block element of an API job, or null when it has none. */
export function nullElementError(job: unknown): string | null {
  const path = jobVisitor(job, 'Job');
  return path ? `${path} must not be null` : null;
}
