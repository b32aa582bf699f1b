// The deployment a scheduler pass edits: a working copy made cheaply, and the check whether the pass
// changed it (the copy is written only then).
import type { Obj } from '../../state/types.js';

/**
 * A working copy of a deployment for one pass: the pass edits the deployment's own fields and its
 * groups' fields (arrays in them are replaced, never changed), so the groups are copied and the rest shared.
 */
export function draftOf(dep: Obj): Obj {
  const groups: Obj = {};
  for (const [name, st] of Object.entries(dep.TaskGroups as Obj)) groups[name] = { ...(st as Obj) };
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
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i] || !sameData((a as Obj)[ka[i]!], (b as Obj)[kb[i]!])) return false;
  }
  return true;
}
