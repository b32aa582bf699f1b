// System.ReconcileJobSummaries (StateStore.ReconcileJobSummaries): every ordinary job's summary is
// rebuilt from its allocations in one write. Periodic and parameterized parents keep theirs (they
// have no allocations; their Children counters are all they hold).
import type { Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { emptyGroupSummary } from '../jobs/summary.js';

const BIN: Record<string, string> = {
  failed: 'Failed',
  lost: 'Lost',
  unknown: 'Unknown',
  complete: 'Complete',
  running: 'Running',
  pending: 'Starting',
};

export function reconcileSummaries(store: Store): number {
  return store.write((tx) => {
    for (const [key, job] of store.jobs) {
      if (job.Periodic || (job.ParameterizedJob && !job.Dispatched)) continue;
      const groups: Obj = {};
      for (const tg of job.TaskGroups ?? []) groups[tg.Name] = emptyGroupSummary();
      for (const id of store.allocsByJob.get(jobKey(job.Namespace, job.ID)) ?? []) {
        const alloc = store.allocs.get(id)!;
        // Allocs of an earlier job with the same ID (purged and registered again) do not count.
        if (alloc.Job?.CreateIndex !== job.CreateIndex) continue;
        const bin = BIN[alloc.ClientStatus];
        if (!bin) continue;
        const row = (groups[alloc.TaskGroup] ??= emptyGroupSummary());
        row[bin]++;
      }
      // The rebuilt summary has no Children: Nomad's reconcile leaves that pointer nil.
      store.summaries.set(key, { JobID: job.ID, Namespace: job.Namespace, Summary: groups, Children: null, CreateIndex: job.CreateIndex, ModifyIndex: tx.index });
    }
    tx.touch('job_summary');
    return tx.index;
  });
}
