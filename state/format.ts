// Go's renderings of times and durations, as they appear in task events and RFC 3339 fields.

/** time.Time in RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano); zero → null. */
export function rfc3339(ns: number | null | undefined): string | null {
  if (!ns) return null;
  // Past 2^53 a float64 holds a time in ns only to a few hundred ns (today's times are ~1.8e18), so
  // the digits below the microsecond are the rounding of the ms → ns product, not time: a start at
  // .338 s would read .337999872. Such times are rendered to the microsecond, as the clock made them.
  const ms = msOfNs(ns);
  const subMs = ns > Number.MAX_SAFE_INTEGER ? (Math.round(ns / 1e3) - ms * 1e3) * 1e3 : Math.round(ns - ms * 1e6);
  const frac = fraction(subMs + (ms % 1000) * 1e6);
  const iso = isoSeconds(ms);
  // join() makes one flat string; a template would keep a rope of its parts (and the whole ISO
  // string behind the slice) alive in every record that stores the time.
  return frac ? [iso, '.', frac, 'Z'].join('') : [iso, 'Z'].join('');
}

/**
 * The nanoseconds past the second as nine digits without trailing zeros ('' for none). The zeros
 * are taken off the number, not by a regular expression on its text: every stored time comes here.
 */
function fraction(n: number): string {
  if (!(n >= 0 && Number.isSafeInteger(n))) return String(n).padStart(9, '0').replace(/0+$/, '');
  if (n === 0) return '';
  let width = 9;
  while (n % 10 === 0) {
    n /= 10;
    width--;
  }
  const digits = String(n);
  return digits.length >= width ? digits : digits.padStart(width, '0');
}

/**
 * The millisecond a time in ns falls in, as rfc3339 renders it. `Math.floor(ns / 1e6)` (or
 * `new Date(ns / 1e6)`) reads 1 ms early for 1 ms value in 8: today's times in ns are past 2^53, and
 * the float64 product ms × 1e6 can land up to 128 ns below the exact one.
 */
export function msOfNs(ns: number): number {
  return ns > Number.MAX_SAFE_INTEGER ? Math.floor(Math.round(ns / 1e3) / 1e3) : Math.floor(ns / 1e6);
}

/**
 * The ISO form of a time's whole second (`2026-01-01T00:00:00`). Times rendered together mostly fall
 * in a few seconds (a batch of client updates renders now, and each health report also a progress
 * deadline ten minutes on), so the last few are kept, one slot per second modulo ISO_SLOTS: a pure
 * memo, nothing a reset must clear. A single slot thrashed between those two seconds.
 */
const ISO_SLOTS = 16;
const isoSecond: number[] = new Array<number>(ISO_SLOTS).fill(Number.NaN);
const isoText: string[] = new Array<string>(ISO_SLOTS).fill('');
function isoSeconds(ms: number): string {
  const second = Math.floor(ms / 1000);
  const slot = ((second % ISO_SLOTS) + ISO_SLOTS) % ISO_SLOTS;
  if (isoSecond[slot] !== second) {
    isoText[slot] = new Date(second * 1000).toISOString().slice(0, 19);
    isoSecond[slot] = second;
  }
  return isoText[slot]!;
}

/** time.Duration.String(): 5s, 1m30s, 24h0m0s, 150ms. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  let s = ns / 1e9;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const sec = `${trim(s)}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** Go's `%v` of a float64 (strconv 'g', shortest): exponent form below 1e-4 and from 1e+06 on. */
function goFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const [mantissa, e] = x.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(x);
}

/**
 * Go's `%v` of a value decoded from JSON into `interface{}` (nil, bool, float64, string,
 * []interface{}, map[string]interface{} with sorted keys), for error texts that print one.
 */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (typeof v === 'number') return goFloat(v);
  if (typeof v === 'string' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goValue(o[k])}`).join(' ')}]`;
  }
  return String(v);
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
