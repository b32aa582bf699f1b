// Evaluation records and the per-job index over them.
import type { Evaluation, Job } from '../types.js';
import { jobKey, type Store, type Txn } from '../store.js';
import { copyEval, shareEvalParts } from '../records.js';
import { IdSet, rowsOf } from '../id-set.js';

export interface NewEvalOptions {
  triggeredBy: string;
  priority?: number;
  type?: string;
  jobModifyIndex: number;
  status?: string;
  statusDescription?: string;
  /** The write's one reading of the clock (Job.Register stamps the job's SubmitTime and its eval with one `now`). */
  now?: number;
}

/** A fresh eval in Nomad's field order; zero values are dropped on the wire (omitempty). */
export function newEval(store: Store, job: Job, opts: NewEvalOptions): Evaluation {
  const now = opts.now ?? store.nowNs();
  return {
    ID: store.newId(),
    Namespace: job.Namespace,
    Priority: opts.priority ?? job.Priority,
    Type: opts.type ?? job.Type,
    TriggeredBy: opts.triggeredBy,
    JobID: job.ID,
    JobModifyIndex: opts.jobModifyIndex,
    NodeID: '',
    NodeModifyIndex: 0,
    DeploymentID: '',
    Status: opts.status ?? 'pending',
    StatusDescription: opts.statusDescription ?? '',
    Wait: 0,
    WaitUntil: null,
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    RelatedEvals: null,
    FailedTGAllocs: null,
    PlanAnnotations: null,
    ClassEligibility: null,
    QuotaLimitReached: '',
    MissingNonNodeResources: null,
    EscapedComputedClass: false,
    AnnotatePlan: false,
    QueuedAllocations: null,
    LeaderACL: '',
    SnapshotIndex: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    CreateTime: now,
    ModifyTime: now,
  };
}

export function isTerminalEval(e: Evaluation): boolean {
  return e.Status === 'complete' || e.Status === 'failed' || e.Status === 'canceled';
}

/** Inserts or replaces an eval at the transaction's index; `patch` changes fields of the copy stored. */
export function putEval(store: Store, tx: Txn, ev: Evaluation, patch?: Partial<Evaluation>): Evaluation {
  // A stored eval (or a copy of one) carries its CreateIndex; a new one from newEval has 0. Telling
  // them apart this way spares two lookups in the largest maps on every scheduler write.
  const isNew = !(ev.CreateIndex > 0);
  const stored = copyEval(ev, patch);
  stored.CreateIndex = isNew ? tx.index : ev.CreateIndex;
  return storeEval(store, tx, stored, isNew);
}

/**
 * Stores an eval fresh from newEval that nothing else holds (the one a job write creates) as it
 * is: newEval builds it in copyEval's field order, so a copy would only cost time.
 */
export function putNewEval(store: Store, tx: Txn, ev: Evaluation): Evaluation {
  ev.CreateIndex = tx.index;
  return storeEval(store, tx, ev, true);
}

function storeEval(store: Store, tx: Txn, stored: Evaluation, isNew: boolean): Evaluation {
  stored.ModifyIndex = tx.index;
  shareEvalParts(stored);
  store.evals.set(stored.ID, stored);
  if (isNew) {
    const key = jobKey(stored.Namespace, stored.JobID);
    let ids = store.evalsByJob.get(key);
    if (!ids) store.evalsByJob.set(key, (ids = new IdSet()));
    ids.add(stored.ID);
  }
  tx.touch('evals');
  tx.emit('Evaluation', stored.ID, stored.Namespace, [stored.JobID, stored.DeploymentID], { Evaluation: stored });
  return stored;
}

export function evalsOfJob(store: Store, namespace: string, jobId: string): Evaluation[] {
  return rowsOf(store.evalsByJob.get(jobKey(namespace, jobId)), store.evals);
}
