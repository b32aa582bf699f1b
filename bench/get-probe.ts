// Read probe (issue 16, the GET /v1/job/:id and GET /v1/jobs figures): each server's own CPU per
// GET, for one or more builds of nomad-mock and bare Fastify answering the recorded bytes. Every
// server runs as a child, seeded as the throughput group seeds it (100 jobs and `web`, manual
// clock); the rounds are interleaved (A B C, then C B A) so a drift of the machine hits every side
// alike, and each block is N GETs by autocannon on C keep-alive connections, one in flight each
// (the throughput figure's client). CPU is the child's threads' run time from schedstat (ns);
// with --callgrind each child runs under valgrind and the figure is instructions per GET
// (counters zeroed before a block, dumped after it); with --strace, system calls per GET.
//
//   node dist/bench/get-probe.js [--bins dist/bundle/cli.js,/other/dist/bundle/cli.js] [--paths /v1/job/web,/v1/jobs]
//                                [--n 20000] [--warm 5000] [--conns 32] [--rounds 6] [--no-bare]
//                                [--callgrind | --strace] [--prof DIR]
//
// Prints, per path and server, the median CPU µs per GET over the rounds (with min–max), its
// ratio to bare Fastify's per round, the main thread's share and the user/system split; wall
// figures on a shared machine are noise, and so is a single round (bench/README.md).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { bareArgs, recordFile } from './baseline.js';
import { callgrindTotal, spawnServer as spawnProbed } from './callgrind.js';
import { binPath, ok, request } from './http.js';
import { webJob } from './jobs.js';

const { values } = parseArgs({
  options: {
    bins: { type: 'string' },
    paths: { type: 'string', default: '/v1/job/web,/v1/jobs' },
    n: { type: 'string', default: '20000' },
    warm: { type: 'string', default: '5000' },
    conns: { type: 'string', default: '32' },
    rounds: { type: 'string', default: '6' },
    'no-bare': { type: 'boolean', default: false },
    callgrind: { type: 'boolean', default: false },
    strace: { type: 'boolean', default: false },
    prof: { type: 'string' },
  },
});
const N = Number(values.n);
const WARM = Number(values.warm);
const CONNS = Number(values.conns);
const ROUNDS = values.callgrind || values.strace ? 1 : Number(values.rounds);
const bins = (values.bins ?? binPath()).split(',').map((b) => resolve(b));
const paths = values.paths!.split(',');
const cgDir = '/tmp/get-probe-callgrind';

interface Server {
  name: string;
  port: number;
  child: ChildProcess;
}

/**
 * A port nothing listens on now, below Linux's ephemeral range (a connect to a port in that range
 * with no listener can be given the same port as its own and connect to itself while a server
 * under valgrind is still starting). Other probes and servers share the machine.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 10000 + Math.floor(Math.random() * 22000);
    const free = await new Promise<boolean>((done) => {
      const srv = net.createServer().listen(port, '127.0.0.1', () => srv.close(() => done(true)));
      srv.on('error', () => done(false));
    });
    if (free) return port;
  }
}

/** User and system CPU time of the whole process, in ms (10 ms resolution). */
function userSystemMs(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) * 10, Number(f[12]) * 10];
}

/** Run time of the main thread (the event loop), in ms. */
function mainThreadMs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** Run time of every thread of `pid`, in ms (schedstat: ns on the CPU). */
function threadsCpuMs(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e6;
}

const spawnServer = (name: string, args: string[]): ChildProcess => spawnProbed(name, args, { prof: values.prof, callgrindDir: values.callgrind ? cgDir : undefined });

async function waitUp(port: number, child: ChildProcess, probe: string): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; ; i++) {
    try {
      if ((await request(port, 'GET', probe)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (exited || i > 15000) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Exactly `n` GETs of `path` by autocannon, as the throughput figure sends them. */
function gets(port: number, path: string, n: number): Promise<void> {
  return new Promise((done, fail) => {
    const opts = { url: `http://127.0.0.1:${port}`, connections: CONNS, amount: n, timeout: 120, requests: [{ method: 'GET' as const, path, headers: { 'content-type': 'application/json' } }] };
    autocannon(opts, (err, res) => {
      if (err) return fail(err);
      if (res.non2xx > 0 || res.errors > 0 || res.timeouts > 0) return fail(new Error(`GET ${path}: ${res.non2xx} non-2xx, ${res.errors} errors, ${res.timeouts} timeouts`));
      done();
    });
  });
}


/** User and system ms per server over the blocks of the current path. */
const system = new Map<string, [number, number]>();

/** Main-thread ms per server over the blocks of the current path. */
const mainThread = new Map<string, number>();

/** Server cost of one block of N GETs: µs of CPU (or instructions) per GET. */
async function block(s: Server, path: string): Promise<number> {
  const pid = s.child.pid!;
  if (values.callgrind) {
    execFileSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
    await gets(s.port, path, N);
    execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
    return callgrindTotal(cgDir, s.name, pid) / N;
  }
  if (values.strace) {
    const out = `/tmp/get-probe-strace-${s.name}.txt`;
    const tracer = spawn('strace', ['-c', '-f', '-o', out, '-p', String(pid)], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    await gets(s.port, path, N);
    tracer.kill('SIGINT');
    await new Promise((r) => tracer.once('exit', r));
    console.log(`${s.name} ${path}: syscalls per GET`);
    for (const line of readFileSync(out, 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 5 && /^\d/.test(f[0]!) && Number(f[3]) > N / 100) console.log(`  ${f.at(-1)} ${(Number(f[3]) / N).toFixed(3)}`);
    }
    return 0;
  }
  const c0 = threadsCpuMs(pid);
  const m0 = mainThreadMs(pid);
  const [u0, s0] = userSystemMs(pid);
  await gets(s.port, path, N);
  const [u1, s1] = userSystemMs(pid);
  mainThread.set(s.name, (mainThread.get(s.name) ?? 0) + mainThreadMs(pid) - m0);
  const split = system.get(s.name) ?? [0, 0];
  system.set(s.name, [split[0] + u1 - u0, split[1] + s1 - s0]);
  return ((threadsCpuMs(pid) - c0) * 1000) / N;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const servers: Server[] = [];
  // Interrupted: the children (valgrind ones above all) must not outlive the probe.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const s of servers) s.child.kill('SIGTERM');
      process.exit(130);
    });
  }
  try {
    for (const [i, bin] of bins.entries()) {
      const name = `mock${i}`;
      const p = await freePort();
      const child = spawnServer(name, [bin, '--port', String(p), '--log-level', 'silent', '--clock', 'manual']);
      servers.push({ name, port: p, child });
      await waitUp(p, child, '/v1/jobs');
      for (let j = 0; j < 100; j++) await ok(p, 'PUT', '/v1/jobs', webJob(`bench-${String(j).padStart(3, '0')}`));
      await ok(p, 'PUT', '/v1/jobs', webJob('web'));
      console.log(`${name}: ${bin}`);
    }
    if (!values['no-bare']) {
      const first = servers[0]!.port;
      const recorded = [];
      for (const path of paths) recorded.push({ method: 'GET' as const, url: path, body: (await ok(first, 'GET', path)).body });
      const file = recordFile(recorded);
      const p = await freePort();
      const args = bareArgs(file, p);
      const child = spawnServer('bare', [args[0]!, args[1]!, String(p)]);
      servers.push({ name: 'bare', port: p, child });
      await waitUp(p, child, paths[0]!);
    }
    for (const path of paths) {
      for (const s of servers) await gets(s.port, path, WARM);
      system.clear();
      mainThread.clear();
      const costs = new Map<string, number[]>(servers.map((s) => [s.name, []]));
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 === 0 ? servers : [...servers].reverse();
        for (const s of order) costs.get(s.name)!.push(await block(s, path));
      }
      const unit = values.callgrind ? 'instructions' : 'µs CPU';
      const bare = costs.get('bare');
      for (const s of servers) {
        const xs = costs.get(s.name)!;
        const m = median(xs);
        const digits = values.callgrind ? 0 : 2;
        const ratio = bare && s.name !== 'bare' ? `, bare ÷ this ${(median(bare) / m).toFixed(3)} (per round ${xs.map((x, i) => (bare[i]! / x).toFixed(2)).join(' ')})` : '';
        const us = system.get(s.name);
        const main = mainThread.get(s.name);
        const split = us && main !== undefined ? `; main thread ${((main * 1000) / (N * ROUNDS)).toFixed(1)} µs; user ${((us[0] * 1000) / (N * ROUNDS)).toFixed(1)} + system ${((us[1] * 1000) / (N * ROUNDS)).toFixed(1)} µs` : '';
        console.log(`GET ${path} ${s.name}: ${m.toFixed(digits)} ${unit}/GET (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})${ratio}${split}`);
      }
    }
  } finally {
    for (const s of servers) {
      s.child.kill('SIGTERM');
      await new Promise((r) => (s.child.exitCode !== null ? r(null) : s.child.once('exit', r)));
    }
  }
}

await main();
