// Go codec details that shape response bodies.

function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v as object).length === 0;
  return false;
}

const omitCache = new WeakMap<object, object>();

/**
 * Structs tagged `codec:",omitempty"` (Evaluation, Allocation, Plan, …) drop every zero-valued
 * top-level field on the wire. Stored objects are immutable, so the result is cached by identity.
 */
export function omitEmpty<T extends object>(obj: T): Partial<T> {
  const hit = omitCache.get(obj);
  if (hit) return hit as Partial<T>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (!isZero(v)) out[k] = v;
  omitCache.set(obj, out);
  return out as Partial<T>;
}

const allocCache = new WeakMap<object, object>();

/**
 * A full Allocation on the wire. Besides its zero fields, omitempty drops `DesiredTransition` when
 * nothing was asked for: it is a struct (not a pointer) of `*bool` fields, and the codec (codecgen's
 * encOmitEmptyLine, like the reflection path's isEmptyStruct) compares such a comparable struct with
 * its zero value. A `false` is a set pointer, so it keeps the struct.
 */
export function allocJson<T extends object>(alloc: T): Partial<T> {
  const hit = allocCache.get(alloc);
  if (hit) return hit as Partial<T>;
  const out: Record<string, unknown> = { ...omitEmpty(alloc) };
  const dt = out.DesiredTransition as Record<string, unknown> | undefined;
  if (dt && Object.values(dt).every((v) => v === null || v === undefined)) delete out.DesiredTransition;
  allocCache.set(alloc, out);
  return out as Partial<T>;
}
