// Versions, revert, stable and submissions (state-semantics §4).
import t from 'tap';
import { client, index, minimalJob } from './helpers.js';

t.test('versions are listed newest first and only six untagged ones are kept', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (let v = 0; v < 8; v++) await c.register(minimalJob('web', { Meta: { v: String(v) } }));
  const res = await c.get('/v1/job/web/versions');
  t.equal(res.status, 200);
  t.same(res.json.Versions.map((j: { Version: number }) => j.Version), [7, 6, 5, 4, 3, 2]);
  t.equal(res.json.Diffs, null);
  t.same(Object.keys(res.json), ['Versions', 'Diffs', 'Index', 'LastContact', 'KnownLeader', 'NextToken']);
  t.equal(index(res), res.json.Versions[0].ModifyIndex);
  t.equal((await c.get('/v1/job/nope/versions')).body, 'job versions not found');
});

t.test('versions with diffs=true carry one diff per neighbouring pair', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.register(minimalJob('web', { Priority: 70 }));
  await c.register(minimalJob('web', { Priority: 80 }));
  const res = await c.get('/v1/job/web/versions?diffs=true');
  t.equal(res.json.Diffs.length, 2);
  t.equal(res.json.Diffs[0].Type, 'Edited');
  const prio = res.json.Diffs[0].Fields.find((f: { Name: string }) => f.Name === 'Priority');
  t.match(prio, { Type: 'Edited', Old: '70', New: '80' });
  const target = await c.get('/v1/job/web/versions?diffs=true&diff_version=0');
  t.equal(target.json.Diffs.length, 3, 'one diff per version against the target');
  const bad = await c.get('/v1/job/web/versions?diffs=true&diff_version=9');
  t.equal(bad.status, 500);
  t.equal(bad.body, 'version 9 not found');
  const badTag = await c.get('/v1/job/web/versions?diffs=true&diff_tag=nope');
  t.equal(badTag.body, 'tag "nope" not found');
  const badParse = await c.get('/v1/job/web/versions?diffs=maybe');
  t.equal(badParse.status, 500);
  t.equal(badParse.body, 'Failed to parse value of "diffs" (maybe) as a bool: strconv.ParseBool: parsing "maybe": invalid syntax');
});

t.test('revert re-registers an old version as a new one', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web', { Meta: { v: 'a' } }));
  await c.register(minimalJob('web', { Meta: { v: 'b' } }));
  const res = await c.put('/v1/job/web/revert', { JobID: 'web', JobVersion: 0 });
  t.equal(res.status, 200);
  t.match(res.json, { JobModifyIndex: res.json.Index, EvalCreateIndex: res.json.Index, KnownLeader: false });
  t.equal(res.headers['x-nomad-knownleader'], 'false');
  const job = (await c.get('/v1/job/web')).json;
  t.match(job, { Version: 2, Meta: { v: 'a' }, Stable: false });
  const ev = (await c.get(`/v1/evaluation/${res.json.EvalID}`)).json;
  t.equal(ev.TriggeredBy, 'job-register');
});

t.test('register and revert stamp the job and its eval with one reading of the clock, as Job.Register does', async (t) => {
  const c = await client();
  t.teardown(c.close);
  // A wall clock that moves a millisecond at every reading: two readings in one write would differ.
  const realNow = Date.now;
  let fake = realNow();
  Date.now = () => (fake += 1);
  t.teardown(() => {
    Date.now = realNow;
  });
  const stamped = async (res: { json: { EvalID: string } }): Promise<void> => {
    const job = (await c.get('/v1/job/web')).json;
    const ev = (await c.get(`/v1/evaluation/${res.json.EvalID}`)).json;
    t.equal(ev.CreateTime, job.SubmitTime, 'eval CreateTime is the job SubmitTime');
    t.equal(ev.ModifyTime, job.SubmitTime, 'eval ModifyTime is the job SubmitTime');
  };
  await stamped(await c.put('/v1/jobs', { Job: minimalJob('web', { Meta: { v: 'a' } }) }));
  await stamped(await c.put('/v1/jobs', { Job: minimalJob('web', { Meta: { v: 'b' } }) }));
  await stamped(await c.put('/v1/job/web/revert', { JobID: 'web', JobVersion: 0 }));
  const versions = (await c.get('/v1/job/web/versions')).json.Versions as { SubmitTime: number }[];
  t.equal(new Set(versions.map((v) => v.SubmitTime)).size, 3, 'the clock did move between the writes');
});

t.test('revert errors are Nomad\'s', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web', { Meta: { v: 'a' } }));
  await c.register(minimalJob('web', { Meta: { v: 'b' } }));
  const cases: [unknown, number, string][] = [
    [{ JobVersion: 0 }, 400, 'JobID must be specified'],
    [{ JobID: 'other', JobVersion: 0 }, 400, 'Job ID does not match'],
    [{ JobID: 'web', JobVersion: 1 }, 500, "can't revert to current version"],
    [{ JobID: 'web', JobVersion: 7 }, 500, 'job "web" in namespace "default" at version 7 not found'],
    [{ JobID: 'web', JobVersion: 0, EnforcePriorVersion: 0 }, 500, 'Current job has version 1; enforcing version 0'],
  ];
  for (const [body, status, text] of cases) {
    const res = await c.put('/v1/job/web/revert', body);
    t.equal(res.status, status, text);
    t.equal(res.body, text);
  }
  const missing = await c.put('/v1/job/ghost/revert', { JobID: 'ghost', JobVersion: 0 });
  t.equal(missing.body, 'job "ghost" not found');
  const ok = await c.put('/v1/job/web/revert', { JobID: 'web', JobVersion: 0, EnforcePriorVersion: 1 });
  t.equal(ok.status, 200, 'EnforcePriorVersion matching the current version is accepted');
});

t.test('stable marks a version; an unchanged flag still spends an index', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const before = (await c.get('/v1/job/web')).json;
  const res = await c.put('/v1/job/web/stable', { JobID: 'web', JobVersion: 0, Stable: true });
  t.equal(res.status, 200);
  t.same(Object.keys(res.json), ['Index'], 'only Index is sent');
  t.equal(res.headers['x-nomad-knownleader'], undefined);
  const after = (await c.get('/v1/job/web')).json;
  t.match(after, { Stable: true, ModifyIndex: res.json.Index, JobModifyIndex: before.JobModifyIndex, Version: 0 });
  const again = await c.put('/v1/job/web/stable', { JobID: 'web', JobVersion: 0, Stable: true });
  t.equal(again.json.Index, res.json.Index + 1);
  t.equal((await c.get('/v1/job/web')).json.ModifyIndex, res.json.Index, 'nothing rewritten');
  const missing = await c.put('/v1/job/web/stable', { JobID: 'web', JobVersion: 3, Stable: true });
  t.equal(missing.status, 500);
  t.equal(missing.body, 'job "web" in namespace "default" at version 3 not found');
  t.equal((await c.put('/v1/job/web/stable', { JobVersion: 0 })).body, 'JobID must be specified');
});

t.test('submissions are stored per version and carried forward by stop', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const source = 'job "web" {}';
  const reg = await c.register(minimalJob('web'), { Submission: { Source: source, Format: 'hcl2', Variables: 'x = 1' } });
  const res = await c.get('/v1/job/web/submission?version=0');
  t.equal(res.status, 200);
  t.same(res.json, {
    Source: source,
    Format: 'hcl2',
    VariableFlags: null,
    Variables: 'x = 1',
    Namespace: 'default',
    JobID: 'web',
    Version: 0,
    JobModifyIndex: reg.json.JobModifyIndex,
  });
  t.equal(index(res), reg.json.JobModifyIndex);
  await c.del('/v1/job/web');
  const carried = await c.get('/v1/job/web/submission?version=1');
  t.match(carried.json, { Source: source, Version: 1 });
  const none = await c.get('/v1/job/web/submission?version=5');
  t.equal(none.status, 404);
  t.equal(none.body, 'job source not found');
});

t.test('EnforceIndex: 0 for a new job, the current JobModifyIndex for an update', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const created = await c.register(minimalJob('web'), { EnforceIndex: true, JobModifyIndex: 0 });
  t.equal(created.status, 200, 'index 0 creates a new job');
  const exists = await c.register(minimalJob('web'), { EnforceIndex: true, JobModifyIndex: 0 });
  t.equal(exists.status, 500);
  t.equal(exists.body, 'Enforcing job modify index 0: job already exists');
  const jmi = created.json.JobModifyIndex;
  const stale = await c.register(minimalJob('web', { Priority: 60 }), { EnforceIndex: true, JobModifyIndex: jmi + 5 });
  t.equal(stale.body, `Enforcing job modify index ${jmi + 5}: job exists with conflicting job modify index: ${jmi}`);
  const ok = await c.register(minimalJob('web', { Priority: 60 }), { EnforceIndex: true, JobModifyIndex: jmi });
  t.equal(ok.status, 200);
  const missing = await c.register(minimalJob('new'), { EnforceIndex: true, JobModifyIndex: 3 });
  t.equal(missing.body, 'Enforcing job modify index 3: job does not exist');
});

t.test('update rules: type, periodic and parameterized cannot flip', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const res = await c.register(minimalJob('web', { Type: 'batch' }));
  t.equal(res.status, 500);
  t.equal(res.body, 'cannot update job from type "service" to "batch"');
  await c.register(minimalJob('b', { Type: 'batch' }));
  const periodic = await c.register(minimalJob('b', { Type: 'batch', Periodic: { Enabled: true, Specs: ['*/5 * * * *'] } }));
  t.equal(periodic.body, 'cannot update non-periodic job to being periodic');
  const param = await c.register(minimalJob('b', { Type: 'batch', ParameterizedJob: {} }));
  t.equal(param.body, 'cannot update non-parameterized job to being parameterized');
});

t.test('PreserveCounts keeps the running counts of existing groups', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const job = minimalJob('web');
  job.TaskGroups[0].Count = 3;
  await c.register(job);
  const update = minimalJob('web', { Meta: { v: '2' } });
  update.TaskGroups[0].Count = 1;
  await c.register(update, { PreserveCounts: true });
  t.equal((await c.get('/v1/job/web')).json.TaskGroups[0].Count, 3);
});

t.test('periodic and parameterized parents register without an eval and run', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.register(minimalJob('cron', { Type: 'batch', Periodic: { Enabled: true, Specs: ['*/5 * * * *'] } }));
  t.match(res.json, { EvalID: '', EvalCreateIndex: 0 });
  t.equal((await c.get('/v1/job/cron')).json.Status, 'running');
  const again = await c.register(minimalJob('cron', { Type: 'batch', Periodic: { Enabled: true, Specs: ['*/5 * * * *'] } }));
  t.match(again.json, { EvalID: '', EvalCreateIndex: 0, Index: res.json.Index }, 'unchanged parent: no write at all');
  const stop = await c.del('/v1/job/cron');
  t.equal(stop.json.EvalID, '');
  t.equal((await c.get('/v1/job/cron')).json.Status, 'dead');
});
