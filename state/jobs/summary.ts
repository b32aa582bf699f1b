// Job summaries (state-semantics §6): per-group counters plus the Children counters of parents.
import type { Job, Obj } from '../types.js';
import type { Store, Txn } from '../store.js';
import { shareSummaryParts, summaryWithGroups } from '../records.js';

export const emptyGroupSummary = (): Obj => ({
  Queued: 0,
  Complete: 0,
  Failed: 0,
  Running: 0,
  Starting: 0,
  Lost: 0,
  Unknown: 0,
});

// Built by a call, not nested in the row's literal: a constant literal inside another makes V8
// copy the pair from a boilerplate through its runtime, on every new job.
const noChildren = (): Obj => ({ Pending: 0, Running: 0, Dead: 0 });

export function touchSummary(store: Store, tx: Txn, key: string, summary: Obj): void {
  storeSummary(store, tx, key, { ...summary, ModifyIndex: tx.index });
}

/**
 * Stores `summary` with new group counters at this index: one copy of the row, where a caller's
 * `{ ...summary, Summary }` handed to touchSummary made two on every alloc status change.
 */
export function touchSummaryGroups(store: Store, tx: Txn, key: string, summary: Obj, groups: Obj): void {
  storeSummary(store, tx, key, summaryWithGroups(summary, groups, tx.index));
}

/** As touchSummaryGroups, for a parent's Children counters. */
export function touchSummaryChildren(store: Store, tx: Txn, key: string, summary: Obj, children: Obj): void {
  storeSummary(store, tx, key, { ...summary, Children: children, ModifyIndex: tx.index });
}

/** Stores `row`, which is this write's own (built here, held by nothing else). */
function storeSummary(store: Store, tx: Txn, key: string, row: Obj): void {
  // Summaries of jobs from one spec mostly hold equal counters: those are shared (state/share.ts).
  shareSummaryParts(row);
  store.summaries.set(key, row);
  tx.touch('job_summary');
}

/** Creates the summary of a new job, or adds zero rows for groups a new version introduces. */
export function ensureSummary(store: Store, tx: Txn, key: string, job: Job): void {
  const existing = store.summaries.get(key);
  if (!existing) {
    const groups: Obj = {};
    // Indexed: a pooled group list is a frozen array, whose iteration allocates an iterator.
    const tgs = job.TaskGroups ?? [];
    for (let i = 0; i < tgs.length; i++) groups[tgs[i]!.Name] = emptyGroupSummary();
    storeSummary(store, tx, key, {
      JobID: job.ID,
      Namespace: job.Namespace,
      Summary: groups,
      Children: noChildren(),
      CreateIndex: job.CreateIndex,
      ModifyIndex: tx.index,
    });
    return;
  }
  const missing = (job.TaskGroups ?? []).filter((tg) => !(tg.Name in existing.Summary));
  if (missing.length === 0) return;
  const groups: Obj = { ...existing.Summary };
  for (const tg of missing) groups[tg.Name] = emptyGroupSummary();
  touchSummaryGroups(store, tx, key, existing, groups);
}
