// ACL policy rules are HCL1 (or JSON): a small parser for the subset policies use, into items with
// keys, labels and values. Validation against acl.Policy is in policy.ts.

type HclValue = string | number | boolean | HclValue[] | HclItem[];
export interface HclItem {
  key: string;
  labels: string[];
  value: HclValue;
  /** True for `key { … }` / `key "label" { … }` blocks and `key = { … }` objects. */
  object: boolean;
}

export class HclError extends Error {}

interface Tok {
  t: 'ident' | 'string' | 'number' | 'punct' | 'eof';
  v: string;
  line: number;
  col: number;
}

export function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  const adv = (n: number): void => {
    for (let k = 0; k < n; k++) {
      if (src[i] === '\n') {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      adv(1);
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < src.length && src[i] !== '\n') adv(1);
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new HclError(`At ${line}:${col}: comment not terminated`);
      adv(end + 2 - i);
      continue;
    }
    const start = { line, col };
    if ('{}[]=,'.includes(c)) {
      out.push({ t: 'punct', v: c, ...start });
      adv(1);
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\n') throw new HclError(`At ${start.line}:${start.col}: literal not terminated`);
        if (src[j] === '\\') {
          const e = src[j + 1];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : (e ?? '');
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new HclError(`At ${start.line}:${start.col}: literal not terminated`);
      out.push({ t: 'string', v: s, ...start });
      adv(j + 1 - i);
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.\-:]*/.exec(src.slice(i));
    if (word) {
      out.push({ t: 'ident', v: word[0], ...start });
      adv(word[0].length);
      continue;
    }
    const num = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'number', v: num[0], ...start });
      adv(num[0].length);
      continue;
    }
    throw new HclError(`At ${line}:${col}: illegal char`);
  }
  out.push({ t: 'eof', v: '', line, col });
  return out;
}

export class HclParser {
  private p = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.p]!;
  }
  private next(): Tok {
    return this.toks[this.p++]!;
  }
  private fail(tok: Tok, expected: string): never {
    const got = tok.t === 'eof' ? 'EOF' : tok.t === 'punct' ? tok.v : `${tok.t.toUpperCase()} ${tok.v}`;
    throw new HclError(`At ${tok.line}:${tok.col}: expected: ${expected} got: ${got}`);
  }

  body(closing: boolean): HclItem[] {
    const items: HclItem[] = [];
    for (;;) {
      const tok = this.peek();
      if (closing && tok.t === 'punct' && tok.v === '}') return items;
      if (tok.t === 'eof') {
        if (closing) this.fail(tok, 'RBRACE');
        return items;
      }
      items.push(this.item());
      const after = this.peek();
      if (after.t === 'punct' && after.v === ',') this.next();
    }
  }

  private item(): HclItem {
    const keyTok = this.next();
    if (keyTok.t !== 'ident' && keyTok.t !== 'string') this.fail(keyTok, 'IDENT | STRING');
    const labels: string[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok.t === 'string' || tok.t === 'ident') {
        labels.push(this.next().v);
        continue;
      }
      break;
    }
    const tok = this.next();
    if (tok.t === 'punct' && tok.v === '=') {
      if (labels.length > 0) this.fail(tok, 'LBRACE');
      const next = this.peek();
      if (next.t === 'punct' && next.v === '{') {
        this.next();
        const value = this.body(true);
        this.next();
        return { key: keyTok.v, labels, value, object: true };
      }
      return { key: keyTok.v, labels, value: this.value(), object: false };
    }
    if (tok.t === 'punct' && tok.v === '{') {
      const value = this.body(true);
      this.next();
      return { key: keyTok.v, labels, value, object: true };
    }
    return this.fail(tok, 'ASSIGN | LBRACE');
  }

  private value(): HclValue {
    const tok = this.next();
    if (tok.t === 'string') return tok.v;
    if (tok.t === 'number') return Number(tok.v);
    if (tok.t === 'ident' && (tok.v === 'true' || tok.v === 'false')) return tok.v === 'true';
    if (tok.t === 'punct' && tok.v === '{') {
      const items = this.body(true);
      this.next();
      return items;
    }
    if (tok.t === 'punct' && tok.v === '[') {
      const list: HclValue[] = [];
      for (;;) {
        const t = this.peek();
        if (t.t === 'punct' && t.v === ']') {
          this.next();
          return list;
        }
        list.push(this.value());
        const sep = this.peek();
        if (sep.t === 'punct' && sep.v === ',') this.next();
        else if (!(sep.t === 'punct' && sep.v === ']')) this.fail(sep, 'COMMA | RBRACK');
      }
    }
    return this.fail(tok, 'IDENT | NUMBER | STRING | LBRACE | LBRACK');
  }
}

/** HCL1's JSON form: objects become blocks; `"namespace": {"x": {…}}` becomes a labelled block. */
export function jsonToItems(obj: Record<string, unknown>): HclItem[] {
  const items: HclItem[] = [];
  for (const [key, raw] of Object.entries(obj)) {
    const values = Array.isArray(raw) && raw.every((r) => r && typeof r === 'object' && !Array.isArray(r)) && raw.length > 0 ? raw : [raw];
    for (const v of values) {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        const nested = Object.values(o);
        // A labelled block is an object whose values are all objects (`{"default": {"policy": …}}`).
        if (LABELLED.has(key.toLowerCase()) && nested.length > 0 && nested.every((n) => n && typeof n === 'object' && !Array.isArray(n))) {
          for (const [label, body] of Object.entries(o)) items.push({ key, labels: [label], value: jsonToItems(body as Record<string, unknown>), object: true });
        } else items.push({ key, labels: [], value: jsonToItems(o), object: true });
      } else items.push({ key, labels: [], value: jsonValue(v), object: false });
    }
  }
  return items;
}

function jsonValue(v: unknown): HclValue {
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return '';
}

const LABELLED = new Set(['namespace', 'node_pool', 'host_volume', 'path']);
