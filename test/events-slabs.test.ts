// Event frames are encoded into shared slabs and a socket write is a view of adjacent frames (or a
// writev of pieces): whatever the sizes, slab ends, replay order and per-stream allowance, every
// stream must receive exactly the bytes of one plain `frame(line)` per batch, in the buffer's order.
import t from 'tap';
import net, { type AddressInfo } from 'node:net';
import { client, minimalJob } from './helpers.js';
import { eventBuffer, type EventBatch } from '../state/events/buffer.js';
import { FilterFrames, HEARTBEAT_FRAME, Run, SLAB_MAX, frame } from '../routes/events/frames.js';
import { batchLine, parseEventTopics } from '../routes/events/lines.js';

/** Lines of varied sizes: small ones, ones that fill slabs, and ones too big for a slab. */
const sizes = [10, 300, 5_000, 12_000, 200, SLAB_MAX / 4 + 1, 30, 20_000, SLAB_MAX, 7, 31_000, 900, 2 * SLAB_MAX, 1, 16_000];
const lineOf = (i: number, n: number): string => `{"i":${i},"s":"${'é'.repeat(n % 3).padEnd(n, 'x')}"}\n`;

t.test('slab frames are the bytes of frame(line), and adjacent frames make one piece', async (t) => {
  const batches: EventBatch[] = Array.from({ length: 60 }, (_, i) => ({ Index: i + 1, Events: [] }));
  const lines = batches.map((b, i) => lineOf(i, sizes[i % sizes.length]!));
  const frames = new FilterFrames((b) => (b.Index % 7 === 0 ? null : lines[b.Index - 1]!));
  for (const [i, b] of batches.entries()) {
    const f = frames.of(b);
    if (b.Index % 7 === 0) t.equal(f, null, `batch ${b.Index} has no frame`);
    else t.ok(f!.equals(frame(lines[i]!)), `batch ${b.Index}: the bytes of frame(line)`);
    t.equal(frames.of(b), f, 'a frame is built once');
  }
  // Any run of batches, in order: its pieces joined are the frames joined; pieces only where frames are not adjacent.
  for (const [from, to] of [[0, 60], [3, 9], [10, 40], [20, 21], [41, 59]] as const) {
    const run = new Run();
    const want: Buffer[] = [];
    for (let i = from; i < to; i++) {
      const f = frames.of(batches[i]!);
      if (f === null) continue;
      run.add(f);
      want.push(f);
    }
    const pieces = run.take();
    const joined = Buffer.concat(pieces);
    t.ok(joined.equals(Buffer.concat(want)), `run ${from}…${to}: the same bytes`);
    t.equal(run.bytes, joined.length);
    let breaks = 0;
    for (let k = 1; k < want.length; k++) if (want[k]!.buffer !== want[k - 1]!.buffer || want[k]!.byteOffset !== want[k - 1]!.byteOffset + want[k - 1]!.length) breaks++;
    t.equal(pieces.length, want.length === 0 ? 0 : breaks + 1, `run ${from}…${to}: one piece per stretch of adjacent frames`);
  }
});

t.test('frames built out of order (a late stream replaying what an early one skipped) still join in the buffer order', async (t) => {
  const batches: EventBatch[] = Array.from({ length: 40 }, (_, i) => ({ Index: i + 1, Events: [] }));
  const lines = batches.map((b, i) => lineOf(i, [40, 900, 3_000][i % 3]!));
  const frames = new FilterFrames((b) => lines[b.Index - 1]!);
  // The newest first (an early stream from the newest batch), then every other one, then the rest.
  const order = [39, 38, ...batches.keys()].filter((i, k, all) => all.indexOf(i) === k);
  order.sort((a, b) => (a % 2) - (b % 2));
  for (const i of order) frames.of(batches[i]!);
  const run = new Run();
  for (const b of batches) run.add(frames.of(b)!);
  const pieces = run.take();
  t.ok(pieces.length > 1, `${pieces.length} pieces`);
  t.ok(Buffer.concat(pieces).equals(Buffer.concat(lines.map(frame))), 'the frames of every batch, in order');
});

/** A raw subscriber: every byte after the head, and how many of them it has received so far. */
function subscribe(port: number, path: string): { received: () => number; body: Promise<Buffer> } {
  const sock = net.connect({ port, host: '127.0.0.1' });
  sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const chunks: Buffer[] = [];
  let received = 0;
  let head = -1;
  sock.on('data', (c) => {
    chunks.push(c);
    received += c.length;
    if (head < 0) {
      const end = Buffer.concat(chunks).indexOf('\r\n\r\n');
      if (end >= 0) head = end + 4;
    }
  });
  sock.on('error', () => {});
  const body = new Promise<Buffer>((resolve) =>
    sock.on('close', () => {
      const all = Buffer.concat(chunks);
      resolve(all.subarray(all.indexOf('\r\n\r\n') + 4));
    }),
  );
  return { received: () => (head < 0 ? 0 : received - head), body };
}

const until = async (cond: () => boolean, what: string): Promise<void> => {
  for (let i = 0; !cond(); i++) {
    if (i > 3000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

t.test('streams get one plain frame per batch across slab ends, big lines, late replays and a small allowance', async (t) => {
  const c = await client({ simulate: false });
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  // Several writes per socket write, cut at the allowance.
  c.mock.limits.eventSubscriberBytes = 24 * 1024;
  const buffer = eventBuffer(c.mock.store);
  const subs: { path: string; topic: string | undefined; first: EventBatch | null; sub: ReturnType<typeof subscribe>; want?: Buffer }[] = [];
  const open = async (path: string, topic?: string, index?: number): Promise<void> => {
    const n = buffer.subscriberCount;
    const sub = subscribe(port, path);
    await until(() => buffer.subscriberCount === n + 1, path);
    subs.push({ path, topic, first: index === undefined ? null : (buffer.backlog(index)[0] ?? null), sub });
  };
  const register = async (i: number): Promise<void> => {
    const kb = sizes[i % sizes.length]! / 1024;
    t.equal((await c.register(minimalJob(`j${i}`, { Meta: { blob: `${i}:`.padEnd(Math.ceil(kb * 1024), 'x') } }))).status, 200);
  };
  await open('/v1/event/stream', undefined, 0);
  for (let i = 0; i < 8; i++) await register(i);
  // Same filter, from the newest batch: it has frames built for batches the next one replays later.
  await open('/v1/event/stream?topic=Job&index=1000000000', 'Job', 1_000_000_000);
  for (let i = 8; i < 14; i++) await register(i);
  await open('/v1/event/stream?topic=Job&index=0', 'Job', 0);
  await open('/v1/event/stream?index=0', undefined, 0);
  for (let i = 14; i < 24; i++) await register(i);
  const all = buffer.backlog(0);
  t.ok(all.length < buffer.size, 'nothing left the buffer');
  for (const s of subs) {
    const from = s.first === null ? 0 : all.indexOf(s.first);
    t.ok(from >= 0, `${s.path}: its first batch is buffered`);
    const topics = parseEventTopics(s.topic === undefined ? undefined : [s.topic]);
    const want = [HEARTBEAT_FRAME];
    for (const b of all.slice(from)) {
      const line = batchLine(b, topics, 'default');
      if (line !== null) want.push(frame(line));
    }
    s.want = Buffer.concat(want);
  }
  // Everything committed has reached every stream before the server closes them.
  await until(() => subs.every((s) => s.sub.received() >= s.want!.length), 'delivery');
  await c.close();
  for (const s of subs) {
    const got = await s.sub.body;
    const expected = Buffer.concat([s.want!, Buffer.from('0\r\n\r\n')]);
    t.ok(got.equals(expected), `${s.path}: ${expected.length} bytes, one plain frame per batch (got ${got.length})`);
  }
});
