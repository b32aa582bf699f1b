// Periodic jobs (state-semantics §10.2, http-semantics §5 periodic force, §6.8), on the manual clock.
import t from 'tap';
import { simClient, minimalJob } from './helpers.js';
import type { Obj } from '../state/types.js';

// A fixed simulated start, 30 s past a round hour, makes every cron time predictable.
const START = Date.UTC(2026, 0, 1, 0, 0, 30);

const cronJob = (overrides: Obj = {}, periodic: Obj = {}): Obj =>
  minimalJob('cron', {
    Type: 'batch',
    Periodic: { Enabled: true, Specs: ['*/5 * * * *'], SpecType: 'cron', ProhibitOverlap: false, TimeZone: 'UTC', ...periodic },
    TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }],
    ...overrides,
  });

const children = async (c: Awaited<ReturnType<typeof simClient>>): Promise<Obj[]> =>
  ((await c.get('/v1/jobs?prefix=cron/')).json as Obj[]).sort((a, b) => (a.ID < b.ID ? -1 : 1));

const startAt = (ms: number): ReturnType<typeof simClient> => simClient({ clockStart: new Date(ms).toISOString() });

t.test('"*/5 * * * *" launches exactly twelve children in an hour, named by launch time', async (t) => {
  const c = await startAt(START);
  t.teardown(c.close);
  const reg = await c.register(cronJob());
  t.match(reg.json, { EvalID: '', EvalCreateIndex: 0 }, 'a periodic parent gets no eval');
  t.equal((await c.get('/v1/job/cron')).json.Status, 'running');
  await c.advance(60 * 60 * 1000);
  const kids = await children(c);
  const expected = Array.from({ length: 12 }, (_, i) => `cron/periodic-${(START - 30_000) / 1000 + (i + 1) * 300}`);
  t.same(kids.map((k) => k.ID), expected);
  const child = (await c.get(`/v1/job/${encodeURIComponent(kids[0]!.ID)}`)).json;
  t.match(child, { ParentID: 'cron', Name: kids[0]!.ID, Periodic: null, Type: 'batch' });
  const evals = (await c.get(`/v1/job/${encodeURIComponent(kids[0]!.ID)}/evaluations`)).json as Obj[];
  t.equal(evals[0]!.TriggeredBy, 'periodic-job');
  t.same((await c.get('/v1/job/cron/summary')).json.Children, { Pending: 0, Running: 0, Dead: 12 }, 'children ran to completion');
});

t.test('ProhibitOverlap skips a launch while a child still runs', async (t) => {
  const c = await startAt(START);
  t.teardown(c.close);
  // Each child runs 7 minutes, so every other 5-minute launch finds the previous one running.
  await c.register(
    cronJob(
      { TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'mock_driver', Config: { run_for: '7m' } }] }] },
      { ProhibitOverlap: true },
    ),
  );
  await c.advance(30 * 60 * 1000);
  const base = (START - 30_000) / 1000;
  t.same((await children(c)).map((k) => k.ID), [300, 900, 1500].map((s) => `cron/periodic-${base + s}`));
});

t.test('a disabled or stopped periodic job launches nothing; stopping leaves children alone', async (t) => {
  const c = await startAt(START);
  t.teardown(c.close);
  await c.register(cronJob({}, { Enabled: false }));
  await c.advance(20 * 60 * 1000);
  t.same(await children(c), []);
  t.equal((await c.get('/v1/job/cron')).json.Status, 'running', 'a disabled periodic parent is still running');
  await c.register(cronJob());
  await c.advance(5 * 60 * 1000);
  t.equal((await children(c)).length, 1);
  await c.del('/v1/job/cron');
  t.equal((await c.get('/v1/job/cron')).json.Status, 'dead');
  await c.advance(20 * 60 * 1000);
  t.equal((await children(c)).length, 1, 'no launches after stop; the child is kept');
});

t.test('periodic force launches a child now and answers with its eval', async (t) => {
  const c = await startAt(START);
  t.teardown(c.close);
  await c.register(cronJob());
  const res = await c.post('/v1/job/cron/periodic/force');
  t.equal(res.status, 200);
  t.same(Object.keys(res.json), ['EvalID', 'EvalCreateIndex', 'Index']);
  t.equal(res.json.EvalCreateIndex, res.json.Index);
  const now = Math.floor(c.mock.clock.nowMs() / 1000);
  const child = (await c.get(`/v1/job/${encodeURIComponent(`cron/periodic-${now}`)}`)).json;
  t.equal(child.ParentID, 'cron');
  const ev = (await c.get(`/v1/evaluation/${res.json.EvalID}`)).json;
  t.match(ev, { TriggeredBy: 'periodic-job', JobID: `cron/periodic-${now}` });
  t.same((await c.get('/v1/job/cron/summary')).json.Children, { Pending: 1, Running: 0, Dead: 0 });
});

t.test('periodic force errors', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(minimalJob('plain'));
  await c.register(cronJob({}, { Enabled: false }));
  const cases: [string, string][] = [
    ['/v1/job/missing/periodic/force', 'job not found'],
    ['/v1/job/plain/periodic/force', "can't force launch non-periodic job"],
    ['/v1/job/cron/periodic/force', 'force launch for job "cron" failed: can\'t force run non-tracked job "cron" (default)'],
  ];
  for (const [url, text] of cases) {
    const r = await c.post(url);
    t.equal(r.status, 500);
    t.equal(r.body, text);
  }
  t.equal((await c.get('/v1/job/cron/periodic/force')).status, 405);
  t.equal((await c.post('/v1/job/cron/evaluate', { JobID: 'cron' })).body, "can't evaluate periodic job");
});

t.test('plan reports the next periodic launch', async (t) => {
  const c = await startAt(START);
  t.teardown(c.close);
  const plan = (await c.post('/v1/job/cron/plan', { Job: cronJob() })).json;
  t.equal(plan.NextPeriodicLaunch, new Date(START - 30_000 + 5 * 60_000).toISOString().replace('.000Z', 'Z'));
  const none = (await c.post('/v1/job/web/plan', { Job: minimalJob('web') })).json;
  t.equal(none.NextPeriodicLaunch, null);
});
