// A JSON reader that fails the way Go's encoding/json Decoder does, because clients see its
// messages verbatim in 400 answers: only the first value is read (trailing bytes are ignored),
// whitespace-only input is `EOF`, input cut short is `unexpected EOF`.

export class GoJsonError extends Error {}

/** Go's quoteChar: the offending byte as a Go character literal. */
function quoteChar(c: string): string {
  if (c === "'") return "'\\''";
  if (c === '"') return '\'"\'';
  const code = c.charCodeAt(0);
  const named: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v', '\x07': '\\a', '\\': '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (code < 0x20 || code === 0x7f) return `'\\x${code.toString(16).padStart(2, '0')}'`;
  return `'${c}'`;
}

const WS = new Set([' ', '\t', '\n', '\r']);

class Reader {
  pos = 0;
  constructor(private readonly s: string) {}

  fail(context: string): never {
    if (this.pos >= this.s.length) throw new GoJsonError('unexpected EOF');
    throw new GoJsonError(`invalid character ${quoteChar(this.s[this.pos]!)} ${context}`);
  }

  skipWs(): void {
    while (this.pos < this.s.length && WS.has(this.s[this.pos]!)) this.pos++;
  }

  value(): unknown {
    this.skipWs();
    const c = this.s[this.pos];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
        return this.fail('looking for beginning of value');
    }
  }

  literal<T>(word: string, value: T): T {
    for (let i = 0; i < word.length; i++, this.pos++) {
      if (this.s[this.pos] !== word[i]) this.fail(`in literal ${word} (expecting ${quoteChar(word[i]!)})`);
    }
    return value;
  }

  number(): number {
    const start = this.pos;
    if (this.s[this.pos] === '-') {
      this.pos++;
      const d = this.s[this.pos];
      if (d === undefined || d < '0' || d > '9') this.fail('in numeric literal');
    }
    if (this.s[this.pos] === '0') this.pos++;
    else while (this.isDigit()) this.pos++;
    if (this.s[this.pos] === '.') {
      this.pos++;
      if (!this.isDigit()) this.fail('after decimal point in numeric literal');
      while (this.isDigit()) this.pos++;
    }
    if (this.s[this.pos] === 'e' || this.s[this.pos] === 'E') {
      this.pos++;
      if (this.s[this.pos] === '+' || this.s[this.pos] === '-') this.pos++;
      if (!this.isDigit()) this.fail('in exponent of numeric literal');
      while (this.isDigit()) this.pos++;
    }
    return Number(this.s.slice(start, this.pos));
  }

  private isDigit(): boolean {
    const d = this.s[this.pos];
    return d !== undefined && d >= '0' && d <= '9';
  }

  string(): string {
    this.pos++; // opening quote
    let out = '';
    let run = this.pos;
    for (;;) {
      const c = this.s[this.pos];
      if (c === undefined) this.fail('in string literal');
      if (c === '"') {
        out += this.s.slice(run, this.pos);
        this.pos++;
        return out;
      }
      if (c === '\\') {
        out += this.s.slice(run, this.pos);
        this.pos++;
        out += this.escape();
        run = this.pos;
        continue;
      }
      if (c < ' ') this.fail('in string literal');
      this.pos++;
    }
  }

  private escape(): string {
    const c = this.s[this.pos];
    const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
    if (c !== undefined && simple[c] !== undefined) {
      this.pos++;
      return simple[c]!;
    }
    if (c !== 'u') this.fail('in string escape code');
    this.pos++;
    let hex = '';
    for (let i = 0; i < 4; i++) {
      const h = this.s[this.pos];
      if (h === undefined || !/[0-9a-fA-F]/.test(h)) this.fail('in \\u hexadecimal character escape');
      hex += h;
      this.pos++;
    }
    return String.fromCharCode(parseInt(hex, 16));
  }

  object(): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    this.skipWs();
    if (this.s[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      if (this.s[this.pos] !== '"') this.fail('looking for beginning of object key string');
      const key = this.string();
      this.skipWs();
      if (this.s[this.pos] !== ':') this.fail('after object key');
      this.pos++;
      // Go keeps the last of duplicate keys; a plain assignment does the same.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.skipWs();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === '}') {
        this.pos++;
        return out;
      }
      this.fail('after object key:value pair');
    }
  }

  array(): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    this.skipWs();
    if (this.s[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.skipWs();
      const c = this.s[this.pos];
      if (c === ',') {
        this.pos++;
        continue;
      }
      if (c === ']') {
        this.pos++;
        return out;
      }
      this.fail('after array element');
    }
  }
}

/** Reads the first JSON value of `text`; throws GoJsonError with Go's message. */
export function readFirstValue(text: string): unknown {
  const r = new Reader(text);
  r.skipWs();
  if (r.pos >= text.length) throw new GoJsonError('EOF');
  return r.value();
}
