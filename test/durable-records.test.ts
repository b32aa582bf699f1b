// The log's record format (src/persist/refs.ts): a row that holds an object the same file already
// wrote (a version list its job, an alloc its job) refers to it, and an update of a row the file
// already holds writes only the fields that changed. Replaying what was written must give back
// exactly the state that wrote it, with the simulator's allocations, updates, deletions, a log
// that moves to a new file and a checkpoint on the way; a log of the previous format still loads,
// and one of a newer format stops start-up with a message.
import t, { type Test } from 'tap';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type NomadMock } from '../src/server.js';
import type { Config } from '../src/config.js';
import { frame, readFrames } from '../src/persist/frame.js';
import { RefReader, RefWriter, type Change } from '../src/persist/refs.js';
import { apply, emptyImage, type LogRecord } from '../src/persist/image.js';
import { prng } from './fuzz/json.js';

t.setTimeout(240_000);

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-rec-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function server(t: Test, dir: string, simulate: boolean, config: Partial<Config> = {}): Promise<NomadMock> {
  const m = createServer({ logLevel: 'silent', clock: 'manual', dataDir: dir, ...config }, undefined, { simulate });
  await m.init();
  await m.app.ready();
  t.teardown(() => m.app.close());
  return m;
}

const jobBody = (id: string, count: number, meta: Record<string, string> = {}): unknown => ({
  Job: { ID: id, Datacenters: ['dc1'], Meta: meta, TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' }, Resources: { CPU: 20, MemoryMB: 16 } }] }] },
});

async function ok(m: NomadMock, method: 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<void> {
  const r = await m.app.inject({ method, url, ...(payload === undefined ? {} : { payload: payload as object }) });
  if (r.statusCode !== 200) throw new Error(`${method} ${url}: ${r.statusCode} ${r.body}`);
}

/** Every change of every record of the data dir's logs. */
function logChanges(dir: string): unknown[][] {
  const out: unknown[][] = [];
  for (const f of readdirSync(dir).filter((f) => /^wal-\d+\.log$/.test(f)).sort()) {
    for (const r of readFrames(readFileSync(join(dir, f))).records) out.push(...(((r as LogRecord).c ?? []) as unknown[][]));
  }
  return out;
}

t.test('with the simulator placing and updating allocations, a restart loads exactly the state that wrote the log', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir, true);
  const writes = async (round: number): Promise<void> => {
    for (let i = 0; i < 6; i++) await ok(first, 'PUT', '/v1/jobs', jobBody(`j${round}-${i}`, 2));
    await first.control.advance(30_000); // allocs run, deployments finish: updates of rows already logged
    await ok(first, 'PUT', '/v1/jobs', jobBody(`j${round}-0`, 3, { v: '2' })); // a second version
    await ok(first, 'DELETE', `/v1/job/j${round}-1`); // stopped: its allocs stop
    await ok(first, 'DELETE', `/v1/job/j${round}-2?purge=true`); // its rows are deleted
    await first.control.advance(30_000);
    await ok(first, 'PUT', '/v1/jobs', jobBody(`j${round}-2`, 1)); // the same key again, after its deletion
    await first.control.advance(10_000);
  };
  await writes(0);
  // The log moves to a new file (whose records cannot refer to the old one) and a checkpoint
  // copies the state while writes go on.
  const ckpt = first.persistence!.checkpoint();
  await writes(1);
  await ckpt;
  await writes(2);
  await first.persistence!.whenDurable(first.store.index);
  t.ok(first.store.allocs.size > 0, 'the simulator placed allocations');

  const changes = logChanges(dir);
  t.ok(changes.some((c) => c.length === 5), 'some changes are updates written as their changed fields');
  t.ok(changes.some((c) => c.length >= 4 && (c[3] as unknown[]).some((x, i) => i % 2 === 1 && (x as number) < 0)), 'some changes refer to objects written before');
  t.ok(changes.some((c) => c[0] === 'allocs' && c.length >= 4 && (c[3] as unknown[]).includes('Job')), "an alloc's job is written as a reference");
  const refersTo = (c: unknown[], field: string): boolean => c.length >= 4 && (c[3] as unknown[]).some((x, i, slots) => i % 2 === 0 && x === field && (slots[i + 1] as number) < 0);
  t.ok(
    changes.some((c) => c[0] === 'jobs' && refersTo(c, 'TaskGroups')),
    "a job's task groups (an array the store shares, frozen, between jobs of one spec) are written as a reference",
  );

  const snap = JSON.stringify(first.control.snapshot());
  const second = await server(t, dir, false);
  t.equal(JSON.stringify(second.control.snapshot()), snap, 'a restart loads the same state');
});

t.test('a reset and a restore (whole-state records) in the middle of a file replay to the same state', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir, true);
  for (let i = 0; i < 4; i++) await ok(first, 'PUT', '/v1/jobs', jobBody(`a${i}`, 2));
  await first.control.advance(30_000);
  const saved = first.control.snapshot();
  await ok(first, 'POST', '/_mock/reset');
  for (let i = 0; i < 3; i++) await ok(first, 'PUT', '/v1/jobs', jobBody(`b${i}`, 1));
  first.control.restore(saved);
  await first.control.advance(10_000);
  await ok(first, 'PUT', '/v1/jobs', jobBody('a0', 1, { again: 'yes' }));
  await first.control.advance(10_000);
  await first.persistence!.whenDurable(first.store.index);
  const snap = JSON.stringify(first.control.snapshot());
  const second = await server(t, dir, false);
  t.equal(JSON.stringify(second.control.snapshot()), snap, 'a restart loads the same state');
});

t.test('random rows sharing objects, updated, reordered and deleted, replay to what was written', async (t) => {
  const rnd = prng(12);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const wideObj = (n: number): Record<string, unknown> => Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`F${i}`, i === 0 ? n : { n, i }]));
  const pool: object[] = Array.from({ length: 8 }, (_, i) => wideObj(i));
  // Frozen parts, as the store's share pools hand out: small objects and arrays, numbered whatever their width.
  const frozen: object[] = Array.from({ length: 4 }, (_, i) => Object.freeze(i % 2 ? [i, Object.freeze({ i })] : { small: i }));
  let frozenRefs = 0;
  const rows = new Map<string, unknown>();
  const writer = new RefWriter();
  const reader = new RefReader();
  let img = emptyImage();
  let updates = 0;
  let refs = 0;
  for (let step = 0; step < 400; step++) {
    const c: Change[] = [];
    for (let n = 0; n < 5; n++) {
      const key = `k${Math.floor(rnd() * 12)}`;
      const old = rows.get(key) as Record<string, unknown> | undefined;
      const r = rnd();
      let v: unknown;
      if (r < 0.1) {
        rows.delete(key);
        writer.deleted('jobs', key);
        c.push(['jobs', key]);
        continue;
      } else if (r < 0.2) v = [pick(pool), { x: step }, pick(pool), 'text', null];
      else if (r < 0.3) v = pick(pool);
      else if (r < 0.8 && old && !Array.isArray(old) && typeof old === 'object') {
        const next: Record<string, unknown> = { ...old, Status: `s${step}` };
        if (rnd() < 0.3) next.Job = pick(pool);
        if (rnd() < 0.2) delete next.ID;
        if (rnd() < 0.2) next[`New${step}`] = step;
        if (rnd() < 0.1) next.Gone = undefined;
        v = rnd() < 0.1 ? Object.fromEntries(Object.entries(next).reverse()) : next;
      } else v = { ID: key, Status: 'new', Job: pick(pool), Count: step, Meta: { a: step }, Parts: pick(frozen) };
      rows.set(key, v);
      c.push(writer.change('jobs', key, v));
    }
    for (const ch of c) {
      if (ch.length === 5) updates++;
      if (ch.length >= 4 && (ch[3] as unknown[]).some((x, i) => i % 2 === 1 && (x as number) < 0)) refs++;
      if (ch.length >= 4 && (ch[3] as unknown[]).some((x, i, slots) => x === 'Parts' && i % 2 === 0 && (slots[i + 1] as number) < 0)) frozenRefs++;
    }
    // Through the file's bytes: what a replay reads.
    const rec = readFrames(frame({ i: step + 1, c })).records[0];
    img = apply(img, rec, reader);
    const want = JSON.stringify([...rows].map(([k, v]) => [k, v]).sort());
    const got = JSON.stringify([...img.tables.get('jobs')!].sort());
    if (got !== want) {
      t.fail(`step ${step}: the replayed rows differ`, { got: got.slice(0, 400), want: want.slice(0, 400) });
      return;
    }
  }
  t.ok(updates > 50, `updates were written as changed fields (${updates})`);
  t.ok(refs > 50, `rows referred to objects written before (${refs})`);
  t.ok(frozenRefs > 20, `rows referred to frozen parts written before, arrays among them (${frozenRefs})`);
  t.pass('every step replayed to what was written');
});

t.test('a log of the previous format (rows whole) still loads; a newer format stops start-up naming the file', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir, false);
  await ok(first, 'PUT', '/v1/jobs', jobBody('web', 1));
  await first.persistence!.whenDurable(first.store.index);
  const snap = first.control.snapshot();
  await first.app.close();
  // What the previous version wrote: one whole-state record, every row whole, no format field.
  rmSync(dir, { recursive: true, force: true });
  const old = createServer({ logLevel: 'silent', clock: 'manual' }, undefined, { simulate: false });
  await old.init();
  old.control.restore(snap);
  const rows: unknown[] = [];
  for (const table of ['namespaces', 'nodePools', 'nodes', 'jobs', 'versions', 'summaries', 'evals'] as const) {
    for (const [k, v] of old.store[table] as Map<string, unknown>) rows.push([table, k, v]);
  }
  const legacy = frame({ full: true, i: old.store.index, ti: Object.fromEntries(old.store.tableIndexEntries()), c: rows, p: {} });
  const dir2 = tempDir(t);
  writeFileSync(join(dir2, 'wal-00000001.log'), legacy);
  const second = await server(t, dir2, false);
  t.equal(second.store.jobs.get('default\u0000web')?.ID, 'web', 'the job of the old log is back');
  t.equal(second.store.versions.get('default\u0000web')?.length, 1, 'with its version');
  await old.app.close();

  const dir3 = tempDir(t);
  writeFileSync(join(dir3, 'wal-00000001.log'), frame({ v: 99, full: true, i: 1, c: [] }));
  const third = createServer({ logLevel: 'silent', clock: 'manual', dataDir: dir3 }, undefined, { simulate: false });
  await t.rejects(third.init(), /wal-00000001\.log is corrupt: it is in record format 99, which this version does not read .*newer nomad-mock/, 'a clear error, not a crash');
  await third.app.close();
});
