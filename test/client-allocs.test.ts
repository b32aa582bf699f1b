// Allocations on the client (client.mdx, allocations.mdx; Nomad's command/agent/alloc_endpoint.go,
// nomad/client_alloc_endpoint.go, client/alloc_endpoint.go and allocrunner where the docs are
// silent): stats, signal, restart, GC and checks on simulated clients, on the manual clock.
import t from 'tap';
import { simClient, client, minimalJob, aclSession, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const MIB = 1024 * 1024;

async function settle(c: Client, ms = 1000, times = 6): Promise<void> {
  for (let i = 0; i < times; i++) await c.advance(ms);
}

/**
 * A client's update reaches the server at the client's next sync tick (client.go allocSync, every
 * 200 ms) plus the server's 50 ms batch (node_endpoint.go batchUpdateInterval): 250 ms from a tick.
 */
const SYNC_MS = 250;

async function allocOf(c: Client, job: string): Promise<Obj> {
  const stubs = (await c.get(`/v1/job/${job}/allocations`)).json as Obj[];
  return (await c.get(`/v1/allocation/${stubs[0]!.ID}`)).json as Obj;
}

/** A running alloc of a one-group job with `tasks`. */
async function running(c: Client, id: string, tasks: Obj[], group: Obj = {}): Promise<Obj> {
  const reg = await c.register(minimalJob(id, { TaskGroups: [{ Name: 'web', Tasks: tasks, ...group }] }));
  if (reg.status !== 200) throw new Error(`register ${id}: ${reg.status} ${reg.body}`);
  await settle(c);
  const alloc = await allocOf(c, id);
  if (alloc.ClientStatus !== 'running') throw new Error(`alloc of ${id} is ${alloc.ClientStatus}`);
  return alloc;
}

const docker = (name: string, extra: Obj = {}): Obj => ({ Name: name, Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: { CPU: 500, MemoryMB: 256 }, ...extra });
const mock = (name: string, config: Obj = {}): Obj => ({ Name: name, Driver: 'mock_driver', Config: { run_for: '1h', ...config }, Resources: { CPU: 200, MemoryMB: 128 } });
const events = (alloc: Obj, task: string): string[] => ((alloc.TaskStates[task].Events as Obj[]) ?? []).map((e) => e.Type);

t.test('alloc stats: Nomad\'s shape, within the reservation, the same at one moment and changing over time', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const alloc = await running(c, 'web', [docker('server'), mock('side')]);
  const url = `/v1/client/allocation/${alloc.ID}/stats`;
  const a = await c.get(url);
  t.equal(a.status, 200);
  t.equal(a.headers['x-nomad-index'], undefined, 'the client answers without query meta');
  const now = c.mock.store.nowNs();
  t.equal(a.json.Timestamp, now, 'stamped with the simulated clock');
  t.same(Object.keys(a.json).sort(), ['ResourceUsage', 'Tasks', 'Timestamp']);
  const server = a.json.Tasks.server;
  t.same(Object.keys(server).sort(), ['Pids', 'ResourceUsage', 'Timestamp']);
  t.same(Object.keys(server.ResourceUsage.MemoryStats).sort(), ['Cache', 'KernelMaxUsage', 'KernelUsage', 'MappedFile', 'MaxUsage', 'Measured', 'RSS', 'Swap', 'Usage']);
  t.same(Object.keys(server.ResourceUsage.CpuStats).sort(), ['Measured', 'Percent', 'SystemMode', 'ThrottledPeriods', 'ThrottledTime', 'TotalTicks', 'UserMode']);
  t.same(server.ResourceUsage.MemoryStats.Measured, ['RSS', 'Cache', 'Swap', 'Usage', 'Max Usage'], 'docker\'s measured figures');
  t.same(server.ResourceUsage.CpuStats.Measured, ['Throttled Periods', 'Throttled Time', 'Percent']);
  t.same(server.ResourceUsage.DeviceStats, []);
  t.same(a.json.Tasks.side.ResourceUsage.MemoryStats.Measured, ['RSS'], 'the mock driver measures RSS only');
  t.equal(a.json.Tasks.side.ResourceUsage.CpuStats, null);

  const check = (body: Obj): void => {
    const m = body.Tasks.server.ResourceUsage.MemoryStats;
    t.ok(m.RSS > 0 && m.Usage === m.RSS + m.Cache && m.Usage <= 256 * MIB, 'memory within the 256 MB reserved');
    t.ok(m.MaxUsage >= m.Usage && m.MaxUsage <= 256 * MIB, 'the peak is at least the usage and within the reservation');
    const cpu = body.Tasks.server.ResourceUsage.CpuStats;
    t.ok(cpu.TotalTicks > 0 && cpu.TotalTicks <= 500, 'CPU within the 500 MHz reserved');
    const side = body.Tasks.side.ResourceUsage.MemoryStats;
    t.ok(side.RSS > 0 && side.RSS <= 128 * MIB && side.Usage === 0);
    const sum = body.ResourceUsage.MemoryStats;
    t.equal(sum.RSS, m.RSS + side.RSS, 'the alloc is the sum of its tasks');
    t.equal(body.ResourceUsage.CpuStats.TotalTicks, cpu.TotalTicks);
  };
  check(a.json);
  t.same((await c.get(url)).json, a.json, 'the same moment gives the same figures');
  const peaks: number[] = [a.json.Tasks.server.ResourceUsage.MemoryStats.MaxUsage];
  let changed = false;
  for (let i = 0; i < 5; i++) {
    await c.advance(10_000);
    const b = (await c.get(url)).json;
    check(b);
    peaks.push(b.Tasks.server.ResourceUsage.MemoryStats.MaxUsage);
    if (b.Tasks.server.ResourceUsage.MemoryStats.RSS !== a.json.Tasks.server.ResourceUsage.MemoryStats.RSS) changed = true;
  }
  t.ok(changed, 'usage changes as simulated time passes');
  t.same(peaks, [...peaks].sort((x, y) => x - y), 'the peak never falls');

  const one = (await c.get(`${url}?task=side`)).json;
  t.same(Object.keys(one.Tasks), ['side'], '?task= keeps one task');
  t.same((await c.get(`${url}?task=nope`)).json.Tasks, {}, 'an unknown task leaves Tasks empty');
});

t.test('host stats: the node\'s figures, its allocs\' usage within what it has', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  await running(c, 'web', [docker('server')], { Count: 2 });
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  const res = await c.get('/v1/client/stats');
  t.equal(res.status, 200);
  t.same(Object.keys(res.json).sort(), ['AllocDirStats', 'CPU', 'CPUTicksConsumed', 'DeviceStats', 'DiskStats', 'Memory', 'Timestamp', 'Uptime']);
  t.equal(res.json.Timestamp, c.mock.store.nowNs());
  for (const n of nodes) {
    const s = (await c.get(`/v1/client/stats?node_id=${n.ID}`)).json;
    const node = (await c.get(`/v1/node/${n.ID}`)).json;
    const total = node.NodeResources.Memory.MemoryMB * MIB;
    t.equal(s.Memory.Total, total);
    t.ok(s.Memory.Used > 0 && s.Memory.Used <= total && s.Memory.Available === total - s.Memory.Used && s.Memory.Free <= s.Memory.Available);
    t.equal(s.CPU.length, node.NodeResources.Cpu.TotalCpuCores);
    t.ok(s.CPU.every((x: Obj, i: number) => x.CPU === `cpu${i}` && x.Idle + x.Total === 100 && x.Total >= 0 && x.Total <= 100));
    t.ok(s.CPUTicksConsumed > 0 && s.CPUTicksConsumed <= node.NodeResources.Cpu.CpuShares);
    t.ok(s.DiskStats[0].Used <= s.DiskStats[0].Size && s.DiskStats[0].Size === node.NodeResources.Disk.DiskMB * MIB);
  }
  const unknown = await c.get('/v1/client/stats?node_id=4ad3d6b2-0000-0000-0000-000000000000');
  t.equal(unknown.status, 404);
  t.equal(unknown.body, 'Unknown node 4ad3d6b2-0000-0000-0000-000000000000');
  // The agent's own client (the oldest node) answers itself; another node goes through the server.
  const other = nodes.reduce((a, b) => (a.CreateIndex >= b.CreateIndex ? a : b));
  const down = await c.post(`/_mock/node/${other.ID}/down`);
  t.equal(down.status, 200);
  const off = await c.get(`/v1/client/stats?node_id=${other.ID}`);
  t.equal(off.status, 404);
  t.equal(off.body, 'No path to node');

  const bare = await client();
  t.teardown(bare.close);
  const none = await bare.get('/v1/client/stats');
  t.equal(none.status, 400, 'an agent without a client needs node_id');
  t.equal(none.body, 'No local Node and node_id not provided');
});

t.test('signal: a Signaling event as a client update; driver refusals and unknown tasks are Nomad\'s', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const alloc = await running(c, 'web', [docker('server'), mock('side', { signal_error: 'cannot signal the side car' })]);
  const url = `/v1/client/allocation/${alloc.ID}/signal`;
  const seen: Obj[] = [];
  c.mock.store.subscribe((_i, evs) => {
    for (const e of evs) if (e.Topic === 'Allocation') seen.push({ Type: e.Type, Key: e.Key });
  });
  const before = c.mock.store.tableIndex('allocs');
  const waiting = c.get(`/v1/allocation/${alloc.ID}?index=${alloc.ModifyIndex}&wait=60s`);
  const ok = await c.post(url, { Signal: 'SIGUSR1', Task: 'server' });
  await c.advance(SYNC_MS);
  const woken = await waiting;
  t.ok(Number(woken.headers['x-nomad-index']) > alloc.ModifyIndex, 'a blocking read of the alloc wakes on the signal\'s write');
  t.equal((woken.json.TaskStates.server.Events as Obj[]).at(-1)!.Type, 'Signaling');
  t.equal(ok.status, 200);
  t.same(ok.json, { Index: 0 });
  const after = await allocOf(c, 'web');
  t.ok(after.ModifyIndex > before, 'a client update: new index');
  const ev = (after.TaskStates.server.Events as Obj[]).at(-1)!;
  t.match(ev, { Type: 'Signaling', DisplayMessage: 'Task being sent a signal', Details: { signal: 'SIGUSR1' }, TaskSignal: '' });
  t.equal(events(after, 'side').includes('Signaling'), false, 'only the named task');
  t.same(seen, [{ Type: 'AllocationUpdated', Key: alloc.ID }]);

  const bad = await c.put(url, { Signal: 'SIGBOGUS', Task: 'server' });
  t.equal(bad.status, 500);
  t.match(bad.body, /^failed to parse signal: invalid signal %!q\(<nil>\) - valid signals are \["SIGABRT" "SIGALRM" .* "SIGXFSZ"\]$/);
  await c.advance(SYNC_MS);
  t.equal(events(await allocOf(c, 'web'), 'server').filter((e) => e === 'Signaling').length, 2, 'the event precedes the driver\'s refusal');

  const mockErr = await c.post(url, { Signal: 'SIGHUP', Task: 'side' });
  t.equal(mockErr.status, 500);
  t.equal(mockErr.body, 'cannot signal the side car', 'the mock driver\'s signal_error');

  const all = await c.post(url, { Signal: 'SIGHUP' });
  t.equal(all.status, 500);
  t.equal(all.body, '1 error occurred:\n\t* Failed to signal task: side, err: cannot signal the side car\n\n', 'every task: failures as a multierror');

  const nope = await c.post(url, { Signal: 'SIGHUP', Task: 'nope' });
  t.equal(nope.status, 500);
  t.equal(nope.body, 'Task not found');

  const index = c.mock.store.tableIndex('allocs');
  const empty = await c.post(url);
  t.equal(empty.status, 400);
  t.equal(empty.body, 'Failed to decode body: Request body is empty');
  const json = await c.post(url, '{"Signal": ');
  t.equal(json.status, 400);
  t.equal(json.body, 'Failed to decode body: unexpected EOF');
  const typed = await c.post(url, { Signal: 9 });
  t.equal(typed.status, 400);
  t.equal(typed.body, 'Failed to decode body: json: cannot unmarshal number into Go struct field AllocSignalRequest.Signal of type string');
  const get = await c.get(url);
  t.equal(get.status, 405);
  t.equal(get.body, 'Invalid method');
  t.equal(c.mock.store.tableIndex('allocs'), index, 'bad input writes nothing');
});

t.test('restart one task: Nomad\'s events in order, Restarts and LastRestart; the sibling untouched', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const alloc = await running(c, 'web', [docker('server'), mock('side')]);
  const url = `/v1/client/allocation/${alloc.ID}/restart`;
  const res = await c.post(url, { TaskName: 'server' });
  t.equal(res.status, 200);
  t.same(res.json, { Index: 0 });
  // By the time the client's update reaches the server the kill (50 ms) is done as well: the client
  // sends only its newest state of the alloc (allocSync keeps one update per alloc).
  await c.advance(SYNC_MS);
  const signaled = await allocOf(c, 'web');
  t.same(events(signaled, 'server').slice(-4), ['Started', 'Restart Signaled', 'Terminated', 'Restarting']);
  t.match((signaled.TaskStates.server.Events as Obj[]).at(-3), { DisplayMessage: 'User requested task to restart', RestartReason: 'User requested task to restart', Details: { restart_reason: 'User requested task to restart' } });
  await settle(c, 100, 10);
  const done = await allocOf(c, 'web');
  t.same(events(done, 'server').slice(-4), ['Restart Signaled', 'Terminated', 'Restarting', 'Started']);
  const restarting = (done.TaskStates.server.Events as Obj[]).at(-2)!;
  t.match(restarting, { DisplayMessage: 'Task restarting in 0s', StartDelay: 0, Details: { start_delay: '0', restart_reason: '' } });
  t.equal(done.TaskStates.server.Restarts, 1);
  // Round, not floor: an event's Time is the clock's ms × 1e6 as a float64, which can land a little
  // (up to 128 ns) below the exact product, and its quotient just below the ms.
  t.equal(Date.parse(done.TaskStates.server.LastRestart), Math.round(restarting.Time / 1e6), 'LastRestart: when it restarted');
  t.equal(done.TaskStates.server.State, 'running');
  t.ok(Date.parse(done.TaskStates.server.StartedAt) > Date.parse(alloc.TaskStates.server.StartedAt), 'started again');
  t.equal(done.TaskStates.side.Restarts, 0);
  t.notOk(events(done, 'side').includes('Restart Signaled'));
  t.equal(done.ClientStatus, 'running');
});

t.test('a task keeps its newest ten events, as Nomad\'s client does; the oldest go first', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const alloc = await running(c, 'web', [mock('side')]);
  const before = events(alloc, 'side');
  t.ok(before.length < 10, 'a fresh task holds fewer than ten');
  // Each restart adds four events (Restart Signaled, Terminated, Restarting, Started).
  for (let i = 0; i < 4; i++) {
    t.equal((await c.post(`/v1/client/allocation/${alloc.ID}/restart`, { TaskName: 'side' })).status, 200);
    await settle(c, 100, 10);
  }
  const all = [...before];
  for (let i = 0; i < 4; i++) all.push('Restart Signaled', 'Terminated', 'Restarting', 'Started');
  let now = await allocOf(c, 'web');
  t.same(events(now, 'side'), all.slice(-10), 'the last ten of everything that happened');
  t.equal(now.TaskStates.side.Restarts, 4, 'counts are not events: every restart is counted');
  // Two signals at one instant make two identical events: the list shifts by two, its length stays.
  const url = `/v1/client/allocation/${alloc.ID}/signal`;
  t.equal((await c.post(url, { Task: 'side', Signal: 'SIGHUP' })).status, 200);
  t.equal((await c.post(url, { Task: 'side', Signal: 'SIGHUP' })).status, 200);
  await c.advance(SYNC_MS);
  now = await allocOf(c, 'web');
  all.push('Signaling', 'Signaling');
  t.same(events(now, 'side'), all.slice(-10), 'each of the two signals shifted the list');
});

t.test('restart AllTasks and the running tasks; Nomad\'s errors', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const alloc = await running(c, 'web', [docker('server'), mock('side')]);
  const url = `/v1/client/allocation/${alloc.ID}/restart`;
  t.equal((await c.put(url, { AllTasks: true })).status, 200);
  await settle(c, 100, 10);
  let now = await allocOf(c, 'web');
  for (const task of ['server', 'side']) {
    t.same(events(now, task).slice(-4), ['Restart Signaled', 'Terminated', 'Restarting', 'Started'], task);
    t.equal((now.TaskStates[task].Events as Obj[]).at(-4)!.DisplayMessage, 'User requested all tasks to restart');
    t.equal(now.TaskStates[task].Restarts, 1);
  }
  t.equal((await c.req('GET', url)).status, 200, 'any method, an empty body: the running tasks');
  await settle(c, 100, 10);
  now = await allocOf(c, 'web');
  t.equal((now.TaskStates.side.Events as Obj[]).at(-4)!.DisplayMessage, 'User requested running tasks to restart');
  t.equal(now.TaskStates.side.Restarts, 2);

  const index = c.mock.store.tableIndex('allocs');
  const both = await c.post(url, { TaskName: 'server', AllTasks: true });
  t.equal(both.status, 500);
  t.equal(both.body, 'task name cannot be set when restarting all tasks');
  const nope = await c.post(url, { TaskName: 'nope' });
  t.equal(nope.status, 500);
  t.equal(nope.body, 'Could not find task runner for task: nope');
  const typed = await c.post(url, { TaskName: 1 });
  t.equal(typed.status, 500);
  t.equal(typed.body, 'json: cannot unmarshal number into Go struct field .TaskName of type string');
  const syntax = await c.post(url, '{');
  t.equal(syntax.status, 500);
  t.equal(syntax.body, 'unexpected EOF');
  t.equal(c.mock.store.tableIndex('allocs'), index, 'refused restarts write nothing');

  await c.post(`/v1/allocation/${alloc.ID}/stop`);
  await settle(c);
  const dead = (await c.get(`/v1/allocation/${alloc.ID}`)).json;
  t.equal(dead.ClientStatus, 'complete');
  const all = await c.post(url, {});
  t.equal(all.status, 500);
  t.equal(all.body, 'restart of an alloc that should not run');
  const task = await c.post(url, { TaskName: 'server' });
  t.equal(task.status, 500);
  t.equal(task.body, 'Task not running');
  const sig = await c.post(`/v1/client/allocation/${alloc.ID}/signal`, { Signal: 'SIGHUP', Task: 'server' });
  t.equal(sig.status, 500);
  t.equal(sig.body, 'Task not running');
});

t.test('a restart in progress survives its alloc disappearing', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const alloc = await running(c, 'web', [mock('side', { kill_after: '5s' })]);
  t.equal((await c.post(`/v1/client/allocation/${alloc.ID}/restart`, {})).status, 200);
  t.equal((await c.del('/v1/job/web?purge=true')).status, 200);
  await settle(c, 1000, 8);
  t.equal((await c.get(`/v1/allocation/${alloc.ID}`)).status, 404);
  t.equal(c.mock.sim!.client.size, 0, 'no runner outlives its alloc');
});

t.test('gc: only a terminal alloc, once; /v1/client/gc collects a node', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const alloc = await running(c, 'web', [docker('server')]);
  const url = `/v1/client/allocation/${alloc.ID}/gc`;
  const live = await c.get(url);
  t.equal(live.status, 500);
  t.equal(live.body, 'No such allocation on client, or allocation not eligible for GC');
  await c.post(`/v1/allocation/${alloc.ID}/stop`);
  await settle(c);
  const index = c.mock.store.tableIndex('allocs');
  const gc = await c.put(url);
  t.equal(gc.status, 200);
  t.equal(gc.body, '');
  t.equal((await c.post(url)).status, 500, 'collected once');
  t.equal((await c.get(`/v1/allocation/${alloc.ID}`)).status, 200, 'the servers still hold it');
  t.equal(c.mock.store.tableIndex('allocs'), index, 'a client GC writes nothing');

  const all = await c.get('/v1/client/gc');
  t.equal(all.status, 200);
  t.equal(all.body, '');
  const node = alloc.NodeID as string;
  t.equal((await c.put(`/v1/client/gc?node_id=${node}`)).status, 200);
  const unknown = await c.get('/v1/client/gc?node_id=nope');
  t.equal(unknown.status, 500);
  t.equal(unknown.body, 'Unknown node nope');
});

function checksJob(id: string): Obj {
  return minimalJob(id, {
    TaskGroups: [
      {
        Name: 'web',
        Networks: [{ DynamicPorts: [{ Label: 'http' }] }],
        Services: [{ Name: 'web-http', Provider: 'nomad', PortLabel: 'http', Checks: [{ Name: 'alive', Type: 'http', Path: '/health', Interval: 5e9, Timeout: 1e9 }] }],
        Tasks: [{ ...docker('server'), Services: [{ Name: 'web-tcp', Provider: 'nomad', PortLabel: 'http', Checks: [{ Name: 'port', Type: 'tcp', Interval: 10e9, Timeout: 1e9, OnUpdate: 'ignore' }] }] }],
      },
    ],
  });
}

t.test('checks: the alloc\'s Nomad service checks, pending then passing; none is an empty object', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  t.equal((await c.register(checksJob('web'))).status, 200);
  await c.advance(0);
  const stub = ((await c.get('/v1/job/web/allocations')).json as Obj[])[0]!;
  await c.advance(60);
  const early = await c.get(`/v1/client/allocation/${stub.ID}/checks`);
  t.equal(early.status, 200);
  t.ok(Object.values(early.json as Obj).every((r) => (r as Obj).Status === 'pending' && (r as Obj).Output === 'nomad: waiting to run'), 'pending before the tasks run');
  await settle(c);
  const res = await c.get(`/v1/client/allocation/${stub.ID}/checks`);
  const results = Object.values(res.json as Obj) as Obj[];
  t.equal(results.length, 2);
  for (const [id, r] of Object.entries(res.json as Obj)) {
    t.match(id, /^[0-9a-f]{32}$/);
    t.equal((r as Obj).ID, id);
  }
  const http = results.find((r) => r.Check === 'alive')!;
  t.same(Object.keys(http).sort(), ['Check', 'Group', 'ID', 'Mode', 'Output', 'Service', 'Status', 'StatusCode', 'Timestamp']);
  t.match(http, { Group: stub.Name, Mode: 'healthiness', Output: 'nomad: http ok', Service: 'web-http', Status: 'success', StatusCode: 200 });
  const tcp = results.find((r) => r.Check === 'port')!;
  t.same(tcp, { ID: tcp.ID, Mode: 'readiness', Status: 'success', Output: 'nomad: tcp ok', Timestamp: tcp.Timestamp, Group: stub.Name, Task: 'server', Service: 'web-tcp', Check: 'port' });
  t.ok(http.Timestamp <= Math.floor(c.mock.store.nowNs() / 1e9) && http.Timestamp > 0);

  t.same((await c.get(`/v1/allocation/${stub.ID}/checks`)).json, res.json, '/v1/allocation/:id/checks reads the same');
  const unknown = await c.get('/v1/allocation/nope/checks');
  t.equal(unknown.status, 404);
  t.equal(unknown.body, 'Unknown allocation "nope"');

  const plain = await running(c, 'plain', [docker('server')]);
  const none = await c.get(`/v1/client/allocation/${plain.ID}/checks`);
  t.equal(none.status, 200);
  t.same(none.json, {});
});

t.test('unknown allocs, allocs a client does not have, and unreachable nodes: Nomad\'s answers', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  for (const [method, sub, body] of [['GET', 'stats'], ['POST', 'signal', { Signal: 'SIGHUP' }], ['POST', 'restart'], ['GET', 'gc'], ['GET', 'checks']] as [string, string, Obj?][]) {
    const res = await c.req(method, `/v1/client/allocation/nope/${sub}`, body);
    t.equal(res.status, 404, sub);
    t.equal(res.body, 'Unknown allocation "nope"', sub);
  }
  t.equal((await c.get('/v1/client/allocation/a%2Fb/stats')).status, 404);
  t.equal((await c.get('/v1/client/allocation/a%2Fb/stats')).body, 'resource not found');

  const alloc = await running(c, 'web', [docker('server')], { Count: 2 });
  const stubs = (await c.get('/v1/job/web/allocations')).json as Obj[];
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  const agentNode = nodes.reduce((a, b) => (a.CreateIndex <= b.CreateIndex ? a : b));
  const remote = stubs.find((s) => s.NodeID !== agentNode.ID) ?? stubs[0]!;
  t.equal((await c.get(`/v1/client/allocation/${remote.ID}/stats`)).status, 200, 'another node\'s alloc, through the server');
  t.equal((await c.post(`/_mock/node/${remote.NodeID}/down`)).status, 200);
  if (remote.NodeID !== agentNode.ID) {
    const off = await c.get(`/v1/client/allocation/${remote.ID}/stats`);
    t.equal(off.status, 404);
    t.equal(off.body, 'No path to node');
  }
  t.ok(alloc.ID);
});

t.test('ACLs: an unknown alloc is a 404 whatever the token; then the capability in the alloc\'s namespace', async (t) => {
  const c = await simClient({ acl: true });
  t.teardown(c.close);
  const s = await aclSession(c);
  t.equal((await s.as(s.mgmt, 'PUT', '/v1/jobs', { Job: minimalJob('web', { TaskGroups: [{ Name: 'web', Tasks: [docker('server')] }] }) })).status, 200);
  await settle(c);
  const alloc = ((await s.as(s.mgmt, 'GET', '/v1/job/web/allocations')).json as Obj[])[0]!;
  t.equal((await s.as(null, 'GET', '/v1/client/allocation/nope/stats')).status, 404);
  const reader = await s.token('reader', 'namespace "default" { capabilities = ["read-job"] }');
  const lifecycle = await s.token('life', 'namespace "default" { capabilities = ["alloc-lifecycle"] }');
  const node = await s.token('node', 'node { policy = "read" }');
  t.equal((await s.as(null, 'GET', `/v1/client/allocation/${alloc.ID}/stats`)).status, 403);
  t.equal((await s.as(reader, 'GET', `/v1/client/allocation/${alloc.ID}/stats`)).status, 200);
  t.equal((await s.as(reader, 'GET', `/v1/client/allocation/${alloc.ID}/checks`)).status, 200);
  t.equal((await s.as(reader, 'POST', `/v1/client/allocation/${alloc.ID}/signal`, { Signal: 'SIGHUP' })).status, 403);
  t.equal((await s.as(lifecycle, 'POST', `/v1/client/allocation/${alloc.ID}/signal`, { Signal: 'SIGHUP' })).status, 200);
  t.equal((await s.as(lifecycle, 'POST', `/v1/client/allocation/${alloc.ID}/restart`, {})).status, 200);
  t.equal((await s.as(lifecycle, 'GET', `/v1/client/allocation/${alloc.ID}/gc`)).status, 403, 'GC needs submit-job');
  t.equal((await s.as(node, 'GET', '/v1/client/stats')).status, 200);
  t.equal((await s.as(node, 'GET', '/v1/client/gc')).status, 403, 'client GC needs node:write');
  t.equal((await s.as(reader, 'GET', '/v1/client/stats')).status, 403);
});
