// Lifecycle probe (issue 16, registers/s): what the simulated lifecycle after each register costs,
// in counts that do not depend on the machine's load. In process, on the manual clock, 50 nodes:
// registers the register-rate group's job (`smallJob`, 1 alloc) N times, moving simulated time
// 100 ms after every 3 (the default clock's ×100 at about 3,000 registers/s), then 30 s more so every
// deployment finishes. Prints per register: store writes, events by topic and type, clock timers by
// source, records stored by table (each a copy of the record it replaces), and the main thread's CPU
// time in all and inside the clock's advances (the lifecycle: client runners and updates, watcher,
// the scheduler's passes over the watcher's evals). Not part of `npm run bench`:
//
//   node dist/bench/lifecycle-probe.js [N=3000]     (add node's --cpu-prof to see where the time goes)
//
// The counts are exact for a given build; the CPU figures are noise on a shared machine.
import { readFileSync } from 'node:fs';
import { createServer } from '../src/server.js';
import { smallJob } from './jobs.js';

const N = Number(process.argv[2] ?? 3000);
const PER_STEP = 3;
const STEP_MS = 100;

/** CPU ms of this process's main thread (schedstat: ns on the CPU; GC helper threads not counted). */
const mainCpuMs = (): number => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;

const mock = createServer({ logLevel: 'silent', clock: 'manual', nodes: 50, nodeCpu: 1_000_000, nodeMemory: 1_000_000, seed: 'lifecycle-probe' }, undefined, { simulate: true });
await mock.app.ready();
const { store, clock } = mock;

let counting = false;
const counts = new Map<string, number>();
const count = (k: string, n = 1): void => {
  if (counting) counts.set(k, (counts.get(k) ?? 0) + n);
};
store.subscribe((_index, events) => {
  for (const e of events) count(`event ${e.Topic} ${e.Type}`);
});
store.onCommit(() => count('write'));
const after = clock.after.bind(clock);
clock.after = (ms, fn, source) => {
  count(`timer ${source ?? 'clock timer'}`);
  return after(ms, fn, source);
};
for (const [name, table] of Object.entries({ allocs: store.allocs, deployments: store.deployments, summaries: store.summaries, jobs: store.jobs, versions: store.versions, evals: store.evals, nodes: store.nodes })) {
  const set = table.set.bind(table) as (k: string, v: never) => typeof table;
  (table as { set: unknown }).set = (k: string, v: never) => {
    count(`stored ${name}`);
    return set(k, v);
  };
}

let lifecycleMs = 0;
async function advance(ms: number): Promise<void> {
  const c = mainCpuMs();
  await clock.advance(ms);
  lifecycleMs += mainCpuMs() - c;
}

async function run(from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    const r = await mock.app.inject({ method: 'PUT', url: '/v1/jobs', payload: smallJob(`job-${i}`) });
    if (r.statusCode !== 200) throw new Error(`register: ${r.statusCode} ${r.body}`);
    if ((i + 1) % PER_STEP === 0) await advance(STEP_MS);
  }
  for (let i = 0; i < 300; i++) await advance(100);
}

await clock.advance(1000);
await run(0, 1000); // warm-up for the JIT, not counted
counting = true;
lifecycleMs = 0;
const c0 = mainCpuMs();
await run(1000, N);
const allMs = mainCpuMs() - c0;
counting = false;
const notDone = [...store.deployments.values()].filter((d) => d.Status !== 'successful').length;
const per = (n: number): string => (n / N).toFixed(2);
console.log(`${N} registers, 50 nodes, ${PER_STEP} per ${STEP_MS} ms of simulated time; deployments not successful: ${notDone}`);
console.log(`main-thread CPU per register: ${((allMs * 1000) / N).toFixed(0)} µs in all, ${((lifecycleMs * 1000) / N).toFixed(0)} µs inside the clock's advances (loaded-machine figures)`);
for (const [k, v] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) console.log(`  ${k.padEnd(48)} ${per(v)}`);
const total = (prefix: string): number => [...counts].filter(([k]) => k.startsWith(prefix)).reduce((s, [, v]) => s + v, 0);
console.log(`  per register: ${per(total('write'))} writes, ${per(total('event '))} events, ${per(total('timer '))} timers, ${per(total('stored '))} records stored`);
await mock.app.close();
