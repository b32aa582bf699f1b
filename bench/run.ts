// `npm run bench`: nomad-mock against a bare Fastify server serving the same bytes. Prints the
// figures and the targets; nothing here is asserted in tests (shared machines are noisy).
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { requestsPerSecond } from './load.js';
import { request, start } from './http.js';
import { simulatorFigures } from './sim.js';
import { durableFigures } from './durable.js';

const here = dirname(fileURLToPath(import.meta.url));
// The command as installed (the package's bin): the bundled server (scripts/bundle.mjs).
const CLI = join(here, '..', 'bundle', 'cli.js');
const BARE = join(here, 'bare-server.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const READERS = Number(process.env.BENCH_READERS ?? 5000);

function jobBody(id: string): string {
  return JSON.stringify({
    Job: {
      ID: id,
      Datacenters: ['dc1'],
      TaskGroups: [
        {
          Name: 'web',
          Count: 2,
          Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27', ports: ['http'] }, Resources: { CPU: 200, MemoryMB: 128 } }],
        },
      ],
      Meta: { team: 'platform' },
    },
  });
}

/** Parks `n` blocking readers on the job, then times one write until every reader has answered. */
async function releaseReaders(port: number, n: number): Promise<number> {
  const idx = Number((await request(port, 'GET', '/v1/job/web')).headers['x-nomad-index']);
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  let connected = 0;
  const done = Array.from({ length: n }, () =>
    new Promise<number>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: `/v1/job/web?index=${idx}&wait=120s`, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(performance.now()));
      });
      req.on('socket', (s) => s.once('connect', () => connected++));
      req.on('error', reject);
    }),
  );
  while (connected < n) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 1000)); // let the server park every reader
  const t0 = performance.now();
  await request(port, 'PUT', '/v1/jobs', jobBody('web').replace('"platform"', '"released"'));
  const ends = await Promise.all(done);
  agent.destroy();
  return Math.max(...ends) - t0;
}

const fmt = (n: number, d = 0): string => n.toFixed(d);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Start-up to the first 200, alternating the two servers so machine noise hits both alike. */
async function startupRatio(mockArgs: string[], bareArgs: string[], port: number): Promise<{ mock: number; bare: number }> {
  const mock: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < 5; i++) {
    const m = await start([...mockArgs, '--port', String(port)], port, '/v1/jobs');
    m.child.kill();
    await new Promise((r) => m.child.once('exit', r));
    mock.push(m.startupMs);
    const b = await start([...bareArgs, String(port)], port, '/v1/jobs');
    b.child.kill();
    await new Promise((r) => b.child.once('exit', r));
    bare.push(b.startupMs);
  }
  return { mock: median(mock), bare: median(bare) };
}

async function main(): Promise<void> {
  // Below Linux's ephemeral range (32768+), so no client socket of the load itself can hold a server port.
  const mockPort = 20000 + Math.floor(Math.random() * 5000);
  const barePort = mockPort + 1000;
  const plainPort = mockPort + 500;
  // The manual clock keeps simulated clients quiet, so reads measure the API rather than background writes.
  const mock = await start([CLI, '--port', String(mockPort), '--log-level', 'silent', '--clock', 'manual'], mockPort, '/v1/jobs');
  // The same server without the simulator: what the API itself costs when a register schedules nothing.
  const plain = await start([CLI, '--port', String(plainPort), '--log-level', 'silent', '--simulate', 'false'], plainPort, '/v1/jobs');
  let file = '';
  try {
    for (let i = 0; i < 100; i++) await request(mockPort, 'PUT', '/v1/jobs', jobBody(`bench-${String(i).padStart(3, '0')}`));
    await request(mockPort, 'PUT', '/v1/jobs', jobBody('web'));
    const recorded = [
      { method: 'GET', url: '/v1/job/web', body: (await request(mockPort, 'GET', '/v1/job/web')).body },
      { method: 'GET', url: '/v1/jobs', body: (await request(mockPort, 'GET', '/v1/jobs')).body },
      { method: 'PUT', url: '/v1/jobs', body: (await request(mockPort, 'PUT', '/v1/jobs', jobBody('recorded'))).body },
    ];
    file = join(mkdtempSync(join(tmpdir(), 'nomad-mock-bench-')), 'recorded.json');
    writeFileSync(file, JSON.stringify(recorded));
    const bare = await start([BARE, file, String(barePort)], barePort, '/v1/jobs');
    try {
      let n = 0;
      const scenarios = [
        { name: 'GET /v1/job/:id', method: 'GET' as const, path: '/v1/job/web', target: 0.7, port: mockPort },
        { name: 'GET /v1/jobs (100 jobs)', method: 'GET' as const, path: '/v1/jobs', target: 0.7, port: mockPort },
        { name: 'PUT /v1/jobs (new job each)', method: 'PUT' as const, path: '/v1/jobs', target: 0.25, port: mockPort, body: () => jobBody(`load-${n++}`) },
        { name: '  … with --simulate false', method: 'PUT' as const, path: '/v1/jobs', target: 0.25, port: plainPort, body: () => jobBody(`load-${n++}`) },
      ];
      console.log(`nomad-mock benchmark: ${ROUNDS} alternating rounds of ${SECONDS}s per scenario, ${CONNECTIONS} connections (median ratio)\n`);
      console.log('scenario                        nomad-mock req/s   bare Fastify req/s   ratio   target');
      for (const s of scenarios) {
        const spec = { method: s.method, path: s.path, body: s.body, seconds: SECONDS, connections: CONNECTIONS };
        const bareRuns: number[] = [];
        const mockRuns: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          bareRuns.push(await requestsPerSecond({ ...spec, port: barePort }));
          mockRuns.push(await requestsPerSecond({ ...spec, port: s.port }));
        }
        const ratio = median(mockRuns.map((m, i) => m / bareRuns[i]!));
        console.log(
          `${s.name.padEnd(32)}${fmt(median(mockRuns)).padStart(16)}${fmt(median(bareRuns)).padStart(21)}${fmt(ratio, 2).padStart(8)}   >= ${s.target} ${ratio >= s.target ? 'ok' : 'MISSED'}`,
        );
      }
      const releaseMs = await releaseReaders(mockPort, READERS);
      console.log(`\none write releasing ${READERS} blocked readers: ${fmt(releaseMs)} ms (target <= 1000 ${releaseMs <= 1000 ? 'ok' : 'MISSED'})`);
    } finally {
      bare.child.kill();
    }
  } finally {
    mock.child.kill();
    plain.child.kill();
  }
  const up = await startupRatio([CLI, '--log-level', 'silent'], [BARE, file], mockPort + 1500);
  const startup = up.mock / up.bare;
  console.log(
    `start-up to first 200 (median of 5): nomad-mock ${fmt(up.mock)} ms, bare Fastify ${fmt(up.bare)} ms, ratio ${fmt(startup, 2)} (target <= 2 ${startup <= 2 ? 'ok' : 'MISSED'})`,
  );
  await simulatorFigures(CLI, mockPort + 2000);
  await durableFigures(CLI, mockPort + 2500);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
