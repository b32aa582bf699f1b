// Many readers at once (issue 16): one write releases every parked reader with its own answer, each
// reader keeps its own deadline, a reader that hangs up is dropped, and event subscribers get the
// writes of one turn with their own filters.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import { aclSession, client, index, listening, minimalJob, openStream } from './helpers.js';
import { registerJob } from '../state/jobs/ops.js';
import { youngGenerationHeld } from '../routes/http/young-generation.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function parked(count: () => number, n: number): Promise<void> {
  for (let i = 0; i < 250 && count() < n; i++) await sleep(20);
}

t.test('one write answers every parked reader with its own answer: token, namespace, pretty', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const { mgmt, as, token } = await aclSession(c);
  t.equal((await as(mgmt, 'PUT', '/v1/namespace/dev', { Name: 'dev' })).status, 200);
  t.equal((await as(mgmt, 'PUT', '/v1/jobs', { Job: minimalJob('web') })).status, 200);
  t.equal((await as(mgmt, 'PUT', '/v1/jobs', { Job: minimalJob('api', { Namespace: 'dev' }) })).status, 200);
  const reader = await token('default-reader', 'namespace "default" { policy = "read" }');
  const list = await as(mgmt, 'GET', '/v1/jobs?namespace=*');
  const job = await as(mgmt, 'GET', '/v1/job/web');
  const li = index(list);
  const ji = index(job);

  const answers = [
    as(mgmt, 'GET', `/v1/jobs?namespace=*&index=${li}&wait=10s`),
    as(reader, 'GET', `/v1/jobs?namespace=*&index=${li}&wait=10s`),
    as(mgmt, 'GET', `/v1/jobs?namespace=dev&index=${li}&wait=10s`),
    as(mgmt, 'GET', `/v1/job/web?index=${ji}&wait=10s`),
    as(reader, 'GET', `/v1/job/web?index=${ji}&wait=10s&pretty=true`),
  ];
  await parked(() => c.mock.store.watch.waiting(), answers.length);
  t.equal(c.mock.store.watch.waiting(), answers.length, 'every reader is parked');

  const w = await as(mgmt, 'PUT', '/v1/jobs', { Job: minimalJob('web', { Meta: { v: '2' } }) });
  const [all, own, dev, one, pretty] = await Promise.all(answers);
  for (const r of [all, own, dev, one, pretty]) {
    t.equal(r!.status, 200);
    t.equal(index(r!), w.json.JobModifyIndex, 'at the write’s index');
  }
  t.same(all!.json.map((j: { ID: string }) => j.ID).sort(), ['api', 'web'], 'management sees every namespace');
  t.same(own!.json.map((j: { ID: string }) => j.ID), ['web'], 'a default-only token sees its namespace alone');
  t.same(dev!.json.map((j: { ID: string }) => j.ID), ['api'], 'the namespace parameter is the reader’s own');
  t.equal(one!.json.Meta.v, '2');
  t.equal(pretty!.body, `${JSON.stringify(one!.json, null, 4)}\n`, 'pretty is indented, the other compact');
  t.equal(one!.body, JSON.stringify(one!.json));
  t.equal(c.mock.store.watch.waiting(), 0, 'nothing left waiting');
});

t.test('parked readers time out each at its own deadline, earliest first; a write releases the rest', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const idx = index(await c.get('/v1/job/web'));
  const order: string[] = [];
  const hold = (wait: string): Promise<{ status: number; index: number }> =>
    c.get(`/v1/job/web?index=${idx}&wait=${wait}`).then((r) => (order.push(wait), { status: r.status, index: index(r) }));
  const long = hold('20s');
  const late = hold('400ms');
  const early = hold('100ms');
  await parked(() => c.mock.store.watch.waiting(), 3);
  t.same(await early, { status: 200, index: idx }, 'the shortest wait answers at its deadline with the same index');
  t.same(await late, { status: 200, index: idx });
  t.same(order, ['100ms', '400ms'], 'in deadline order, not arrival order');
  t.equal(c.mock.store.watch.waiting(), 1, 'the long wait is still parked');
  const w = await c.register(minimalJob('web', { Meta: { v: '2' } }));
  t.same(await long, { status: 200, index: w.json.JobModifyIndex }, 'and a write releases it');
  t.equal(c.mock.store.watch.waiting(), 0);
});

t.test('a reader whose connection closed is dropped; the other readers still get the write', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const idx = index(await c.get('/v1/job/web'));
  const get = (): { req: http.ClientRequest; answer: Promise<{ status: number; index: number; body: string }> } => {
    let req!: http.ClientRequest;
    const answer = new Promise<{ status: number; index: number; body: string }>((resolve, reject) => {
      req = http.get({ host: '127.0.0.1', port, path: `/v1/job/web?index=${idx}&wait=20s`, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, index: Number(res.headers['x-nomad-index']), body }));
      });
      req.on('error', reject);
    });
    return { req, answer };
  };
  const readers = [get(), get(), get(), get()];
  await parked(() => c.mock.store.watch.waiting(), 4);
  t.equal(c.mock.store.watch.waiting(), 4);
  readers[1]!.answer.catch(() => {});
  readers[1]!.req.destroy();
  readers[2]!.answer.catch(() => {});
  readers[2]!.req.destroy();
  for (let i = 0; i < 100 && c.mock.store.watch.waiting() > 2; i++) await sleep(20);
  t.equal(c.mock.store.watch.waiting(), 2, 'the two that hung up are no longer parked');
  const w = await c.register(minimalJob('web', { Meta: { v: '2' } }));
  const [a, d] = await Promise.all([readers[0]!.answer, readers[3]!.answer]);
  t.equal(a.status, 200);
  t.equal(a.index, w.json.JobModifyIndex);
  t.equal(a.body, d.body, 'the same answer to the same query');
  t.equal(JSON.parse(a.body).Meta.v, '2');
  t.equal(c.mock.store.watch.waiting(), 0);
});

t.test('a crowd of parked readers, some hanging up, is answered by one write and leaves nothing held', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const idx = index(await c.get('/v1/job/web'));
  const n = 120;
  const sockets: net.Socket[] = [];
  const answers = Array.from({ length: n }, () => {
    const s = net.connect(port, '127.0.0.1');
    sockets.push(s);
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.on('error', () => {});
    s.write(`GET /v1/job/web?index=${idx}&wait=60s HTTP/1.1\r\nHost: x\r\n\r\n`);
    return new Promise<string>((resolve) => s.on('data', () => text.includes('"Meta"') && resolve(text)));
  });
  await parked(() => c.mock.store.watch.waiting(), n);
  t.equal(c.mock.store.watch.waiting(), n, 'every reader is parked');
  t.equal(youngGenerationHeld(), true, 'so many parked readers hold the young generation at its size');
  for (let i = 0; i < n; i += 3) sockets[i]!.destroy();
  for (let i = 0; i < 100 && c.mock.store.watch.waiting() > n - n / 3; i++) await sleep(20);
  t.equal(c.mock.store.watch.waiting(), n - n / 3, 'the readers that hung up are no longer parked');
  const w = await c.register(minimalJob('web', { Meta: { v: '2' } }));
  const got = await Promise.all(answers.filter((_, i) => i % 3 !== 0));
  for (const text of got) {
    t.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    t.match(text, new RegExp(`\r\nx-nomad-index: ${w.json.JobModifyIndex}\r\n`, 'i'));
  }
  t.equal(c.mock.store.watch.waiting(), 0);
  t.equal(youngGenerationHeld(), false, 'the young generation may grow again once the crowd is gone');
  for (const s of sockets) s.destroy();
});

t.test('event subscribers get the writes of one turn in order, each through its own filter', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const from = c.mock.store.index + 1;
  const webOnly = await openStream(port, `/v1/event/stream?index=${from}&topic=Job:web`);
  const apiOnly = await openStream(port, `/v1/event/stream?index=${from}&topic=Job:api`);
  const jobs = await openStream(port, `/v1/event/stream?index=${from}&topic=Job`);
  t.teardown(() => [webOnly, apiOnly, jobs].forEach((s) => s.close()));
  await Promise.all([webOnly, apiOnly, jobs].map((s) => s.until((x) => x.startsWith('{}\n'))));

  // Two writes in one turn: both batches reach every subscriber whose filter they pass.
  const first = registerJob(c.mock.store, { job: minimalJob('web') }).Index;
  const second = registerJob(c.mock.store, { job: minimalJob('api') }).Index;
  const lines = async (s: typeof jobs, n: number): Promise<{ Index: number; Events: { Key: string; Topic: string }[] }[]> => {
    const text = await s.until((x) => x.split('\n').filter((l) => l.includes('"Events"')).length >= n);
    return text
      .split('\n')
      .filter((l) => l.includes('"Events"'))
      .map((l) => JSON.parse(l))
      .filter((b) => b.Index >= first);
  };
  const both = await lines(jobs, 2);
  t.same(
    both.map((b) => [b.Index, b.Events.map((e) => `${e.Topic}:${e.Key}`)]),
    [
      [first, ['Job:web']],
      [second, ['Job:api']],
    ],
    'one line per write, in commit order',
  );
  t.same((await lines(webOnly, 1)).map((b) => b.Index), [first]);
  t.same((await lines(apiOnly, 1)).map((b) => b.Index), [second]);
  await sleep(100);
  t.equal(webOnly.text().split('\n').filter((l) => l.includes('"Events"')).length, 1, 'nothing of the other job');
  const webLine = webOnly.text().split('\n').find((l) => l.includes('"Events"'));
  t.equal(webLine, jobs.text().split('\n').find((l) => l.includes('"Events"')), 'the same bytes for the same events');
});

/** Everything the server sends on one connection until it closes it (at most 10 s). */
function exchange(port: number, requests: string): { sent: Promise<void>; bytes: Promise<Buffer> } {
  const s = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  const sent = new Promise<void>((resolve) => s.once('connect', () => s.write(requests, () => resolve())));
  const bytes = new Promise<Buffer>((resolve) => {
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
  return { sent, bytes };
}

const withoutDate = (b: Buffer): string => b.toString('latin1').replace(/\r\nDate: [^\r]*/g, '');

t.test('released readers get the bytes an unblocked read gets, whatever their connection, encoding or method', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.register(minimalJob('api'));
  const idx = index(await c.get('/v1/job/web'));
  const listIdx = index(await c.get('/v1/jobs'));
  // Each reader's first request blocks; keep-alive ones then ask again on the same connection.
  const then = 'GET /v1/job/api HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  const shapes = (q: string): string[] => [
    `GET /v1/job/web${q} HTTP/1.1\r\nHost: x\r\n\r\n${then}`,
    `GET /v1/jobs${q.replace(`index=${idx}`, `index=${listIdx}`)} HTTP/1.1\r\nHost: x\r\n\r\n${then}`,
    `GET /v1/job/web${q} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    `GET /v1/job/web${q} HTTP/1.0\r\n\r\n`,
    `GET /v1/job/web${q} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n${then}`,
    `GET /v1/job/web${q} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: deflate\r\nConnection: close\r\n\r\n`,
    `GET /v1/job/web${q}&pretty=true HTTP/1.1\r\nHost: x\r\n\r\n${then}`,
    // Not a method Nomad serves: answered at once, the connection kept.
    `HEAD /v1/job/web${q} HTTP/1.1\r\nHost: x\r\n\r\n${then}`,
  ];
  const blocked = shapes(`?index=${idx}&wait=20s`);
  // Two of each, so every shape is answered from shared bytes at least once.
  const readers = [...blocked, ...blocked].map((r) => exchange(port, r));
  await Promise.all(readers.map((r) => r.sent));
  const gets = readers.length - 2;
  await parked(() => c.mock.store.watch.waiting(), gets);
  t.equal(c.mock.store.watch.waiting(), gets, 'every GET is parked');
  // One write: web changes, and with it the job list.
  await c.register(minimalJob('web', { Meta: { v: '2' } }));
  const released = await Promise.all(readers.map((r) => r.bytes));
  // The same requests now, answered at once: the same state, so the same answers.
  const direct = await Promise.all(shapes('?stale=').map((r) => exchange(port, r).bytes));
  for (let i = 0; i < released.length; i++) {
    const want = direct[i % direct.length]!;
    t.ok(want.length > 0);
    t.equal(withoutDate(released[i]!), withoutDate(want), `reader ${i}: ${blocked[i % blocked.length]!.split('\r\n')[0]}`);
  }
  t.match(released[0]!.toString(), /"v":"2"/, 'the answer after the write');
  const journal = (await c.get('/_mock/requests')).json as { Method: string; Path: string; Query: { index?: string }; Status: number }[];
  const entries = journal.filter((e) => e.Method === 'GET' && e.Query.index !== undefined);
  t.equal(entries.length, gets, 'a journal entry for each released reader');
  t.ok(entries.every((e) => e.Status === 200));
  t.ok(
    entries.every((e) => e.Query.index === String(e.Path === '/v1/jobs' ? listIdx : idx)),
    'each entry holds its own path and query',
  );
  t.equal(c.mock.store.watch.waiting(), 0);
});

t.test('a parked GET with a body, or with requests queued behind it, is answered and its connection serves the rest', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.register(minimalJob('api'));
  const idx = index(await c.get('/v1/job/web'));
  const then = 'GET /v1/job/api HTTP/1.1\r\nHost: x\r\n\r\nGET /v1/job/api HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  const readers = [
    exchange(port, `GET /v1/job/web?index=${idx}&wait=20s HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello${then}`),
    exchange(port, `GET /v1/job/web?index=${idx}&wait=20s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n${then}`),
    exchange(port, `GET /v1/job/web?index=${idx}&wait=20s HTTP/1.1\r\nHost: x\r\n\r\n${then}`),
  ];
  await Promise.all(readers.map((r) => r.sent));
  await parked(() => c.mock.store.watch.waiting(), readers.length);
  t.equal(c.mock.store.watch.waiting(), readers.length, 'every reader is parked');
  const w = await c.register(minimalJob('web', { Meta: { v: '2' } }));
  for (const bytes of await Promise.all(readers.map((r) => r.bytes))) {
    const text = bytes.toString('latin1');
    const answers = text.split(/(?=HTTP\/1\.1 )/);
    t.equal(answers.length, 3, 'the released answer and the two queued behind it');
    t.match(answers[0], new RegExp(`^HTTP/1\\.1 200 OK\r\n[^]*X-Nomad-Index: ${w.json.JobModifyIndex}\r\n[^]*"v":"2"`));
    t.match(answers[1], /^HTTP\/1\.1 200 OK\r\n[^]*"ID":"api"/);
    t.match(answers[2], /^HTTP\/1\.1 200 OK\r\n[^]*Connection: close\r\n[^]*"ID":"api"/);
  }
  t.equal(c.mock.store.watch.waiting(), 0);
});
