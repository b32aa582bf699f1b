// The realistic job fixtures in fixtures/jobs (`nomad job run -output` shape) registered over HTTP:
// what the server stores, lists, validates and summarises for each of them
// (state-semantics §2, §5, §6; http-semantics §6.2, §6.12, §6.13, §8.1).
import t, { type Test } from 'tap';
import { client, fixture, index, type Client } from './helpers.js';

const S = 1e9;
const MIN = 60 * S;
const H = 60 * MIN;

interface Case {
  file: string;
  id: string;
  type: string;
  /** state-semantics §5.1: system, periodic and parameterized parents are `running` from registration. */
  status: 'pending' | 'running';
  groups: string[];
  priority: number;
  datacenters: string[];
  periodic: boolean;
  parameterized: boolean;
}

const CASES: Case[] = [
  { file: 'service-web', id: 'web', type: 'service', status: 'pending', groups: ['frontend'], priority: 50, datacenters: ['dc1'], periodic: false, parameterized: false },
  { file: 'batch-report', id: 'report', type: 'batch', status: 'pending', groups: ['report'], priority: 50, datacenters: ['dc1'], periodic: false, parameterized: false },
  { file: 'system-agent', id: 'node-agent', type: 'system', status: 'running', groups: ['agent'], priority: 80, datacenters: ['dc1'], periodic: false, parameterized: false },
  { file: 'sysbatch-cleanup', id: 'log-cleanup', type: 'sysbatch', status: 'pending', groups: ['cleanup'], priority: 50, datacenters: ['dc1'], periodic: false, parameterized: false },
  { file: 'periodic-cron', id: 'nightly-backup', type: 'batch', status: 'running', groups: ['backup'], priority: 50, datacenters: ['dc1'], periodic: true, parameterized: false },
  { file: 'parameterized-dispatch', id: 'video-encode', type: 'batch', status: 'running', groups: ['encode'], priority: 50, datacenters: ['dc1'], periodic: false, parameterized: true },
  { file: 'service-minimal', id: 'whoami', type: 'service', status: 'pending', groups: ['whoami'], priority: 50, datacenters: ['*'], periodic: false, parameterized: false },
];

/** Warnings Nomad attaches to register/validate of a fixture (http-semantics §5.6). */
const WARNINGS: Record<string, string> = {
  'service-web': '1 warning:\n\n* group "frontend" defines services, but neither the group nor any of its tasks have shutdown_delay set',
};

const NO_JOB_UPDATE = { Stagger: 0, MaxParallel: 0, HealthCheck: '', MinHealthyTime: 0, HealthyDeadline: 0, ProgressDeadline: 0, AutoRevert: false, AutoPromote: false, Canary: 0 };
const DEFAULT_JOB_UPDATE = { ...NO_JOB_UPDATE, Stagger: 30 * S, MaxParallel: 1 };
const BATCH_RESTART = { Attempts: 3, Interval: 24 * H, Delay: 15 * S, Mode: 'fail', RenderTemplates: false };
const BATCH_RESCHEDULE = { Attempts: 1, Interval: 24 * H, Delay: 5 * S, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function registered(t: Test, file: string): Promise<{ c: Client; job: any }> {
  const c = await client();
  t.teardown(c.close);
  const res = await c.register(fixture(file));
  t.equal(res.status, 200, res.status === 200 ? `${file} registers` : res.body);
  const id = fixture(file).ID as string;
  const job = (await c.get(`/v1/job/${encodeURIComponent(id)}`)).json;
  return { c, job };
}

t.test('every fixture registers, answering with an eval unless it is a periodic or parameterized parent', async (t) => {
  for (const k of CASES) {
    t.test(k.file, async (t) => {
      const c = await client();
      t.teardown(c.close);
      const res = await c.register(fixture(k.file));
      t.equal(res.status, 200, res.status === 200 ? 'registers' : res.body);
      t.equal(index(res), res.json.Index, 'X-Nomad-Index is the write index');
      t.equal(res.json.JobModifyIndex, res.json.Index, 'a new job is written at the response index');
      if (k.periodic || k.parameterized) {
        // http-semantics §6.2: periodic/parameterized parents get no eval.
        t.equal(res.json.EvalID, '', 'no eval for a periodic/parameterized parent');
        t.equal(res.json.EvalCreateIndex, 0, 'EvalCreateIndex 0');
      } else {
        t.match(res.json.EvalID, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'EvalID is a UUID');
        t.equal(res.json.EvalCreateIndex, res.json.Index, 'job and eval are one raft write');
        const ev = (await c.get(`/v1/evaluation/${res.json.EvalID}`)).json;
        t.match(ev, { JobID: k.id, Type: k.type, TriggeredBy: 'job-register', Status: 'pending', Priority: k.priority }, 'a pending job-register eval');
      }
      if (WARNINGS[k.file] === undefined) t.equal(res.json.Warnings, '', 'no warnings');
    });
  }
});

t.test('every fixture is stored with its type, Nomad status and the job-level defaults', async (t) => {
  for (const k of CASES) {
    t.test(k.file, async (t) => {
      const { job } = await registered(t, k.file);
      t.match(job, {
        ID: k.id,
        Name: k.id,
        ParentID: '',
        Type: k.type,
        Status: k.status,
        StatusDescription: '',
        Region: 'global',
        Namespace: 'default',
        Priority: k.priority,
        NodePool: 'default',
        Datacenters: k.datacenters,
        AllAtOnce: false,
        Stop: false,
        Stable: false,
        Version: 0,
        Dispatched: false,
        Payload: null,
      }, `${k.id} stored as a ${k.status} ${k.type} job with Nomad's job-level defaults`);
      t.same(job.Datacenters, k.datacenters, 'datacenters');
      t.same(
        job.TaskGroups.map((g: any) => g.Name),
        k.groups,
        'task groups kept in order',
      );
      t.equal(job.CreateIndex, job.JobModifyIndex, 'created and spec-written at the same index');
      t.ok(job.SubmitTime > 0, 'SubmitTime set');
      t.equal(job.Periodic !== null, k.periodic, 'Periodic block only on the periodic fixture');
      t.equal(job.ParameterizedJob !== null, k.parameterized, 'ParameterizedJob block only on the parameterized fixture');
      for (const g of job.TaskGroups) {
        t.same(g.EphemeralDisk, { Sticky: false, SizeMB: 300, Migrate: false }, `${g.Name}: default ephemeral disk`);
        for (const task of g.Tasks) {
          t.equal(task.KillTimeout, 5 * S, `${task.Name}: default kill timeout`);
          t.same(task.LogConfig, { MaxFiles: 10, MaxFileSizeMB: 10, Disabled: false }, `${task.Name}: default log config`);
          t.same(task.RestartPolicy, g.RestartPolicy, `${task.Name}: inherits the group restart policy`);
          t.match(task.Identity, { Name: 'default', Audience: ['nomadproject.io'] }, `${task.Name}: default identity`);
        }
      }
    });
  }
});

t.test('service-web keeps count, network, service check, resources and merges its update block into the group', async (t) => {
  const { job } = await registered(t, 'service-web');
  const tg = job.TaskGroups[0];
  t.equal(tg.Count, 2);
  t.same(job.Meta, { team: 'frontend', tier: 'web' });
  t.same(job.Update, DEFAULT_JOB_UPDATE, 'the job-level update keeps only Stagger and MaxParallel (state-semantics §2.1)');
  t.same(tg.Update, {
    Stagger: 30 * S,
    MaxParallel: 1,
    HealthCheck: 'checks',
    MinHealthyTime: 10 * S,
    HealthyDeadline: 5 * MIN,
    ProgressDeadline: 10 * MIN,
    AutoRevert: true,
    AutoPromote: false,
    Canary: 0,
  });
  t.same(tg.RestartPolicy, { Attempts: 2, Interval: 30 * MIN, Delay: 15 * S, Mode: 'fail', RenderTemplates: false });
  t.same(tg.ReschedulePolicy, { Attempts: 0, Interval: 0, Delay: 30 * S, DelayFunction: 'exponential', MaxDelay: H, Unlimited: true });
  t.same(tg.Migrate, { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * S, HealthyDeadline: 5 * MIN });
  t.equal(tg.Networks.length, 1);
  t.match(tg.Networks[0], { Mode: 'host' });
  t.same(tg.Networks[0].DynamicPorts, [{ Label: 'http', To: 8080 }], 'Port is an omitempty struct: unset Value/HostNetwork dropped');
  t.equal(tg.Services.length, 1);
  t.match(tg.Services[0], { Name: 'web', PortLabel: 'http', Provider: 'nomad', Tags: ['frontend', 'http'], AddressMode: 'auto', OnUpdate: 'require_healthy' });
  t.equal(tg.Services[0].Checks.length, 1);
  t.match(tg.Services[0].Checks[0], { Name: 'web-http', Type: 'http', Path: '/healthz', Interval: 10 * S, Timeout: 2 * S, OnUpdate: 'require_healthy' });
  const task = tg.Tasks[0];
  t.match(task, { Name: 'server', Driver: 'docker', Env: { LISTEN_ADDR: ':8080' } });
  t.same(task.Config, { image: 'ghcr.io/example/web:1.4.2', ports: ['http'] });
  t.match(task.Resources, { CPU: 200, MemoryMB: 256, Cores: 0, MemoryMaxMB: 0, DiskMB: 0 });
});

t.test('service-web gets the implied constraints for Nomad-native services with checks', async (t) => {
  const { job } = await registered(t, 'service-web');
  const constraints = job.TaskGroups[0].Constraints ?? [];
  const has = (c: object) => constraints.some((x: any) => JSON.stringify(x) === JSON.stringify(c));
  // state-semantics §2.3: Nomad services add `${attr.nomad.service_discovery} = true`, and with
  // checks also `${attr.nomad.version} semver >= 1.4.0` (job_endpoint_hooks.go).
  t.ok(has({ LTarget: '${attr.nomad.service_discovery}', RTarget: 'true', Operand: '=' }), 'service discovery constraint');
  // KNOWN SERVER BUG: state/jobspec/canonicalize.ts impliedConstraints() never adds the
  // nativeServiceDiscoveryChecksConstraint for groups whose Nomad services define checks.
  t.ok(has({ LTarget: '${attr.nomad.version}', RTarget: '>= 1.4.0', Operand: 'semver' }), 'nomad version constraint for checks', {
    todo: 'server omits the checks constraint (canonicalize.ts impliedConstraints)',
  });
});

t.test('batch-report keeps its batch restart and reschedule policies and has no update or migrate block', async (t) => {
  const { job } = await registered(t, 'batch-report');
  const tg = job.TaskGroups[0];
  t.equal(tg.Count, 1);
  t.same(tg.RestartPolicy, { Attempts: 1, Interval: 24 * H, Delay: 15 * S, Mode: 'fail', RenderTemplates: false });
  t.same(tg.Tasks[0].RestartPolicy, tg.RestartPolicy);
  t.same(tg.ReschedulePolicy, { Attempts: 2, Interval: 24 * H, Delay: 30 * S, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false }, 'unset MaxDelay takes the batch default 0');
  t.equal(tg.Update, null);
  t.equal(tg.Migrate, null);
  t.same(job.Update, NO_JOB_UPDATE, 'batch jobs store an all-zero job-level update');
  t.same(job.Meta, { owner: 'analytics' });
  t.match(tg.Tasks[0], { Name: 'generate', Driver: 'docker', Config: { image: 'python:3.12-slim', command: 'python' } });
  t.match(tg.Tasks[0].Resources, { CPU: 500, MemoryMB: 512 });
});

t.test('system-agent keeps its priority and static port, gets count 1, service-style update and no reschedule policy', async (t) => {
  const { job } = await registered(t, 'system-agent');
  const tg = job.TaskGroups[0];
  t.equal(job.Priority, 80);
  t.equal(tg.Count, 1, 'count defaults to 1');
  t.equal(tg.ReschedulePolicy, null);
  t.equal(tg.Migrate, null);
  t.same(job.Update, DEFAULT_JOB_UPDATE);
  t.same(tg.Update, {
    Stagger: 30 * S, MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * S, HealthyDeadline: 5 * MIN,
    ProgressDeadline: 10 * MIN, AutoRevert: false, AutoPromote: false, Canary: 0,
  });
  t.same(tg.RestartPolicy, { Attempts: 2, Interval: 30 * MIN, Delay: 15 * S, Mode: 'fail', RenderTemplates: false });
  t.same(tg.Networks[0].ReservedPorts, [{ Label: 'metrics', Value: 9100 }]);
  t.match(tg.Tasks[0].Resources, { CPU: 100, MemoryMB: 64 });
  t.same(tg.Tasks[0].Config, { image: 'prom/node-exporter:v1.8.2', network_mode: 'host', ports: ['metrics'] });
});

t.test('sysbatch-cleanup gets batch restart defaults and neither update, reschedule nor migrate', async (t) => {
  const { job } = await registered(t, 'sysbatch-cleanup');
  const tg = job.TaskGroups[0];
  t.equal(tg.Count, 1);
  t.same(tg.RestartPolicy, BATCH_RESTART);
  t.equal(tg.Update, null);
  t.equal(tg.ReschedulePolicy, null);
  t.equal(tg.Migrate, null);
  t.same(job.Update, NO_JOB_UPDATE);
  t.match(tg.Tasks[0], { Name: 'prune', Driver: 'exec', Config: { command: '/usr/bin/find' } });
  t.match(tg.Tasks[0].Resources, { CPU: 100, MemoryMB: 64 });
});

t.test('periodic-cron keeps its cron specs and overlap policy', async (t) => {
  const { job } = await registered(t, 'periodic-cron');
  t.same(job.Periodic, { Enabled: true, Spec: '', Specs: ['0 2 * * *'], SpecType: 'cron', ProhibitOverlap: true, TimeZone: 'UTC' });
  t.equal(job.ParameterizedJob, null);
  const tg = job.TaskGroups[0];
  t.same(tg.RestartPolicy, BATCH_RESTART);
  t.same(tg.ReschedulePolicy, BATCH_RESCHEDULE);
  t.match(tg.Tasks[0], { Name: 'pg-dump', Env: { PGCONNECT_TIMEOUT: '10' } });
  t.match(tg.Tasks[0].Resources, { CPU: 300, MemoryMB: 512 });
});

t.test('parameterized-dispatch keeps its payload and meta requirements and the dispatch payload file', async (t) => {
  const { job } = await registered(t, 'parameterized-dispatch');
  t.same(job.ParameterizedJob, { Payload: 'required', MetaRequired: ['input'], MetaOptional: ['profile'] });
  t.equal(job.Periodic, null);
  const task = job.TaskGroups[0].Tasks[0];
  t.same(task.DispatchPayload, { File: 'encode-request.json' });
  t.match(task.Resources, { CPU: 2000, MemoryMB: 2048 });
  t.same(job.TaskGroups[0].ReschedulePolicy, BATCH_RESCHEDULE);
});

t.test('service-minimal is filled in with every service default', async (t) => {
  const { job } = await registered(t, 'service-minimal');
  t.match(job, { Type: 'service', Name: 'whoami', Datacenters: ['*'], Meta: null, Constraints: null });
  t.same(job.Update, DEFAULT_JOB_UPDATE);
  const tg = job.TaskGroups[0];
  t.equal(tg.Count, 1);
  t.match(tg.Update, { MaxParallel: 1, HealthCheck: 'checks', MinHealthyTime: 10 * S, HealthyDeadline: 5 * MIN, AutoRevert: false });
  t.same(tg.Tasks[0].Resources, {
    CPU: 100, Cores: 0, MemoryMB: 300, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null, NUMA: null, SecretsMB: 0,
  });
  t.equal(tg.Constraints, null, 'a plain docker task gets no implied constraints');
});

t.test('validate accepts every fixture without errors', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const k of CASES) {
    const res = await c.post('/v1/validate/job', { Job: fixture(k.file) });
    t.equal(res.status, 200, k.file);
    t.match(res.json, { DriverConfigValidated: true, ValidationErrors: null, Error: '' }, `${k.file} is valid`);
    if (WARNINGS[k.file] === undefined) t.equal(res.json.Warnings, '', `${k.file}: no warnings`);
  }
  t.equal(c.mock.store.jobs.size, 0, 'validate writes nothing');
});

t.test('a group with services and no shutdown_delay draws the shutdown_delay warning', async (t) => {
  const c = await client();
  t.teardown(c.close);
  // KNOWN SERVER BUG: state/jobspec/validate.ts jobWarnings() only emits the cron and auto_promote
  // warnings; http-semantics §5.6 / state-semantics §3 list the shutdown_delay warnings too.
  const todo = 'server does not emit the shutdown_delay warning (validate.ts jobWarnings)';
  const v = await c.post('/v1/validate/job', { Job: fixture('service-web') });
  t.equal(v.json.Warnings, WARNINGS['service-web'], 'validate warns', { todo });
  const r = await c.register(fixture('service-web'));
  t.equal(r.status, 200, 'a warning does not stop the registration');
  t.equal(r.json.Warnings, WARNINGS['service-web'], 'register warns', { todo });
});

t.test('the job list shows every fixture with its stub fields', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const k of CASES) t.equal((await c.register(fixture(k.file))).status, 200, k.file);
  const res = await c.get('/v1/jobs');
  t.equal(res.status, 200);
  const stubs: any[] = res.json;
  t.same(
    stubs.map((s) => s.ID),
    CASES.map((k) => k.id).sort(),
    'every fixture, ordered by ID',
  );
  for (const k of CASES) {
    const stub = stubs.find((s) => s.ID === k.id);
    t.same(
      Object.keys(stub),
      [
        'ID', 'ParentID', 'Name', 'Namespace', 'Datacenters', 'NodePool', 'Multiregion', 'Type', 'Priority', 'Periodic',
        'ParameterizedJob', 'Stop', 'Status', 'StatusDescription', 'JobSummary', 'CreateIndex', 'ModifyIndex',
        'JobModifyIndex', 'SubmitTime', 'Meta',
      ],
      `${k.id}: JobListStub fields in declaration order`,
    );
    t.match(
      stub,
      {
        ParentID: '',
        Name: k.id,
        Namespace: 'default',
        Datacenters: k.datacenters,
        NodePool: 'default',
        Multiregion: null,
        Type: k.type,
        Priority: k.priority,
        Periodic: k.periodic,
        ParameterizedJob: k.parameterized,
        Stop: false,
        Status: k.status,
        StatusDescription: '',
        Meta: null,
      },
      `${k.id} stub`,
    );
    t.same(Object.keys(stub.JobSummary.Summary), k.groups, `${k.id}: stub carries the job summary`);
    const job = (await c.get(`/v1/job/${k.id}`)).json;
    t.match(stub, { CreateIndex: job.CreateIndex, ModifyIndex: job.ModifyIndex, JobModifyIndex: job.JobModifyIndex, SubmitTime: job.SubmitTime });
  }
  const withMeta = (await c.get('/v1/jobs?meta=true')).json as any[];
  t.same(withMeta.find((s) => s.ID === 'web').Meta, { team: 'frontend', tier: 'web' }, 'meta=true fills Meta');
});

t.test('each fixture has a zeroed summary row per task group', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const k of CASES) {
    t.equal((await c.register(fixture(k.file))).status, 200, k.file);
    const res = await c.get(`/v1/job/${k.id}/summary`);
    t.equal(res.status, 200, `${k.id} summary`);
    const zero = { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0, Unknown: 0 };
    t.same(res.json.Summary, Object.fromEntries(k.groups.map((g) => [g, zero])), `${k.id}: one row per group`);
    t.same(res.json.Children, { Pending: 0, Running: 0, Dead: 0 }, `${k.id}: Children is a zero object`);
    t.match(res.json, { JobID: k.id, Namespace: 'default' });
    const job = (await c.get(`/v1/job/${k.id}`)).json;
    t.equal(res.json.CreateIndex, job.CreateIndex, `${k.id}: summary created with the job`);
  }
});
