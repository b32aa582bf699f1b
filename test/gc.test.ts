// Server garbage collection (issue 10 finding 12; state-semantics §5.5, nomad/core_sched.go) on the
// manual clock: the leader's periodic GC with Nomad's default thresholds, `PUT /v1/system/gc`,
// `PUT /v1/system/reconcile/summaries`, and thresholds set by flag, env and config file.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, clientFor, simClient, minimalJob, index, type Client } from './helpers.js';
import { createServer } from '../src/server.js';
import { helpText, loadConfig, type Config } from '../src/config.js';
import { buildNode } from '../state/nodes/table.js';
import { putEval } from '../state/evaluations/table.js';
import { refreshJobStatus } from '../state/jobs/status.js';
import type { Obj } from '../state/types.js';
import { recover } from '../src/persist/recover.js';

const MIN = 60_000;
const HOUR = 60 * MIN;

const batchJob = (id: string, overrides: Obj = {}): Obj =>
  minimalJob(id, { Type: 'batch', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }], ...overrides });

const serviceJob = (id: string, overrides: Obj = {}): Obj =>
  minimalJob(id, { TaskGroups: [{ Name: 'web', Count: 1, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }], ...overrides });

/** Registers a job and returns the IDs of its first eval and allocs once they have run for `ms`. */
async function registerAndRun(c: Client, job: Obj, ms = 10_000): Promise<{ evalId: string; allocIds: string[] }> {
  const reg = await c.register(job);
  if (reg.status !== 200) throw new Error(`register ${job.ID}: ${reg.status} ${reg.body}`);
  await c.advance(ms);
  const allocs = (await c.get(`/v1/job/${job.ID}/allocations`)).json as Obj[];
  return { evalId: reg.json.EvalID, allocIds: allocs.map((a) => a.ID as string) };
}

const simWith = (config: Partial<Config> = {}): Promise<Client> => simClient(config);

t.test("a per-minute periodic job's children stay bounded over simulated hours (default thresholds)", async (t) => {
  const c = await simWith({ clockStart: '2026-01-01T00:00:30Z' });
  t.teardown(c.close);
  const reg = await c.register(
    minimalJob('cron', {
      Type: 'batch',
      Periodic: { Enabled: true, Specs: ['0 * * * * * *'], SpecType: 'cron', TimeZone: 'UTC' },
      TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }],
    }),
  );
  t.equal(reg.status, 200);
  const counts: number[] = [];
  for (let h = 0; h < 10; h++) {
    await c.advance(HOUR);
    counts.push(((await c.get('/v1/jobs?prefix=cron/')).json as Obj[]).length);
  }
  // One child a minute; a child goes once it is 4 h old at a 5-minute GC tick.
  t.same(counts.slice(0, 4), [60, 120, 180, 240], 'nothing is collected before job_gc_threshold (4h)');
  for (const n of counts.slice(4)) t.ok(n >= 240 && n <= 4 * 60 + 5, `children bounded: ${n}`);
  const store = c.mock.store;
  t.ok(store.jobs.size <= 4 * 60 + 5 + 1, `jobs table bounded: ${store.jobs.size}`);
  t.ok(store.evals.size <= 4 * 60 + 5, `evals table bounded: ${store.evals.size}`);
  t.ok(store.allocs.size <= 4 * 60 + 5, `allocs table bounded: ${store.allocs.size}`);
  t.ok(store.evalsByJob.size <= 4 * 60 + 5 + 1, `no index rows left for collected jobs: ${store.evalsByJob.size}`);
  t.ok(store.allocsByJob.size <= 4 * 60 + 5, `no alloc index rows left for collected jobs: ${store.allocsByJob.size}`);
  const parent = (await c.get('/v1/job/cron')).json;
  t.equal(parent.Status, 'running', 'a running periodic parent is never collected');
  t.same((await c.get('/v1/job/cron/summary')).json.Children, { Pending: 0, Running: 0, Dead: 600 }, 'collected children stay counted as dead');
});

t.test('a dead batch job goes after job_gc_threshold + one interval with its evals and allocs; a running service job stays', async (t) => {
  const c = await simWith();
  t.teardown(c.close);
  const batch = await registerAndRun(c, batchJob('once'));
  const svc = await registerAndRun(c, serviceJob('web'));
  t.equal((await c.get('/v1/job/once')).json.Status, 'dead');
  t.equal(batch.allocIds.length, 1);

  await c.advance(4 * HOUR - 20_000);
  t.equal((await c.get('/v1/job/once')).status, 200, 'younger than 4h: kept');
  t.equal((await c.get(`/v1/evaluation/${batch.evalId}`)).status, 200, 'a batch eval outlives eval_gc_threshold while its job lives');

  await c.advance(5 * MIN);
  t.equal((await c.get('/v1/job/once')).status, 404, 'collected at the first tick past 4h');
  t.equal((await c.get('/v1/job/once/versions')).status, 404);
  t.equal((await c.get(`/v1/evaluation/${batch.evalId}`)).status, 404, 'its eval went with it');
  t.equal((await c.get(`/v1/allocation/${batch.allocIds[0]}`)).status, 404, 'its alloc went with it');
  t.same(((await c.get('/v1/jobs')).json as Obj[]).map((j) => j.ID), ['web']);

  const web = (await c.get('/v1/job/web')).json;
  t.equal(web.Status, 'running', 'a running service job is never collected');
  t.equal((await c.get(`/v1/allocation/${svc.allocIds[0]}`)).json.ClientStatus, 'running');
  t.equal((await c.get(`/v1/evaluation/${svc.evalId}`)).status, 200, 'an eval whose alloc still runs is kept');
});

t.test('a stopped service job goes after 4h; its deregister eval and stopped allocs with it', async (t) => {
  const c = await simWith();
  t.teardown(c.close);
  const svc = await registerAndRun(c, serviceJob('web'));
  const stop = await c.del('/v1/job/web');
  await c.advance(10_000);
  t.equal((await c.get('/v1/job/web')).json.Status, 'dead');
  await c.advance(4 * HOUR + 5 * MIN);
  t.equal((await c.get('/v1/job/web')).status, 404);
  t.equal((await c.get(`/v1/evaluation/${stop.json.EvalID}`)).status, 404);
  t.equal((await c.get(`/v1/allocation/${svc.allocIds[0]}`)).status, 404);
  t.same((await c.get('/v1/evaluations')).json, []);
  t.same((await c.get('/v1/allocations')).json, []);
});

t.test('old terminal evals and deployments go after 1h; live ones stay', async (t) => {
  const c = await simWith();
  t.teardown(c.close);
  const v0 = await registerAndRun(c, serviceJob('web'), 30_000);
  const deps0 = (await c.get('/v1/job/web/deployments')).json as Obj[];
  t.equal(deps0.length, 1);
  t.equal(deps0[0]!.Status, 'successful');
  // A destructive update replaces the alloc: v0's eval, deployment and alloc become terminal.
  const v1 = await registerAndRun(c, serviceJob('web', { Meta: { v: '1' } }), 60_000);
  const deps = ((await c.get('/v1/job/web/deployments')).json as Obj[]).sort((a, b) => a.CreateIndex - b.CreateIndex);
  t.equal(deps.length, 2);
  t.same(deps.map((d) => d.Status), ['successful', 'successful']);
  const old = (await c.get(`/v1/allocation/${v0.allocIds[0]}`)).json;
  t.equal(old.DesiredStatus, 'stop');

  await c.advance(HOUR - 2 * MIN);
  t.equal((await c.get(`/v1/evaluation/${v0.evalId}`)).status, 200, 'younger than eval_gc_threshold');
  t.equal((await c.get(`/v1/deployment/${deps[0]!.ID}`)).status, 200, 'younger than deployment_gc_threshold');

  await c.advance(10 * MIN);
  t.equal((await c.get(`/v1/evaluation/${v0.evalId}`)).status, 404, 'the old eval went');
  t.equal((await c.get(`/v1/allocation/${v0.allocIds[0]}`)).status, 404, 'with its stopped alloc');
  t.equal((await c.get(`/v1/deployment/${deps[0]!.ID}`)).status, 404, 'the old deployment went');
  t.equal((await c.get(`/v1/deployment/${deps[1]!.ID}`)).status, 200, 'a deployment whose allocs still run stays');
  const live = v1.allocIds.find((id) => id !== v0.allocIds[0])!;
  t.equal((await c.get(`/v1/allocation/${live}`)).json.ClientStatus, 'running');
  t.equal((await c.get('/v1/job/web')).json.Status, 'running');
});

t.test('a year-long clock advance over a quiet state runs a handful of GC passes, not one per interval', async (t) => {
  const c = await simWith();
  t.teardown(c.close);
  await registerAndRun(c, serviceJob('web'));
  await registerAndRun(c, batchJob('once'));
  const gc = c.mock.sim!.gc;
  const before = gc.passes;
  await c.advance(365 * 24 * HOUR);
  const passes = gc.passes - before;
  t.ok(passes < 100, `${passes} passes (a fixed 5-minute ticker would run ${4 * 365 * 24 * 12})`);
  t.equal((await c.get('/v1/job/once')).status, 404, 'the dead batch job was still collected on the way');
  t.equal((await c.get('/v1/job/web')).json.Status, 'running');
  // A write wakes the tickers at their next 5-minute tick again.
  const stop = await c.del('/v1/job/web');
  t.equal(stop.status, 200);
  await c.advance(4 * HOUR + 10 * MIN);
  t.equal((await c.get('/v1/job/web')).status, 404, 'a job stopped after the quiet year is collected on time');
});

t.test('PUT /v1/system/gc collects every eligible object at once and answers 200 with no body', async (t) => {
  const c = await simWith();
  t.teardown(c.close);
  const batch = await registerAndRun(c, batchJob('once'));
  await registerAndRun(c, serviceJob('web'));
  const before = await c.get('/v1/jobs');
  const blocked = c.get(`/v1/jobs?index=${index(before)}&wait=60s`);
  const res = await c.put('/v1/system/gc');
  t.equal(res.status, 200);
  t.equal(res.body, '');
  t.equal((await c.get('/v1/job/once')).status, 404, 'no threshold applies to a forced GC');
  t.equal((await c.get(`/v1/evaluation/${batch.evalId}`)).status, 404);
  t.equal((await c.get(`/v1/allocation/${batch.allocIds[0]}`)).status, 404);
  t.equal((await c.get('/v1/job/web')).json.Status, 'running', 'running jobs stay');
  const woke = await blocked;
  t.ok(index(woke) > index(before), 'a blocked list query wakes with a higher index');
  t.same((woke.json as Obj[]).map((j) => j.ID), ['web']);
  // Nothing is left to collect: a second GC writes nothing.
  const idx = index(await c.get('/v1/jobs'));
  t.equal((await c.put('/v1/system/gc')).status, 200);
  t.equal(index(await c.get('/v1/jobs')), idx);
});

t.test('a forced GC streams JobBatchDeregistered for each collected job', async (t) => {
  const c = await simWith();
  t.teardown(c.close);
  await registerAndRun(c, batchJob('once'));
  const start = c.mock.store.index;
  await c.put('/v1/system/gc');
  const { eventBuffer } = await import('../state/events/buffer.js');
  const batches = eventBuffer(c.mock.store).backlog(start + 1);
  const jobEvents = batches.flatMap((b) => b.Events).filter((e) => e.Topic === 'Job');
  t.same(jobEvents.map((e) => [e.Type, e.Key]), [['JobBatchDeregistered', 'once']]);
});

t.test('stopped periodic and parameterized parents are collected; running ones are not', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const periodic = (id: string): Obj => batchJob(id, { Periodic: { Enabled: true, Specs: ['@daily'], SpecType: 'cron', TimeZone: 'UTC' } });
  const param = (id: string): Obj => batchJob(id, { ParameterizedJob: { Payload: 'optional' } });
  for (const j of [periodic('p-run'), periodic('p-stop'), param('d-run'), param('d-stop')]) t.equal((await c.register(j)).status, 200);
  await c.del('/v1/job/p-stop');
  await c.del('/v1/job/d-stop');
  await c.put('/v1/system/gc');
  t.same(((await c.get('/v1/jobs')).json as Obj[]).map((j) => j.ID).sort(), ['d-run', 'p-run']);
});

t.test('a dead but not stopped service job is never collected; a pending job is not either', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(serviceJob('svc'));
  await c.register(serviceJob('idle'));
  // Without the simulator register evals stay pending; finishing one by hand leaves `svc` dead
  // (no allocs, every eval terminal) but not stopped.
  const store = c.mock.store;
  const ev = [...store.evals.values()].find((e) => e.JobID === 'svc')!;
  store.write((tx) => {
    putEval(store, tx, ev, { Status: 'complete', ModifyTime: store.nowNs() });
    refreshJobStatus(store, tx, 'default', 'svc');
  });
  t.equal((await c.get('/v1/job/svc')).json.Status, 'dead');
  await c.put('/v1/system/gc');
  t.equal((await c.get('/v1/job/svc')).json.Status, 'dead', 'a dead service job stays until stopped');
  t.equal((await c.get(`/v1/evaluation/${ev.ID}`)).status, 404, 'its terminal eval is collected');
  t.equal((await c.get('/v1/job/idle')).json.Status, 'pending', 'a pending job stays');
});

t.test('wrong methods on the system endpoints answer 405 Invalid method and change nothing', async (t) => {
  const c = await simWith();
  t.teardown(c.close);
  await registerAndRun(c, batchJob('once'));
  for (const path of ['/v1/system/gc', '/v1/system/reconcile/summaries']) {
    for (const m of ['GET', 'POST', 'DELETE', 'PATCH']) {
      const r = await c.req(m, path);
      t.equal(r.status, 405, `${m} ${path}`);
      t.equal(r.body, 'Invalid method');
    }
  }
  t.equal((await c.get('/v1/job/once')).status, 200, 'nothing was collected');
  const bad = await c.put('/v1/system/gc?wait=xyz');
  t.equal(bad.status, 400, 'the agent parses the query options first');
  t.equal(bad.body, 'Invalid wait time');
  t.equal((await c.get('/v1/job/once')).status, 200);
});

t.test('PUT /v1/system/reconcile/summaries rebuilds every summary from the allocations', async (t) => {
  const c = await simWith();
  t.teardown(c.close);
  await registerAndRun(c, serviceJob('web', { TaskGroups: [{ Name: 'web', Count: 2, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }] }));
  await registerAndRun(c, batchJob('once'));
  const good = (await c.get('/v1/job/web/summary')).json;
  t.match(good.Summary.web, { Running: 2, Starting: 0 });
  // Corrupt the stored summaries (as a bad restore or an old bug would leave them).
  const store = c.mock.store;
  for (const [key, s] of store.summaries) {
    store.summaries.set(key, { ...s, Summary: Object.fromEntries(Object.keys(s.Summary).map((g) => [g, { Queued: 7, Complete: 9, Failed: 9, Running: 9, Starting: 9, Lost: 9, Unknown: 9 }])) });
  }
  const before = index(await c.get('/v1/job/web/summary'));
  const res = await c.put('/v1/system/reconcile/summaries');
  t.equal(res.status, 200);
  t.equal(res.body, '');
  const web = await c.get('/v1/job/web/summary');
  t.same(web.json.Summary, { web: { Queued: 0, Complete: 0, Failed: 0, Running: 2, Starting: 0, Lost: 0, Unknown: 0 } });
  t.equal(web.json.Children, null, "Nomad's reconcile leaves Children unset");
  t.ok(index(web) > before, 'the summary ModifyIndex moved');
  t.same((await c.get('/v1/job/once/summary')).json.Summary, { g: { Queued: 0, Complete: 1, Failed: 0, Running: 0, Starting: 0, Lost: 0, Unknown: 0 } });
  // Later alloc changes still count from the rebuilt rows.
  await c.del('/v1/job/web');
  await c.advance(10_000);
  t.match((await c.get('/v1/job/web/summary')).json.Summary.web, { Running: 0, Complete: 2 });
});

t.test('reconcile keeps the Children of periodic parents', async (t) => {
  const c = await simWith({ clockStart: '2026-01-01T00:00:30Z' });
  t.teardown(c.close);
  await c.register(batchJob('cron', { Periodic: { Enabled: true, Specs: ['*/5 * * * *'], SpecType: 'cron', TimeZone: 'UTC' } }));
  await c.advance(11 * MIN);
  const before = (await c.get('/v1/job/cron/summary')).json;
  t.same(before.Children, { Pending: 0, Running: 0, Dead: 2 });
  await c.put('/v1/system/reconcile/summaries');
  t.same((await c.get('/v1/job/cron/summary')).json, before);
});

t.test('in ACL mode the system endpoints need a management token', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const boot = await c.post('/v1/acl/bootstrap');
  const mgmt = boot.json.SecretID as string;
  await c.req('PUT', '/v1/acl/policy/readall', { Name: 'readall', Rules: 'namespace "*" { policy = "write" }' }, { 'X-Nomad-Token': mgmt });
  const tok = await c.req('PUT', '/v1/acl/token', { Name: 'w', Type: 'client', Policies: ['readall'] }, { 'X-Nomad-Token': mgmt });
  t.equal(tok.status, 200);
  for (const path of ['/v1/system/gc', '/v1/system/reconcile/summaries']) {
    t.equal((await c.req('PUT', path)).status, 403, `anonymous ${path}`);
    const w = await c.req('PUT', path, undefined, { 'X-Nomad-Token': tok.json.SecretID });
    t.equal(w.status, 403, `namespace write token ${path}`);
    t.equal(w.body, 'Permission denied');
    t.equal((await c.req('PUT', path, undefined, { 'X-Nomad-Token': mgmt })).status, 200, `management ${path}`);
    t.equal((await c.req('GET', path)).status, 405, 'the method check comes before the token check');
  }
});

t.test('a down node with nothing live on it is collected by node GC', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const store = c.mock.store;
  const spec = { name: 'gone', datacenter: 'dc1', nodePool: 'default', cpu: 1000, memoryMB: 1000, diskMB: 1000 };
  const node: Obj = store.write((tx) => {
    const n: Obj = { ...buildNode(store, spec, 0, tx.index), Status: 'down' };
    store.nodes.set(n.ID, n);
    tx.touch('nodes');
    return n;
  });
  t.equal(((await c.get('/v1/nodes')).json as Obj[]).length, 1);
  await c.put('/v1/system/gc');
  t.same((await c.get('/v1/nodes')).json, []);
  t.equal((await c.get(`/v1/node/${node.ID}`)).status, 404);
});

t.test('GC thresholds and intervals come from flags, env and the config file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gc-config-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ server: { job_gc_threshold: '2h', eval_gc_interval: '30s' } }));
  const cfg = loadConfig(['--job-gc-threshold', '10m', '--job-gc-interval=1m', '--config', file], { NOMAD_MOCK_EVAL_GC_THRESHOLD: '15m' });
  t.not(cfg, 'help');
  const c1 = cfg as Config;
  t.match(c1, { jobGcThreshold: '10m', jobGcInterval: '1m', evalGcThreshold: '15m', evalGcInterval: '30s', batchEvalGcThreshold: '24h', nodeGcThreshold: '24h' }, 'flag and env win over the file; the rest keeps the defaults');
  t.throws(() => loadConfig(['--job-gc-threshold', '4 hours'], {}), /--job-gc-threshold: time: unknown unit/);
  t.throws(() => loadConfig(['--eval-gc-interval', '0s'], {}), /shorter than 1s/);
  t.throws(() => loadConfig([], { NOMAD_MOCK_NODE_GC_THRESHOLD: '-1h' }), /negative/);
  writeFileSync(file, JSON.stringify({ server: { job_gc_treshold: '2h' } }));
  t.throws(() => loadConfig(['--config', file], {}), /unknown server setting "job_gc_treshold"/);
  for (const flag of ['--job-gc-threshold', '--batch-eval-gc-threshold', '--deployment-gc-interval', '--node-gc-threshold']) t.match(helpText(), flag);

  // The short thresholds move collection earlier: a dead batch job goes after 10m + a 1m tick.
  const mock = createServer({ ...c1, logLevel: 'silent', clock: 'manual', port: 0 });
  await mock.app.ready();
  const c = clientFor(mock);
  t.teardown(c.close);
  await registerAndRun(c, batchJob('once'));
  await c.advance(9 * MIN);
  t.equal((await c.get('/v1/job/once')).status, 200);
  await c.advance(3 * MIN);
  t.equal((await c.get('/v1/job/once')).status, 404, 'collected soon after the 10m threshold');
});

t.test('a GC that streams no events is still persisted under --data-dir', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gc-persist-'));
  const mock = createServer({ logLevel: 'silent', dataDir: dir }, undefined, { simulate: false });
  await mock.init();
  await mock.app.ready();
  const c = clientFor(mock);
  const load = (): Obj => (recover(dir, { clean: false }).snapshot as unknown as Obj | null) ?? { Index: -1, Evaluations: [] };
  // A write made outside a request is appended on its own (not only at close); 5 s at most.
  const savedUpTo = async (index: number): Promise<Obj> => {
    for (let i = 0; i < 100 && load().Index !== index; i++) await new Promise((r) => setTimeout(r, 50));
    return load();
  };
  await c.register(serviceJob('svc'));
  const store = mock.store;
  const ev = [...store.evals.values()].find((e) => e.JobID === 'svc')!;
  store.write((tx) => {
    putEval(store, tx, ev, { Status: 'complete', ModifyTime: store.nowNs() });
    refreshJobStatus(store, tx, 'default', 'svc');
  });
  t.equal((await savedUpTo(store.index)).Index, store.index, 'the state before the GC is saved');
  const before = store.index;
  t.equal((await c.put('/v1/system/gc')).status, 200);
  t.ok(store.index > before, 'the eval reap was a write of its own');
  t.notOk(store.evals.has(ev.ID));
  const saved = await savedUpTo(store.index);
  t.equal(saved.Index, store.index, 'the save holds the reap');
  t.notOk((saved.Evaluations as Obj[]).some((e) => e.ID === ev.ID), 'the reaped eval is not saved');
  await c.close();
});
