// Allocation writes requested over the API: stop (Alloc.Stop marks the alloc for migration and
// creates an alloc-stop eval in one write).
import type { Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { RpcError } from '../errors.js';
import { newEval, putEval } from '../evaluations/table.js';
import { putAlloc } from './table.js';

export function stopAlloc(store: Store, allocId: string): { EvalID: string; Index: number } {
  const alloc = store.allocs.get(allocId);
  if (!alloc) throw new RpcError(`Unknown allocation ${JSON.stringify(allocId)}`, 404);
  const job = store.jobs.get(jobKey(alloc.Namespace, alloc.JobID)) ?? (alloc.Job as Obj);
  return store.write((tx) => {
    tx.eventType = 'AllocationUpdateDesiredStatus';
    putAlloc(store, tx, { ...alloc, DesiredTransition: { ...alloc.DesiredTransition, Migrate: true } });
    const ev = putEval(store, tx, newEval(store, job as never, { triggeredBy: 'alloc-stop', jobModifyIndex: (alloc.Job as Obj).ModifyIndex }));
    return { EvalID: ev.ID, Index: tx.index };
  });
}
