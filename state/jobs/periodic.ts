// Periodic launches (state-semantics §10.2): a child `<parent>/periodic-<unix>` and its eval in one
// write, with the parent's launch row and Children counter; and Job.PeriodicForce's checks.
import type { Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { RpcError } from '../errors.js';
import { newEval } from '../evaluations/table.js';
import { storeJobVersion } from './ops.js';
import { rfc3339 } from '../format.js';

/** The leader tracks a periodic job when it is enabled, not stopped and not an undispatched parameterized parent. */
export const isTrackedPeriodic = (job: Obj): boolean =>
  Boolean(job.Periodic?.Enabled) && !job.Stop && !(job.ParameterizedJob && !job.Dispatched);

export interface PeriodicForceReply {
  EvalID: string;
  EvalCreateIndex: number;
  Index: number;
}

export function launchPeriodicChild(store: Store, parent: Job, launchNs: number): PeriodicForceReply {
  const id = `${parent.ID}/periodic-${Math.floor(launchNs / 1e9)}`;
  const child: Job = { ...parent, ID: id, Name: id, ParentID: parent.ID, Periodic: null, VersionTag: null };
  return store.write((tx) => {
    const { eval: ev } = storeJobVersion(store, tx, child, {
      evalFor: (stored) => newEval(store, stored, { triggeredBy: 'periodic-job', priority: parent.Priority, jobModifyIndex: tx.index }),
    });
    const key = jobKey(parent.Namespace, parent.ID);
    const prev = store.periodicLaunches.get(key);
    store.periodicLaunches.set(key, { ID: parent.ID, Namespace: parent.Namespace, Launch: rfc3339(launchNs), CreateIndex: prev?.CreateIndex ?? tx.index, ModifyIndex: tx.index });
    tx.touch('periodic_launch');
    return { EvalID: ev?.ID ?? '', EvalCreateIndex: ev ? tx.index : 0, Index: tx.index };
  });
}

export function forcePeriodic(store: Store, namespace: string, jobId: string): PeriodicForceReply {
  const job = store.jobs.get(jobKey(namespace, jobId));
  if (!job) throw new RpcError('job not found');
  if (!job.Periodic) throw new RpcError("can't force launch non-periodic job");
  if (!isTrackedPeriodic(job)) {
    throw new RpcError(`force launch for job "${jobId}" failed: can't force run non-tracked job "${jobId}" (${namespace})`);
  }
  return launchPeriodicChild(store, job, store.nowNs());
}
