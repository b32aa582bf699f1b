// Go's time.ParseDuration and strconv.ParseBool/ParseUint, because Nomad's query parsing accepts
// exactly what they accept (a bare "10" is not a duration, "TRUE" is a bool, "-1" is not an index).
import { parseGoDuration as goDurationNs } from './hcl/duration.js';

/** Nanoseconds, or null where Go would return an error. */
export function parseGoDuration(input: string): number | null {
  try {
    return goDurationNs(input);
  } catch {
    return null;
  }
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
