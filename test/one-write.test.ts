// An answer written in one piece (routes/http/one-write.ts) must be the bytes Node's own
// res.end(body) writes, whatever the body (text, UTF-8 text, bytes, empty), the header values
// (Node writes a header block with a text body as UTF-8 and with a Buffer body as latin1), the
// method (HEAD sends no body) or the connection (keep-alive, close, HTTP/1.0).
import t from 'tap';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { endInOneWrite } from '../routes/http/one-write.js';

interface Case {
  head: string[];
  body: string | Buffer;
}

const cases: Case[] = [
  { head: ['Vary', 'Accept-Encoding', 'X-Nomad-Index', '12', 'Content-Type', 'application/json'], body: '{"EvalID":"e","Index":12}' },
  { head: ['Content-Type', 'application/json'], body: '{"Meta":{"k":"häßlich ☃ 😀"}}' },
  { head: ['Content-Type', 'application/octet-stream'], body: Buffer.from([0, 1, 2, 250, 251, 252, 10, 13]) },
  // A header value with bytes over 0x7f (goHeaderValue hands Node UTF-8 as latin1 text).
  { head: ['X-Nomad-Nexttoken', Buffer.from('é☃', 'utf8').toString('latin1')], body: 'text body' },
  { head: ['X-Nomad-Nexttoken', Buffer.from('é☃', 'utf8').toString('latin1')], body: Buffer.from('bytes body') },
  { head: ['Content-Type', 'text/plain'], body: '' },
  { head: ['Content-Type', 'text/plain'], body: Buffer.alloc(0) },
  // Bodies bigger than Buffer's pool can lend: the text one still goes out in one write, the bytes
  // are left to Node (a copy of them would be a fresh allocation per answer).
  { head: ['Content-Type', 'application/json'], body: 'x'.repeat(70_000) },
  { head: ['Content-Type', 'application/json'], body: Buffer.alloc(70_000, 0x61) },
];

/** A server answering request `/n` with case n, through Node's res.end or through endInOneWrite. */
async function serve(oneWrite: boolean): Promise<{ port: number; close: () => Promise<void>; used: () => number }> {
  let used = 0;
  const server = http.createServer((req, res) => {
    const c = cases[Number(req.url!.slice(1))]!;
    const length = typeof c.body === 'string' ? Buffer.byteLength(c.body) : c.body.length;
    res.writeHead(200, [...c.head, 'Content-Length', String(length)]);
    if (oneWrite && endInOneWrite(res, c.body)) used++;
    else res.end(c.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
    used: () => used,
  };
}

/** The raw bytes a connection receives for `requests`, sent at once, until it is quiet or closed. */
function exchange(port: number, requests: string): Promise<Buffer> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(Buffer.concat(chunks));
    };
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      clearTimeout(timer);
      timer = setTimeout(done, 150);
    });
    s.on('close', done);
    s.write(requests);
  });
}

const noDate = (b: Buffer): string => b.toString('latin1').replace(/\r\nDate: [^\r]*\r\n/g, '\r\nDate: -\r\n');

t.test("an answer sent in one write is byte for byte what Node's res.end sends", async (t) => {
  const node = await serve(false);
  const one = await serve(true);
  t.teardown(async () => {
    await node.close();
    await one.close();
  });
  const all = cases.map((_, i) => `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('');
  const variants: [string, string][] = [
    ['pipelined on one keep-alive connection', all],
    ['HEAD', cases.map((_, i) => `HEAD /${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('')],
    ['Connection: close', `GET /0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    ['HTTP/1.0', `GET /1 HTTP/1.0\r\n\r\n`],
    ['HTTP/1.0 keep-alive', `GET /2 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n`],
  ];
  for (const [name, requests] of variants) {
    const want = noDate(await exchange(node.port, requests));
    const got = noDate(await exchange(one.port, requests));
    t.ok(want.length > 0, `${name}: answered`);
    t.equal(got, want, name);
  }
  // One request at a time as well (nothing queued behind the answer).
  for (let i = 0; i < cases.length; i++) {
    const r = `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    t.equal(noDate(await exchange(one.port, r)), noDate(await exchange(node.port, r)), `case ${i} alone`);
  }
  t.ok(one.used() > 0, 'answers did go out in one write');
});

t.test('a Buffer body too big for the pool is left to Node, a small one and any text are written at once', async (t) => {
  const seen: boolean[] = [];
  const bodies: (string | Buffer)[] = [Buffer.alloc(100, 1), Buffer.alloc(Buffer.poolSize, 1), 'y'.repeat(Buffer.poolSize)];
  const server = http.createServer((req, res) => {
    const body = bodies[Number(req.url!.slice(1))]!;
    res.writeHead(200, ['Content-Length', String(Buffer.byteLength(body))]);
    const used = endInOneWrite(res, body);
    seen.push(used);
    if (!used) res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const port = (server.address() as AddressInfo).port;
  for (let i = 0; i < bodies.length; i++) {
    const got = await exchange(port, `GET /${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    t.ok(got.subarray(got.length - Buffer.byteLength(bodies[i]!)).equals(Buffer.from(bodies[i]!)), `body ${i} arrives whole`);
  }
  t.same(seen, [true, false, true]);
});
