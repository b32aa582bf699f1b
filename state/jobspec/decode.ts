// Request bodies decoded the way Nomad's HTTP agent decodes them: Go's encoding/json Decoder
// (`json.NewDecoder(body).Decode(&out)`) into the API/server structs described in decode-types.ts.
//
// What a client sees, and what this reproduces:
//   - Syntax: only the first JSON value is read (trailing bytes ignored); malformed input fails with
//     Go's scanner message (`invalid character 'x' looking for beginning of value`, `unexpected EOF`,
//     whitespace-only → `EOF`); see decode-scanner.ts.
//   - Keys match Go field names exactly, else case-insensitively (ASCII folding, plus Go's K→K and
//     ſ→S); the decoded object uses the canonical Go names; unknown keys are dropped; keys inside map
//     and interface{} values are kept verbatim. Fields of embedded structs (WriteRequest, …) sit at
//     the level of the embedding struct.
//   - Types: the first value whose JSON kind does not fit the Go type fails the whole decode with
//     `json: cannot unmarshal <kind> into Go struct field <Struct>.<path> of type <type>`, where
//     <Struct> is the innermost struct being decoded (Go's errorContext.Struct) and <path> the Go field
//     names from the root, embedded structs included (Go ≥ 1.24), no slice indexes or map keys — e.g.
//     `TaskGroup.Job.TaskGroups.Count`. Numbers that do not fit an integer type name the literal
//     (`number 1.5`, `number -1`); a mismatch on the root value reads `… into Go value of type api.X`.
//     Durations are integer nanoseconds. `[]byte` takes standard base64 (Go's `illegal base64 data at
//     input byte N` otherwise) or an array of byte values.
//
// Shape of the decoded value:
//   - objects use canonical field names; absent keys stay absent;
//   - JSON null in a struct field is kept as `null` (Go: nil pointer/slice/map, or "no effect" on
//     a non-pointer field — a repeated key then keeps the earlier value); in a slice element or map
//     value of non-nullable type it becomes Go's zero value ("", 0, false, {});
//   - a top-level `null` body decodes to `null`;
//   - integers are JS numbers (uint64/int64 beyond 2^53 lose precision, range checks are exact);
//     interface{} numbers are float64 as in Go; `[]byte` comes out as canonical base64 text;
//   - a key given twice decodes into the same place as Go does: structs merge, scalars are
//     overwritten, slices are re-filled element by element, maps gain keys.
import { JsonReader, latin1 } from './decode-reader.js';
import { GoSyntaxError, scanFirstValue } from './decode-scanner.js';
import { goBase64Decode } from './decode-base64.js';
import { markWithoutNullElements } from './null-elements.js';
import {
  Kind,
  ROOT_TYPES,
  apiTypes,
  goType,
  serverTypes,
  zeroValue,
  type FieldDesc,
  type GoType,
  type RequestRoot,
  type StructDesc,
} from './decode-types.js';

export type DecodeResult<T = any> = { ok: true; value: T } | { ok: false; error: string }; // eslint-disable-line @typescript-eslint/no-explicit-any
export type { RequestRoot, GoType, StructDesc, FieldDesc };
export { apiTypes, serverTypes };

/** The first type mismatch; decoding stops there (the syntax was already checked in full). */
class Mismatch extends Error {}

/** Returned by `value` for a JSON null that leaves a non-nullable Go value untouched. */
const NOOP = Symbol('noop');

const FLOAT64: GoType = goType(Kind.Float, 'float64', false, { bits: 64 });
const MAX_FLOAT32 = 3.4028234663852886e38;

const API_JOB = apiTypes.Job!;

const rootTypes = new Map<RequestRoot, GoType>();
for (const [root, desc] of Object.entries(ROOT_TYPES) as [RequestRoot, StructDesc][]) {
  const struct = goType(Kind.Struct, `${desc.pkg}.${desc.name}`, false, { struct: desc });
  // Nomad decodes into a pointer held in an interface: a top-level null leaves the struct alone.
  rootTypes.set(root, goType(Kind.Ptr, `*${struct.goName}`, true, { elem: struct }));
}

/** ASCII case folding of a key (with Go's extra K and ſ); null when it holds any other non-ASCII. */
function foldKey(k: string): string | null {
  let out = '';
  for (let i = 0; i < k.length; i++) {
    let c = k.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) c -= 32;
    else if (c >= 0x80) {
      if (c === 0x212a) c = 0x4b; // KELVIN SIGN → K
      else if (c === 0x17f) c = 0x53; // LATIN SMALL LETTER LONG S → S
      else return null; // cannot fold onto an ASCII field name
    }
    out += String.fromCharCode(c);
  }
  return out;
}

/** An element decoded from null into a non-nullable type: Go leaves its zero value (a struct stays empty). */
const emptyStruct = (): unknown => ({});
const zeroOf = (t: GoType): unknown => zeroValue(t, emptyStruct);

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Letters compare case-insensitively (ASCII), everything else exactly. */
function foldEq(x: number, y: number): boolean {
  if (x === y) return true;
  const lx = x | 0x20;
  return lx === (y | 0x20) && lx >= 0x61 && lx <= 0x7a;
}

class Decoder extends JsonReader {
  /** Go's errorContext as a stack of (struct, field) being decoded; the top struct is Struct. */
  private readonly fieldStack: FieldDesc[] = [];
  private readonly ownerStack: StructDesc[] = [];
  private sp = 0;
  /** Elements of the slices being decoded, innermost last, below `top` (see sliceValue). */
  private readonly items: unknown[] = [];
  private top = 0;
  /** Whether any slice element or map value decoded to null (a nil pointer) in this body. */
  nullElement = false;
  /** The api.Job objects this body decoded (usually one). */
  readonly jobs: Record<string, unknown>[] = [];

  override reset(b: Buffer, end: number): void {
    super.reset(b, end);
    this.sp = 0;
    // A mismatch leaves the elements of unfinished slices behind (and they hold body values); a
    // body with a long list leaves a long stack, which is not kept for the bodies after it.
    if (this.top !== 0 || this.items.length > 1024) this.items.length = 0;
    this.top = 0;
    this.nullElement = false;
    this.jobs.length = 0;
  }

  mismatch(what: string, t: GoType): never {
    if (this.sp === 0) throw new Mismatch(`json: cannot unmarshal ${what} into Go value of type ${t.goName}`);
    const path: string[] = [];
    for (let i = 0; i < this.sp; i++) {
      const f = this.fieldStack[i]!;
      path.push(...f.via, f.name);
    }
    const struct = this.ownerStack[this.sp - 1]!.name;
    throw new Mismatch(`json: cannot unmarshal ${what} into Go struct field ${struct}.${path.join('.')} of type ${t.goName}`);
  }

  /** Decodes the value at `p` (not whitespace) into Go type `t`; `prev` is what the target already holds. */
  value(t: GoType, prev: unknown): unknown {
    const c = this.b[this.p];
    if (c === 0x6e) {
      this.p += 4;
      return t.nullable ? null : NOOP;
    }
    while (t.kind === Kind.Ptr) t = t.elem!;
    switch (c) {
      case 0x7b: // {
        if (t.kind === Kind.Struct) return this.structValue(t.struct!, prev);
        if (t.kind === Kind.Map) return this.mapValue(t, prev);
        if (t.kind === Kind.Any) return this.anyValue();
        return this.mismatch('object', t);
      case 0x5b: // [
        if (t.kind === Kind.Slice) return this.sliceValue(t, prev);
        if (t.kind === Kind.Bytes) return this.byteArray(t);
        if (t.kind === Kind.Any) return this.anyValue();
        return this.mismatch('array', t);
      case 0x22: // "
        if (t.kind === Kind.String || t.kind === Kind.Any) return this.str();
        if (t.kind === Kind.Bytes) return this.base64();
        return this.mismatch('string', t);
      case 0x74: // true
      case 0x66: // false
        if (t.kind === Kind.Bool || t.kind === Kind.Any) {
          this.p += c === 0x74 ? 4 : 5;
          return c === 0x74;
        }
        return this.mismatch('bool', t);
      default:
        return this.numberValue(t);
    }
  }

  /**
   * Reads the object key at `p` and finds the struct field it names: exact match first, then ASCII
   * case-insensitive (first such field in declaration order), matched on the bytes so unknown keys
   * cost no string. Keys with escapes or non-ASCII bytes take the string path (Go's K/ſ folding).
   */
  fieldFor(s: StructDesc): FieldDesc | undefined {
    const b = this.b;
    const start = this.p + 1;
    let i = start;
    let c = b[i]!;
    while (c !== 0x22 && c !== 0x5c && c < 0x80) c = b[++i]!;
    if (c !== 0x22) {
      const key = this.str();
      const f = s.exact.get(key);
      if (f !== undefined) return f;
      const folded = foldKey(key);
      return folded === null ? undefined : s.folded.get(folded);
    }
    this.p = i + 1;
    const candidates = s.byLength[i - start];
    if (candidates === undefined) return undefined;
    // Against the names' bytes, not their text: charCodeAt dispatches on the string's layout per call.
    const len = i - start;
    outer: for (let j = 0; j < candidates.length; j++) {
      const f = candidates[j]!;
      const name = f.bytes;
      for (let k = 0; k < len; k++) if (b[start + k] !== name[k]) continue outer;
      return f;
    }
    folded: for (let j = 0; j < candidates.length; j++) {
      const f = candidates[j]!;
      const name = f.bytes;
      for (let k = 0; k < len; k++) if (!foldEq(b[start + k]!, name[k]!)) continue folded;
      return f;
    }
    return undefined;
  }

  structValue(s: StructDesc, prev: unknown): Record<string, unknown> {
    const b = this.b;
    const out: Record<string, unknown> = isPlainObject(prev) ? prev : {};
    if (s === API_JOB) this.jobs.push(out);
    this.p++;
    this.ws();
    if (b[this.p] === 0x7d) {
      this.p++;
      return out;
    }
    for (;;) {
      const f = this.fieldFor(s);
      this.ws();
      this.p++; // :
      this.ws();
      if (f === undefined) {
        this.skip();
      } else {
        const sp = this.sp++;
        this.fieldStack[sp] = f;
        this.ownerStack[sp] = s;
        const name = f.name;
        const before = out[name];
        const v = this.value(f.type, before);
        if (v !== NOOP) out[name] = v;
        else if (before === undefined) out[name] = null;
        this.sp = sp;
      }
      this.ws();
      if (b[this.p++] === 0x2c) {
        this.ws();
        continue;
      }
      return out; // }
    }
  }

  sliceValue(t: GoType, prev: unknown): unknown[] {
    const b = this.b;
    const et = t.elem!;
    const old = Array.isArray(prev) ? prev : undefined;
    this.p++;
    this.ws();
    if (b[this.p] === 0x5d) {
      this.p++;
      return [];
    }
    // Elements gather on the decoder's stack (nested slices above them, gone when they end) and
    // leave in one array of their exact length: a pushed-to array reserves 16 slots for one element.
    // The stack keeps its slots (emptied) between bodies: shrinking it would give its storage back
    // and make the next body's first slice allocate it anew.
    const items = this.items;
    const base = this.top;
    for (let i = 0; ; i++) {
      const pe = old !== undefined && i < old.length ? old[i] : undefined;
      const v = this.value(et, pe);
      if (v === null) this.nullElement = true;
      items[this.top++] = v !== NOOP ? v : pe !== undefined ? pe : zeroOf(et);
      this.ws();
      if (b[this.p++] === 0x2c) {
        this.ws();
        continue;
      }
      // ]
      const top = this.top;
      const out = items.slice(base, top);
      for (let k = base; k < top; k++) items[k] = undefined;
      this.top = base;
      return out;
    }
  }

  mapValue(t: GoType, prev: unknown): Record<string, unknown> {
    const b = this.b;
    const et = t.elem!;
    const out: Record<string, unknown> = isPlainObject(prev) ? prev : {};
    this.p++;
    this.ws();
    if (b[this.p] === 0x7d) {
      this.p++;
      return out;
    }
    for (;;) {
      const key = this.str();
      this.ws();
      this.p++; // :
      this.ws();
      const v = this.value(et, undefined); // Go decodes each map value into a fresh element
      if (v === null) this.nullElement = true;
      setKey(out, key, v === NOOP ? zeroOf(et) : v);
      this.ws();
      if (b[this.p++] === 0x2c) {
        this.ws();
        continue;
      }
      return out; // }
    }
  }

  /** interface{}: bool, float64, string, []interface{}, map[string]interface{}, nil. */
  anyValue(): unknown {
    const b = this.b;
    const c = b[this.p];
    switch (c) {
      case 0x7b: {
        const out: Record<string, unknown> = {};
        this.p++;
        this.ws();
        if (b[this.p] === 0x7d) {
          this.p++;
          return out;
        }
        for (;;) {
          const key = this.str();
          this.ws();
          this.p++;
          this.ws();
          setKey(out, key, this.anyValue());
          this.ws();
          if (b[this.p++] === 0x2c) {
            this.ws();
            continue;
          }
          return out;
        }
      }
      case 0x5b: {
        const out: unknown[] = [];
        this.p++;
        this.ws();
        if (b[this.p] === 0x5d) {
          this.p++;
          return out;
        }
        for (;;) {
          out.push(this.anyValue());
          this.ws();
          if (b[this.p++] === 0x2c) {
            this.ws();
            continue;
          }
          return out;
        }
      }
      case 0x22:
        return this.str();
      case 0x74:
        this.p += 4;
        return true;
      case 0x66:
        this.p += 5;
        return false;
      case 0x6e:
        this.p += 4;
        return null;
      default:
        return this.numberValue(FLOAT64);
    }
  }

  numberValue(t: GoType): unknown {
    const b = this.b;
    const start = this.p;
    let p = start;
    const neg = b[p] === 0x2d;
    if (neg) p++;
    // Integer part, accumulated exactly while it has at most 15 digits.
    let v = 0;
    const digits0 = p;
    for (; p < this.end; p++) {
      const c = b[p]!;
      if (c < 0x30 || c > 0x39) break;
      v = v * 10 + (c - 0x30);
    }
    const nDigits = p - digits0;
    let integral = true;
    for (; p < this.end; p++) {
      const c = b[p]!;
      if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) integral = false;
      else break;
    }
    this.p = p;
    if ((t.kind === Kind.Int || t.kind === Kind.Uint) && integral && nDigits <= 15) {
      // ParseUint accepts no sign at all, not even "-0".
      const n = neg ? -v : v;
      if ((t.kind === Kind.Uint && neg) || n < t.minN! || n > t.maxN!) {
        return this.mismatch(`number ${latin1(b, start, p)}`, t);
      }
      return n === 0 ? 0 : n;
    }
    const lit = latin1(b, start, p);
    switch (t.kind) {
      case Kind.Int:
      case Kind.Uint: {
        if (!integral || (t.kind === Kind.Uint && neg)) return this.mismatch(`number ${lit}`, t);
        const big = BigInt(lit);
        if (big < t.min! || big > t.max!) return this.mismatch(`number ${lit}`, t);
        return Number(big);
      }
      case Kind.Float:
      case Kind.Any: {
        const n = Number(lit);
        const limit = t.bits === 32 ? MAX_FLOAT32 : Number.MAX_VALUE;
        if (!(Math.abs(n) <= limit)) return this.mismatch(`number ${lit}`, t.kind === Kind.Any ? FLOAT64 : t);
        return n;
      }
      default:
        return this.mismatch('number', t);
    }
  }

  /** A JSON string into []byte: Go's base64.StdEncoding; returned as canonical base64. */
  base64(): string {
    const start = this.p + 1;
    const s = this.str();
    // Go decodes the unquoted bytes; with no escapes and only ASCII (same length as the text)
    // those are the raw bytes of the body.
    const raw = this.p - 1 - start === s.length ? this.b.subarray(start, this.p - 1) : Buffer.from(s, 'utf8');
    const r = goBase64Decode(raw);
    if (!r.ok) throw new Mismatch(`illegal base64 data at input byte ${r.offset}`);
    return Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.length).toString('base64');
  }

  /** A JSON array into []byte: one uint8 per element. */
  byteArray(t: GoType): string {
    const bytes = this.sliceValue(goType(Kind.Slice, t.goName, true, { elem: t.elem }), undefined);
    return Buffer.from(bytes as number[]).toString('base64');
  }
}

/**
 * Decodes a request body into the Go type Nomad uses for `root`. The HTTP layer answers an empty
 * body itself (`Request body is empty`); here whitespace-only input is Go's `EOF`.
 */
export function decodeRequest(root: RequestRoot, body: Buffer | string): DecodeResult {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  let end: number;
  try {
    end = scanFirstValue(buf);
  } catch (err) {
    if (err instanceof GoSyntaxError) return { ok: false, error: err.message };
    throw err;
  }
  const type = rootTypes.get(root);
  if (!type) throw new Error(`decodeRequest: unknown request root ${String(root)}`);
  const d = decoder;
  d.reset(buf, end);
  d.ws();
  try {
    const value = d.value(type, undefined);
    // Without a nil element anywhere in the body, its jobs need no null-element walk (null-elements.ts).
    if (!d.nullElement) for (let i = 0; i < d.jobs.length; i++) markWithoutNullElements(d.jobs[i]!);
    return { ok: true, value };
  } catch (err) {
    if (err instanceof Mismatch) return { ok: false, error: err.message };
    throw err;
  } finally {
    // The body is not kept alive until the next request.
    d.reset(EMPTY, 0);
  }
}

const EMPTY = Buffer.alloc(0);
/** Decoding runs to completion without calling out, so one decoder (and its stacks) serves all. */
const decoder = new Decoder(EMPTY, 0);
