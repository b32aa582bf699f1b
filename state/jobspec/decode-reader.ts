// The JSON text under the Go-faithful decoder (decode.ts): position, whitespace, strings with Go's
// unquoting, and skipping values. The syntax was checked in full first (decode-scanner.ts), so
// reading never meets malformed input.

// Buffer's own slice-to-string methods skip toString()'s argument handling; fall back if absent.
type Slicer = (b: Buffer, start: number, end: number) => string;
const proto = Buffer.prototype as unknown as Record<string, unknown>;
export const latin1: Slicer =
  typeof proto.latin1Slice === 'function'
    ? (b, s, e) => (b as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(s, e)
    : (b, s, e) => b.toString('latin1', s, e);
const utf8: Slicer =
  typeof proto.utf8Slice === 'function'
    ? (b, s, e) => (b as unknown as { utf8Slice(s: number, e: number): string }).utf8Slice(s, e)
    : (b, s, e) => b.toString('utf8', s, e);

function hex4(b: Buffer, i: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const c = b[i + k]!;
    v = v * 16 + (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return v;
}

// Short ASCII strings recur across bodies (drivers, keys of maps, labels): keep one copy of each
// instead of allocating a new string every time (a small direct-mapped cache, checked byte-wise).
const INTERN_MAX = 32;
const INTERN_SLOTS = 4096;
const interned: (string | undefined)[] = new Array(INTERN_SLOTS);

export class JsonReader {
  p = 0;

  constructor(
    protected b: Buffer,
    protected end: number,
  ) {}

  /** Points the reader at another text: one reader serves every request (no allocation per body). */
  reset(b: Buffer, end: number): void {
    this.b = b;
    this.end = end;
    this.p = 0;
  }

  ws(): void {
    const b = this.b;
    let p = this.p;
    let c = b[p];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++p];
    this.p = p;
  }

  /** Reads a string at `p` (the opening quote) and returns its Go-unquoted text. */
  str(): string {
    const b = this.b;
    const start = this.p + 1;
    let i = start;
    let h = 0;
    let c = b[i]!;
    while (c !== 0x22 && c !== 0x5c && c < 0x80) {
      h = (Math.imul(h, 31) + c) | 0;
      c = b[++i]!;
    }
    if (c === 0x22) {
      this.p = i + 1;
      const len = i - start;
      if (len > INTERN_MAX) return latin1(b, start, i);
      const slot = (h ^ (h >>> 12) ^ len) & (INTERN_SLOTS - 1);
      const cached = interned[slot];
      if (cached !== undefined && cached.length === len) {
        let k = 0;
        while (k < len && cached.charCodeAt(k) === b[start + k]) k++;
        if (k === len) return cached;
      }
      const s = latin1(b, start, i);
      interned[slot] = s;
      return s;
    }
    // Escapes or non-ASCII bytes.
    for (;;) {
      if (c === 0x5c) return this.strEscaped(start);
      if (c === 0x22) {
        this.p = i + 1;
        return utf8(b, start, i);
      }
      c = b[++i]!;
    }
  }

  strEscaped(start: number): string {
    const b = this.b;
    let out = '';
    let seg = start;
    let i = start;
    for (;;) {
      const c = b[i]!;
      if (c === 0x22) {
        out += utf8(b, seg, i);
        this.p = i + 1;
        return out;
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += utf8(b, seg, i);
      const e = b[i + 1]!;
      i += 2;
      switch (e) {
        case 0x62: out += '\b'; break;
        case 0x66: out += '\f'; break;
        case 0x6e: out += '\n'; break;
        case 0x72: out += '\r'; break;
        case 0x74: out += '\t'; break;
        case 0x75: {
          let r = hex4(b, i);
          i += 4;
          if (r >= 0xd800 && r < 0xe000) {
            // A surrogate: valid only as a high/low pair of \u escapes, else U+FFFD (Go's unquote).
            if (r < 0xdc00 && b[i] === 0x5c && b[i + 1] === 0x75) {
              const r2 = hex4(b, i + 2);
              if (r2 >= 0xdc00 && r2 < 0xe000) {
                out += String.fromCharCode(r, r2);
                i += 6;
                break;
              }
            }
            r = 0xfffd;
          }
          out += String.fromCharCode(r);
          break;
        }
        default: // \\ \/ \"
          out += String.fromCharCode(e);
      }
      seg = i;
    }
  }

  /** Skips the value at `p` (already known to be valid JSON). */
  skip(): void {
    const b = this.b;
    let p = this.p;
    const c = b[p];
    if (c === 0x22) {
      p = skipString(b, p);
    } else if (c === 0x7b || c === 0x5b) {
      let depth = 0;
      for (;;) {
        const ch = b[p];
        if (ch === 0x22) {
          p = skipString(b, p);
          continue;
        }
        if (ch === 0x7b || ch === 0x5b) depth++;
        else if (ch === 0x7d || ch === 0x5d) {
          if (--depth === 0) {
            p++;
            break;
          }
        }
        p++;
      }
    } else {
      p++;
      for (; p < this.end; p++) {
        const ch = b[p];
        if (ch === 0x2c || ch === 0x7d || ch === 0x5d || ch === 0x20 || ch === 0x0a || ch === 0x0d || ch === 0x09) break;
      }
    }
    this.p = p;
  }
}

function skipString(b: Buffer, p: number): number {
  let i = p + 1;
  for (;;) {
    const c = b[i];
    if (c === 0x22) return i + 1;
    i += c === 0x5c ? 2 : 1;
  }
}
