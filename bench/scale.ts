// Figures 5 and 6: nomad-mock holding 100,000 jobs. Store only (--simulate false): resident memory,
// one prefix list and one job read (medians over a keep-alive connection) and the full job list,
// each against bare Fastify sending the same bytes. With the simulator: 100,000 jobs × 1 running
// alloc on 100 nodes, resident memory. Jobs are loaded by registering them over HTTP on 32
// keep-alive connections (the path users take, so memory is laid out as theirs), not by restoring
// a snapshot.
import { recordFile, startBare } from './baseline.js';
import { keepAlive, ok, rssMb, timedGet, startMock, untilIdle, sleep, type Started } from './http.js';
import { bigNodes, smallJob, webJob } from './jobs.js';
import { register } from './load.js';
import { count, fmt, median, note, size, type Context, type Figure, type Group } from './report.js';

/** Wall times of `n` sequential GETs over one keep-alive connection, each read to its last byte. */
async function latencies(port: number, path: (i: number) => string, n: number): Promise<number[]> {
  const agent = keepAlive();
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i++) out.push(await timedGet(port, path(i), agent));
  } finally {
    agent.destroy();
  }
  return out;
}

/**
 * Waits until every evaluation is complete (every alloc placed; a blocked eval would show) and no
 * alloc is other than running, polling filtered one-item lists (never a whole list of 100,000; each
 * poll still sorts every eval and alloc in the server, hence once a second by default).
 */
export async function untilAllRunning(port: number, limitMs: number, everyMs = 1000): Promise<number> {
  const t0 = performance.now();
  const none = async (path: string, filter: string): Promise<boolean> =>
    (JSON.parse((await ok(port, 'GET', `${path}?filter=${encodeURIComponent(filter)}&per_page=1`)).body) as unknown[]).length === 0;
  for (;;) {
    if ((await none('/v1/evaluations', 'Status != "complete"')) && (await none('/v1/allocations', 'ClientStatus != "running"'))) return performance.now() - t0;
    if (performance.now() - t0 > limitMs) throw new Error(`evaluations or allocs still not done after ${limitMs} ms`);
    await sleep(everyMs);
  }
}

const pad = (i: number): string => `job-${String(i).padStart(6, '0')}`;

export const storeScale: Group = {
  name: 'store',
  quick: false,
  async run(ctx: Context): Promise<Figure[]> {
    const jobs = size(ctx, 'BENCH_STORE_JOBS', 100_000, 10_000);
    const samples = count('BENCH_LATENCY_SAMPLES', 1000, 200, ctx);
    const lists = count('BENCH_FULL_LISTS', 5, 2, ctx);
    const mock = await startMock(ctx.port(), ['--simulate', 'false']);
    let bare: Started | undefined;
    try {
      const rate = await register(mock.port, jobs, (i) => webJob(pad(i)));
      await untilIdle(mock.child.pid!);
      const rss = rssMb(mock.child.pid!);
      // Prefixes of 10 jobs each (job-01234 → job-012340…012349), spread over the store.
      const prefix = (i: number): string => `/v1/jobs?prefix=${pad((i * 7919) % jobs).slice(0, -1)}`;
      const read = (i: number): string => `/v1/job/${pad((i * 7919) % jobs)}`;
      const full = await ok(mock.port, 'GET', '/v1/jobs');
      const file = recordFile([
        { method: 'GET', url: '/v1/jobs', body: full.body },
        { method: 'GET', url: prefix(1), body: (await ok(mock.port, 'GET', prefix(1))).body },
        { method: 'GET', url: '/v1/job/:id', body: (await ok(mock.port, 'GET', read(1))).body },
      ]);
      const listMb = Buffer.byteLength(full.body) / 1e6;
      bare = await startBare(file, ctx.port(), '/v1/job/x');
      const runs = { prefix: [] as number[], prefixSame: [] as number[], read: [] as number[], list: [] as number[], barePrefix: [] as number[], bareRead: [] as number[], bareList: [] as number[] };
      // Alternating halves, so machine noise hits both alike.
      for (let half = 0; half < 2; half++) {
        runs.prefixSame.push(...(await latencies(mock.port, () => prefix(1), samples / 2)));
        runs.prefix.push(...(await latencies(mock.port, (i) => prefix(i + half * samples), samples / 2)));
        runs.barePrefix.push(...(await latencies(bare.port, () => prefix(1), samples / 2)));
        runs.read.push(...(await latencies(mock.port, (i) => read(i + half * samples), samples / 2)));
        runs.bareRead.push(...(await latencies(bare.port, () => read(1), samples / 2)));
      }
      const listAgain: number[] = [];
      for (let i = 0; i < lists; i++) {
        // After a write, as a client listing a changing state sees it; then the same list again.
        await ok(mock.port, 'PUT', '/v1/jobs', webJob(`extra-${i}`));
        runs.list.push(...(await latencies(mock.port, () => '/v1/jobs', 1)));
        listAgain.push(...(await latencies(mock.port, () => '/v1/jobs', 1)));
        runs.bareList.push(...(await latencies(bare.port, () => '/v1/jobs', 1)));
      }
      note(`loaded ${fmt(jobs)} jobs at ${fmt(rate)} registers/s; full list ms after a write: ${runs.list.map((x) => fmt(x)).join(' ')}, again: ${listAgain.map((x) => fmt(x)).join(' ')}; bare Fastify: ${runs.bareList.map((x) => fmt(x)).join(' ')}`);
      const size_ = `${fmt(jobs)} jobs, store only`;
      return [
        { figure: `${size_}: server RSS`, value: `${fmt(rss)} MB`, baseline: '', target: 'keep ~402 MB (<= 440)', ok: rss <= 440 },
        // The same prefix again and again (as a poller asks; the list cache answers it, and most likely what the
        // issue's 0.25 ms measured: a scan of 100,000 jobs takes far longer), and, for reading, a new prefix each time.
        { figure: `${size_}: prefix list (10 jobs) p50, same prefix`, value: `${fmt(median(runs.prefixSame), 2)} ms`, baseline: `${fmt(median(runs.barePrefix), 2)} ms`, target: 'keep ~0.25 ms (<= 0.28)', ok: median(runs.prefixSame) <= 0.28 },
        { figure: '  … a different prefix each time', value: `${fmt(median(runs.prefix), 2)} ms`, baseline: `${fmt(median(runs.barePrefix), 2)} ms`, target: '', ok: null },
        { figure: `${size_}: GET /v1/job/:id p50`, value: `${fmt(median(runs.read), 2)} ms`, baseline: `${fmt(median(runs.bareRead), 2)} ms`, target: 'keep ~0.19 ms (<= 0.21)', ok: median(runs.read) <= 0.21 },
        {
          figure: `${size_}: full GET /v1/jobs after a write (${fmt(listMb)} MB, median of ${lists})`,
          value: `${fmt(median(runs.list))} ms`,
          baseline: `${fmt(median(runs.bareList))} ms`,
          target: '<= 250 ms',
          ok: median(runs.list) <= 250,
        },
        { figure: '  … the same list again, nothing written', value: `${fmt(median(listAgain))} ms`, baseline: `${fmt(median(runs.bareList))} ms`, target: '', ok: null },
      ];
    } finally {
      await bare?.stop();
      await mock.stop();
    }
  },
};

export const allocScale: Group = {
  name: 'allocs',
  quick: false,
  async run(ctx: Context): Promise<Figure[]> {
    const jobs = size(ctx, 'BENCH_ALLOC_JOBS', 100_000, 10_000);
    const mock = await startMock(ctx.port(), bigNodes(100));
    try {
      await untilIdle(mock.child.pid!);
      const idle = rssMb(mock.child.pid!);
      const rate = await register(mock.port, jobs, (i) => smallJob(pad(i)));
      const waited = await untilAllRunning(mock.port, 600_000);
      await untilIdle(mock.child.pid!);
      const rss = rssMb(mock.child.pid!);
      note(`registered ${fmt(jobs)} jobs at ${fmt(rate)}/s, all running ${fmt(waited)} ms after the last register; idle server ${fmt(idle)} MB`);
      return [
        {
          figure: `${fmt(jobs)} jobs × 1 running alloc, 100 nodes: server RSS`,
          value: `${fmt(rss)} MB (${fmt(((rss - idle) * 1024) / jobs, 1)} KB/job)`,
          baseline: `${fmt(idle)} MB idle`,
          target: '<= 1,024 MB',
          ok: rss <= 1024,
        },
      ];
    } finally {
      await mock.stop();
    }
  },
};
