// Start-up figures (issue 16), also `node dist/bench/startup-probe.js [rounds]` alone: the bundled command,
// tsc's output and a bare Fastify server started in turn, each timed from spawn to its first 200 on
// GET /v1/jobs, with the CPU time the process used until then (utime+stime from /proc, which a
// loaded machine inflates far less than wall time); then an in-process createMockNomad() to its
// first answer, the module already loaded: the first instance of the process and later ones.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import http from 'node:http';
import { start } from './http.js';

const here = dirname(fileURLToPath(import.meta.url));
const BUNDLE = join(here, '..', 'bundle', 'cli.js');
const TSC = join(here, '..', 'src', 'cli.js');
const BARE = join(here, 'bare-server.js');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** utime+stime of a process, in ms (Linux; NaN elsewhere). */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

interface Figures {
  wall: number[];
  cpu: number[];
}

export async function startupFigures(rounds: number, port: number): Promise<{ bundle: Figures; tsc: Figures; bare: Figures }> {
  const file = join(mkdtempSync(join(tmpdir(), 'nomad-mock-startup-')), 'recorded.json');
  writeFileSync(file, JSON.stringify([{ method: 'GET', url: '/v1/jobs', body: '[]' }]));
  const runs = {
    bundle: [BUNDLE, '--log-level', 'silent', '--port', String(port)],
    tsc: [TSC, '--log-level', 'silent', '--port', String(port)],
    bare: [BARE, file, String(port)],
  };
  const out = { bundle: { wall: [], cpu: [] }, tsc: { wall: [], cpu: [] }, bare: { wall: [], cpu: [] } } as Record<keyof typeof runs, Figures>;
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(runs) as (keyof typeof runs)[]) {
      const s = await start(runs[name], port, '/v1/jobs');
      out[name].cpu.push(cpuMs(s.child.pid!));
      out[name].wall.push(s.startupMs);
      s.child.kill();
      await new Promise((res) => s.child.once('exit', res));
    }
  }
  return out;
}

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

/** createMockNomad() to the first 200, in this process: wall and CPU ms per instance. */
export async function inProcessFigures(instances: number): Promise<{ wall: number; cpu: number }[]> {
  const { createMockNomad } = (await import(pathToFileURL(join(here, '..', 'bundle', 'index.js')).href)) as typeof import('../src/index.js');
  const rows: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < instances; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const nomad = await createMockNomad();
    const status = await get(`${nomad.url}/v1/jobs`);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    await nomad.close();
    if (status !== 200) throw new Error(`GET /v1/jobs answered ${status}`);
    rows.push({ wall, cpu: (c.user + c.system) / 1000 });
  }
  return rows;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 9);
  const port = 20000 + Math.floor(Math.random() * 5000);
  const f = await startupFigures(rounds, port);
  const bare = f.bare;
  console.log(`start-up to the first 200, median of ${rounds} alternating rounds (wall / CPU ms, ratio to bare Fastify)`);
  for (const [name, v] of Object.entries(f)) {
    const w = median(v.wall);
    const c = median(v.cpu);
    console.log(`  ${name.padEnd(7)} ${w.toFixed(0).padStart(6)} / ${c.toFixed(0).padStart(5)}   ${(w / median(bare.wall)).toFixed(2)}× / ${(c / median(bare.cpu)).toFixed(2)}×`);
  }
  // A client request once, so the first instance does not pay for the client side's first use.
  await new Promise<void>((resolve) => {
    const s = http.createServer((_q, a) => a.end()).listen(0, '127.0.0.1', () => {
      void get(`http://127.0.0.1:${(s.address() as { port: number }).port}/`).then(() => s.close(() => resolve()));
    });
  });
  const rows = await inProcessFigures(Math.max(5, rounds));
  const later = rows.slice(1);
  console.log(
    `in-process createMockNomad() to the first 200 (target <= 50 ms): first ${rows[0]!.wall.toFixed(0)} ms (CPU ${rows[0]!.cpu.toFixed(0)}), later ones median ${median(later.map((r) => r.wall)).toFixed(0)} ms (CPU ${median(later.map((r) => r.cpu)).toFixed(0)})`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
