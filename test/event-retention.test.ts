// A subscriber that reads is never dropped because the server has not got round to writing to it:
// batches that left the buffer stay retained for it (up to RETAINED buffers), while one that stops
// taking bytes is dropped as Nomad drops a subscriber that falls behind.
import t from 'tap';
import { client, listening, openStream } from './helpers.js';
import { DROPPED, RETAINED, eventBuffer, type EventBatch, type EventCursor } from '../state/events/buffer.js';
import type { Store } from '../state/store.js';

/** `n` one-event writes committed in one go (no delivery can run in between); their indexes. */
function burst(store: Store, n: number, tag: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(store.write((tx) => (tx.emit('Job', `${tag}${i}`, 'default', null, { Job: { ID: `${tag}${i}` } }), tx.index)));
  return out;
}

/** Reads what the cursor has, in order: the indexes, or DROPPED. */
function drain(cursor: EventCursor, max = Infinity): number[] | typeof DROPPED {
  const got: number[] = [];
  while (got.length < max) {
    const b = cursor.peek();
    if (b === DROPPED) return DROPPED;
    if (b === null || typeof b === 'symbol') break;
    got.push(b.Index);
    cursor.advance();
  }
  return got;
}

t.test('a kept cursor reads every batch of a burst longer than the buffer; one not kept is dropped as before', async (t) => {
  const c = await client();
  t.teardown(() => c.close());
  const store = c.mock.store;
  const buffer = eventBuffer(store);
  burst(store, 3, 'before');
  const kept = buffer.subscribe(Number.MAX_SAFE_INTEGER, () => {});
  const plain = buffer.subscribe(Number.MAX_SAFE_INTEGER, () => {});
  t.teardown(() => (kept.unsubscribe(), plain.unsubscribe()));
  drain(kept);
  drain(plain);
  kept.keep(true);
  t.notOk(kept.nearDrop(), 'caught up: far from any drop');
  const written = burst(store, 1.5 * buffer.size, 'b');
  t.ok(kept.nearDrop(), 'three quarters of the retained batches behind: near the end of them');
  t.equal(plain.peek(), DROPPED, 'not kept: more than the buffer behind is dropped');
  t.same(drain(kept), written, 'kept: every batch, in order');
  t.notOk(kept.nearDrop());
});

t.test('a cursor that stops being kept is dropped once the buffer passes its place, and taking bytes again does not undo it', async (t) => {
  const c = await client();
  t.teardown(() => c.close());
  const store = c.mock.store;
  const buffer = eventBuffer(store);
  const size = buffer.size;
  burst(store, 3, 'before');
  const cursor = buffer.subscribe(Number.MAX_SAFE_INTEGER, () => {});
  t.teardown(() => cursor.unsubscribe());
  drain(cursor);
  cursor.keep(true);
  burst(store, 10, 'a');
  t.equal((drain(cursor, 5) as number[]).length, 5, 'read half of them');
  // Five behind when it stops taking bytes: dropped once its next batch leaves the buffer.
  cursor.keep(false);
  burst(store, size - 6, 'b');
  t.not(cursor.peek(), DROPPED, 'its next batch is still in the buffer');
  burst(store, 1, 'c');
  t.equal(cursor.peek(), DROPPED, 'its next batch left: dropped');
  cursor.keep(true);
  t.equal(cursor.peek(), DROPPED, 'still dropped once it takes bytes again');
});

t.test('a kept cursor left far behind by the server gets half a buffer from when it stops taking bytes', async (t) => {
  const c = await client();
  t.teardown(() => c.close());
  const store = c.mock.store;
  const buffer = eventBuffer(store);
  const size = buffer.size;
  const cursor = buffer.subscribe(Number.MAX_SAFE_INTEGER, () => {});
  t.teardown(() => cursor.unsubscribe());
  drain(cursor);
  cursor.keep(true);
  const first = burst(store, 1.5 * size, 'a');
  cursor.keep(false);
  t.equal((cursor.peek() as { Index: number }).Index, first[0], 'its next batch is retained although it left the buffer');
  burst(store, size / 2 - 1, 'b');
  t.not(cursor.peek(), DROPPED, 'half a buffer less one later: not yet');
  burst(store, 1, 'c');
  t.equal(cursor.peek(), DROPPED, 'half a buffer later: dropped');
});

t.test('retention is bounded: a kept cursor more than the retained batches behind is dropped', async (t) => {
  const c = await client();
  t.teardown(() => c.close());
  const store = c.mock.store;
  const buffer = eventBuffer(store);
  const cursor = buffer.subscribe(Number.MAX_SAFE_INTEGER, () => {});
  t.teardown(() => cursor.unsubscribe());
  drain(cursor);
  cursor.keep(true);
  burst(store, (RETAINED + 1) * buffer.size + 1, 'a');
  t.equal(cursor.peek(), DROPPED);
  t.equal(buffer.length, buffer.size, 'the buffer itself is as before');
});

t.test('a subscriber that reads gets every write of a burst longer than the buffer, committed before delivery could run', async (t) => {
  const { c, port } = await listening();
  t.teardown(() => c.close());
  const s = await openStream(port, '/v1/event/stream?topic=Job');
  t.teardown(() => s.close());
  await s.until((text) => text.includes('{}'));
  const size = eventBuffer(c.mock.store).size;
  const written = burst(c.mock.store, 1.5 * size, 'web');
  const text = await s.until((text) => text.includes(`"Index":${written.at(-1)!}`) || text.includes('dropped'));
  t.notOk(text.includes('event dropped from buffer'), 'not dropped');
  const lines = text.split('\n').filter((l) => l !== '' && l !== '{}');
  t.same(
    lines.map((l) => JSON.parse(l).Index),
    written,
    'one line per write, in order',
  );
});

t.test('retained batches are bounded by maxBytes as well: past it the oldest go, and a kept cursor on them is dropped', async (t) => {
  const c = await client();
  t.teardown(() => c.close());
  const store = c.mock.store;
  const buffer = eventBuffer(store);
  const cursor = buffer.subscribe(Number.MAX_SAFE_INTEGER, () => {});
  const seen = buffer.subscribe(Number.MAX_SAFE_INTEGER, () => {});
  t.teardown(() => (cursor.unsubscribe(), seen.unsubscribe()));
  drain(cursor);
  drain(seen);
  cursor.keep(true);
  seen.keep(true);
  buffer.maxBytes = 1000;
  burst(store, 1.2 * buffer.size, 'a');
  const batches: EventBatch[] = [];
  for (let b = seen.peek(); b !== null && typeof b !== 'symbol'; b = seen.peek()) {
    batches.push(b);
    seen.advance();
  }
  t.equal(batches.length, 1.2 * buffer.size);
  // The first fifth left the buffer by count and are retained; lines built for them now weigh them.
  for (const b of batches.slice(0, 7)) buffer.charge(b, 100);
  t.notOk(cursor.nearDrop(), '700 of 1000 retained bytes');
  buffer.charge(batches[7]!, 100);
  t.ok(cursor.nearDrop(), '800 of 1000 retained bytes: near the end of them');
  t.equal(cursor.peek(), batches[0], 'still retained');
  for (const b of batches.slice(8, 11)) buffer.charge(b, 100);
  t.equal(cursor.peek(), DROPPED, 'past maxBytes the oldest retained batch went: dropped');
  t.equal(buffer.length, buffer.size, 'the buffer itself is as before');
});
