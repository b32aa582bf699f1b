// `npm run churn [-- --seconds 30 --workers 16 --seed N]`: concurrent register/stop/purge/revert/
// scale/dispatch on the same few jobs with the simulator on its scaled clock, then the invariants.
import { explain } from '../test/fuzz/runner.js';
import { histogramText } from '../test/fuzz/runner.js';
import { runChurn } from '../test/fuzz/churn.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}
const seconds = arg('seconds', 30);
const workers = arg('workers', 16);
const seed = arg('seed', 1);
console.log(`churn: ${seconds} s, ${workers} concurrent clients, seed ${seed}`);
const r = await runChurn({ seconds, workers, seed });
console.log(`${r.requests} requests (${(r.requests / seconds).toFixed(0)}/s); at the end ${r.jobs} jobs, ${r.allocs} allocations`);
console.log(`status histogram: ${histogramText(r.histogram)}`);
for (const [op, h] of Object.entries(r.operations)) console.log(`  ${op}: ${histogramText(h)}`);
console.log(`invariants: ${r.invariantProblems.length === 0 ? 'all hold' : `${r.invariantProblems.length} broken`}`);
for (const p of r.invariantProblems) console.log(`  ${p}`);
console.log(`${r.failures.length} unexplained failures`);
for (const f of r.failures.slice(0, 50)) console.log(explain(f, seed));
process.exit(r.failures.length + r.invariantProblems.length > 0 ? 1 : 0);
