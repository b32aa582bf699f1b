// How client alloc updates reach the state (src/sim/alloc-sync.ts), as Nomad's clients and server
// batch them: each client sends its queued updates on its 200 ms sync tick (client.go allocSync),
// the server applies the calls of 50 ms in one write (node_endpoint.go batchUpdate,
// state_store.go UpdateAllocsFromClient). On the manual clock, from its start.
import t from 'tap';
import { simClient, minimalJob, index, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

/** Mock-driver tasks start 50 ms after pickup (itself 50 ms after placement); run_for 1h keeps them running. */
const mockJob = (id: string, count: number, config: Obj = { run_for: '1h' }, group: Obj = {}): Obj =>
  minimalJob(id, { TaskGroups: [{ Name: 'g', Count: count, ...group, Tasks: [{ Name: 't', Driver: 'mock_driver', Config: config }] }] });

async function allocsOf(c: Client, job: string): Promise<Obj[]> {
  const stubs = (await c.get(`/v1/job/${job}/allocations`)).json as Obj[];
  return Promise.all(stubs.map(async (s) => (await c.get(`/v1/allocation/${s.ID}`)).json as Obj));
}

t.test('the allocs\' client updates land together at the tick + 50 ms, in one write, with only each alloc\'s newest state', async (t) => {
  const c = await simClient({ nodes: 3 });
  t.teardown(c.close);
  const written: { index: number; events: string[] }[] = [];
  c.mock.store.subscribe((i, evs) => written.push({ index: i, events: evs.filter((e) => e.Topic === 'Allocation').map((e) => `${e.Type} ${e.Key}`) }));
  const t0 = c.mock.clock.nowMs();
  await c.register(mockJob('web', 3));
  await c.advance(0);
  const placed = await allocsOf(c, 'web');
  t.equal(placed.length, 3);
  const planIndex = placed[0]!.ModifyIndex as number;
  const before = written.length;

  // Picked up at 50 ms and started at 100 ms on the clients; nothing reaches the state before 250 ms.
  await c.advance(249);
  t.equal(written.length, before, 'no write before the batch');
  t.ok((await allocsOf(c, 'web')).every((a) => a.TaskStates === undefined || a.TaskStates === null));

  await c.advance(1);
  t.equal(written.length, before + 1, 'one write for the three allocs');
  const batch = written.at(-1)!;
  t.same(batch.events.sort(), placed.map((a) => `AllocationUpdated ${a.ID}`).sort(), 'each alloc once, as AllocationUpdated');
  const after = await allocsOf(c, 'web');
  for (const a of after) {
    t.match(a, { ClientStatus: 'running', ModifyIndex: batch.index, AllocModifyIndex: planIndex });
    // Received and Started happened before the same tick: the server never saw the pending state.
    t.same((a.TaskStates.t.Events as Obj[]).map((e) => e.Type), ['Received', 'Task Setup', 'Started']);
    t.equal(a.ModifyTime, (t0 + 200) * 1e6, 'ModifyTime: when the server took the update (the tick), not the batch');
  }
  const summary = await c.get('/v1/job/web/summary');
  t.match(summary.json, { Summary: { g: { Running: 3, Starting: 0 } }, ModifyIndex: batch.index });
  t.equal(index(await c.get('/v1/allocations')), batch.index);
});

t.test('a client whose node is down at its tick is refused: the update never reaches the state', async (t) => {
  const c = await simClient({ nodes: 1 });
  t.teardown(c.close);
  await c.register(mockJob('web', 1));
  await c.advance(100);
  const [a] = await allocsOf(c, 'web');
  t.equal(a!.TaskStates, undefined, 'running on the client, not yet on the server');
  t.equal((await c.post(`/_mock/node/${a!.NodeID}/down`)).status, 200);
  await c.advance(1000);
  const [lost] = await allocsOf(c, 'web');
  t.match(lost, { ClientStatus: 'lost' });
  t.equal(lost!.TaskStates, undefined, 'Node.UpdateAlloc refuses a node that is down');
});

t.test('failed allocs of one job in one batch get one alloc-failure eval, written with them', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  // No run_for: the task exits at once with exit_code 1; no restarts → failed at 100 ms.
  await c.register(mockJob('flaky', 2, { exit_code: 1 }, { RestartPolicy: { Attempts: 0, Mode: 'fail' } }));
  await c.advance(0);
  await c.advance(250);
  const allocs = await allocsOf(c, 'flaky');
  t.same(allocs.map((a) => a.ClientStatus), ['failed', 'failed']);
  t.equal(allocs[0]!.ModifyIndex, allocs[1]!.ModifyIndex, 'one batch');
  const failure = ((await c.get('/v1/job/flaky/evaluations')).json as Obj[]).filter((e) => e.TriggeredBy === 'alloc-failure');
  t.equal(failure.length, 1, 'evalsByJobId: one eval per job in a batch');
  t.equal(failure[0]!.CreateIndex, allocs[0]!.ModifyIndex, 'in the batch\'s write');
});

t.test('reset drops the queued updates: nothing of the old world lands in the new one', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(mockJob('web', 2));
  await c.advance(100);
  t.equal((await c.post('/_mock/reset')).status, 200);
  const fresh = c.mock.store.index;
  await c.advance(1000);
  t.equal(c.mock.store.index, fresh, 'no write after the reset');
  t.same((await c.get('/v1/allocations')).json, []);
});

t.test('the client answers from its own newest state; a forced state is written at once', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(mockJob('web', 1));
  await c.advance(100);
  const [a] = await allocsOf(c, 'web');
  t.equal(a!.TaskStates, undefined, 'the server has not heard from the client yet');
  const ls = await c.get(`/v1/client/fs/ls/${a!.ID}?path=alloc`);
  t.equal(ls.status, 200, 'the client has the alloc and its directory');
  const forced = await c.post(`/_mock/allocation/${a!.ID}/state`, { State: 'failed', ExitCode: 3 });
  t.equal(forced.status, 200);
  t.match(forced.json, { ClientStatus: 'failed' });
  t.match((await c.get(`/v1/allocation/${a!.ID}`)).json, { ClientStatus: 'failed' });
  const idx = c.mock.store.index;
  await c.advance(1000);
  t.match((await c.get(`/v1/allocation/${a!.ID}`)).json, { ClientStatus: 'failed' }, 'no older queued update overwrites it');
  t.ok(c.mock.store.index >= idx);
});

t.test('the reactions to a batch write of N allocs take one clock timer, and every runner and the watcher still see their alloc', async (t) => {
  const c = await simClient({ nodes: 3 });
  t.teardown(c.close);
  await c.register(mockJob('web', 4, { run_for: '1h' }, { Update: { MinHealthyTime: 1e9, HealthyDeadline: 60e9, ProgressDeadline: 120e9 } }));
  await c.advance(0);
  const clock = c.mock.clock;
  const armed: string[] = [];
  const after = clock.after.bind(clock);
  clock.after = (ms, fn, source) => {
    armed.push(source ?? '');
    return after(ms, fn, source);
  };
  t.teardown(() => void (clock.after = after));
  let inBatch = -1;
  c.mock.store.subscribe((_i, evs) => {
    if (evs.filter((e) => e.Topic === 'Allocation' && e.Type === 'AllocationUpdated').length === 4) inBatch = armed.length;
  });
  await c.advance(250);
  t.not(inBatch, -1, 'the four client updates landed in one write');
  // The write's reactions run inside the subscriber loop: the timers armed from the batch on.
  t.equal(armed.filter((s) => s === 'deployment watcher').length, 1, 'one deferred reaction timer for the four allocs');
  // Every runner saw its running alloc: health comes 1 s later for all four, in one batch write.
  await c.advance(1000);
  await c.advance(200);
  const allocs = await allocsOf(c, 'web');
  t.equal(allocs.length, 4);
  for (const a of allocs) t.match(a, { ClientStatus: 'running', DeploymentStatus: { Healthy: true } });
  await c.advance(2000);
  const dep = (await c.get('/v1/job/web/deployment')).json as Obj;
  t.match(dep, { Status: 'successful', TaskGroups: { g: { HealthyAllocs: 4 } } });
});
