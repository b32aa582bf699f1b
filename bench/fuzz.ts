// Long fuzz runs: `npm run fuzz -- --requests 100000 [--seed N] [--acl] [--scaled] [--no-sim] [--url URL]`.
// Prints the status histogram, failures of open findings by number, and every other failure with
// the request that caused it. Exits 1 when there is any failure not explained by an open finding.
import { explain, histogramText, runFuzz } from '../test/fuzz/runner.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const requests = Number(arg('requests') ?? 10_000);
const seed = Number(arg('seed') ?? Date.now() % 1_000_000);
const acl = flag('acl');
const url = arg('url');
const started = Date.now();
let last = 0;

console.log(`fuzz: ${requests} requests, seed ${seed}${acl ? ', ACL mode' : ''}${url ? `, against ${url}` : ', in-process server on a socket'}`);
const result = await runFuzz({
  seed,
  requests,
  acl,
  url,
  simulate: !flag('no-sim'),
  clock: flag('scaled') ? 'scaled' : 'manual',
  checkEvery: Number(arg('check-every') ?? 2_000),
  progress: (sent, h) => {
    if (Date.now() - last < 10_000) return;
    last = Date.now();
    console.log(`  ${sent} requests, ${((Date.now() - started) / 1000).toFixed(0)} s — ${histogramText(h)}`);
  },
});

console.log(`\n${result.sent} requests in ${(result.elapsedMs / 1000).toFixed(1)} s (seed ${seed})${result.stoppedEarly ? ' — stopped early' : ''}`);
console.log(`status histogram: ${histogramText(result.histogram)}`);
console.log(`\n${result.failures.length} unexplained failures`);
for (const f of result.failures.slice(0, 200)) console.log(`\n${explain(f, seed)}`);
process.exit(result.failures.length > 0 ? 1 : 0);
