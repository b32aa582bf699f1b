// `npm run bench`: every figure of issue 16 (and the simulator and persistence figures) with its
// baseline from the same run and its target, then one table. Nothing here is asserted in tests:
// shared machines are noisy. See bench/README.md for how to read the figures.
//   npm run bench                     all figures (about 10 minutes on a quiet 2-core machine)
//   npm run bench -- --quick          a subset with fewer rounds and smaller sizes (about a minute)
//   npm run bench -- --only a,b       only these groups (names below); --list prints them
//   npm run bench -- --scale 0.1      the big sizes (100,000 jobs, 10,000 readers…) times 0.1
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { binPath, ROOT } from './http.js';
import { printTable, type Context, type Figure, type Group } from './report.js';
import { startup } from './startup.js';
import { throughput } from './throughput.js';
import { registerRate } from './register-rate.js';
import { fanout } from './fanout.js';
import { storeScale, allocScale } from './scale.js';
import { reset } from './reset.js';
import { embed } from './embed.js';
import { events } from './events.js';
import { simulator } from './sim.js';
import { durable } from './durable.js';

const GROUPS: Group[] = [startup, throughput, registerRate, fanout, storeScale, allocScale, reset, embed, events, simulator, durable];

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, scale: { type: 'string', default: '1' }, list: { type: 'boolean', default: false } },
  });
  if (values.list) {
    for (const g of GROUPS) console.log(`${g.name}${g.quick ? ' (quick)' : ''}`);
    return;
  }
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((n) => !GROUPS.some((g) => g.name === n)) ?? [];
  if (unknown.length) throw new Error(`unknown group ${unknown.join(', ')}; groups: ${GROUPS.map((g) => g.name).join(', ')}`);
  const groups = GROUPS.filter((g) => (only ? only.includes(g.name) : !values.quick || g.quick));
  // Below Linux's ephemeral range (32768+), so no client socket of the load itself holds a server port.
  let next = 20000 + Math.floor(Math.random() * 8000);
  const ctx: Context = { quick: values.quick, scale: Number(values.scale), port: () => next++ };
  if (!(ctx.scale > 0)) throw new Error(`--scale must be a positive number, not ${values.scale}`);
  const bin = binPath();
  if (!existsSync(bin)) throw new Error(`the package's bin ${bin} does not exist: build it first (npm run build)`);
  const compiled = join(ROOT, 'dist', 'src', 'server.js');
  // A bin built by another step (a bundle) may lag behind a fresh tsc: the bench would time old code.
  if (bin !== join(ROOT, 'dist', 'src', 'cli.js') && existsSync(compiled) && statSync(bin).mtimeMs < statSync(compiled).mtimeMs) {
    console.log(`WARNING: ${bin} is older than dist/src/server.js: rebuild it, or these figures are of older code\n`);
  }
  console.log(`nomad-mock benchmark${ctx.quick ? ' (--quick: fewer rounds, smaller sizes; only a full run counts)' : ''}${ctx.scale !== 1 ? `, sizes ×${ctx.scale}` : ''}`);
  console.log(`server: node ${binPath()} (the package's bin); node ${process.version}; ${new Date().toISOString()}\n`);
  const rows: Figure[] = [];
  const t0 = performance.now();
  for (const g of groups) {
    const tg = performance.now();
    console.log(`[${g.name}]`);
    try {
      const figures = await g.run(ctx);
      rows.push(...figures);
      for (const f of figures) console.log(`  ${f.figure.trim()}: ${f.value}${f.baseline ? ` | baseline ${f.baseline}` : ''}${f.target ? ` | target ${f.target} ${f.ok ? 'ok' : 'MISSED'}` : ''}`);
    } catch (err) {
      // One broken group must not cost the others' figures.
      console.log(`  FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      rows.push({ figure: `${g.name}: failed (see above)`, value: '', baseline: '', target: '', ok: false });
    }
    console.log(`  (${((performance.now() - tg) / 1000).toFixed(0)} s)\n`);
  }
  console.log(`all figures (${((performance.now() - t0) / 1000).toFixed(0)} s in all):\n`);
  printTable(rows);
  const missed = rows.filter((r) => r.ok === false).length;
  console.log(`\n${missed === 0 ? 'every target met' : `${missed} MISSED`}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
