// The event buffer is bounded by bytes as well as by count: a batch weighs its longest stream line
// once a stream has needed it, and past `maxBytes` the oldest batches leave as if the count had
// moved (replay starts later; a stream that had not passed them is dropped as behind). At normal
// sizes the count bounds first, so replay stays Nomad's.
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { client, minimalJob, readJsonLines, type Client } from './helpers.js';
import { DEFAULT_EVENT_BUFFER_BYTES, DROPPED, eventBuffer } from '../state/events/buffer.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Line = any;

/** A stream that reads every line. */
function stream(port: number, path: string): { lines: Line[]; close: () => void } {
  const lines: Line[] = [];
  const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
    readJsonLines(res, (line) => lines.push(line));
    res.on('error', () => {});
  });
  req.on('error', () => {});
  return { lines, close: () => req.destroy() };
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; !cond(); i++) {
    if (i > 500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const jobIndexes = (lines: Line[]): number[] => lines.flatMap((l) => (l.Events ?? []).filter((e: Line) => e.Topic === 'Job').map((e: Line) => e.Index as number));

/** Registers `n` jobs of about `kb` KiB each while a stream of Job events reads them all. */
async function registerBig(c: Client, port: number, n: number, kb: number): Promise<{ indexes: number[]; reader: Line[] }> {
  const reader = stream(port, '/v1/event/stream?topic=Job');
  await until(() => eventBuffer(c.mock.store).subscriberCount === 1, 'the reader');
  const indexes: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await c.register(minimalJob(`big${i}`, { Meta: { blob: `${i}:`.padEnd(kb * 1024, 'x') } }));
    indexes.push(Number(r.headers['x-nomad-index']));
  }
  await until(() => jobIndexes(reader.lines).length === n, 'every Job event at the reader');
  reader.close();
  return { indexes, reader: reader.lines };
}

async function listening(): Promise<{ c: Client; port: number }> {
  const c = await client({ simulate: false });
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  return { c, port: (c.mock.app.server.address() as AddressInfo).port };
}

t.test('past maxBytes the oldest batches leave: replay from 0 starts later, a reader that keeps up gets every write', async (t) => {
  const { c, port } = await listening();
  t.teardown(() => c.close());
  const buffer = eventBuffer(c.mock.store);
  t.equal(buffer.maxBytes, DEFAULT_EVENT_BUFFER_BYTES);
  buffer.maxBytes = 300 * 1024;
  const { indexes, reader } = await registerBig(c, port, 12, 60);
  t.same(jobIndexes(reader), indexes, 'the reader got every Job event, in order');
  t.ok(buffer.bytes <= buffer.maxBytes, `${buffer.bytes} bytes buffered, within ${buffer.maxBytes}`);
  t.ok(buffer.bytes > 200 * 1024, 'the kept batches are weighed');
  t.ok(buffer.length < buffer.size, 'the count did not bound it');
  const kept = buffer.backlog(0);
  const firstKept = kept.find((b) => b.Events.some((e) => e.Topic === 'Job'))!.Index;
  t.ok(firstKept > indexes[0]!, 'the first big write left the buffer');
  t.ok(firstKept <= indexes[8]!, 'several big writes are kept');

  // A new stream from 0 replays exactly the Job events still buffered.
  const late = stream(port, '/v1/event/stream?topic=Job&index=0');
  const want = indexes.filter((i) => i >= firstKept);
  await until(() => jobIndexes(late.lines).length >= want.length, 'the replay');
  t.same(jobIndexes(late.lines), want, 'replay starts at the oldest kept batch');
  late.close();

  // A reset starts the weight over with the start-up batches.
  t.equal((await c.post('/_mock/reset', {})).status, 200);
  t.equal(buffer.bytes, 0);
});

t.test('at the default bound the same writes all stay, as Nomad keeps them (count only)', async (t) => {
  const { c, port } = await listening();
  t.teardown(() => c.close());
  const buffer = eventBuffer(c.mock.store);
  const { indexes } = await registerBig(c, port, 12, 60);
  t.ok(buffer.bytes > 12 * 60 * 1024, `${buffer.bytes} bytes weighed`);
  const kept = buffer.backlog(0).flatMap((b) => b.Events.filter((e) => e.Topic === 'Job').map((e) => e.Index));
  t.same(kept, indexes, 'every big write is kept');
});

t.test('a cursor is near its drop once the batches from it on weigh half of maxBytes, and dropped past it', async (t) => {
  const c = await client({ simulate: false });
  t.teardown(() => c.close());
  const buffer = eventBuffer(c.mock.store);
  buffer.maxBytes = 1000;
  for (let i = 0; i < 3; i++) t.equal((await c.register(minimalJob(`old${i}`))).status, 200);
  const before = buffer.backlog(0).length;
  const cursor = buffer.subscribe(Number.MAX_SAFE_INTEGER, () => {});
  t.teardown(() => cursor.unsubscribe());
  // From the newest batch: far from any drop.
  t.notOk(cursor.nearDrop());
  for (let i = 0; i < 3; i++) t.equal((await c.register(minimalJob(`w${i}`))).status, 200);
  const fresh = buffer.backlog(0).slice(before - 1);
  t.ok(fresh.length >= 4, `${fresh.length} batches from the cursor on`);
  // Weigh older batches heavily: what lies behind the cursor does not bring it near.
  for (const b of buffer.backlog(0).slice(0, before - 1)) buffer.charge(b, 300);
  t.notOk(cursor.nearDrop(), 'weight behind it does not count');
  buffer.charge(fresh[0]!, 200);
  buffer.charge(fresh[1]!, 200);
  t.notOk(cursor.nearDrop(), '400 of 1000 bytes from it on');
  buffer.charge(fresh[2]!, 150);
  t.ok(cursor.nearDrop(), '550 of 1000 bytes from it on');
  t.equal(cursor.peek(), fresh[0], 'still buffered');
  buffer.charge(fresh[3]!, 500);
  t.ok(buffer.bytes <= 1000, `${buffer.bytes} bytes kept`);
  t.equal(cursor.peek(), DROPPED, 'its next batch left the buffer: dropped');
});
