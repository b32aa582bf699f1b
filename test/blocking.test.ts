// Blocking queries (http-semantics §4): wake on a write, return at the deadline, never leak waiters.
import t from 'tap';
import http from 'node:http';
import { client, index, minimalJob } from './helpers.js';

t.test('a blocked job read is released by a write, not by its wait', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const r = await c.register(minimalJob('web'));
  const idx = index(await c.get('/v1/job/web'));
  t.equal(idx, r.json.Index);

  const started = Date.now();
  const pending = c.get(`/v1/job/web?index=${idx}&wait=10s`);
  await new Promise((res) => setTimeout(res, 50));
  t.equal(c.mock.store.watch.waiting(), 1, 'the reader is parked');
  const w = await c.register(minimalJob('web', { Meta: { v: '2' } }));
  const res = await pending;
  t.equal(res.status, 200);
  t.equal(index(res), w.json.Index, 'returns the new index');
  t.equal(res.json.Meta.v, '2');
  t.ok(Date.now() - started >= 50);
  t.equal(c.mock.store.watch.waiting(), 0, 'nothing left waiting');
});

t.test('a read with a short wait returns 200 at its deadline with the same index', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const idx = index(await c.get('/v1/jobs'));
  const started = Date.now();
  const res = await c.get(`/v1/jobs?index=${idx}&wait=150ms`);
  const took = Date.now() - started;
  t.equal(res.status, 200);
  t.equal(index(res), idx);
  t.equal(res.json.length, 1);
  t.ok(took >= 145, `waited ${took} ms`);
});

t.test('index=0 never blocks and an index from the past returns at once', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  // With a five-minute wait, a read that blocked would outlive the test's own timeout.
  for (const url of ['/v1/jobs?index=0&wait=5m', '/v1/jobs?index=1&wait=5m']) {
    const res = await c.get(url);
    t.equal(res.status, 200, `${url} answered`);
  }
});

t.test('writes to unrelated tables do not release a job read; the job table does', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const idx = index(await c.get('/v1/job/web'));
  let done = false;
  const pending = c.get(`/v1/job/web?index=${idx}&wait=5s`).then((r) => ((done = true), r));
  await c.put('/v1/namespace/dev', { Name: 'dev' });
  await new Promise((res) => setTimeout(res, 50));
  t.notOk(done, 'a namespace write does not wake a job read');
  await c.register(minimalJob('other'));
  await new Promise((res) => setTimeout(res, 50));
  t.notOk(done, 'another job bumps the jobs table but not this job, so the read keeps waiting');
  await c.del('/v1/job/web');
  const res = await pending;
  t.match(res.json, { Stop: true });
});

t.test('a blocked read of a missing job answers 404 with meta headers at the deadline', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.get('/v1/job/ghost?index=5&wait=50ms');
  t.equal(res.status, 404);
  t.equal(res.body, 'job not found');
  t.equal(res.headers['x-nomad-knownleader'], 'true');
  t.equal(res.headers['x-nomad-index'], '0');
});

t.test('bad wait and index get Nomad 400s', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const cases: [string, string][] = [
    ['/v1/jobs?wait=10', 'Invalid wait time'],
    ['/v1/jobs?wait=5d', 'Invalid wait time'],
    ['/v1/jobs?index=-1', 'Invalid index'],
    ['/v1/jobs?index=abc', 'Invalid index'],
    ['/v1/job/x?stale=maybe', 'Expect `true` or `false` for `stale` query string parameter'],
    ['/v1/jobs?per_page=ten', 'Expect a number for `per_page` query string parameter'],
  ];
  for (const [url, text] of cases) {
    const res = await c.get(url);
    t.equal(res.status, 400, url);
    t.equal(res.body, text, url);
    t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  }
  t.equal((await c.get('/v1/jobs?wait=1m30s&index=0')).status, 200, 'Go duration syntax is accepted');
});

t.test('a client that disconnects while blocked leaves no waiter behind', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as { port: number }).port;
  const idx = c.mock.store.index;
  const req = http.get(`http://127.0.0.1:${port}/v1/jobs?index=${idx}&wait=60s`);
  req.on('error', () => {});
  // On a loaded machine the request may take a while to arrive: wait for it to park.
  for (let i = 0; i < 250 && c.mock.store.watch.waiting() < 1; i++) await new Promise((res) => setTimeout(res, 20));
  t.equal(c.mock.store.watch.waiting(), 1);
  req.destroy();
  for (let i = 0; i < 250 && c.mock.store.watch.waiting() > 0; i++) await new Promise((res) => setTimeout(res, 20));
  t.equal(c.mock.store.watch.waiting(), 0, 'the waiter was removed on disconnect');
});
