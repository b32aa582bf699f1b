// Allocs on a node that is down or gone (scheduler/reconciler filterByTainted): a scheduler pass
// sees them as lost, stops them with that client status and replaces them like any lost alloc.
import type { Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import { isClientTerminal } from '../../state/allocations/table.js';
import { rfc3339 } from '../../state/format.js';

export const LOST_DESCRIPTION = 'alloc is lost since its node is down';

/** The `newlyLost` of a pass that found none: shared, never added to. */
const NONE_LOST: ReadonlySet<string> = new Set<string>();

/**
 * The job's allocs as this pass sees them: those the server still wants on a down or deleted node
 * turn lost (Plan.AppendStoppedAlloc records the change in AllocStates), their IDs in `newlyLost`.
 * Mostly none is: then `allocs` itself comes back, and an empty set shared by every such pass.
 */
export function taintedAsLost(store: Store, allocs: Obj[], nowNs: number): { all: Obj[]; newlyLost: ReadonlySet<string> } {
  let newlyLost: Set<string> | null = null;
  let all = allocs;
  for (let i = 0; i < allocs.length; i++) {
    const a = allocs[i]!;
    if (a.DesiredStatus !== 'run' || isClientTerminal(a)) continue;
    const node = store.nodes.get(a.NodeID);
    if (node && node.Status !== 'down') continue;
    (newlyLost ??= new Set()).add(a.ID);
    if (all === allocs) all = allocs.slice();
    all[i] = { ...a, ClientStatus: 'lost', AllocStates: [...((a.AllocStates as Obj[] | null) ?? []), { Field: 'ClientStatus', Value: 'lost', Time: rfc3339(nowNs) }] };
  }
  return { all, newlyLost: newlyLost ?? NONE_LOST };
}

/** Every alloc found lost and not yet in the plan's updates is stopped as lost (system and stopped jobs). */
export function stopLost(update: Obj[], all: Obj[], newlyLost: ReadonlySet<string>): void {
  if (newlyLost.size === 0) return;
  const handled = new Set(update.map((u) => u.ID));
  for (const a of all) {
    if (!newlyLost.has(a.ID) || handled.has(a.ID)) continue;
    update.push({ ...a, DesiredStatus: 'stop', DesiredDescription: LOST_DESCRIPTION });
  }
}
