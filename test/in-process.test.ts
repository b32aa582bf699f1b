// The package's in-process API (issue 5, "Ways to run it → In-process"): `createMockNomad` starts a
// real server on a free port that any HTTP client can use, with `control` for the test's handles;
// several instances run side by side. And the package's bin: `nomad-mock --help` lists every flag.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMockNomad, type MockNomad } from '../src/index.js';
import { FLAGS } from '../src/config.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));

const job = (id: string, type = 'service'): object => ({
  Job: { ID: id, Type: type, TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }] },
});

async function fetchJson(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: any }> {
  const r = await fetch(url, init);
  const text = await r.text();
  return { status: r.status, headers: r.headers, body: text === '' ? undefined : JSON.parse(text) };
}

t.test('two instances on port 0 run at once with their own URLs and state, driven over fetch and control', async (t) => {
  const a = await createMockNomad({ clock: 'manual' });
  const b = await createMockNomad({ clock: 'manual' });
  let closed = false;
  t.teardown(async () => {
    if (!closed) await Promise.all([a.close(), b.close()]);
  });

  t.match(a.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'url is http://127.0.0.1:<port>');
  t.not(a.url, b.url, 'different URLs');
  t.not(a.port, b.port);
  t.ok(a.port > 0 && b.port > 0, 'real ports were picked');
  t.equal(a.url, `http://127.0.0.1:${a.port}`);

  for (const m of [a, b]) {
    const r = await fetchJson(`${m.url}/v1/jobs`);
    t.equal(r.status, 200);
    t.same(r.body, []);
    t.ok(r.headers.get('x-nomad-index'), 'Nomad headers over a real socket');
    t.match(r.headers.get('content-type'), /^application\/json/);
  }

  // Register on a only.
  const reg = await fetchJson(`${a.url}/v1/jobs`, { method: 'PUT', body: JSON.stringify(job('web')) });
  t.equal(reg.status, 200);
  t.ok(reg.body.EvalID, 'register answers an EvalID');
  const snapA = a.control.snapshot();
  t.same(snapA.Jobs.map((j) => j.ID), ['web'], 'control.snapshot() sees the job registered over HTTP');
  t.same(b.control.snapshot().Jobs, [], 'the other instance is independent');
  t.same((await fetchJson(`${b.url}/v1/jobs`)).body, []);

  // The manual clock moves only through control.advance.
  const before = a.control.clockState();
  t.equal(before.Mode, 'manual');
  await a.control.advance(0);
  const pending = (await fetchJson(`${a.url}/v1/job/web/allocations`)).body;
  t.equal(pending.length, 1, 'placed');
  t.equal(pending[0].ClientStatus, 'pending', 'not started while the clock stands still');
  const after = await a.control.advance(30_000);
  t.equal(after.NowNs, before.NowNs + 30_000 * 1e6, 'advance answers the new clock state');
  const running = (await fetchJson(`${a.url}/v1/job/web/allocations`)).body;
  t.equal(running[0].ClientStatus, 'running', 'running after control.advance');
  t.same((await fetchJson(`${a.url}/_mock/clock`)).body.NowNs, after.NowNs, 'the control API over HTTP agrees');

  // The journal and faults are reachable in-process too.
  t.ok(a.control.journal.list({ path: '/v1/jobs' }).length >= 2, 'the journal recorded the fetches');
  a.control.faults.add({ Path: '/v1/jobs', Status: 503, Body: 'nope' });
  const faulted = await fetch(`${a.url}/v1/jobs`);
  t.equal(faulted.status, 503);
  t.equal(await faulted.text(), 'nope');
  t.equal((await fetch(`${b.url}/v1/jobs`)).status, 200, 'faults are per instance');

  await Promise.all([a.close(), b.close()]);
  closed = true;
  await t.rejects(fetch(`${a.url}/v1/jobs`), 'closed: nothing listens any more');
  await t.rejects(fetch(`${b.url}/v1/jobs`));
});

t.test('createMockNomad runs init(): scenario seeding, and errors reject', async (t) => {
  const m: MockNomad = await createMockNomad({ clock: 'manual', scenario: 'busy', seed: 'in-process' });
  t.teardown(() => m.close());
  const jobs = (await fetchJson(`${m.url}/v1/jobs?namespace=*`)).body as { ID: string; Namespace: string }[];
  t.ok(jobs.some((j) => j.Namespace === 'web' && j.ID === 'web'), 'the busy scenario was loaded');
  t.equal(m.server.store.index, (await fetchJson(`${m.url}/_mock/ready`)).body.Index, 'server exposes the store');
  await t.rejects(createMockNomad({ scenario: 'no-such-scenario' }), { message: /unknown scenario/ });
});

t.test('node dist/src/cli.js --help lists every flag and its env var', async (t) => {
  const cli = join(here, '..', 'src', 'cli.js');
  const { stdout, stderr } = await run(process.execPath, [cli, '--help']);
  t.equal(stderr, '');
  t.match(stdout, /^Usage: nomad-mock \[flags\]/);
  for (const f of FLAGS) {
    t.ok(stdout.includes(f.flag), `lists ${f.flag}`);
    t.ok(stdout.includes(f.env), `lists ${f.env}`);
  }
  t.ok(stdout.includes('--help'));
  const bad = await run(process.execPath, [cli, '--no-such-flag']).then(
    () => null,
    (err: { code: number; stderr: string }) => err,
  );
  t.equal(bad?.code, 2, 'an unknown flag exits 2');
  t.match(bad?.stderr, /unknown flag --no-such-flag/);
});
