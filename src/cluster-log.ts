// What the simulated cluster does, told in the log at info as it happens: evaluations placed or
// blocked (and why), allocations started, failed, lost or replaced, deployments ending, periodic
// launches and node changes. It reads the store's committed events, so every writer (simulator,
// API, control plane) is covered without logging code of its own.
import type { Store, StoreEvent } from '../state/store.js';
import type { Obj } from '../state/types.js';
import { logsAt } from './log-tap.js';

export interface InfoLogger {
  level: string;
  /** pino's numeric level, when the logger is pino's. */
  readonly levelVal?: unknown;
  info(obj: object, msg: string): void;
}

/** The placement failure of one task group, in the words of `nomad job status`. */
export function placementFailure(group: string, metric: Obj): string {
  const parts: string[] = [];
  const failed = 1 + (Number(metric.CoalescedFailures) || 0);
  if (Number(metric.NodesEvaluated) === 0 && Number(metric.NodesFiltered) === 0) parts.push('no nodes were eligible for evaluation');
  for (const [k, n] of Object.entries((metric.ClassFiltered as Obj | null) ?? {})) parts.push(`class "${k}": ${n} nodes excluded by filter`);
  for (const [k, n] of Object.entries((metric.ConstraintFiltered as Obj | null) ?? {})) parts.push(`constraint "${k}": ${n} nodes excluded by filter`);
  if (Number(metric.NodesExhausted) > 0) parts.push(`resources exhausted on ${metric.NodesExhausted} nodes`);
  for (const [k, n] of Object.entries((metric.DimensionExhausted as Obj | null) ?? {})) parts.push(`dimension "${k}" exhausted on ${n} nodes`);
  return `task group "${group}" failed to place ${failed} allocation${failed === 1 ? '' : 's'}${parts.length ? `: ${parts.join('; ')}` : ''}`;
}

const short = (id: unknown): string => String(id ?? '').slice(0, 8);

/**
 * Logs the cluster's events from `store` to `log` while the logger is at info or below; returns the
 * unsubscribe. Client statuses seen are kept per alloc to tell a transition from a repeat, and
 * forgotten once the alloc leaves the store.
 */
export function logCluster(store: Store, log: InfoLogger): () => void {
  const seen = new Map<string, string>();
  const prune = (): void => {
    if (seen.size <= 2 * store.allocs.size + 1000) return;
    for (const id of seen.keys()) if (!store.allocs.has(id)) seen.delete(id);
  };
  const onEvent = (e: StoreEvent): void => {
    const p = e.Payload;
    if (e.Topic === 'Evaluation') return evaluation(p.Evaluation as Obj | undefined);
    if (e.Topic === 'Allocation') return allocation(p.Allocation as Obj | undefined);
    if (e.Topic === 'Deployment') return deployment(p.Deployment as Obj | undefined, e.Type);
    if (e.Topic === 'Job' && e.Type === 'JobRegistered') return job(p.Job as Obj | undefined);
    if (e.Topic === 'Node') return node(p.Node as Obj | undefined, e.Type);
  };
  const evaluation = (ev: Obj | undefined): void => {
    if (!ev) return;
    const where = { evalID: ev.ID, job: ev.JobID, namespace: ev.Namespace };
    if (ev.Status === 'complete') {
      const failed = (ev.FailedTGAllocs as Obj | null) ?? {};
      const groups = Object.keys(failed);
      if (groups.length === 0) log.info(where, `eval ${short(ev.ID)} for job "${ev.JobID}" (${ev.TriggeredBy}) complete`);
      else log.info(where, `eval ${short(ev.ID)} for job "${ev.JobID}" could not place everything: ${groups.map((g) => placementFailure(g, failed[g] as Obj)).join('; ')}${ev.BlockedEval ? `; blocked eval ${short(ev.BlockedEval)} waits for capacity` : ''}`);
    } else if (ev.Status === 'blocked') {
      log.info(where, `eval ${short(ev.ID)} for job "${ev.JobID}" blocked until the cluster changes`);
    } else if (ev.Status === 'failed') {
      log.info(where, `eval ${short(ev.ID)} for job "${ev.JobID}" failed: ${ev.StatusDescription}`);
    }
  };
  const allocation = (a: Obj | undefined): void => {
    if (!a || typeof a.ID !== 'string') return;
    const status = String(a.ClientStatus);
    const before = seen.get(a.ID);
    if (before === status) return;
    seen.set(a.ID, status);
    prune();
    const where = { allocID: a.ID, job: a.JobID, namespace: a.Namespace, node: a.NodeName };
    const name = `alloc ${short(a.ID)} (${a.Name})`;
    if (before === undefined && status === 'pending') {
      if (a.PreviousAllocation) log.info(where, `${name} placed on node ${a.NodeName} to replace ${short(a.PreviousAllocation)}`);
      return;
    }
    if (status === 'running') log.info(where, `${name} started on node ${a.NodeName}`);
    else if (status === 'failed') log.info(where, `${name} failed on node ${a.NodeName}`);
    else if (status === 'lost') log.info(where, `${name} lost: ${a.DesiredDescription || 'its node is down'}`);
    else if (status === 'complete' && before === 'running') log.info(where, `${name} complete`);
  };
  const deployment = (d: Obj | undefined, type: string): void => {
    if (!d) return;
    const where = { deploymentID: d.ID, job: d.JobID, namespace: d.Namespace };
    if (type === 'DeploymentPromotion') log.info(where, `deployment ${short(d.ID)} of job "${d.JobID}" promoted`);
    else if (['successful', 'failed', 'cancelled'].includes(String(d.Status))) log.info(where, `deployment ${short(d.ID)} of job "${d.JobID}" ${d.Status}: ${d.StatusDescription}`);
  };
  const job = (j: Obj | undefined): void => {
    if (!j || typeof j.ParentID !== 'string' || j.ParentID === '' || !/\/periodic-\d+$/.test(String(j.ID))) return;
    // A child is registered once, at Version 0; later events for it are status updates.
    if (j.Version === 0 && j.CreateIndex === j.ModifyIndex) log.info({ job: j.ID, namespace: j.Namespace }, `periodic job "${j.ParentID}" launched "${j.ID}"`);
  };
  const node = (n: Obj | undefined, type: string): void => {
    if (!n) return;
    const where = { nodeID: n.ID, node: n.Name };
    if (type === 'NodeRegistration') log.info(where, `node ${n.Name} registered (${n.Status})`);
    else if (type === 'NodeDeregistration') log.info(where, `node ${n.Name} deregistered`);
    else {
      const events = (n.Events as Obj[] | null) ?? [];
      const last = events[events.length - 1];
      log.info(where, `node ${n.Name} ${n.Status}${n.SchedulingEligibility === 'ineligible' ? ', ineligible' : ''}${last?.Message ? `: ${last.Message}` : ''}`);
    }
  };
  const off = [
    store.subscribe((_index, events) => {
      if (!logsAt(log, 'info')) return;
      for (const e of events) onEvent(e);
    }),
    store.onReplace(() => seen.clear()),
  ];
  return () => off.forEach((f) => f());
}

/** What a GC pass deleted, when it deleted anything. */
export function logCollected(log: InfoLogger, r: { jobs: unknown[]; evals: unknown[]; allocs: unknown[]; deployments: unknown[]; nodes: unknown[] }): void {
  const parts = (
    [
      [r.jobs.length, 'job'],
      [r.evals.length, 'evaluation'],
      [r.allocs.length, 'allocation'],
      [r.deployments.length, 'deployment'],
      [r.nodes.length, 'node'],
    ] as const
  )
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`);
  if (parts.length > 0 && logsAt(log, 'info')) log.info({}, `GC deleted ${parts.join(', ')}`);
}
