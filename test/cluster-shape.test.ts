// Clusters of any shape: a server with no clients (--nodes 0, --cluster server-only), and nodes
// added, changed, marked down and up, and removed at run time over /_mock/nodes, with what Nomad's
// node writes do to evaluations and allocations (nomad/node_endpoint.go Register, UpdateStatus,
// Deregister; createNodeEvals) and drivers as placement inputs (scheduler/feasible.go DriverChecker).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { helpText, loadConfig, nodeCount, type Config } from '../src/config.js';
import { createMockNomad } from '../src/index.js';
import { index, minimalJob, simClient, streamEvents, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const job = (id: string, count: number, extra: Obj = {}): Obj =>
  minimalJob(id, { TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' } }] }], ...extra });

const allocsOf = async (c: Client, jobId: string): Promise<Obj[]> => (await c.get(`/v1/job/${jobId}/allocations`)).json as Obj[];
const evalsOf = async (c: Client, jobId: string): Promise<Obj[]> => (await c.get(`/v1/job/${jobId}/evaluations`)).json as Obj[];

/** The Node events the stream replays from `from` on, read until `count` arrived (or 5 s passed). */
const nodeEvents = (c: Client, from: number, count: number): Promise<Obj[]> => streamEvents(c, `topic=Node&index=${from}`, count);

// ---- start-up shapes ----

t.test('--nodes 0 and the --cluster presets: how they combine', async (t) => {
  const count = (argv: string[], env: NodeJS.ProcessEnv = {}): number => nodeCount(loadConfig(argv, env) as Config);
  t.equal(count([]), 1, 'the default is the dev preset: one node');
  t.equal(count(['--cluster', 'dev']), 1);
  t.equal(count(['--cluster', 'server-only']), 0);
  t.equal(count(['--nodes', '0']), 0, '--nodes 0 is accepted');
  t.equal(count(['--cluster', 'server-only', '--nodes', '2']), 2, 'an explicit --nodes wins over the preset');
  t.equal(count(['--cluster', 'dev'], { NOMAD_MOCK_NODES: '0' }), 0, 'so does NOMAD_MOCK_NODES');
  t.equal(count([], { NOMAD_MOCK_CLUSTER: 'server-only' }), 0, 'the preset from the environment');
  t.throws(() => loadConfig(['--cluster', 'big'], {}), /--cluster: cluster must be one of dev, server-only/);
  t.throws(() => loadConfig(['--nodes', '-1'], {}), /--nodes: invalid number "-1"/);
  t.throws(() => loadConfig(['--nodes', '10001'], {}), /--nodes: at most 10000 nodes/);
  t.match(helpText(), /--cluster <value> +cluster preset: dev .* server-only .*--nodes or the config file's node list, when given, set the node count instead/);
  t.match(helpText(), /--nodes <value> +number of simulated client nodes, 0 to 10000 \(overrides the --cluster preset\).*default the --cluster preset's count/);
});

t.test('server-only: no nodes, evaluations block with Nomad\'s placement metrics, the job stays pending', async (t) => {
  const c = await simClient({ cluster: 'server-only' });
  t.teardown(c.close);
  t.same((await c.get('/v1/nodes')).json, []);
  const self = (await c.get('/v1/agent/self')).json;
  t.equal(self.config.Client.Enabled, false, 'the agent runs no client');
  t.notOk('client' in self.stats);

  t.equal((await c.register(job('web', 2))).status, 200);
  await c.register(minimalJob('once', { Type: 'batch' }));
  await c.advance(0);
  t.equal((await c.get('/v1/job/once')).json.Status, 'pending', 'a batch job with a blocked eval stays pending');
  const evals = await evalsOf(c, 'web');
  const blocked = evals.find((e) => e.Status === 'blocked')!;
  t.ok(blocked, 'a blocked eval waits for capacity');
  t.match(blocked, { TriggeredBy: 'queued-allocs', StatusDescription: 'created to place remaining allocations' });
  t.match(blocked.FailedTGAllocs.web, { NodesEvaluated: 0, NodesFiltered: 0, NodesInPool: 0, NodePool: 'default', NodesAvailable: {}, NodesExhausted: 0, CoalescedFailures: 1 });
  const first = evals.find((e) => e.TriggeredBy === 'job-register')!;
  t.match(first, { Status: 'complete', BlockedEval: blocked.ID, QueuedAllocations: { web: 2 } });
  t.same(await allocsOf(c, 'web'), []);
  t.match((await c.get('/v1/job/web/summary')).json.Summary.web, { Queued: 2, Running: 0 });

  // A node joining takes what was blocked.
  const added = await c.post('/_mock/nodes', { Name: 'late-1' });
  t.equal(added.status, 200);
  await c.advance(0);
  await c.advance(30_000);
  const allocs = await allocsOf(c, 'web');
  t.equal(allocs.length, 2);
  t.ok(allocs.every((a) => a.NodeID === added.json.Node.ID && a.ClientStatus === 'running'));
  t.match((await c.get(`/v1/evaluation/${blocked.ID}`)).json, { Status: 'complete' });
  t.equal((await c.get('/v1/job/web')).json.Status, 'running');
});

t.test('a config file with an empty node list is a server without nodes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-shape-'));
  const file = join(dir, 'cluster.json');
  writeFileSync(file, '{"nodes": []}');
  const c = await simClient(loadConfig(['--config', file, '--clock', 'manual'], {}) as Config);
  t.teardown(c.close);
  t.same((await c.get('/v1/nodes')).json, []);
  await c.register(job('web', 1));
  await c.advance(0);
  t.ok((await evalsOf(c, 'web')).some((e) => e.Status === 'blocked'));
});

// ---- add and change ----

t.test('adding a node: Nomad\'s Node record, a NodeRegistration event, a woken blocking query, system jobs evaluated', async (t) => {
  const c = await simClient({ cluster: 'server-only' });
  t.teardown(c.close);
  await c.register(minimalJob('agent', { Type: 'system', TaskGroups: [{ Name: 'agent', Tasks: [{ Name: 'a', Driver: 'exec', Config: { command: '/bin/true' } }] }] }));
  await c.advance(0);
  // No node yet: the nodes table's index is 0, and index=0 would not block.
  const before = Math.max(1, index(await c.get('/v1/nodes')));
  const waiting = c.get(`/v1/nodes?index=${before}&wait=30s`);
  const r = await c.post('/_mock/nodes', {
    Name: 'gpu-1',
    Datacenter: 'dc2',
    NodePool: 'gpu',
    NodeClass: 'large',
    Resources: { CPU: 8000, MemoryMB: 32768, DiskMB: 200000 },
    Attributes: { 'gpu.model': 'a100' },
    Meta: { rack: 'r7' },
    Drivers: ['exec', 'podman'],
  });
  t.equal(r.status, 200);
  const node = r.json.Node;
  t.notOk('Resources' in node, 'no legacy Resources in 1.11');
  t.match(node, {
    Name: 'gpu-1', Datacenter: 'dc2', NodePool: 'gpu', NodeClass: 'large', Status: 'ready', SchedulingEligibility: 'eligible',
    NodeResources: { Cpu: { CpuShares: 8000 }, Memory: { MemoryMB: 32768 }, Disk: { DiskMB: 200000 } },
    Meta: { rack: 'r7' },
    Events: [{ Message: 'Node registered', Subsystem: 'Cluster' }],
  });
  t.match(node.Attributes, { 'gpu.model': 'a100', 'driver.exec': '1', 'driver.podman': '1', 'unique.hostname': 'gpu-1', 'cpu.totalcompute': '8000', 'memory.totalbytes': String(32768 * 1024 * 1024) });
  t.notOk('driver.docker' in node.Attributes, 'no docker driver, no docker attribute');
  t.same(Object.keys(node.Drivers), ['exec', 'podman']);
  t.match(node.Drivers.podman, { Detected: true, Healthy: true, HealthDescription: 'Healthy' });
  t.equal(r.json.NodeModifyIndex, node.ModifyIndex);
  t.equal(r.json.EvalIDs.length, 0, 'no system job runs in pool gpu');
  const woke = await waiting;
  t.ok(index(woke) > before, 'the blocking query on /v1/nodes answered with the new index');
  t.ok((woke.json as Obj[]).some((n) => n.ID === node.ID));
  t.ok(((await c.get('/_mock/snapshot')).json.NodePools as Obj[]).some((p) => p.Name === 'gpu'), 'the node pool it names exists');

  const events = await nodeEvents(c, node.CreateIndex, 1);
  t.match(events[0], { Topic: 'Node', Type: 'NodeRegistration', Key: node.ID, Index: node.CreateIndex, Payload: { Node: { Name: 'gpu-1' } } });

  // A node where the system job can run gets a node-update eval for it, and the job lands there.
  const d = await c.post('/_mock/nodes', { Name: 'plain-1', ID: '6a0b9d7e-8f00-4c1a-9a5e-2b7f6d1c3e40' });
  t.equal(d.json.Node.ID, '6a0b9d7e-8f00-4c1a-9a5e-2b7f6d1c3e40', 'a given ID is kept');
  t.equal(d.json.EvalIDs.length, 1);
  const ev = (await c.get(`/v1/evaluation/${d.json.EvalIDs[0]}`)).json;
  t.match(ev, { TriggeredBy: 'node-update', JobID: 'agent', NodeID: d.json.Node.ID, NodeModifyIndex: d.json.NodeModifyIndex, Type: 'system' });
  t.equal(d.json.EvalCreateIndex, ev.CreateIndex);
  await c.advance(0);
  t.same((await allocsOf(c, 'agent')).map((a) => a.NodeName), ['plain-1']);
});

t.test('adding a node: bad input is refused with a clear 400 and changes nothing', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const before = (await c.get('/v1/nodes')).json as Obj[];
  const idx = index(await c.get('/v1/nodes'));
  const cases: [unknown, RegExp][] = [
    [undefined, /request body is empty/],
    ['{nope', /invalid JSON body/],
    [[], /node must be an object/],
    [{}, /missing node name for client registration/],
    [{ Name: '' }, /missing node name for client registration/],
    [{ Name: 'x', Datacenter: '' }, /missing datacenter/],
    [{ Name: 'x', NodePool: 'all' }, /node is not allowed to register in node pool "all"/],
    [{ Name: 'x', NodePool: 'no spaces' }, /invalid node pool/],
    [{ Name: 'x', Resources: { CPU: 0 } }, /Resources.CPU must be a whole number between 1 and/],
    [{ Name: 'x', Resources: { Cpu: 100 } }, /Resources: unknown field "Cpu"/],
    [{ Name: 'x', Resources: 5 }, /Resources must be an object/],
    [{ Name: 'x', Attributes: { a: 1 } }, /Attributes.a must be a string/],
    [{ Name: 'x', Meta: [] }, /Meta must be an object of strings/],
    [{ Name: 'x', Drivers: 'docker' }, /Drivers must be a list of driver names/],
    [{ Name: 'x', Drivers: ['docker', 'docker'] }, /driver "docker" is listed twice/],
    [{ Name: 'x', Drivers: { docker: { Healthy: 'yes' } } }, /Drivers.docker.Healthy must be true or false/],
    [{ Name: 'x', Drivers: { docker: { Version: '1' } } }, /unknown field "Version"/],
    [{ Name: 'x', ID: 'not-a-uuid' }, /ID must be a lowercase UUID/],
    [{ Name: 'x', Colour: 'red' }, /unknown field "Colour"/],
    [{ Name: 'mock-node-1' }, /a node named "mock-node-1" already exists/],
    [{ Name: 'x', ID: before[0]!.ID }, /already exists/],
  ];
  for (const [body, text] of cases) {
    const r = await c.req('POST', '/_mock/nodes', typeof body === 'string' || body === undefined ? body : JSON.stringify(body));
    t.equal(r.status, 400, `400 for ${JSON.stringify(body)}`);
    t.match(r.json?.Error, text, `message for ${JSON.stringify(body)}`);
  }
  t.equal((await c.get('/_mock/nodes')).status, 405, 'only POST adds');
  t.same((await c.get('/v1/nodes')).json, before, 'no node was added');
  t.equal(index(await c.get('/v1/nodes')), idx, 'the nodes table did not move');
});

t.test('changing a node: fields replaced, attributes and meta merged, evals when placement inputs change', async (t) => {
  const c = await simClient({ cluster: 'server-only' });
  t.teardown(c.close);
  const n = (await c.post('/_mock/nodes', { Name: 'n1', Drivers: ['exec'], Meta: { rack: 'r1', zone: 'a' } })).json.Node;
  // Nothing fits yet: the docker job blocks on "missing drivers".
  await c.register(job('web', 1));
  await c.advance(0);
  const blocked = (await evalsOf(c, 'web')).find((e) => e.Status === 'blocked')!;
  t.match(blocked.FailedTGAllocs.web.ConstraintFiltered, { 'missing drivers': 1 });

  const r = await c.put('/_mock/node/n1', { NodeClass: 'big', Drivers: ['exec', 'docker'], Meta: { rack: 'r2', zone: null }, Attributes: { 'kernel.name': 'freebsd' }, Resources: { MemoryMB: 4096 } });
  t.equal(r.status, 200);
  const node = r.json.Node;
  t.match(node, { ID: n.ID, Name: 'n1', NodeClass: 'big', CreateIndex: n.CreateIndex, Status: 'ready', NodeResources: { Memory: { MemoryMB: 4096 } } });
  t.ok(node.ModifyIndex > n.ModifyIndex);
  t.same(node.Meta.rack, 'r2');
  t.notOk('zone' in node.Meta, 'a null meta value removes the key');
  t.match(node.Attributes, { 'driver.docker': '1', 'driver.exec': '1', 'kernel.name': 'freebsd', 'memory.totalbytes': String(4096 * 1024 * 1024) });
  t.same(Object.keys(node.Drivers), ['docker', 'exec']);
  t.equal(node.Events.length, 1, 'a change adds no node event');
  t.same(r.json.EvalIDs, [], 'no job has allocs on the node and no system job: no node-update eval');
  const events = await nodeEvents(c, node.ModifyIndex, 1);
  t.match(events[0], { Type: 'NodeRegistration', Key: n.ID, Index: node.ModifyIndex });
  await c.advance(0);
  t.equal((await allocsOf(c, 'web')).length, 1, 'the node now has docker: the blocked eval placed the job');
  t.equal((await c.get(`/v1/evaluation/${blocked.ID}`)).json.Status, 'complete');

  // Errors: unknown node, bad body, renaming onto another node's name; nothing changes.
  await c.post('/_mock/nodes', { Name: 'n2' });
  const idx = index(await c.get('/v1/nodes'));
  t.equal((await c.put('/_mock/node/nope', { NodeClass: 'x' })).status, 404);
  t.match((await c.put('/_mock/node/nope', { NodeClass: 'x' })).json, { Error: 'node "nope" not found' });
  t.match((await c.put('/_mock/node/n1', { Resources: { CPU: -5 } })).json, { Error: /Resources.CPU must be a whole number/ });
  t.match((await c.put('/_mock/node/n1', { Name: 'n2' })).json, { Error: /a node named "n2" already exists/ });
  t.match((await c.put('/_mock/node/n1', { ID: '6a0b9d7e-8f00-4c1a-9a5e-2b7f6d1c3e40' })).json, { Error: 'ID cannot be changed' });
  t.equal((await c.put('/_mock/node/n1', { Attributes: { a: 2 } })).status, 400);
  t.equal(index(await c.get('/v1/nodes')), idx, 'no write');
});

// ---- down, up, remove ----

t.test('a node marked down: node-update evals, its allocs lost and replaced on another node', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  await c.register(job('web', 2, { TaskGroups: [{ Name: 'web', Count: 2, ReschedulePolicy: { Attempts: 0, Interval: 0, Unlimited: false }, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' } }] }] }));
  await c.advance(0);
  await c.advance(30_000);
  const allocs = await allocsOf(c, 'web');
  t.equal(allocs.length, 2);
  const victim = allocs[0]!;
  const other = allocs.find((a) => a.NodeID !== victim.NodeID)!;
  t.ok(other, 'the two allocs are spread over both nodes');

  const before = index(await c.get('/v1/nodes'));
  const waiting = c.get(`/v1/nodes?index=${before}&wait=30s`);
  const r = await c.post(`/_mock/node/${victim.NodeID}/down`);
  t.equal(r.status, 200);
  t.match(r.json.Node, { ID: victim.NodeID, Status: 'down' });
  t.match(r.json.Node.Events.at(-1), { Message: 'Node heartbeat missed', Subsystem: 'Cluster', CreateIndex: r.json.NodeModifyIndex });
  t.equal(r.json.EvalIDs.length, 1, 'one eval for the one job on the node');
  t.ok(index(await waiting) > before, 'blocking queries on /v1/nodes wake');
  const ev = (await c.get(`/v1/evaluation/${r.json.EvalIDs[0]}`)).json;
  t.match(ev, { TriggeredBy: 'node-update', JobID: 'web', NodeID: victim.NodeID, NodeModifyIndex: r.json.NodeModifyIndex, Status: 'pending', Type: 'service' });
  const events = await nodeEvents(c, r.json.NodeModifyIndex, 1);
  t.match(events[0], { Type: 'NodeEvent', Key: victim.NodeID, Payload: { Node: { Status: 'down' } } });

  await c.advance(0);
  const lost = (await c.get(`/v1/allocation/${victim.ID}`)).json;
  t.match(lost, { ClientStatus: 'lost', DesiredStatus: 'stop', DesiredDescription: 'alloc is lost since its node is down' });
  t.match(lost.AllocStates, [{ Field: 'ClientStatus', Value: 'lost' }]);
  const now = await allocsOf(c, 'web');
  t.equal(now.length, 3);
  const repl = now.find((a) => a.ID !== victim.ID && a.ID !== other.ID)!;
  t.match(repl, { Name: victim.Name, NodeID: other.NodeID, DesiredStatus: 'run', EvalID: ev.ID });
  const full = (await c.get(`/v1/allocation/${repl.ID}`)).json;
  t.equal(full.PreviousAllocation, victim.ID);
  t.notOk(full.RescheduleTracker, 'a lost alloc is replaced, not rescheduled: no attempts are spent');
  t.equal(lost.NextAllocation, repl.ID);
  t.match((await c.get(`/v1/evaluation/${ev.ID}`)).json, { Status: 'complete' });
  t.match((await c.get('/v1/job/web/summary')).json.Summary.web, { Lost: 1 });
  await c.advance(30_000);
  t.equal((await c.get(`/v1/allocation/${repl.ID}`)).json.ClientStatus, 'running');
  t.equal((await c.get(`/v1/allocation/${victim.ID}`)).json.ClientStatus, 'lost', 'the down client reports nothing more');

  // Down again: nothing to write.
  const again = await c.post(`/_mock/node/${victim.NodeID}/down`);
  t.equal(again.status, 200);
  t.same(again.json.EvalIDs, []);
  t.equal(again.json.Node.ModifyIndex, r.json.Node.ModifyIndex);
});

t.test('a node marked up again: ready, its event, and the blocked evaluation placed', async (t) => {
  const c = await simClient({ nodes: 1 });
  t.teardown(c.close);
  const node = ((await c.get('/v1/nodes')).json as Obj[])[0]!;
  t.equal((await c.put(`/_mock/node/${node.Name}/down`)).status, 200, 'a node can be named by its name');
  await c.register(job('web', 1));
  await c.advance(0);
  const blocked = (await evalsOf(c, 'web')).find((e) => e.Status === 'blocked')!;
  // NodesInPool and NodesAvailable count the ready nodes of the job's pool and datacenters
  // (readyNodesInDCsAndPool): the down node is in neither.
  t.match(blocked.FailedTGAllocs.web, { NodesEvaluated: 0, NodesInPool: 0 });
  t.same(blocked.FailedTGAllocs.web.NodesAvailable, {});

  const downAt = (await c.get(`/v1/node/${node.ID}`)).json.StatusUpdatedAt as number;
  await c.advance(60_000);
  const r = await c.post(`/_mock/node/${node.ID}/up`);
  t.equal(r.status, 200);
  t.match(r.json.Node, { Status: 'ready' });
  t.match(r.json.Node.Events.at(-1), { Message: 'Node reregistered by heartbeat', Subsystem: 'Cluster' });
  t.equal(r.json.Node.StatusUpdatedAt, downAt + 60, 'StatusUpdatedAt is the time of the change, in seconds');
  const events = await nodeEvents(c, r.json.NodeModifyIndex, 1);
  t.match(events[0], { Type: 'NodeEvent', Payload: { Node: { Status: 'ready' } } });
  await c.advance(0);
  await c.advance(30_000);
  const allocs = await allocsOf(c, 'web');
  t.equal(allocs.length, 1);
  t.match(allocs[0], { NodeID: node.ID, ClientStatus: 'running' });
  t.equal((await c.get(`/v1/evaluation/${blocked.ID}`)).json.Status, 'complete');
  t.equal((await c.get('/v1/job/web')).json.Status, 'running');

  t.equal((await c.post('/_mock/node/nope/up')).status, 404);
  t.equal((await c.get(`/_mock/node/${node.ID}/up`)).status, 405);
});

t.test('a removed node: deregistered, gone from /v1/nodes, its allocs lost and replaced', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  await c.register(job('web', 2));
  await c.advance(0);
  await c.advance(30_000);
  const [victim] = await allocsOf(c, 'web');
  const r = await c.del(`/_mock/node/${victim!.NodeID}`);
  t.equal(r.status, 200);
  t.equal(r.json.Node, null);
  t.equal(r.json.EvalIDs.length, 1);
  t.equal((await c.get(`/v1/node/${victim!.NodeID}`)).status, 404);
  t.equal(((await c.get('/v1/nodes')).json as Obj[]).length, 1);
  const events = await nodeEvents(c, r.json.Index, 1);
  t.match(events[0], { Type: 'NodeDeregistration', Key: victim!.NodeID, Index: r.json.Index, Payload: { Node: { ID: victim!.NodeID } } });
  await c.advance(0);
  t.match((await c.get(`/v1/allocation/${victim!.ID}`)).json, { ClientStatus: 'lost', DesiredStatus: 'stop', DesiredDescription: 'alloc is lost since its node is down' });
  const live = (await allocsOf(c, 'web')).filter((a) => a.DesiredStatus === 'run');
  t.equal(live.length, 2);
  t.ok(live.every((a) => a.NodeID !== victim!.NodeID));
  t.equal((await c.del(`/_mock/node/${victim!.NodeID}`)).status, 404, 'removed once');
});

t.test('a snapshot taken between a removal and its evaluation restores; the restored scheduler finds the allocs lost', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  await c.register(job('web', 2));
  await c.advance(0);
  const [victim] = await allocsOf(c, 'web');
  t.equal((await c.del(`/_mock/node/${victim!.NodeID}`)).status, 200);
  const snap = (await c.get('/_mock/snapshot')).json;
  t.equal((snap.Allocations as Obj[]).find((a) => a.ID === victim!.ID)!.DesiredStatus, 'run', 'not evaluated yet');
  const r = await c.put('/_mock/restore', snap);
  t.equal(r.status, 200, 'an alloc on a deregistered node is valid state');
  await c.advance(0);
  t.match((await c.get(`/v1/allocation/${victim!.ID}`)).json, { ClientStatus: 'lost', DesiredStatus: 'stop' });
  t.equal((await allocsOf(c, 'web')).filter((a) => a.DesiredStatus === 'run').length, 2);
});

t.test('system jobs: a node down loses its alloc, a node up gets one again', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  await c.register(minimalJob('agent', { Type: 'system', TaskGroups: [{ Name: 'agent', Tasks: [{ Name: 'a', Driver: 'exec', Config: { command: '/bin/true' } }] }] }));
  await c.advance(0);
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  t.equal((await allocsOf(c, 'agent')).length, 2);
  await c.post(`/_mock/node/${nodes[0]!.ID}/down`);
  await c.advance(0);
  const onDown = (await allocsOf(c, 'agent')).find((a) => a.NodeID === nodes[0]!.ID)!;
  t.match(onDown, { ClientStatus: 'lost', DesiredStatus: 'stop' });
  t.equal((await allocsOf(c, 'agent')).length, 2, 'a system job is not moved to another node');
  await c.post(`/_mock/node/${nodes[0]!.ID}/up`);
  await c.advance(0);
  const after = (await allocsOf(c, 'agent')).filter((a) => a.NodeID === nodes[0]!.ID && a.DesiredStatus === 'run');
  t.equal(after.length, 1, 'back up, the node runs the system job again');
});

// ---- drivers ----

t.test('drivers decide placement: a node without docker cannot run a docker task ("missing drivers")', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-shape-'));
  const file = join(dir, 'cluster.json');
  writeFileSync(file, JSON.stringify({ nodes: [{ name: 'exec-only', drivers: ['exec', 'raw_exec'], nodeClass: 'small' }, { name: 'sick', drivers: { docker: { healthy: false }, exec: {} } }] }));
  const c = await simClient(loadConfig(['--config', file, '--clock', 'manual'], {}) as Config);
  t.teardown(c.close);
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  const execOnly = nodes.find((n) => n.Name === 'exec-only')!;
  const sick = nodes.find((n) => n.Name === 'sick')!;
  t.same(Object.keys(execOnly.Drivers), ['exec', 'raw_exec']);
  const sickFull = (await c.get(`/v1/node/${sick.ID}`)).json;
  t.match(sickFull.Drivers.docker, { Detected: true, Healthy: false });
  t.equal(sickFull.Attributes['driver.docker'], '1', 'detected: the attribute is there, the driver is not healthy');
  t.notOk('driver.docker' in (await c.get(`/v1/node/${execOnly.ID}`)).json.Attributes);

  await c.register(job('web', 2));
  await c.advance(0);
  const blocked = (await evalsOf(c, 'web')).find((e) => e.Status === 'blocked')!;
  const m = blocked.FailedTGAllocs.web;
  t.match(m, { NodesEvaluated: 2, NodesFiltered: 2, ConstraintFiltered: { 'missing drivers': 2 }, ClassFiltered: { small: 1 }, CoalescedFailures: 1 });
  t.same(await allocsOf(c, 'web'), []);

  // An exec job fits either node.
  await c.register(minimalJob('batchy', { Type: 'batch', TaskGroups: [{ Name: 'b', Tasks: [{ Name: 't', Driver: 'exec', Config: { command: '/bin/true' } }] }] }));
  await c.advance(0);
  t.equal((await allocsOf(c, 'batchy')).length, 1);

  // A node with docker unblocks the docker job.
  await c.post('/_mock/nodes', { Name: 'docker-1', Drivers: ['docker'] });
  await c.advance(0);
  const allocs = await allocsOf(c, 'web');
  t.equal(allocs.length, 2);
  t.ok(allocs.every((a) => a.NodeName === 'docker-1'));
  t.equal((await c.get(`/v1/evaluation/${blocked.ID}`)).json.Status, 'complete');
});

t.test('in-process: mock.control.nodes adds, changes, downs, ups and removes nodes', async (t) => {
  const mock = await createMockNomad({ cluster: 'server-only', clock: 'manual' });
  t.teardown(() => mock.close());
  const nodes = mock.control.nodes;
  const added = nodes.add({ Name: 'ip-1', Datacenter: 'dc1' });
  t.match(added.Node, { Name: 'ip-1', Status: 'ready' });
  t.match(nodes.change('ip-1', { NodeClass: 'c' }).Node, { NodeClass: 'c' });
  t.match(nodes.down('ip-1').Node, { Status: 'down' });
  t.match(nodes.up(added.Node!.ID).Node, { Status: 'ready' });
  t.equal(nodes.remove('ip-1').Node, null);
  t.throws(() => nodes.remove('ip-1'), { message: 'node "ip-1" not found' });
  let status = 0;
  try {
    nodes.add({ Name: 7 });
  } catch (err) {
    status = (err as { status: number }).status;
  }
  t.equal(status, 400, 'bad input throws a ControlError with status 400');
  const res = await fetch(`${mock.url}/v1/nodes`);
  t.same(await res.json(), []);
});
