// Memory probe (issue 16): what a server holding N jobs × 1 running alloc on 100 nodes keeps, by table
// and by field of the alloc record, and what `POST /_mock/reset` costs with 1,000 jobs.
//
//   node --expose-gc dist/bench/probe-memory.js [--jobs 10000] [--breakdown] [--reset] [--snapshot FILE]
//
// The server runs in this process (createMockNomad) so the store can be taken apart after the run:
// every figure is the drop in V8's heapUsed (after a full GC) when one part is released, so a part
// shared with another one counts where it is released last (the job object: with the jobs table).
import http from 'node:http';
import v8 from 'node:v8';
import { parseArgs } from 'node:util';
import { createMockNomad } from '../src/index.js';
import { eventBuffer } from '../state/events/buffer.js';
import type { Obj } from '../state/types.js';

const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '10000' },
    nodes: { type: 'string', default: '100' },
    breakdown: { type: 'boolean', default: false },
    reset: { type: 'boolean', default: false },
    snapshot: { type: 'string' },
    connections: { type: 'string', default: '64' },
    bare: { type: 'boolean', default: false },
  },
});

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`;

function jobBody(id: string): string {
  return JSON.stringify({
    Job: {
      ID: id,
      TaskGroups: [{ Name: 'app', Count: 1, Tasks: [{ Name: 'main', Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: { CPU: 10, MemoryMB: 10 } }] }],
    },
  });
}

function put(agent: http.Agent, port: number, path: string, body: string, method = 'PUT'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function registerAll(agent: http.Agent, port: number, prefix: string, n: number, conns: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      // A keep-alive socket the server closed just as it was reused (a long GC pause) is retried.
      const status = await put(agent, port, '/v1/jobs', jobBody(`${prefix}-${i}`)).catch(() => put(agent, port, '/v1/jobs', jobBody(`${prefix}-${i}`)));
      if (status !== 200) throw new Error(`register ${i}: ${status}`);
    }
  };
  await Promise.all(Array.from({ length: conns }, worker));
}

type Mock = Awaited<ReturnType<typeof createMockNomad>>;

/** Until every alloc runs and every deployment is over (the steady state a big cluster sits in). */
async function settled(mock: Mock, n: number): Promise<void> {
  const store = mock.server.store;
  const t0 = Date.now();
  for (;;) {
    let running = 0;
    for (const a of store.allocs.values()) if (a.ClientStatus === 'running') running++;
    let active = 0;
    for (const d of store.deployments.values()) if (d.Status === 'running') active++;
    if (running >= n && active === 0) return;
    if (Date.now() - t0 > 900_000) throw new Error(`not settled: ${running}/${n} running, ${active} deployments active`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function countBy<T>(items: Iterable<T>, key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
}

/** Releases parts one at a time and reports how much heap each one held. */
function breakdown(mock: Mock, n: number): void {
  const store = mock.server.store;
  const rows: [string, number][] = [];
  let before = heapAfterGc();
  // SNAP_STEPS=name,name: heap snapshots before and after those steps (for heapagg diffs).
  const snapSteps = new Set((process.env.SNAP_STEPS ?? '').split(',').filter(Boolean));
  const step = (name: string, release: () => void): void => {
    const snap = values.snapshot && snapSteps.has(name) ? `${values.snapshot}.${name.replace(/\W+/g, '_')}` : '';
    if (snap) v8.writeHeapSnapshot(`${snap}.before`);
    release();
    if (snap) v8.writeHeapSnapshot(`${snap}.after`);
    const after = heapAfterGc();
    rows.push([name, before - after]);
    before = after;
  };
  const mapAllocs = (f: (a: Obj) => Obj): void => {
    for (const [k, a] of store.allocs) store.allocs.set(k, f(a));
  };
  console.log('evals per job:', store.evals.size / n, 'deployments per job:', store.deployments.size / n, 'versions per job:', [...store.versions.values()].reduce((s, v) => s + v.length, 0) / n);
  console.log('eval statuses:', countBy(store.evals.values(), (e) => `${e.TriggeredBy}/${e.Status}`));
  const a0 = store.allocs.values().next().value as Obj;
  console.log('task events per alloc:', Object.values((a0.TaskStates ?? {}) as Obj).map((t: Obj) => (t.Events as Obj[]).length));
  const j0 = store.jobs.get(`${a0.Namespace}\u0000${a0.JobID}`)!;
  const v0 = store.versions.get(`${a0.Namespace}\u0000${a0.JobID}`)![0]!;
  console.log('alloc.Job === job:', a0.Job === j0, 'TaskGroups shared:', a0.Job.TaskGroups === j0.TaskGroups, 'version === job:', v0 === j0, 'version TaskGroups shared:', v0.TaskGroups === j0.TaskGroups, 'alloc.Job === version:', a0.Job === v0);
  const diff = Object.keys(j0).filter((k) => a0.Job[k] !== j0[k]);
  console.log('alloc.Job fields differing from the job:', diff.map((k) => `${k}=${JSON.stringify(a0.Job[k])}/${JSON.stringify(j0[k])}`).join(' '));
  const r0 = mock.server.sim!.client.runner(a0.ID) as unknown as { tasks: { task: Obj; events: Obj[] }[] };
  console.log('runner task === job task:', r0.tasks[0]!.task === j0.TaskGroups[0].Tasks[0], 'runner events === TaskStates events:', r0.tasks[0]!.events[0] === a0.TaskStates.main.Events[0]);

  const sim = mock.server.sim!;
  console.log('clock timers pending:', mock.server.clock.pending(), 'runners:', sim.client.size);
  step('request journal', () => mock.control.journal.clear());
  step('sim: client runners', () => sim.client.close());
  step('event buffer', () => eventBuffer(store).restart());
  // Alloc fields one by one (each alloc replaced by a copy without it), then the records themselves.
  for (const field of ['Metrics', 'TaskStates', 'AllocatedResources', 'TaskResources', 'SharedResources', 'DeploymentStatus', 'NetworkStatus', 'DesiredTransition', 'AllocStates']) {
    step(`alloc.${field}`, () => mapAllocs((a) => ({ ...a, [field]: null })));
  }
  step('alloc.Job (pointer only)', () => mapAllocs((a) => ({ ...a, Job: null })));
  step('allocs (rest of the record)', () => store.allocs.clear());
  step('allocsByJob index', () => store.allocsByJob.clear());
  step('sim: deployment watcher', () => sim.watcher.close());
  step('sim: rest (scheduler, periodic, gc, drainer)', () => sim.close());
  step('node usage', () => store.nodeUsage.clear());
  step('deployments', () => {
    store.deployments.clear();
    store.deploymentsByJob.clear();
  });
  step('evals', () => {
    store.evals.clear();
    store.evalsByJob.clear();
  });
  step('summaries', () => store.summaries.clear());
  step('submissions', () => store.submissions.clear());
  step('versions (beyond the job)', () => store.versions.clear());
  step('jobs', () => store.jobs.clear());
  console.log('\nheap held per job+alloc, by part (bytes):');
  let total = 0;
  for (const [name, b] of rows) {
    total += b;
    console.log(`  ${name.padEnd(32)} ${(b / n).toFixed(0).padStart(7)}`);
  }
  console.log(`  ${'total released'.padEnd(32)} ${(total / n).toFixed(0).padStart(7)}`);
}

async function timeResets(mock: Mock, agent: http.Agent, label: string): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    const status = await put(agent, mock.port, '/_mock/reset', '', 'POST');
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (status !== 200) throw new Error(`reset: ${status}`);
    // Refill for the next round, except after the last one.
    if (i < 4) await refill(mock, agent, label);
  }
  times.sort((a, b) => a - b);
  console.log(`reset (${label}) over HTTP: median ${times[2]!.toFixed(2)} ms, min ${times[0]!.toFixed(2)}, max ${times[4]!.toFixed(2)} (wall, loaded machine)`);
  // The same in-process, without HTTP: wall and this process's CPU time for reset() alone.
  const inProc: [number, number][] = [];
  for (let i = 0; i < 5; i++) {
    await refill(mock, agent, label);
    gc!();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    mock.control.reset();
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(c0);
    inProc.push([wall, (cpu.user + cpu.system) / 1000]);
  }
  inProc.sort((a, b) => a[0] - b[0]);
  console.log(`reset (${label}) in process: median ${inProc[2]![0].toFixed(2)} ms wall, ${inProc[2]![1].toFixed(2)} ms CPU; min ${inProc[0]![0].toFixed(2)}, max ${inProc[4]![0].toFixed(2)}`);
}

async function refill(mock: Mock, agent: http.Agent, label: string): Promise<void> {
  await registerAll(agent, mock.port, 'r', 1000, 32);
  if (label.includes('running')) await settled(mock, 1000);
}

async function main(): Promise<void> {
  const n = Number(values.jobs);
  const nodes = Number(values.nodes);
  const conns = Number(values.connections);
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  if (values.reset) {
    // Store only (no simulator: jobs, versions, summaries, pending evals), then with allocs running.
    const bare = await createMockNomad({ simulate: false, logLevel: 'silent' });
    await refill(bare, agent, 'store only');
    await timeResets(bare, agent, '1,000 jobs, store only');
    await bare.close();
    const sim = await createMockNomad({ nodes, nodeCpu: 10_000_000, nodeMemory: 10_000_000, timeScale: 1000, logLevel: 'silent' });
    await refill(sim, agent, 'running');
    const buf = eventBuffer(sim.server.store) as unknown as { batches: unknown[] };
    console.log(`event buffer holds ${buf.batches.length} batches; journal ${sim.control.journal.length} entries`);
    await timeResets(sim, agent, '1,000 jobs × 1 running alloc, evals, deployments, full event buffer');
    await sim.close();
    agent.destroy();
    return;
  }
  // --bare: the store-only figure (no simulator: jobs, versions, summaries and pending evals).
  const mock = values.bare
    ? await createMockNomad({ simulate: false, logLevel: 'silent' })
    : await createMockNomad({ nodes, nodeCpu: 10_000_000, nodeMemory: 10_000_000, timeScale: 1000, logLevel: 'silent' });
  const idleHeap = heapAfterGc();
  const idleRss = process.memoryUsage().rss;
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  await registerAll(agent, mock.port, 'mem', n, conns);
  if (!values.bare) await settled(mock, n);
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  await new Promise((r) => setTimeout(r, 500));
  const heap = heapAfterGc();
  const rss = process.memoryUsage().rss;
  console.log(`${n} jobs${values.bare ? ', store only,' : ` × 1 running alloc on ${nodes} nodes,`} settled in ${((Date.now() - t0) / 1000).toFixed(1)} s wall (loaded machine), CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
  console.log(`heapUsed ${mb(heap)} (idle ${mb(idleHeap)}): ${((heap - idleHeap) / n).toFixed(0)} B per job+alloc; RSS ${mb(rss)} (idle ${mb(idleRss)}): ${((rss - idleRss) / n).toFixed(0)} B per job+alloc`);
  if (values.snapshot) {
    v8.writeHeapSnapshot(values.snapshot);
    console.log(`heap snapshot: ${values.snapshot}`);
  }
  if (values.breakdown) breakdown(mock, n);
  await mock.close();
}

await main();
