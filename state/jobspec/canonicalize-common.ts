// What every level of canonicalization shares: Go duration units, nil/empty folding, constraints,
// affinities and spreads, and the frozen default objects stored jobs share.
import type { Obj } from '../types.js';

export const S = 1e9;
export const MIN = 60 * S;
export const H = 60 * MIN;

export const nz = <T>(v: T | null | undefined, d: T): T => (v === null || v === undefined ? d : v);
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const list = <T>(v: T[] | null | undefined): T[] | null => (v && v.length > 0 ? v : null);
export const map = <T extends object>(v: T | null | undefined): T | null => (v && Object.keys(v).length > 0 ? v : null);

function constraint(c: Obj): Obj {
  return { LTarget: str(c.LTarget), RTarget: str(c.RTarget), Operand: c.Operand || '=' };
}
function affinity(a: Obj): Obj {
  return { LTarget: str(a.LTarget), RTarget: str(a.RTarget), Operand: a.Operand || '=', Weight: nz(a.Weight, 50) };
}
function spread(s: Obj): Obj {
  return {
    Attribute: str(s.Attribute),
    Weight: nz(s.Weight, 50),
    SpreadTarget: list(((s.SpreadTarget as Obj[] | null) ?? []).map((t) => ({ Value: str(t.Value), Percent: nz(t.Percent, 0) }))),
  };
}
// An absent or empty list is null at once: `(v ?? []).map(…)` built two empty arrays for it, three
// times over on every job.
export const constraints = (v: Obj[] | null | undefined): Obj[] | null => (v && v.length > 0 ? v.map(constraint) : null);
export const affinities = (v: Obj[] | null | undefined): Obj[] | null => (v && v.length > 0 ? v.map(affinity) : null);
export const spreads = (v: Obj[] | null | undefined): Obj[] | null => (v && v.length > 0 ? v.map(spread) : null);

// Blocks a job leaves out get Nomad's defaults as one frozen object shared by every job: stored jobs
// are never mutated, and sharing keeps a typical job's stored size (and the collector's work) small.
export const frozen = <T extends object>(o: T): Readonly<T> => Object.freeze(o);
