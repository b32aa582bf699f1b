// Reset gives a fresh agent (issue 12): after POST /_mock/reset (or control.reset()) every answer
// equals that of a server just started with the same flags and seed. The same request sequence runs
// against a fresh server and against one used heavily and then reset, over real sockets, and the
// answers are compared byte for byte: status, body and every X-Nomad-* header. Held blocking
// queries and open event streams are answered or ended at the reset.
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer, type NomadMock } from '../src/server.js';
import type { Config } from '../src/config.js';
import { minimalJob } from './helpers.js';
import type { Obj } from '../state/types.js';

interface Answer {
  status: number;
  /** Content-Type and every X-Nomad-* header, names lower-cased. */
  headers: Record<string, string>;
  body: string;
}

const HEADER = /^(x-nomad-|content-type$)/;

function request(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const picked: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) if (HEADER.test(k)) picked[k] = String(v);
        resolve({ status: res.statusCode ?? 0, headers: picked, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** An open event stream: what arrived so far, and whether the server ended it. */
interface OpenStream {
  status: Promise<number>;
  text(): string;
  ended: Promise<void>;
  isEnded(): boolean;
  close(): void;
}

function openStream(port: number, path: string, headers: Record<string, string> = {}): OpenStream {
  let text = '';
  let ended = false;
  let endResolve!: () => void;
  const endedP = new Promise<void>((r) => (endResolve = r));
  let statusResolve!: (n: number) => void;
  const status = new Promise<number>((r) => (statusResolve = r));
  const req = http.request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
    statusResolve(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
    const done = (): void => {
      ended = true;
      endResolve();
    };
    res.on('end', done);
    res.on('close', done);
    res.on('error', () => {});
  });
  req.on('error', () => {
    ended = true;
    endResolve();
  });
  req.end();
  return { status, text: () => text, ended: endedP, isEnded: () => ended, close: () => req.destroy() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Reads an event stream until it has been quiet for a moment (the backlog is replayed at once), then
 * hangs up: the answer is the text that arrived.
 */
async function readStream(port: number, path: string, headers: Record<string, string>): Promise<Answer> {
  const s = openStream(port, path, headers);
  const status = await s.status;
  let last = -1;
  for (let i = 0; i < 60 && s.text().length !== last; i++) {
    last = s.text().length;
    await sleep(100);
  }
  s.close();
  return { status, headers: {}, body: s.text() };
}

async function start(config: Partial<Config>): Promise<{ mock: NomadMock; port: number }> {
  const mock = createServer({ logLevel: 'silent', ...config });
  await mock.init();
  await mock.app.listen({ port: 0, host: '127.0.0.1' });
  return { mock, port: (mock.app.server.address() as AddressInfo).port };
}

async function stop(mock: NomadMock): Promise<void> {
  await mock.app.close();
  const { count, last } = mock.guard;
  if (count > 0) throw new Error(`the simulator guard caught ${count} error(s); last in ${last?.Source}: ${last?.Message}`);
}

const serviceJob = (id: string, count = 1): Obj =>
  minimalJob(id, { TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }] });
const batchJob = (id: string): Obj =>
  minimalJob(id, { Type: 'batch', TaskGroups: [{ Name: 'work', Count: 1, Tasks: [{ Name: 'run', Driver: 'docker', Config: { image: 'busybox' } }] }] });
const periodicJob = (id: string): Obj => ({ ...batchJob(id), Periodic: { Enabled: true, SpecType: 'cron', Spec: '* * * * *' } });

/**
 * The request sequence both servers answer. It reads every list before and after writes, the ACL
 * bootstrap in ACL mode, the event stream, the clock and the control state. IDs it uses come from
 * earlier answers: with --seed they are the same on both servers when reset restored the generator.
 */
async function script(port: number, acl: boolean): Promise<[string, Answer][]> {
  const out: [string, Answer][] = [];
  let token = '';
  const auth = (): Record<string, string> => (token ? { 'X-Nomad-Token': token } : {});
  const rec = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const a = await request(port, method, path, body, auth());
    out.push([`${method} ${path}`, a]);
    return a;
  };
  const stream = async (path: string): Promise<void> => {
    out.push([`stream ${path}`, await readStream(port, path, auth())]);
  };

  await rec('GET', '/v1/jobs');
  if (acl) {
    await rec('GET', '/v1/acl/tokens');
    const boot = await rec('POST', '/v1/acl/bootstrap');
    token = JSON.parse(boot.body).SecretID;
  }
  for (const p of ['/v1/jobs', '/v1/evaluations', '/v1/allocations', '/v1/deployments', '/v1/nodes', '/v1/namespaces', '/v1/node/pools', '/v1/status/leader']) await rec('GET', p);
  if (acl) {
    await rec('GET', '/v1/acl/tokens');
    await rec('GET', '/v1/acl/policies');
  }
  await stream('/v1/event/stream?index=0');
  const nodes = JSON.parse((await rec('GET', '/v1/nodes')).body) as Obj[];
  await rec('GET', `/v1/node/${nodes[0]!.ID}`);
  await rec('GET', '/_mock/clock');
  await rec('GET', '/_mock/faults');
  await rec('GET', '/_mock/leader');
  await rec('GET', '/_mock/ready');

  await rec('PUT', '/v1/jobs', { Job: serviceJob('web', 2) });
  await rec('PUT', '/v1/jobs', { Job: batchJob('report') });
  await rec('PUT', '/v1/jobs', { Job: periodicJob('tick') });
  await rec('POST', '/_mock/clock/advance', { Duration: '30s' });
  for (const p of ['/v1/jobs', '/v1/job/web', '/v1/job/web/allocations', '/v1/job/web/evaluations', '/v1/job/web/summary', '/v1/job/web/deployment', '/v1/evaluations', '/v1/allocations', '/v1/deployments']) {
    await rec('GET', p);
  }
  const allocs = JSON.parse((await rec('GET', '/v1/allocations')).body) as Obj[];
  await rec('GET', `/v1/allocation/${allocs[0]!.ID}`);
  await rec('GET', `/v1/node/${nodes[0]!.ID}/allocations`);

  await rec('PUT', '/v1/namespace/team', { Name: 'team', Description: 'a team' });
  await rec('PUT', '/v1/jobs', { Job: { ...serviceJob('api'), Namespace: 'team' } });
  await rec('POST', '/_mock/clock/advance', { Duration: '10m' });
  await rec('GET', '/v1/namespaces');
  await rec('GET', '/v1/jobs?namespace=*');
  await rec('GET', '/v1/jobs?prefix=tick');
  await rec('GET', '/v1/evaluations?namespace=*');
  if (acl) {
    await rec('PUT', '/v1/acl/policy/readonly', { Name: 'readonly', Rules: 'namespace "default" { policy = "read" }' });
    await rec('POST', '/v1/acl/token', { Name: 'reader', Type: 'client', Policies: ['readonly'] });
    await rec('GET', '/v1/acl/tokens');
  }
  const jobs = await rec('GET', '/v1/jobs');
  await rec('GET', `/v1/jobs?index=${jobs.headers['x-nomad-index']}&wait=100ms`);
  await stream('/v1/event/stream?index=0');
  await stream('/v1/event/stream?topic=Job&index=5');
  await rec('GET', '/_mock/clock');
  await rec('GET', '/_mock/ready');
  // The journal's entries carry wall times, durations and the Host header (the port differs):
  // compare what the suite asserts on.
  const journal = await request(port, 'GET', '/_mock/requests');
  const entries = (JSON.parse(journal.body) as Obj[]).map((e) => [e.ID, e.Method, e.Path, e.Query, e.Status, e.Body]);
  out.push(['journal', { status: journal.status, headers: journal.headers, body: JSON.stringify(entries) }]);
  return out;
}

/** Uses a server heavily: every kind of state a test suite leaves behind before it resets. */
async function useHeavily(t: Test, port: number, acl: boolean): Promise<void> {
  let token = '';
  const auth = (): Record<string, string> => (token ? { 'X-Nomad-Token': token } : {});
  const ok = async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const a = await request(port, method, path, body, auth());
    if (a.status !== 200) t.fail(`${method} ${path}: ${a.status} ${a.body}`);
    return a;
  };
  if (acl) token = JSON.parse((await ok('POST', '/v1/acl/bootstrap')).body).SecretID;
  await ok('PUT', '/v1/jobs', { Job: serviceJob('web', 3) });
  await ok('PUT', '/v1/jobs', { Job: batchJob('old') });
  await ok('PUT', '/v1/jobs', { Job: periodicJob('tick') });
  await ok('PUT', '/v1/namespace/team', { Name: 'team' });
  await ok('PUT', '/v1/namespace/other', { Name: 'other' });
  await ok('PUT', '/v1/jobs', { Job: { ...serviceJob('api'), Namespace: 'other' } });
  await ok('POST', '/_mock/clock/advance', { Duration: '45s' });
  await ok('PUT', '/v1/jobs', { Job: serviceJob('web', 1) });
  await ok('POST', '/_mock/clock/advance', { Duration: '3m' });
  await ok('DELETE', '/v1/job/old?purge=true');
  if (acl) {
    await ok('PUT', '/v1/acl/policy/ops', { Name: 'ops', Rules: 'namespace "*" { policy = "write" }' });
    await ok('POST', '/v1/acl/token', { Name: 'ops', Type: 'client', Policies: ['ops'] });
  }
  // Faults whose dice use the seeded choice stream, then the leader switch and a faster clock.
  await ok('POST', '/_mock/faults', { Method: 'GET', Path: '/v1/deployments', Status: 503, Probability: 0.5 });
  for (let i = 0; i < 5; i++) await request(port, 'GET', '/v1/deployments', undefined, auth());
  await ok('POST', '/_mock/faults', { Path: '/v1/nodes', LatencyMs: 1 });
  await ok('PUT', '/_mock/leader', { Leader: false });
  t.equal((await request(port, 'GET', '/v1/jobs', undefined, auth())).status, 500, 'the used server has no leader');
  await ok('PUT', '/_mock/clock', { Mode: 'scaled', Scale: 1000 });
}

const compare = (t: Test, fresh: [string, Answer][], reset: [string, Answer][]): void => {
  t.equal(reset.length, fresh.length, 'the same number of answers');
  let differing = 0;
  for (let i = 0; i < fresh.length; i++) {
    const [label, f] = fresh[i]!;
    const r = reset[i]![1];
    if (f.status === r.status && f.body === r.body && JSON.stringify(f.headers) === JSON.stringify(r.headers)) continue;
    differing++;
    t.same(r, f, `${label} answers as on a fresh server`);
  }
  t.equal(differing, 0, `all ${fresh.length} answers are byte for byte those of a fresh server`);
};

for (const variant of [
  { name: 'an --acl server reset over HTTP', acl: true, inProcess: false },
  { name: 'a server reset in-process with control.reset()', acl: false, inProcess: true },
  { name: 'a server seeded with --scenario busy, reset over HTTP,', acl: false, inProcess: false, scenario: 'busy' },
] as { name: string; acl: boolean; inProcess: boolean; scenario?: string }[]) {
  t.test(`${variant.name} answers the same request sequence byte for byte as a freshly started one`, async (t) => {
    const config: Partial<Config> = { seed: 'reset-fresh', clock: 'manual', acl: variant.acl, nodes: 2, scenario: variant.scenario ?? '' };
    const fresh = await start(config);
    t.teardown(() => stop(fresh.mock));
    const used = await start(config);
    t.teardown(() => stop(used.mock));

    await useHeavily(t, used.port, variant.acl);
    if (variant.inProcess) used.mock.control.reset();
    else t.equal((await request(used.port, 'POST', '/_mock/reset')).status, 200);
    t.equal(used.mock.clock.pending(), fresh.mock.clock.pending(), 'no timer of the old world is left: as many as on a fresh server');

    const a = await script(fresh.port, variant.acl);
    const b = await script(used.port, variant.acl);
    compare(t, a, b);
    // The sequence checks what it should: the bootstrap's token, the empty tables' index 0, the events.
    const first = (label: string): Answer => a.find(([l]) => l === label)![1];
    if (!variant.scenario) t.equal(first('GET /v1/evaluations').headers['x-nomad-index'], '0', 'an empty table answers X-Nomad-Index 0, as a fresh agent');
    else t.match(first('GET /v1/jobs?namespace=*').body, /"ID":"whoami"/, 'the scenario’s jobs are there');
    t.match(first('stream /v1/event/stream?index=0').body, /"Type":"NodeRegistration"/, 'the start-up node registrations are streamed');
    t.match(first('GET /v1/job/web/allocations').body, /"ClientStatus":"running"/, 'the jobs ran');
    if (variant.acl) t.equal(a[0]![1].status, 403, 'ACL is not bootstrapped: an anonymous list is refused');
  });
}

t.test('a held blocking query is answered and an open event stream ends at the reset (real socket)', async (t) => {
  const { mock, port } = await start({ seed: 'held', clock: 'manual' });
  t.teardown(() => stop(mock));
  const startIndex = mock.store.index;
  await request(port, 'PUT', '/v1/jobs', { Job: serviceJob('web') });
  await mock.clock.advance(30_000);
  const jobs = await request(port, 'GET', '/v1/jobs');
  const evals = await request(port, 'GET', '/v1/evaluations');
  const held = request(port, 'GET', `/v1/jobs?index=${jobs.headers['x-nomad-index']}&wait=5m`);
  const heldEvals = request(port, 'GET', `/v1/evaluations?index=${evals.headers['x-nomad-index']}&wait=5m`);
  const events = openStream(port, '/v1/event/stream?index=0');
  t.equal(await events.status, 200);
  for (let i = 0; i < 100 && (mock.store.watch.waiting() < 2 || !events.text().includes('JobRegistered')); i++) await sleep(20);
  t.equal(mock.store.watch.waiting(), 2, 'both readers are parked');
  t.match(events.text(), /"Type":"JobRegistered"/, 'the stream is live');
  t.notOk(events.isEnded());

  t.same(JSON.parse((await request(port, 'POST', '/_mock/reset')).body), { Index: startIndex });
  const answered = await held;
  t.equal(answered.status, 200, 'the held jobs query is answered');
  t.equal(answered.body, '[]', 'with the fresh state');
  t.equal(answered.headers['x-nomad-index'], '0', 'at the fresh state’s index');
  const answeredEvals = await heldEvals;
  t.equal(answeredEvals.body, '[]');
  t.equal(answeredEvals.headers['x-nomad-index'], '0');
  await events.ended;
  t.pass('the event stream ended, as a restarted agent drops it');
  t.equal(mock.store.watch.waiting(), 0, 'nobody waits on an index of the old world');

  const again = await readStream(port, '/v1/event/stream?index=0', {});
  t.notMatch(again.body, /JobRegistered|"web"/, 'a new stream replays nothing from before the reset');
  t.match(again.body, /"Type":"NodeRegistration"/, 'but the start-up events again');
  const firstBatch = JSON.parse(again.body.split('\n').find((l) => l.includes('"Events"'))!);
  t.equal(firstBatch.Index, startIndex, 'at their start-up index');
});

t.test('a namespace reset is a write in the running world: the index moves on, event streams stay open', async (t) => {
  const { mock, port } = await start({ seed: 'ns', clock: 'manual' });
  t.teardown(() => stop(mock));
  await request(port, 'PUT', '/v1/namespace/team', { Name: 'team' });
  await request(port, 'PUT', '/v1/jobs', { Job: { ...serviceJob('api'), Namespace: 'team' } });
  await request(port, 'PUT', '/v1/jobs', { Job: serviceJob('web') });
  await mock.clock.advance(30_000);
  const events = openStream(port, '/v1/event/stream?index=0');
  await events.status;
  const before = mock.store.index;
  const r = await request(port, 'POST', '/_mock/reset', { Namespace: 'team' });
  t.equal(r.status, 200);
  t.same(JSON.parse(r.body), { Index: before + 1 }, 'one new write');
  t.equal((await request(port, 'GET', '/v1/namespace/team')).status, 404, 'a namespace made after start-up is gone');
  t.equal((await request(port, 'GET', '/v1/jobs?namespace=team')).body, '[]', 'with its jobs');
  const jobs = await request(port, 'GET', '/v1/jobs');
  t.same((JSON.parse(jobs.body) as Obj[]).map((j) => j.ID), ['web'], 'other namespaces keep their jobs');
  t.equal(Number(jobs.headers['x-nomad-index']), before + 1, 'the jobs table moved forward');
  t.equal((await request(port, 'GET', '/v1/allocations?namespace=team')).body, '[]');
  t.equal((await request(port, 'GET', '/v1/job/web/allocations')).body.includes('"running"'), true, 'the other job still runs');

  await request(port, 'PUT', '/v1/jobs', { Job: serviceJob('after') });
  for (let i = 0; i < 100 && !events.text().includes('"after"'); i++) await sleep(20);
  t.match(events.text(), /"ID":"after"/, 'an open stream goes on with later writes');
  t.notOk(events.isEnded());
  events.close();

  const unknown = await request(port, 'POST', '/_mock/reset', { Namespace: 'nope' });
  t.equal(unknown.status, 404);
  t.same(JSON.parse(unknown.body), { Error: 'namespace "nope" not found: it exists neither now nor at start-up' });
});

t.test('reset takes the clock back: manual to its start, a scaled clock to its start-up instant, mode and scale as configured', async (t) => {
  const { mock, port } = await start({ clock: 'manual', clockStart: '2030-05-01T00:00:00Z' });
  t.teardown(() => stop(mock));
  const at = JSON.parse((await request(port, 'GET', '/_mock/clock')).body);
  await request(port, 'POST', '/_mock/clock/advance', { Duration: '5h' });
  await request(port, 'PUT', '/_mock/clock', { Mode: 'scaled', Scale: 5000 });
  await request(port, 'POST', '/_mock/reset');
  t.same(JSON.parse((await request(port, 'GET', '/_mock/clock')).body), at, 'manual, at --clock-start');

  const scaled = await start({ clock: 'scaled', timeScale: 1, clockStart: '2030-05-01T00:00:00Z' });
  t.teardown(() => stop(scaled.mock));
  await request(scaled.port, 'POST', '/_mock/clock/advance', { Duration: '24h' });
  await request(scaled.port, 'PUT', '/_mock/clock', { Mode: 'manual' });
  await request(scaled.port, 'POST', '/_mock/reset');
  const now = JSON.parse((await request(scaled.port, 'GET', '/_mock/clock')).body);
  t.equal(now.Mode, 'scaled');
  t.equal(now.Scale, 1);
  const ms = Date.parse(now.Now);
  t.ok(ms >= Date.parse('2030-05-01T00:00:00Z') && ms < Date.parse('2030-05-01T01:00:00Z'), `back near the start-up instant (${now.Now}), running again`);
});

t.test('reset clears faults, the leader switch and the journal, whose IDs start at 1 again', async (t) => {
  const { mock, port } = await start({});
  t.teardown(() => stop(mock));
  await request(port, 'POST', '/_mock/faults', { Path: '/v1/jobs', Status: 500 });
  await request(port, 'PUT', '/_mock/leader', { Leader: false });
  await request(port, 'GET', '/v1/nodes');
  await request(port, 'POST', '/_mock/reset');
  t.equal((await request(port, 'GET', '/_mock/faults')).body, '[]');
  t.equal((await request(port, 'GET', '/_mock/leader')).body, '{"Leader":true}');
  t.equal((await request(port, 'GET', '/_mock/requests')).body, '[]', 'the reset itself is not journaled (no control request is)');
  t.equal((await request(port, 'GET', '/v1/jobs')).status, 200);
  const journal = JSON.parse((await request(port, 'GET', '/_mock/requests')).body) as Obj[];
  t.same(journal.map((e) => [e.ID, e.Path]), [[1, '/v1/jobs']]);
  const fault = JSON.parse((await request(port, 'POST', '/_mock/faults', { Path: '/v1/x', Status: 500 })).body);
  t.equal(fault.ID, '1', 'fault IDs start over too');
});

t.test('a restore also ends open event streams and answers held queries; a new stream replays nothing of the replaced state', async (t) => {
  const { mock, port } = await start({ seed: 'restore', clock: 'manual' });
  t.teardown(() => stop(mock));
  const snap = (await request(port, 'GET', '/_mock/snapshot')).body;
  await request(port, 'PUT', '/v1/jobs', { Job: serviceJob('web') });
  const jobs = await request(port, 'GET', '/v1/jobs');
  const held = request(port, 'GET', `/v1/jobs?index=${jobs.headers['x-nomad-index']}&wait=5m`);
  const events = openStream(port, '/v1/event/stream?index=0');
  t.equal(await events.status, 200);
  for (let i = 0; i < 100 && (mock.store.watch.waiting() < 1 || !events.text().includes('JobRegistered')); i++) await sleep(20);
  const restored = await request(port, 'PUT', '/_mock/restore', JSON.parse(snap));
  t.equal(restored.status, 200);
  const answered = await held;
  t.equal(answered.body, '[]', 'the held query answers with the restored state');
  t.ok(Number(answered.headers['x-nomad-index']) > Number(jobs.headers['x-nomad-index']), 'at an index past every earlier one (a restore never goes back)');
  await events.ended;
  t.pass('the stream ended');
  const again = await readStream(port, '/v1/event/stream?index=0', {});
  t.equal(again.body, '{}\n', 'a new stream has only its heartbeat');
});

t.test('a reset during a long clock advance stops the advance: the clock stays at its start', async (t) => {
  const { mock, port } = await start({ seed: 'advance', clock: 'manual' });
  t.teardown(() => stop(mock));
  const at = (await request(port, 'GET', '/_mock/clock')).body;
  await request(port, 'PUT', '/v1/jobs', { Job: periodicJob('tick') });
  // A launch a minute for ten hours: the advance steps through them one turn at a time.
  const advance = mock.control.advance(10 * 3600_000);
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  mock.control.reset();
  const result = await advance;
  t.ok(Date.parse(result.Now!) < Date.parse(JSON.parse(at).Now) + 10 * 3600_000, 'the advance did not reach its target');
  t.equal((await request(port, 'GET', '/_mock/clock')).body, at, 'the clock is at its start');
  t.equal((await request(port, 'GET', '/v1/jobs?prefix=tick')).body, '[]', 'and no launch of the old world came after the reset');
});
