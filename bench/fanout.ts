// Figure 4: one write releasing N blocked readers (GET /v1/job/web?index=…), timed from the write
// until the last reader's answer has arrived, and the server's resident memory per parked reader.
// Readers are raw keep-alive sockets (no HTTP parser in the client: the answer is complete when its
// Content-Length bytes are in), so the client's own cost stays small; the floor is bare Fastify
// parking the same readers and answering them the recorded bytes when a PUT arrives. Each round
// starts fresh servers on fresh ports: 10,000 closed connections per round stay in TIME_WAIT for a
// minute, and Linux's ephemeral range (about 28,000 ports) would run out towards one server port.
import { readFileSync } from 'node:fs';
import { recordFile, startBare } from './baseline.js';
import { cpuMs, ok, request, rssMb, startMock, untilIdle, type Started } from './http.js';
import { webJob } from './jobs.js';
import { rawReader, type Reader } from './raw-reader.js';
import { count, fmt, median, note, size, type Context, type Figure, type Group } from './report.js';

interface Parked {
  /** Resolves with the time of each reader's last byte once the write is sent. */
  ends: Promise<number[]>;
  close(): void;
}

/**
 * Opens `n` keep-alive readers in batches (the listen backlog is 511), resolving once every one is
 * connected and has sent its request. A reader is done when its answer is a 200 and its
 * Content-Length bytes are in (bench/raw-reader.ts: reads into one shared buffer, so the client's
 * own CPU per reader stays small next to the server's it times); the sockets stay open until
 * `close()`, so the release does not time connection teardown.
 */
async function park(port: number, path: string, n: number): Promise<Parked> {
  const readers: Reader[] = [];
  for (let i = 0; i < n; i += 250) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(n, i + 250); j++) {
      const r = rawReader(port, path);
      readers.push(r);
      batch.push(r.sent);
    }
    await Promise.all(batch);
  }
  return {
    ends: Promise.all(readers.map((r) => r.done.then((d) => d.at))),
    close: () => {
      for (const r of readers) r.socket.removeAllListeners('close').destroy();
    },
  };
}

/** A child's user and system CPU time in ms, apart (/proc/<pid>/stat utime, stime; 10 ms ticks). */
function cpuSplit(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) * 10, system: Number(f[12]) * 10 };
}

function openFilesLimit(): number {
  const m = /Max open files\s+(\d+|unlimited)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

/** One round: park, wait until the server is idle (every request read and parked), write, time the release. */
interface Round {
  ms: number;
  kbEach: number;
  /** CPU time the server (user, system) and this client spent from the write to the last answer. */
  serverCpuMs: number;
  serverUserMs: number;
  serverSystemMs: number;
  clientCpuMs: number;
}

async function round(server: Started, path: string, n: number, write: () => Promise<unknown>): Promise<Round> {
  await untilIdle(server.child.pid!);
  const before = rssMb(server.child.pid!);
  const readers = await park(server.port, path, n);
  await untilIdle(server.child.pid!);
  const kbEach = ((rssMb(server.child.pid!) - before) * 1024) / n;
  const serverCpu0 = cpuMs(server.child.pid!);
  const split0 = cpuSplit(server.child.pid!);
  const clientCpu0 = process.cpuUsage();
  const t0 = performance.now();
  await write();
  let timer: NodeJS.Timeout | undefined;
  let ends: number[];
  try {
    ends = await Promise.race([
      readers.ends,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('readers not all answered 120 s after the write')), 120_000))),
    ]);
  } finally {
    clearTimeout(timer);
    readers.close();
  }
  const client = process.cpuUsage(clientCpu0);
  const split1 = cpuSplit(server.child.pid!);
  return {
    ms: Math.max(...ends) - t0,
    kbEach,
    serverCpuMs: cpuMs(server.child.pid!) - serverCpu0,
    serverUserMs: split1.user - split0.user,
    serverSystemMs: split1.system - split0.system,
    clientCpuMs: (client.user + client.system) / 1000,
  };
}

export const fanout: Group = {
  name: 'fanout',
  quick: true,
  async run(ctx: Context): Promise<Figure[]> {
    const n = size(ctx, 'BENCH_READERS', 10_000, 2_000);
    const rounds = count('BENCH_FANOUT_ROUNDS', 3, 1, ctx);
    if (openFilesLimit() < n + 200) throw new Error(`ulimit -n is ${openFilesLimit()}: ${n} readers need ${n + 200} open files (raise it or set BENCH_READERS)`);
    const runs = { mock: [] as number[], kb: [] as number[], bare: [] as number[], bareKb: [] as number[], cpu: [] as string[] };
    for (let r = 0; r < rounds; r++) {
      // The simulator on with a manual clock, as in the throughput figures: the write is a register.
      const mock = await startMock(ctx.port(), ['--clock', 'manual']);
      let bare: Started | undefined;
      try {
        await ok(mock.port, 'PUT', '/v1/jobs', webJob('web'));
        const job = await ok(mock.port, 'GET', '/v1/job/web');
        const idx = String(job.headers['x-nomad-index']);
        const path = `/v1/job/web?index=${idx}&wait=300s`;
        const m = await round(mock, path, n, () => ok(mock.port, 'PUT', '/v1/jobs', webJob('web', `released-${r}`)));
        runs.mock.push(m.ms);
        runs.cpu.push(`nomad-mock ${fmt(m.serverCpuMs)} ms (user ${fmt(m.serverUserMs)}, system ${fmt(m.serverSystemMs)}; client ${fmt(m.clientCpuMs)} ms)`);
        runs.kb.push(m.kbEach);
        await mock.stop();
        const file = recordFile([
          { method: 'GET', url: '/v1/job/web', body: job.body },
          { method: 'PUT', url: '/v1/jobs', body: '{}' },
        ]);
        bare = await startBare(file, ctx.port(), '/v1/job/web');
        const b = await round(bare, path, n, () => request(bare!.port, 'PUT', '/v1/jobs', '{}'));
        runs.bare.push(b.ms);
        runs.bareKb.push(b.kbEach);
        runs.cpu.push(`bare ${fmt(b.serverCpuMs)} ms (user ${fmt(b.serverUserMs)}, system ${fmt(b.serverSystemMs)}; client ${fmt(b.clientCpuMs)} ms)`);
      } finally {
        await mock.stop();
        await bare?.stop();
      }
    }
    note(`release ms, nomad-mock: ${runs.mock.map((x) => fmt(x)).join(' ')}; bare Fastify: ${runs.bare.map((x) => fmt(x)).join(' ')}; KB per reader: ${runs.kb.map((x) => fmt(x, 1)).join(' ')} (bare Fastify ${runs.bareKb.map((x) => fmt(x, 1)).join(' ')})`);
    note(`CPU time from the write to the last answer (server, 10 ms resolution): ${runs.cpu.join('; ')}`);
    const ms = median(runs.mock);
    const kb = median(runs.kb);
    return [
      {
        figure: `one write releasing ${fmt(n)} blocked readers (median of ${rounds})`,
        value: `${fmt(ms)} ms`,
        baseline: `${fmt(median(runs.bare))} ms (bare Fastify)`,
        target: '<= 500 ms',
        ok: ms <= 500,
      },
      { figure: '  … server memory per parked reader (RSS delta / N)', value: `${fmt(kb, 1)} KB`, baseline: `${fmt(median(runs.bareKb), 1)} KB (bare Fastify)`, target: '<= 10 KB', ok: kb <= 10 },
    ];
  },
};
