// GET /v1/jobs (http-semantics §8, §2.1, §2.5, §4; jobs.mdx "List Jobs"; index.mdx "Pagination"):
// stub shape and key order, ordering, prefix, namespaces, reverse, meta, pagination, filter and
// blocking.
//
// Assertions the mock does not meet yet are marked `{ todo }`; the reference wins.
import t from 'tap';
import { client, index, minimalJob, soon, waitFor, type Client } from './helpers.js';

interface Stub {
  ID: string;
  Namespace: string;
  [k: string]: unknown;
}

const ids = (body: Stub[]): string[] => body.map((j) => j.ID);
const keys = (body: Stub[]): string[] => body.map((j) => `${j.Namespace}.${j.ID}`);

async function namespaces(c: Client, ...names: string[]): Promise<void> {
  for (const Name of names) {
    const res = await c.put(`/v1/namespace/${Name}`, { Name });
    if (res.status !== 200) throw new Error(`namespace ${Name}: ${res.status} ${res.body}`);
  }
}

async function registerAll(c: Client, jobs: [string, Record<string, unknown>?][]): Promise<void> {
  for (const [id, overrides] of jobs) {
    const res = await c.register(minimalJob(id, overrides ?? {}));
    if (res.status !== 200) throw new Error(`register ${id}: ${res.status} ${res.body}`);
  }
}

// JobListStub in declaration order (§8.1); Meta last and only populated with meta=true.
const STUB_KEYS = [
  'ID', 'ParentID', 'Name', 'Namespace', 'Datacenters', 'NodePool', 'Multiregion', 'Type', 'Priority',
  'Periodic', 'ParameterizedJob', 'Stop', 'Status', 'StatusDescription', 'JobSummary', 'CreateIndex',
  'ModifyIndex', 'JobModifyIndex', 'SubmitTime',
];

t.test('a pristine list is [] with index 0 (§8.5, §4.1)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.get('/v1/jobs');
  t.equal(res.status, 200);
  t.equal(res.body, '[]');
  t.equal(res.headers['x-nomad-index'], '0');
  t.equal(res.headers['x-nomad-nexttoken'], undefined);
});

t.test('stubs: fields and key order of JobListStub (§8.1, §6.13)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const before = Date.now();
  const reg = await c.register(minimalJob('web', { Meta: { team: 'a' } }));
  const n = reg.json.Index as number;
  const res = await c.get('/v1/jobs');
  t.equal(res.status, 200);
  const [stub] = res.json as Stub[];
  t.same(Object.keys(stub!).filter((k) => k !== 'Meta'), STUB_KEYS, 'declaration order');
  const keyList = Object.keys(stub!);
  if (keyList.includes('Meta')) t.equal(keyList[keyList.length - 1], 'Meta', 'Meta, when present, comes last');
  t.notOk(stub!.Meta, 'Meta is not populated without meta=true (null or absent)');
  t.notOk('Version' in stub!, 'Version is not part of the stub');
  t.match(stub, {
    ID: 'web',
    ParentID: '',
    Name: 'web',
    Namespace: 'default',
    Datacenters: ['*'],
    NodePool: 'default',
    Multiregion: null,
    Type: 'service',
    Priority: 50,
    Periodic: false,
    ParameterizedJob: false,
    Stop: false,
    Status: 'pending',
    StatusDescription: '',
    CreateIndex: n,
    ModifyIndex: n,
    JobModifyIndex: n,
  });
  const submit = stub!.SubmitTime as number;
  t.ok(Number.isInteger(submit), 'SubmitTime is an integer');
  t.ok(submit >= before * 1e6 - 1e9 && submit <= Date.now() * 1e6 + 1e9, 'SubmitTime is unix nanoseconds');

  const summary = stub!.JobSummary as Record<string, unknown>;
  t.same(Object.keys(summary), ['JobID', 'Namespace', 'Summary', 'Children', 'CreateIndex', 'ModifyIndex']);
  t.same(summary, {
    JobID: 'web',
    Namespace: 'default',
    Summary: { web: { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0, Unknown: 0 } },
    Children: { Pending: 0, Running: 0, Dead: 0 },
    CreateIndex: n,
    ModifyIndex: n,
  });
  t.same(summary, (await c.get('/v1/job/web/summary')).json, 'the same object as /summary');
});

t.test('Periodic and ParameterizedJob are booleans on the stub (§8.1, §6.2)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await registerAll(c, [
    ['cron', { Type: 'batch', Periodic: { Enabled: true, Specs: ['*/5 * * * *'] } }],
    ['param', { Type: 'batch', ParameterizedJob: {} }],
    ['batch', { Type: 'batch' }],
  ]);
  const byId = Object.fromEntries(((await c.get('/v1/jobs')).json as Stub[]).map((s) => [s.ID, s]));
  t.match(byId.cron, { Type: 'batch', Periodic: true, ParameterizedJob: false, Status: 'running' });
  t.match(byId.param, { Type: 'batch', Periodic: false, ParameterizedJob: true, Status: 'running' });
  t.match(byId.batch, { Type: 'batch', Periodic: false, ParameterizedJob: false, Status: 'pending' });
});

t.test('order: ascending bytes of ID; reverse only for the exact string "true" (§8.2, §2.1)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await registerAll(c, [['b'], ['a2'], ['A'], ['a10'], ['_x'], ['a']]);
  const asc = ['A', '_x', 'a', 'a10', 'a2', 'b'];
  t.same(ids((await c.get('/v1/jobs')).json), asc);
  t.same(ids((await c.get('/v1/jobs?reverse=true')).json), [...asc].reverse());
  for (const v of ['1', 'TRUE', 'True', 't', 'yes', '']) {
    t.same(ids((await c.get(`/v1/jobs?reverse=${v}`)).json), asc, `reverse=${v} is not reverse`);
  }
});

t.test('prefix: case-sensitive ID prefix, order kept, reverse honoured (§8.2)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await registerAll(c, [['b'], ['a2'], ['A'], ['a10'], ['a'], ['ab/child']]);
  t.same(ids((await c.get('/v1/jobs?prefix=a')).json), ['a', 'a10', 'a2', 'ab/child']);
  t.same(ids((await c.get('/v1/jobs?prefix=a1')).json), ['a10']);
  t.same(ids((await c.get('/v1/jobs?prefix=A')).json), ['A'], 'case-sensitive');
  t.same(ids((await c.get('/v1/jobs?prefix=ab%2F')).json), ['ab/child']);
  t.same(ids((await c.get('/v1/jobs?prefix=a&reverse=true')).json), ['ab/child', 'a2', 'a10', 'a']);
  const none = await c.get('/v1/jobs?prefix=zzz');
  t.equal(none.status, 200);
  t.equal(none.body, '[]');
  t.same(ids((await c.get('/v1/jobs?prefix=')).json).length, 6, 'an empty prefix is no prefix');
});

t.test('namespaces: default by default, one namespace, * across all, unknown is [] (§8.2)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await namespaces(c, 'dev', 'prod', 'a');
  await registerAll(c, [['web'], ['api'], ['web', { Namespace: 'dev' }], ['api', { Namespace: 'prod' }], ['db', { Namespace: 'dev' }], ['zz', { Namespace: 'a' }]]);

  t.same(keys((await c.get('/v1/jobs')).json), ['default.api', 'default.web']);
  t.same(keys((await c.get('/v1/jobs?namespace=default')).json), ['default.api', 'default.web']);
  t.same(keys((await c.get('/v1/jobs?namespace=dev')).json), ['dev.db', 'dev.web']);
  t.same(keys((await c.get('/v1/jobs?namespace=')).json), ['default.api', 'default.web'], 'empty means default');
  const all = ['a.zz', 'default.api', 'default.web', 'dev.db', 'dev.web', 'prod.api'];
  t.same(keys((await c.get('/v1/jobs?namespace=*')).json), all, 'ordered by namespace, then ID');
  t.same(keys((await c.get('/v1/jobs?namespace=*&reverse=true')).json), [...all].reverse());
  t.same(keys((await c.get('/v1/jobs?namespace=*&prefix=api')).json), ['default.api', 'prod.api']);
  t.same(
    keys((await c.get('/v1/jobs?namespace=*&prefix=api&reverse=true')).json),
    ['default.api', 'prod.api'],
    'namespace=* with a prefix ignores reverse for the order',
  );
  const unknown = await c.get('/v1/jobs?namespace=nope');
  t.equal(unknown.status, 200, 'a non-existent namespace is not an error');
  t.equal(unknown.body, '[]');
  t.equal(index(unknown), index(await c.get('/v1/jobs')), 'and still reports the list index');
});

t.test('meta=true populates Meta; a bad meta value is a 500 (§8.1, §2.5)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await registerAll(c, [['web', { Meta: { team: 'a', tier: '1' } }]]);
  for (const q of ['meta=true', 'meta=1', 'meta=T']) {
    const [stub] = (await c.get(`/v1/jobs?${q}`)).json as Stub[];
    t.same(stub!.Meta, { team: 'a', tier: '1' }, q);
    t.same(Object.keys(stub!).slice(0, STUB_KEYS.length), STUB_KEYS, `${q}: same order`);
    t.equal(Object.keys(stub!)[STUB_KEYS.length], 'Meta', `${q}: Meta last`);
  }
  for (const q of ['meta=false', 'meta=0', '']) {
    const [stub] = (await c.get(`/v1/jobs?${q}`)).json as Stub[];
    t.notOk(stub!.Meta, `${q || 'no meta'}: Meta not populated`);
  }
  const bad = await c.get('/v1/jobs?meta=yes');
  t.equal(bad.status, 500);
  t.equal(bad.body, 'Failed to parse value of "meta" (yes) as a bool: strconv.ParseBool: parsing "yes": invalid syntax');
  t.equal(bad.headers['content-type'], 'text/plain; charset=utf-8');
});

t.test('pagination: per_page, X-Nomad-Nexttoken "<namespace>.<id>", next_token inclusive (§8.4)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await registerAll(c, [['j1'], ['j2'], ['j3'], ['j4'], ['j5']]);

  const p1 = await c.get('/v1/jobs?per_page=2');
  t.same(ids(p1.json), ['j1', 'j2']);
  t.equal(p1.headers['x-nomad-nexttoken'], 'default.j3', 'token of the first job of the next page');
  t.ok(Array.isArray(p1.json), 'the body stays a bare array');
  const p2 = await c.get('/v1/jobs?per_page=2&next_token=default.j3');
  t.same(ids(p2.json), ['j3', 'j4']);
  t.equal(p2.headers['x-nomad-nexttoken'], 'default.j5');
  const p3 = await c.get('/v1/jobs?per_page=2&next_token=default.j5');
  t.same(ids(p3.json), ['j5']);
  t.equal(p3.headers['x-nomad-nexttoken'], undefined, 'absent on the last page');
  const exact = await c.get('/v1/jobs?per_page=5');
  t.equal(exact.json.length, 5);
  t.equal(exact.headers['x-nomad-nexttoken'], undefined, 'a page that ends exactly at the last job has no token');

  const between = await c.get('/v1/jobs?per_page=2&next_token=default.j25');
  t.same(ids(between.json), ['j3', 'j4'], 'a token matching nothing starts at the next greater one');
  t.same(ids((await c.get('/v1/jobs?next_token=default.j4')).json), ['j4', 'j5'], 'next_token without per_page');

  const r1 = await c.get('/v1/jobs?per_page=2&reverse=true');
  t.same(ids(r1.json), ['j5', 'j4']);
  t.equal(r1.headers['x-nomad-nexttoken'], 'default.j3');
  const r2 = await c.get('/v1/jobs?per_page=2&reverse=true&next_token=default.j3');
  t.same(ids(r2.json), ['j3', 'j2'], 'with reverse, tokens after T are skipped');
  t.equal(r2.headers['x-nomad-nexttoken'], 'default.j1');

  t.equal((await c.get('/v1/jobs?per_page=0')).json.length, 5, 'per_page=0 is no paging');
  const neg = await c.get('/v1/jobs?per_page=-1');
  t.equal(neg.status, 200, 'a negative per_page is accepted');
  t.same(neg.json, []);
  t.equal(neg.headers['x-nomad-nexttoken'], 'default.j1', 'and the token is the first matching job');

  const bad = await c.get('/v1/jobs?per_page=two');
  t.equal(bad.status, 400);
  t.equal(bad.body, 'Expect a number for `per_page` query string parameter');
  const big = await c.get('/v1/jobs?per_page=2147483648');
  t.equal(big.status, 400, 'per_page is a signed 32-bit int');
  t.equal(big.body, 'Expect a number for `per_page` query string parameter');
});

t.test('pagination across namespaces and with a prefix (§8.4)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await namespaces(c, 'dev');
  await registerAll(c, [['web'], ['api'], ['web', { Namespace: 'dev' }], ['api', { Namespace: 'dev' }], ['apx']]);
  const p1 = await c.get('/v1/jobs?namespace=*&per_page=3');
  t.same(keys(p1.json), ['default.api', 'default.apx', 'default.web']);
  t.equal(p1.headers['x-nomad-nexttoken'], 'dev.api');
  const p2 = await c.get('/v1/jobs?namespace=*&per_page=3&next_token=dev.api');
  t.same(keys(p2.json), ['dev.api', 'dev.web']);
  t.equal(p2.headers['x-nomad-nexttoken'], undefined);

  const q1 = await c.get('/v1/jobs?prefix=ap&per_page=1');
  t.same(ids(q1.json), ['api']);
  t.equal(q1.headers['x-nomad-nexttoken'], 'default.apx');
  const q2 = await c.get('/v1/jobs?prefix=ap&per_page=1&next_token=default.apx');
  t.same(ids(q2.json), ['apx']);
  t.equal(q2.headers['x-nomad-nexttoken'], undefined);
});

t.test('filter: go-bexpr over the stored Job (§8.3)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await registerAll(c, [
    ['web', { Meta: { team: 'a' }, Datacenters: ['dc1', 'dc2'] }],
    ['api', { Meta: { team: 'b' } }],
    ['report', { Type: 'batch' }],
    ['cleanup', { Type: 'batch', Priority: 70 }],
  ]);
  const f = async (expr: string) => c.get(`/v1/jobs?filter=${encodeURIComponent(expr)}`);

  const batch = await f('Type == "batch"');
  t.equal(batch.status, 200);
  t.same(ids(batch.json), ['cleanup', 'report']);
  t.same(ids((await f('Type != "batch"')).json), ['api', 'web']);
  t.same(ids((await f('Meta.team == "a"')).json), ['web']);
  t.same(ids((await f('Meta.team != "a"')).json), ['api', 'cleanup', 'report'], 'a missing map key is fine: != is true');
  t.same(ids((await f('"dc2" in Datacenters')).json), ['web']);
  t.same(ids((await f('Name matches "^(web|api)$"')).json), ['api', 'web']);
  t.same(ids((await f('Type == "batch" and Priority == 70')).json), ['cleanup']);
  t.same(ids((await f('Meta is empty')).json), ['cleanup', 'report'], 'is empty');
  t.same(ids((await f('TaskGroups is not empty and not (Type == "batch")')).json), ['api', 'web']);
  t.same(ids((await f('Type == "batch" or Meta.team == "b"')).json), ['api', 'cleanup', 'report']);
  t.same(ids((await f('Type == "system"')).json), [], 'no match is []');

  // Filtered-out jobs do not count toward per_page; the token is the next *matching* job.
  const p1 = await c.get(`/v1/jobs?per_page=1&filter=${encodeURIComponent('Type == "batch"')}`);
  t.same(ids(p1.json), ['cleanup']);
  t.equal(p1.headers['x-nomad-nexttoken'], 'default.report');
  const p2 = await c.get(`/v1/jobs?per_page=1&next_token=default.report&filter=${encodeURIComponent('Type == "batch"')}`);
  t.same(ids(p2.json), ['report']);
  t.equal(p2.headers['x-nomad-nexttoken'], undefined);
});

t.test('filter errors: syntax → 400 even with no jobs; unknown struct field → 400 once a job is scanned (§8.3, §5.3)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const syntaxPrefix = 'failed to create result paginator: failed to read filter expression: ';
  for (const expr of ['Type ==', 'Type = "batch"', '(Type == "batch"', 'Type == "batch" and']) {
    const res = await c.get(`/v1/jobs?filter=${encodeURIComponent(expr)}`);
    t.equal(res.status, 400, `${expr}: 400 on an empty server`);
    t.ok(res.body.startsWith(syntaxPrefix), `${expr}: ${res.body}`);
    t.ok(res.body.length > syntaxPrefix.length, `${expr}: with the parser's message`);
    t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  }

  const noJobs = await c.get(`/v1/jobs?filter=${encodeURIComponent('Nope == "x"')}`);
  t.equal(noJobs.status, 200, 'an unknown field is only an error once a job is evaluated');
  t.equal(noJobs.body, '[]');

  await c.register(minimalJob('web'));
  for (const field of ['Nope', 'JobSummary']) {
    const res = await c.get(`/v1/jobs?filter=${encodeURIComponent(`${field} == "x"`)}`);
    t.equal(res.status, 400, `${field}: not a field of the stored Job`);
    t.ok(res.body.startsWith('failed to read result page: '), res.body);
    t.ok(res.body.includes(`couldn't find struct field with name "${field}"`), `${field}: names the field`);
  }
  const syntax = await c.get(`/v1/jobs?filter=${encodeURIComponent('Type ==')}`);
  t.equal(syntax.status, 400);
  t.ok(syntax.body.startsWith(syntaxPrefix));
});

t.test('blocking on the list (§4.1, §8.5)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const idx = index(await c.get('/v1/jobs'));

  // index < current: at once, not at the end of its (long) wait.
  const early = await soon(c.get(`/v1/jobs?index=${idx - 1}&wait=5m`), 'an index from the past to be answered');
  t.equal(early.status, 200);
  t.equal(index(early), idx, 'an index from the past returns at once, with the current index');

  // index = current: parked until a job write moves the index.
  const pending = c.get(`/v1/jobs?index=${idx}&wait=10s`);
  await waitFor(() => c.mock.store.watch.waiting() === 1, 'the list to park');
  t.equal(c.mock.store.watch.waiting(), 1, 'the list is parked');
  const w = await c.register(minimalJob('api'));
  const res = await pending;
  t.equal(res.status, 200);
  t.equal(index(res), w.json.Index, 'returns the new index');
  t.same(ids(res.json), ['api', 'web'], 'with the new job');
  t.equal(res.headers['x-nomad-knownleader'], 'true');
  t.equal(res.headers['x-nomad-lastcontact'], '0');

  // The index is the table's, not the namespace's: a write in another namespace releases it too.
  await namespaces(c, 'dev');
  const idx2 = index(await c.get('/v1/jobs'));
  const pending2 = c.get(`/v1/jobs?index=${idx2}&wait=10s`);
  await waitFor(() => c.mock.store.watch.waiting() === 1, 'the list to park');
  const w2 = await c.register(minimalJob('other', { Namespace: 'dev' }));
  const res2 = await pending2;
  t.equal(index(res2), w2.json.Index);
  t.same(ids(res2.json), ['api', 'web'], 'same default-namespace body');

  // Timeout: 200 with the same index and body.
  const idx3 = index(await c.get('/v1/jobs'));
  const started = Date.now();
  // Its own wait, not the default 5 minutes; how soon after the deadline depends on the machine's load.
  const timeout = await soon(c.get(`/v1/jobs?index=${idx3}&wait=100ms`), 'a 100 ms wait to end');
  const took = Date.now() - started;
  t.equal(timeout.status, 200, 'a timeout is not an error');
  t.equal(index(timeout), idx3);
  t.ok(took >= 95, `not before the deadline (${took} ms)`);

  // Bad blocking parameters.
  const badWait = await c.get('/v1/jobs?index=1&wait=10');
  t.equal(badWait.status, 400);
  t.equal(badWait.body, 'Invalid wait time');
  const badIndex = await c.get('/v1/jobs?index=abc');
  t.equal(badIndex.status, 400);
  t.equal(badIndex.body, 'Invalid index');
  t.equal(c.mock.store.watch.waiting(), 0, 'nothing left waiting');
});
