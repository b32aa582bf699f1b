// The seeded, bounded fuzz run CI does (issue 10): generated requests over every route, `/_mock/*`
// included, plain and in ACL mode; the oracle judges every answer and the store invariants are
// checked along the way and at the end. A failure prints the seed, the request and the answer;
// `npm run fuzz -- --requests 100000 --seed N` runs long ones. FUZZ_SEED picks another seed.
import t from 'tap';
import { explain, histogramText, runFuzz } from './fuzz/runner.js';

const seed = Number(process.env.FUZZ_SEED ?? 20_251_205);
// The machine is shared: the bound is generous and the run stops early rather than time out.
t.setTimeout(170_000);

for (const [label, requests, acl] of [
  ['plain', 3_800, false],
  ['ACL mode', 1_200, true],
] as const) {
  t.test(`fuzz (${label}): every answer is Nomad-shaped and the store invariants hold`, async (t) => {
    const r = await runFuzz({ seed, requests, acl, checkEvery: 1_000, timeLimitMs: 75_000 });
    t.comment(`${r.sent} requests in ${(r.elapsedMs / 1000).toFixed(1)} s, seed ${seed}${r.stoppedEarly ? ' (time limit reached)' : ''}`);
    t.comment(`statuses: ${histogramText(r.histogram)}`);
    t.ok(r.sent > 500, 'the run got through its requests');
    t.ok(Object.keys(r.histogram).some((s) => s === '200'), 'some requests succeed');
    for (const f of r.failures.slice(0, 20)) t.fail(explain(f, seed));
    t.equal(r.failures.length, 0, 'no unexplained failures');
  });
}
