// Parameterized jobs and dispatch (state-semantics §10.1, http-semantics §5 dispatch table, §6.4).
import t from 'tap';
import { simClient, client, minimalJob, index } from './helpers.js';
import type { Obj } from '../state/types.js';

const parent = (overrides: Obj = {}): Obj =>
  minimalJob('encode', {
    Type: 'batch',
    Meta: { owner: 'media' },
    ParameterizedJob: { Payload: 'required', MetaRequired: ['input'], MetaOptional: ['profile'] },
    TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'ffmpeg' }, DispatchPayload: { File: 'in.json' } }] }],
    ...overrides,
  });

const payload = Buffer.from('{"file":"a.mp4"}').toString('base64');

t.test('a parameterized parent is running, has no eval and no allocs', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const reg = await c.register(parent());
  t.match(reg.json, { EvalID: '', EvalCreateIndex: 0 });
  await c.advance(1000);
  t.equal((await c.get('/v1/job/encode')).json.Status, 'running');
  t.same((await c.get('/v1/job/encode/allocations')).json, []);
  t.same((await c.get('/v1/job/encode/evaluations')).json, []);
});

t.test('dispatch creates the child, its eval and the parent Children counter in one write', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(parent());
  const res = await c.post('/v1/job/encode/dispatch', { Payload: payload, Meta: { input: 's3://in' } });
  t.equal(res.status, 200);
  const out = res.json;
  t.same(Object.keys(out), ['DispatchedJobID', 'EvalID', 'EvalCreateIndex', 'JobCreateIndex', 'Index']);
  t.match(out.DispatchedJobID, /^encode\/dispatch-\d+-[0-9a-f]{8}$/);
  t.equal(out.EvalCreateIndex, out.Index);
  t.equal(out.JobCreateIndex, out.Index);
  t.equal(index(res), out.Index, 'X-Nomad-Index is the write index');
  const child = (await c.get(`/v1/job/${encodeURIComponent(out.DispatchedJobID)}`)).json;
  t.match(child, { ID: out.DispatchedJobID, Name: out.DispatchedJobID, ParentID: 'encode', Dispatched: true, Status: 'pending', Payload: payload, Meta: { owner: 'media', input: 's3://in' }, Priority: 50 });
  t.ok(child.ParameterizedJob, 'the block stays on the child');
  const summary = (await c.get('/v1/job/encode/summary')).json;
  t.same(summary.Children, { Pending: 1, Running: 0, Dead: 0 });
  const ev = (await c.get(`/v1/evaluation/${out.EvalID}`)).json;
  t.match(ev, { TriggeredBy: 'job-register', JobID: out.DispatchedJobID, Type: 'batch', JobModifyIndex: out.Index });

  // The child schedules like a batch job; the parent's counters follow its status.
  await c.advance(0);
  t.same((await c.get('/v1/job/encode/summary')).json.Children, { Pending: 0, Running: 1, Dead: 0 });
  await c.advance(2000);
  t.equal((await c.get(`/v1/job/${encodeURIComponent(out.DispatchedJobID)}`)).json.Status, 'dead');
  t.same((await c.get('/v1/job/encode/summary')).json.Children, { Pending: 0, Running: 0, Dead: 1 });
  t.equal((await c.get('/v1/job/encode')).json.Status, 'running', 'the parent stays running');
});

t.test('dispatch with an ID prefix template and an explicit priority', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(parent());
  const res = await c.post('/v1/job/encode/dispatch', { Payload: payload, Meta: { input: 'x' }, IdPrefixTemplate: 'nightly', Priority: 70 });
  t.match(res.json.DispatchedJobID, /^encode\/dispatch-nightly-\d+-[0-9a-f]{8}$/);
  const ev = (await c.get(`/v1/evaluation/${res.json.EvalID}`)).json;
  t.equal(ev.Priority, 70);
});

t.test('dispatch errors carry Nomad texts and codes and write nothing', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(parent());
  await c.register(minimalJob('plain'));
  await c.register(minimalJob('opt', { Type: 'batch', ParameterizedJob: { Payload: 'forbidden' } }));
  const before = (await c.get('/v1/jobs')).headers['x-nomad-index'];
  const cases: [string, unknown, number, string][] = [
    ['/v1/job/encode/dispatch', { JobID: 'other' }, 400, 'Job ID does not match'],
    ['/v1/job/missing/dispatch', {}, 500, 'parameterized job not found'],
    ['/v1/job/plain/dispatch', {}, 500, 'Specified job "plain" is not a parameterized job'],
    ['/v1/job/encode/dispatch', { Meta: { input: 'x' } }, 500, 'Payload is not provided but required by parameterized job'],
    ['/v1/job/opt/dispatch', { Payload: payload }, 500, 'Payload provided but forbidden by parameterized job'],
    ['/v1/job/encode/dispatch', { Payload: Buffer.alloc(16385).toString('base64'), Meta: { input: 'x' } }, 500, 'Payload exceeds maximum size; 16385 > 16384'],
    ['/v1/job/encode/dispatch', { Payload: payload, Meta: { input: 'x', colour: 'red' } }, 500, 'Dispatch request included unpermitted metadata keys: [colour]'],
    ['/v1/job/encode/dispatch', { Payload: payload, Meta: { profile: 'hd' } }, 500, 'Dispatch did not provide required meta keys: [input]'],
    ['/v1/job/encode/dispatch', { Payload: payload, Meta: { input: 'x' }, Priority: 101 }, 500, 'dispatch job priority must be between [1, 100]'],
    ['/v1/job/encode/dispatch', { Payload: 'not base64!' }, 400, 'illegal base64 data at input byte 3'],
  ];
  for (const [url, body, status, text] of cases) {
    const r = await c.post(url, body);
    t.equal(r.status, status, text);
    t.match(r.body, text);
  }
  t.equal((await c.post('/v1/job/encode/dispatch')).body, 'Request body is empty');
  t.equal((await c.get('/v1/jobs')).headers['x-nomad-index'], before, 'nothing written');
  await c.del('/v1/job/encode');
  const stopped = await c.post('/v1/job/encode/dispatch', { Payload: payload, Meta: { input: 'x' } });
  t.equal(stopped.body, 'Specified job "encode" is stopped');
});

t.test('an idempotency token returns the existing child and writes nothing', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(parent());
  const first = (await c.post('/v1/job/encode/dispatch?idempotency_token=abc', { Payload: payload, Meta: { input: 'x' } })).json;
  const again = (await c.post('/v1/job/encode/dispatch?idempotency_token=abc', { Payload: payload, Meta: { input: 'x' } })).json;
  t.match(again, { DispatchedJobID: first.DispatchedJobID, EvalID: '', EvalCreateIndex: 0, JobCreateIndex: first.JobCreateIndex });
  const child = (await c.get(`/v1/job/${encodeURIComponent(first.DispatchedJobID)}`)).json;
  t.equal(again.Index, child.ModifyIndex);
  t.equal(child.DispatchIdempotencyToken, 'abc');
  const other = (await c.post('/v1/job/encode/dispatch', { Payload: payload, Meta: { input: 'x' }, IdempotencyToken: 'def' })).json;
  t.not(other.DispatchedJobID, first.DispatchedJobID, 'another token dispatches anew');
});

t.test('purging a pending child moves the parent counter to Dead', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(parent());
  const out = (await c.post('/v1/job/encode/dispatch', { Payload: payload, Meta: { input: 'x' } })).json;
  await c.del(`/v1/job/${encodeURIComponent(out.DispatchedJobID)}?purge=true`);
  t.same((await c.get('/v1/job/encode/summary')).json.Children, { Pending: 0, Running: 0, Dead: 1 });
});
