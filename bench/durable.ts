// Persistence figures for `npm run bench` (also `node dist/bench/durable.js` alone): what the
// write-ahead log adds to a register's latency, and the longest event-loop pause while the log
// and a checkpoint run with 10,000 jobs stored. Nothing is asserted (shared machines are noisy).
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon, { type Request } from 'autocannon';
import http from 'node:http';
import { cpuMs, keepAlive, request, startMock } from './http.js';
import { fmt as fmtN, median, note, printTable, size, count, type Context, type Figure, type Group } from './report.js';
import { createServer, type NomadMock } from '../src/server.js';

const fmt = (n: number, d = 1): string => n.toFixed(d);

function jobBody(id: string): string {
  return JSON.stringify({
    Job: {
      ID: id,
      Datacenters: ['dc1'],
      TaskGroups: [{ Name: 'web', Count: 2, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27', ports: ['http'] }, Resources: { CPU: 200, MemoryMB: 128 } }] }],
      Meta: { team: 'platform' },
    },
  });
}

/** Latencies of `n` registers one at a time on one keep-alive connection (as a client library holds one). */
async function sequential(port: number, agent: http.Agent, prefix: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await request(port, 'PUT', '/v1/jobs', jobBody(`${prefix}-${i}`), agent);
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`register: ${res.status} ${res.body}`);
  }
  return times;
}

/** Mean latency of registers under `connections` concurrent clients (where group commit pays) for `seconds`. */
async function concurrentMs(port: number, prefix: string, connections: number, seconds: number): Promise<number> {
  let n = 0;
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [{ method: 'PUT', path: '/v1/jobs', headers: { 'content-type': 'application/json' }, setupRequest: (req: Request): Request => ({ ...req, body: jobBody(`${prefix}-${n++}`) }) }],
  });
  if (r.non2xx > 0 || r.errors > 0) throw new Error(`register under load: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return r.latency.average;
}

/** The median and the spread (lowest–highest, and the middle half) of per-round ratios. */
function spread(ratios: number[]): { median: number; text: string } {
  const s = [...ratios].sort((a, b) => a - b);
  const q = (f: number): number => s[Math.min(s.length - 1, Math.floor(f * s.length))]!;
  return { median: median(s), text: `rounds ${fmt(s[0]!, 2)}–${fmt(s[s.length - 1]!, 2)}, middle half ${fmt(q(0.25), 2)}–${fmt(q(0.75), 2)}, ${s.length} rounds` };
}

/**
 * Register latency with --data-dir ÷ without. Both servers run the whole time; the figure is the
 * median of per-round ratios, each round a short block on each server back to back, in the order
 * A B, then B A in the next round, so that a change of the machine's state (another process's
 * burst, the disk's) within a round hits both sides alike and one that lasts longer than a round
 * is seen by each side first as often as second. Blocks are short (a few tenths of a second) and
 * many, so the spread of the rounds says how much to trust the median; the servers' CPU time per
 * register (/proc, 10 ms ticks) is printed beside it, which a busy machine disturbs less than wall time.
 */
export async function registerLatency(ctx: Context): Promise<Figure[]> {
  const ROUNDS = count('BENCH_DURABLE_ROUNDS', 24, 6, ctx);
  const BLOCK = count('BENCH_DURABLE_BLOCK', 30, 20, ctx);
  const CONC_ROUNDS = count('BENCH_DURABLE_CONC_ROUNDS', 8, 2, ctx);
  const CONC_SECONDS = count('BENCH_DURABLE_CONC_SECONDS', 1, 1, ctx);
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-bench-wal-'));
  const plain = await startMock(ctx.port(), ['--clock', 'manual']);
  const durable = await startMock(ctx.port(), ['--clock', 'manual', '--data-dir', dir]);
  const sides = [
    { name: 'without', s: plain, agent: keepAlive(), seq: [] as number[], conc: [] as number[], cpuMs: 0, registers: 0 },
    { name: 'with', s: durable, agent: keepAlive(), seq: [] as number[], conc: [] as number[], cpuMs: 0, registers: 0 },
  ];
  const [without, withLog] = sides as [(typeof sides)[0], (typeof sides)[0]];
  try {
    for (const side of sides) await sequential(side.s.port, side.agent, 'warm', 100);
    const seqRatios: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const medians = new Map<string, number>();
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        const c0 = cpuMs(side.s.child.pid!);
        const times = await sequential(side.s.port, side.agent, `s${round}`, BLOCK);
        side.cpuMs += cpuMs(side.s.child.pid!) - c0;
        side.registers += BLOCK;
        side.seq.push(...times);
        medians.set(side.name, median(times));
      }
      seqRatios.push(medians.get('with')! / medians.get('without')!);
    }
    const seqCpu = sides.map((x) => x.cpuMs / x.registers);
    const concRatios: number[] = [];
    for (let round = 0; round < CONC_ROUNDS; round++) {
      const means = new Map<string, number>();
      for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
        const ms = await concurrentMs(side.s.port, `c${round}`, 32, CONC_SECONDS);
        side.conc.push(ms);
        means.set(side.name, ms);
      }
      concRatios.push(means.get('with')! / means.get('without')!);
    }
    const seq = spread(seqRatios);
    const conc = spread(concRatios);
    const sp = median(without.seq);
    const sd = median(withLog.seq);
    const cp = median(without.conc);
    const cd = median(withLog.conc);
    note(`--data-dir, one at a time (${ROUNDS} rounds of ${BLOCK} registers on each server, keep-alive): ratio ${fmt(seq.median, 2)}× (${seq.text}); server CPU per register ${fmt(seqCpu[1]!, 2)} ms with, ${fmt(seqCpu[0]!, 2)} ms without`);
    note(`--data-dir, 32 connections (${CONC_ROUNDS} rounds of ${CONC_SECONDS} s on each server): ratio ${fmt(conc.median, 2)}× (${conc.text})`);
    return [
      { figure: 'register with --data-dir vs without, one at a time (median of round ratios)', value: `${fmt(seq.median, 2)}× (${fmt(sd, 2)} ms)`, baseline: `${fmt(sp, 2)} ms`, target: '<= 2×', ok: seq.median <= 2 },
      { figure: '  … under 32 connections (mean latency, median of round ratios)', value: `${fmt(conc.median, 2)}× (${fmt(cd, 2)} ms)`, baseline: `${fmt(cp, 2)} ms`, target: '<= 2×', ok: conc.median <= 2 },
    ];
  } finally {
    for (const side of sides) side.agent.destroy();
    await plain.stop();
    await durable.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inject(m: NomadMock, id: string): Promise<void> {
  const r = await m.app.inject({ method: 'PUT', url: '/v1/jobs', payload: jobBody(id), headers: { 'content-type': 'application/json' } });
  if (r.statusCode !== 200) throw new Error(`register ${id}: ${r.statusCode} ${r.body}`);
}

/** Registers, 8 at a time, while the event loop is watched; `during` runs alongside. */
async function watchedWrites(m: NomadMock, prefix: string, n: number, during: Promise<unknown>): Promise<{ maxMs: number; p99Ms: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await inject(m, `${prefix}-${next++}`);
  };
  await Promise.all([...Array.from({ length: 8 }, worker), during]);
  h.disable();
  return { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6 };
}

/**
 * The longest pause with 10,000 jobs stored: the same registers against the same state with and
 * without --data-dir, the former also compacting (a whole checkpoint) meanwhile. A pause both show
 * (a garbage collection of the big heap) is not persistence's; the difference is.
 */
export async function pauseFigures(ctx: Context): Promise<Figure[]> {
  const JOBS = size(ctx, 'BENCH_DURABLE_JOBS', 10_000, 2_000);
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-bench-pause-'));
  const opts = { simulate: false };
  const plain = createServer({ logLevel: 'silent', clock: 'manual' }, undefined, opts);
  await plain.init();
  await plain.app.ready();
  let next = 0;
  const fill = async (): Promise<void> => {
    while (next < JOBS) await inject(plain, `stored-${next++}`);
  };
  await Promise.all(Array.from({ length: 8 }, fill));
  const snap = plain.control.snapshot();
  const durable = createServer({ logLevel: 'silent', clock: 'manual', dataDir: dir }, undefined, opts);
  await durable.init();
  await durable.app.ready();
  try {
    durable.control.restore(snap);
    await durable.persistence!.whenDurable(durable.store.index);
    for (const m of [plain, durable]) await watchedWrites(m, 'warm', 200, Promise.resolve());
    const stats = durable.persistence!.stats;
    stats.longestStepMs = 0;
    stats.longestStepCpuMs = 0;
    stats.records = 0;
    stats.recordBytes = 0;
    durable.persistence!.timeCpu = true;
    const base = await watchedWrites(plain, 'p', 1000, Promise.resolve());
    const t0 = performance.now();
    let ckptMs = 0;
    const ckpt = durable.persistence!.checkpoint().then(() => (ckptMs = performance.now() - t0));
    const withLog = await watchedWrites(durable, 'p', 1000, ckpt);
    const logRecords = stats.records;
    const logBytes = stats.recordBytes;
    // The checkpoint alone, nothing else running.
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    const t1 = performance.now();
    await durable.persistence!.checkpoint();
    const alone = performance.now() - t1;
    idle.disable();
    const step = durable.persistence!.stats.longestStepMs;
    const stepCpu = durable.persistence!.stats.longestStepCpuMs;
    note(`longest event-loop pause, ${fmtN(JOBS)} jobs stored, 1,000 registers + a checkpoint: ${fmt(withLog.maxMs)} ms with --data-dir (p99 ${fmt(withLog.p99Ms)}), ${fmt(base.maxMs)} ms without (p99 ${fmt(base.p99Ms)})`);
    note(`a checkpoint alone: ${fmt(alone, 0)} ms wall, longest event-loop pause meanwhile ${fmt(idle.max / 1e6)} ms; under the registers it took ${fmt(ckptMs, 0)} ms`);
    const fromPersistence = Math.max(0, withLog.maxMs - base.maxMs);
    note(`the log: ${fmt(logBytes / 1000 / 1024, 2)} KiB per register (${logRecords} records for 1,000 registers, 8 at a time, without the simulator)`);
    return [
      {
        figure: `--data-dir, ${fmtN(JOBS)} jobs stored: event-loop pause from persistence (excess)`,
        value: `${fmt(fromPersistence)} ms`,
        baseline: `${fmt(base.maxMs)} ms longest without`,
        target: '<= 20 ms',
        ok: fromPersistence <= 20,
      },
      {
        figure: '  … longest step of the log or a checkpoint (in the persister)',
        value: `${fmt(step)} ms wall, ${fmt(stepCpu)} ms CPU`,
        baseline: '',
        target: '<= 20 ms',
        // A step over 20 ms wall but within it in CPU time is the busy machine's doing.
        ok: step <= 20 || stepCpu <= 20,
      },
    ];
  } finally {
    await plain.app.close();
    await durable.app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The disk's floor under the one-at-a-time ratio, in a file made ahead (filled with zeros, as the
 * log's are), for a 6 KB record (what one register's append holds, one at a time, with the
 * simulator's writes after it): a write + fdatasync (two calls on the threadpool, the log before
 * O_DSYNC), a bare fdatasync of a write already made, one write through O_DSYNC (what the log
 * does now), and two of those at once (the log keeps up to two appends out), interleaved so the
 * machine's noise hits each alike.
 */
export async function syncFloor(n = 200): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-bench-sync-'));
  const rec = Buffer.alloc(6 * 1024, 0x61);
  const p = (f: (cb: (err: Error | null) => void) => void): Promise<void> => new Promise((res, rej) => f((e) => (e ? rej(e) : res())));
  const made = (name: string, flags: number, records = 1): number => {
    const path = join(dir, name);
    fs.writeFileSync(path, Buffer.alloc(records * n * rec.length));
    const fd = fs.openSync(path, 'r+');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    return fs.openSync(path, flags);
  };
  const { O_RDWR, O_DSYNC } = fs.constants as { O_RDWR: number; O_DSYNC?: number };
  try {
    const plain = made('plain', O_RDWR);
    const bare = made('bare', O_RDWR);
    const dsync = O_DSYNC === undefined ? -1 : made('dsync', O_RDWR | O_DSYNC);
    const dsync2 = O_DSYNC === undefined ? -1 : made('dsync2', O_RDWR | O_DSYNC, 2);
    const times = { both: [] as number[], bare: [] as number[], dsync: [] as number[], two: [] as number[] };
    for (let i = 0; i < n; i++) {
      const at = i * rec.length;
      await new Promise((r) => setTimeout(r, 1));
      let t0 = performance.now();
      await p((cb) => fs.write(plain, rec, 0, rec.length, at, (e) => cb(e)));
      await p((cb) => fs.fdatasync(plain, cb));
      times.both.push(performance.now() - t0);
      fs.writeSync(bare, rec, 0, rec.length, at);
      await new Promise((r) => setTimeout(r, 1));
      t0 = performance.now();
      await p((cb) => fs.fdatasync(bare, cb));
      times.bare.push(performance.now() - t0);
      if (dsync < 0) continue;
      await new Promise((r) => setTimeout(r, 1));
      t0 = performance.now();
      await p((cb) => fs.write(dsync, rec, 0, rec.length, at, (e) => cb(e)));
      times.dsync.push(performance.now() - t0);
      // Two appends out at once (the log allows two): both back.
      await new Promise((r) => setTimeout(r, 1));
      t0 = performance.now();
      await Promise.all([0, 1].map((j) => p((cb) => fs.write(dsync2, rec, 0, rec.length, (2 * i + j) * rec.length, (e) => cb(e)))));
      times.two.push(performance.now() - t0);
    }
    for (const fd of [plain, bare, dsync, dsync2]) if (fd >= 0) fs.closeSync(fd);
    const dsyncText = times.dsync.length > 0 ? `, one O_DSYNC write (the log's append) ${fmt(median(times.dsync), 2)} ms, two at once ${fmt(median(times.two), 2)} ms` : ', no O_DSYNC on this platform';
    note(`disk, 6 KB record in a file made ahead, from Node (median of ${n}): write + fdatasync ${fmt(median(times.both), 2)} ms, bare fdatasync ${fmt(median(times.bare), 2)} ms${dsyncText}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const durable: Group = {
  name: 'durable',
  quick: false,
  async run(ctx: Context): Promise<Figure[]> {
    await syncFloor();
    return [...(await registerLatency(ctx)), ...(await pauseFigures(ctx))];
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let next = 26000 + Math.floor(Math.random() * 2000);
  const ctx: Context = { quick: false, scale: 1, port: () => next++ };
  durable.run(ctx).then(printTable, (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
