// Fault injection per route pattern and method, and the "no cluster leader" switch.
import { compileRegexp, quoteMeta, RegexpSyntaxError } from '../../state/regexp.js';

export interface FaultSpec {
  /** HTTP method, or `*` (default) for any. */
  Method?: string;
  /** Path pattern: `*` matches within a segment, `**` across segments; or `/regex/`. */
  Path: string;
  /** Answer with this status and body instead of the route (omit to only delay or cut). */
  Status?: number;
  Body?: string;
  /** 0–1, default 1. */
  Probability?: number;
  /** Wall-clock delay before the request is handled. */
  LatencyMs?: number;
  /** `reset` destroys the socket; `empty` closes it without any response. */
  Connection?: 'reset' | 'empty';
  /** Apply this many times, then the fault removes itself (default: unlimited). */
  Times?: number;
}

export interface Fault extends FaultSpec {
  ID: string;
  Hits: number;
}

// Both forms compile to one RE2 program (linear time, Go's syntax for `/regex/`); a glob is built
// piece by piece, so no character of the pattern has a special meaning beyond `*` and `**`.
function pathMatcher(pattern: string): (path: string) => boolean {
  if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/') && !pattern.startsWith('//')) {
    const re = compileRegexp(pattern.slice(1, -1));
    return (p) => re.test(p);
  }
  const pieces = pattern.split(/(\*\*|\*)/).map((piece) => (piece === '**' ? '.*' : piece === '*' ? '[^/]*' : quoteMeta(piece)));
  const re = compileRegexp(`(?s)^${pieces.join('')}$`);
  return (p) => re.test(p);
}

const CONTROL_CHAR = /\p{Cc}/u;

export class FaultError extends Error {}

export class Faults {
  private faults: (Fault & { matches: (p: string) => boolean })[] = [];
  private seq = 0;
  /** False answers every API request with Nomad's 500 `No cluster leader`. */
  leader = true;

  constructor(private readonly random: () => number) {}

  add(spec: FaultSpec): Fault {
    if (typeof spec.Path !== 'string' || spec.Path === '') throw new FaultError('Path is required');
    if (CONTROL_CHAR.test(spec.Path)) throw new FaultError('Path must not contain control characters');
    if (spec.Status === undefined && spec.LatencyMs === undefined && spec.Connection === undefined) {
      throw new FaultError('a fault needs Status, LatencyMs or Connection');
    }
    if (spec.Status !== undefined && (!Number.isInteger(spec.Status) || spec.Status < 100 || spec.Status > 599)) {
      throw new FaultError('Status must be an HTTP status code (100–599)');
    }
    if (spec.Probability !== undefined && !(spec.Probability >= 0 && spec.Probability <= 1)) throw new FaultError('Probability must be between 0 and 1');
    if (spec.LatencyMs !== undefined && !(spec.LatencyMs >= 0)) throw new FaultError('LatencyMs must not be negative');
    if (spec.Connection !== undefined && spec.Connection !== 'reset' && spec.Connection !== 'empty') throw new FaultError('Connection must be "reset" or "empty"');
    if (spec.Times !== undefined && !(Number.isInteger(spec.Times) && spec.Times > 0)) throw new FaultError('Times must be a positive integer');
    let matches: (p: string) => boolean;
    try {
      matches = pathMatcher(spec.Path);
    } catch (err) {
      if (!(err instanceof RegexpSyntaxError)) throw err;
      throw new FaultError(`invalid Path pattern: ${err.message}`);
    }
    const fault = { ...spec, Method: (spec.Method ?? '*').toUpperCase(), ID: String(++this.seq), Hits: 0, matches };
    this.faults.push(fault);
    return this.view(fault);
  }

  /** True when no fault is armed and a leader is known: the request hook has nothing to do. */
  idle(): boolean {
    return this.leader && this.faults.length === 0;
  }

  list(): Fault[] {
    return this.faults.map((f) => this.view(f));
  }

  remove(id: string): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.ID !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
  }

  /** As at start-up (reset): no faults, IDs from 1 again, a known leader. */
  restart(): void {
    this.faults = [];
    this.seq = 0;
    this.leader = true;
  }

  /** The fault to apply to this request, if one matches and its dice roll says so. */
  pick(method: string, path: string): Fault | null {
    for (const f of this.faults) {
      if (f.Method !== '*' && f.Method !== method) continue;
      if (!f.matches(path)) continue;
      if (f.Probability !== undefined && f.Probability < 1 && this.random() >= f.Probability) continue;
      f.Hits++;
      if (f.Times !== undefined && f.Hits >= f.Times) this.remove(f.ID);
      return this.view(f);
    }
    return null;
  }

  private view(f: Fault): Fault {
    const { matches: _m, ...rest } = f as Fault & { matches?: unknown };
    return { ...rest };
  }
}
