// Event-stream delivery shares bytes between subscribers (one frame per batch and filter, one run of
// frames per place in the buffer): sharing must never change what a subscriber receives. The same
// seeded scenario, on the manual clock, is run once with every subscriber alone on its own server and
// once with all of them together (several per filter, some joining later); each must receive exactly
// the bytes its lone twin received, chunk framing included.
import t from 'tap';
import net, { type AddressInfo } from 'node:net';
import { simClient, minimalJob, waitFor, type Client } from './helpers.js';
import { eventBuffer } from '../state/events/buffer.js';
import { eventDeliveriesDue } from '../routes/events/index.js';

interface Sub {
  name: string;
  path: string;
  method?: string;
  /** Opened after the first writes (a different place in the buffer than the early ones). */
  late?: boolean;
}

const SUBS: Sub[] = [
  { name: 'all', path: '/v1/event/stream' },
  { name: 'all again', path: '/v1/event/stream' },
  { name: 'all, replayed from 0', path: '/v1/event/stream?index=0', late: true },
  { name: 'all, late from the newest', path: '/v1/event/stream?index=1000000', late: true },
  { name: 'jobs', path: '/v1/event/stream?topic=Job' },
  { name: 'jobs again', path: '/v1/event/stream?topic=Job' },
  { name: 'jobs, late from 0', path: '/v1/event/stream?topic=Job&index=0', late: true },
  { name: 'web job and evals', path: '/v1/event/stream?topic=Job:web&topic=Evaluation:web' },
  { name: 'web job and evals, reordered', path: '/v1/event/stream?topic=Evaluation:web&topic=Job:web' },
  { name: 'allocs in every namespace', path: '/v1/event/stream?topic=Allocation&namespace=*' },
  { name: 'prod', path: '/v1/event/stream?namespace=prod' },
  { name: 'deployments by POST', path: '/v1/event/stream?topic=Deployment', method: 'POST' },
];

/** A raw subscriber: every byte after the head, and the head with its Date masked. */
function subscribe(port: number, s: Sub): { done: Promise<{ head: string; body: Buffer }>; read: () => number } {
  const sock = net.connect({ port, host: '127.0.0.1' });
  sock.write(`${s.method ?? 'GET'} ${s.path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
  const chunks: Buffer[] = [];
  sock.on('data', (c) => chunks.push(c));
  sock.on('error', () => {});
  const done = new Promise<{ head: string; body: Buffer }>((resolve) =>
    sock.on('close', () => {
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n') + 4;
      resolve({ head: all.subarray(0, end).toString('latin1').replace(/Date: [^\r]*/, 'Date: -'), body: all.subarray(end) });
    }),
  );
  return { done, read: () => sock.bytesRead };
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; !cond(); i++) {
    if (i > 500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

/** The seeded scenario with `subs` subscribed; resolves with each one's bytes once the server closed. */
async function scenario(subs: Sub[]): Promise<{ head: string; body: Buffer }[]> {
  const c: Client = await simClient({ seed: 'shared-frames' });
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const buffer = eventBuffer(c.mock.store);
  const sent: net.Socket[] = [];
  c.mock.app.server.on('connection', (sock: net.Socket) => sent.push(sock));
  const reads: (() => number)[] = [];
  const open = (list: Sub[]): Promise<{ head: string; body: Buffer }>[] =>
    list.map((s) => {
      const sub = subscribe(port, s);
      reads.push(sub.read);
      return sub.done;
    });
  const early = subs.filter((s) => !s.late);
  const late = subs.filter((s) => s.late);
  const results = open(early);
  await until(() => buffer.subscriberCount === early.length, 'the early subscribers');
  t.equal((await c.post('/v1/namespace/prod', { Name: 'prod' })).status, 200);
  t.equal((await c.register(minimalJob('web', { TaskGroups: [{ Name: 'web', Count: 3, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }] }))).status, 200);
  t.equal((await c.register(minimalJob('api'))).status, 200);
  await c.advance(2000);
  results.push(...open(late));
  await until(() => buffer.subscriberCount === subs.length, 'the late subscribers');
  t.equal((await c.register(minimalJob('p1', { Namespace: 'prod' }))).status, 200);
  t.equal((await c.register(minimalJob('web', { Meta: { v: '2' } }))).status, 200);
  await c.advance(5000);
  t.equal((await c.del('/v1/job/api')).status, 200);
  await c.advance(10_000);
  // Every subscriber has been sent everything: nobody is behind, and nothing waits in a socket.
  // Delivery is over when no stream waits for a slice and no bytes wait in a socket; then every byte
  // sent must be read before the close, which resets the connections.
  await waitFor(() => eventDeliveriesDue(c.mock.app) === 0 && c.mock.limits.eventQueuedBytes === 0 && buffer.length > 0, 'delivery');
  const total = (ns: number[]): number => ns.reduce((a, b) => a + b, 0);
  await waitFor(() => total(reads.map((r) => r())) === total(sent.map((x) => x.bytesWritten)), 'the subscribers to read every byte sent');
  await c.close();
  const all = await Promise.all(results);
  // Back in the order of `subs` (early ones were opened first).
  const order = [...early, ...late];
  return subs.map((s) => all[order.indexOf(s)]!);
}

t.test('subscribers together get exactly the bytes each gets alone, whatever their filters and places', async (t) => {
  const together = await scenario(SUBS);
  for (const [i, s] of SUBS.entries()) {
    const [alone] = await scenario([s]);
    const got = together[i]!;
    t.ok(alone!.body.includes('"Events"'), `${s.name}: the lone subscriber got events`);
    t.equal(got.head, alone!.head, `${s.name}: the same head`);
    t.ok(got.body.equals(alone!.body), `${s.name}: the same ${alone!.body.length} bytes as alone (got ${got.body.length})`);
  }
  // Equal filters get equal bytes; the key order of repeated topics does not matter.
  const body = (name: string): Buffer => together[SUBS.findIndex((s) => s.name === name)]!.body;
  t.ok(body('all').equals(body('all again')));
  t.ok(body('jobs').equals(body('jobs again')));
  t.ok(body('web job and evals').equals(body('web job and evals, reordered')));
  t.notOk(body('all').equals(body('all, late from the newest')), 'a late subscriber starts later');
});
