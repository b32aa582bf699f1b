// The deployment a scheduler pass edits: a working copy made cheaply, and the check whether the pass
// changed it (the copy is written only then).
import type { Obj } from '../../state/types.js';

/**
 * A working copy of a deployment for one pass: the pass edits the deployment's own fields and its
 * groups' fields (arrays in them are replaced, never changed), so the groups are copied and the rest shared.
 */
export function draftOf(dep: Obj): Obj {
  const groups: Obj = {};
  const from = dep.TaskGroups as Obj;
  for (const name of Object.keys(from)) groups[name] = { ...(from[name] as Obj) };
  return { ...dep, TaskGroups: groups };
}

/** Whether two JSON-shaped values would serialize the same (same keys in the same order, same values). */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  return sameKeysAndValues(a as Obj, b as Obj, 0);
}

/** One list of keys per nesting depth, reused by every comparison: the keys of `b` while `a`'s are walked. */
const keysAt: string[][] = [];

function sameKeysAndValues(a: Obj, b: Obj, depth: number): boolean {
  const kb = (keysAt[depth] ??= []);
  let n = 0;
  for (const k in b) if (Object.hasOwn(b, k)) kb[n++] = k;
  let i = 0;
  let same = true;
  for (const k in a) {
    if (!Object.hasOwn(a, k)) continue;
    if (i >= n || k !== kb[i] || !sameAt(a[k], b[k], depth + 1)) {
      same = false;
      break;
    }
    i++;
  }
  kb.length = 0;
  return same && i === n;
}

/** sameData for a value nested `depth` objects deep. */
function sameAt(a: unknown, b: unknown, depth: number): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameAt(a[i], b[i], depth)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  return sameKeysAndValues(a as Obj, b as Obj, depth);
}
