// HCL values as go-cty models them, reduced to what jobspecs use: primitives, the collection kinds
// (tuple/list/set, object/map) and null, with cty's conversions between them and its type
// constraints (`string`, `list(number)`, `map(any)`, `object({…})`, …) for variable blocks.

export type Value =
  | { t: 'null' }
  | { t: 'string'; v: string }
  | { t: 'number'; v: number }
  | { t: 'bool'; v: boolean }
  | { t: 'tuple' | 'list' | 'set'; items: Value[] }
  | { t: 'object' | 'map'; attrs: Map<string, Value> };

export type SeqValue = Extract<Value, { items: Value[] }>;
export type MapValue = Extract<Value, { attrs: Map<string, Value> }>;

export const NULL: Value = { t: 'null' };
export const TRUE: Value = { t: 'bool', v: true };
export const FALSE: Value = { t: 'bool', v: false };
export const str = (v: string): Value => ({ t: 'string', v });
export const num = (v: number): Value => ({ t: 'number', v });
export const bool = (v: boolean): Value => (v ? TRUE : FALSE);
export const tuple = (items: Value[]): Value => ({ t: 'tuple', items });
export const list = (items: Value[]): Value => ({ t: 'list', items });
export const object = (attrs: Map<string, Value>): Value => ({ t: 'object', attrs });

export const isSeq = (v: Value): v is SeqValue => v.t === 'tuple' || v.t === 'list' || v.t === 'set';
export const isMap = (v: Value): v is MapValue => v.t === 'object' || v.t === 'map';

/** A value from plain JavaScript data (JSON-like). */
export function fromJS(x: unknown): Value {
  if (x === null || x === undefined) return NULL;
  if (typeof x === 'string') return str(x);
  if (typeof x === 'number') return num(x);
  if (typeof x === 'boolean') return bool(x);
  if (Array.isArray(x)) return tuple(x.map(fromJS));
  if (typeof x === 'object') return object(new Map(Object.entries(x as Record<string, unknown>).map(([k, v]) => [k, fromJS(v)])));
  return NULL;
}

/** The Go value Nomad's decodeMapInterfaceType makes of a cty value, as JSON: objects with sorted keys. */
export function toJS(v: Value): unknown {
  switch (v.t) {
    case 'null':
      return null;
    case 'string':
    case 'number':
    case 'bool':
      return v.v;
    case 'tuple':
    case 'list':
    case 'set':
      return v.items.map(toJS);
    default: {
      const out: Record<string, unknown> = {};
      for (const k of [...v.attrs.keys()].sort()) out[k] = toJS(v.attrs.get(k)!);
      return out;
    }
  }
}

/** cty's FriendlyName of a value's type, for error messages. */
export function typeName(v: Value): string {
  switch (v.t) {
    case 'null':
      return 'dynamic';
    case 'string':
    case 'number':
    case 'bool':
      return v.t;
    case 'tuple':
      return 'tuple';
    case 'object':
      return 'object';
    case 'list':
    case 'set':
      return `${v.t} of ${v.items.length > 0 ? typeName(v.items[0]!) : 'dynamic'}`;
    case 'map': {
      const first = v.attrs.values().next();
      return `map of ${first.done ? 'dynamic' : typeName(first.value)}`;
    }
  }
}

/** cty's number → string: decimal notation, never an exponent. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return BigInt(n).toString();
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

export class ConversionError extends Error {}

// ---- type constraints ------------------------------------------------------------------------

export type Type =
  | { k: 'string' | 'number' | 'bool' | 'any' }
  | { k: 'list' | 'set' | 'map'; elem: Type }
  | { k: 'tuple'; elems: Type[] }
  | { k: 'object'; attrs: Map<string, Type> };

export function typeString(t: Type): string {
  switch (t.k) {
    case 'string':
    case 'number':
    case 'bool':
      return t.k;
    case 'any':
      return 'dynamic';
    case 'list':
    case 'set':
    case 'map':
      return `${t.k} of ${typeString(t.elem)}`;
    case 'tuple':
      return 'tuple';
    case 'object':
      return 'object';
  }
}

/** go-cty's convert.Convert for the conversions HCL performs implicitly. */
export function convert(v: Value, t: Type): Value {
  if (t.k === 'any') return v;
  if (v.t === 'null') return v;
  switch (t.k) {
    case 'string':
      if (v.t === 'string') return v;
      if (v.t === 'number') return str(formatNumber(v.v));
      if (v.t === 'bool') return str(v.v ? 'true' : 'false');
      throw new ConversionError('string required');
    case 'number':
      if (v.t === 'number') return v;
      if (v.t === 'string') {
        const s = v.v.trim();
        if (s !== '' && s === v.v && /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s)) return num(Number(s));
        throw new ConversionError('a number is required');
      }
      throw new ConversionError('number required');
    case 'bool':
      if (v.t === 'bool') return v;
      if (v.t === 'string') {
        if (v.v === 'true' || v.v === '1') return TRUE;
        if (v.v === 'false' || v.v === '0') return FALSE;
        if (v.v.toLowerCase() === 'true') throw new ConversionError('a bool is required; to convert from string, use lowercase "true"');
        if (v.v.toLowerCase() === 'false') throw new ConversionError('a bool is required; to convert from string, use lowercase "false"');
        throw new ConversionError('a bool is required');
      }
      throw new ConversionError('bool required');
    case 'list':
    case 'set': {
      if (!isSeq(v)) throw new ConversionError(`${typeString(t)} required`);
      const items = v.items.map((x, i) => {
        try {
          return convert(x, t.elem);
        } catch (e) {
          throw new ConversionError(`element ${i}: ${(e as Error).message}`);
        }
      });
      if (t.k === 'set') return { t: 'set', items: setItems(items) };
      return { t: 'list', items };
    }
    case 'map': {
      if (!isMap(v)) throw new ConversionError(`${typeString(t)} required`);
      const attrs = new Map<string, Value>();
      for (const [k, x] of v.attrs) {
        try {
          attrs.set(k, convert(x, t.elem));
        } catch (e) {
          throw new ConversionError(`element ${JSON.stringify(k)}: ${(e as Error).message}`);
        }
      }
      return { t: 'map', attrs };
    }
    case 'tuple': {
      if (!isSeq(v)) throw new ConversionError('tuple required');
      if (v.items.length !== t.elems.length) throw new ConversionError(`tuple required with exactly ${t.elems.length} elements`);
      return tuple(v.items.map((x, i) => convert(x, t.elems[i]!)));
    }
    case 'object': {
      if (!isMap(v)) throw new ConversionError('object required');
      const attrs = new Map<string, Value>();
      for (const [k, at] of t.attrs) {
        const x = v.attrs.get(k);
        if (x === undefined) throw new ConversionError(`attribute ${JSON.stringify(k)} is required`);
        attrs.set(k, convert(x, at));
      }
      return object(attrs);
    }
  }
}

/** A set's elements: duplicates removed, in cty's order (strings and numbers sorted). */
export function setItems(items: Value[]): Value[] {
  const out: Value[] = [];
  for (const x of items) if (!out.some((y) => equals(x, y))) out.push(x);
  if (out.every((x) => x.t === 'string')) out.sort((a, b) => ((a as { v: string }).v < (b as { v: string }).v ? -1 : (a as { v: string }).v > (b as { v: string }).v ? 1 : 0));
  else if (out.every((x) => x.t === 'number')) out.sort((a, b) => (a as { v: number }).v - (b as { v: number }).v);
  return out;
}

/** cty equality (`==`): values of different types are never equal. */
export function equals(a: Value, b: Value): boolean {
  if (a.t === 'null' || b.t === 'null') return a.t === b.t;
  if (isSeq(a) && isSeq(b)) {
    if (a.items.length !== b.items.length) return false;
    return a.items.every((x, i) => equals(x, b.items[i]!));
  }
  if (isMap(a) && isMap(b)) {
    if (a.attrs.size !== b.attrs.size) return false;
    for (const [k, x] of a.attrs) {
      const y = b.attrs.get(k);
      if (!y || !equals(x, y)) return false;
    }
    return true;
  }
  if (a.t !== b.t) return false;
  return (a as { v: unknown }).v === (b as { v: unknown }).v;
}
