// Go's time.ParseDuration and strconv.ParseBool/ParseUint, because Nomad's query parsing accepts
// exactly what they accept (a bare "10" is not a duration, "TRUE" is a bool, "-1" is not an index).

const UNIT_NS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Nanoseconds, or null where Go would return an error. */
export function parseGoDuration(input: string): number | null {
  let s = input;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return null;
  let total = 0;
  while (s !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const whole = m[1] ?? '';
    const frac = m[2];
    if (whole === '' && (frac === undefined || frac === '')) return null;
    s = s.slice(m[0].length);
    const u = /^[^0-9.]+/.exec(s);
    if (!u) return null;
    const factor = UNIT_NS[u[0]];
    if (factor === undefined) return null;
    s = s.slice(u[0].length);
    total += Number(`${whole || '0'}.${frac || '0'}`) * factor;
  }
  return sign * Math.trunc(total);
}

export function parseGoBool(s: string): boolean | null {
  switch (s) {
    case '1': case 't': case 'T': case 'TRUE': case 'true': case 'True':
      return true;
    case '0': case 'f': case 'F': case 'FALSE': case 'false': case 'False':
      return false;
    default:
      return null;
  }
}

const UINT64_MAX = 18446744073709551615n;

export function parseGoUint(s: string): number | null {
  if (!/^[0-9]+$/.test(s)) return null;
  const n = BigInt(s);
  return n > UINT64_MAX ? null : Number(n);
}

export function parseGoInt(s: string, bits = 64): number | null {
  if (!/^[+-]?[0-9]+$/.test(s)) return null;
  const n = BigInt(s);
  const max = (1n << BigInt(bits - 1)) - 1n;
  return n > max || n < -max - 1n ? null : Number(n);
}
