// Register-rate probe for the write path (issue 16): starts the server, PUTs a new job per request
// over keep-alive connections and prints, per block of jobs, the rate and the server's own CPU time
// per register (utime + stime of the child from /proc, so the driver's share is not counted).
// Not part of `npm run bench`; run it by hand, e.g.
//   node dist/bench/probe-writes.js --jobs 100000 --block 10000 -- --nodes 50 --node-cpu 1000000 --node-memory 1000000
// Add `--cpu-prof --cpu-prof-dir /tmp/x` after `--node-flags` to profile the server.
import http from 'node:http';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    jobs: { type: 'string', default: '20000' },
    block: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '32' },
    count: { type: 'string', default: '1' },
    port: { type: 'string', default: '4953' },
    'node-flags': { type: 'string', default: '' },
  },
});
const JOBS = Number(values.jobs);
const BLOCK = Number(values.block);
const CONNECTIONS = Number(values.connections);
const COUNT = Number(values.count);
const PORT = Number(values.port);
const serverArgs = positionals.length > 0 ? positionals : ['--nodes', '50', '--node-cpu', '1000000', '--node-memory', '1000000'];
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');

const child = spawn(process.execPath, [...values['node-flags']!.split(' ').filter(Boolean), CLI, ...serverArgs, '--port', String(PORT), '--log-level', 'silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
let finished = false;
child.on('exit', (code) => {
  if (finished) return;
  console.error(`server exited (${code})`);
  process.exit(1);
});
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });

function request(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: PORT, method, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The server's CPU time so far in ms (clock ticks of 10 ms). */
function serverCpuMs(): number {
  const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function rssMb(): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

const jobBody = (id: string): string =>
  JSON.stringify({
    Job: {
      ID: id,
      Datacenters: ['dc1'],
      TaskGroups: [{ Name: 'web', Count: COUNT, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27', ports: ['http'] }, Resources: { CPU: 20, MemoryMB: 16 } }] }],
      Meta: { team: 'platform' },
    },
  });

for (;;) {
  try {
    if ((await request('GET', '/v1/jobs')).status === 200) break;
  } catch {
    // not listening yet
  }
  await new Promise((r) => setTimeout(r, 50));
}

let next = 0;
let done = 0;
let t0 = performance.now();
let c0 = serverCpuMs();
const start = { t: t0, c: c0 };
async function worker(): Promise<void> {
  while (next < JOBS) {
    const i = next++;
    const res = await request('PUT', '/v1/jobs', jobBody(`probe-${i}`));
    if (res.status !== 200) throw new Error(`register failed: ${res.status} ${res.body}`);
    if (++done % BLOCK === 0) {
      const t = performance.now();
      const c = serverCpuMs();
      console.log(`${String(done).padStart(7)} jobs: ${(BLOCK / ((t - t0) / 1000)).toFixed(0).padStart(6)}/s  server CPU ${((c - c0) * 1000 / BLOCK).toFixed(0).padStart(5)} µs/register  RSS ${rssMb().toFixed(0)} MB`);
      t0 = t;
      c0 = c;
    }
  }
}
await Promise.all(Array.from({ length: CONNECTIONS }, worker));
const t = performance.now();
console.log(`all ${JOBS}: ${(JOBS / ((t - start.t) / 1000)).toFixed(0)}/s, server CPU ${((serverCpuMs() - start.c) * 1000 / JOBS).toFixed(0)} µs/register (loaded-machine wall figures are noise; compare CPU)`);
finished = true;
agent.destroy();
child.kill('SIGINT');
