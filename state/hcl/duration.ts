// Go's time.ParseDuration, with its error texts (`time: invalid duration "x"`, `time: missing unit
// in duration "10"`, `time: unknown unit "y" in duration "10y"`): jobspec durations are Go durations.

const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

const quote = (s: string): string => JSON.stringify(s);

/** Nanoseconds of a Go duration string; throws an Error with Go's message. */
export function parseGoDuration(orig: string): number {
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw new Error('time: invalid duration ' + quote(orig));
  let total = 0;
  while (s !== '') {
    if (!(s[0] === '.' || (s[0]! >= '0' && s[0]! <= '9'))) throw new Error('time: invalid duration ' + quote(orig));
    const intM = /^[0-9]*/.exec(s)![0];
    s = s.slice(intM.length);
    let frac = '';
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      frac = /^[0-9]*/.exec(s)![0];
      s = s.slice(frac.length);
      post = frac.length > 0;
    }
    if (intM === '' && !post) throw new Error('time: invalid duration ' + quote(orig));
    let i = 0;
    while (i < s.length && !(s[i] === '.' || (s[i]! >= '0' && s[i]! <= '9'))) i++;
    if (i === 0) throw new Error('time: missing unit in duration ' + quote(orig));
    const u = s.slice(0, i);
    s = s.slice(i);
    const unit = UNITS[u];
    if (unit === undefined) throw new Error('time: unknown unit ' + quote(u) + ' in duration ' + quote(orig));
    const v = intM === '' ? 0 : Number(intM);
    let part = v * unit;
    if (frac !== '') part += Math.trunc(Number('0.' + frac) * unit);
    if (part > 9223372036854775807) throw new Error('time: invalid duration ' + quote(orig));
    total += part;
  }
  return neg ? -total : total;
}
