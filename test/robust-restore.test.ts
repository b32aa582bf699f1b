// Issue 10, findings 8 and 9: restore documents are checked against the snapshot schema and the
// rules between records before anything is replaced; a restore never moves the index back and
// answers every held blocking query; a data dir whose state file cannot be read stops start-up.
import t, { type Test } from 'tap';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clientFor, minimalJob, simClient, index, type Client, type Res } from './helpers.js';
import { createServer } from '../src/server.js';
import { createMockNomad } from '../src/index.js';
import { validateSnapshot } from '../state/snapshot/snapshot.js';
import { eventBuffer } from '../state/events/buffer.js';
import type { Config } from '../src/config.js';
import type { Obj } from '../state/types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const serviceJob = (id: string, count = 1, overrides: Obj = {}): Obj =>
  minimalJob(id, { TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }], ...overrides });

const batchJob = (id: string): Obj =>
  minimalJob(id, { Type: 'batch', TaskGroups: [{ Name: 'work', Count: 1, Tasks: [{ Name: 'run', Driver: 'docker', Config: { image: 'busybox' } }] }] });

const JS_TEXT = /Cannot read|undefined|is not a function|is not iterable|Unexpected token|TypeError|RangeError/;

async function started(config: Partial<Config> = {}): Promise<Client> {
  const mock = createServer({ logLevel: 'silent', clock: 'manual', ...config }, undefined, { simulate: true });
  await mock.init();
  await mock.app.ready();
  return clientFor(mock);
}

/** A cluster with a running service job and a finished batch job, and its snapshot. */
async function cluster(t: Test): Promise<{ c: Client; snap: Obj }> {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob('web', 2));
  await c.register(batchJob('report'));
  await c.advance(60_000);
  return { c, snap: (await c.get('/_mock/snapshot')).json };
}

const copy = (o: Obj): Obj => JSON.parse(JSON.stringify(o));

/** A race against a generous wall-clock limit: the point is that the call returns at all. */
function within<T>(p: Promise<T>, ms = 10_000): Promise<T | 'still waiting'> {
  return Promise.race([p, new Promise<'still waiting'>((res) => setTimeout(() => res('still waiting'), ms).unref())]);
}

async function parked(c: Client, n: number): Promise<void> {
  for (let i = 0; i < 500 && c.mock.store.watch.waiting() < n; i++) await new Promise((r) => setTimeout(r, 10));
}

// ---------------------------------------------------------------------------------------------
// Finding 8: what a restore accepts
// ---------------------------------------------------------------------------------------------

t.test('each document that breaks an invariant is refused with 400 naming the path; state and index stay', async (t) => {
  const { c, snap } = await cluster(t);
  const before = (await c.get('/_mock/snapshot')).body;
  const jobsBefore = await c.get('/v1/jobs');
  const webAt = (snap.Jobs as Obj[]).findIndex((j) => j.ID === 'web');
  const allocAt = 0;

  const cases: [string, (d: Obj) => void, RegExp][] = [
    ['Index 1e300', (d) => (d.Index = 1e300), /^Index: expected an integer from 0 to 9007199254740991$/],
    ['Index 2^53', (d) => (d.Index = 2 ** 53), /^Index: expected an integer from 0 to 9007199254740991$/],
    ['Index 2^53-1 (no room left for writes)', (d) => (d.Index = Number.MAX_SAFE_INTEGER), /^Index: 9007199254740991 leaves no room/],
    ['a fractional index', (d) => (d.TableIndexes.jobs = 1.5), /^TableIndexes\.jobs: expected integer$/],
    ['a table index above Index', (d) => (d.TableIndexes.jobs = d.Index + 1), /^TableIndexes\.jobs: \d+ is above the snapshot's Index/],
    ['a record index above Index', (d) => (d.Jobs[webAt].ModifyIndex = d.Index + 5), new RegExp(`^Jobs\\[${webAt}\\]\\.ModifyIndex: \\d+ is above`)],
    ['a job with only ID and Namespace', (d) => d.Jobs.push({ ID: 'bare', Namespace: 'default' }), /^Jobs\[2\]\.Name: missing \(expected string\)$/],
    ['TaskGroups not an array', (d) => (d.Jobs[webAt].TaskGroups = 'x'), new RegExp(`^Jobs\\[${webAt}\\]\\.TaskGroups: expected array$`)],
    ['a null task', (d) => d.Jobs[webAt].TaskGroups[0].Tasks.push(null), new RegExp(`^Jobs\\[${webAt}\\]\\.TaskGroups\\[0\\]\\.Tasks\\[1\\]: expected object$`)],
    ['an unknown job type', (d) => (d.Jobs[webAt].Type = 'cron'), /Type: expected one of "service", "batch", "system", "sysbatch"$/],
    ['an alloc with Job: null', (d) => (d.Allocations[allocAt].Job = null), /^Allocations\[0\]\.Job: expected object$/],
    ['an alloc of an unknown job', (d) => (d.Allocations[allocAt].JobID = 'ghost'), /^Allocations\[0\]\.JobID: no job "ghost" in namespace "default"$/],
    ['an alloc of an unknown group', (d) => (d.Allocations[allocAt].TaskGroup = 'nope'), /^Allocations\[0\]\.TaskGroup: no group "nope"/],
    ['a duplicate alloc ID', (d) => d.Allocations.push(copy(d.Allocations[0])), /^Allocations\[\d+\]: duplicate ID \(same as Allocations\[0\]\)$/],
    ['a duplicate job', (d) => d.Jobs.push(copy(d.Jobs[webAt])), /^Jobs\[2\]: duplicate job \(Namespace, ID\)/],
    ['a version of an unknown job', (d) => (d.Versions[0].ID = 'ghost'), /^Versions\[0\]\.ID: no job "ghost"/],
    ['a deployment of an unknown job', (d) => (d.Deployments[0].JobID = 'ghost'), /^Deployments\[0\]\.JobID: no job "ghost"/],
    ['a job in an unknown namespace', (d) => (d.Jobs[webAt].Namespace = 'nowhere'), new RegExp(`^Jobs\\[${webAt}\\]\\.Namespace: no namespace "nowhere"$`)],
    ['a job whose Version is not its newest version', (d) => (d.Jobs[webAt].Version = 7), new RegExp(`^Jobs\\[${webAt}\\]\\.Version: 7 is not the newest`)],
    ['a scaling event record without events', (d) => d.ScalingEvents.push({ Namespace: 'default', JobID: 'web', Record: { ModifyIndex: 1 } }), /^ScalingEvents\[0\]\.Record\.ScalingEvents: missing/],
    ['no default namespace', (d) => (d.Namespaces = []), /^Namespaces: the "default" namespace is missing$/],
    ['a bad ACL part', (d) => (d.Parts = { acl: { ...d.Parts.acl, Tokens: [{ View: null, ExpiresNs: null }] } }), /^Parts\.acl\.Tokens\[0\]\.View: expected object$/],
  ];
  for (const [what, mutate, want] of cases) {
    const doc = copy(snap);
    mutate(doc);
    const r = await c.put('/_mock/restore', doc);
    t.equal(r.status, 400, `${what}: 400`);
    t.same(Object.keys(r.json ?? {}), ['Error'], `${what}: {"Error": …}`);
    t.match(r.json?.Error, want, `${what}: names the path`);
    t.notMatch(r.body, JS_TEXT, `${what}: no JavaScript text`);
  }
  const jobsAfter = await c.get('/v1/jobs');
  t.equal(jobsAfter.body, jobsBefore.body, 'the job list is unchanged');
  t.equal(index(jobsAfter), index(jobsBefore), 'and so is its index');
  t.equal((await c.get('/_mock/snapshot')).body, before, 'the whole state is unchanged');
});

t.test('an older snapshot does not move X-Nomad-Index backwards; writes carry on above it', async (t) => {
  const { c, snap } = await cluster(t);
  await c.register(serviceJob('api'));
  await c.del('/v1/job/web');
  await c.advance(30_000);
  const jobs = await c.get('/v1/jobs');
  const allocs = await c.get('/v1/allocations');
  const top = c.mock.store.index;
  t.ok(top > (snap.Index as number), 'the server has moved past the snapshot');

  const r = await c.put('/_mock/restore', snap);
  t.equal(r.status, 200);
  t.equal(r.json.Index, top + 1, 'the restore is one write past the current index');
  const jobs2 = await c.get('/v1/jobs');
  t.same(jobs2.json.map((j: Obj) => j.ID).sort(), ['report', 'web'], 'the snapshot is what is served');
  t.ok(index(jobs2) > index(jobs), `/v1/jobs index ${index(jobs2)} > ${index(jobs)}`);
  t.ok(index(await c.get('/v1/allocations')) > index(allocs), '/v1/allocations index moved forward too');
  const w = await c.register(serviceJob('later'));
  t.ok(w.json.JobModifyIndex > top + 1, 'a write after it gets a later index');

  // Into a server that is behind the snapshot, the snapshot's index wins (plus the restore write).
  const fresh = await simClient();
  t.teardown(fresh.close);
  const r2 = await fresh.put('/_mock/restore', snap);
  t.equal(r2.json.Index, (snap.Index as number) + 1);
});

t.test('a held blocking query is answered at the restore, even one on a record whose index the snapshot lowers', async (t) => {
  const { c, snap } = await cluster(t);
  await c.register(serviceJob('web', 3));
  await c.advance(30_000);
  const job = await c.get('/v1/job/web');
  const list = await c.get('/v1/jobs');
  const heldJob = c.get(`/v1/job/web?index=${index(job)}&wait=5m`);
  const heldList = c.get(`/v1/jobs?index=${index(list)}&wait=5m`);
  await parked(c, 2);
  t.equal(c.mock.store.watch.waiting(), 2, 'both readers are parked');

  t.equal((await c.put('/_mock/restore', snap)).status, 200);
  const [a, b] = await Promise.all([within(heldJob), within(heldList)]);
  t.not(a, 'still waiting', 'the job read answered');
  t.not(b, 'still waiting', 'the list read answered');
  t.equal((a as Res).json.TaskGroups[0].Count, 2, 'with the restored job');
  t.ok(index(b as Res) > index(list), 'the list answers with an index past the one it held');
  t.equal(c.mock.store.watch.waiting(), 0, 'nobody is left parked');
});

t.test('after a restore the event stream replays nothing of the state it replaced', async (t) => {
  const { c, snap } = await cluster(t);
  const buffer = eventBuffer(c.mock.store);
  t.ok(buffer.backlog(0).length > 0, 'events were buffered before');
  t.equal((await c.put('/_mock/restore', snap)).status, 200);
  t.same(buffer.backlog(0), [], 'the old events are gone');
  await c.register(serviceJob('after'));
  t.ok(buffer.backlog(0).every((b) => b.Index > (snap.Index as number)), 'only new writes are buffered');
});

t.test('a job without versions or a summary in the document gets them derived: listed means readable', async (t) => {
  const { c, snap } = await cluster(t);
  const doc = copy(snap);
  doc.Versions = [];
  doc.Summaries = (doc.Summaries as Obj[]).filter((s) => s.JobID !== 'web');
  t.equal((await c.put('/_mock/restore', doc)).status, 200);
  const summary = await c.get('/v1/job/web/summary');
  t.equal(summary.status, 200, 'summary');
  t.same(summary.json.Summary.web, { Queued: 0, Complete: 0, Failed: 0, Running: 2, Starting: 0, Lost: 0, Unknown: 0 }, 'recounted from the allocs');
  const versions = await c.get('/v1/job/web/versions');
  t.equal(versions.status, 200, 'versions');
  t.same(versions.json.Versions.map((v: Obj) => v.Version), [0], 'the job is its own version');
  for (const j of (await c.get('/v1/jobs')).json as Obj[]) t.equal((await c.get(`/v1/job/${j.ID}`)).status, 200, `${j.ID} is readable`);
});

t.test('an alloc with Job: null is refused with 400 (never 500), in a data dir too', async (t) => {
  const { c, snap } = await cluster(t);
  const doc = copy(snap);
  (doc.Allocations as Obj[])[1]!.Job = null;
  const r = await c.put('/_mock/restore', doc);
  t.equal(r.status, 400);
  t.equal(r.json.Error, 'Allocations[1].Job: expected object');
});

t.test('snapshots taken by the server always validate: busy scenario and a simulated running cluster', async (t) => {
  const busy = await started({ scenario: 'busy' });
  t.teardown(busy.close);
  await busy.advance(120_000);
  const s1 = busy.mock.control.snapshot();
  t.equal(validateSnapshot(JSON.parse(JSON.stringify(s1))).Jobs.length, s1.Jobs.length, 'busy scenario');

  const c = await started({ acl: true });
  t.teardown(c.close);
  const boot = await c.post('/v1/acl/bootstrap');
  t.equal(boot.status, 200);
  const auth = { 'X-Nomad-Token': boot.json.SecretID as string };
  t.equal((await c.req('POST', '/v1/acl/policy/ro', { Name: 'ro', Rules: 'namespace "default" { policy = "read" }' }, auth)).status, 200);
  t.equal((await c.req('POST', '/v1/acl/token', { Name: 'reader', Type: 'client', Policies: ['ro'] }, auth)).status, 200);
  const put = (url: string, body: Obj) => c.req('PUT', url, body, auth);
  await put('/v1/jobs', { Job: serviceJob('web', 3, { Update: { MaxParallel: 1, Canary: 1 } }) });
  await put('/v1/jobs', { Job: batchJob('report') });
  await c.advance(60_000);
  const sc = await c.req('POST', '/v1/job/web/scale', { Count: 4, Target: { Group: 'web' }, Message: 'more' }, auth);
  t.equal(sc.status, 200, `scale: ${sc.body}`);
  await c.advance(60_000);
  await put('/v1/jobs', { Job: serviceJob('web', 4, { Update: { MaxParallel: 1, Canary: 1 }, Meta: { v: '2' } }) });
  await c.advance(30_000);
  const allocs = (await c.req('GET', '/v1/job/web/allocations', undefined, auth)).json as Obj[];
  await c.req('POST', `/_mock/allocation/${allocs[0]!.ID}/state`, { State: 'failed', ExitCode: 2 }, auth);
  await put('/v1/jobs', { Job: serviceJob('gone') });
  await c.advance(30_000);
  await c.req('DELETE', '/v1/job/gone?purge=true', undefined, auth);
  await c.req('DELETE', '/v1/job/report', undefined, auth);
  await c.advance(300_000);
  const s2 = c.mock.control.snapshot();
  t.ok(s2.Deployments.length > 0 && s2.Allocations.length > 3, 'the cluster has deployments and allocs');
  t.ok(((s2.Parts.acl as Obj).Tokens as Obj[]).length === 2, 'and ACL tokens');
  t.equal(s2.ScalingEvents.length, 1, 'and scaling events');
  const checked = validateSnapshot(JSON.parse(JSON.stringify(s2)));
  t.same(checked, JSON.parse(JSON.stringify(s2)), 'a running cluster validates, with nothing derived');
  t.equal((await c.put('/_mock/restore', s2)).status, 200, 'and restores');
});

// ---------------------------------------------------------------------------------------------
// Finding 9: the data dir's state file
// ---------------------------------------------------------------------------------------------

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-restore-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the CLI briefly; a server that starts is killed after a few seconds. */
function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [join(root, 'dist', 'src', 'cli.js'), '--port', '0', '--log-level', 'silent', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), 15_000);
    p.on('exit', (code) => {
      clearTimeout(timer);
      res({ code, stderr });
    });
  });
}

const STATE_CASES: [string, (file: string) => void, RegExp][] = [
  ['a directory', (f) => mkdirSync(f), /not a regular file \(a directory\)/],
  ['a FIFO', (f) => execFileSync('mkfifo', [f]), /not a regular file \(a special file\)/],
  ['corrupt JSON', (f) => writeFileSync(f, '{"Format": "nomad-mock/v1", "Ind'), /is not valid JSON/],
  ['a document that fails the schema', (f) => writeFileSync(f, JSON.stringify({ ...createServer({ logLevel: 'silent' }, undefined, { simulate: false }).control.snapshot(), Index: 1e300 })), /is not a valid snapshot: Index: expected an integer/],
];

for (const [what, make, cause] of STATE_CASES) {
  t.test(`a state.json that is ${what} stops start-up, naming the file (in-process and CLI)`, async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'state.json');
    make(file);
    await t.rejects(createMockNomad({ dataDir: dir }), { message: new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}.*`) }, 'createMockNomad rejects with the path');
    await createMockNomad({ dataDir: dir }).then(
      () => t.fail('started'),
      (err: Error) => t.match(err.message, cause, 'and the cause'),
    );
    const run = await cli(['--data-dir', dir]);
    t.not(run.code, 0, `the CLI exits non-zero (${run.code})`);
    t.match(run.stderr, file, 'naming the file');
    t.match(run.stderr, cause, 'and the cause');
  });
}

t.test('a missing state.json is "no state yet"; a data dir that is a file stops start-up', async (t) => {
  const dir = tempDir(t);
  const m = await createMockNomad({ dataDir: join(dir, 'new') });
  t.equal(m.control.snapshot().Jobs.length, 0, 'a new data dir starts empty');
  await m.close();
  const file = join(dir, 'plain');
  writeFileSync(file, '');
  await t.rejects(createMockNomad({ dataDir: file }), { message: new RegExp(`cannot use data dir ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: `) });
});
