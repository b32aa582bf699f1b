// Figure 1: spawn to the first 200 on GET /v1/jobs, nomad-mock (through the package's `bin`, as
// `npm start` runs it) against a bare Fastify server, alternating so machine noise hits both alike.
import { bareArgs, recordFile } from './baseline.js';
import { binPath, start } from './http.js';
import { count, fmt, median, note, type Context, type Figure, type Group } from './report.js';

export const startup: Group = {
  name: 'startup',
  quick: true,
  async run(ctx: Context): Promise<Figure[]> {
    const rounds = count('BENCH_STARTUP_ROUNDS', 7, 3, ctx);
    const port = ctx.port();
    const file = recordFile([{ method: 'GET', url: '/v1/jobs', body: '[]' }]);
    const mock: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const m = await start([binPath(), '--port', String(port), '--log-level', 'silent'], port);
      await m.stop();
      mock.push(m.startupMs);
      const b = await start(bareArgs(file, port), port);
      await b.stop();
      bare.push(b.startupMs);
    }
    const ratio = median(mock.map((m, i) => m / bare[i]!));
    note(`start-up ms, nomad-mock: ${mock.map((x) => fmt(x)).join(' ')}; bare Fastify: ${bare.map((x) => fmt(x)).join(' ')}`);
    return [
      {
        figure: `start-up to first 200, ratio to bare Fastify (median of ${rounds})`,
        value: `${fmt(ratio, 2)}× (${fmt(median(mock))} ms)`,
        baseline: `${fmt(median(bare))} ms`,
        target: '<= 1.3×',
        ok: ratio <= 1.3,
      },
    ];
  },
};
