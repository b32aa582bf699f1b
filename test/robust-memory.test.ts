// What a slow or greedy client can make the server hold (issue 10, findings 3, 4 and 11), over real
// sockets: event-stream subscribers that stop reading, the request journal under large bodies, and
// request bodies that are huge, too many at once, or never finished. Memory is asserted by the
// server's own byte counters (NomadMock.limits, Journal.bytes), never by RSS or timing.
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { client, minimalJob, readJsonLines, type Client } from './helpers.js';
import { DROPPED_TEXT } from '../routes/events/index.js';
import { eventBuffer } from '../state/events/buffer.js';

async function listen(c: Client): Promise<number> {
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  return (c.mock.app.server.address() as AddressInfo).port;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, method: string, path: string, body?: string | Buffer, agent?: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes on a fresh socket and collects everything the server sends until it closes. */
function rawSocket(port: number): { sock: net.Socket; text: () => string; closed: Promise<void> } {
  const sock = net.connect(port, '127.0.0.1');
  let text = '';
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (text += d));
  sock.on('error', () => {});
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  return { sock, text: () => text, closed };
}

async function until(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A job whose register carries a `kb`-KiB Meta value, so each Job event line is about that big. */
const bigJob = (id: string, kb: number, n: number): string =>
  JSON.stringify({ Job: minimalJob(id, { Meta: { blob: `${n}:`.padEnd(kb * 1024, 'x') } }) });

/** A subscriber that reads everything: the indexes of the Job events it got, and whether it ended. */
function fastSubscriber(port: number, path: string): { indexes: Set<number>; ended: Promise<void>; close: () => void } {
  const indexes = new Set<number>();
  let endResolve!: () => void;
  const ended = new Promise<void>((r) => (endResolve = r));
  const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
    readJsonLines(res, (line) => {
      for (const e of line.Events ?? []) if (e.Topic === 'Job') indexes.add(e.Index);
    });
    res.on('close', endResolve);
    res.on('error', () => {});
  });
  req.on('error', () => {});
  return { indexes, ended, close: () => req.destroy() };
}

/** A subscriber that stops reading after the headers; `resume` reads the rest of the stream. */
function pausedSubscriber(port: number, path: string): Promise<{ resume: () => Promise<{ text: string; complete: boolean }>; gone: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.pause();
      let goneResolve!: () => void;
      const gone = new Promise<void>((r) => (goneResolve = r));
      res.on('close', goneResolve);
      res.on('error', () => {});
      resolve({
        gone,
        resume: () =>
          new Promise((done) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (text += d));
            res.on('end', () => done({ text, complete: res.complete }));
            res.on('close', () => done({ text, complete: res.complete }));
            res.resume();
          }),
      });
    });
    req.on('error', reject);
  });
}

t.test('a subscriber that stops reading is dropped as Nomad drops it, while one that reads gets every write', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const port = await listen(c);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());

  const slow = await pausedSubscriber(port, '/v1/event/stream?topic=Job');
  const fast = fastSubscriber(port, '/v1/event/stream?topic=Job');
  await until(() => eventBuffer(c.mock.store).subscriberCount === 2, 'both subscriptions');

  // 150 writes of ~100 KiB each: more than the 100-batch buffer, and far more than the socket holds.
  const written: number[] = [];
  for (let i = 0; i < 150; i++) {
    const r = await request(port, 'PUT', '/v1/jobs', bigJob('web', 100, i), agent);
    t.equal(r.status, 200);
    written.push(Number(r.headers['x-nomad-index']));
    t.ok(c.mock.limits.eventQueuedBytes <= c.mock.limits.eventQueueBudgetBytes, 'queued bytes within the budget');
  }
  await until(() => written.every((i) => fast.indexes.has(i)), 'the reading subscriber to get every write');
  t.pass('the reading subscriber got every write');
  t.ok(c.mock.limits.eventQueuedPeakBytes <= c.mock.limits.eventQueueBudgetBytes, 'the peak stayed within the budget');

  // The slow one reads what was queued for it, then Nomad's error text, and the stream ends cleanly.
  const got = await slow.resume();
  t.ok(got.text.endsWith(`\n${DROPPED_TEXT}`), 'the stream ends with "event dropped from buffer"');
  const lines = got.text.slice(0, -DROPPED_TEXT.length).split('\n').filter((l) => l !== '');
  t.ok(lines.length >= 1 && lines.every((l) => JSON.parse(l) !== undefined), 'what came before is whole ndjson lines');
  t.ok(got.complete, 'the response was complete (chunked terminator), not cut off');
  t.equal(c.mock.limits.eventSubscribersDropped, 1);
  await until(() => eventBuffer(c.mock.store).subscriberCount === 1, 'the dropped subscription to be gone');
  fast.close();
  await fast.ended;
  await until(() => c.mock.limits.eventQueuedBytes === 0, 'no queued bytes left');
});

t.test('many paused subscribers and big writes keep queued bytes within the global budget', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const port = await listen(c);
  const limits = c.mock.limits;
  limits.eventQueueBudgetBytes = 512 * 1024;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());

  const paused = await Promise.all(Array.from({ length: 10 }, () => pausedSubscriber(port, '/v1/event/stream?topic=Job')));
  const fast = fastSubscriber(port, '/v1/event/stream?topic=Job');
  await until(() => eventBuffer(c.mock.store).subscriberCount === 11, 'every subscription');

  // 120 writes of ~200 KiB: each paused socket fills up and stalls holding at most its 64 KiB
  // allowance plus one line; stalled ones are disconnected once the total passes the budget.
  const allowance = 11 * (limits.eventSubscriberBytes + 210 * 1024);
  const written: number[] = [];
  for (let i = 0; i < 120; i++) {
    const r = await request(port, 'PUT', '/v1/jobs', bigJob('web', 200, i), agent);
    written.push(Number(r.headers['x-nomad-index']));
  }
  await until(() => written.every((i) => fast.indexes.has(i)), 'the reading subscriber to get every write');
  t.pass('the reading subscriber got every write');
  t.ok(limits.eventQueuedPeakBytes <= limits.eventQueueBudgetBytes + allowance, `peak ${limits.eventQueuedPeakBytes} within the budget plus one allowance per subscriber`);
  await until(() => limits.eventQueuedBytes <= limits.eventQueueBudgetBytes, 'the stalled streams over the budget to be disconnected');
  t.pass('queued bytes are back within the budget');

  // Over the budget the longest-stalled were disconnected; the few the budget could hold are more
  // than the buffer behind, so when they read again they get Nomad's error text and a clean end.
  const evicted = limits.eventSubscribersDropped;
  t.ok(evicted >= 7, `${evicted} paused subscribers disconnected for the budget`);
  const outcomes = await Promise.all(paused.map((p) => p.resume()));
  const cut = outcomes.filter((o) => !o.complete);
  const told = outcomes.filter((o) => o.complete && o.text.endsWith(`\n${DROPPED_TEXT}`));
  t.equal(cut.length, evicted, 'the disconnected ones see the connection cut');
  t.equal(told.length, 10 - evicted, 'the others are dropped as Nomad drops them');
  await until(() => eventBuffer(c.mock.store).subscriberCount === 1, 'only the reading subscriber left');
  t.equal((await request(port, 'GET', '/v1/jobs')).status, 200, 'the server answers');
  fast.close();
});

t.test('the journal stays within its entry and byte bounds and keeps 64 KiB of each body with its real size', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const journal = c.mock.control.journal;
  t.same(journal.limits, { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024, maxBodyBytes: 64 * 1024 }, 'the default bounds');

  // Defaults: big bodies are cut to 64 KiB.
  const big = Buffer.alloc(5 * 1024 * 1024, 'a');
  for (let i = 0; i < 3; i++) await c.req('PUT', '/v1/jobs', big);
  await c.req('POST', '/v1/job/web/dispatch', big);
  const all = journal.list();
  t.equal(all.length, 4);
  for (const e of all) {
    t.equal(e.BodySize, big.length, 'the real size');
    t.equal(e.BodyTruncated, true, 'flagged as truncated');
    t.equal(e.Body.length, 64 * 1024, 'the first 64 KiB');
  }
  t.ok(journal.bytes < 4 * 70 * 1024, `${journal.bytes} bytes held for four 5 MiB bodies`);

  // Tighter bounds: the oldest entries go first, by count and by bytes.
  journal.limits.maxEntries = 50;
  journal.limits.maxBytes = 1024 * 1024;
  for (let i = 0; i < 40; i++) await c.req('PUT', '/v1/jobs', big);
  t.ok(journal.bytes <= 1024 * 1024, `bytes ${journal.bytes} within the bound`);
  t.ok(journal.length <= 15, `${journal.length} big entries fit`);
  for (let i = 0; i < 120; i++) await c.get(`/v1/job/j${i}`);
  t.equal(journal.length, 50, 'entries within the bound');
  t.ok(journal.bytes <= 1024 * 1024);

  const r = await c.get('/_mock/requests');
  t.equal(r.status, 200);
  t.equal((r.json as unknown[]).length, 50, 'the listing has every entry');
  t.equal(r.headers['x-nomad-nexttoken'], undefined, 'no next page');

  // Pages of 20 with Nomad's per_page/next_token, until the last one.
  const seen: number[] = [];
  let token = '';
  let pages = 0;
  do {
    const p = await c.get(`/_mock/requests?per_page=20${token ? `&next_token=${token}` : ''}`);
    t.equal(p.status, 200);
    const ids = (p.json as { ID: number }[]).map((e) => e.ID);
    t.ok(ids.length <= 20);
    seen.push(...ids);
    token = String(p.headers['x-nomad-nexttoken'] ?? '');
    pages++;
  } while (token !== '' && pages < 10);
  t.equal(pages, 3);
  t.same(seen, (r.json as { ID: number }[]).map((e) => e.ID), 'the pages together are the listing, in order');
  t.equal((await c.get('/_mock/requests?per_page=0')).status, 400);
  t.equal((await c.get('/_mock/requests?next_token=x')).status, 400);
  t.equal(journal.list({ path: '/v1/job/*', limit: 5 }).length, 5, 'the in-process list still works');
});

t.test('an idle half-sent body is answered with Go\'s i/o timeout and the connection closed; others are served', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const port = await listen(c);
  c.mock.limits.bodyIdleMs = 300;

  const stalled = rawSocket(port);
  stalled.sock.write('PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"Job":{"ID":"w');
  await until(() => c.mock.limits.bodyBytes > 0, 'the body to start');
  t.equal((await request(port, 'GET', '/v1/jobs')).status, 200, 'another client is served meanwhile');
  await stalled.closed;
  const text = stalled.text();
  t.match(text, /^HTTP\/1\.1 400 /, '400');
  t.match(text, /\r\nconnection: close\r\n/i, 'Connection: close');
  t.match(text, /\r\n\r\nread tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: i\/o timeout$/, "Go's read-deadline text");
  t.equal(c.mock.limits.bodiesTimedOut, 1);
  t.equal(c.mock.limits.bodyBytes, 0, 'its bytes are released');
  t.equal((await request(port, 'GET', '/v1/jobs')).status, 200, 'the server still answers');
});

t.test('a body that never starts, or pauses less than the idle limit between pieces, is timed out or served accordingly', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const port = await listen(c);
  c.mock.limits.bodyIdleMs = 300;

  // Headers alone: no byte of the body ever comes.
  const silent = rawSocket(port);
  silent.sock.write('PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n');
  await silent.closed;
  t.match(silent.text(), /^HTTP\/1\.1 400 /, '400');
  t.match(silent.text(), /\r\n\r\nread tcp 127\.0\.0\.1:\d+->127\.0\.0\.1:\d+: i\/o timeout$/, "Go's read-deadline text");
  t.equal(c.mock.limits.bodiesTimedOut, 1);

  // Pieces 150 ms apart, 600 ms in all: each one restarts the idle clock.
  const body = JSON.stringify({ Job: { ID: 'slow', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker' }] }] } });
  const slow = rawSocket(port);
  slow.sock.write(`PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`);
  const step = Math.ceil(body.length / 4);
  for (let i = 0; i < body.length; i += step) {
    await new Promise((r) => setTimeout(r, 150));
    slow.sock.write(body.slice(i, i + step));
  }
  await until(() => /\r\n\r\n\{/.test(slow.text()), 'the answer');
  t.match(slow.text(), /^HTTP\/1\.1 200 /, 'served');
  t.equal(c.mock.limits.bodiesTimedOut, 1, 'not timed out');
  t.equal(c.mock.limits.bodyBytes, 0, 'its bytes are released');
  slow.sock.destroy();
});

t.test('request bodies share a budget: the excess is refused with 400 http: request body too large', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const port = await listen(c);
  const limits = c.mock.limits;
  limits.bodyBudgetBytes = 1024 * 1024;
  limits.maxBodyBytes = 900 * 1024;

  // One client is part-way through a 800 KiB body …
  const first = rawSocket(port);
  first.sock.write('PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 819200\r\n\r\n');
  first.sock.write(Buffer.alloc(700 * 1024, ' '));
  await until(() => limits.bodyBytes >= 700 * 1024, 'the first body to be buffered');

  // … so a second 400 KiB body does not fit: refused up front (declared) and while streaming (chunked).
  const declared = await request(port, 'PUT', '/v1/jobs', Buffer.alloc(400 * 1024, ' '));
  t.equal(declared.status, 400);
  t.equal(declared.body, 'http: request body too large');
  t.equal(declared.headers.connection, 'close');
  t.match(String(declared.headers['content-type']), /^text\/plain/);

  const chunked = await new Promise<Answer>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/v1/jobs', agent: false, headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    for (let i = 0; i < 10; i++) req.write(Buffer.alloc(40 * 1024, ' '));
    req.end();
  });
  t.equal(chunked.status, 400);
  t.equal(chunked.body, 'http: request body too large');
  t.equal(chunked.headers.connection, 'close');

  // A body over the per-request limit is refused whatever the budget.
  const huge = await request(port, 'PUT', '/v1/jobs', Buffer.alloc(950 * 1024, ' '));
  t.equal(huge.status, 400);
  t.equal(huge.body, 'http: request body too large');
  t.ok(limits.bodyBytes <= limits.bodyBudgetBytes, 'buffered bytes never passed the budget');

  // The first body, within the budget, is read and answered by its route (whitespace → EOF).
  first.sock.write(Buffer.alloc(100 * 1024, ' '));
  await until(() => /\r\n\r\n/.test(first.text()), 'the first answer');
  t.match(first.text(), /^HTTP\/1\.1 400 /);
  t.match(first.text(), /\r\n\r\nEOF$/);
  first.sock.destroy();
  t.equal(limits.bodyBytes, 0, 'nothing buffered once the bodies are done');
  t.ok(limits.bodiesRefused >= 3);
  t.equal((await request(port, 'PUT', '/v1/jobs', JSON.stringify({ Job: minimalJob('ok') }))).status, 200, 'a normal write still works');
});
