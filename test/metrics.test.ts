// /v1/metrics (metrics.mdx): go-metrics' JSON summary and the Prometheus text format, with the
// gauges nomad-mock computes from its state and the timings it measures itself.
import t from 'tap';
import { client, simClient, minimalJob } from './helpers.js';
import type { Obj } from '../state/types.js';

t.test('JSON summary: Nomad shape, job summary gauges with their labels', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  for (let i = 0; i < 4; i++) await c.advance(1000);
  await c.get('/v1/jobs');
  const res = await c.get('/v1/metrics');
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/json');
  t.same(Object.keys(res.json), ['Timestamp', 'Gauges', 'Points', 'Counters', 'Samples']);
  t.match(res.json.Timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
  const gauge = (name: string, labels: Obj = {}): Obj | undefined =>
    (res.json.Gauges as Obj[]).find((g) => g.Name === name && JSON.stringify(g.Labels) === JSON.stringify(labels));
  t.same(gauge('nomad.nomad.job_summary.running', { job: 'web', namespace: 'default', task_group: 'web' }), {
    Name: 'nomad.nomad.job_summary.running',
    Value: 1,
    Labels: { job: 'web', namespace: 'default', task_group: 'web' },
  });
  t.equal(gauge('nomad.nomad.job_summary.queued', { job: 'web', namespace: 'default', task_group: 'web' })?.Value, 0);
  t.equal(gauge('nomad.nomad.job_status.running')?.Value, 1);
  t.equal(gauge('nomad.nomad.broker.total_ready')?.Value, 0);
  t.equal(gauge('nomad.nomad.blocked_evals.total_blocked')?.Value, 0);
  const samples = res.json.Samples as Obj[];
  const invoke = samples.find((s) => s.Name === 'nomad.nomad.worker.invoke_scheduler.service');
  t.ok(invoke, 'the scheduler timing of the service eval');
  t.same(Object.keys(invoke!), ['Name', 'Count', 'Rate', 'Sum', 'Min', 'Max', 'Mean', 'Stddev', 'Labels']);
  t.ok(samples.some((s) => s.Name === 'nomad.http.PUT.v1.jobs'), 'HTTP timing named by route pattern');
});

t.test('blocked evals are counted', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const job = minimalJob('huge');
  (job.TaskGroups as Obj[])[0]!.Tasks[0].Resources = { CPU: 10_000_000, MemoryMB: 256 };
  await c.register(job);
  for (let i = 0; i < 3; i++) await c.advance(1000);
  const res = await c.get('/v1/metrics');
  const blocked = (res.json.Gauges as Obj[]).find((g) => g.Name === 'nomad.nomad.blocked_evals.total_blocked');
  t.equal(blocked!.Value, 1);
  const queued = (res.json.Gauges as Obj[]).find((g) => g.Name === 'nomad.nomad.job_summary.queued' && g.Labels.job === 'huge');
  t.equal(queued!.Value, 1);
});

t.test('Prometheus text: families with HELP/TYPE, labels sorted and quoted', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.get('/v1/jobs');
  const res = await c.get('/v1/metrics?format=prometheus');
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  t.match(res.body, /# HELP nomad_nomad_job_summary_queued nomad_nomad_job_summary_queued\n# TYPE nomad_nomad_job_summary_queued gauge\nnomad_nomad_job_summary_queued\{job="web",namespace="default",task_group="web"\} 0\n/, "no scheduler ran: nothing queued yet");
  t.match(res.body, /# TYPE nomad_http_GET_v1_jobs summary\nnomad_http_GET_v1_jobs\{quantile="0.5"\} [0-9.e-]+\n/);
  t.match(res.body, /nomad_http_GET_v1_jobs_count 1\n/);
});

t.test('names stay bounded: one series per route pattern, however many paths', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (let i = 0; i < 30; i++) await c.get(`/v1/job/job-${i}`);
  for (let i = 0; i < 30; i++) await c.get(`/v1/nothing-${i}`);
  const res = await c.get('/v1/metrics?format=prometheus');
  t.match(res.body, /nomad_http_GET_v1_job___count 30\n/);
  t.match(res.body, /nomad_http_GET_unmatched_count 30\n/);
  t.notMatch(res.body, /job-1/);
});

t.test('method and ACL: GET only; readable without a token', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const put = await c.put('/v1/metrics');
  t.equal(put.status, 405);
  t.equal(put.body, 'Invalid method');
  t.equal((await c.get('/v1/metrics')).status, 200, 'metrics.mdx: ACL Required none');
});

t.test('invoke_scheduler counts one sample per eval a worker ran, not the no-op pass its own plan write queues', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  for (let i = 0; i < 3; i++) await c.advance(15_000);
  const evals = (await c.get('/v1/job/web/evaluations')).json as Obj[];
  t.same(evals.map((e) => e.Status), ['complete', 'complete'], 'the register eval and the deployment watcher\'s');
  const samples = (await c.get('/v1/metrics')).json.Samples as Obj[];
  t.equal(samples.find((s) => s.Name === 'nomad.nomad.worker.invoke_scheduler.service')?.Count, 2);
});

t.test('evals scheduled back to back each count one invoke_scheduler and one plan.apply sample, each covering its plan', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  // Registered before the clock moves: the scheduler takes them back to back (one pass when they queue together).
  for (let i = 0; i < 5; i++) await c.register(minimalJob(`web-${i}`));
  await c.advance(0);
  const samples = (await c.get('/v1/metrics')).json.Samples as Obj[];
  const invoke = samples.find((s) => s.Name === 'nomad.nomad.worker.invoke_scheduler.service')!;
  const apply = samples.find((s) => s.Name === 'nomad.nomad.plan.apply')!;
  t.equal(invoke.Count, 5, 'one per eval');
  t.equal(apply.Count, 5, 'one per plan written');
  t.ok(invoke.Min >= 0 && Number.isFinite(invoke.Max), 'durations, never negative');
  t.ok(invoke.Sum >= apply.Sum, 'each eval\'s time holds its plan\'s apply');
});
