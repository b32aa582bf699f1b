// `npm run soak`: rounds of blocked readers that vanish. Each round parks 8,000 blocking queries
// (`GET /v1/jobs?index=N&wait=5m`, keep-alive agents, real sockets) on a server in its own process,
// then destroys their sockets without an answer. After every round the server reports its RSS after
// a full GC (once it has settled) and how many readers are still parked (must be 0: a closed socket releases its query).
// At the end RSS must be within 20 % of the baseline and a write about as fast as before. Not a test:
// it prints figures and exits non-zero when a target is missed.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 20);
const READERS = Number(process.env.SOAK_READERS ?? 8000);
const WRITES = 200;

interface Stats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  malloced: number;
  external: number;
  waiting: number;
  journal: number;
  connections: number;
}

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function ask<T>(child: ChildProcess, msg: string): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as T));
    child.send(msg);
  });
}

function request(port: number, method: string, path: string, agent: http.Agent, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const jobBody = (n: number): string =>
  JSON.stringify({
    Job: {
      ID: 'soak',
      Datacenters: ['dc1'],
      TaskGroups: [{ Name: 'web', Count: 1, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: { CPU: 100, MemoryMB: 64 } }] }],
      Meta: { round: String(n) },
    },
  });

/** Median wall time of `WRITES` registers over one keep-alive socket. */
async function writeLatency(port: number, from: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  for (let i = 0; i < WRITES; i++) {
    const start = performance.now();
    const r = await request(port, 'PUT', '/v1/jobs', agent, jobBody(from + i));
    times.push(performance.now() - start);
    if (r.status !== 200) throw new Error(`register answered ${r.status}`);
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** Parks READERS blocking queries, then destroys every socket; resolves once the server released them. */
async function round(child: ChildProcess, port: number, n: number): Promise<void> {
  const probe = new http.Agent({ keepAlive: false });
  const index = Number((await request(port, 'GET', '/v1/jobs', probe)).headers['x-nomad-index']);
  // A source address per round, so client ports left in TIME_WAIT by earlier rounds are not needed again.
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity, localAddress: `127.0.0.${2 + (n % 250)}` });
  let failed = 0;
  let dropping = false;
  // A reader whose connection fails before it is parked (a full listen backlog on a busy machine)
  // tries again; once the round drops its sockets, errors are expected.
  const park = (): void => {
    const req = http.get({ host: '127.0.0.1', port, path: `/v1/jobs?index=${index}&wait=5m`, agent }, (res) => res.resume());
    req.on('error', () => {
      if (dropping) return;
      failed++;
      setTimeout(park, 100);
    });
  };
  for (let i = 0; i < READERS; i++) {
    park();
    if (i % 500 === 499) await sleep(50); // the listen backlog takes a few hundred at a time
  }
  for (const start = Date.now(); ; ) {
    const s = await ask<Stats>(child, 'stats');
    if (s.waiting >= READERS) break; // every reader is parked
    if (Date.now() - start > 120_000) throw new Error(`round ${n}: only ${s.waiting} of ${READERS} readers parked (${failed} retried)`);
    await sleep(200);
  }
  dropping = true;
  agent.destroy(); // every socket goes away without an answer
  for (const start = Date.now(); ; ) {
    const s = await ask<Stats>(child, 'stats');
    if (s.waiting === 0) break;
    if (Date.now() - start > 30_000) throw new Error(`round ${n}: ${s.waiting} readers still parked after their sockets closed`);
    await sleep(200);
  }
  probe.destroy();
}

const child = fork(join(here, 'soak-server.js'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (m) => resolve(m as { port: number })));

/**
 * Memory once the server has been idle: V8 gives committed heap back to the system only after a
 * few idle seconds (its memory reducer), so both ends of the comparison wait for RSS to settle.
 */
async function settled(): Promise<Stats> {
  let last = await ask<Stats>(child, 'stats');
  for (let i = 0; i < 30; i++) {
    await sleep(1000);
    const s = await ask<Stats>(child, 'stats');
    if (s.rss >= last.rss * 0.99) return s;
    last = s;
  }
  return last;
}

const describe = (s: Stats): string => `RSS ${mb(s.rss)}, heap ${mb(s.heapUsed)} of ${mb(s.heapTotal)}, malloc ${mb(s.malloced)}, external ${mb(s.external)}`;

const cold = await ask<Stats>(child, 'stats');
console.log(`cold start: ${describe(cold)}`);
// One round first, not counted: it raises the process to its working size for 8,000 concurrent
// requests (V8 heap, socket and parser pools), which Node keeps; what follows must not grow it.
await request(port, 'PUT', '/v1/jobs', new http.Agent({ keepAlive: false }), jobBody(-1)); // readers block on index > 0
await round(child, port, 0);
await writeLatency(port, -1000); // warms the write path, so "before" is not measured on cold code
const before = await writeLatency(port, 0);
const base = await settled();
console.log(`baseline after a warm-up round: ${describe(base)}; write median ${before.toFixed(2)} ms`);

const started = performance.now();
for (let n = 1; n <= ROUNDS; n++) {
  await round(child, port, n);
  const s = await settled();
  console.log(
    `round ${String(n).padStart(2)}: ${READERS} readers parked and dropped; ${describe(s)} (RSS ${((s.rss / base.rss - 1) * 100).toFixed(1)} %); parked ${s.waiting}, connections ${s.connections}, journal ${s.journal}`,
  );
}
const after = await writeLatency(port, 1_000_000);
const end = await settled();
const growth = end.rss / base.rss - 1;
const ratio = after / before;
console.log(`\n${ROUNDS} rounds × ${READERS} readers in ${((performance.now() - started) / 1000).toFixed(0)} s`);
console.log(`settled: ${describe(end)}`);
console.log(`RSS: baseline ${mb(base.rss)}, end ${mb(end.rss)} (${(growth * 100).toFixed(1)} %; target within 20 %: ${growth <= 0.2 ? 'ok' : 'MISSED'})`);
console.log(`write median of ${WRITES}: before ${before.toFixed(2)} ms, after ${after.toFixed(2)} ms (${ratio.toFixed(2)}×; target ≤ 1.5×: ${ratio <= 1.5 ? 'ok' : 'MISSED'})`);
child.send('exit');
await new Promise((r) => child.once('exit', r));
process.exit(growth <= 0.2 && ratio <= 1.5 ? 0 : 1);
