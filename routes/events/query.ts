// The event stream's query string as Nomad's Go handler reads it: url.ParseQuery's values and
// strconv.Atoi's index, with Go's error texts. The agent and client fs routes read queries the same way.
import { HttpError } from '../http/errors.js';
import { goQuote } from '../../state/format.js';

/** Go's url.ParseQuery: every value of every key; pairs with `;` or bad escapes are dropped. */
export function goQueryValues(url: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const q = url.indexOf('?');
  if (q < 0) return out;
  for (const part of url.slice(q + 1).split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    const key = goUnescape(eq < 0 ? part : part.slice(0, eq));
    const val = goUnescape(eq < 0 ? '' : part.slice(eq + 1));
    if (key === null || val === null) continue;
    const list = out.get(key);
    if (list) list.push(val);
    else out.set(key, [val]);
  }
  return out;
}

function goUnescape(s: string): string | null {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) return null;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '+') {
      bytes.push(0x20);
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_CUTOFF = 1n << 63n;

/**
 * `strconv.Atoi` on a 64-bit platform, returning Nomad's `uint64(index)` (negative values wrap to
 * huge ones, which start the stream at the newest buffered batch). Errors carry Go's text.
 */
export function parseEventIndex(raw: string): number {
  const s0 = raw === '' ? '0' : raw;
  const fail = (why: string): never => {
    throw new HttpError(400, `Unable to parse index: strconv.Atoi: parsing ${goQuote(s0)}: ${why}`);
  };
  let s = s0;
  let neg = false;
  if (s[0] === '+' || s[0] === '-') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '') fail('invalid syntax');
  // ParseUint reports whichever comes first, left to right: a bad digit or an overflow.
  let n = 0n;
  for (const ch of s) {
    if (ch < '0' || ch > '9') fail('invalid syntax');
    n = n * 10n + BigInt(ch.charCodeAt(0) - 48);
    if (n > UINT64_MAX) fail('value out of range');
  }
  if ((!neg && n >= INT64_CUTOFF) || (neg && n > INT64_CUTOFF)) fail('value out of range');
  if (neg && n !== 0n) return Number((1n << 64n) - n);
  return Number(n);
}
