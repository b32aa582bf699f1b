// Figure 2: requests per second of nomad-mock against bare Fastify (and node:http) serving the bytes
// nomad-mock sent, in alternating rounds; the figure is the median of the per-round ratios.
import { recordFile, startBare } from './baseline.js';
import { cpuMs, ok, startMock, type Started } from './http.js';
import { webJob } from './jobs.js';
import { measured } from './load.js';
import { count, fmt, median, note, type Context, type Figure, type Group } from './report.js';

interface Scenario {
  name: string;
  method: 'GET' | 'PUT';
  path: string;
  target: number | null;
  server: 'sim' | 'plain';
  body?: () => string;
}

export const throughput: Group = {
  name: 'throughput',
  quick: true,
  async run(ctx: Context): Promise<Figure[]> {
    const rounds = count('BENCH_ROUNDS', 5, 2, ctx);
    const seconds = count('BENCH_SECONDS', 4, 1.5, ctx);
    const connections = count('BENCH_CONNECTIONS', 32, 32, ctx);
    // The manual clock keeps simulated clients quiet, so reads measure the API, not background writes.
    const sim = await startMock(ctx.port(), ['--clock', 'manual']);
    // The same server without the simulator: what the API itself costs when a register schedules nothing.
    const plain = await startMock(ctx.port(), ['--simulate', 'false']);
    const servers: Started[] = [sim, plain];
    try {
      for (let i = 0; i < 100; i++) await ok(sim.port, 'PUT', '/v1/jobs', webJob(`bench-${String(i).padStart(3, '0')}`));
      await ok(sim.port, 'PUT', '/v1/jobs', webJob('web'));
      const file = recordFile([
        { method: 'GET', url: '/v1/job/web', body: (await ok(sim.port, 'GET', '/v1/job/web')).body },
        { method: 'GET', url: '/v1/jobs', body: (await ok(sim.port, 'GET', '/v1/jobs')).body },
        { method: 'PUT', url: '/v1/jobs', body: (await ok(sim.port, 'PUT', '/v1/jobs', webJob('recorded'))).body },
      ]);
      const bare = await startBare(file, ctx.port(), '/v1/jobs');
      servers.push(bare);
      // node:http is shown for reading only; --quick leaves it out, and the register without the simulator.
      const nodeHttp = ctx.quick ? undefined : await startBare(file, ctx.port(), '/v1/jobs', true);
      if (nodeHttp) servers.push(nodeHttp);
      let n = 0;
      const all: Scenario[] = [
        { name: 'GET /v1/job/:id', method: 'GET', path: '/v1/job/web', target: 0.85, server: 'sim' },
        { name: 'GET /v1/jobs (100 jobs)', method: 'GET', path: '/v1/jobs', target: 0.9, server: 'sim' },
        { name: 'PUT /v1/jobs, simulator on', method: 'PUT', path: '/v1/jobs', target: 0.35, server: 'sim', body: () => webJob(`load-${n++}`) },
        { name: 'PUT /v1/jobs, --simulate false', method: 'PUT', path: '/v1/jobs', target: null, server: 'plain', body: () => webJob(`load-${n++}`) },
      ];
      const scenarios = all.filter((s) => !ctx.quick || s.target !== null);
      note(`${rounds} alternating rounds of ${seconds} s each, ${connections} keep-alive connections, one request in flight on each`);
      const figures: Figure[] = [];
      for (const s of scenarios) {
        const spec = { method: s.method, path: s.path, body: s.body, seconds, connections };
        const runs = { mock: [] as number[], bare: [] as number[], http: [] as number[] };
        // The servers' own CPU time per request: steadier than req/s on a machine busy with other work.
        const cpu = { mock: { ms: 0, n: 0 }, bare: { ms: 0, n: 0 } };
        const timed = async (server: Started, into: number[], c?: { ms: number; n: number }): Promise<void> => {
          const before = cpuMs(server.child.pid!);
          const m = await measured({ ...spec, port: server.port });
          into.push(m.rps);
          if (c) {
            c.ms += cpuMs(server.child.pid!) - before;
            c.n += m.total;
          }
        };
        for (let r = 0; r < rounds; r++) {
          await timed(bare, runs.bare, cpu.bare);
          await timed(s.server === 'sim' ? sim : plain, runs.mock, cpu.mock);
          if (nodeHttp) await timed(nodeHttp, runs.http);
        }
        const usMock = (cpu.mock.ms * 1000) / cpu.mock.n;
        const usBare = (cpu.bare.ms * 1000) / cpu.bare.n;
        note(`${s.name}: server CPU per request ${fmt(usMock)} µs, bare Fastify ${fmt(usBare)} µs (bare ÷ nomad-mock ${fmt(usBare / usMock, 2)})`);
        const ratio = median(runs.mock.map((m, i) => m / runs.bare[i]!));
        note(`${s.name}: nomad-mock ${runs.mock.map((x) => fmt(x)).join(' ')} req/s; bare Fastify ${runs.bare.map((x) => fmt(x)).join(' ')}${nodeHttp ? `; node:http ${runs.http.map((x) => fmt(x)).join(' ')}` : ''}`);
        figures.push({
          figure: `${s.name}, ratio to bare Fastify`,
          value: `${fmt(ratio, 2)} (${fmt(median(runs.mock))}/s)`,
          baseline: `${fmt(median(runs.bare))}/s${nodeHttp ? ` (node:http ${fmt(median(runs.http))}/s)` : ''}`,
          target: s.target === null ? '' : `>= ${s.target}`,
          ok: s.target === null ? null : ratio >= s.target,
        });
      }
      return figures;
    } finally {
      for (const s of servers) await s.stop();
    }
  },
};
