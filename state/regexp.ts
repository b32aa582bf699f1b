// Every regular expression a client supplies (filter `matches`, HCL regex_replace, constraint
// `regexp`, fault path patterns) goes through here. Nomad runs Go's regexp, an RE2: matching is
// linear in the input, and its syntax has no backreferences or lookaround. JavaScript's RegExp
// backtracks (`^(a+)+$` on 30 `a`s and a `!` blocks the event loop for minutes), so this wraps
// re2js, a port of RE2/Go's regexp that parses the same syntax and rejects what Go rejects with
// Go's error text ("error parsing regexp: invalid or unsupported Perl syntax: `(?=`").
import { createRequire } from 'node:module';
import type { Matcher, RE2JS } from 're2js';

// re2js is a quarter of a megabyte of JavaScript that most runs use late or never: it is loaded at
// the first pattern (its CommonJS build, so compileRegexp stays synchronous), not at start.
let re2js: typeof import('re2js') | null = null;
const engine = (): typeof import('re2js') => (re2js ??= createRequire(import.meta.url)('re2js') as typeof import('re2js'));

/** A pattern Go's regexp.Compile rejects; the message is Go's `err.Error()`. */
export class RegexpSyntaxError extends Error {}

export interface GoRegexp {
  readonly source: string;
  /** regexp.MatchString: an unanchored search. */
  test(s: string): boolean;
  /** regexp.ReplaceAllString: `$1`, `${1}`, `$name`, `${name}` and `$$` expand as in Go. */
  replaceAll(s: string, template: string): string;
}

// The same pattern is often used for every row of a listing or every node of a placement pass;
// compiled programs (and rejections) are kept in a small LRU so each is parsed once. A program costs
// about 70 bytes per instruction and Go allows 1.4 million of them, so the cache is bounded by
// instructions as well as entries, and very large programs are not kept at all.
const CACHE_ENTRIES = 256;
const CACHE_INSTRUCTIONS = 500_000;
const CACHE_MAX_PROGRAM = 50_000;
const CACHE_MAX_PATTERN = 16 * 1024;
const cache = new Map<string, { re: Compiled | RegexpSyntaxError; size: number }>();
let cachedInstructions = 0;

/** regexp.Compile: the compiled pattern, or a RegexpSyntaxError with Go's message. */
export function compileRegexp(pattern: string): GoRegexp {
  const hit = cache.get(pattern);
  if (hit !== undefined) {
    cache.delete(pattern);
    cache.set(pattern, hit);
    if (hit.re instanceof RegexpSyntaxError) throw hit.re;
    return hit.re;
  }
  let result: Compiled | RegexpSyntaxError;
  const { RE2JS, RE2JSSyntaxException } = engine();
  try {
    result = new Compiled(pattern, RE2JS.compile(pattern));
  } catch (err) {
    if (!(err instanceof RE2JSSyntaxException)) throw err;
    result = new RegexpSyntaxError(err.message);
  }
  const size = result instanceof Compiled ? result.programSize : 1;
  if (pattern.length <= CACHE_MAX_PATTERN && size <= CACHE_MAX_PROGRAM) {
    cache.set(pattern, { re: result, size });
    cachedInstructions += size;
    while (cache.size > CACHE_ENTRIES || cachedInstructions > CACHE_INSTRUCTIONS) {
      const [oldest, entry] = cache.entries().next().value!;
      cache.delete(oldest);
      cachedInstructions -= entry.size;
    }
  }
  if (result instanceof RegexpSyntaxError) throw result;
  return result;
}

/** regexp.QuoteMeta: `s` as a pattern that matches it literally. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** What the compile cache holds (bounded by CACHE_ENTRIES and CACHE_INSTRUCTIONS). */
export function regexpCacheSize(): { entries: number; instructions: number } {
  return { entries: cache.size, instructions: cachedInstructions };
}

class Compiled implements GoRegexp {
  private names: Record<string, number> | null = null;
  readonly programSize: number;

  constructor(
    readonly source: string,
    private readonly re: RE2JS,
  ) {
    this.programSize = re.programSize();
  }

  test(s: string): boolean {
    return this.re.test(s);
  }

  // Go's Regexp.replaceAll: an empty match right after the previous match is not replaced, and the
  // search always advances by at least one character (JavaScript's replace differs on both).
  replaceAll(src: string, template: string): string {
    const m = this.re.matcher(src);
    let out = '';
    let lastMatchEnd = 0;
    let searchPos = 0;
    while (searchPos <= src.length && m.find(searchPos)) {
      const start = m.start();
      const end = m.end();
      out += src.slice(lastMatchEnd, start);
      if (end > lastMatchEnd || start === 0) out += this.expand(template, m);
      lastMatchEnd = end;
      const width = searchPos < src.length ? (src.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
      if (searchPos + width > end) searchPos += width;
      else if (searchPos + 1 > end) searchPos++;
      else searchPos = end;
    }
    return out + src.slice(lastMatchEnd);
  }

  // Go's Regexp.expand: `$` then a name of letters, digits and `_` (braces optional); a name of
  // digits without a leading zero is a group number; `$$` is a `$`; anything else keeps the `$`.
  private expand(template: string, m: Matcher): string {
    let out = '';
    let i = 0;
    while (i < template.length) {
      const dollar = template.indexOf('$', i);
      if (dollar < 0) break;
      out += template.slice(i, dollar);
      i = dollar + 1;
      if (template[i] === '$') {
        out += '$';
        i++;
        continue;
      }
      const ref = extractRef(template, i);
      if (!ref) {
        out += '$';
        continue;
      }
      i = ref.next;
      const group = /^[1-9][0-9]{0,8}$|^0$/.test(ref.name) ? Number(ref.name) : this.groupNamed(ref.name);
      if (group !== undefined && group <= m.groupCount()) out += m.group(group) ?? '';
    }
    return out + template.slice(i);
  }

  private groupNamed(name: string): number | undefined {
    this.names ??= this.re.namedGroups();
    return Object.prototype.hasOwnProperty.call(this.names, name) ? this.names[name] : undefined;
  }
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

function extractRef(t: string, at: number): { name: string; next: number } | null {
  const brace = t[at] === '{';
  let i = brace ? at + 1 : at;
  const begin = i;
  while (i < t.length) {
    const ch = String.fromCodePoint(t.codePointAt(i)!);
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === begin) return null;
  const name = t.slice(begin, i);
  if (brace) {
    if (t[i] !== '}') return null;
    i++;
  }
  return { name, next: i };
}
