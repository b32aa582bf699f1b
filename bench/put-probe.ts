// Register probe (issue 16, the PUT /v1/jobs figure): the server's own cost per register, against
// bare Fastify answering the recorded bytes of the same request. Each server runs as a child; after
// a warm-up, N registers go over C keep-alive connections (one in flight each) and the child's CPU
// time is read from /proc (the whole process, and its main thread from schedstat in ns). With
// --callgrind the child runs under valgrind and the figure is instructions per register (steady
// on a loaded machine; the counters are zeroed after the warm-up and dumped after the N).
//
//   node dist/bench/put-probe.js [--n 4000] [--warm 2000] [--conns 8] [--only mock-sim,mock-plain,bare]
//                                [--bin dist/bundle/cli.js] [--callgrind] [--prof DIR]
//
// Wall figures on a shared machine are noise; read CPU µs and instructions per register.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { bareArgs, recordFile } from './baseline.js';
import { callgrindTotal, spawnServer as spawnProbed } from './callgrind.js';
import { binPath, request } from './http.js';
import { webJob } from './jobs.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '4000' },
    warm: { type: 'string', default: '2000' },
    conns: { type: 'string', default: '8' },
    only: { type: 'string', default: 'mock-sim,mock-plain,bare' },
    bin: { type: 'string' },
    callgrind: { type: 'boolean', default: false },
    prof: { type: 'string' },
    port: { type: 'string', default: '47810' },
  },
});
const N = Number(values.n);
const WARM = Number(values.warm);
const CONNS = Number(values.conns);
const bin = values.bin ? resolve(values.bin) : binPath();
const cgDir = '/tmp/put-probe-callgrind';

function procCpuMs(pid: number): { all: number; main: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const main = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  return { all: (Number(f[11]) + Number(f[12])) * 10, main };
}

let seq = 0;
/** N registers over CONNS keep-alive connections, each with one request in flight. */
async function registers(port: number, n: number, prefix: string): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNS });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      const r = await request(port, 'PUT', '/v1/jobs', webJob(`${prefix}-${seq++}`), agent);
      if (r.status !== 200) throw new Error(`register: ${r.status} ${r.body}`);
    }
  };
  await Promise.all(Array.from({ length: CONNS }, worker));
  agent.destroy();
}

async function waitUp(port: number, child: ChildProcess): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; ; i++) {
    try {
      if ((await request(port, 'GET', '/v1/jobs')).status === 200) return;
    } catch {
      // not listening yet
    }
    if (exited || i > 15000) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const spawnServer = (name: string, args: string[]): ChildProcess => spawnProbed(name, args, { prof: values.prof, callgrindDir: values.callgrind ? cgDir : undefined });


async function probe(name: string, args: string[]): Promise<void> {
  const port = Number(values.port) + ['mock-sim', 'mock-plain', 'bare'].indexOf(name);
  const child = spawnServer(name, [...args.map((a) => (a === '$PORT' ? String(port) : a))]);
  try {
    await waitUp(port, child);
    await registers(port, WARM, `warm-${name}`);
    const pid = child.pid!;
    // Under valgrind the child is valgrind itself (same pid: valgrind execs the guest in place).
    if (values.callgrind) execFileSync('callgrind_control', ['-z', String(pid)], { stdio: 'ignore' });
    const c0 = procCpuMs(pid);
    const t0 = performance.now();
    await registers(port, N, `load-${name}`);
    const wall = performance.now() - t0;
    const c1 = procCpuMs(pid);
    let ir = '';
    if (values.callgrind) {
      execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
      ir = `, ${Math.round(callgrindTotal(cgDir, name, pid) / N).toLocaleString('en')} instructions/register`;
    }
    const us = (ms: number): string => ((ms * 1000) / N).toFixed(1);
    console.log(`${name}: CPU/register ${us(c1.all - c0.all)} µs (main thread ${us(c1.main - c0.main)} µs), ${((N * 1000) / wall).toFixed(0)}/s wall (loaded machine)${ir}`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
}

async function main(): Promise<void> {
  const only = new Set(values.only!.split(','));
  const mockArgs = (flags: string[]): string[] => [bin, '--port', '$PORT', '--log-level', 'silent', ...flags];
  if (only.has('mock-sim')) await probe('mock-sim', mockArgs(['--clock', 'manual']));
  if (only.has('mock-plain')) await probe('mock-plain', mockArgs(['--simulate', 'false']));
  if (only.has('bare')) {
    // The bytes a register answers, recorded from a server as the throughput figure does.
    const port = Number(values.port) + 99;
    const child = spawn(process.execPath, [bin, '--port', String(port), '--log-level', 'silent', '--simulate', 'false'], { stdio: 'ignore' });
    await waitUp(port, child);
    const body = (await request(port, 'PUT', '/v1/jobs', webJob('recorded'))).body;
    child.kill();
    const file = recordFile([{ method: 'PUT', url: '/v1/jobs', body }, { method: 'GET', url: '/v1/jobs', body: '[]' }]);
    const args = bareArgs(file, 0);
    await probe('bare', [args[0]!, args[1]!, '$PORT']);
  }
}

await main();
