// Simulator figures: on the default clock, how soon a service job's deployment succeeds and a batch
// job is dead; how long 1,000 registered jobs × 3 allocs take until every alloc runs (against the
// registrations alone); the server's RSS holding 10,000 jobs × 3 running allocs.
import { ok, rssMb, startMock, untilIdle } from './http.js';
import { smallJob } from './jobs.js';
import { register } from './load.js';
import { untilAllRunning } from './scale.js';
import { fmt, note, size, type Context, type Figure, type Group } from './report.js';

/** Polls `url` until `done(body)`; resolves with the wall time since `t0`. */
async function until(port: number, url: string, done: (body: unknown) => boolean, t0: number): Promise<number> {
  for (;;) {
    const res = await ok(port, 'GET', url);
    if (done(JSON.parse(res.body))) return performance.now() - t0;
    if (performance.now() - t0 > 10_000) throw new Error(`${url} did not settle within 10 s`);
    await new Promise((r) => setImmediate(r));
  }
}

const CLUSTER = ['--nodes', '20', '--node-cpu', '1000000', '--node-memory', '1000000'];

/** The default clock's promise: a service job deploys and a batch job completes in wall milliseconds. */
async function lifecycle(ctx: Context): Promise<Figure[]> {
  const server = await startMock(ctx.port());
  try {
    const service = JSON.stringify({ Job: { ID: 'svc', TaskGroups: [{ Name: 'web', Count: 2, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' } }] }] } });
    let t0 = performance.now();
    await ok(server.port, 'PUT', '/v1/jobs', service);
    const deployMs = await until(server.port, '/v1/job/svc/deployment', (d) => (d as { Status?: string } | null)?.Status === 'successful', t0);
    const batch = JSON.stringify({ Job: { ID: 'bat', Type: 'batch', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }] } });
    t0 = performance.now();
    await ok(server.port, 'PUT', '/v1/jobs', batch);
    const batchMs = await until(server.port, '/v1/job/bat', (j) => (j as { Status: string }).Status === 'dead', t0);
    return [
      { figure: 'default clock: service count 2 → successful deployment', value: `${fmt(deployMs)} ms`, baseline: '', target: '<= 200 ms', ok: deployMs <= 200 },
      { figure: 'default clock: batch job → dead', value: `${fmt(batchMs)} ms`, baseline: '', target: '<= 100 ms', ok: batchMs <= 100 },
    ];
  } finally {
    await server.stop();
  }
}

/** 1,000 jobs × 3 allocs on 20 nodes: register → every alloc running, against the registrations alone. */
async function toRunning(ctx: Context): Promise<Figure[]> {
  const jobs = size(ctx, 'BENCH_SIM_JOBS', 1000, 1000);
  const server = await startMock(ctx.port(), CLUSTER);
  try {
    const t0 = performance.now();
    const rate = await register(server.port, jobs, (i) => smallJob(`run-${i}`, 3));
    const registerMs = performance.now() - t0;
    await untilAllRunning(server.port, 120_000, 20);
    const runningMs = performance.now() - t0;
    note(`${fmt(jobs)} jobs × 3 allocs registered at ${fmt(rate)}/s`);
    return [
      {
        figure: `${fmt(jobs)} jobs × 3 allocs, register → all running`,
        value: `${fmt(runningMs)} ms (${fmt(runningMs / registerMs, 2)}× registering)`,
        baseline: `${fmt(registerMs)} ms registering`,
        target: '',
        ok: null,
      },
    ];
  } finally {
    await server.stop();
  }
}

async function rss10k(ctx: Context): Promise<Figure[]> {
  const jobs = size(ctx, 'BENCH_SIM_RSS_JOBS', 10_000, 2_000);
  const server = await startMock(ctx.port(), ['--time-scale', '1000', ...CLUSTER]);
  try {
    await untilIdle(server.child.pid!);
    const idle = rssMb(server.child.pid!);
    await register(server.port, jobs, (i) => smallJob(`rss-${i}`, 3));
    await untilAllRunning(server.port, 600_000);
    await untilIdle(server.child.pid!);
    const rss = rssMb(server.child.pid!);
    return [{ figure: `${fmt(jobs)} jobs × 3 running allocs, 20 nodes: server RSS`, value: `${fmt(rss)} MB`, baseline: `${fmt(idle)} MB idle`, target: '', ok: null }];
  } finally {
    await server.stop();
  }
}

export const simulator: Group = {
  name: 'sim',
  quick: false,
  async run(ctx: Context): Promise<Figure[]> {
    return [...(await lifecycle(ctx)), ...(await toRunning(ctx)), ...(await rss10k(ctx))];
  },
};
