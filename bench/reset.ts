// Figure 7: POST /_mock/reset while the server holds 1,000 jobs (each with its eval and alloc on a
// 10-node cluster, default clock), timed by the client over a keep-alive connection to the answer's
// last byte. The baseline is the same reset of the server just reset: the fixed cost of a reset and
// the round trip, so value minus baseline is what the 1,000 jobs cost.
import { keepAlive, ok, startMock, untilIdle } from './http.js';
import { bigNodes, smallJob } from './jobs.js';
import { register } from './load.js';
import { count, fmt, median, note, size, type Context, type Figure, type Group } from './report.js';

export const reset: Group = {
  name: 'reset',
  quick: true,
  async run(ctx: Context): Promise<Figure[]> {
    const jobs = size(ctx, 'BENCH_RESET_JOBS', 1000, 1000);
    const rounds = count('BENCH_RESET_ROUNDS', 7, 3, ctx);
    const mock = await startMock(ctx.port(), bigNodes(10));
    const agent = keepAlive();
    const full: number[] = [];
    const empty: number[] = [];
    try {
      const timed = async (): Promise<number> => {
        const t0 = performance.now();
        await ok(mock.port, 'POST', '/_mock/reset', undefined, agent);
        return performance.now() - t0;
      };
      for (let r = 0; r < rounds; r++) {
        await register(mock.port, jobs, (i) => smallJob(`r${r}-${i}`));
        await untilIdle(mock.child.pid!, 200);
        full.push(await timed());
        empty.push(await timed());
      }
    } finally {
      agent.destroy();
      await mock.stop();
    }
    note(`reset ms holding ${fmt(jobs)} jobs: ${full.map((x) => fmt(x, 1)).join(' ')}; holding nothing: ${empty.map((x) => fmt(x, 1)).join(' ')}`);
    const ms = median(full);
    return [{ figure: `POST /_mock/reset holding ${fmt(jobs)} jobs (median of ${rounds})`, value: `${fmt(ms, 1)} ms`, baseline: `${fmt(median(empty), 1)} ms (empty)`, target: '<= 5 ms', ok: ms <= 5 }];
  },
};
