// Simulator figures for `npm run bench`: how long 1,000 registered jobs take until every alloc runs
// (against the time the registrations alone take), and the server's RSS holding 10,000 jobs × 3 allocs.
import { readFileSync } from 'node:fs';
import { request, start } from './http.js';

const CONCURRENCY = 16;

function simJob(id: string, count: number): string {
  return JSON.stringify({
    Job: {
      ID: id,
      TaskGroups: [{ Name: 'app', Count: count, Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: { CPU: 10, MemoryMB: 10 } }] }],
    },
  });
}

/** PUTs `n` jobs with a few requests in flight; resolves with the wall time it took. */
async function registerAll(port: number, prefix: string, n: number, count: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const res = await request(port, 'PUT', '/v1/jobs', simJob(`${prefix}-${i}`, count));
      if (res.status !== 200) throw new Error(`register failed: ${res.status} ${res.body}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return performance.now() - t0;
}

/** Polls the job list until every job's summary shows `count` running allocs. */
async function untilRunning(port: number, jobs: number, count: number, limitMs: number): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const list = JSON.parse((await request(port, 'GET', '/v1/jobs')).body) as { JobSummary: { Summary: Record<string, { Running: number }> } }[];
    const running = list.reduce((n, j) => n + Object.values(j.JobSummary.Summary).reduce((m, g) => m + g.Running, 0), 0);
    if (list.length >= jobs && running >= jobs * count) return;
    if (performance.now() - t0 > limitMs) throw new Error(`only ${running}/${jobs * count} allocs running after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const CLUSTER = ['--nodes', '20', '--node-cpu', '1000000', '--node-memory', '1000000', '--log-level', 'silent'];

/** Polls `url` until `done(body)`; resolves with the wall time since `t0`. */
async function until(port: number, url: string, done: (body: unknown) => boolean, t0: number): Promise<number> {
  for (;;) {
    const res = await request(port, 'GET', url);
    if (res.status === 200 && done(JSON.parse(res.body))) return performance.now() - t0;
    if (performance.now() - t0 > 10_000) throw new Error(`${url} did not settle within 10 s`);
    await new Promise((r) => setImmediate(r));
  }
}

/** The default clock's promise: a service job deploys and a batch job completes in wall milliseconds. */
async function lifecycleTimes(cli: string, port: number): Promise<void> {
  const server = await start([cli, '--port', String(port), '--log-level', 'silent'], port, '/v1/jobs');
  try {
    const service = JSON.stringify({ Job: { ID: 'svc', TaskGroups: [{ Name: 'web', Count: 2, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' } }] }] } });
    let t0 = performance.now();
    await request(port, 'PUT', '/v1/jobs', service);
    const deployMs = await until(port, '/v1/job/svc/deployment', (d) => (d as { Status?: string } | null)?.Status === 'successful', t0);
    const batch = JSON.stringify({ Job: { ID: 'bat', Type: 'batch', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }] } });
    t0 = performance.now();
    await request(port, 'PUT', '/v1/jobs', batch);
    const batchMs = await until(port, '/v1/job/bat', (j) => (j as { Status: string }).Status === 'dead', t0);
    console.log(`\ndefault clock (x100): service count 2 → successful deployment in ${deployMs.toFixed(0)} ms (target <= 200), batch job → dead in ${batchMs.toFixed(0)} ms (target <= 100)`);
  } finally {
    server.child.kill();
  }
}

export async function simulatorFigures(cli: string, basePort: number): Promise<void> {
  await lifecycleTimes(cli, basePort + 2);
  const port = basePort;
  const server = await start([cli, '--port', String(port), ...CLUSTER], port, '/v1/jobs');
  try {
    const t0 = performance.now();
    const registerMs = await registerAll(port, 'run', 1000, 3);
    await untilRunning(port, 1000, 3, 120_000);
    const runningMs = performance.now() - t0;
    console.log(
      `\n1,000 jobs × 3 allocs, register → all allocs running: ${runningMs.toFixed(0)} ms (registering alone ${registerMs.toFixed(0)} ms, ratio ${(runningMs / registerMs).toFixed(2)})`,
    );
  } finally {
    server.child.kill();
  }

  const bigPort = basePort + 1;
  const big = await start([cli, '--port', String(bigPort), '--time-scale', '1000', ...CLUSTER], bigPort, '/v1/jobs');
  try {
    const idle = rssMb(big.child.pid!);
    await registerAll(bigPort, 'rss', 10_000, 3);
    await untilRunning(bigPort, 10_000, 3, 600_000);
    await new Promise((r) => setTimeout(r, 500));
    console.log(`RSS with 10,000 jobs × 3 running allocs: ${rssMb(big.child.pid!).toFixed(0)} MB (idle server ${idle.toFixed(0)} MB)`);
  } finally {
    big.child.kill();
  }
}
