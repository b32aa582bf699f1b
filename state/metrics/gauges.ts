// The gauges Nomad's leader publishes every collection interval that nomad-mock can compute from
// its state (nomad/leader.go publishJobSummaryMetrics, publishJobStatusMetrics; the eval broker's
// and blocked evals' stats): one row per job and group in the store, nothing that grows otherwise.
import type { Store } from '../store.js';

export interface Gauge {
  Name: string;
  Value: number;
  Labels: Record<string, string>;
}

const SUMMARY_FIELDS: [string, string][] = [
  ['queued', 'Queued'],
  ['complete', 'Complete'],
  ['failed', 'Failed'],
  ['running', 'Running'],
  ['starting', 'Starting'],
  ['lost', 'Lost'],
  ['unknown', 'Unknown'],
];

/** Job summary labels: job, task_group, namespace, and the parent of dispatched/periodic children. */
function summaryLabels(jobId: string, group: string, namespace: string): Record<string, string> {
  const labels: Record<string, string> = { job: jobId, task_group: group, namespace };
  const d = jobId.indexOf('/dispatch-');
  if (d >= 0) {
    labels.parent_id = jobId.slice(0, d);
    labels.dispatch_id = jobId.slice(d + '/dispatch-'.length);
  }
  const p = jobId.indexOf('/periodic-');
  if (p >= 0) {
    labels.parent_id = jobId.slice(0, p);
    labels.periodic_id = jobId.slice(p + '/periodic-'.length);
  }
  return labels;
}

export function stateGauges(store: Store, nowNs: number): Gauge[] {
  const out: Gauge[] = [];
  for (const s of store.summaries.values()) {
    for (const [group, row] of Object.entries((s.Summary ?? {}) as Record<string, Record<string, number>>)) {
      const labels = summaryLabels(String(s.JobID), group, String(s.Namespace));
      for (const [suffix, field] of SUMMARY_FIELDS) out.push({ Name: `nomad.nomad.job_summary.${suffix}`, Value: Number(row[field] ?? 0), Labels: labels });
    }
  }
  const status = { pending: 0, running: 0, dead: 0 };
  for (const j of store.jobs.values()) if (j.Status in status) status[j.Status as keyof typeof status]++;
  for (const [k, v] of Object.entries(status)) out.push({ Name: `nomad.nomad.job_status.${k}`, Value: v, Labels: {} });

  let ready = 0;
  let waiting = 0;
  let blocked = 0;
  let escaped = 0;
  for (const e of store.evals.values()) {
    if (e.Status === 'pending') {
      if (e.WaitUntil && Date.parse(String(e.WaitUntil)) * 1e6 > nowNs) waiting++;
      else ready++;
    } else if (e.Status === 'blocked') {
      blocked++;
      if (e.EscapedComputedClass) escaped++;
    }
  }
  out.push(
    { Name: 'nomad.nomad.broker.total_ready', Value: ready, Labels: {} },
    { Name: 'nomad.nomad.broker.total_unacked', Value: 0, Labels: {} },
    { Name: 'nomad.nomad.broker.total_pending', Value: 0, Labels: {} },
    { Name: 'nomad.nomad.broker.total_waiting', Value: waiting, Labels: {} },
    { Name: 'nomad.nomad.broker.total_cancelable', Value: 0, Labels: {} },
    { Name: 'nomad.nomad.blocked_evals.total_blocked', Value: blocked, Labels: {} },
    { Name: 'nomad.nomad.blocked_evals.total_escaped', Value: escaped, Labels: {} },
    { Name: 'nomad.nomad.blocked_evals.total_quota_limit', Value: 0, Labels: {} },
    { Name: 'nomad.nomad.plan.queue_depth', Value: 0, Labels: {} },
  );
  return out;
}
