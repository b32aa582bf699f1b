// Node purge and evaluate (command/agent/node_endpoint.go nodePurge, nodeForceEvaluate over
// nomad/node_endpoint.go Deregister, Evaluate), dynamic node metadata (/v1/client/metadata:
// command/agent/node_meta_endpoint.go, client/node_meta_endpoint.go) and the Node as Nomad 1.11
// encodes it (nomad/structs Node, NodeResources, NetworkResource).
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from '../src/server.js';
import { aclSession, client, clientFor, index, minimalJob, simClient, streamEvents, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const job = (id: string, count: number, extra: Obj = {}): Obj =>
  minimalJob(id, { TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' } }] }], ...extra });

const allocsOf = async (c: Client, jobId: string): Promise<Obj[]> => (await c.get(`/v1/job/${jobId}/allocations`)).json as Obj[];
const nodeIds = async (c: Client): Promise<string[]> => ((await c.get('/v1/nodes')).json as Obj[]).map((n) => n.ID as string);
const latest = (c: Client): number => c.mock.store.latestIndex();

/** NodeUpdateResponse (nomad/structs/node.go) in declaration order, QueryMeta last. */
const UPDATE_KEYS = [
  'HeartbeatTTL', 'EvalIDs', 'EvalCreateIndex', 'NodeModifyIndex', 'Features', 'LeaderRPCAddr', 'NumNodes', 'Servers',
  'SchedulingEligibility', 'SignedIdentity', 'Index', 'LastContact', 'KnownLeader', 'NextToken',
];

/** structs.Node of Nomad 1.11, in declaration order (no legacy Resources/Reserved). */
const NODE_KEYS = [
  'ID', 'SecretID', 'Datacenter', 'Name', 'CgroupParent', 'HTTPAddr', 'TLSEnabled', 'Attributes', 'NodeResources',
  'ReservedResources', 'Links', 'Meta', 'NodeClass', 'NodePool', 'ComputedClass', 'DrainStrategy', 'SchedulingEligibility',
  'Status', 'StatusDescription', 'IdentitySigningKeyID', 'StatusUpdatedAt', 'Events', 'Drivers', 'CSIControllerPlugins',
  'CSINodePlugins', 'HostVolumes', 'GCVolumesOnNodeGC', 'HostNetworks', 'LastDrain', 'NodeMaxAllocs',
  'LastMissedHeartbeatIndex', 'LastAllocUpdateIndex', 'CreateIndex', 'ModifyIndex',
  // Not a structs.Node field: the JSON encoder's node extension appends it.
  'Drain',
];

// ---- purge ----

t.test('purge: the node is deregistered, its allocs become lost and are replaced on another node', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  await c.register(job('web', 2));
  await c.advance(0);
  await c.advance(30_000);
  const [victim] = await allocsOf(c, 'web');
  const nodeId = victim!.NodeID as string;

  const r = await c.post(`/v1/node/${nodeId}/purge`);
  t.equal(r.status, 200);
  t.same(Object.keys(r.json), UPDATE_KEYS, 'NodeUpdateResponse fields');
  t.equal(index(r), r.json.Index, 'X-Nomad-Index is the deregistration index');
  t.match(r.json, { HeartbeatTTL: 0, NodeModifyIndex: r.json.Index, LeaderRPCAddr: '', NumNodes: 0, Servers: null, KnownLeader: false });
  t.equal(r.json.EvalIDs.length, 1, 'one node-update eval for the job on it');
  t.ok(r.json.EvalCreateIndex > r.json.Index, 'the evals are their own later write');
  const ev = (await c.get(`/v1/evaluation/${r.json.EvalIDs[0]}`)).json;
  t.match(ev, { TriggeredBy: 'node-update', JobID: 'web', NodeID: nodeId, NodeModifyIndex: r.json.Index });

  t.equal((await c.get(`/v1/node/${nodeId}`)).status, 404, 'the node is gone');
  t.same(await nodeIds(c), (await nodeIds(c)).filter((id) => id !== nodeId));
  await c.advance(0);
  t.match((await c.get(`/v1/allocation/${victim!.ID}`)).json, { ClientStatus: 'lost', DesiredStatus: 'stop' });
  const live = (await allocsOf(c, 'web')).filter((a) => a.DesiredStatus === 'run');
  t.equal(live.length, 2, 'the lost alloc was replaced');
  t.ok(live.every((a) => a.NodeID !== nodeId), 'on the remaining node');

  const before = latest(c);
  const again = await c.put(`/v1/node/${nodeId}/purge`);
  t.equal(again.status, 500, 'Deregister of an unknown node is a plain error');
  t.equal(again.body, 'node not found');
  t.equal(latest(c), before, 'nothing written');
});

t.test('purge and evaluate: methods, unknown nodes, no write on errors', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const [id] = await nodeIds(c);
  const before = latest(c);
  for (const op of ['purge', 'evaluate']) {
    const get = await c.get(`/v1/node/${id}/${op}`);
    t.equal(get.status, 405, `GET ${op}`);
    t.equal(get.body, 'Invalid method');
    t.equal((await c.del(`/v1/node/${id}/${op}`)).status, 405, `DELETE ${op}`);
    const unknown = await c.post(`/v1/node/00000000-0000-0000-0000-000000000000/${op}`);
    t.equal(unknown.status, 500, `${op} of an unknown node`);
    t.equal(unknown.body, 'node not found');
    t.equal(unknown.headers['x-nomad-index'], undefined);
  }
  t.equal(latest(c), before, 'no write');
  t.equal((await c.get(`/v1/node/${id}`)).status, 200, 'the node is still there');
});

// ---- evaluate ----

t.test('evaluate: node-update evals for the jobs on the node, listed and processed', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const [id] = await nodeIds(c);
  const idle = await c.post(`/v1/node/${id}/evaluate`);
  t.equal(idle.status, 200);
  t.same(Object.keys(idle.json), UPDATE_KEYS);
  t.match(idle.json, { EvalIDs: null, EvalCreateIndex: 0, NodeModifyIndex: 0, Index: 0, NumNodes: 1, LeaderRPCAddr: '127.0.0.1:4647' });
  t.equal(index(idle), 0, 'nothing to evaluate: no write, index 0');
  t.same(idle.json.Servers, [{ RPCAdvertiseAddr: '127.0.0.1:4647', RPCMajorVersion: 1, RPCMinorVersion: 1, Datacenter: 'dc1' }]);

  await c.register(job('web', 1));
  await c.register(minimalJob('agent', { Type: 'system' }));
  await c.advance(0);
  const node = (await c.get(`/v1/node/${id}`)).json;
  const r = await c.put(`/v1/node/${id}/evaluate`);
  t.equal(r.status, 200);
  t.equal(r.json.EvalIDs.length, 2, 'the service job on the node and the system job');
  t.equal(r.json.Index, r.json.EvalCreateIndex);
  t.equal(index(r), r.json.Index);
  t.equal(r.json.NodeModifyIndex, 0, 'the node is not written');
  t.equal((await c.get(`/v1/node/${id}`)).json.ModifyIndex, node.ModifyIndex);
  const evals = (await c.get('/v1/evaluations')).json as Obj[];
  for (const evalId of r.json.EvalIDs) {
    t.match(evals.find((e) => e.ID === evalId), { TriggeredBy: 'node-update', NodeID: id, NodeModifyIndex: node.ModifyIndex, CreateIndex: r.json.Index });
  }
  await c.advance(0);
  for (const evalId of r.json.EvalIDs) t.equal((await c.get(`/v1/evaluation/${evalId}`)).json.Status, 'complete');
  t.equal((await allocsOf(c, 'web')).filter((a) => a.DesiredStatus === 'run').length, 1, 'nothing moved');
});

// ---- client metadata ----

t.test('client metadata: read, set, unset; Meta is Static with Dynamic merged in', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const [id] = await nodeIds(c);
  const node = (await c.get(`/v1/node/${id}`)).json;
  const read = await c.get('/v1/client/metadata');
  t.equal(read.status, 200);
  t.same(Object.keys(read.json), ['Meta', 'Dynamic', 'Static']);
  t.same(read.json, { Meta: node.Meta, Dynamic: {}, Static: node.Meta }, 'the local client: its node');
  t.equal(read.headers['x-nomad-index'], undefined, 'answered by the client, no index');
  t.equal(node.Meta['connect.log_level'], 'info', 'the Connect defaults a client adds');

  const set = await c.post('/v1/client/metadata', { Meta: { rack: 'r1', 'connect.log_level': null } });
  t.equal(set.status, 200);
  t.same(set.json.Dynamic, { 'connect.log_level': null, rack: 'r1' }, 'a null on a static key is kept as a tombstone');
  t.same(set.json.Static, node.Meta, 'static meta unchanged');
  t.equal(set.json.Meta.rack, 'r1');
  t.notOk('connect.log_level' in set.json.Meta, 'the static key is unset');
  const after = (await c.get(`/v1/node/${id}`)).json;
  t.same(after.Meta, set.json.Meta, 'the node carries the merged meta');
  t.ok(after.ModifyIndex > node.ModifyIndex, 'the node was written');
  const [event] = await streamEvents(c, `topic=Node&index=${after.ModifyIndex}`, 1);
  t.match(event, { Topic: 'Node', Type: 'NodeRegistration', Key: id, Index: after.ModifyIndex, Payload: { Node: { Meta: { rack: 'r1' } } } }, 'the client re-registered');
  t.same((await c.get(`/v1/client/metadata?node_id=${id}`)).json, set.json, 'read back by node ID');

  const unset = await c.post('/v1/client/metadata', { NodeID: id, Meta: { rack: null } });
  t.equal(unset.status, 200);
  t.same(unset.json.Dynamic, { 'connect.log_level': null }, 'a null on a dynamic-only key is forgotten');
  t.notOk('rack' in unset.json.Meta);
});

t.test('client metadata: bad input is refused with Nomad\'s texts and writes nothing', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  const [a, b] = await nodeIds(c);
  const before = latest(c);
  const cases: [string, unknown, number, string | RegExp][] = [
    ['/v1/client/metadata', undefined, 400, 'Request body is empty'],
    ['/v1/client/metadata', {}, 400, 'missing required Meta object'],
    ['/v1/client/metadata', 'null', 400, 'missing required Meta object'],
    ['/v1/client/metadata', { Meta: {} }, 400, 'missing required Meta object'],
    ['/v1/client/metadata', { Meta: { '': 'x' } }, 400, 'metadata keys must not be empty'],
    ['/v1/client/metadata', { Meta: { 'bad.': 'x' } }, 400, '"bad." is invalid; metadata keys must be valid dotted hcl identifiers'],
    ['/v1/client/metadata', { Meta: { 'bad.-part': null } }, 400, '"bad.-part" is invalid; metadata keys must be valid dotted hcl identifiers'],
    ['/v1/client/metadata', { Meta: { 'some/path': 'x' } }, 400, '"some/path" is invalid; metadata keys must be valid dotted hcl identifiers'],
    ['/v1/client/metadata', { Meta: { a: 1 } }, 400, 'json: cannot unmarshal number into Go struct field NodeMetaApplyRequest.Meta of type string'],
    ['/v1/client/metadata', '{"Meta":', 400, /^unexpected EOF|^json: /],
    ['/v1/client/metadata?node_id=nope', { Meta: { a: 'b' } }, 500, 'Unknown node nope'],
    ['/v1/client/metadata', { NodeID: 'nope', Meta: { a: 'b' } }, 500, 'Unknown node nope'],
  ];
  for (const [url, body, status, text] of cases) {
    const r = await c.req('POST', url, body);
    t.equal(r.status, status, `${JSON.stringify(body)} → ${status}`);
    if (typeof text === 'string') t.equal(r.body, text);
    else t.match(r.body, text);
  }
  t.equal((await c.get('/v1/client/metadata?node_id=nope')).body, 'Unknown node nope');
  const put = await c.put('/v1/client/metadata', { Meta: { a: 'b' } });
  t.equal(put.status, 405);
  t.equal(put.body, 'Invalid method');
  t.equal(latest(c), before, 'nothing written');

  const local = (await c.get('/v1/agent/self')).json.stats.client.node_id as string;
  const remote = local === a ? b! : a!;
  t.equal((await c.post(`/_mock/node/${remote}/down`)).status, 200);
  const down = await c.post(`/v1/client/metadata?node_id=${remote}`, { Meta: { a: 'b' } });
  t.equal(down.status, 404, 'a down node cannot be reached through the server');
  t.equal(down.body, 'No path to node');
  t.equal((await c.get(`/v1/client/metadata?node_id=${remote}`)).status, 404);

  const odd = await c.post('/v1/client/metadata', `{"NodeID":"${local}","Meta":{"__proto__":"x","constructor":"y","toString":null}}`);
  t.equal(odd.status, 200, 'keys named like object internals are ordinary keys');
  t.same(Object.entries(odd.json.Dynamic), [['__proto__', 'x'], ['constructor', 'y']]);
  const meta = (await c.get(`/v1/node/${local}`)).json.Meta;
  t.equal(Object.getOwnPropertyDescriptor(meta, '__proto__')?.value, 'x');
  t.equal(Object.getOwnPropertyDescriptor(meta, 'constructor')?.value, 'y');
});

t.test('dynamic meta is a placement input: a blocked job constrained on ${meta.rack} is placed once it is set', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  const [, second] = await nodeIds(c);
  const constrained = job('racked', 1, { Constraints: [{ LTarget: '${meta.rack}', RTarget: 'r7', Operand: '=' }] });
  t.equal((await c.register(constrained)).status, 200);
  await c.advance(0);
  t.same(await allocsOf(c, 'racked'), [], 'no node has the meta yet');
  const blocked = ((await c.get('/v1/job/racked/evaluations')).json as Obj[]).find((e) => e.Status === 'blocked');
  t.ok(blocked, 'a blocked eval waits');

  const r = await c.post(`/v1/client/metadata?node_id=${second}`, { Meta: { rack: 'r7' } });
  t.equal(r.status, 200);
  t.equal(r.json.Meta.rack, 'r7');
  await c.advance(0);
  const allocs = await allocsOf(c, 'racked');
  t.equal(allocs.length, 1, 'placed');
  t.equal(allocs[0]!.NodeID, second, 'on the node whose meta now matches');
  t.equal((await c.get(`/v1/evaluation/${blocked!.ID}`)).json.Status, 'complete', 'the blocked eval was re-run');
});

t.test('dynamic meta survives snapshot and reset returns to the start-up meta', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const [id] = await nodeIds(c);
  const start = (await c.get('/v1/client/metadata')).json;
  await c.post('/v1/client/metadata', { Meta: { rack: 'r1' } });
  const snap = await c.get('/_mock/snapshot');
  t.equal(snap.status, 200);
  t.equal((await c.post('/_mock/reset')).status, 200);
  t.same((await c.get('/v1/client/metadata')).json, start, 'reset: no dynamic meta');
  t.equal((await c.post('/_mock/restore', snap.json)).status, 200);
  const restored = (await c.get(`/v1/client/metadata?node_id=${id}`)).json;
  t.same(restored.Dynamic, { rack: 'r1' }, 'restored with the snapshot');
  t.equal(restored.Meta.rack, 'r1');
});

// ---- ACLs ----

t.test('ACLs: purge and evaluate want node:write; metadata node:read to read, node:write to write', async (t) => {
  const c = await simClient({ acl: true });
  t.teardown(c.close);
  const { mgmt, as, token } = await aclSession(c);
  const reader = await token('node-read', 'node { policy = "read" }');
  const writer = await token('node-write', 'node { policy = "write" }');
  const [id] = ((await as(mgmt, 'GET', '/v1/nodes')).json as Obj[]).map((n) => n.ID as string);

  t.equal((await as(null, 'POST', `/v1/node/${id}/evaluate`)).status, 403, 'anonymous');
  t.equal((await as(reader, 'POST', `/v1/node/${id}/evaluate`)).body, 'Permission denied');
  t.equal((await as(writer, 'POST', `/v1/node/${id}/evaluate`)).status, 200);
  t.equal((await as(reader, 'GET', '/v1/client/metadata')).status, 200);
  t.equal((await as(null, 'GET', '/v1/client/metadata')).status, 403);
  t.equal((await as(reader, 'POST', '/v1/client/metadata', { Meta: { a: 'b' } })).status, 403);
  t.equal((await as(reader, 'POST', '/v1/client/metadata', { Meta: [] })).status, 400, 'the body is decoded before authentication');
  t.equal((await as(null, 'POST', '/v1/client/metadata', { AuthToken: writer, Meta: { a: 'b' } })).status, 200, 'a token in the body');
  t.equal((await as(writer, 'POST', '/v1/client/metadata', { Meta: { a: 'b' } })).status, 200);
  t.equal((await as(reader, 'POST', `/v1/node/${id}/purge`)).status, 403);
  t.equal((await as(writer, 'POST', `/v1/node/${id}/purge`)).status, 200);
});

// ---- the Node as 1.11 encodes it ----

t.test('GET /v1/node/:id: the fields of Nomad 1.11, resources without legacy keys, empty network fields left out', async (t) => {
  const c = await simClient({ nodeCpu: 10000 });
  t.teardown(c.close);
  const [id] = await nodeIds(c);
  const node = (await c.get(`/v1/node/${id}`)).json;
  t.same(Object.keys(node), NODE_KEYS, 'structs.Node fields in declaration order');
  t.notOk('Resources' in node || 'Reserved' in node, 'no legacy resources');
  t.match(node, { CgroupParent: 'nomad.slice', GCVolumesOnNodeGC: false, NodeMaxAllocs: 0, LastMissedHeartbeatIndex: 0, LastAllocUpdateIndex: 0 });
  const keys = (await c.get('/v1/operator/keyring/keys')).json as Obj[];
  t.equal(node.IdentitySigningKeyID, keys.find((k) => k.State === 'active')!.KeyID, 'signed with the active root key');

  const res = node.NodeResources;
  t.same(Object.keys(res), ['Cpu', 'Processors', 'Memory', 'Disk', 'Devices', 'NodeNetworks', 'Networks', 'MinDynamicPort', 'MaxDynamicPort']);
  const topo = res.Processors.Topology;
  t.same(Object.keys(topo), ['Nodes', 'Distances', 'Cores', 'BusAssociativity', 'OverrideTotalCompute', 'OverrideWitholdCompute']);
  t.equal(topo.Cores.length, 4, 'one core per 2.5 GHz');
  const total = (topo.Cores as Obj[]).reduce((s, core) => s + (core.BaseSpeed as number), 0);
  t.equal(total, 10000, 'the cores add up to the node\'s CPU');
  t.same(res.Cpu, { CpuShares: 10000, TotalCpuCores: 4, ReservableCpuCores: [0, 1, 2, 3] }, 'the legacy block follows the topology');
  t.equal(node.Attributes['cpu.numcores'], '4');
  t.same(Object.keys(res.Networks[0]), ['Mode', 'Device', 'CIDR', 'IP', 'MBits'], 'NetworkResource leaves its empty fields out');
  t.same(Object.keys(res.NodeNetworks[0]), ['Mode', 'Device', 'MacAddress', 'Speed', 'Addresses']);

  const uneven = await c.post(`/_mock/node/${id}`, { Resources: { CPU: 4000 } });
  t.equal(uneven.status, 200);
  const changed = (await c.get(`/v1/node/${id}`)).json.NodeResources;
  t.equal(changed.Processors.Topology.Cores.length, 2);
  t.equal(changed.Processors.Topology.OverrideTotalCompute, 0, '4000 splits evenly over 2 cores');
  t.same(changed.Cpu, { CpuShares: 4000, TotalCpuCores: 2, ReservableCpuCores: [0, 1] });
});

t.test('LastAllocUpdateIndex follows client alloc updates; LastMissedHeartbeatIndex follows down and up', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const [id] = await nodeIds(c);
  const before = (await c.get(`/v1/node/${id}`)).json;
  await c.register(job('web', 1));
  await c.advance(0);
  await c.advance(30_000);
  const [alloc] = await allocsOf(c, 'web');
  t.equal(alloc!.ClientStatus, 'running');
  const node = (await c.get(`/v1/node/${id}`)).json;
  t.equal(node.LastAllocUpdateIndex, alloc!.ModifyIndex, 'the index of the client\'s last alloc update');
  t.equal(node.ModifyIndex, before.ModifyIndex, 'ModifyIndex does not move for it');

  const down = await c.post(`/_mock/node/${id}/down`);
  t.equal((await c.get(`/v1/node/${id}`)).json.LastMissedHeartbeatIndex, down.json.NodeModifyIndex, 'set when the node goes down');
  await c.post(`/_mock/node/${id}/up`);
  t.equal((await c.get(`/v1/node/${id}`)).json.LastMissedHeartbeatIndex, 0, 'cleared once ready');
});

t.test('no simulator: metadata has no local client and names the empty node', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const r = await c.get('/v1/client/metadata');
  t.equal(r.status, 500);
  t.equal(r.body, 'Unknown node ');
});

t.test('a snapshot from before 1.11 (legacy Resources on its nodes) restores as 1.11 nodes', async (t) => {
  const c = await simClient({ nodeCpu: 5000 });
  t.teardown(c.close);
  const snap = (await c.get('/_mock/snapshot')).json;
  const legacy = snap.Nodes[0];
  const current = (await c.get(`/v1/node/${legacy.ID}`)).json;
  for (const k of ['CgroupParent', 'IdentitySigningKeyID', 'GCVolumesOnNodeGC', 'NodeMaxAllocs', 'LastMissedHeartbeatIndex', 'LastAllocUpdateIndex']) delete legacy[k];
  delete legacy.NodeResources.Processors;
  legacy.NodeResources.Networks[0] = { ...legacy.NodeResources.Networks[0], Hostname: '', DNS: null, ReservedPorts: null, DynamicPorts: null };
  legacy.Resources = { CPU: 5000, MemoryMB: 1024, DiskMB: 1024 };
  legacy.Reserved = { CPU: 0, MemoryMB: 0, DiskMB: 0 };
  t.equal((await c.post('/_mock/restore', snap)).status, 200);
  const node = (await c.get(`/v1/node/${legacy.ID}`)).json;
  t.notOk('Resources' in node || 'Reserved' in node);
  t.same(Object.keys(node), Object.keys(current), 'the 1.11 fields, in order');
  t.equal(node.NodeResources.Processors.Topology.Cores.length, 2);
  t.same(Object.keys(node.NodeResources.Networks[0]), ['Mode', 'Device', 'CIDR', 'IP', 'MBits']);
});

t.test('dynamic meta is kept by --data-dir across a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-meta-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const open = async (): Promise<Client> => {
    const m = createServer({ logLevel: 'silent', clock: 'manual', dataDir: dir }, undefined, { simulate: true });
    await m.init();
    await m.app.ready();
    return clientFor(m);
  };
  const first = await open();
  const set = await first.post('/v1/client/metadata', { Meta: { rack: 'r9' } });
  t.equal(set.status, 200);
  await first.close();
  const second = await open();
  t.teardown(second.close);
  const read = (await second.get('/v1/client/metadata')).json;
  t.same(read.Dynamic, { rack: 'r9' });
  t.equal(read.Meta.rack, 'r9');
});
