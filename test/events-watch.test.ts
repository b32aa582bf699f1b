// A committed write no longer calls every stream: the event routes watch the buffer once and make
// their open streams due when the next delivery slice starts. What a subscriber receives must not
// change: every batch's line whole and in commit order, however many writes were committed in one
// turn, per filter; a reset still ends every stream; closed streams leave nothing behind.
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { client, minimalJob, openStream, simClient, waitFor, type Client, type OpenStream } from './helpers.js';
import { eventBuffer } from '../state/events/buffer.js';
import { eventDeliveriesDue } from '../routes/events/index.js';

async function listen(c: Client): Promise<number> {
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  return (c.mock.app.server.address() as AddressInfo).port;
}

/** The ndjson lines of a stream's body so far (node:http has taken the chunk framing off). */
const lines = (s: OpenStream): string[] => s.text().split('\n').slice(0, -1);

interface Line {
  Index?: number;
  Events?: { Topic: string; Key: string; Index: number }[];
}

t.test('lines of many writes committed together reach every stream whole and in commit order, per filter', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(() => c.close());
  const port = await listen(c);
  const buffer = eventBuffer(c.mock.store);
  const all = await Promise.all([0, 1, 2].map(() => openStream(port, '/v1/event/stream')));
  const jobs = await Promise.all([0, 1].map(() => openStream(port, '/v1/event/stream?topic=Job')));
  t.teardown(() => [...all, ...jobs].forEach((s) => s.close()));
  await waitFor(() => buffer.subscriberCount === 5, 'every stream subscribed');
  const before = buffer.backlog(0).length;

  // Registers on separate requests at once, then one scheduler pass placing every one of them:
  // several committed writes per turn of the loop, and a slice makes all five streams due at once.
  const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
  const answers = await Promise.all(ids.map((id) => c.register(minimalJob(id))));
  t.same(answers.map((r) => r.status), ids.map(() => 200));
  await c.advance(1000);

  // A stream without `index` starts at the oldest buffered batch.
  const batches = buffer.backlog(0);
  t.ok(batches.length > before + ids.length, `${batches.length - before} batches committed`);
  // The Job filter: exactly the batches with Job events, each with only those events.
  const jobLines = batches
    .map((b) => ({ Index: b.Index, keys: b.Events.filter((e) => e.Topic === 'Job').map((e) => e.Key) }))
    .filter((b) => b.keys.length > 0);
  t.same([...new Set(jobLines.map((b) => b.keys).flat())].sort(), [...ids].sort(), 'each register made Job events');
  for (const s of all) await s.until((text) => text.includes(`{"Index":${batches.at(-1)!.Index},`));
  for (const s of jobs) await s.until((text) => text.includes(`{"Index":${jobLines.at(-1)!.Index},`));
  await waitFor(() => eventDeliveriesDue(c.mock.app) === 0, 'delivery to finish');

  // Every stream: the opening heartbeat, then one line per batch, each a whole JSON object.
  const parsed = (s: OpenStream): Line[] => lines(s).map((l) => JSON.parse(l) as Line);
  for (const s of all) {
    const got = parsed(s);
    t.same(got[0], {}, 'the heartbeat first');
    t.same(
      got.slice(1).map((l) => l.Index),
      batches.map((b) => b.Index),
      'one line per committed batch, in commit order',
    );
    t.equal(s.text(), all[0]!.text(), 'streams with the same filter get the same bytes');
  }
  for (const s of jobs) {
    const got = parsed(s).slice(1);
    t.same(
      got.map((l) => ({ Index: l.Index, keys: l.Events!.map((e) => e.Key) })),
      jobLines,
      'the Job stream: the matching batches, in order',
    );
    t.ok(
      got.every((l) => l.Events!.every((e) => e.Topic === 'Job')),
      'and only their Job events',
    );
  }
});

t.test('a reset ends every open stream, whatever its filter', async (t) => {
  const c = await simClient();
  t.teardown(() => c.close());
  const port = await listen(c);
  const buffer = eventBuffer(c.mock.store);
  const streams = await Promise.all(['', '?topic=Job', '?topic=Node&index=0'].map((q) => openStream(port, `/v1/event/stream${q}`)));
  t.teardown(() => streams.forEach((s) => s.close()));
  await waitFor(() => buffer.subscriberCount === 3, 'every stream subscribed');
  t.equal((await c.register(minimalJob('web'))).status, 200);
  t.equal((await c.post('/_mock/reset', {})).status, 200);
  await Promise.all(streams.map((s) => s.ended));
  t.equal(eventBuffer(c.mock.store).subscriberCount, 0, 'no subscription left');
  t.equal(eventDeliveriesDue(c.mock.app), 0, 'no stream waits for delivery');
});

t.test('streams closed while writes go on leave no subscription and no due stream behind', async (t) => {
  const c = await client();
  t.teardown(() => c.close());
  const port = await listen(c);
  const buffer = eventBuffer(c.mock.store);
  const streams = await Promise.all([0, 1, 2, 3].map(() => openStream(port, '/v1/event/stream')));
  await waitFor(() => buffer.subscriberCount === 4, 'every stream subscribed');
  for (const [i, s] of streams.entries()) {
    s.close();
    t.equal((await c.register(minimalJob(`j${i}`))).status, 200);
  }
  await waitFor(() => buffer.subscriberCount === 0, 'every subscription to end');
  t.equal((await c.register(minimalJob('after'))).status, 200);
  await waitFor(() => eventDeliveriesDue(c.mock.app) === 0, 'nothing due');
  t.equal(c.mock.limits.eventQueuedBytes, 0, 'no bytes counted as queued');
});

t.test('a cursor without a listener of its own counts as a subscriber; a watcher does not', async (t) => {
  const c = await client();
  t.teardown(() => c.close());
  const buffer = eventBuffer(c.mock.store);
  const base = buffer.subscriberCount;
  const seen: (number | null)[] = [];
  const unwatch = buffer.watch((b) => seen.push(b === null ? null : b.Index));
  t.equal(buffer.subscriberCount, base, 'a watcher is no subscriber');
  const cursor = buffer.subscribe(Number.MAX_SAFE_INTEGER);
  t.equal(buffer.subscriberCount, base + 1);
  const drain = (): number[] => {
    const out: number[] = [];
    for (let b = cursor.peek(); b !== null && typeof b === 'object'; b = cursor.peek()) {
      out.push(b.Index);
      cursor.advance();
    }
    return out;
  };
  drain(); // a subscription past the newest batch starts at it
  t.equal((await c.register(minimalJob('web'))).status, 200);
  t.ok(seen.length > 0 && seen.every((i) => typeof i === 'number'), 'the watcher is called per batch');
  t.same(drain(), seen, 'the cursor pulls every batch the watcher was told of');
  cursor.unsubscribe();
  cursor.unsubscribe();
  t.equal(buffer.subscriberCount, base, 'unsubscribed once, counted once');
  unwatch();
  const n = seen.length;
  await c.register(minimalJob('api'));
  t.equal(seen.length, n, 'an unwatched listener is not called');
});
