// The `filter=` language of Nomad list endpoints (hashicorp/go-bexpr): boolean expressions over the
// stored objects' Go field names. Struct fields must exist (a missing one is an error, as in
// go-bexpr); missing map keys resolve per operator instead.
import { compileRegexp, RegexpSyntaxError, type GoRegexp } from '../regexp.js';

export class FilterParseError extends Error {}
export class FilterEvalError extends Error {}

type MatchOp = '==' | '!=' | 'is empty' | 'is not empty' | 'in' | 'not in' | 'contains' | 'not contains' | 'matches' | 'not matches';

type Node =
  | { kind: 'and' | 'or'; terms: Node[] }
  | { kind: 'not'; expr: Node }
  | { kind: 'match'; op: MatchOp; selector: string[]; value?: string; regex?: GoRegexp };

interface Token {
  type: 'ident' | 'string' | 'number' | 'op' | '(' | ')' | '[' | ']' | '.' | 'eof';
  text: string;
  pos: number;
}

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const fail = (msg: string): never => {
    throw new FilterParseError(`1:${i + 1} (${i}): ${msg}`);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\') {
          const n = src[i + 1];
          const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', '/': '/' };
          if (n === undefined || esc[n] === undefined) fail('invalid escape in quoted string');
          s += esc[n!]!;
          i += 2;
        } else s += src[i++];
      }
      if (i >= src.length) fail('no match found, expected: "\\"" or any character');
      i++;
      out.push({ type: 'string', text: s, pos: start });
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) fail('no match found, expected: "`" or any character');
      out.push({ type: 'string', text: src.slice(i + 1, end), pos: start });
      i = end + 1;
    } else if (c === '=' && src[i + 1] === '=') {
      out.push({ type: 'op', text: '==', pos: start });
      i += 2;
    } else if (c === '!' && src[i + 1] === '=') {
      out.push({ type: 'op', text: '!=', pos: start });
      i += 2;
    } else if ('()[].'.includes(c)) {
      out.push({ type: c as '(' | ')' | '[' | ']' | '.', text: c, pos: start });
      i++;
    } else if (/[-0-9]/.test(c) && /^-?[0-9]/.test(src.slice(i, i + 2))) {
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(src.slice(i))!;
      out.push({ type: 'number', text: m[0], pos: start });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_/-]*/.exec(src.slice(i))!;
      out.push({ type: 'ident', text: m[0], pos: start });
      i += m[0].length;
    } else {
      fail(`no match found, expected: [ \\t\\r\\n], [A-Za-z_], "(", "not", "\\"", "\`" or [0-9]`);
    }
  }
  out.push({ type: 'eof', text: '', pos: src.length });
  return out;
}

/**
 * Parentheses and `not` nest by recursion here and when evaluating; Go's parser has no practical
 * limit (its stacks grow), JavaScript's stack has one, so deeper nesting is refused with a parse error
 * instead of a RangeError. `and`/`or` chains are flat lists and may be as long as the query allows.
 */
export const MAX_FILTER_NESTING = 500;

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  private next(): Token {
    return this.toks[this.i++]!;
  }
  private isWord(t: Token, w: string): boolean {
    return t.type === 'ident' && t.text === w;
  }
  private fail(t: Token, expected: string): never {
    throw new FilterParseError(`1:${t.pos + 1} (${t.pos}): no match found, expected: ${expected}`);
  }

  parse(): Node {
    const n = this.or();
    if (this.peek().type !== 'eof') this.fail(this.peek(), '"and", "or" or EOF');
    return n;
  }
  private or(): Node {
    const terms = [this.and()];
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      terms.push(this.and());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'or', terms };
  }
  private and(): Node {
    const terms = [this.not()];
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      terms.push(this.not());
    }
    return terms.length === 1 ? terms[0]! : { kind: 'and', terms };
  }
  private not(): Node {
    if (++this.depth > MAX_FILTER_NESTING) {
      const t = this.peek();
      throw new FilterParseError(`1:${t.pos + 1} (${t.pos}): nomad-mock does not support filters nested deeper than ${MAX_FILTER_NESTING} levels`);
    }
    try {
      return this.notOrGroup();
    } finally {
      this.depth--;
    }
  }
  private notOrGroup(): Node {
    if (this.isWord(this.peek(), 'not') && !this.isSelectorStart(1)) {
      this.next();
      return { kind: 'not', expr: this.not() };
    }
    if (this.peek().type === '(') {
      this.next();
      const n = this.or();
      if (this.peek().type !== ')') this.fail(this.peek(), '")", "and" or "or"');
      this.next();
      return n;
    }
    return this.match();
  }
  /** `not` followed by a match operator word is a selector named "not"; otherwise negation. */
  private isSelectorStart(k: number): boolean {
    const t = this.peek(k);
    return t.type === 'op' || this.isWord(t, 'is') || this.isWord(t, 'contains') || this.isWord(t, 'matches');
  }

  private value(): string {
    const t = this.next();
    if (t.type === 'string' || t.type === 'number' || t.type === 'ident') return t.text;
    return this.fail(t, 'value');
  }

  private selector(): string[] {
    const t = this.next();
    if (t.type !== 'ident') this.fail(t, 'selector');
    const parts = [t.text];
    for (;;) {
      const p = this.peek();
      if (p.type === '.') {
        this.next();
        const id = this.next();
        if (id.type !== 'ident' && id.type !== 'number') this.fail(id, 'identifier');
        parts.push(id.text);
      } else if (p.type === '[') {
        this.next();
        const key = this.next();
        if (key.type !== 'string') this.fail(key, 'string');
        if (this.next().type !== ']') this.fail(this.peek(-1), '"]"');
        parts.push(key.text);
      } else return parts;
    }
  }

  private match(): Node {
    const start = this.peek();
    // Value (in|not in) Selector
    if (start.type === 'string' || start.type === 'number' || (start.type === 'ident' && (this.isWord(this.peek(1), 'in') || (this.isWord(this.peek(1), 'not') && this.isWord(this.peek(2), 'in'))))) {
      const value = this.value();
      let op: MatchOp = 'in';
      if (this.isWord(this.peek(), 'not')) {
        this.next();
        op = 'not in';
      }
      if (!this.isWord(this.next(), 'in')) this.fail(this.peek(-1), '"in" or "not"');
      return { kind: 'match', op, selector: this.selector(), value };
    }
    const selector = this.selector();
    const t = this.next();
    if (t.type === 'op') return { kind: 'match', op: t.text as MatchOp, selector, value: this.value() };
    if (this.isWord(t, 'is')) {
      if (this.isWord(this.peek(), 'not')) {
        this.next();
        if (!this.isWord(this.next(), 'empty')) this.fail(this.peek(-1), '"empty"');
        return { kind: 'match', op: 'is not empty', selector };
      }
      if (!this.isWord(this.next(), 'empty')) this.fail(this.peek(-1), '"empty" or "not"');
      return { kind: 'match', op: 'is empty', selector };
    }
    let negate = false;
    let word = t;
    if (this.isWord(t, 'not')) {
      negate = true;
      word = this.next();
    }
    if (this.isWord(word, 'contains')) return { kind: 'match', op: negate ? 'not contains' : 'contains', selector, value: this.value() };
    // go-bexpr compiles the pattern when it first evaluates it against a string (see regexOf).
    if (this.isWord(word, 'matches')) return { kind: 'match', op: negate ? 'not matches' : 'matches', selector, value: this.value() };
    return this.fail(word, '"!=", "==", "contains", "is", "matches" or "not"');
  }
}

const MISSING = Symbol('missing');

function resolve(obj: unknown, path: string[], mapFields: Set<string>): unknown {
  let cur: unknown = obj;
  let inMap = false;
  for (let i = 0; i < path.length; i++) {
    const part = path[i]!;
    if (cur === null || cur === undefined) return MISSING;
    if (Array.isArray(cur)) {
      const idx = Number(part);
      if (!Number.isInteger(idx)) {
        throw new FilterEvalError(`error finding value in datum: /${path.join('/')} at part ${i}: can't access slice with non-integer index "${part}"`);
      }
      cur = cur[idx];
      if (cur === undefined) return MISSING;
      inMap = false;
      continue;
    }
    if (typeof cur !== 'object') {
      throw new FilterEvalError(`error finding value in datum: /${path.join('/')} at part ${i}: invalid value kind: ${typeof cur}`);
    }
    const o = cur as Record<string, unknown>;
    if (inMap) {
      if (!Object.prototype.hasOwnProperty.call(o, part)) return MISSING;
      cur = o[part];
      inMap = false;
      continue;
    }
    if (!Object.prototype.hasOwnProperty.call(o, part)) {
      throw new FilterEvalError(`error finding value in datum: /${path.join('/')} at part ${i}: couldn't find struct field with name "${part}"`);
    }
    cur = o[part];
    inMap = mapFields.has(part);
  }
  return cur;
}

function equals(field: unknown, literal: string): boolean {
  if (typeof field === 'string') return field === literal;
  if (typeof field === 'number') return Number(literal) === field;
  if (typeof field === 'boolean') return (literal === 'true') === field && (literal === 'true' || literal === 'false');
  return false;
}

function contains(collection: unknown, literal: string): boolean {
  if (typeof collection === 'string') return collection.includes(literal);
  if (Array.isArray(collection)) return collection.some((x) => equals(x, literal));
  if (collection && typeof collection === 'object') return Object.prototype.hasOwnProperty.call(collection, literal);
  return false;
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined || v === MISSING) return true;
  if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

/** go-bexpr's disposition for an absent map key, per operator. */
const WHEN_MISSING: Record<MatchOp, boolean> = {
  '==': false,
  '!=': true,
  in: false,
  'not in': true,
  contains: false,
  'not contains': true,
  'is empty': true,
  'is not empty': false,
  matches: false,
  'not matches': true,
};

function evaluate(n: Node, obj: unknown, mapFields: Set<string>): boolean {
  switch (n.kind) {
    case 'and':
      return n.terms.every((t) => evaluate(t, obj, mapFields));
    case 'or':
      return n.terms.some((t) => evaluate(t, obj, mapFields));
    case 'not':
      return !evaluate(n.expr, obj, mapFields);
    case 'match': {
      const v = resolve(obj, n.selector, mapFields);
      if (v === MISSING) return WHEN_MISSING[n.op];
      switch (n.op) {
        case '==':
          return equals(v, n.value!);
        case '!=':
          return !equals(v, n.value!);
        case 'is empty':
          return isEmpty(v);
        case 'is not empty':
          return !isEmpty(v);
        case 'in':
        case 'contains':
          return contains(v, n.value!);
        case 'not in':
        case 'not contains':
          return !contains(v, n.value!);
        case 'matches':
          return typeof v === 'string' && regexOf(n).test(v);
        case 'not matches':
          return !(typeof v === 'string' && regexOf(n).test(v));
      }
    }
  }
}

// go-bexpr's doMatchMatches compiles on first use, so a bad pattern is an evaluation error (and
// no error at all when no row reaches it), worded as go-bexpr words it.
function regexOf(n: Node & { kind: 'match' }): GoRegexp {
  if (n.regex) return n.regex;
  try {
    n.regex = compileRegexp(n.value!);
  } catch (err) {
    if (!(err instanceof RegexpSyntaxError)) throw err;
    throw new FilterEvalError(`Failed to compile regular expression ${goQuote(n.value!)}: ${err.message}`);
  }
  return n.regex;
}

/** Go's strconv.Quote (the `%q` verb) for valid UTF-8 text. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (c === 0x20 || (c > 0x20 && c !== 0x7f && PRINTABLE.test(ch))) out += ch;
    else if (ESCAPES[ch]) out += ESCAPES[ch];
    else if (c < 0x80) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

export interface CompiledFilter {
  matches(obj: unknown): boolean;
}

export function compileFilter(expr: string, opts: { mapFields?: Set<string> } = {}): CompiledFilter {
  const ast = new Parser(tokenize(expr)).parse();
  const mapFields = opts.mapFields ?? new Set<string>();
  return { matches: (obj) => evaluate(ast, obj, mapFields) };
}
