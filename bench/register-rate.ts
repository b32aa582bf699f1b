// Figure 3: registers per second on a running 50-node cluster (default clock, 1 alloc each), timed
// per slice of the jobs so a rate that sinks as the store grows shows. The same client drives a bare
// Fastify server answering the recorded bytes first: its rate is the client's ceiling, so a
// nomad-mock rate well under it is the server's.
import { recordFile, startBare } from './baseline.js';
import { cpuMs, ok, startMock } from './http.js';
import { bigNodes, smallJob } from './jobs.js';
import { sliced } from './load.js';
import { count, fmt, median, note, size, type Context, type Figure, type Group } from './report.js';

const TARGET = 5000;
const FLAT = 0.8;

export const registerRate: Group = {
  name: 'register-rate',
  quick: true,
  async run(ctx: Context): Promise<Figure[]> {
    const jobs = size(ctx, 'BENCH_REGISTER_JOBS', 100_000, 10_000);
    const connections = count('BENCH_REGISTER_CONNECTIONS', 32, 32, ctx);
    const slice = Math.max(1, Math.floor(jobs / 10));
    const mock = await startMock(ctx.port(), bigNodes(50));
    let bare;
    try {
      const recorded = (await ok(mock.port, 'PUT', '/v1/jobs', smallJob('recorded'))).body;
      bare = await startBare(recordFile([{ method: 'PUT', url: '/v1/jobs', body: recorded }, { method: 'GET', url: '/v1/jobs', body: '[]' }]), ctx.port(), '/v1/jobs');
      let n = 0;
      const spec = { method: 'PUT' as const, path: '/v1/jobs', connections, body: () => smallJob(`job-${n++}`) };
      const bareCpu0 = cpuMs(bare.child.pid!);
      const ceiling = await sliced({ ...spec, port: bare.port, amount: Math.min(jobs, 20_000), slice: Math.min(jobs, 20_000) });
      const usBare = ((cpuMs(bare.child.pid!) - bareCpu0) * 1000) / Math.min(jobs, 20_000);
      await bare.stop();
      bare = undefined;
      // Warm-up: the JIT's first thousand, not counted.
      await sliced({ ...spec, port: mock.port, amount: 1000, slice: 1000 });
      const cpu0 = cpuMs(mock.child.pid!);
      const run = await sliced({ ...spec, port: mock.port, amount: jobs, slice });
      // Includes the simulator's work in the background (placing, starting allocs) during the run.
      const usMock = ((cpuMs(mock.child.pid!) - cpu0) * 1000) / jobs;
      const rate = (jobs * 1000) / run.totalMs;
      const first = run.rates[0]!;
      const last = run.rates[run.rates.length - 1]!;
      note(`${connections} keep-alive connections, one request in flight each; per ${fmt(slice)} jobs: ${run.rates.map((r) => fmt(r)).join(' ')} /s`);
      note(`server CPU per register ${fmt(usMock)} µs (${fmt(1e6 / usMock)}/s if it had a core to itself); bare Fastify ${fmt(usBare)} µs`);
      note(`client: ${fmt(run.clientCore * 100)}% of a core against nomad-mock; ${fmt(ceiling.rates[0]!)} /s against bare Fastify (${fmt(ceiling.clientCore * 100)}% of a core)`);
      return [
        {
          figure: `registers/s, 50 nodes, default clock, ${fmt(jobs)} jobs × 1 alloc`,
          value: `${fmt(rate)}/s`,
          baseline: `client ceiling ${fmt(ceiling.rates[0]!)}/s (bare Fastify)`,
          target: `>= ${fmt(TARGET)}/s`,
          ok: rate >= TARGET,
        },
        {
          figure: `  … flat: last slice of ${fmt(slice)} / first (median slice ${fmt(median(run.rates))}/s)`,
          value: `${fmt(last / first, 2)} (${fmt(last)} vs ${fmt(first)}/s)`,
          baseline: '',
          target: `>= ${FLAT}`,
          ok: last / first >= FLAT,
        },
      ];
    } finally {
      await bare?.stop();
      await mock.stop();
    }
  },
};
