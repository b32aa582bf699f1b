// Persistence probe (issue 12): what the write-ahead log costs a register, by where the time goes.
// Two servers run in child processes, one with --data-dir and one without; each reports its main
// thread's CPU time (/proc/self/task/<pid>/schedstat, in ns: the event loop alone, not the
// threadpool that waits on the disk), the whole process's, and the persister's counters (records,
// writes, checkpoints) over IPC, and can take a CPU profile. Registers go one at a time, then on
// 32 connections; the disk's floor (a record's write + fdatasync, one O_DSYNC write, two at once)
// is timed in the same run.
//
//   node dist/bench/durable-probe.js [N=1000] [--profile DIR]
//
// Wall figures on a shared machine are noise; CPU per 1,000 registers and the counters are not.
import fs, { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon, { type Request } from 'autocannon';
import { ChildProfiler, ChildServer } from './child-server.js';
import { keepAlive, request } from './http.js';
import { webJob as jobBody } from './jobs.js';

type Msg = { cmd: string; id: number; dir?: string; name?: string };

/** CPU ms of one thread of this process (schedstat: nanoseconds on the CPU, not 10 ms ticks). */
function threadCpuMs(tid: number): number {
  return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** User and system CPU ms of one thread of this process (/proc stat: 10 ms ticks), to tell the log's system calls from its JavaScript. */
function threadUserSysMs(tid: number): { user: number; sys: number } {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * 10, sys: Number(f[12]) * 10 };
}

async function serve(dataDir: string): Promise<void> {
  const { createMockNomad } = await import('../src/index.js');
  const mock = await createMockNomad({ port: 0, clock: 'manual', logLevel: 'silent', ...(dataDir ? { dataDir } : {}) });
  const profiler = new ChildProfiler();
  process.on('message', async (m: Msg) => {
    let out: unknown = null;
    if (m.cmd === 'cpu') {
      const u = process.cpuUsage();
      out = { main: threadCpuMs(process.pid), mainSplit: threadUserSysMs(process.pid), all: (u.user + u.system) / 1000, stats: { ...(mock.server.persistence?.stats ?? {}) } };
    } else out = (await profiler.command(m)) ?? null;
    process.send!({ id: m.id, out });
  });
  process.send!({ id: 0, out: mock.port });
}

interface Cpu {
  main: number;
  mainSplit: { user: number; sys: number };
  all: number;
  stats: Record<string, number>;
}

const startServer = (dataDir: string): Promise<ChildServer> => ChildServer.start(fileURLToPath(import.meta.url), ['serve', dataDir]);

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;

async function sequential(port: number, prefix: string, n: number): Promise<number> {
  const agent = keepAlive();
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const r = await request(port, 'PUT', '/v1/jobs', jobBody(`${prefix}-${i}`), agent);
    lat.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`register: ${r.status} ${r.body}`);
  }
  agent.destroy();
  return median(lat);
}

async function concurrent(port: number, prefix: string, n: number): Promise<number> {
  let k = 0;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 32,
    amount: n,
    requests: [{ method: 'PUT', path: '/v1/jobs', headers: { 'content-type': 'application/json' }, setupRequest: (req: Request): Request => ({ ...req, body: jobBody(`${prefix}-${k++}`) }) }],
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`register under load: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.latency.average;
}

/** The disk's floor for a record of `size` bytes, in a file made ahead (as the log's): write + fdatasync, and one O_DSYNC write. */
async function floor(size: number, n = 200): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-probe-sync-'));
  const rec = Buffer.alloc(size, 0x61);
  const made = (name: string, flags: number, records = 1): number => {
    const p = join(dir, name);
    fs.writeFileSync(p, Buffer.alloc(records * n * size));
    const fd = fs.openSync(p, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    return fs.openSync(p, flags);
  };
  const a = made('a', fs.constants.O_RDWR);
  const d = made('d', fs.constants.O_RDWR | fs.constants.O_DSYNC);
  const d2 = made('d2', fs.constants.O_RDWR | fs.constants.O_DSYNC, 2);
  const p = (f: (cb: (err: Error | null) => void) => void): Promise<void> => new Promise((res, rej) => f((e) => (e ? rej(e) : res())));
  const t = { 'write + fdatasync (2 threadpool calls)': [] as number[], 'O_DSYNC write (1 threadpool call)': [] as number[], 'O_DSYNC writeSync (on the loop)': [] as number[], 'fstat (a threadpool round trip)': [] as number[], 'two O_DSYNC writes at once (the log with two appends out)': [] as number[] };
  const keys = Object.keys(t) as (keyof typeof t)[];
  for (let i = 0; i < n; i++) {
    for (const k of keys) {
      await new Promise((r) => setTimeout(r, 1));
      const t0 = performance.now();
      if (k === keys[0]) {
        await p((cb) => fs.write(a, rec, 0, size, i * size, (e) => cb(e)));
        await p((cb) => fs.fdatasync(a, cb));
      } else if (k === keys[1]) await p((cb) => fs.write(d, rec, 0, size, i * size, (e) => cb(e)));
      else if (k === keys[2]) fs.writeSync(d, rec, 0, size, ((i + n / 2) % n) * size);
      else if (k === keys[3]) await p((cb) => fs.fstat(a, (e) => cb(e)));
      else await Promise.all([0, 1].map((j) => p((cb) => fs.write(d2, rec, 0, size, (2 * i + j) * size, (e) => cb(e)))));
      t[k].push(performance.now() - t0);
    }
  }
  fs.closeSync(a);
  fs.closeSync(d);
  fs.closeSync(d2);
  rmSync(dir, { recursive: true, force: true });
  console.log(`disk floor, ${size}-byte record in a file made ahead (median of ${n}): ` + keys.map((k) => `${k} ${median(t[k]).toFixed(3)} ms`).join('; '));
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const pi = args.indexOf('--profile');
  const profileDir = pi >= 0 ? args[pi + 1]! : null;
  const n = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--profile') ?? 1000);
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-probe-wal-'));
  const plain = await startServer('');
  const durable = await startServer(dir);
  const servers = [['without', plain], ['with --data-dir', durable]] as const;
  try {
    for (const [, s] of servers) await sequential(s.port, 'warm', 200);
    for (const [mode, runs] of [
      ['one at a time', (s: ChildServer, p: string) => sequential(s.port, p, n)],
      ['32 connections', (s: ChildServer, p: string) => concurrent(s.port, p, n)],
    ] as const) {
      for (const [label, s] of servers) {
        const name = `${mode.replace(/ /g, '-')}-${label.replace(/[ -]+/g, '')}`;
        if (profileDir) await s.call('profile-start');
        const c0 = await s.call<Cpu>('cpu');
        const ms = await runs(s, `${name}`);
        const c1 = await s.call<Cpu>('cpu');
        if (profileDir) console.log('profile:', await s.call('profile-stop', { dir: profileDir, name }));
        const per = (x: number): string => ((x * 1000) / n).toFixed(0);
        const st = Object.fromEntries(Object.keys(c1.stats).map((k) => [k, c1.stats[k]! - (c0.stats[k] ?? 0)]));
        const log =
          c1.stats.records !== undefined
            ? `; ${st.records} records (${((st.recordBytes ?? 0) / (st.records || 1)).toFixed(0)} B each), ${st.appends} writes (${st.loopAppends ?? 0} on the event loop, ${st.slowLoopAppends ?? 0} of them slow; ${st.chosenPoolAppends ?? 0} through the threadpool where the loop could have taken them), ${st.syncs} syncs, ${st.checkpoints} checkpoints (${((st.checkpointBytes ?? 0) / 1e6).toFixed(1)} MB)`
            : '';
        console.log(`${mode}, ${label}: ${mode === 'one at a time' ? 'median' : 'mean'} latency ${ms.toFixed(2)} ms (wall, loaded machine); main thread ${per(c1.main - c0.main)} µs (user ${per(c1.mainSplit.user - c0.mainSplit.user)}, system ${per(c1.mainSplit.sys - c0.mainSplit.sys)}), process ${per(c1.all - c0.all)} µs CPU per register${log}`);
      }
    }
    const st = (await durable.call<Cpu>('cpu')).stats;
    await floor(Math.max(512, Math.round((st.recordBytes ?? 0) / (st.records || 1))));
  } finally {
    // The children are killed, not closed: a close waits for the clients' keep-alive sockets.
    for (const [, s] of servers) s.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') void serve(process.argv[3] ?? '');
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
