// Where a nanosecond instant falls on the clock's millisecond timeline (Clock.atNs): unix nanoseconds
// and milliseconds are both doubles, a few hundred nanoseconds apart at today's times, so an instant
// read in one is found in the other by stepping through neighbouring doubles.

/** Milliseconds → the nanoseconds `nowNs()` reads at them (monotone, not one-to-one). */
const nsAt = (ms: number): number => Math.round(ms * 1e6);

const bits = new Float64Array(1);
const word = new BigInt64Array(bits.buffer);
/** The next double after `x` towards `dir` (±1); NaN and infinities stay as they are. */
function step(x: number, dir: 1 | -1): number {
  if (!Number.isFinite(x)) return x;
  if (x === 0) return dir * Number.MIN_VALUE;
  bits[0] = x;
  // For a finite double the bit pattern, read as an integer, moves away from zero as |x| grows.
  word[0] += (x > 0) === (dir > 0) ? 1n : -1n;
  return bits[0];
}

/**
 * The last millisecond value that reads as the first reachable nanosecond at or after `ns`. Both
 * grids are a few hundred nanoseconds apart at today's times, so this is a few steps from `ns / 1e6`;
 * near the epoch, where doubles crowd, the steps are capped and the answer may be a little early.
 */
export function lastMsOf(ns: number): number {
  let ms = Math.max(0, ns / 1e6);
  if (!Number.isFinite(ms)) return ms;
  const STEPS = 64;
  for (let i = 0; i < STEPS && ms > 0 && nsAt(ms) >= ns && nsAt(step(ms, -1)) >= ns; i++) ms = step(ms, -1);
  for (let i = 0; i < STEPS && nsAt(ms) < ns; i++) ms = step(ms, 1);
  const at = nsAt(ms);
  for (let i = 0; i < STEPS && nsAt(step(ms, 1)) === at; i++) ms = step(ms, 1);
  return ms;
}
