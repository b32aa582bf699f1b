// The read path's caches (routes/jobs/list-body.ts, routes/http/memo.ts, state/jobs/queries.ts):
// GET /v1/jobs and GET /v1/job/:id answer from rendered bytes kept between requests, so every
// answer must still be the newest one: after each write, after a reset, per query and per ACL token.
import t from 'tap';
import { aclSession, client, index, minimalJob, simClient } from './helpers.js';
import { RenderCache } from '../routes/http/memo.js';
import { registerJob } from '../state/jobs/ops.js';
import { touchSummary } from '../state/jobs/summary.js';
import { jobKey } from '../state/store.js';

/** JSON as Nomad's Go encoders write it: JSON.stringify's text with U+2028/U+2029 escaped. */
const goText = (v: unknown, space?: number): string =>
  JSON.stringify(v, null, space).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

interface Stub {
  ID: string;
  Namespace: string;
  Meta: Record<string, string> | null;
  JobSummary: { Summary: Record<string, Record<string, number>> };
  [k: string]: unknown;
}

const ids = (body: unknown): string[] => (body as Stub[]).map((j) => `${j.Namespace}.${j.ID}`);

t.test('the list answers the newest state after every write, the same list twice byte for byte', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('a'));
  const first = await c.get('/v1/jobs');
  const again = await c.get('/v1/jobs');
  t.equal(again.body, first.body, 'an unchanged state answers the same bytes');
  t.same(again.headers, first.headers, 'and the same headers');
  t.equal(first.body, JSON.stringify(first.json), 'compact JSON');
  await c.register(minimalJob('b'));
  const second = await c.get('/v1/jobs');
  t.same(ids(second.json), ['default.a', 'default.b'], 'a new job is listed');
  t.ok(index(second) > index(first), 'at the new index');
  await c.register(minimalJob('a', { Meta: { v: '2' } }));
  const meta = await c.get('/v1/jobs?meta=true');
  t.same((meta.json as Stub[]).find((j) => j.ID === 'a')!.Meta, { v: '2' }, 'a changed job is listed as changed');
  await c.del('/v1/job/b?purge=true');
  t.same(ids((await c.get('/v1/jobs')).json), ['default.a'], 'a purged job is gone');
});

t.test('the list follows the summary the simulator writes, as the summary endpoint reports it', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const before = await c.get('/v1/jobs');
  await c.advance(60_000);
  const after = await c.get('/v1/jobs');
  const summary = await c.get('/v1/job/web/summary');
  t.notSame((after.json as Stub[])[0]!.JobSummary, (before.json as Stub[])[0]!.JobSummary, 'the summary moved on');
  t.same((after.json as Stub[])[0]!.JobSummary, summary.json, 'the stub carries the current summary');
  t.equal((after.json as Stub[])[0]!.JobSummary.Summary.web!.Running, 1, 'the allocation runs');
});

t.test('after a reset the list and reads answer the start-up state, even where an index recurs', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const a = await c.register(minimalJob('a'));
  const listA = await c.get('/v1/jobs');
  t.same(ids(listA.json), ['default.a']);
  t.equal((await c.get('/v1/job/a')).status, 200);
  t.equal((await c.post('/_mock/reset')).status, 200);
  t.equal((await c.get('/v1/jobs')).body, '[]', 'no job after the reset');
  t.equal((await c.get('/v1/job/a')).status, 404, 'the job is not found');
  const b = await c.register(minimalJob('b'));
  t.equal(b.json.Index, a.json.Index, 'the write after the reset takes the index the first one had');
  const listB = await c.get('/v1/jobs');
  t.equal(index(listB), index(listA), 'so the list reports the same index');
  t.same(ids(listB.json), ['default.b'], 'yet lists the new world');
  t.same(ids((await c.get('/v1/jobs?prefix=a')).json), [], 'and so does a prefix list');
});

t.test('each query gets its own answer: prefix, namespace, meta, reverse, pages, pretty', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.put('/v1/namespace/other', { Name: 'other' })).status, 200);
  for (const id of ['api', 'app', 'web']) await c.register(minimalJob(id, { Meta: { id } }));
  await c.req('PUT', '/v1/jobs?namespace=other', { Job: minimalJob('api2') });
  t.same(ids((await c.get('/v1/jobs?prefix=a')).json), ['default.api', 'default.app']);
  t.same(ids((await c.get('/v1/jobs?prefix=app')).json), ['default.app']);
  t.same(ids((await c.get('/v1/jobs?prefix=x')).json), []);
  t.same(ids((await c.get('/v1/jobs?prefix=')).json), ['default.api', 'default.app', 'default.web']);
  t.same(ids((await c.get('/v1/jobs?namespace=other')).json), ['other.api2']);
  t.same(ids((await c.get('/v1/jobs?namespace=other&prefix=app')).json), []);
  t.same(ids((await c.get('/v1/jobs?namespace=*&prefix=api')).json), ['default.api', 'other.api2']);
  t.same(ids((await c.get('/v1/jobs?reverse=true')).json), ['default.web', 'default.app', 'default.api']);
  t.same(ids((await c.get('/v1/jobs?prefix=a&reverse=true')).json), ['default.app', 'default.api']);
  const page = await c.get('/v1/jobs?per_page=2');
  t.same(ids(page.json), ['default.api', 'default.app']);
  t.equal(page.headers['x-nomad-nexttoken'], 'default.web');
  t.equal((await c.get('/v1/jobs')).headers['x-nomad-nexttoken'], undefined, 'the unpaged list has no next token');
  t.same((await c.get('/v1/jobs?prefix=web')).json, [{ ...((await c.get('/v1/jobs?prefix=web&meta=true')).json as Stub[])[0], Meta: null }], 'meta=false: Meta null');
  t.same(((await c.get('/v1/jobs?prefix=web&meta=true')).json as Stub[])[0]!.Meta, { id: 'web' }, 'meta=true: Meta');
  const compact = await c.get('/v1/jobs');
  const pretty = await c.get('/v1/jobs?pretty');
  t.equal(pretty.body, `${JSON.stringify(compact.json, null, 4)}\n`, '?pretty renders the same list indented');
  t.equal((await c.get('/v1/jobs')).body, compact.body, 'and the compact list after it is unchanged');
  const job = await c.get('/v1/job/web');
  t.equal((await c.get('/v1/job/web?pretty')).body, `${JSON.stringify(job.json, null, 4)}\n`, 'a pretty job read too');
  t.equal((await c.get('/v1/job/web?namespace=other')).status, 404, 'a read is per namespace');
});

t.test('an ACL token sees its own namespace=* list, and a policy change takes effect at once', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const w = await aclSession(c);
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/namespace/blue', { Name: 'blue' })).status, 200);
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/jobs', { Job: minimalJob('red-job') })).status, 200);
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/jobs?namespace=blue', { Job: minimalJob('blue-job') })).status, 200);
  const def = await w.token('def', 'namespace "default" { policy = "read" }');
  const blue = await w.token('blue', 'namespace "blue" { policy = "read" }');
  for (let i = 0; i < 2; i++) {
    t.same(ids((await w.as(w.mgmt, 'GET', '/v1/jobs?namespace=*')).json), ['blue.blue-job', 'default.red-job'], `management sees both (${i})`);
    t.same(ids((await w.as(def, 'GET', '/v1/jobs?namespace=*')).json), ['default.red-job'], `a default reader sees its own (${i})`);
    t.same(ids((await w.as(blue, 'GET', '/v1/jobs?namespace=*')).json), ['blue.blue-job'], `a blue reader sees its own (${i})`);
  }
  t.equal((await w.as(blue, 'GET', '/v1/jobs')).status, 403, 'the default namespace is refused to the blue reader');
  t.equal((await w.as(blue, 'GET', '/v1/job/red-job')).status, 403, 'and so is a read of its job');
  t.equal((await w.as(def, 'GET', '/v1/job/red-job')).status, 200, 'which the default reader gets');
  const policy = await w.as(w.mgmt, 'PUT', '/v1/acl/policy/def', { Name: 'def', Rules: 'namespace "*" { policy = "read" }' });
  t.equal(policy.status, 200);
  t.same(ids((await w.as(def, 'GET', '/v1/jobs?namespace=*')).json), ['blue.blue-job', 'default.red-job'], 'a widened policy lists both at once');
});

t.test('a read answers the newest job record after each write', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web', { Meta: { v: '1' } }));
  const one = await c.get('/v1/job/web');
  t.same((one.json as Stub).Meta, { v: '1' });
  t.equal((await c.get('/v1/job/web')).body, one.body, 'the same record answers the same bytes');
  await c.register(minimalJob('web', { Meta: { v: '2' } }));
  const two = await c.get('/v1/job/web');
  t.same((two.json as Stub).Meta, { v: '2' }, 'a new version is read');
  t.ok(index(two) > index(one));
  await c.del('/v1/job/web?purge=true');
  t.equal((await c.get('/v1/job/web')).status, 404, 'a purged job is not found');
});

t.test('a job read from its cached bytes: counted in bytes, per query and token, the new record after a write or a reset', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const w = await aclSession(c);
  const note = 'café ☕ 😀 \u2028 "quoted"';
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/jobs', { Job: minimalJob('web', { Meta: { note } }) })).status, 200);
  const reader = await w.token('reader', 'namespace "default" { policy = "read" }');
  const stranger = await w.token('stranger', 'namespace "blue" { policy = "read" }');
  for (let i = 0; i < 2; i++) {
    const res = await w.as(reader, 'GET', '/v1/job/web');
    t.equal(res.status, 200);
    t.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)), `Content-Length in bytes (${i})`);
    t.equal(res.body, goText(res.json), `the compact JSON, whole (${i})`);
    t.equal((res.json as Stub).Meta?.note, note);
    t.equal((await w.as(stranger, 'GET', '/v1/job/web')).status, 403, `another namespace's reader is refused (${i})`);
    t.equal((await w.as(null, 'GET', '/v1/job/web')).status, 403, `and so is anonymous (${i})`);
    const pretty = await w.as(reader, 'GET', '/v1/job/web?pretty');
    t.equal(pretty.body, `${goText(res.json, 4)}\n`, `?pretty is indented (${i})`);
    t.equal((await w.as(reader, 'GET', '/v1/job/web?namespace=blue')).status, 403, `another namespace is another answer (${i})`);
  }
  const before = await w.as(reader, 'GET', '/v1/job/web');
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/jobs', { Job: minimalJob('web', { Meta: { note: 'second' } }) })).status, 200);
  const after = await w.as(reader, 'GET', '/v1/job/web');
  t.equal((after.json as Stub).Meta?.note, 'second', 'the new version after a write');
  t.ok(index(after) > index(before));

  // After a reset the same ID at the same index is another record, and answers its own bytes.
  const plain = await client();
  t.teardown(plain.close);
  const first = await plain.register(minimalJob('web', { Meta: { v: 'before reset' } }));
  t.equal(((await plain.get('/v1/job/web')).json as Stub).Meta?.v, 'before reset');
  t.equal((await plain.post('/_mock/reset')).status, 200);
  t.equal((await plain.get('/v1/job/web')).status, 404, 'gone after the reset');
  const again = await plain.register(minimalJob('web', { Meta: { v: 'after reset' } }));
  t.equal(again.json.Index, first.json.Index, 'the same index as before the reset');
  const read = await plain.get('/v1/job/web');
  t.equal((read.json as Stub).Meta?.v, 'after reset', 'the record written after the reset');
  t.equal(read.headers['content-length'], String(Buffer.byteLength(read.body)));
});

t.test('cached answers are still journaled, timed and counted', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  for (let i = 0; i < 3; i++) {
    await c.get('/v1/jobs');
    await c.get('/v1/job/web');
  }
  const journal = c.mock.control.journal.list({ method: 'GET' });
  t.equal(journal.filter((e) => e.Path === '/v1/jobs').length, 3, 'every list is journaled');
  t.equal(journal.filter((e) => e.Path === '/v1/job/web').length, 3, 'every read is journaled');
  t.ok(journal.every((e) => e.Status === 200 && e.DurationMs >= 0), 'with status and duration');
  const metrics = await c.get('/v1/metrics?format=prometheus');
  t.match(metrics.body, /nomad_http_GET_v1_jobs_count 3\n/, 'the list timings are sampled');
  t.match(metrics.body, /nomad_http_GET_v1_job___count 3\n/, 'the read timings are sampled');
});

t.test('a list with text beyond ASCII goes out whole, its length counted in bytes', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const note = 'café ☕ 😀 \u2028 "quoted" \\ done';
  await c.register(minimalJob('a', { Meta: { note } }));
  await c.register(minimalJob('b'));
  for (const url of ['/v1/jobs?meta=true', '/v1/jobs?meta=true', '/v1/jobs']) {
    const res = await c.get(url);
    t.equal(res.headers['content-length'], String(Buffer.byteLength(res.body)), `${url}: Content-Length in bytes`);
    t.equal(res.body, goText(res.json), `${url}: the compact JSON, whole`);
  }
  const list = (await c.get('/v1/jobs?meta=true')).json as Stub[];
  t.same(list.map((j) => j.Meta?.note ?? null), [note, null]);
});

t.test('the render cache holds at most its byte budget and forgets everything at the next write', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const cache = new RenderCache<string>(c.mock.store, (v) => v.length, 10);
  cache.set('a', 'aaaaaa');
  t.equal(cache.get('a'), 'aaaaaa');
  cache.set('b', 'bbbbbb');
  t.equal(cache.get('a'), undefined, 'an entry past the budget empties the cache first');
  t.equal(cache.get('b'), 'bbbbbb');
  cache.set('big', 'x'.repeat(11));
  t.equal(cache.get('big'), undefined, 'a body larger than the budget is never kept');
  t.equal(cache.get('b'), 'bbbbbb', 'and leaves the others');
  cache.set('b', 'bbbb');
  cache.set('c', 'cccccc');
  t.same([cache.get('b'), cache.get('c')], ['bbbb', 'cccccc'], 'a replaced entry counts once');
  await c.register(minimalJob('web'));
  t.equal(cache.get('c'), undefined, 'a write makes every entry stale');
  cache.set('d', 'dd');
  t.equal((await c.post('/_mock/reset')).status, 200);
  t.equal(cache.get('d'), undefined, 'and so does a reset');
});

t.test('a big list patched from the one before a write answers what a list written whole answers', async (t) => {
  const c = await client();
  t.teardown(c.close);
  // Enough jobs that the list keeps its base (routes/jobs/list-body.ts), in two namespaces.
  t.equal((await c.put('/v1/namespace/dev', { Name: 'dev' })).status, 200);
  for (let i = 0; i < 300; i += 2) {
    registerJob(c.mock.store, { job: minimalJob(`job-${String(i).padStart(4, '0')}`) });
    registerJob(c.mock.store, { job: minimalJob(`job-${String(i).padStart(4, '0')}`, { Namespace: 'dev' }) });
  }
  const queries = ['', '?meta=true', '?reverse=true', '?namespace=*', '?namespace=*&reverse=true', '?per_page=280', '?prefix=job-01', '?filter=Status%20%3D%3D%20%22pending%22'];
  // The answer of a list written whole: the same stubs through the ?pretty path, compacted.
  const check = async (what: string): Promise<void> => {
    for (const q of queries) {
      const compact = await c.get(`/v1/jobs${q}`);
      const pretty = await c.get(`/v1/jobs${q}${q ? '&' : '?'}pretty=true`);
      t.equal(compact.body, JSON.stringify(JSON.parse(pretty.body)), `${what}: /v1/jobs${q}`);
    }
  };
  await check('written whole');
  await c.register(minimalJob('job-0101'));
  await check('a new job in the middle');
  await c.register(minimalJob('job-0000', { Meta: { v: 'ü' } }));
  await check('the first job changed, with text beyond ASCII');
  await c.register(minimalJob('job-0298', { Namespace: 'dev', Meta: { v: '2' } }));
  await check('the last job changed');
  await c.del('/v1/job/job-0150?purge=true');
  await c.del('/v1/job/job-0000?purge=true');
  await check('two jobs purged');
  await c.del('/v1/job/job-0002');
  await check('a job stopped (its record and summary change)');
  // A summary written alone (as the simulator's client updates do): the job record stays the same.
  const store = c.mock.store;
  const key = jobKey('default', 'job-0004');
  const job = store.jobs.get(key);
  store.write((tx) => {
    touchSummary(store, tx, key, { ...store.summaries.get(key)!, Summary: { g: { Queued: 0, Complete: 0, Failed: 0, Running: 7, Starting: 0, Lost: 0, Unknown: 0 } } });
    tx.touch('job_summary');
  });
  t.equal(store.jobs.get(key), job, 'the job record is the same object');
  await check('a summary changed alone');
  for (let i = 1; i < 40; i += 2) registerJob(c.mock.store, { job: minimalJob(`job-${String(i).padStart(4, '0')}`) });
  await check('a run of new jobs');
  t.equal((await c.post('/_mock/reset')).status, 200);
  t.equal((await c.get('/v1/jobs')).body, '[]', 'nothing after a reset');
  registerJob(c.mock.store, { job: minimalJob('job-0000') });
  await check('after the reset');
});
