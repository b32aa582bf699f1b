// The event stream (events.mdx; http-semantics §1.4 `/v1/event/stream`), over a real socket: ndjson
// lines, heartbeats, topic/key/namespace filters, index replay from the buffer, errors, and that a
// closed stream leaves no subscription behind.
//
// Replay follows hashicorp/nomad's broker (nomad/stream event_broker.go `Subscribe`,
// event_buffer.go `StartAtClosest`): index=0 replays the whole buffer; index=N starts at the first
// buffered write whose index is ≥ N.
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { client, index, minimalJob, type Client } from './helpers.js';
import { EVENT_STREAM } from '../routes/events/index.js';
import { eventBuffer } from '../state/events/buffer.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Line = any;

interface Stream {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Raw text of a non-200 answer. */
  body: string;
  lines: Line[];
  /** Resolves with the first line (from `from` on) matching `pred`; rejects after `timeoutMs`. */
  waitFor(pred: (l: Line) => boolean, what: string, timeoutMs?: number, from?: number): Promise<Line>;
  close(): void;
  ended: Promise<void>;
}

/** Every event seen so far. */
const events = (s: Stream): Line[] => s.lines.flatMap((l) => l.Events ?? []);

async function listen(c: Client): Promise<number> {
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  return (c.mock.app.server.address() as AddressInfo).port;
}

function open(port: number, path: string, method = 'GET'): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      const lines: Line[] = [];
      const waiters = new Set<() => void>();
      let body = '';
      let buf = '';
      let endResolve!: () => void;
      const ended = new Promise<void>((r) => (endResolve = r));
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (res.statusCode !== 200) {
          body += d;
          return;
        }
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const text = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          lines.push(JSON.parse(text));
        }
        for (const w of [...waiters]) w();
      });
      res.on('end', endResolve);
      res.on('close', endResolve);
      res.on('error', () => {});
      const waitFor = (pred: (l: Line) => boolean, what: string, timeoutMs = 3000, from = 0): Promise<Line> =>
        new Promise((ok, fail) => {
          const check = (): boolean => {
            const hit = lines.slice(from).find(pred);
            if (hit === undefined) return false;
            waiters.delete(check);
            clearTimeout(timer);
            ok(hit);
            return true;
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            fail(new Error(`timed out waiting for ${what}; got ${JSON.stringify(lines).slice(0, 2000)}`));
          }, timeoutMs);
          if (!check()) waiters.add(check);
        });
      const s: Stream = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          return body;
        },
        lines,
        waitFor,
        close: () => req.destroy(),
        ended,
      };
      if (res.statusCode === 200) resolve(s);
      else res.on('end', () => resolve(s));
    });
    req.on('error', reject);
    req.end();
  });
}

async function setup(t: Test, simulate = true): Promise<{ c: Client; port: number; streams: Stream[]; stream: (path: string) => Promise<Stream> }> {
  const c = await client({ simulate });
  const port = await listen(c);
  const streams: Stream[] = [];
  t.teardown(async () => {
    for (const s of streams) s.close();
    await c.close();
  });
  return {
    c,
    port,
    streams,
    stream: async (path) => {
      const s = await open(port, path);
      streams.push(s);
      return s;
    },
  };
}

/** Registers through the socket, as a real client would. */
async function register(port: number, job: object, query = ''): Promise<{ status: number; index: number; json: Line }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/jobs${query}`, { method: 'PUT', body: JSON.stringify({ Job: job }) });
  return { status: res.status, index: Number(res.headers.get('x-nomad-index')), json: await res.json() };
}

// Bounds a wait for the server's own doings; generous, since the machine may be loaded.
const until = async (cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

t.test('headers, the first-line heartbeat, and periodic heartbeats', async (t) => {
  const saved = EVENT_STREAM.heartbeatMs;
  EVENT_STREAM.heartbeatMs = 50;
  t.teardown(() => void (EVENT_STREAM.heartbeatMs = saved));
  const { stream } = await setup(t, false);
  const s = await stream('/v1/event/stream?topic=Job');
  t.equal(s.status, 200);
  t.equal(s.headers['content-type'], 'application/json', 'bare application/json');
  t.equal(s.headers['cache-control'], 'no-cache');
  t.equal(s.headers['transfer-encoding'], 'chunked');
  await s.waitFor(() => s.lines.length >= 3, 'three heartbeats');
  t.same(s.lines[0], {}, 'the first line is a heartbeat');
  t.ok(s.lines.slice(0, 3).every((l) => Object.keys(l).length === 0), 'heartbeats are {}');
});

t.test('registering a job streams JobRegistered and the evaluation events', async (t) => {
  const { port, stream } = await setup(t);
  const s = await stream('/v1/event/stream');
  await s.waitFor((l) => Object.keys(l).length === 0, 'heartbeat');
  const reg = await register(port, minimalJob('web'));
  t.equal(reg.status, 200);
  const line = await s.waitFor((l) => l.Events?.some((e: Line) => e.Topic === 'Job' && e.Key === 'web'), 'the job event');
  t.equal(line.Index, reg.index, 'the line index is the register write index (X-Nomad-Index)');
  t.same(Object.keys(line), ['Index', 'Events']);
  const job = line.Events.find((e: Line) => e.Topic === 'Job');
  t.same(Object.keys(job), ['Topic', 'Type', 'Key', 'Namespace', 'FilterKeys', 'Index', 'Payload']);
  t.match(job, { Type: 'JobRegistered', Key: 'web', Namespace: 'default', FilterKeys: null, Index: reg.index });
  t.equal(job.Payload.Job.ID, 'web');
  t.equal(job.Payload.Job.ModifyIndex, reg.index);
  const ev = line.Events.find((e: Line) => e.Topic === 'Evaluation');
  t.ok(ev, 'the register write also carries its evaluation');
  t.match(ev, { Key: reg.json.EvalID, Namespace: 'default', Index: reg.index });
  // Nomad types every event of a write by its Raft message type (nomad/state/events.go).
  t.equal(ev.Type, 'JobRegistered', 'the eval of a register write is typed JobRegistered');
  t.equal(ev.Payload.Evaluation.JobID, 'web');
  t.ok(ev.FilterKeys.includes('web'), 'eval FilterKeys hold the job ID');
  const updated = await s.waitFor(
    (l) => l.Events?.some((e: Line) => e.Topic === 'Evaluation' && e.Key === reg.json.EvalID && e.Payload.Evaluation.Status === 'complete'),
    'the eval completing',
  );
  t.ok(updated.Index > reg.index);
  const indexes = s.lines.filter((l) => l.Index !== undefined).map((l) => l.Index);
  t.same(indexes, [...indexes].sort((a, b) => a - b), 'lines arrive in index order');
  t.ok(s.lines.every((l) => l.Index === undefined || l.Events.every((e: Line) => e.Index === l.Index)), 'events carry their line index');
});

t.test('Allocation events once the simulator places allocs', async (t) => {
  const { port, stream } = await setup(t);
  const s = await stream('/v1/event/stream?topic=Allocation');
  const reg = await register(port, minimalJob('web'));
  const line = await s.waitFor((l) => l.Events?.some((e: Line) => e.Payload.Allocation.JobID === 'web'), 'an allocation event', 3000);
  t.ok(line.Index > reg.index);
  const alloc = line.Events[0];
  t.equal(alloc.Topic, 'Allocation');
  t.equal(alloc.Key, alloc.Payload.Allocation.ID);
  t.ok(alloc.FilterKeys.includes('web'), 'FilterKeys hold the job ID');
  t.notOk('Job' in alloc.Payload.Allocation, 'no job information (omitempty drops the null Job)');
  await s.waitFor((l) => l.Events?.some((e: Line) => e.Payload.Allocation.ClientStatus === 'running'), 'the alloc running', 3000);
  t.ok(events(s).every((e) => e.Topic === 'Allocation'), 'only allocation events');
});

t.test('topic filter: only Evaluation', async (t) => {
  const { port, stream } = await setup(t);
  const s = await stream('/v1/event/stream?topic=Evaluation');
  const reg = await register(port, minimalJob('web'));
  const line = await s.waitFor((l) => l.Index === reg.index, 'the register write');
  t.same(line.Events.map((e: Line) => e.Topic), ['Evaluation'], 'the job event of the same write is filtered out');
  await s.waitFor((l) => l.Events?.some((e: Line) => e.Payload.Evaluation.Status === 'complete'), 'the eval completing');
  t.ok(events(s).every((e) => e.Topic === 'Evaluation'), 'no other topic');
});

t.test('topic key filter: Job:web vs Job:other, and keys matching FilterKeys', async (t) => {
  const { port, stream } = await setup(t);
  const web = await stream('/v1/event/stream?topic=Job:web');
  const other = await stream('/v1/event/stream?topic=Job:other');
  const evals = await stream('/v1/event/stream?topic=Evaluation:web');
  const r1 = await register(port, minimalJob('other'));
  const r2 = await register(port, minimalJob('web'));
  await web.waitFor((l) => l.Index === r2.index, 'web registered');
  await other.waitFor((l) => l.Index === r1.index, 'other registered');
  await evals.waitFor((l) => l.Index === r2.index, "web's eval (matched by FilterKeys)");
  // Let the simulator's follow-up writes for both jobs flow.
  await evals.waitFor((l) => l.Events?.some((e: Line) => e.Payload.Evaluation.Status === 'complete'), 'eval complete');
  t.ok(events(web).length > 0 && events(web).every((e) => e.Topic === 'Job' && e.Key === 'web'), 'Job:web sees only web');
  t.ok(events(other).length > 0 && events(other).every((e) => e.Topic === 'Job' && e.Key === 'other'), 'Job:other sees only other');
  t.ok(events(evals).every((e) => e.Topic === 'Evaluation' && e.Payload.Evaluation.JobID === 'web'), 'Evaluation:web sees only web evals');
  t.notOk(other.lines.some((l) => l.Index === r2.index), 'nothing from the web write on Job:other');

  const both = await stream('/v1/event/stream?topic=Job:web&topic=Job:other&index=1');
  await both.waitFor((l) => l.Index === r2.index, 'both, replayed');
  t.ok(both.lines.some((l) => l.Index === r1.index), 'repeated topics combine');
});

t.test('namespace filter; Node events have no namespace', async (t) => {
  const { c, port, stream } = await setup(t);
  t.equal((await c.post('/v1/namespace/prod', { Name: 'prod' })).status, 200);
  const def = await stream('/v1/event/stream?topic=Job');
  const prod = await stream('/v1/event/stream?topic=Job&namespace=prod');
  const all = await stream('/v1/event/stream?topic=Job&namespace=*');
  const r1 = await register(port, minimalJob('a'));
  const r2 = await register(port, minimalJob('b', { Namespace: 'prod' }));
  t.equal(r2.status, 200);
  await all.waitFor((l) => l.Index === r2.index, 'prod job on namespace=*');
  await all.waitFor((l) => l.Index === r1.index, 'default job on namespace=*');
  await prod.waitFor((l) => l.Index === r2.index, 'prod job on namespace=prod');
  await def.waitFor((l) => l.Index === r1.index, 'default job on the default namespace');
  t.ok(events(def).every((e) => e.Namespace === 'default'), 'default sees only default');
  t.ok(events(prod).every((e) => e.Namespace === 'prod'), 'prod sees only prod');
  t.notOk(def.lines.some((l) => l.Index === r2.index));
  t.notOk(prod.lines.some((l) => l.Index === r1.index));

  const nodes = await stream('/v1/event/stream?topic=Node&namespace=prod');
  const n = await nodes.waitFor((l) => l.Events !== undefined, 'the node registration (replayed)');
  t.match(n.Events[0], { Topic: 'Node', Type: 'NodeRegistration', Namespace: '', FilterKeys: null });
  t.equal(n.Events[0].Key, n.Events[0].Payload.Node.ID);
  t.equal(n.Index, n.Events[0].Payload.Node.CreateIndex);
});

t.test('index replay from the buffer', async (t) => {
  const { port, stream } = await setup(t);
  const r1 = await register(port, minimalJob('one'));
  const r2 = await register(port, minimalJob('two'));
  const r3 = await register(port, minimalJob('three'));

  const from0 = await stream('/v1/event/stream?topic=Job');
  await from0.waitFor((l) => l.Index === r3.index, 'index=0 replays the buffer');
  t.ok(from0.lines.some((l) => l.Index === r1.index), 'including the first write');

  const from2 = await stream(`/v1/event/stream?topic=Job&index=${r2.index}`);
  const first = await from2.waitFor((l) => l.Index !== undefined, 'the first replayed line');
  t.same(from2.lines[0], {}, 'the heartbeat still comes first');
  t.equal(first.Index, r2.index, 'replay starts at the requested index');
  await from2.waitFor((l) => l.Index === r3.index, 'the later write');
  t.notOk(from2.lines.some((l) => l.Index < r2.index), 'nothing before the requested index');

  const after = await stream(`/v1/event/stream?topic=Job:three&index=${r2.index + 1}`);
  await after.waitFor((l) => l.Index === r3.index, 'between writes: the next one');
  t.notOk(after.lines.some((l) => l.Index < r3.index));

  // Live events follow the replay.
  const r4 = await register(port, minimalJob('four'));
  await from2.waitFor((l) => l.Index === r4.index, 'a live write after the replay');
});

t.test('400s for a bad index or topic; any method streams', async (t) => {
  const { port, stream } = await setup(t, false);
  const bad = await open(port, '/v1/event/stream?index=abc');
  t.equal(bad.status, 400);
  t.equal(bad.body, 'Unable to parse index: strconv.Atoi: parsing "abc": invalid syntax');
  t.equal(bad.headers['content-type'], 'text/plain; charset=utf-8');
  const big = await open(port, '/v1/event/stream?index=9223372036854775808');
  t.equal(big.status, 400);
  t.equal(big.body, 'Unable to parse index: strconv.Atoi: parsing "9223372036854775808": value out of range');
  const frac = await open(port, '/v1/event/stream?index=1.5');
  t.equal(frac.body, 'Unable to parse index: strconv.Atoi: parsing "1.5": invalid syntax');
  const topic = await open(port, '/v1/event/stream?topic=Job:a:b');
  t.equal(topic.status, 400);
  t.equal(topic.body, 'Invalid topic query: error parsing topics: Invalid key value pair for topic, topic: Job:a:b');
  const later = await open(port, '/v1/event/stream?topic=Job&topic=Job:a:b&index=x');
  t.match(later.body, /^Unable to parse index/, 'the index is checked first');

  const neg = await stream('/v1/event/stream?index=-1');
  t.equal(neg.status, 200, 'Atoi accepts a sign');
  const post = await open(port, '/v1/event/stream', 'POST');
  t.equal(post.status, 200, 'the handler checks no method');
  post.close();
});

t.test('closing the client or the server leaves no subscriber behind', async (t) => {
  const { c, port, stream } = await setup(t);
  const buf = eventBuffer(c.mock.store);
  t.equal(buf.subscriberCount, 0);
  const a = await stream('/v1/event/stream');
  const b = await stream('/v1/event/stream?topic=Job');
  await a.waitFor(() => true, 'a line');
  t.equal(buf.subscriberCount, 2);
  a.close();
  await until(() => buf.subscriberCount === 1, 'the closed stream to unsubscribe');
  await register(port, minimalJob('web'));
  await b.waitFor((l) => l.Events !== undefined, 'b still streams');
  b.close();
  await until(() => buf.subscriberCount === 0, 'no subscriber left');

  // Open streams do not keep app.close() from finishing; they end cleanly.
  const c2 = await client({ simulate: true });
  const port2 = await listen(c2);
  const s1 = await open(port2, '/v1/event/stream');
  const s2 = await open(port2, '/v1/event/stream?topic=Evaluation');
  const buf2 = eventBuffer(c2.mock.store);
  t.equal(buf2.subscriberCount, 2);
  const closed = c2.close().then(() => 'closed');
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((r) => (timer = setTimeout(() => r('hung'), 3000)));
  const winner = await Promise.race([closed, hung]);
  clearTimeout(timer);
  t.equal(winner, 'closed', 'app.close() returns with streams open');
  await Promise.all([s1.ended, s2.ended]);
  t.pass('the streams ended');
  t.equal(buf2.subscriberCount, 0);
  t.ok(buf2.closed, 'the buffer released the store');
});
