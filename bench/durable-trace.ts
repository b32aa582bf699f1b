// Where one register's time goes with --data-dir (issue 12): registers one at a time against a
// server in a child process whose request path, store, persister and disk calls are timestamped,
// and the median of each gap:
//
//   request    the request's head is parsed ('request' event)
//   body       its body is read ('end' of the request stream)
//   commit     the store's first commit of the register (the write done)
//   wait       the answer asks the log for its record's durability (whenDurable)
//   encoded    the record holding it is encoded (JSON + frame), if that happens in the answer's turn
//   submitted  the append holding it is handed to the threadpool (io.write)
//   back       the append's callback runs on the event loop
//   answered   the answer is written to the socket (res.end)
//
// plus how busy the event loop was between `submitted` and `back` (eventLoopUtilization: a busy
// loop means the callback waited for other work, the simulator's, not for the disk) and, with
// --strace, the pwritev's own time in the kernel (strace -T on the server's threadpool).
//
//   node dist/bench/durable-trace.js [N=2000] [--plain] [--strace] [--no-loop] [--no-backoff] [--alternate]
//
// --no-loop: every append through the threadpool (as before appends on the loop); --no-backoff:
// every append on the loop that can be: a slow one does not turn them off, and the log does not
// compare their times with the threadpool's (to see them on a machine whose disk is busy).
// --alternate: the two ways side by side at the same moment of the machine: blocks of 20 registers
// on a server without the log, on the log's server with every append on the loop, and on the same
// server with every append through the threadpool, in rotating order; per way the medians and the
// median of per-round ratios to the server without the log.
//
// Wall figures on a shared machine are noise: read the medians of many registers, several runs.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ChildServer } from './child-server.js';
import { keepAlive, request } from './http.js';
import { webJob as jobBody } from './jobs.js';

type Stamps = Record<string, number>;
const GAPS = ['request', 'body', 'commit', 'wait', 'encoded', 'submitted', 'back', 'answered'] as const;

async function serve(dataDir: string): Promise<void> {
  const { createMockNomad } = await import('../src/index.js');
  const mock = await createMockNomad({ port: 0, clock: 'manual', logLevel: 'silent', ...(dataDir ? { dataDir } : {}) });
  const server = mock.server;
  const traces: Stamps[] = [];
  let cur: Stamps | null = null;
  const now = (): number => performance.now();
  server.app.server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'PUT') return;
    const s: Stamps = { request: now() };
    cur = s;
    req.once('end', () => (s.body = now()));
    const end = res.end;
    res.end = function (this: ServerResponse, ...args: unknown[]) {
      s.answered = now();
      traces.push(s);
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof res.end;
  });
  server.store.onCommit(() => {
    if (cur && cur.commit === undefined) cur.commit = now();
  });
  const p = server.persistence as unknown as Record<string, any> | null;
  if (p) {
    const whenDurable = p.whenDurable.bind(p);
    p.whenDurable = (index: number) => {
      const s = cur;
      if (s && s.wait === undefined) {
        s.wait = now();
        s.seq = p.changed() ? p.nextSeq : p.nextSeq - 1;
      }
      return whenDurable(index);
    };
    const encode = p.encode.bind(p);
    p.encode = () => {
      const t0 = now();
      const seq = p.nextSeq;
      encode();
      const s = cur;
      if (s && s.seq === seq && s.encoded === undefined) {
        s.encodeMs = now() - t0;
        s.encoded = now();
      }
    };
    const io = p.io;
    const write = io.write;
    io.write = (fd: number, bufs: Buffer[], pos: number, cb: (err: Error | null) => void) => {
      const s = cur;
      const t = now();
      const elu = performance.eventLoopUtilization();
      const bytes = bufs.reduce((n, b) => n + b.length, 0);
      // The append that holds the traced answer's record (the last queued group is it, or later).
      const mine = s && s.seq !== undefined && s.submitted === undefined && p.nextSeq - 1 >= s.seq;
      if (mine) {
        s!.submitted = t;
        s!.bytes = bytes;
        s!.outAhead = p.appends.length - 1;
      }
      write(fd, bufs, pos, (err: Error | null) => {
        if (mine) {
          s!.back = now();
          const u = performance.eventLoopUtilization(elu);
          s!.busyMs = u.active;
        }
        cb(err);
      });
    };
    // An append on the event loop (persister.ts appendOnLoop): submitted and back around it.
    const writeSync = io.writeSync;
    if (writeSync) {
      io.writeSync = (fd: number, bufs: Buffer[], pos: number) => {
        const s = cur;
        const mine = s && s.seq !== undefined && s.submitted === undefined;
        if (mine) {
          s!.submitted = now();
          s!.bytes = bufs.reduce((n, b) => n + b.length, 0);
          s!.onLoop = 1;
        }
        writeSync(fd, bufs, pos);
        if (mine) s!.back = now();
      };
    }
    // Every append on the loop that can be, however long they take (no back-off, no comparison with the threadpool's).
    if (process.argv.includes('--no-backoff')) {
      p.loopAppendMaxMs = Infinity;
      p.appendWay = 'loop';
    }
    if (process.argv.includes('--no-loop')) io.writeSync = undefined;
  }
  const writeSyncTraced = p?.io.writeSync;
  process.on('message', (m: { cmd: string; id: number }) => {
    let out: unknown = null;
    if (m.cmd === 'traces') {
      out = traces.splice(0);
    } else if (m.cmd === 'mode' && p) {
      const loop = (m as { mode?: string }).mode === 'loop';
      p.io.writeSync = loop ? writeSyncTraced : undefined;
      p.appendWay = loop ? 'loop' : 'threadpool';
      p.loopAppendMaxMs = Infinity;
      p.loopOffUntil = 0;
    }
    process.send!({ id: m.id, out });
  });
  process.send!({ id: 0, out: mock.port });
}

const median = (a: number[]): number => (a.length === 0 ? Number.NaN : [...a].sort((x, y) => x - y)[a.length >> 1]!);

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 2000);
  const plain = args.includes('--plain');
  if (args.includes('--alternate')) return alternate(n);
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-trace-wal-'));
  const s = await ChildServer.start(fileURLToPath(import.meta.url), ['serve', plain ? '' : dir, ...args.filter((a) => a === '--no-backoff' || a === '--no-loop')]);
  let strace: ReturnType<typeof spawn> | null = null;
  const straceOut = join(dir, '..', `nomad-mock-trace-${process.pid}.strace`);
  try {
    const agent = keepAlive();
    for (let i = 0; i < 200; i++) await request(s.port, 'PUT', '/v1/jobs', jobBody(`warm-${i}`), agent);
    await s.call('traces');
    if (args.includes('--strace')) {
      strace = spawn('strace', ['-f', '-T', '-e', 'trace=pwritev,pwrite64', '-o', straceOut, '-p', String(s.child.pid)], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1000));
    }
    const lat: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const r = await request(s.port, 'PUT', '/v1/jobs', jobBody(`t-${i}`), agent);
      lat.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`register: ${r.status} ${r.body}`);
    }
    agent.destroy();
    const traces = await s.call<Stamps[]>('traces');
    console.log(`${plain ? 'without' : 'with'} --data-dir, ${n} registers one at a time: client-side median ${median(lat).toFixed(3)} ms (wall, loaded machine)`);
    const rows: string[] = [];
    for (let i = 1; i < GAPS.length; i++) {
      // Each gap from the last stamp before it that the register has.
      const gaps: number[] = [];
      for (const t of traces) {
        if (t[GAPS[i]!] === undefined) continue;
        let j = i - 1;
        while (j >= 0 && t[GAPS[j]!] === undefined) j--;
        gaps.push(t[GAPS[i]!]! - t[GAPS[j]!]!);
      }
      if (gaps.length > 0) rows.push(`  → ${GAPS[i]!.padEnd(10)} ${(median(gaps) * 1000).toFixed(0).padStart(6)} µs median (${gaps.length} of ${traces.length})`);
    }
    console.log(rows.join('\n'));
    const pick = (k: string): number[] => traces.map((t) => t[k]).filter((v): v is number => v !== undefined);
    console.log(`  request → answered ${(median(traces.map((t) => t.answered! - t.request!)) * 1000).toFixed(0)} µs median`);
    if (!plain) {
      for (const [label, set] of [
        ['on the loop', traces.filter((t) => t.onLoop)],
        ['through the threadpool', traces.filter((t) => !t.onLoop && t.back !== undefined)],
      ] as const) {
        if (set.length === 0) continue;
        const us = (f: (t: Stamps) => number): string => (median(set.map(f)) * 1000).toFixed(0);
        console.log(`  appends ${label} (${set.length}): submitted → back ${us((t) => t.back! - t.submitted!)} µs, back → answered ${us((t) => t.answered! - t.back!)} µs, request → answered ${us((t) => t.answered! - t.request!)} µs (medians)`);
      }
      console.log(`  appends on the event loop: ${pick('onLoop').length} of ${traces.length}; encode ${(median(pick('encodeMs')) * 1000).toFixed(0)} µs; append ${median(pick('bytes'))} B; an append out ahead of it in ${pick('outAhead').filter((x) => x > 0).length} of ${traces.length}; loop busy between submitted and back ${(median(pick('busyMs')) * 1000).toFixed(0)} µs median`);
    }
  } finally {
    if (strace) {
      strace.kill('SIGINT');
      await new Promise((r) => strace!.once('exit', r));
      const d = readFileSync(straceOut, 'utf8')
        .split('\n')
        .map((l) => /<([\d.]+)>$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]) * 1000);
      console.log(`  pwritev in the kernel (strace -T, ${d.length} calls): median ${(median(d) * 1000).toFixed(0)} µs`);
      rmSync(straceOut, { force: true });
    }
    s.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Loop vs threadpool vs no log, block by block in rotating order (--alternate). */
async function alternate(n: number): Promise<void> {
  const BLOCK = 20;
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-trace-wal-'));
  const plain = await ChildServer.start(fileURLToPath(import.meta.url), ['serve', '']);
  const log = await ChildServer.start(fileURLToPath(import.meta.url), ['serve', dir]);
  const ways = ['plain', 'loop', 'pool'] as const;
  type Way = (typeof ways)[number];
  const agents = { plain: keepAlive(), log: keepAlive() };
  const lat: Record<Way, number[]> = { plain: [], loop: [], pool: [] };
  const inside: Record<Way, Stamps[]> = { plain: [], loop: [], pool: [] };
  const ratios: Record<'loop' | 'pool', number[]> = { loop: [], pool: [] };
  const orders: Way[][] = [['plain', 'loop', 'pool'], ['pool', 'loop', 'plain'], ['loop', 'plain', 'pool'], ['pool', 'plain', 'loop'], ['plain', 'pool', 'loop'], ['loop', 'pool', 'plain']];
  let k = 0;
  const block = async (way: Way): Promise<number> => {
    const s = way === 'plain' ? plain : log;
    if (way !== 'plain') await s.call('mode', { mode: way });
    await s.call('traces');
    const times: number[] = [];
    for (let i = 0; i < BLOCK; i++) {
      const t = performance.now();
      const r = await request(s.port, 'PUT', '/v1/jobs', jobBody(`a-${k++}`), way === 'plain' ? agents.plain : agents.log);
      times.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`register: ${r.status} ${r.body}`);
    }
    inside[way].push(...(await s.call<Stamps[]>('traces')));
    lat[way].push(...times);
    return median(times);
  };
  try {
    for (let i = 0; i < 200; i++) {
      await request(plain.port, 'PUT', '/v1/jobs', jobBody(`warm-${i}`), agents.plain);
      await request(log.port, 'PUT', '/v1/jobs', jobBody(`warm-${i}`), agents.log);
    }
    const rounds = Math.max(1, Math.round(n / BLOCK / 3));
    for (let r = 0; r < rounds; r++) {
      const m = {} as Record<Way, number>;
      for (const way of orders[r % orders.length]!) m[way] = await block(way);
      ratios.loop.push(m.loop / m.plain);
      ratios.pool.push(m.pool / m.plain);
    }
    console.log(`${rounds} rounds of ${BLOCK} registers per way, one at a time (wall, loaded machine):`);
    for (const way of ways) {
      const t = inside[way];
      const us = (f: (x: Stamps) => number | undefined): string => {
        const v = t.map(f).filter((x): x is number => x !== undefined && !Number.isNaN(x));
        return v.length ? (median(v) * 1000).toFixed(0) : '-';
      };
      const ratio = way === 'plain' ? '' : `, ratio to no log ${median(ratios[way]).toFixed(2)}× (median of rounds)`;
      console.log(`  ${way.padEnd(5)} client ${median(lat[way]).toFixed(3)} ms${ratio}; inside: request → answered ${us((x) => x.answered! - x.request!)} µs, wait → submitted ${us((x) => (x.submitted ?? NaN) - x.wait!)} µs, submitted → back ${us((x) => (x.back ?? NaN) - x.submitted!)} µs, back → answered ${us((x) => x.answered! - (x.back ?? NaN))} µs, on the loop ${t.filter((x) => x.onLoop).length} of ${t.length}`);
    }
  } finally {
    agents.plain.destroy();
    agents.log.destroy();
    plain.child.kill();
    log.child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') void serve(process.argv[3] ?? '');
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
