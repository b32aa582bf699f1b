// V8 doubles its young generation (up to 2 × 16 MB on 64-bit Node 20) whenever more bytes have
// survived scavenges since the last doubling than it holds, and gives it back only at a GC run at a
// low allocation rate, which an idle server never makes. A burst of parked readers is exactly that:
// each reader's socket, parser, request and response survive their first scavenges because they
// wait, so thousands of them grow the young generation to its maximum on their way to the old
// space, where they end up anyway; the doubling buys nothing for them, and the server keeps the
// 30 MB resident afterwards (about 2.5 KB of the ~12 KB per reader of issue 16's fan-out figure).
// While many readers are parked the growth factor is 1: the young generation stays the size it
// was, the readers are promoted as they would be, and the factor is V8's default again once they
// have gone, so a server answering requests grows it as before (a small young generation costs a
// steady stream of short requests more scavenges: about 6–15% more CPU per GET, measured).
//
// The factor is read by V8 at each growth, so it can change while the process runs; V8's flag
// hash (which code caches are checked against) is back to its start value once the default is
// restored, and the bundle's code caches are checked at load, before any reader parks.
import { setFlagsFromString } from 'node:v8';

/** Parked readers from which the young generation stops growing (about half its starting 1 MB). */
const HOLD_AT = 64;
/** ... and below which it may grow again. */
const RELEASE_AT = 16;

/** A factor the process was started with is left as it is. */
const userFactor = [...process.execArgv, process.env['NODE_OPTIONS'] ?? ''].some((a) => /semi[-_]space[-_]growth[-_]factor/.test(a));

let parked = 0;
let holding = false;

export function readerParked(): void {
  if (++parked >= HOLD_AT && !holding && !userFactor) {
    holding = true;
    setFlagsFromString('--semi-space-growth-factor=1');
  }
}

export function readerSettled(): void {
  if (--parked < RELEASE_AT && holding) {
    holding = false;
    setFlagsFromString('--semi-space-growth-factor=2');
  }
}

/** Whether the young generation is held at its size now (tests: the hold ends with the crowd). */
export function youngGenerationHeld(): boolean {
  return holding;
}
