// Register applies Nomad's defaults and validation (state-semantics §2–3, http-semantics §5.4–5.6),
// observed over HTTP as a client would: the stored job and the error and warning texts.
import t from 'tap';
import { client, minimalJob } from './helpers.js';

const S = 1e9;
const MIN = 60 * S;
const H = 60 * MIN;

t.test('a minimal service job is stored with Nomad defaults', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const job = (await c.get('/v1/job/web')).json;
  t.match(job, {
    Region: 'global',
    Namespace: 'default',
    Name: 'web',
    Type: 'service',
    Priority: 50,
    Datacenters: ['*'],
    NodePool: 'default',
    Constraints: null,
    Meta: null,
    Update: { Stagger: 30 * S, MaxParallel: 1, HealthCheck: '', MinHealthyTime: 0, Canary: 0 },
    Payload: null,
    Periodic: null,
    StatusDescription: '',
  });
  const tg = job.TaskGroups[0];
  t.same(tg.Update, {
    Stagger: 30 * S,
    MaxParallel: 1,
    HealthCheck: 'checks',
    MinHealthyTime: 10 * S,
    HealthyDeadline: 5 * MIN,
    ProgressDeadline: 10 * MIN,
    AutoRevert: false,
    AutoPromote: false,
    Canary: 0,
  });
  t.same(tg.RestartPolicy, { Attempts: 2, Interval: 30 * MIN, Delay: 15 * S, Mode: 'fail', RenderTemplates: false });
  t.same(tg.ReschedulePolicy, { Attempts: 0, Interval: 0, Delay: 30 * S, DelayFunction: 'exponential', MaxDelay: H, Unlimited: true });
  t.same(tg.Migrate, { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * S, HealthyDeadline: 5 * MIN });
  t.same(tg.EphemeralDisk, { Sticky: false, SizeMB: 300, Migrate: false });
  t.equal(tg.Count, 1);
  const task = tg.Tasks[0];
  t.same(task.Resources, {
    CPU: 100, Cores: 0, MemoryMB: 300, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null, NUMA: null, SecretsMB: 0,
  });
  t.equal(task.KillTimeout, 5 * S);
  t.same(task.LogConfig, { MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false });
  t.same(task.RestartPolicy, tg.RestartPolicy, 'tasks inherit the group restart policy');
  t.match(task.Identity, { Name: 'default', Audience: ['nomadproject.io'] });
  t.same(Object.keys(job), [
    'Stop', 'Region', 'Namespace', 'ID', 'ParentID', 'Name', 'Type', 'Priority', 'AllAtOnce', 'Datacenters', 'NodePool',
    'Constraints', 'Affinities', 'Spreads', 'TaskGroups', 'Update', 'Multiregion', 'Periodic', 'ParameterizedJob',
    'Dispatched', 'DispatchIdempotencyToken', 'Payload', 'Meta', 'ConsulNamespace', 'VaultNamespace', 'NomadTokenID',
    'Status', 'StatusDescription', 'Stable', 'Version', 'SubmitTime', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex',
    'UI', 'VersionTag',
  ], 'the server Job fields in declaration order');
});

t.test('batch, system and sysbatch groups get their own defaults', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('b', { Type: 'batch' }));
  await c.register(minimalJob('s', { Type: 'system' }));
  await c.register(minimalJob('sb', { Type: 'sysbatch' }));
  const b = (await c.get('/v1/job/b')).json;
  t.same(b.TaskGroups[0].RestartPolicy, { Attempts: 3, Interval: 24 * H, Delay: 15 * S, Mode: 'fail', RenderTemplates: false });
  t.same(b.TaskGroups[0].ReschedulePolicy, { Attempts: 1, Interval: 24 * H, Delay: 5 * S, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false });
  t.equal(b.TaskGroups[0].Update, null);
  t.equal(b.TaskGroups[0].Migrate, null);
  t.same(b.Update, { Stagger: 0, MaxParallel: 0, HealthCheck: '', MinHealthyTime: 0, HealthyDeadline: 0, ProgressDeadline: 0, AutoRevert: false, AutoPromote: false, Canary: 0 });
  const s = (await c.get('/v1/job/s')).json;
  t.equal(s.TaskGroups[0].ReschedulePolicy, null);
  t.equal(s.TaskGroups[0].Update.MaxParallel, 1);
  t.equal(s.Status, 'running', 'system jobs run from registration');
  const sb = (await c.get('/v1/job/sb')).json;
  t.equal(sb.TaskGroups[0].ReschedulePolicy, null);
  t.equal(sb.TaskGroups[0].Update, null);
  t.equal(sb.TaskGroups[0].RestartPolicy.Attempts, 3);
});

t.test('the job-level update block is merged into each group', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const job = minimalJob('web', { Update: { MaxParallel: 3, MinHealthyTime: 5 * S } });
  job.TaskGroups[0].Update = { Canary: 1 };
  await c.register(job);
  const stored = (await c.get('/v1/job/web')).json;
  t.match(stored.TaskGroups[0].Update, { MaxParallel: 3, MinHealthyTime: 5 * S, Canary: 1, HealthyDeadline: 5 * MIN });
  t.match(stored.Update, { MaxParallel: 3, Stagger: 30 * S });
});

t.test('validation errors come back as a 500 with the nested multierror text', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.register({ ID: 'web', TaskGroups: [{ Name: 'web', Count: -1, Tasks: [{ Name: 'web' }] }] });
  t.equal(res.status, 500);
  t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(
    res.body,
    '1 error occurred:\n\t* Task group web validation failed: 2 errors occurred:\n\t* Task group count can\'t be negative\n\t* Task web validation failed: 1 error occurred:\n\t* Missing task driver\n\n\n\n\n\n',
  );
});

t.test('job-level validation messages', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const cases: [object, string][] = [
    [{ ID: 'a b', TaskGroups: minimalJob('x').TaskGroups }, 'Job ID contains a space'],
    [{ ID: 'x', Type: 'daemon', TaskGroups: minimalJob('x').TaskGroups }, 'Invalid job type: "daemon"'],
    [{ ID: 'x' }, 'Missing job task groups'],
    [{ ID: 'x', Datacenters: [''], TaskGroups: minimalJob('x').TaskGroups }, 'Job datacenter must be non-empty string'],
    [{ ID: 'x', Priority: 101, TaskGroups: minimalJob('x').TaskGroups }, 'job priority must be between [1, 100]'],
    [{ ID: 'x', NodePool: 'gpu', TaskGroups: minimalJob('x').TaskGroups }, 'job "x" is in nonexistent node pool "gpu"'],
    [{ ...minimalJob('x'), Type: 'service', Periodic: { Specs: ['@daily'] } }, 'Periodic can only be used with "batch" or "sysbatch" scheduler'],
    [{ ...minimalJob('x'), Type: 'system', TaskGroups: [{ ...minimalJob('x').TaskGroups[0], Count: 2 }] }, 'Job task group web has count 2. Count cannot exceed 1 with system scheduler'],
  ];
  for (const [job, text] of cases) {
    const res = await c.register(job as never);
    t.equal(res.status, 500, text);
    t.ok(res.body.includes(`\t* ${text}`), `${text} in: ${JSON.stringify(res.body)}`);
  }
  const dup = await c.register({ ID: 'x', TaskGroups: [minimalJob('x').TaskGroups[0], minimalJob('x').TaskGroups[0]] });
  t.ok(dup.body.includes("Job task group 2 redefines 'web' from group 1"));
});

t.test('validate reports errors and warnings without writing anything', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const before = c.mock.store.index;
  const ok = await c.put('/v1/validate/job', { Job: minimalJob('web') });
  t.same(ok.json, { DriverConfigValidated: true, ValidationErrors: null, Error: '', Warnings: '' });
  t.equal(ok.headers['x-nomad-index'], undefined, 'no index header');
  const bad = await c.post('/v1/validate/job', { Job: { ID: 'web', Namespace: 'nope', TaskGroups: [{ Name: 'web', Count: -1, Tasks: [{ Name: 'web' }] }] } });
  t.equal(bad.status, 200);
  t.same(bad.json.ValidationErrors, [
    'job "web" is in nonexistent namespace "nope"',
    "Task group web validation failed: 2 errors occurred:\n\t* Task group count can't be negative\n\t* Task web validation failed: 1 error occurred:\n\t* Missing task driver\n\n\n\n",
  ]);
  t.ok(bad.json.Error.startsWith('2 errors occurred:\n\t* job "web" is in nonexistent namespace "nope"\n'));
  const warn = await c.put('/v1/validate/job', { Job: minimalJob('cron', { Type: 'batch', Periodic: { Spec: '*/5 * * * *' } }) });
  t.equal(warn.json.Warnings, '1 warning:\n\n* cron is deprecated and may be removed in a future release. Use crons instead');
  t.equal((await c.put('/v1/validate/job', {})).body, 'Job must be specified');
  t.equal((await c.get('/v1/validate/job')).status, 405);
  t.equal(c.mock.store.index, before);
});

t.test('register returns warnings in Nomad format', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.register(minimalJob('cron', { Type: 'batch', Periodic: { Spec: '*/5 * * * *' } }));
  t.equal(res.status, 200);
  t.equal(res.json.Warnings, '1 warning:\n\n* cron is deprecated and may be removed in a future release. Use crons instead');
});

t.test('request bodies decode like Go: type errors and malformed JSON', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const cases: [string, string][] = [
    ['{"Job":{"ID":"x","Priority":"high"}}', 'json: cannot unmarshal string into Go struct field Job.Job.Priority of type int'],
    ['{"Job":{"ID":"x","TaskGroups":[{"Name":"g","Count":1.5}]}}', 'json: cannot unmarshal number 1.5 into Go struct field TaskGroup.Job.TaskGroups.Count of type int'],
    ['{"Job":{"ID":"x","TaskGroups":[{"Name":"g","Tasks":[{"Name":"t","KillTimeout":"30s"}]}]}}', 'json: cannot unmarshal string into Go struct field Task.Job.TaskGroups.Tasks.KillTimeout of type time.Duration'],
    ['{"Job":"x"}', 'json: cannot unmarshal string into Go struct field JobRegisterRequest.Job of type api.Job'],
    ['[1]', 'json: cannot unmarshal array into Go value of type api.JobRegisterRequest'],
    ['{"Job": x}', "invalid character 'x' looking for beginning of value"],
    ['{"Job" 1}', "invalid character '1' after object key"],
    ['{"Job": {} ]', "invalid character ']' after object key:value pair"],
    ['{"Job": tru}', "invalid character '}' in literal true (expecting 'e')"],
    ['{"Job": {', 'unexpected EOF'],
    ['   ', 'EOF'],
  ];
  for (const [body, text] of cases) {
    const res = await c.req('PUT', '/v1/jobs', body);
    t.equal(res.status, 400, body);
    t.equal(res.body, text, body);
  }
  const trailing = await c.req('PUT', '/v1/jobs', `${JSON.stringify({ Job: minimalJob('x') })} trailing garbage`);
  t.equal(trailing.status, 200, 'bytes after the first JSON value are ignored');
});
