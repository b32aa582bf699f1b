// Raft-style index bookkeeping: which indexes each operation moves (state-semantics §1.3).
import t from 'tap';
import { client, index, minimalJob } from './helpers.js';

t.test('register, re-register, update, stop and purge move the indexes Nomad moves', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const tables = () => ({
    jobs: c.mock.store.tableIndex('jobs'),
    job_version: c.mock.store.tableIndex('job_version'),
    job_summary: c.mock.store.tableIndex('job_summary'),
    evals: c.mock.store.tableIndex('evals'),
    allocs: c.mock.store.tableIndex('allocs'),
  });

  const before = c.mock.store.index;
  t.same(tables(), { jobs: 0, job_version: 0, job_summary: 0, evals: 0, allocs: 0 }, 'tables never written report 0');
  const list0 = await c.get('/v1/jobs');
  t.equal(index(list0), 0, 'a pristine job list reports index 0');

  // New job: one write; job, version, summary and eval all at that index.
  const r1 = await c.register(minimalJob('web'));
  t.equal(r1.status, 200);
  const n1 = before + 1;
  t.equal(r1.json.Index, n1);
  t.equal(r1.json.JobModifyIndex, n1);
  t.equal(r1.json.EvalCreateIndex, n1);
  t.equal(index(r1), n1, 'X-Nomad-Index of a write is its Index');
  t.same(tables(), { jobs: n1, job_version: n1, job_summary: n1, evals: n1, allocs: 0 });
  const j1 = (await c.get('/v1/job/web')).json;
  t.match(j1, { CreateIndex: n1, ModifyIndex: n1, JobModifyIndex: n1, Version: 0, Status: 'pending', Stable: false });

  // Unchanged spec: a new eval only; JobModifyIndex answered is the job's ModifyIndex.
  const r2 = await c.register(minimalJob('web'));
  const n2 = n1 + 1;
  t.match(r2.json, { Index: n2, EvalCreateIndex: n2, JobModifyIndex: n1 });
  t.not(r2.json.EvalID, r1.json.EvalID);
  t.same(tables(), { jobs: n1, job_version: n1, job_summary: n1, evals: n2, allocs: 0 }, 'only evals moved');
  const j2 = (await c.get('/v1/job/web')).json;
  t.match(j2, { ModifyIndex: n1, JobModifyIndex: n1, Version: 0 }, 'no new version');
  const ev2 = (await c.get(`/v1/evaluation/${r2.json.EvalID}`)).json;
  t.notOk('JobModifyIndex' in ev2, 'the unchanged-spec eval has JobModifyIndex 0, omitted');

  // Changed spec: new version, all job indexes move.
  const r3 = await c.register(minimalJob('web', { Meta: { team: 'a' } }));
  const n3 = n2 + 1;
  t.match(r3.json, { Index: n3, JobModifyIndex: n3, EvalCreateIndex: n3 });
  t.match((await c.get('/v1/job/web')).json, { CreateIndex: n1, ModifyIndex: n3, JobModifyIndex: n3, Version: 1 });
  t.same(tables(), { jobs: n3, job_version: n3, job_summary: n1, evals: n3, allocs: 0 }, 'summary unchanged: no new group');

  // Stop: new version with Stop true, deregister eval.
  const r4 = await c.del('/v1/job/web');
  const n4 = n3 + 1;
  t.match(r4.json, { Index: n4, JobModifyIndex: n4, EvalCreateIndex: n4, VolumeEvalID: '', VolumeEvalIndex: 0 });
  t.match((await c.get('/v1/job/web')).json, { Stop: true, Version: 2, ModifyIndex: n4, JobModifyIndex: n4 });
  const ev4 = (await c.get(`/v1/evaluation/${r4.json.EvalID}`)).json;
  t.match(ev4, { TriggeredBy: 'job-deregister', Type: 'service', Status: 'pending', JobModifyIndex: n4 });

  // Purge: job gone, allocs index moves even with no allocs.
  const r5 = await c.del('/v1/job/web?purge=true');
  const n5 = n4 + 1;
  t.match(r5.json, { Index: n5, JobModifyIndex: n5, EvalCreateIndex: n5 });
  t.same(tables(), { jobs: n5, job_version: n5, job_summary: n5, evals: n5, allocs: n5 });
  t.equal((await c.get('/v1/job/web')).status, 404);
});

t.test('a failed write changes nothing, not even the index', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const snapshot = JSON.stringify([...c.mock.store.jobs.values()]);
  const idx = c.mock.store.index;
  const failures = [
    await c.register({ ...minimalJob('web'), TaskGroups: [{ Name: 'web', Count: -1, Tasks: [{ Name: 'x' }] }] }),
    await c.register(minimalJob('web'), { EnforceIndex: true, JobModifyIndex: 1 }),
    await c.register(minimalJob('web', { Type: 'batch' })),
    await c.req('PUT', '/v1/jobs', '{"Job": {'),
    await c.req('PUT', '/v1/jobs', ''),
    await c.register(minimalJob('other', { Namespace: 'nope' })),
  ];
  for (const f of failures) t.ok(f.status >= 400, `rejected with ${f.status}: ${f.body.split('\n')[0]}`);
  t.equal(c.mock.store.index, idx, 'no index consumed');
  t.equal(JSON.stringify([...c.mock.store.jobs.values()]), snapshot, 'jobs untouched');
  t.equal((await c.get('/v1/job/other')).status, 404);
});
