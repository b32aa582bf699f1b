// Request bodies decoded as Go's encoding/json decodes them into Nomad's request structs: keys
// matched case-insensitively to field names (output uses the canonical names), unknown keys dropped,
// map keys kept verbatim, and the first type mismatch reported in Go's words, e.g.
// `json: cannot unmarshal string into Go struct field TaskGroup.Job.TaskGroups.Count of type int`
// (Go names the innermost struct, then the field path from the root).
import { GoJsonError, readFirstValue } from './gojson.js';
import { ROOTS, STRUCTS, type Fields } from './api-types.js';

export type DecodeResult<T = unknown> = { ok: true; value: T } | { ok: false; error: string };
export type RequestRoot = keyof typeof ROOTS;
export { STRUCTS as apiTypes };

const INT_RANGES: Record<string, [number, number]> = {
  int: [-(2 ** 63), 2 ** 63 - 1],
  int64: [-(2 ** 63), 2 ** 63 - 1],
  'time.Duration': [-(2 ** 63), 2 ** 63 - 1],
  int8: [-128, 127],
  uint8: [0, 255],
  uint64: [0, 2 ** 64 - 1],
};

interface Ctx {
  pkg: string;
  struct: string;
  stack: string[];
  error: string | null;
}

/** Lower-cased field name → canonical name, per struct. */
const foldCache = new Map<Fields, Map<string, string>>();
function folded(fields: Fields): Map<string, string> {
  let m = foldCache.get(fields);
  if (!m) {
    m = new Map();
    for (const name of Object.keys(fields)) if (!m.has(name.toLowerCase())) m.set(name.toLowerCase(), name);
    foldCache.set(fields, m);
  }
  return m;
}

function kindOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string | number
}

function goTypeName(type: string, pkg: string): string {
  if (type in STRUCTS) return `${pkg}.${type}`;
  if (type.startsWith('[]') && type.slice(2) in STRUCTS) return `[]*${pkg}.${type.slice(2)}`;
  if (type.startsWith('map[string]') && type.slice(11) in STRUCTS) return `map[string]*${pkg}.${type.slice(11)}`;
  return type.replace('interface{}', 'interface {}');
}

function mismatch(ctx: Ctx, value: string, type: string): undefined {
  if (ctx.error === null) {
    ctx.error = `json: cannot unmarshal ${value} into Go struct field ${ctx.struct}.${ctx.stack.join('.')} of type ${goTypeName(type, ctx.pkg)}`;
  }
  return undefined;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBytes(v: string, ctx: Ctx): string | undefined {
  const clean = v.replace(/[\r\n]/g, '');
  const bad = clean.length % 4 !== 0 || !B64.test(clean) ? firstBadBase64Byte(clean) : -1;
  if (bad >= 0) {
    if (ctx.error === null) ctx.error = `illegal base64 data at input byte ${bad}`;
    return undefined;
  }
  return clean;
}

/** Where Go's StdEncoding would report the input corrupt (first bad byte, or the short quantum). */
function firstBadBase64Byte(s: string): number {
  const pad = s.indexOf('=');
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '=') {
      if (s.slice(i).replace(/=/g, '') !== '' || s.length - i > 2) return i;
      continue;
    }
    if (!/[A-Za-z0-9+/]/.test(c)) return i;
  }
  return pad >= 0 ? pad : s.length - (s.length % 4);
}

function decode(v: unknown, type: string, ctx: Ctx): unknown {
  if (v === null) return null;
  switch (type) {
    case 'string':
      return typeof v === 'string' ? v : mismatch(ctx, kindOf(v), type);
    case 'bool':
      return typeof v === 'boolean' ? v : mismatch(ctx, kindOf(v), type);
    case 'float64':
      return typeof v === 'number' ? v : mismatch(ctx, kindOf(v), type);
    case 'interface{}':
      return v;
    case '[]byte':
      return typeof v === 'string' ? decodeBytes(v, ctx) : mismatch(ctx, kindOf(v), type);
  }
  const range = INT_RANGES[type];
  if (range) {
    if (typeof v !== 'number') return mismatch(ctx, kindOf(v), type);
    if (!Number.isInteger(v) || v < range[0] || v > range[1]) return mismatch(ctx, `number ${String(v)}`, type);
    return v;
  }
  if (type.startsWith('[]')) {
    if (!Array.isArray(v)) return mismatch(ctx, kindOf(v), type);
    const elem = type.slice(2);
    return v.map((x) => decode(x, elem, ctx));
  }
  if (type.startsWith('map[string]')) {
    if (typeof v !== 'object' || Array.isArray(v)) return mismatch(ctx, kindOf(v), type);
    const elem = type.slice(11);
    if (elem === 'interface{}') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as object)) {
      Object.defineProperty(out, k, { value: decode(x, elem, ctx), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  const fields = STRUCTS[type];
  if (!fields) throw new Error(`decode: unknown type ${type}`);
  if (typeof v !== 'object' || Array.isArray(v)) return mismatch(ctx, kindOf(v), type);
  return decodeStruct(v as Record<string, unknown>, type, fields, ctx);
}

function decodeStruct(obj: Record<string, unknown>, name: string, fields: Fields, ctx: Ctx): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fold = folded(fields);
  const outerStruct = ctx.struct;
  for (const [key, value] of Object.entries(obj)) {
    const field = key in fields ? key : fold.get(key.toLowerCase());
    if (field === undefined) continue;
    ctx.struct = name;
    ctx.stack.push(field);
    const decoded = decode(value, fields[field]!, ctx);
    ctx.stack.pop();
    if (decoded !== undefined) out[field] = decoded;
  }
  ctx.struct = outerStruct;
  return out;
}

function parse(body: Buffer | string): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    // Slow path: Go's decoder reads the first value only and has its own messages.
    return readFirstValue(text);
  }
}

export function decodeRequest(root: RequestRoot, body: Buffer | string): DecodeResult {
  let raw: unknown;
  try {
    raw = parse(body);
  } catch (err) {
    if (err instanceof GoJsonError) return { ok: false, error: err.message };
    throw err;
  }
  const spec = ROOTS[root]!;
  if (raw === null) return { ok: true, value: null };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, error: `json: cannot unmarshal ${kindOf(raw)} into Go value of type ${spec.goType}` };
  }
  const pkg = spec.goType.split('.')[0]!;
  const ctx: Ctx = { pkg, struct: root, stack: [], error: null };
  const value = decodeStruct(raw as Record<string, unknown>, root, spec.fields, ctx);
  return ctx.error === null ? { ok: true, value } : { ok: false, error: ctx.error };
}
