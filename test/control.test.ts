// The control API under /_mock/ (issue 5, "Control and observation"), driven over HTTP: health and
// readiness, reset, snapshot/restore, clock, forced allocation states, faults and the leader switch,
// the request journal, determinism under --seed, persistence under --data-dir, and seeding from a
// jobs folder or a named scenario. Connection faults use a real socket; everything else uses inject.
import t, { type Test } from 'tap';
import http from 'node:http';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, clientFor, simClient, minimalJob, index, type Client, type Res } from './helpers.js';
import { createServer, type NomadMock } from '../src/server.js';
import type { Config } from '../src/config.js';
import type { Obj } from '../state/types.js';
import { recover } from '../src/persist/recover.js';

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

const serviceJob = (id: string, count = 1, overrides: Obj = {}): Obj =>
  minimalJob(id, { TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }], ...overrides });

const batchJob = (id: string, task: Obj = {}): Obj =>
  minimalJob(id, { Type: 'batch', TaskGroups: [{ Name: 'work', Count: 1, Tasks: [{ Name: 'run', Driver: 'docker', Config: { image: 'busybox' }, ...task }] }] });

const allocsOf = async (c: Client, job: string, ns = 'default'): Promise<Obj[]> =>
  ((await c.get(`/v1/job/${job}/allocations?namespace=${ns}`)).json as Obj[]).sort((a, b) => a.CreateIndex - b.CreateIndex);

/** Asserts a control error: status, JSON content type and `{ "Error": "…" }` matching `msg`. */
function isError(t: Test, r: Res, status: number, msg: RegExp | string, what: string): void {
  t.equal(r.status, status, `${what}: status ${status}`);
  t.match(String(r.headers['content-type']), /^application\/json/, `${what}: JSON content type`);
  t.same(Object.keys(r.json ?? {}), ['Error'], `${what}: body is {"Error": …}`);
  t.match(r.json?.Error, msg, `${what}: message`);
}

// A server created like the CLI does (init() loads the data dir or seeds), spoken to with inject.
async function started(config: Partial<Config>, simulate = true): Promise<{ mock: NomadMock; c: Client }> {
  const mock = createServer({ logLevel: 'silent', clock: 'manual', ...config }, undefined, { simulate });
  await mock.init();
  await mock.app.ready();
  const c = clientFor(mock);
  return { mock, c };
}

/** Listens on a free port; requests go over a real socket. */
async function listening(c: Client): Promise<string> {
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = c.mock.app.server.address();
  return `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
}

/** One request over a fresh socket (no keep-alive): the response, or the socket error. */
function rawRequest(url: string, method = 'GET'): Promise<{ status: number; body: string } | { error: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (error) => resolve({ error }));
    });
    req.on('error', (error) => resolve({ error }));
    req.end();
  });
}

// ---------------------------------------------------------------------------------------------
// Health and readiness
// ---------------------------------------------------------------------------------------------

t.test('health answers 200 {"Status":"ok","Errors":{"Count":0,"Last":null}} and ready answers {"Ready":true,"Index":n}', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const h = await c.get('/_mock/health');
  t.equal(h.status, 200);
  t.match(String(h.headers['content-type']), /^application\/json/);
  t.same(h.json, { Status: 'ok', Errors: { Count: 0, Last: null } });
  const r = await c.get('/_mock/ready');
  t.equal(r.status, 200);
  t.match(String(r.headers['content-type']), /^application\/json/);
  t.same(Object.keys(r.json).sort(), ['Index', 'Ready']);
  t.equal(r.json.Ready, true);
  t.equal(r.json.Index, c.mock.store.index, 'Index is the store index');
  const reg = await c.register(minimalJob('web'));
  t.equal((await c.get('/_mock/ready')).json.Index, reg.json.Index, 'the ready index follows writes');
});

t.test('control routes answer a wrong method with 405 and an unknown control path with 404', async (t) => {
  const c = await client();
  t.teardown(c.close);
  isError(t, await c.post('/_mock/health'), 405, /method POST not allowed; use GET/, 'POST health');
  isError(t, await c.del('/_mock/clock'), 405, /use GET or PUT/, 'DELETE clock');
  isError(t, await c.get('/_mock/reset'), 405, /use POST/, 'GET reset');
  t.equal((await c.get('/_mock/nope')).status, 404, 'unknown control path');
});

// ---------------------------------------------------------------------------------------------
// Reset
// ---------------------------------------------------------------------------------------------

t.test('reset of everything returns to the start-up state with its start-up indexes and answers blocked readers', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const nodesAtStart = await c.get('/v1/nodes');
  const jobsAtStart = await c.get('/v1/jobs');
  t.same(jobsAtStart.json, []);
  const startIndex = c.mock.store.index;

  await c.register(serviceJob('web', 2));
  await c.register(batchJob('report'));
  await c.put('/v1/namespace/team', { Name: 'team' });
  await c.register(serviceJob('api'), { Namespace: 'team' });
  await c.advance(30_000);
  t.equal((await allocsOf(c, 'web')).length, 2, 'the job is placed before the reset');
  const before = await c.get('/v1/jobs');
  const idx = index(before);
  t.equal(before.json.length, 2);

  const blocked = c.get(`/v1/jobs?index=${idx}&wait=5s`);
  await sleep(20);
  t.equal(c.mock.store.watch.waiting(), 1, 'a reader is parked on the jobs list');
  const r = await c.post('/_mock/reset');
  t.equal(r.status, 200);
  t.match(String(r.headers['content-type']), /^application\/json/);
  t.same(r.json, { Index: startIndex }, 'the index is the start-up one again, as on a restarted agent');

  const woke = await blocked;
  t.equal(woke.status, 200, 'the blocked reader is answered at the reset');
  t.equal(index(woke), index(jobsAtStart), 'with the fresh state’s index');
  t.same(woke.json, [], 'and it sees the reset state');
  t.equal(c.mock.store.watch.waiting(), 0, 'nobody is left waiting');

  const after = await c.get('/v1/jobs');
  t.same(after.json, []);
  t.equal(index(after), 0, 'a table never written says 0, as on a fresh agent');
  t.same((await c.get('/v1/jobs?namespace=*')).json, [], 'jobs of every namespace are gone');
  t.same((await c.get('/v1/allocations')).json, [], 'no allocations');
  t.same((await c.get('/v1/evaluations')).json, [], 'no evaluations');
  t.same((await c.get('/v1/deployments')).json, [], 'no deployments');
  t.same((await c.get('/v1/namespaces')).json.map((n: Obj) => n.Name), ['default'], 'namespaces back to the start-up set');
  const nodes = await c.get('/v1/nodes');
  t.equal(nodes.body, nodesAtStart.body, 'the simulated nodes read exactly as at start-up');
  t.equal(index(nodes), index(nodesAtStart));
  t.equal((await c.get('/_mock/ready')).json.Index, startIndex);

  // The simulator still works after the reset.
  const reg = await c.register(serviceJob('web', 1));
  t.equal(reg.status, 200);
  t.equal(reg.json.Index, startIndex + 1, 'the next write takes the index after the start-up one');
  await c.advance(30_000);
  const allocs = await allocsOf(c, 'web');
  t.equal(allocs.length, 1, 'a new register is placed');
  t.equal(allocs[0]!.ClientStatus, 'running');
});

t.test('reset of one namespace restores only that namespace; the others are untouched', async (t) => {
  const { c } = await started({ scenario: 'busy' });
  t.teardown(c.close);
  const webAtStart = (await c.get('/v1/jobs?namespace=web')).json.map((j: Obj) => [j.ID, j.Status, j.Stop]);
  t.same(webAtStart.map((j: unknown[]) => j[0]).sort(), ['legacy-api', 'web', 'whoami']);

  // Change both namespaces.
  t.equal((await c.register(serviceJob('extra'), { Namespace: 'web' })).status, 200);
  t.equal((await c.del('/v1/job/whoami?namespace=web&purge=true')).status, 200);
  t.equal((await c.del('/v1/job/report?namespace=data&purge=true')).status, 200);
  t.equal((await c.register(serviceJob('etl'), { Namespace: 'data' })).status, 200);
  await c.advance(30_000);
  const dataBefore = await c.get('/v1/jobs?namespace=data');
  const dataJobBefore = (await c.get('/v1/job/etl?namespace=data')).body;
  const defaultBefore = (await c.get('/v1/jobs?namespace=default')).body;
  const idx = c.mock.store.index;

  const r = await c.post('/_mock/reset', { Namespace: 'web' });
  t.equal(r.status, 200);
  t.same(r.json, { Index: idx + 1 });

  const web = (await c.get('/v1/jobs?namespace=web')).json.map((j: Obj) => [j.ID, j.Status, j.Stop]);
  t.same(web, webAtStart, 'web is back to its start-up jobs (extra gone, whoami back)');
  t.equal((await c.get('/v1/job/extra?namespace=web')).status, 404);
  t.equal((await c.get('/v1/job/whoami?namespace=web')).status, 200);
  const dataAfter = await c.get('/v1/jobs?namespace=data');
  t.same(dataAfter.json.map((j: Obj) => j.ID), dataBefore.json.map((j: Obj) => j.ID), 'data keeps its changes (report purged, etl added)');
  t.notOk(dataAfter.json.some((j: Obj) => j.ID === 'report'));
  t.equal((await c.get('/v1/job/etl?namespace=data')).body, dataJobBefore, 'a data job reads the same');
  t.equal((await c.get('/v1/jobs?namespace=default')).body, defaultBefore, 'default is untouched');
  t.ok(index(dataAfter) > idx, 'the index still moves forward');

  const beforeUnknown = c.mock.store.index;
  isError(t, await c.post('/_mock/reset', { Namespace: 'nope' }), 404, 'namespace "nope" not found: it exists neither now nor at start-up', 'an unknown namespace');
  t.equal(c.mock.store.index, beforeUnknown, 'an unknown namespace changes nothing');
  isError(t, await c.post('/_mock/reset', { Namespace: 3 }), 400, /Namespace/, 'a non-string namespace');
  isError(t, await c.post('/_mock/reset', { Everything: true }), 400, /./, 'an unknown field');
  isError(t, await c.post('/_mock/reset', '{'), 400, /invalid JSON body/, 'bad JSON');
});

t.test('reset of one namespace also brings back its variables, scaling policies and service registrations; other namespaces keep theirs', async (t) => {
  const { c } = await started({});
  t.teardown(c.close);
  const withParts = (id: string): Obj => {
    const job = serviceJob(id);
    const tg = (job.TaskGroups as Obj[])[0]!;
    tg.Scaling = { Min: 1, Max: 3 };
    tg.Services = [{ Name: `${id}-svc`, Provider: 'nomad' }];
    return job;
  };
  t.equal((await c.put('/v1/namespace/team', { Name: 'team' })).status, 200);
  for (const ns of ['default', 'team']) {
    t.equal((await c.put(`/v1/var/app/conf?namespace=${ns}`, { Items: { k: ns } })).status, 200, `variable in ${ns}`);
    t.equal((await c.register(withParts(`api-${ns}`), { Namespace: ns })).status, 200, `job in ${ns}`);
  }
  for (let i = 0; i < 6; i++) await c.advance(1000);
  t.equal((await c.get('/v1/services?namespace=team')).json.length, 1, 'team registers its service once running');
  t.equal((await c.get('/v1/scaling/policies?namespace=team')).json.length, 1);
  const defaultBefore = await Promise.all(['/v1/var/app/conf', '/v1/scaling/policies', '/v1/services'].map(async (u) => (await c.get(u)).body));

  t.equal((await c.post('/_mock/reset', { Namespace: 'team' })).status, 200);
  t.equal((await c.get('/v1/namespace/team')).status, 404, 'team did not exist at start-up');
  t.equal((await c.get('/v1/var/app/conf?namespace=team')).status, 404, "team's variable is gone");
  t.same((await c.get('/v1/scaling/policies?namespace=team')).json, [], "team's scaling policy is gone with its job");
  t.same((await c.get('/v1/services?namespace=team')).json, [], "team's registrations are gone with its allocs");
  t.same((await c.get('/v1/vars?namespace=*')).json.map((v: Obj) => v.Namespace), ['default']);
  const defaultAfter = await Promise.all(['/v1/var/app/conf', '/v1/scaling/policies', '/v1/services'].map(async (u) => (await c.get(u)).body));
  t.same(defaultAfter, defaultBefore, 'default keeps its variable, policy and registrations');
});

// ---------------------------------------------------------------------------------------------
// Snapshot and restore
// ---------------------------------------------------------------------------------------------

const READS = ['/v1/jobs', '/v1/job/web', '/v1/job/web/allocations', '/v1/job/web/evaluations', '/v1/job/web/summary', '/v1/job/web/deployment', '/v1/deployments', '/v1/allocations'];

async function readAll(c: Client): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const u of READS) {
    const r = await c.get(u);
    out[u] = { status: r.status, body: r.json };
  }
  return out;
}

t.test('snapshot, change, restore: reads equal the snapshot-time reads and the simulator carries on', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob('web', 2));
  await c.advance(60_000);
  const atSnap = await readAll(c);
  const snap = await c.get('/_mock/snapshot');
  t.equal(snap.status, 200);
  t.match(String(snap.headers['content-type']), /^application\/json/);
  t.match(snap.json, { Format: 'nomad-mock/v1', Index: c.mock.store.index }, 'a versioned document with the index');
  t.ok(Array.isArray(snap.json.Jobs) && snap.json.Jobs.length === 1);
  t.ok(Array.isArray(snap.json.Allocations) && snap.json.Allocations.length === 2);

  // Change: stop web, register another job.
  await c.del('/v1/job/web');
  await c.register(batchJob('other'));
  await c.advance(60_000);
  t.equal((await c.get('/v1/job/web')).json.Stop, true, 'web is stopped before the restore');
  t.equal((await c.get('/v1/jobs')).json.length, 2);

  const r = await c.put('/_mock/restore', snap.body);
  t.equal(r.status, 200);
  t.same(r.json, { Index: c.mock.store.index });
  t.same(await readAll(c), atSnap, 'every read equals its snapshot-time read');
  // The restore is one more write: the index moves on (never back), everything else is the document.
  const again = (await c.get('/_mock/snapshot')).json;
  t.same({ ...again, Index: 0, TableIndexes: {} }, { ...snap.json, Index: 0, TableIndexes: {} }, 'a new snapshot equals the restored one but for the indexes');
  t.ok(again.Index > snap.json.Index, 'whose index moved forward');

  // The simulator carries on from the restored state.
  await c.advance(60_000);
  const allocs = await allocsOf(c, 'web');
  t.same(allocs.map((a) => [a.ClientStatus, a.DesiredStatus]), [['running', 'run'], ['running', 'run']], 'the restored allocs are still running');
  const reg = await c.register(serviceJob('api'));
  t.equal(reg.status, 200);
  await c.advance(30_000);
  const api = await allocsOf(c, 'api');
  t.equal(api.length, 1, 'a new register is placed');
  t.equal(api[0]!.ClientStatus, 'running');

  // POST works the same as PUT.
  const r2 = await c.post('/_mock/restore', snap.body);
  t.equal(r2.status, 200);
  t.equal((await c.get('/v1/job/api')).status, 404, 'POST /_mock/restore restores too');
});

t.test('a snapshot of a busy cluster restores into another server with every read equal', async (t) => {
  const { c: src } = await started({ scenario: 'busy' });
  t.teardown(src.close);
  await src.post('/v1/job/web/scale?namespace=web', { Count: 3, Target: { Group: 'frontend' }, Message: 'more' });
  t.equal((await src.register(serviceJob('sub'), { Submission: { Source: 'job "sub" {}', Format: 'hcl2', VariableFlags: {}, Variables: '' } })).status, 200);
  await src.advance(30_000);
  const urls = [
    '/v1/jobs?namespace=*', '/v1/namespaces', '/v1/allocations?namespace=*', '/v1/evaluations?namespace=*', '/v1/deployments?namespace=*',
    '/v1/job/web?namespace=web', '/v1/job/web/versions?namespace=web', '/v1/job/web/summary?namespace=web', '/v1/job/web/scale?namespace=web',
    '/v1/job/sub/submission?version=0', '/v1/job/video-encode?namespace=data', '/v1/job/web/deployments?namespace=web', '/v1/jobs?namespace=data&prefix=nightly-backup',
  ];
  const reads = async (c: Client): Promise<string[]> => Promise.all(urls.map(async (u) => { const r = await c.get(u); return `${r.status} ${r.body}`; }));
  const want = await reads(src);
  for (const [i, u] of urls.entries()) t.match(want[i], /^200 /, `${u} answers 200`);
  const snap = (await src.get('/_mock/snapshot')).body;

  const dst = await simClient();
  t.teardown(dst.close);
  const r = await dst.put('/_mock/restore', snap);
  t.equal(r.status, 200);
  const got = await reads(dst);
  for (const [i, u] of urls.entries()) t.equal(got[i], want[i], `${u} reads the same`);
  const again = (await dst.get('/_mock/snapshot')).json;
  t.same({ ...again, Index: 0, TableIndexes: {} }, { ...JSON.parse(snap), Index: 0, TableIndexes: {} }, 'and snapshots the same but for the indexes');
});

t.test('restore of a bad document answers 400 and changes nothing', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob('web'));
  await c.advance(30_000);
  const before = await c.get('/v1/jobs');
  const snapBefore = (await c.get('/_mock/snapshot')).body;
  const good = JSON.parse(snapBefore) as Obj;

  isError(t, await c.put('/_mock/restore', ''), 400, /empty/, 'empty body');
  isError(t, await c.put('/_mock/restore', '{"Format":'), 400, /invalid JSON body/, 'truncated JSON');
  isError(t, await c.put('/_mock/restore', []), 400, /must be a JSON object/, 'an array');
  isError(t, await c.put('/_mock/restore', { ...good, Format: 'other/v9' }), 400, /unsupported snapshot format "other\/v9"/, 'wrong format');
  isError(t, await c.put('/_mock/restore', { ...good, Index: -1 }), 400, /Index/, 'negative index');
  isError(t, await c.put('/_mock/restore', { ...good, Jobs: 'x' }), 400, /Jobs: expected array/, 'Jobs not an array');
  isError(t, await c.put('/_mock/restore', { ...good, TableIndexes: null }), 400, /TableIndexes/, 'no TableIndexes');
  isError(t, await c.put('/_mock/restore', { ...good, Jobs: [null] }), 400, /Jobs\[0\]: expected object/, 'a null job');
  isError(t, await c.put('/_mock/restore', { ...good, Versions: [1] }), 400, /Versions\[0\]: expected object/, 'a number for a version');
  isError(t, await c.put('/_mock/restore', { ...good, Allocations: [{}] }), 400, /Allocations\[0\]\.ID/, 'an alloc without ID');
  isError(t, await c.put('/_mock/restore', { ...good, TableIndexes: { jobs: 'x' } }), 400, /TableIndexes\.jobs/, 'a non-numeric table index');

  const after = await c.get('/v1/jobs');
  t.equal(after.body, before.body, 'the job list is unchanged');
  t.equal(index(after), index(before), 'and so is its index');
  t.equal((await c.get('/_mock/snapshot')).body, snapBefore, 'the whole state is unchanged');
});

// ---------------------------------------------------------------------------------------------
// Clock
// ---------------------------------------------------------------------------------------------

t.test('GET /_mock/clock gives Mode, Scale, Now (RFC 3339) and NowNs', async (t) => {
  const c = await simClient({ clockStart: '2025-03-01T12:00:00Z' });
  t.teardown(c.close);
  const r = await c.get('/_mock/clock');
  t.equal(r.status, 200);
  t.match(String(r.headers['content-type']), /^application\/json/);
  t.same(Object.keys(r.json).sort(), ['Mode', 'Now', 'NowNs', 'Scale']);
  t.same(r.json, { Mode: 'manual', Scale: 100, Now: '2025-03-01T12:00:00Z', NowNs: Date.parse('2025-03-01T12:00:00Z') * 1e6 });
});

t.test('times are rendered to the millisecond the clock holds, without float noise in the nanoseconds and not a millisecond early', async (t) => {
  // 1,740,830,400,338 ms × 1e6 is not a float64: the nearest one reads .337999872 s.
  const c = await simClient({ clockStart: '2025-03-01T12:00:00.338Z' });
  t.teardown(c.close);
  t.equal((await c.get('/_mock/clock')).json.Now, '2025-03-01T12:00:00.338Z');
  // Math.floor(ns / 1e6) of that product reads .337: the node's registration times must not.
  const nodeId = (await c.get('/v1/nodes')).json[0].ID;
  const node = (await c.get(`/v1/node/${nodeId}`)).json;
  t.equal(node.Events[0].Timestamp, '2025-03-01T12:00:00.338Z', 'node event at the clock\'s millisecond');
  for (const d of Object.values(node.Drivers) as { UpdateTime: string }[]) t.equal(d.UpdateTime, '2025-03-01T12:00:00.338Z');
  const advanced = await c.post('/_mock/clock/advance', { Milliseconds: 1 });
  t.equal(advanced.status, 200);
  t.equal((await c.get('/_mock/clock')).json.Now, '2025-03-01T12:00:00.339Z');
});

t.test('advance by Duration and by Milliseconds on the manual clock; a batch job completes only after advancing', async (t) => {
  const c = await simClient({ clockStart: '2025-03-01T12:00:00Z' });
  t.teardown(c.close);
  const t0 = (await c.get('/_mock/clock')).json.NowNs as number;

  const reg = await c.register(batchJob('report'));
  t.equal(reg.status, 200);
  const zero = await c.post('/_mock/clock/advance', { Milliseconds: 0 });
  t.equal(zero.status, 200);
  t.equal(zero.json.NowNs, t0, 'advancing by 0 runs due work without moving time');
  await sleep(50);
  t.equal((await c.get('/_mock/clock')).json.NowNs, t0, 'wall time does not move the manual clock');
  const allocs = await allocsOf(c, 'report');
  t.equal(allocs.length, 1, 'placed without moving time');
  t.equal(allocs[0]!.ClientStatus, 'pending', 'but not started');
  t.equal((await c.get('/v1/job/report')).json.Status, 'running', 'the job is running (a non-terminal alloc)');

  const a1 = await c.post('/_mock/clock/advance', { Duration: '10s' });
  t.equal(a1.status, 200);
  t.same(a1.json, { Mode: 'manual', Scale: 100, Now: '2025-03-01T12:00:10Z', NowNs: t0 + 10e9 }, 'answers the new clock state');
  t.equal((await allocsOf(c, 'report'))[0]!.ClientStatus, 'complete', 'the batch task ran and exited');
  t.equal((await c.get('/v1/job/report')).json.Status, 'dead', 'the batch job is complete');

  const a2 = await c.post('/_mock/clock/advance', { Milliseconds: 1500 });
  t.equal(a2.status, 200);
  t.equal(a2.json.NowNs, t0 + 11.5e9);
  t.equal(a2.json.Now, '2025-03-01T12:00:11.5Z');
  const a3 = await c.post('/_mock/clock/advance', { Duration: '1h30m' });
  t.equal(a3.json.NowNs, t0 + 11.5e9 + 5400e9);
});

t.test('PUT /_mock/clock switches mode and scale', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const s = await c.put('/_mock/clock', { Mode: 'scaled', Scale: 1000 });
  t.equal(s.status, 200);
  t.match(s.json, { Mode: 'scaled', Scale: 1000 });
  const n1 = s.json.NowNs as number;
  await sleep(40);
  const n2 = (await c.get('/_mock/clock')).json.NowNs as number;
  t.ok(n2 - n1 >= 30 * 1000 * 1e6, `scaled time runs ×1000 (moved ${(n2 - n1) / 1e6} ms in ~40 ms)`);

  const sc = await c.put('/_mock/clock', { Scale: 10 });
  t.match(sc.json, { Mode: 'scaled', Scale: 10 }, 'Scale alone keeps the mode');

  const m = await c.put('/_mock/clock', { Mode: 'manual' });
  t.match(m.json, { Mode: 'manual', Scale: 10 }, 'Mode alone keeps the scale');
  t.ok(m.json.NowNs >= n2, 'switching mode never moves time backwards');
  await sleep(20);
  t.equal((await c.get('/_mock/clock')).json.NowNs, m.json.NowNs, 'the manual clock stands still');

  const a = await c.post('/_mock/clock/advance', { Duration: '5s' });
  t.equal(a.json.NowNs, m.json.NowNs + 5e9);
});

t.test('bad clock inputs answer 400 with a JSON error', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const before = (await c.get('/_mock/clock')).json;
  isError(t, await c.post('/_mock/clock/advance', { Duration: 'banana' }), 400, /Duration: "banana" is not a duration/, 'not a duration');
  isError(t, await c.post('/_mock/clock/advance', { Duration: '-5s' }), 400, /Duration/, 'negative duration');
  isError(t, await c.post('/_mock/clock/advance', { Duration: 10 }), 400, /Duration/, 'numeric Duration');
  isError(t, await c.post('/_mock/clock/advance', { Milliseconds: -1 }), 400, /Milliseconds/, 'negative milliseconds');
  isError(t, await c.post('/_mock/clock/advance', {}), 400, /give Duration/, 'neither');
  isError(t, await c.post('/_mock/clock/advance'), 400, /empty/, 'no body');
  isError(t, await c.post('/_mock/clock/advance', 'ten seconds'), 400, /invalid JSON body/, 'not JSON');
  isError(t, await c.post('/_mock/clock/advance', { Seconds: 3 }), 400, /./, 'unknown field');
  isError(t, await c.put('/_mock/clock', { Mode: 'fast' }), 400, /Mode/, 'unknown mode');
  isError(t, await c.put('/_mock/clock', { Scale: 0 }), 400, /Scale/, 'zero scale');
  isError(t, await c.put('/_mock/clock', { Scale: -2 }), 400, /Scale/, 'negative scale');
  isError(t, await c.put('/_mock/clock', { Scale: '2' }), 400, /Scale/, 'string scale');
  const after = (await c.get('/_mock/clock')).json;
  t.same(after, before, 'the clock is unchanged');
});

// ---------------------------------------------------------------------------------------------
// Allocation control
// ---------------------------------------------------------------------------------------------

t.test('forcing a running service alloc to failed with an exit code: failed, Terminated + Not Restarting, rescheduled after the delay', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob('web'));
  await c.advance(30_000);
  const [alloc] = await allocsOf(c, 'web');
  t.equal(alloc!.ClientStatus, 'running');

  const r = await c.post(`/_mock/allocation/${alloc!.ID}/state`, { State: 'failed', ExitCode: 3 });
  t.equal(r.status, 200);
  t.match(String(r.headers['content-type']), /^application\/json/);
  t.same(Object.keys(r.json).sort(), ['ClientStatus', 'DesiredStatus', 'ID', 'ModifyIndex']);
  t.match(r.json, { ID: alloc!.ID, ClientStatus: 'failed', DesiredStatus: 'run' });
  t.ok(r.json.ModifyIndex > alloc!.ModifyIndex);

  const got = (await c.get(`/v1/allocation/${alloc!.ID}`)).json;
  t.equal(got.ClientStatus, 'failed');
  const ts = got.TaskStates.server;
  t.match(ts, { State: 'dead', Failed: true });
  const events = ts.Events as Obj[];
  const last2 = events.slice(-2);
  t.match(last2[0], { Type: 'Terminated', DisplayMessage: 'Exit Code: 3', ExitCode: 3, Details: { exit_code: '3' } }, 'Terminated with the exit code');
  t.match(last2[1], { Type: 'Not Restarting', FailsTask: true }, 'then Not Restarting');

  // The service reschedule policy (30s exponential) places a replacement once the delay passes.
  await c.advance(0);
  t.equal((await allocsOf(c, 'web')).length, 1, 'no replacement before the delay');
  const followup = (await c.get(`/v1/allocation/${alloc!.ID}`)).json.FollowupEvalID as string;
  t.ok(followup, 'a follow-up eval is scheduled');
  const fe = (await c.get(`/v1/evaluation/${followup}`)).json;
  t.match(fe, { Status: 'pending', TriggeredBy: 'alloc-reschedule', StatusDescription: 'created for delayed rescheduling' });
  t.ok(fe.WaitUntil, 'waiting for the reschedule delay');
  const nowMs = (await c.get('/_mock/clock')).json.NowNs / 1e6;
  t.ok(Date.parse(fe.WaitUntil) - nowMs >= 29_000, 'the default service delay (30s)');
  await c.advance(20_000);
  t.equal((await allocsOf(c, 'web')).length, 1, 'still no replacement 20s later');
  await c.advance(40_000);
  const allocs = await allocsOf(c, 'web');
  t.equal(allocs.length, 2, 'a replacement is placed after the delay');
  t.equal(allocs[1]!.ClientStatus, 'running');
  t.equal((await c.get(`/v1/allocation/${allocs[1]!.ID}`)).json.PreviousAllocation, alloc!.ID, 'the replacement links to the failed alloc');
  t.equal((await c.get(`/v1/allocation/${alloc!.ID}`)).json.NextAllocation, allocs[1]!.ID);
});

t.test('forcing an alloc to lost places a replacement', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob('web'));
  await c.advance(30_000);
  const [alloc] = await allocsOf(c, 'web');
  const r = await c.post(`/_mock/allocation/${alloc!.ID}/state`, { State: 'lost' });
  t.equal(r.status, 200);
  t.match(r.json, { ID: alloc!.ID, ClientStatus: 'lost' });
  await c.advance(30_000);
  const allocs = await allocsOf(c, 'web');
  t.equal(allocs.length, 2, 'one replacement');
  t.equal(allocs[0]!.ClientStatus, 'lost');
  t.match(allocs[1], { ClientStatus: 'running', DesiredStatus: 'run' });
  t.equal((await c.get(`/v1/allocation/${allocs[1]!.ID}`)).json.PreviousAllocation, alloc!.ID, 'the replacement links to the lost alloc');
  const sum = (await c.get('/v1/job/web/summary')).json.Summary.web;
  t.match(sum, { Lost: 1, Running: 1 });
});

t.test('forcing a running batch alloc to complete finishes the job', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(batchJob('long', { Driver: 'mock_driver', Config: { run_for: '1h' } }));
  await c.advance(5_000);
  const [alloc] = await allocsOf(c, 'long');
  t.equal(alloc!.ClientStatus, 'running', 'the 1h batch task is running');
  const r = await c.post(`/_mock/allocation/${alloc!.ID}/state`, { State: 'complete' });
  t.equal(r.status, 200);
  t.match(r.json, { ID: alloc!.ID, ClientStatus: 'complete', DesiredStatus: 'run' });
  await c.advance(0);
  const got = (await c.get(`/v1/allocation/${alloc!.ID}`)).json;
  t.match(got.TaskStates.run, { State: 'dead', Failed: false });
  t.match((got.TaskStates.run.Events as Obj[]).at(-1), { Type: 'Terminated', ExitCode: 0 });
  t.equal((await c.get('/v1/job/long')).json.Status, 'dead');
  t.match((await c.get('/v1/job/long/summary')).json.Summary.work, { Complete: 1, Running: 0 });
  t.equal((await allocsOf(c, 'long')).length, 1, 'nothing rescheduled');
});

t.test('allocation control: unknown alloc 404, bad State or task 400', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob('web'));
  await c.advance(30_000);
  const [alloc] = await allocsOf(c, 'web');
  isError(t, await c.post('/_mock/allocation/0b7e4a3c-0000-4000-8000-000000000000/state', { State: 'failed' }), 404, /allocation "0b7e4a3c-0000-4000-8000-000000000000" not found/, 'unknown alloc');
  isError(t, await c.post(`/_mock/allocation/${alloc!.ID}/state`, { State: 'exploded' }), 400, /State/, 'bad state');
  isError(t, await c.post(`/_mock/allocation/${alloc!.ID}/state`, {}), 400, /State/, 'no state');
  isError(t, await c.post(`/_mock/allocation/${alloc!.ID}/state`, { State: 'failed', ExitCode: 1.5 }), 400, /ExitCode/, 'fractional exit code');
  isError(t, await c.post(`/_mock/allocation/${alloc!.ID}/state`, { State: 'failed', Task: 'nope' }), 400, /task "nope" not found/, 'unknown task');
  isError(t, await c.get(`/_mock/allocation/${alloc!.ID}/state`), 405, /use POST/, 'GET');
  t.equal((await c.get(`/v1/allocation/${alloc!.ID}`)).json.ClientStatus, 'running', 'the alloc is untouched');

  const bare = await client();
  t.teardown(bare.close);
  isError(t, await bare.post(`/_mock/allocation/${alloc!.ID}/state`, { State: 'failed' }), 409, /the simulator is off/, 'without the simulator');
});

// ---------------------------------------------------------------------------------------------
// Faults and the leader switch
// ---------------------------------------------------------------------------------------------

t.test('a fixed-status fault applies only to its method and path', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const f = await c.post('/_mock/faults', { Method: 'get', Path: '/v1/jobs', Status: 503, Body: 'overloaded' });
  t.equal(f.status, 200);
  t.match(String(f.headers['content-type']), /^application\/json/);
  t.same(f.json, { Method: 'GET', Path: '/v1/jobs', Status: 503, Body: 'overloaded', ID: '1', Hits: 0 });

  const hit = await c.get('/v1/jobs');
  t.equal(hit.status, 503);
  t.equal(hit.body, 'overloaded');
  t.match(String(hit.headers['content-type']), /^text\/plain/);
  t.equal(hit.headers.vary, 'Accept-Encoding');
  t.equal((await c.get('/v1/jobs?prefix=w')).status, 503, 'the query string does not matter');
  t.equal((await c.register(minimalJob('api'))).status, 200, 'PUT on the same path is unaffected');
  t.equal((await c.get('/v1/job/web')).status, 200, 'other paths are unaffected');
  t.equal((await c.get('/v1/jobs/')).status !== 503, true, 'a different path (trailing slash) is unaffected');
  t.equal((await c.get('/v1/nodes')).status, 200);
  const list = await c.get('/_mock/faults');
  t.equal(list.status, 200);
  t.same(list.json, [{ Method: 'GET', Path: '/v1/jobs', Status: 503, Body: 'overloaded', ID: '1', Hits: 2 }], 'Hits counts the faulted requests');
});

t.test('fault path patterns: * within one segment, ** across segments, /regex/', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.post('/_mock/faults', { Path: '/v1/job/*', Status: 500, Body: 'one' });
  t.equal((await c.get('/v1/job/web')).status, 500, '* matches one segment');
  t.equal((await c.get('/v1/job/web/allocations')).status, 200, '* does not cross /');
  await c.del('/_mock/faults');
  await c.post('/_mock/faults', { Path: '/v1/job/**', Status: 502 });
  t.equal((await c.get('/v1/job/web')).status, 502);
  t.equal((await c.get('/v1/job/web/allocations')).status, 502, '** crosses /');
  t.equal((await c.get('/v1/jobs')).status, 200);
  await c.del('/_mock/faults');
  await c.post('/_mock/faults', { Path: '/^\\/v1\\/job\\/[a-z]+\\/summary$/', Status: 504 });
  t.equal((await c.get('/v1/job/web/summary')).status, 504, 'regex matches');
  t.equal((await c.get('/v1/job/web')).status, 200, 'regex does not match');
  t.equal((await c.get('/v1/job/web/allocations')).status, 200);
});

t.test('a fault with Probability 0 never fires and with Probability 1 always fires', async (t) => {
  const c = await client({ config: { seed: 'p' } });
  t.teardown(c.close);
  await c.post('/_mock/faults', { Path: '/v1/jobs', Status: 500, Probability: 0 });
  for (let i = 0; i < 25; i++) t.equal((await c.get('/v1/jobs')).status, 200);
  t.equal((await c.get('/_mock/faults')).json[0].Hits, 0);
  await c.del('/_mock/faults');
  await c.post('/_mock/faults', { Path: '/v1/jobs', Status: 500, Probability: 1 });
  for (let i = 0; i < 25; i++) t.equal((await c.get('/v1/jobs')).status, 500);
  t.equal((await c.get('/_mock/faults')).json[0].Hits, 25);
  await c.del('/_mock/faults');
  await c.post('/_mock/faults', { Path: '/v1/jobs', Status: 500, Probability: 0.5 });
  const statuses = [];
  for (let i = 0; i < 60; i++) statuses.push((await c.get('/v1/jobs')).status);
  t.ok(statuses.includes(200) && statuses.includes(500), 'Probability 0.5 fires some of the time');
});

t.test('a fault with Times N removes itself after N hits', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const f = await c.post('/_mock/faults', { Path: '/v1/jobs', Status: 429, Body: 'slow down', Times: 2 });
  t.equal(f.json.Times, 2);
  t.equal((await c.get('/v1/jobs')).status, 429);
  t.same((await c.get('/_mock/faults')).json.map((x: Obj) => x.Hits), [1]);
  t.equal((await c.get('/v1/jobs')).status, 429);
  t.same((await c.get('/_mock/faults')).json, [], 'gone after the second hit');
  t.equal((await c.get('/v1/jobs')).status, 200);
});

t.test('a LatencyMs fault delays the request and then lets the route answer', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.post('/_mock/faults', { Method: 'GET', Path: '/v1/job/web', LatencyMs: 150 });
  const t0 = performance.now();
  const r = await c.get('/v1/job/web');
  const took = performance.now() - t0;
  t.equal(r.status, 200, 'the route answers after the delay');
  t.equal(r.json.ID, 'web');
  t.ok(took >= 145, `took ${Math.round(took)} ms`);
  const order: string[] = [];
  await Promise.all([
    c.get('/v1/job/web').then(() => order.push('delayed')),
    c.get('/v1/jobs').then(() => order.push('other')),
  ]);
  t.same(order, ['other', 'delayed'], 'other routes are not delayed');

  await c.post('/_mock/faults', { Path: '/v1/nodes', LatencyMs: 80, Status: 500, Body: 'late' });
  const t2 = performance.now();
  const r2 = await c.get('/v1/nodes');
  t.equal(r2.status, 500);
  t.equal(r2.body, 'late');
  t.ok(performance.now() - t2 >= 75, 'latency then status');
});

t.test('connection faults over a real socket: reset gives ECONNRESET, empty closes without a response', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const url = await listening(c);
  const ok = await rawRequest(`${url}/v1/jobs`);
  t.match(ok, { status: 200, body: '[]' }, 'a normal request first');

  await c.post('/_mock/faults', { Path: '/v1/jobs', Connection: 'reset' });
  const reset = await rawRequest(`${url}/v1/jobs`);
  t.ok('error' in reset, 'the request fails');
  if ('error' in reset) t.equal(reset.error.code, 'ECONNRESET', `reset: ${reset.error.message}`);

  await c.del('/_mock/faults');
  await c.post('/_mock/faults', { Path: '/v1/jobs', Connection: 'empty' });
  const empty = await rawRequest(`${url}/v1/jobs`);
  t.ok('error' in empty, 'the request fails');
  if ('error' in empty) t.match(empty.error.message, /socket hang up/, `empty: ${empty.error.message}`);

  t.match(await rawRequest(`${url}/v1/nodes`), { status: 200 }, 'other paths still answer');
  await c.del('/_mock/faults');
  t.match(await rawRequest(`${url}/v1/jobs`), { status: 200, body: '[]' }, 'and the faulted path again once cleared');
  t.match(await rawRequest(`${url}/_mock/health`), { status: 200 });
});

t.test('DELETE /_mock/faults/:id removes one fault; DELETE /_mock/faults removes all', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const a = (await c.post('/_mock/faults', { Path: '/v1/jobs', Status: 500 })).json;
  const b = (await c.post('/_mock/faults', { Path: '/v1/nodes', Status: 501 })).json;
  const d = (await c.post('/_mock/faults', { Path: '/v1/evaluations', Status: 502 })).json;
  t.same([a.ID, b.ID, d.ID], ['1', '2', '3'], 'IDs are assigned in order');
  const del = await c.del(`/_mock/faults/${a.ID}`);
  t.equal(del.status, 200);
  t.same(del.json.map((f: Obj) => f.ID), ['2', '3'], 'answers the remaining faults');
  t.equal((await c.get('/v1/jobs')).status, 200, 'the removed fault no longer applies');
  t.equal((await c.get('/v1/nodes')).status, 501, 'the others still apply');
  isError(t, await c.del(`/_mock/faults/${a.ID}`), 404, /fault "1" not found/, 'removing it again');
  const all = await c.del('/_mock/faults');
  t.equal(all.status, 200);
  t.same(all.json, []);
  t.same((await c.get('/_mock/faults')).json, []);
  t.equal((await c.get('/v1/nodes')).status, 200);
  t.equal((await c.get('/v1/evaluations')).status, 200);
});

t.test('/_mock/ paths are never faulted', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.post('/_mock/faults', { Path: '/**', Status: 500, Body: 'everything' });
  await c.post('/_mock/faults', { Path: '/_mock/**', Connection: 'reset' });
  t.equal((await c.get('/v1/jobs')).status, 500, 'API routes are faulted');
  t.equal((await c.get('/_mock/health')).status, 200);
  t.equal((await c.get('/_mock/faults')).status, 200);
  t.equal((await c.get('/_mock/clock')).status, 200);
  t.equal((await c.del('/_mock/faults')).status, 200, 'the faults can always be cleared');
  t.equal((await c.get('/v1/jobs')).status, 200);
});

t.test('bad fault specs answer 400', async (t) => {
  const c = await client();
  t.teardown(c.close);
  isError(t, await c.post('/_mock/faults', { Status: 500 }), 400, /Path/, 'no Path');
  isError(t, await c.post('/_mock/faults', { Path: '' }), 400, /Path/, 'empty Path');
  isError(t, await c.post('/_mock/faults', { Path: '/v1/jobs' }), 400, /a fault needs Status, LatencyMs or Connection/, 'nothing to do');
  isError(t, await c.post('/_mock/faults', { Path: '/v1/jobs', Status: 42 }), 400, /Status/, 'bad status');
  isError(t, await c.post('/_mock/faults', { Path: '/v1/jobs', Status: 500, Probability: 2 }), 400, /Probability/, 'probability > 1');
  isError(t, await c.post('/_mock/faults', { Path: '/v1/jobs', LatencyMs: -1 }), 400, /LatencyMs/, 'negative latency');
  isError(t, await c.post('/_mock/faults', { Path: '/v1/jobs', Connection: 'boom' }), 400, /Connection/, 'bad connection');
  isError(t, await c.post('/_mock/faults', { Path: '/v1/jobs', Status: 500, Times: 0 }), 400, /Times/, 'zero times');
  isError(t, await c.post('/_mock/faults', { Path: '/[/', Status: 500 }), 400, /invalid Path pattern/, 'bad regex');
  isError(t, await c.post('/_mock/faults', { Path: '/v1/jobs', Status: 500, Colour: 'red' }), 400, /./, 'unknown field');
  t.same((await c.get('/_mock/faults')).json, [], 'nothing was added');
});

t.test('"no cluster leader" mode: 500 No cluster leader with X-Nomad-Knownleader false, empty leader, then back to normal', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  t.same((await c.get('/_mock/leader')).json, { Leader: true });
  const leaderBefore = await c.get('/v1/status/leader');
  t.equal(leaderBefore.status, 200);
  t.not(leaderBefore.json, '', 'a leader is known');

  const off = await c.put('/_mock/leader', { Leader: false });
  t.equal(off.status, 200);
  t.same(off.json, { Leader: false });
  t.same((await c.get('/_mock/leader')).json, { Leader: false });

  const jobs = await c.get('/v1/jobs');
  t.equal(jobs.status, 500);
  t.equal(jobs.body, 'No cluster leader');
  t.equal(jobs.headers['x-nomad-knownleader'], 'false');
  t.match(String(jobs.headers['content-type']), /^text\/plain/);
  const reg = await c.register(minimalJob('api'));
  t.equal(reg.status, 500, 'writes fail too');
  t.equal(reg.body, 'No cluster leader');
  const job = await c.get('/v1/job/web');
  t.equal(job.status, 500);
  t.equal(job.headers['x-nomad-knownleader'], 'false');
  const leader = await c.get('/v1/status/leader');
  t.equal(leader.status, 200);
  t.equal(leader.body, '""', '/v1/status/leader answers an empty string');
  t.equal(leader.headers['x-nomad-knownleader'], 'false');
  t.equal((await c.get('/_mock/health')).status, 200, 'control routes are unaffected');
  t.equal((await c.get('/v1/agent/self')).status, 200, 'the local agent still answers');

  const on = await c.put('/_mock/leader', { Leader: true });
  t.same(on.json, { Leader: true });
  const back = await c.get('/v1/jobs');
  t.equal(back.status, 200);
  t.equal(back.json.length, 1, 'the write during the outage did not happen');
  t.equal(back.headers['x-nomad-knownleader'], 'true');
  t.equal((await c.get('/v1/status/leader')).body, leaderBefore.body);

  isError(t, await c.put('/_mock/leader', { Leader: 'no' }), 400, /Leader/, 'non-boolean');
  isError(t, await c.put('/_mock/leader', {}), 400, /Leader/, 'missing Leader');
});

// ---------------------------------------------------------------------------------------------
// Request journal
// ---------------------------------------------------------------------------------------------

t.test('the journal records method, path, query, headers, body, status and duration of /v1 requests only', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const job = { Job: minimalJob('web') };
  await c.req('GET', '/v1/jobs?prefix=we&namespace=default&prefix=ignored', undefined, { 'X-Nomad-Token': 'secret-token' });
  await c.req('PUT', '/v1/jobs', job, { 'content-type': 'application/json' });
  await c.get('/_mock/health');
  await c.get('/v1/job/missing');
  await c.post('/_mock/faults', { Path: '/v1/nodes', Status: 503 });
  await c.get('/v1/nodes');

  const r = await c.get('/_mock/requests');
  t.equal(r.status, 200);
  t.match(String(r.headers['content-type']), /^application\/json/);
  const entries = r.json as Obj[];
  t.same(entries.map((e) => [e.Method, e.Path, e.Status]), [
    ['GET', '/v1/jobs', 200],
    ['PUT', '/v1/jobs', 200],
    ['GET', '/v1/job/missing', 404],
    ['GET', '/v1/nodes', 503],
  ], 'four API requests, no control requests, faulted ones included');
  const [list, put] = entries;
  t.same(Object.keys(list!).sort(), ['Body', 'BodySize', 'BodyTruncated', 'DurationMs', 'Headers', 'ID', 'Method', 'Path', 'Query', 'Status', 'Time']);
  t.same(list!.Query, { prefix: 'we', namespace: 'default' }, 'query as the route saw it (first value wins)');
  t.equal(list!.Headers['x-nomad-token'], '[redacted]', 'request headers, the token redacted (test/secrets.test.ts)');
  t.equal(list!.Body, '');
  t.equal(typeof list!.DurationMs, 'number');
  t.ok(list!.DurationMs >= 0);
  t.ok(!Number.isNaN(Date.parse(list!.Time)), 'Time is a timestamp');
  t.equal(put!.Body, JSON.stringify(job), 'the raw request body');
  t.equal(put!.BodySize, Buffer.byteLength(JSON.stringify(job)), 'its size');
  t.equal(put!.BodyTruncated, false);
  t.equal(put!.Headers['content-type'], 'application/json');
  t.ok(entries.every((e, i) => i === 0 || e.ID > entries[i - 1]!.ID), 'IDs increase');
});

t.test('the journal filters by method, exact path, path prefix and limit, and clears', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.get('/v1/jobs');
  await c.register(minimalJob('web'));
  await c.get('/v1/job/web');
  await c.get('/v1/job/web/allocations');
  await c.get('/v1/nodes');

  const q = async (qs: string): Promise<string[]> => ((await c.get(`/_mock/requests${qs}`)).json as Obj[]).map((e) => `${e.Method} ${e.Path}`);
  t.same(await q('?method=put'), ['PUT /v1/jobs'], 'method, case-insensitive');
  t.same(await q('?method=GET&path=/v1/jobs'), ['GET /v1/jobs'], 'method and exact path');
  t.same(await q('?path=/v1/jobs'), ['GET /v1/jobs', 'PUT /v1/jobs'], 'exact path');
  t.same(await q('?path=/v1/job/*'), ['GET /v1/job/web', 'GET /v1/job/web/allocations'], 'prefix');
  t.same(await q('?path=/v1/job*'), ['GET /v1/jobs', 'PUT /v1/jobs', 'GET /v1/job/web', 'GET /v1/job/web/allocations'], 'prefix without slash');
  t.same(await q('?limit=2'), ['GET /v1/job/web/allocations', 'GET /v1/nodes'], 'limit keeps the most recent');
  t.same(await q('?path=/v1/job/*&limit=1'), ['GET /v1/job/web/allocations']);
  t.same(await q('?path=/v1/nothing'), []);
  isError(t, await c.get('/_mock/requests?limit=-1'), 400, /limit/, 'negative limit');
  isError(t, await c.get('/_mock/requests?limit=abc'), 400, /limit/, 'non-numeric limit');

  const cleared = await c.del('/_mock/requests');
  t.equal(cleared.status, 200);
  t.same(cleared.json, { Cleared: 5 });
  t.same((await c.get('/_mock/requests')).json, []);
  await c.get('/v1/jobs');
  const after = (await c.get('/_mock/requests')).json as Obj[];
  t.equal(after.length, 1, 'recording continues after a clear');
  t.ok(after[0]!.ID > 5, 'IDs keep increasing across a clear');
});

// ---------------------------------------------------------------------------------------------
// Determinism
// ---------------------------------------------------------------------------------------------

async function scripted(seed: string): Promise<string[]> {
  const c = await client({ simulate: true, config: { clock: 'manual', seed } });
  try {
    const out: string[] = [];
    const rec = (r: Res): void => void out.push(`${r.status} ${String(r.headers['x-nomad-index'] ?? '')} ${r.body}`);
    rec(await c.register(minimalJob('x', { TaskGroups: [{ Name: 'web', Count: 3, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' } }] }] })));
    rec(await c.register(batchJob('b')));
    rec(await c.post('/_mock/clock/advance', { Duration: '30s' }));
    rec(await c.get('/v1/job/x'));
    rec(await c.get('/v1/job/x/allocations'));
    const evals = await c.get('/v1/job/x/evaluations');
    rec(evals);
    for (const e of evals.json as Obj[]) rec(await c.get(`/v1/evaluation/${e.ID}`));
    rec(await c.get('/v1/job/x/deployment'));
    rec(await c.get('/v1/job/b/allocations'));
    rec(await c.get('/v1/nodes'));
    const allocs = (await c.get('/v1/job/x/allocations')).json as Obj[];
    rec(await c.get(`/v1/allocation/${allocs[0]!.ID}`));
    rec(await c.post(`/_mock/allocation/${allocs[0]!.ID}/state`, { State: 'failed', ExitCode: 2 }));
    rec(await c.post('/_mock/clock/advance', { Duration: '2m' }));
    rec(await c.get('/v1/job/x/allocations'));
    rec(await c.get('/v1/job/x/evaluations'));
    rec(await c.get('/v1/evaluations'));
    return out;
  } finally {
    await c.close();
  }
}

t.test('two servers with the same seed and a manual clock give byte-identical bodies; another seed gives other IDs', async (t) => {
  const a = await scripted('abc');
  const b = await scripted('abc');
  t.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) t.equal(a[i], b[i], `response ${i} is byte-identical`);
  const ids = (lines: string[]): string[] => JSON.parse(lines[4]!.slice(lines[4]!.indexOf(' ', lines[4]!.indexOf(' ') + 1) + 1)).map((x: Obj) => x.ID);
  const other = await scripted('xyz');
  t.equal(ids(a).length, 3);
  t.equal(ids(other).length, 3);
  t.notSame(ids(other), ids(a), 'a different seed gives different alloc IDs');
  t.not(a[0], other[0], 'and a different EvalID on register');
});

// ---------------------------------------------------------------------------------------------
// Persistence
// ---------------------------------------------------------------------------------------------

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-data-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('with a data dir the state survives a restart: jobs and index are back', async (t) => {
  const dir = tempDir(t);
  const first = await started({ dataDir: dir });
  await first.c.register(serviceJob('web', 2));
  await first.c.register(batchJob('report'));
  await first.c.advance(30_000);
  const job = await first.c.get('/v1/job/web');
  const allocs = await first.c.get('/v1/job/web/allocations');
  const jobs = await first.c.get('/v1/jobs');
  const storeIndex = first.mock.store.index;
  await first.c.close();
  t.ok(readdirSync(dir).some((f) => /^wal-\d+\.log$/.test(f)), 'the writes are in the log');
  t.notOk(readdirSync(dir).some((f) => f.includes('.tmp')), 'no temporary file left behind');

  const second = await started({ dataDir: dir });
  t.teardown(second.c.close);
  t.equal(second.mock.store.index, storeIndex, 'the index is back');
  const job2 = await second.c.get('/v1/job/web');
  t.equal(job2.status, 200);
  t.equal(job2.body, job.body, 'the job reads the same');
  t.equal(index(job2), index(job));
  t.equal((await second.c.get('/v1/jobs')).body, jobs.body);
  t.equal((await second.c.get('/v1/job/web/allocations')).body, allocs.body);
  t.equal((await second.c.get('/_mock/ready')).json.Index, storeIndex);

  // It carries on: new writes get later indexes and are placed.
  const reg = await second.c.register(serviceJob('api'));
  t.ok(reg.json.Index > storeIndex);
  await second.c.advance(30_000);
  t.equal((await allocsOf(second.c, 'api'))[0]?.ClientStatus, 'running');
  t.same((await allocsOf(second.c, 'web')).map((a) => a.ClientStatus), ['running', 'running'], 'restored allocs keep running');
});

/** What a server starting on the folder now would load (the folder of a live server, left as it is). */
const onDisk = (dir: string): Obj => recover(dir, { clean: false }).snapshot as unknown as Obj;

t.test('with a data dir, writes, reset and restore are on disk when they are answered (a crash keeps them)', async (t) => {
  const dir = tempDir(t);
  const { c } = await started({ dataDir: dir });
  t.teardown(c.close);
  await c.register(serviceJob('web'));
  t.equal(onDisk(dir).Jobs.length, 1, 'a register is on disk once answered');
  const snap = (await c.get('/_mock/snapshot')).body;

  t.equal((await c.post('/_mock/reset')).status, 200);
  t.equal(onDisk(dir).Jobs.length, 0, 'a reset is on disk once answered');

  const r = await c.put('/_mock/restore', snap);
  t.equal(r.status, 200);
  const restored = onDisk(dir);
  t.equal(restored.Jobs.length, 1, 'a restore is on disk once answered');
  t.equal(restored.Index, r.json.Index, 'at the index the restore answered');

  // "Crash": a second server starts on the folder as the first left it, never closed. It gets a copy:
  // two live servers on one folder would both go on writing its next log file.
  const copy = tempDir(t);
  cpSync(dir, copy, { recursive: true });
  const second = await started({ dataDir: copy });
  t.teardown(second.c.close);
  t.equal((await second.c.get('/v1/job/web')).status, 200, 'the restored job is what a restart sees');
});

t.test('a state.json of before the log is loaded as the base, a leftover tmp removed, and superseded by a checkpoint', async (t) => {
  const first = await started({});
  await first.c.register(serviceJob('web'));
  const jobBody = (await first.c.get('/v1/job/web')).body;
  const snap = (await first.c.get('/_mock/snapshot')).body;
  await first.c.close();
  const dir = tempDir(t);
  writeFileSync(join(dir, 'state.json'), snap);
  // A later whole-file save of the old format was cut off half-way.
  const tmp = join(dir, 'state.json.tmp-123');
  writeFileSync(tmp, snap.slice(0, Math.floor(snap.length / 2)));

  const second = await started({ dataDir: dir });
  t.equal((await second.c.get('/v1/job/web')).body, jobBody, 'the state.json is loaded');
  t.notOk(existsSync(tmp), 'the leftover tmp file is removed');
  await second.mock.persistence!.checkpoint();
  t.notOk(existsSync(join(dir, 'state.json')), 'the first checkpoint replaces state.json');
  t.ok(readdirSync(dir).some((f) => /^checkpoint-\d+\.ckpt$/.test(f)), 'with a checkpoint');
  await second.c.register(serviceJob('api'));
  await second.c.close();

  const third = await started({ dataDir: dir });
  t.teardown(third.c.close);
  t.match((await third.c.get('/v1/job/web')).json, { ID: 'web', JobModifyIndex: JSON.parse(jobBody).JobModifyIndex }, 'the migrated job is still there (the simulator has run it since)');
  t.equal((await third.c.get('/v1/job/api')).status, 200, 'and so is the write after the migration');
});

t.test('a crash during the first save (truncated tmp, no state.json) starts fresh and removes the tmp', async (t) => {
  const dir = tempDir(t);
  const tmp = join(dir, 'state.json.tmp-123');
  writeFileSync(tmp, '{"Format":"nomad-mock/v1","Index":12,"Jobs":[{"ID":"half');
  const { c } = await started({ dataDir: dir });
  t.teardown(c.close);
  const jobs = await c.get('/v1/jobs');
  t.equal(jobs.status, 200);
  t.same(jobs.json, [], 'a fresh state');
  t.notOk(existsSync(tmp), 'the tmp file is removed');
  t.equal((await c.get('/v1/nodes')).json.length, 1, 'with the simulated nodes');
  await c.register(minimalJob('web'));
  await c.close();
  const files = readdirSync(dir);
  t.ok(files.length > 0 && files.every((f) => /^wal-\d{8}\.log$/.test(f)), `the writes go to the log (and nothing else is left): ${files.join(', ')}`);
  t.equal(onDisk(dir).Jobs.length, 1, 'and are there');
});

// ---------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------

t.test('--jobs-dir registers every JSON job file: a bare job object and a {"Job": …} wrapper', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a-bare.json'), JSON.stringify(minimalJob('alpha')));
  writeFileSync(join(dir, 'b-wrapped.json'), JSON.stringify({ Job: minimalJob('beta', { Type: 'batch' }) }));
  writeFileSync(join(dir, 'notes.txt'), 'not a job');
  const { c } = await started({ jobsDir: dir });
  t.teardown(c.close);
  const jobs = (await c.get('/v1/jobs')).json as Obj[];
  t.same(jobs.map((j) => [j.ID, j.Type]), [['alpha', 'service'], ['beta', 'batch']], 'both registered, the other file ignored');
  await c.advance(30_000);
  t.equal((await allocsOf(c, 'alpha'))[0]?.ClientStatus, 'running', 'seeded jobs are scheduled');
  // Reset returns to the seeded state, not to an empty one.
  await c.register(minimalJob('gamma'));
  await c.post('/_mock/reset');
  t.same(((await c.get('/v1/jobs')).json as Obj[]).map((j) => j.ID), ['alpha', 'beta'], 'reset goes back to the seeded jobs');
});

t.test('--jobs-dir registers HCL job files too', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'web.nomad.hcl'), 'job "hcl-web" {\n  group "g" {\n    task "t" {\n      driver = "docker"\n      config {\n        image = "nginx"\n      }\n    }\n  }\n}\n');
  const m = createServer({ logLevel: 'silent', clock: 'manual', jobsDir: dir }, undefined, { simulate: true });
  t.teardown(() => m.app.close());
  await t.resolves(m.init());
  t.equal((await m.app.inject({ url: '/v1/job/hcl-web' })).statusCode, 200);
});

t.test('--jobs-dir with a bad file rejects init() naming the file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a-good.json'), JSON.stringify(minimalJob('alpha')));
  writeFileSync(join(dir, 'b-broken.json'), '{"ID": "beta", ');
  const m = createServer({ logLevel: 'silent', clock: 'manual', jobsDir: dir }, undefined, { simulate: true });
  t.teardown(() => m.app.close());
  await t.rejects(m.init(), { message: /b-broken\.json/ }, 'invalid JSON');

  const dir2 = tempDir(t);
  writeFileSync(join(dir2, 'invalid.json'), JSON.stringify({ ID: 'nogroups' }));
  const m2 = createServer({ logLevel: 'silent', clock: 'manual', jobsDir: dir2 }, undefined, { simulate: true });
  t.teardown(() => m2.app.close());
  await t.rejects(m2.init(), { message: /invalid\.json/ }, 'a job that fails validation');

  const m3 = createServer({ logLevel: 'silent', jobsDir: join(dir2, 'missing') }, undefined, { simulate: false });
  t.teardown(() => m3.app.close());
  await t.rejects(m3.init(), { message: /missing: no such directory/ }, 'a missing folder');
});

t.test('scenario "busy": jobs in namespaces web and data in several states', async (t) => {
  const { c } = await started({ scenario: 'busy' });
  t.teardown(c.close);
  const names = ((await c.get('/v1/namespaces')).json as Obj[]).map((n) => n.Name);
  t.same(names, ['data', 'default', 'web']);
  const jobs = (await c.get('/v1/jobs?namespace=*')).json as Obj[];
  const find = (ns: string, pred: (j: Obj) => boolean): Obj | undefined => jobs.find((j) => j.Namespace === ns && pred(j));
  t.match(find('web', (j) => j.ID === 'web'), { Type: 'service', Status: 'running', Stop: false }, 'a running service');
  t.match((await c.get('/v1/job/web/summary?namespace=web')).json.Summary.frontend, { Running: 2 });
  t.match(find('data', (j) => j.ID === 'report'), { Type: 'batch', Status: 'dead' }, 'a complete batch');
  t.match((await c.get('/v1/job/report/summary?namespace=data')).json.Summary.report, { Complete: 1 });
  t.match(find('data', (j) => j.ID === 'nightly-backup'), { Periodic: true, Status: 'running' }, 'a periodic parent');
  t.ok(find('data', (j) => j.ParentID === 'nightly-backup' && /^nightly-backup\/periodic-\d+$/.test(j.ID)), 'with a periodic child');
  t.match(find('data', (j) => j.ID === 'video-encode'), { ParameterizedJob: true }, 'a parameterized parent');
  t.ok(find('data', (j) => j.ParentID === 'video-encode' && /^video-encode\/dispatch-/.test(j.ID)), 'with a dispatched child');
  t.match(find('web', (j) => j.ID === 'legacy-api'), { Stop: true, Status: 'dead' }, 'a stopped job');
  t.ok(new Set(jobs.map((j) => j.Status)).size >= 2, 'several states');
});

t.test('scenario "empty": no jobs, the simulated nodes only', async (t) => {
  const { c } = await started({ scenario: 'empty' });
  t.teardown(c.close);
  t.same((await c.get('/v1/jobs?namespace=*')).json, []);
  t.equal((await c.get('/v1/nodes')).json.length, 1);
  t.same(((await c.get('/v1/namespaces')).json as Obj[]).map((n) => n.Name), ['default']);
});

t.test('an unknown scenario rejects init() naming the known ones', async (t) => {
  const m = createServer({ logLevel: 'silent', clock: 'manual', scenario: 'nope' }, undefined, { simulate: true });
  t.teardown(() => m.app.close());
  await t.rejects(m.init(), { message: /unknown scenario "nope" \(known: busy, empty\)/ });
  const m2 = createServer({ logLevel: 'silent', clock: 'manual', scenario: '../jobs/service-web' }, undefined, { simulate: true });
  t.teardown(() => m2.app.close());
  await t.rejects(m2.init(), { message: /unknown scenario/ }, 'no path escapes the scenarios folder');
});
