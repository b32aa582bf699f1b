// Header blocks reused for answers with the same header list (routes/http/head-cache.ts): every
// answer, reused or rendered by Node, is the same bytes Node writes, Date aside, whatever the
// connection's state or the server's keep-alive settings.
import t from 'tap';
import net, { type AddressInfo } from 'node:net';
import { client, minimalJob } from './helpers.js';
import { reusedHeaderBlocks } from '../routes/http/head-cache.js';

/** Sends requests one after another on one connection, each once the answer before is complete. */
async function exchanges(port: number, requests: string[]): Promise<string[]> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise((r) => s.once('connect', r));
  const answers: string[] = [];
  let buf = Buffer.alloc(0);
  let done: ((v: void) => void) | null = null;
  s.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return;
    const m = /\r\ncontent-length: (\d+)/i.exec(buf.subarray(0, end).toString('latin1'));
    const total = end + 4 + (m ? Number(m[1]) : 0);
    if (buf.length < total) return;
    answers.push(buf.subarray(0, total).toString('latin1'));
    buf = buf.subarray(total);
    done?.();
  });
  for (const r of requests) {
    const got = new Promise((res) => (done = res));
    s.write(r);
    await got;
  }
  s.destroy();
  return answers;
}

const noDate = (a: string): string => a.replace(/\r\nDate: [^\r]*\r\n/, '\r\nDate: -\r\n');
const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${extra}\r\n`;

t.test('answers with a reused header block are byte for byte what Node renders, Date aside', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const before = reusedHeaderBlocks();
  const [first, second, third, gz, closing] = await exchanges(port, [
    get('/v1/job/web'),
    get('/v1/job/web'),
    get('/v1/job/web'),
    get('/v1/job/web', 'Accept-Encoding: gzip\r\n'),
    get('/v1/job/web', 'Connection: close\r\n'),
  ]);
  t.ok(reusedHeaderBlocks() - before >= 1, 'a header block was reused');
  t.match(first, /^HTTP\/1\.1 200 OK\r\nVary: Accept-Encoding\r\nX-Nomad-Index: \d+\r\nX-Nomad-Knownleader: true\r\nX-Nomad-Lastcontact: 0\r\nContent-Type: application\/json\r\nContent-Length: \d+\r\nDate: [^\r]+ GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=72\r\n\r\n\{/);
  t.equal(noDate(second!), noDate(first!), 'the second answer');
  t.equal(noDate(third!), noDate(first!), 'the third answer');
  t.match(gz, /\r\nContent-Encoding: gzip\r\n/, 'a different header list is rendered by Node');
  t.match(closing, /\r\nConnection: close\r\n\r\n/, 'a connection that closes says so');
  t.notMatch(closing, /Keep-Alive/, 'and offers no keep-alive');
  t.equal(noDate(closing!).replace('Connection: close\r\n', 'Connection: keep-alive\r\nKeep-Alive: timeout=72\r\n'), noDate(first!));
});

t.test('a write changes the index the next read carries; HTTP/1.0 and other servers get their own block', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const [a, b] = await exchanges(port, [get('/v1/job/web'), get('/v1/job/web')]);
  t.equal(noDate(b!), noDate(a!));
  const written = await c.register(minimalJob('web', { Meta: { v: '2' } }));
  const [after] = await exchanges(port, [get('/v1/job/web')]);
  t.match(after, new RegExp(`\\r\\nX-Nomad-Index: ${written.json.JobModifyIndex}\\r\\n`), 'the new index');
  t.match(after, /"v":"2"/, 'the new body');
  const [old] = await exchanges(port, [`GET /v1/job/web HTTP/1.0\r\nHost: localhost\r\n\r\n`]);
  t.match(old, /^HTTP\/1\.1 200 OK\r\n/);
  t.match(old, /\r\nConnection: close\r\n\r\n/, 'HTTP/1.0 without keep-alive: the connection closes');
  const other = await client();
  t.teardown(other.close);
  await other.register(minimalJob('web'));
  await other.mock.app.listen({ port: 0, host: '127.0.0.1' });
  other.mock.app.server.keepAliveTimeout = 5000;
  const otherPort = (other.mock.app.server.address() as AddressInfo).port;
  const [x, y] = await exchanges(otherPort, [get('/v1/job/web'), get('/v1/job/web')]);
  t.match(x, /\r\nKeep-Alive: timeout=5\r\n/, "the other server's keep-alive timeout");
  t.equal(noDate(y!), noDate(x!));
});

t.test('a reused header block carries the Date of the second it is sent in, across second boundaries', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const dates = new Set<string>();
  let first: string | undefined;
  // Until three distinct Dates were seen (at least two second boundaries crossed), at most 6 s.
  for (const end = Date.now() + 6000; dates.size < 3 && Date.now() < end; ) {
    const before = Math.floor(Date.now() / 1000) * 1000;
    const [a] = await exchanges(port, [get('/v1/job/web')]);
    const after = Date.now();
    const date = /\r\nDate: ([^\r]+)\r\n/.exec(a!)![1]!;
    const at = Date.parse(date);
    if (at < before || at > after) t.fail(`Date ${date} is outside the moment it was sent in`);
    dates.add(date);
    first ??= a;
    if (noDate(a!) !== noDate(first!)) t.fail('the answer changed with its Date');
    await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(dates.size >= 2, `the Date moved on (${[...dates].join(', ')})`);
});

t.test("registers, whose answers differ only in digits (index, length), reuse the block and get Node's bytes", async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const put = (id: string): string => {
    const body = JSON.stringify({ Job: minimalJob(id) });
    return `PUT /v1/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  };
  const before = reusedHeaderBlocks();
  // IDs of several lengths: Content-Length changes as well as the index.
  const ids = Array.from({ length: 12 }, (_, i) => `w${'x'.repeat(i % 4)}-${i}`);
  const answers = await exchanges(port, ids.map(put));
  t.ok(reusedHeaderBlocks() - before >= ids.length - 2, 'the blocks of later registers were reused');
  const lengths = new Set<number>();
  for (const a of answers) {
    const end = a.indexOf('\r\n\r\n');
    const body = a.slice(end + 4);
    const index = (JSON.parse(body) as { Index: number }).Index;
    lengths.add(body.length);
    // What Node renders for the list emitAnswer gives it (checked against Node in the test above).
    const want = `HTTP/1.1 200 OK\r\nVary: Accept-Encoding\r\nX-Nomad-Index: ${index}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\nDate: -\r\nConnection: keep-alive\r\nKeep-Alive: timeout=72\r\n\r\n`;
    t.equal(noDate(a.slice(0, end + 4)), want);
  }
  t.ok(lengths.size > 1, 'bodies of several lengths');
  // A read after the writes: its own list, still Node's bytes.
  const [read] = await exchanges(port, [get(`/v1/job/${ids[0]}`)]);
  t.match(read, /^HTTP\/1\.1 200 OK\r\nVary: Accept-Encoding\r\nX-Nomad-Index: \d+\r\nX-Nomad-Knownleader: true\r\nX-Nomad-Lastcontact: 0\r\nContent-Type: application\/json\r\nContent-Length: \d+\r\nDate: [^\r]+\r\nConnection: keep-alive\r\nKeep-Alive: timeout=72\r\n\r\n\{/);
});
