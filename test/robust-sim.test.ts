// The simulator survives what clients do to the objects it works on (issue 10, findings 1 and 5):
// allocs that leave the store while their runners have timers pending, callbacks that throw, and
// clock values at and beyond what simulated time can represent.
import t, { type Test } from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, simClient, type Client, type Res } from './helpers.js';
import { createServer } from '../src/server.js';
import { MAX_SIM_MS } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import type { Obj } from '../state/types.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const JS_ERROR = /Cannot read properties|is not a function|is not defined|Invalid time value|RangeError|TypeError/;

function mockJob(id: string, type: string, config: Obj = { run_for: '5s' }): Obj {
  return { ID: id, Type: type, TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'mock_driver', Config: config }] }] };
}

async function allocsOf(c: Client, job: string): Promise<Obj[]> {
  return (await c.get(`/v1/job/${job}/allocations`)).json as Obj[];
}

async function health(c: Client): Promise<Obj> {
  const r = await c.get('/_mock/health');
  return r.json as Obj;
}

/** The server still answers reads and writes, and the guard caught nothing. */
async function stillServing(t: Test, c: Client, what: string): Promise<void> {
  const h = await health(c);
  t.same(h, { Status: 'ok', Errors: { Count: 0, Last: null } }, `${what}: health reports no caught errors`);
  const reg = await c.register(mockJob(`after-${Math.random().toString(36).slice(2, 8)}`, 'service', {}));
  t.equal(reg.status, 200, `${what}: a later register is answered`);
  t.equal((await c.get('/v1/jobs')).status, 200, `${what}: a later read is answered`);
}

function isControlError(t: Test, r: Res, pattern: RegExp, what: string): void {
  t.equal(r.status, 400, `${what}: status`);
  t.match(r.json, { Error: pattern }, `${what}: names the limit`);
  t.notMatch(r.body, JS_ERROR, `${what}: no JavaScript error text`);
}

// -------------------------------------------------------------------------------------------------
// Finding 1: an alloc leaving the store takes its runner's timers with it
// -------------------------------------------------------------------------------------------------

for (const type of ['service', 'batch']) {
  t.test(`purging a ${type} job whose mock_driver task is starting leaves no timer to fire (scaled clock, real wait)`, async (t) => {
    const c = await client({ simulate: true });
    t.teardown(c.close);
    t.equal((await c.register(mockJob('p1', type))).status, 200);
    await sleep(10);
    t.equal((await c.del('/v1/job/p1?purge=true')).status, 200);
    // ×100: 600 ms of wall time is a minute of simulated time, well past pickup, start and run_for.
    await sleep(600);
    t.equal(c.mock.sim!.client.size, 0, 'no runner outlives its alloc');
    await stillServing(t, c, 'after the purge');
  });

  t.test(`purging a ${type} job with a running task, then advancing the manual clock, answers 200`, async (t) => {
    const c = await simClient();
    t.teardown(c.close);
    t.equal((await c.register(mockJob('p1', type))).status, 200);
    await c.advance(0);
    await c.advance(1000);
    t.equal((await allocsOf(c, 'p1'))[0]!.ClientStatus, 'running', 'the task runs (5 s run_for pending)');
    t.equal((await c.del('/v1/job/p1?purge=true')).status, 200);
    t.equal(c.mock.sim!.client.size, 0, 'the purge took the runner with its alloc');
    const adv = await c.post('/_mock/clock/advance', { Duration: '1m' });
    t.equal(adv.status, 200, 'the next advance fires nothing for the gone alloc');
    t.notMatch(adv.body, JS_ERROR);
    await stillServing(t, c, 'after the advance');
  });
}

t.test('purging a job while its alloc is only placed (pickup pending) leaves nothing behind', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  // The core GC's tickers are the only timers of an idle cluster.
  const idle = c.mock.clock.pending();
  await c.register(mockJob('p1', 'batch'));
  await c.advance(0);
  t.equal((await allocsOf(c, 'p1'))[0]!.ClientStatus, 'pending');
  await c.del('/v1/job/p1?purge=true');
  await c.advance(0);
  t.equal(c.mock.clock.pending(), idle, 'no timer is left on the clock for the purged job');
  t.equal((await c.post('/_mock/clock/advance', { Duration: '10m' })).status, 200);
  await stillServing(t, c, 'after the purge');
});

t.test('reset while tasks are starting and running: the next advance answers 200', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(mockJob('svc', 'service'));
  await c.register(mockJob('bat', 'batch', { run_for: '30s' }));
  await c.advance(0);
  await c.advance(1000);
  t.equal((await c.post('/_mock/reset')).status, 200);
  t.equal(c.mock.sim!.client.size, 0, 'the reset took every runner with the allocs');
  t.equal((await c.post('/_mock/clock/advance', { Duration: '1h' })).status, 200);
  await stillServing(t, c, 'after the reset');
});

t.test('reset on the scaled clock while tasks run: nothing fires for the gone allocs', async (t) => {
  const c = await client({ simulate: true });
  t.teardown(c.close);
  await c.register(mockJob('svc', 'service'));
  await sleep(10);
  t.equal((await c.post('/_mock/reset', { Namespace: 'default' })).status, 200);
  await sleep(600);
  await stillServing(t, c, 'after the namespace reset');
});

t.test('restoring an older snapshot while tasks run: runners of the vanished allocs stop', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const before = (await c.get('/_mock/snapshot')).json;
  await c.register(mockJob('svc', 'service'));
  await c.register(mockJob('bat', 'batch'));
  await c.advance(0);
  await c.advance(500);
  t.ok(c.mock.sim!.client.size > 0, 'runners are at work');
  t.equal((await c.put('/_mock/restore', before)).status, 200);
  t.equal(c.mock.sim!.client.size, 0, 'none survives the restore');
  t.equal((await c.post('/_mock/clock/advance', { Duration: '1h' })).status, 200);
  await stillServing(t, c, 'after the restore');
});

t.test('a forced-lost alloc, then a purge: the replacement and the lost alloc leave no timers', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(mockJob('svc', 'service'));
  await c.advance(0);
  await c.advance(1000);
  const [alloc] = await allocsOf(c, 'svc');
  t.equal((await c.post(`/_mock/allocation/${alloc!.ID}/state`, { State: 'lost' })).status, 200);
  await c.advance(0);
  t.equal((await allocsOf(c, 'svc')).length, 2, 'a replacement was placed');
  await c.advance(100);
  t.equal((await c.del('/v1/job/svc?purge=true')).status, 200);
  t.equal(c.mock.sim!.client.size, 0);
  t.equal((await c.post('/_mock/clock/advance', { Duration: '1h' })).status, 200);
  await stillServing(t, c, 'after the forced loss and purge');
});

t.test('an alloc removed without any notice (as a GC might) is noticed by its runner when a timer fires', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(mockJob('svc', 'service'));
  await c.advance(0);
  await c.advance(1000);
  const [alloc] = await allocsOf(c, 'svc');
  // Straight out of the table: no event, no write, nothing tells the simulator.
  c.mock.store.allocs.delete(alloc!.ID);
  t.equal((await c.post('/_mock/clock/advance', { Duration: '1m' })).status, 200);
  t.equal(c.mock.sim!.client.runner(alloc!.ID), undefined, 'the runner dropped itself when its next timer found no alloc');
  t.equal((await health(c)).Errors.Count, 0);
});

// -------------------------------------------------------------------------------------------------
// The guard
// -------------------------------------------------------------------------------------------------

t.test('a throwing timer callback is caught, counted, logged and shown on /_mock/health; the server keeps serving', async (t) => {
  const c = await simClient();
  t.teardown(async () => {
    c.mock.guard.reset();
    await c.close();
  });
  const logged: Obj[] = [];
  c.mock.guard.logger = { error: (obj, msg) => void logged.push({ ...obj, msg }) };
  c.mock.clock.after(10, () => {
    throw new Error('boom in a timer');
  }, 'test timer');
  let ran = false;
  c.mock.clock.after(10, () => void (ran = true));
  const adv = await c.post('/_mock/clock/advance', { Milliseconds: 20 });
  t.equal(adv.status, 200, 'the advance that fired it still answers 200');
  t.notMatch(adv.body, /boom/);
  t.ok(ran, 'the next timer due at the same time still ran');
  const h = await health(c);
  t.match(h, { Status: 'ok', Errors: { Count: 1, Last: { Source: 'test timer', Message: 'boom in a timer' } } });
  t.ok(!Number.isNaN(Date.parse(h.Errors.Last.Time)), 'Last.Time is an RFC 3339 time');
  t.equal(logged.length, 1, 'logged once');
  t.match(logged[0], { source: 'test timer', msg: /boom in a timer/ });
  t.ok((logged[0]!.err as Error).stack, 'the log entry carries the stack');
  t.equal((await c.register(mockJob('later', 'service', {}))).status, 200, 'writes still work');
});

t.test('a throwing callback on the scaled clock does not kill the process', async (t) => {
  const c = await client({ simulate: true });
  t.teardown(async () => {
    c.mock.guard.reset();
    await c.close();
  });
  c.mock.clock.after(100, () => {
    throw new TypeError("Cannot read properties of undefined (reading 'Job')");
  });
  await sleep(50);
  t.equal((await health(c)).Errors.Count, 1);
  t.equal((await c.get('/v1/jobs')).status, 200);
});

t.test('a failing reaction to a write neither fails the write nor skips the other reactions', async (t) => {
  const c = await simClient();
  t.teardown(async () => {
    c.mock.guard.reset();
    await c.close();
  });
  const periodic = c.mock.sim!.periodic;
  periodic.onJob = () => {
    throw new Error('reaction failed');
  };
  const reg = await c.register(mockJob('svc', 'service', {}));
  t.equal(reg.status, 200, 'the register is answered as committed');
  t.notMatch(reg.body, /reaction failed/);
  await c.advance(0);
  t.equal((await allocsOf(c, 'svc')).length, 1, 'the eval reaction of the same write still ran');
  const { Errors } = await health(c);
  t.ok(Errors.Count >= 1, 'counted (once per job write: the scheduler writes the job too)');
  t.match(Errors.Last, { Source: 'simulator reaction to Job', Message: 'reaction failed' });
});

t.test('one eval the scheduler fails on does not hold up the evals queued behind it', async (t) => {
  const c = await simClient();
  t.teardown(async () => {
    c.mock.guard.reset();
    await c.close();
  });
  const sched = c.mock.sim!.scheduler;
  const process = sched.process.bind(sched);
  let first = true;
  sched.process = (id: string) => {
    if (first) {
      first = false;
      throw new Error('scheduler bug');
    }
    process(id);
  };
  await c.register(mockJob('a', 'service', {}));
  await c.register(mockJob('b', 'service', {}));
  await c.advance(0);
  t.equal((await allocsOf(c, 'b')).length, 1, 'the second eval was processed');
  t.match((await health(c)).Errors, { Count: 1, Last: { Source: 'scheduler', Message: 'scheduler bug' } });
});

t.test('a failing log append answers 500 (never 200 for a write not on disk), is counted, and the server keeps serving', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-guard-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const mock = createServer({ logLevel: 'silent', clock: 'manual', dataDir: join(dir, 'data') }, undefined, { simulate: false });
  await mock.init();
  await mock.app.ready();
  const io = mock.persistence!.io;
  const healthy = { ...io };
  // A disk whose writes (through O_DSYNC, they are the sync) and syncs fail.
  io.write = (_fd, _buf, _pos, cb) => cb(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
  io.sync = (_fd, cb) => cb(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  const reg = await mock.app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: mockJob('svc', 'service', {}) } });
  t.equal(reg.statusCode, 500, 'the write is not acknowledged');
  t.equal(reg.body, 'rpc error: internal error', "with Nomad's internal error text");
  t.notOk(reg.headers['x-nomad-index'], 'and no index');
  t.match(mock.guard.last, { Source: 'persistence', Message: /EIO/ });
  t.equal(mock.guard.count, 1, 'counted once');
  t.equal((await mock.app.inject({ method: 'GET', url: '/v1/jobs' })).statusCode, 200, 'still serving');

  Object.assign(io, healthy);
  const again = await mock.app.inject({ method: 'PUT', url: '/v1/jobs', payload: { Job: mockJob('api', 'service', {}) } });
  t.equal(again.statusCode, 200, 'the next write, once the disk works, is acknowledged');
  // A restart sees it, and the earlier write too: it is rewritten into a new log file.
  const second = createServer({ logLevel: 'silent', clock: 'manual', dataDir: join(dir, 'data') }, undefined, { simulate: false });
  await second.init();
  t.same([...second.store.jobs.values()].map((j) => j.ID).sort(), ['api', 'svc']);
  await second.app.close();
  await mock.app.close();
});

t.test("the test helpers' close() fails a test that leaves a caught error", async (t) => {
  const c = await simClient();
  c.mock.clock.after(0, () => {
    throw new Error('left behind');
  });
  await c.advance(0);
  await t.rejects(c.close(), /guard caught 1 error.*left behind/);
});

// -------------------------------------------------------------------------------------------------
// Finding 5: clock values
// -------------------------------------------------------------------------------------------------

const LIMIT = '2262-01-01T00:00:00Z';

t.test('PUT /_mock/clock with a Scale outside 1e-6..1e9 is a 400 naming the range; the clock is unchanged', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(mockJob('svc', 'service'));
  for (const scale of [1e308, 1e10, 1e-7, 5e-324]) {
    isControlError(t, await c.put('/_mock/clock', { Mode: 'scaled', Scale: scale }), /Scale must be between 0\.000001 and 1000000000/, `Scale ${scale}`);
  }
  const clock = await c.get('/_mock/clock');
  t.match(clock.json, { Mode: 'manual', Scale: 100 }, 'mode and scale unchanged');
  t.equal((await c.put('/_mock/clock', { Mode: 'scaled', Scale: 1e9 })).status, 200, 'the upper limit itself is accepted');
  t.equal((await c.put('/_mock/clock', { Mode: 'manual', Scale: 1e-6 })).status, 200, 'and the lower one');
  await sleep(20);
  t.equal((await c.get('/_mock/clock')).status, 200);
  await stillServing(t, c, 'after the scale changes');
});

t.test('advance past 2262-01-01 is a 400 naming the limit, and the clock keeps answering', async (t) => {
  const c = await simClient({ clockStart: '2025-01-01T00:00:00Z' });
  t.teardown(c.close);
  const before = (await c.get('/_mock/clock')).json;
  isControlError(t, await c.post('/_mock/clock/advance', { Milliseconds: 1e16 }), new RegExp(`Milliseconds: simulated time cannot pass ${LIMIT}`), 'Milliseconds 1e16');
  isControlError(t, await c.post('/_mock/clock/advance', { Duration: '2562047h' }), new RegExp(`Duration: simulated time cannot pass ${LIMIT}`), 'Duration 2562047h');
  isControlError(t, await c.post('/_mock/clock/advance', { Milliseconds: 1.7976931348623157e308 }), /Milliseconds/, 'Milliseconds max double');
  const after = await c.get('/_mock/clock');
  t.equal(after.status, 200, 'GET /_mock/clock still answers');
  t.same(after.json, before, 'time did not move');
  await stillServing(t, c, 'after the refused advances');
});

t.test('advancing exactly to the limit works; time then stands there and NowNs fits an int64', async (t) => {
  const c = await simClient({ clockStart: '2262-01-01T00:00:00Z' });
  t.teardown(c.close);
  t.match((await c.get('/_mock/clock')).json, { Now: LIMIT, NowNs: MAX_SIM_MS * 1e6 }, 'a start at the limit is kept');
  isControlError(t, await c.post('/_mock/clock/advance', { Milliseconds: 1 }), /at most 0 ms from now/, 'one more millisecond');
  const c2 = await simClient({ clockStart: '2261-12-31T00:00:00Z' });
  t.teardown(c2.close);
  await c2.register(mockJob('svc', 'service'));
  const adv = await c2.post('/_mock/clock/advance', { Duration: '24h' });
  t.equal(adv.status, 200);
  t.match(adv.json, { Now: LIMIT, NowNs: MAX_SIM_MS * 1e6 });
  t.ok(BigInt(adv.body.match(/"NowNs":(\d+)/)![1]!) < 2n ** 63n, 'NowNs as written is a valid int64');
  t.equal((await c2.get(`/v1/job/svc/allocations`)).status, 200, 'alloc times at the limit render');
  await stillServing(t, c2, 'at the limit');
});

t.test('the scaled clock stops at the limit instead of running past what a Date can hold', async (t) => {
  const c = await client({ simulate: true, config: { clockStart: '2261-12-31T23:59:00Z', timeScale: 1e9 } });
  t.teardown(c.close);
  await c.register(mockJob('svc', 'service'));
  await sleep(50);
  const clock = await c.get('/_mock/clock');
  t.equal(clock.status, 200);
  t.match(clock.json, { Mode: 'scaled', Now: LIMIT });
  t.equal((await c.get('/v1/job/svc/allocations')).status, 200);
  await stillServing(t, c, 'at the limit on the scaled clock');
});

t.test('a century-long advance with a restarting service alloc returns, says what it coalesced, and stays bounded', async (t) => {
  const c = await simClient({ clockStart: '2025-01-01T00:00:00Z' });
  t.teardown(c.close);
  // Runs 5 s, exits, restarts, fails, is rescheduled: without coalescing that repeats ~900,000 times a century.
  await c.register(mockJob('svc', 'service'));
  await c.advance(0);
  const adv = await c.post('/_mock/clock/advance', { Duration: '876000h' });
  t.equal(adv.status, 200);
  t.match(adv.json, {
    Now: '2124-12-08T00:00:00Z',
    Skipped: { From: /^20\d\d-/, Until: '2124-12-08T00:00:00Z', Message: /coalesced/ },
  });
  const allocs = await allocsOf(c, 'svc');
  t.ok(allocs.length < 5000, `bounded state: ${allocs.length} allocs`);
  t.ok(c.mock.clock.pending() < 100, `bounded timers: ${c.mock.clock.pending()} pending`);
  const small = await c.post('/_mock/clock/advance', { Duration: '1m' });
  t.equal(small.json.Skipped, undefined, 'a short advance after it steps through every timer again');
  await stillServing(t, c, 'after the long advance');
});

t.test('a long advance with a per-second periodic job launches within the step budget, then once for the rest', async (t) => {
  // Children are counted as listed jobs, so the core GC must not collect them within the year.
  const c = await simClient({ clockStart: '2025-01-01T00:00:00Z', jobGcThreshold: '100000h' });
  t.teardown(c.close);
  const job = { ...mockJob('tick', 'batch', { run_for: '100ms' }), Periodic: { Spec: '* * * * * * *', SpecType: 'cron', ProhibitOverlap: false } };
  t.equal((await c.register(job)).status, 200);
  const adv = await c.post('/_mock/clock/advance', { Duration: '8760h' });
  t.equal(adv.status, 200);
  t.ok(adv.json.Skipped, 'the reply says the tail was coalesced');
  const children = ((await c.get('/v1/jobs?prefix=tick/periodic-')).json as Obj[]).length;
  t.ok(children > 100 && children < 5000, `launches bounded: ${children}`);
  t.equal(c.mock.clock.pending() < 100, true, 'bounded timers');
  await stillServing(t, c, 'after a year of per-second launches');
});

t.test('--time-scale and --clock-start outside the representable range stop start-up with the limit', async (t) => {
  t.throws(() => loadConfig(['--time-scale', '10000000000'], {}), /time scale must be between 0.000001 and 1000000000/);
  t.throws(() => loadConfig([], { NOMAD_MOCK_TIME_SCALE: '0.0000001' }), /time scale must be between/);
  t.throws(() => loadConfig(['--clock-start', '3000-01-01T00:00:00Z'], {}), /must start between 1970-01-01T00:00:00Z and 2262-01-01T00:00:00Z/);
  t.match(loadConfig(['--time-scale', '1000000000', '--clock-start', '2262-01-01T00:00:00Z'], {}), { timeScale: 1e9, clockStart: '2262-01-01T00:00:00Z' });
});
