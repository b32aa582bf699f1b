// Stop vs purge, evaluate, summary and the eval records every write leaves (state-semantics §5, §7).
import t from 'tap';
import { client, minimalJob } from './helpers.js';

t.test('stop keeps the job readable with Stop true and a new version; purge deletes it', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const reg = await c.register(minimalJob('web'));
  const stop = await c.del('/v1/job/web');
  t.equal(stop.status, 200);
  t.equal(stop.headers['x-nomad-index'], String(stop.json.Index));
  t.equal(stop.headers['x-nomad-knownleader'], undefined, 'writes carry only the index header');
  const job = (await c.get('/v1/job/web')).json;
  t.match(job, { Stop: true, Version: 1 });
  t.equal((await c.get('/v1/job/web/versions')).json.Versions.length, 2);
  const again = await c.del('/v1/job/web');
  t.equal((await c.get('/v1/job/web')).json.Version, 2, 'stopping a stopped job still bumps the version');

  const purge = await c.del('/v1/job/web?purge=true');
  t.equal(purge.status, 200);
  for (const path of ['/v1/job/web', '/v1/job/web/summary']) {
    const res = await c.get(path);
    t.equal(res.status, 404, path);
    t.equal(res.body, 'job not found');
  }
  t.equal((await c.get('/v1/job/web/versions')).body, 'job versions not found');
  t.same((await c.get('/v1/job/web/allocations')).json, []);
  t.equal((await c.get('/v1/job/web/deployment')).body, 'null');

  // Evals outlive the purge; the pending ones are completed with Nomad's description.
  const evals = (await c.get('/v1/job/web/evaluations')).json as { ID: string; Status: string; StatusDescription?: string }[];
  t.equal(evals.length, 4);
  const first = evals.find((e) => e.ID === reg.json.EvalID)!;
  t.match(first, { Status: 'complete', StatusDescription: 'job web deleted' });
  const last = evals.find((e) => e.ID === purge.json.EvalID)!;
  t.match(last, { Status: 'pending', TriggeredBy: 'job-deregister' });
  t.ok(again.json.EvalID);

  // A new job under the same ID starts over.
  const fresh = await c.register(minimalJob('web'));
  t.match((await c.get('/v1/job/web')).json, { Version: 0, CreateIndex: fresh.json.Index });
});

t.test('deregistering a missing job is not an error', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.del('/v1/job/ghost');
  t.equal(res.status, 200);
  t.same(res.json, {
    EvalID: '',
    EvalCreateIndex: 0,
    JobModifyIndex: 0,
    VolumeEvalID: '',
    VolumeEvalIndex: 0,
    Index: 0,
    LastContact: 0,
    KnownLeader: false,
    NextToken: '',
  });
  t.equal(res.headers['x-nomad-index'], '0');
});

t.test('deregister query parameters are parsed like Nomad', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const cases: [string, number, string][] = [
    ['purge=yes', 500, 'Failed to parse value of "purge" (yes) as a bool: strconv.ParseBool: parsing "yes": invalid syntax'],
    ['global=2', 500, 'Failed to parse value of "global" (2) as a bool: strconv.ParseBool: parsing "2": invalid syntax'],
    ['eval_priority=high', 500, 'Failed to parse value of "eval_priority" (high) as a int: strconv.Atoi: parsing "high": invalid syntax'],
    ['eval_priority=101', 400, 'Eval priority must be between 1 and 100 inclusively'],
    ['no_shutdown_delay=x', 500, 'Failed to parse value of "no_shutdown_delay"q (x) as a bool: strconv.ParseBool: parsing "x": invalid syntax'],
  ];
  for (const [qs, status, text] of cases) {
    const res = await c.del(`/v1/job/web?${qs}`);
    t.equal(res.status, status, qs);
    t.equal(res.body, text, qs);
  }
  const res = await c.del('/v1/job/web?eval_priority=90');
  const ev = (await c.get(`/v1/evaluation/${res.json.EvalID}`)).json;
  t.equal(ev.Priority, 90);
});

t.test('register creates a pending job-register eval with the job priority or EvalPriority', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.register(minimalJob('web', { Priority: 40 }));
  const ev = await c.get(`/v1/evaluation/${res.json.EvalID}`);
  t.equal(ev.status, 200);
  t.match(ev.json, {
    ID: res.json.EvalID,
    Namespace: 'default',
    Priority: 40,
    Type: 'service',
    TriggeredBy: 'job-register',
    JobID: 'web',
    JobModifyIndex: res.json.Index,
    Status: 'pending',
    CreateIndex: res.json.Index,
    ModifyIndex: res.json.Index,
  });
  for (const omitted of ['NodeID', 'DeploymentID', 'StatusDescription', 'WaitUntil', 'BlockedEval', 'FailedTGAllocs']) {
    t.notOk(omitted in ev.json, `${omitted} is omitted when empty`);
  }
  const prio = await c.register(minimalJob('web', { Priority: 41 }), { EvalPriority: 90 });
  t.equal((await c.get(`/v1/evaluation/${prio.json.EvalID}`)).json.Priority, 90);
  const missing = await c.get('/v1/evaluation/00000000-0000-0000-0000-000000000000');
  t.equal(missing.status, 404);
  t.equal(missing.body, 'eval not found');
  const list = (await c.get('/v1/job/web/evaluations')).json;
  t.equal(list.length, 2);
});

t.test('evaluate creates an eval carrying the job ModifyIndex', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const reg = await c.register(minimalJob('web'));
  const res = await c.post('/v1/job/web/evaluate', { JobID: 'web', EvalOptions: { ForceReschedule: true } });
  t.equal(res.status, 200);
  t.match(res.json, { JobModifyIndex: reg.json.Index, EvalCreateIndex: res.json.Index, Warnings: '' });
  const ev = (await c.get(`/v1/evaluation/${res.json.EvalID}`)).json;
  t.match(ev, { TriggeredBy: 'job-register', JobModifyIndex: reg.json.Index });
  t.equal((await c.req('POST', '/v1/job/web/evaluate')).status, 200, 'an empty body is accepted');
  t.equal((await c.post('/v1/job/web/evaluate', { JobID: 'x' })).body, 'JobID not same as job name');
  t.equal((await c.post('/v1/job/web/evaluate', {})).body, 'Job ID must be specified');
  const missing = await c.post('/v1/job/ghost/evaluate', { JobID: 'ghost' });
  t.equal(missing.status, 500);
  t.equal(missing.body, 'job not found');
  await c.register(minimalJob('cron', { Type: 'batch', Periodic: { Enabled: true, Specs: ['@daily'] } }));
  t.equal((await c.post('/v1/job/cron/evaluate', { JobID: 'cron' })).body, "can't evaluate periodic job");
});

t.test('summary has a zero row per group and a zero Children object', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const reg = await c.register(minimalJob('web'));
  const res = await c.get('/v1/job/web/summary');
  t.same(res.json, {
    JobID: 'web',
    Namespace: 'default',
    Summary: { web: { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0, Unknown: 0 } },
    Children: { Pending: 0, Running: 0, Dead: 0 },
    CreateIndex: reg.json.Index,
    ModifyIndex: reg.json.Index,
  });
  t.equal((await c.req('POST', '/v1/job/web/summary')).status, 200, 'the summary route does not check the method');
});
