// Node reads and the agent's self description: GET /v1/nodes, /v1/node/:id, /v1/node/:id/allocations
// and /v1/agent/self (command/agent/node_endpoint.go, nomad/node_endpoint.go, agent_endpoint.go;
// http-semantics §1.4, §3, §4, §6.1).
import t from 'tap';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { client, index, minimalJob, type Client } from './helpers.js';
import { AgentSelf, NodeListStub } from '../routes/nodes/index.js';

const violations = (schema: TSchema, value: unknown): string[] =>
  [...Value.Errors(schema, value)].slice(0, 3).map((e) => `${e.path}: ${e.message}`);

// NodeListStub in declaration order.
const STUB_KEYS = [
  'Address', 'ID', 'Attributes', 'Datacenter', 'Name', 'NodeClass', 'NodePool', 'Version', 'Drain',
  'SchedulingEligibility', 'Status', 'StatusDescription', 'Drivers', 'HostVolumes', 'NodeResources',
  'ReservedResources', 'LastDrain', 'CreateIndex', 'ModifyIndex',
];

const sim = (config: Record<string, unknown> = {}): Promise<Client> =>
  client({ simulate: true, config: { clock: 'manual', ...config } });

t.test('GET /v1/nodes: one dev node, stub shape and meta headers', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const res = await c.get('/v1/nodes');
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/json');
  t.equal(res.headers['x-nomad-knownleader'], 'true');
  t.equal(res.headers['x-nomad-lastcontact'], '0');
  t.equal(res.headers['x-nomad-nexttoken'], undefined);
  t.equal(index(res), c.mock.store.tableIndex('nodes'), 'index = nodes table index');
  t.ok(index(res) > 0);
  t.equal(res.json.length, 1);
  const stub = res.json[0];
  t.same(Object.keys(stub), STUB_KEYS, 'declaration order');
  t.same(violations(NodeListStub, stub), [], 'conforms to NodeListStub');
  t.match(stub, {
    Name: 'mock-node-1',
    Datacenter: 'dc1',
    NodePool: 'default',
    NodeClass: '',
    Version: '2.0.5',
    Drain: false,
    SchedulingEligibility: 'eligible',
    Status: 'ready',
    Attributes: null,
    NodeResources: null,
    ReservedResources: null,
  });
  t.match(stub.ID, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  t.match(stub.Address, /^\d+\.\d+\.\d+\.\d+$/, 'Address is the HTTP address without port');
  t.ok(stub.Drivers.docker?.Detected, 'drivers are listed');
  t.equal(stub.CreateIndex, stub.ModifyIndex);
});

t.test('GET /v1/nodes without the simulator is [] with index 0', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.get('/v1/nodes');
  t.equal(res.status, 200);
  t.equal(res.body, '[]');
  t.equal(res.headers['x-nomad-index'], '0');
});

t.test('--nodes 3 over dc1,dc2: spread, sorted by ID, prefix, filter, pagination', async (t) => {
  const c = await sim({ nodes: 3, datacenters: 'dc1,dc2' });
  t.teardown(c.close);
  const res = await c.get('/v1/nodes');
  t.equal(res.json.length, 3);
  const byName = Object.fromEntries(res.json.map((n: { Name: string; Datacenter: string }) => [n.Name, n.Datacenter]));
  t.same(byName, { 'mock-node-1': 'dc1', 'mock-node-2': 'dc2', 'mock-node-3': 'dc1' });
  const ids: string[] = res.json.map((n: { ID: string }) => n.ID);
  t.same(ids, [...ids].sort(), 'ordered by ID');

  const one = await c.get(`/v1/nodes?prefix=${ids[1]!.slice(0, 8)}`);
  t.same(one.json.map((n: { ID: string }) => n.ID), [ids[1]], 'prefix on ID');
  t.same((await c.get('/v1/nodes?prefix=zzz')).json, [], 'no match is []');

  const dc2 = await c.get(`/v1/nodes?filter=${encodeURIComponent('Datacenter == "dc2"')}`);
  t.same(dc2.json.map((n: { Name: string }) => n.Name), ['mock-node-2'], 'filter on the Node');
  const attr = await c.get(`/v1/nodes?filter=${encodeURIComponent('Attributes["kernel.name"] == "linux"')}`);
  t.equal(attr.json.length, 3, 'filter sees the full node, Attributes included');
  const bad = await c.get(`/v1/nodes?filter=${encodeURIComponent('Datacenter ==')}`);
  t.equal(bad.status, 400);
  t.match(bad.body, /^failed to create result paginator: failed to read filter expression: /);

  const p1 = await c.get('/v1/nodes?per_page=2');
  t.same(p1.json.map((n: { ID: string }) => n.ID), ids.slice(0, 2));
  t.equal(p1.headers['x-nomad-nexttoken'], ids[2], 'token = ID of the first node of the next page');
  const p2 = await c.get(`/v1/nodes?per_page=2&next_token=${ids[2]}`);
  t.same(p2.json.map((n: { ID: string }) => n.ID), ids.slice(2));
  t.equal(p2.headers['x-nomad-nexttoken'], undefined);
});

t.test('resources=true and os=true fill the optional stub fields', async (t) => {
  const c = await sim({ nodeCpu: 8000, nodeMemory: 4096 });
  t.teardown(c.close);
  const [plain] = (await c.get('/v1/nodes')).json;
  t.equal(plain.NodeResources, null);
  t.equal(plain.Attributes, null);

  const [res] = (await c.get('/v1/nodes?resources=true')).json;
  t.equal(res.NodeResources.Cpu.CpuShares, 8000);
  t.equal(res.NodeResources.Memory.MemoryMB, 4096);
  t.ok(res.ReservedResources, 'ReservedResources too');
  t.equal(res.Attributes, null, 'os not asked for');

  const [os] = (await c.get('/v1/nodes?os=1')).json;
  t.same(os.Attributes, { 'os.name': 'ubuntu' }, 'only os.name is copied (Node.Stub)');
  t.equal(os.NodeResources, null);

  const [off] = (await c.get('/v1/nodes?resources=false&os=false')).json;
  t.equal(off.NodeResources, null);
  t.equal(off.Attributes, null);

  const bad = await c.get('/v1/nodes?resources=yes');
  t.equal(bad.status, 500, 'parseBool errors are plain errors');
  t.equal(bad.body, 'Failed to parse value of "resources" (yes) as a bool: strconv.ParseBool: parsing "yes": invalid syntax');
  t.equal(bad.headers['content-type'], 'text/plain; charset=utf-8');
});

t.test('GET /v1/node/:id: the full node with SecretID blank, index = ModifyIndex', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const [stub] = (await c.get('/v1/nodes')).json;
  const res = await c.get(`/v1/node/${stub.ID}`);
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/json');
  t.equal(index(res), res.json.ModifyIndex);
  t.equal(res.headers['x-nomad-knownleader'], 'true');
  t.equal(res.json.SecretID, '', 'SecretID present but blank');
  t.match(res.json, {
    ID: stub.ID,
    Name: 'mock-node-1',
    Datacenter: 'dc1',
    NodePool: 'default',
    Status: 'ready',
    SchedulingEligibility: 'eligible',
    DrainStrategy: null,
    HTTPAddr: `${stub.Address}:4646`,
    Attributes: { 'nomad.version': '2.0.5', 'kernel.name': 'linux' },
    NodeResources: { Cpu: { CpuShares: 10000 }, Memory: { MemoryMB: 16384 } },
  });
  t.ok(Array.isArray(res.json.Events) && res.json.Events[0].Message === 'Node registered');

  const pretty = await c.get(`/v1/node/${stub.ID}?pretty`);
  t.ok(pretty.body.endsWith('\n') && pretty.body.includes('\n    "ID"'), 'pretty honoured');
});

t.test('GET /v1/node/:id for a missing node: 404 with meta headers', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const res = await c.get('/v1/node/00000000-0000-0000-0000-000000000000');
  t.equal(res.status, 404);
  t.equal(res.body, 'node not found');
  t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(index(res), c.mock.store.tableIndex('nodes'), 'index = nodes table index');
  t.equal(res.headers['x-nomad-knownleader'], 'true');

  const prefixOnly = await c.get(`/v1/node/${[...c.mock.store.nodes.keys()][0]!.slice(0, 8)}`);
  t.equal(prefixOnly.status, 404, 'no prefix matching on the single read');

  const empty = await c.get('/v1/node/');
  t.equal(empty.status, 500);
  t.equal(empty.body, 'missing node ID');

  const redirect = await c.get('/v1/node');
  t.equal(redirect.status, 301);
  t.equal(redirect.headers.location, '/v1/node/');
});

t.test('query parsing errors on node reads (§2.1)', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const id = [...c.mock.store.nodes.keys()][0]!;
  for (const url of ['/v1/nodes', `/v1/node/${id}`, `/v1/node/${id}/allocations`]) {
    const r = await c.get(`${url}?index=-1`);
    t.equal(r.status, 400, url);
    t.equal(r.body, 'Invalid index');
    t.equal((await c.get(`${url}?wait=10`)).body, 'Invalid wait time');
  }
});

t.test('wrong methods answer 405 Invalid method', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const id = [...c.mock.store.nodes.keys()][0]!;
  const cases: [string, string][] = [
    ['PUT', '/v1/nodes'],
    ['POST', '/v1/nodes'],
    ['DELETE', '/v1/nodes'],
    ['HEAD', '/v1/nodes'],
    ['PUT', `/v1/node/${id}`],
    ['DELETE', `/v1/node/${id}`],
    ['POST', `/v1/node/${id}/allocations`],
    ['GET', `/v1/node/${id}/drain`],
    ['GET', `/v1/node/${id}/eligibility`],
    ['GET', `/v1/node/${id}/purge`],
    ['GET', `/v1/node/${id}/evaluate`],
    ['PUT', '/v1/agent/self'],
    ['POST', '/v1/agent/self'],
  ];
  for (const [method, url] of cases) {
    const r = await c.req(method, url);
    t.equal(r.status, 405, `${method} ${url}`);
    if (method !== 'HEAD') t.equal(r.body, 'Invalid method');
  }
  const drain = await c.post(`/v1/node/${id}/drain`, { DrainSpec: null });
  t.equal(drain.status, 200, 'drain answers (test/node-drain.test.ts covers it)');
});

t.test('GET /v1/node/:id/allocations after the scheduler placed a job', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const nodeId = [...c.mock.store.nodes.keys()][0]!;

  const before = await c.get(`/v1/node/${nodeId}/allocations`);
  t.equal(before.status, 200);
  t.equal(before.body, '[]');
  t.equal(index(before), Math.max(1, c.mock.store.tableIndex('allocs')), 'empty: allocs table index, at least 1');

  const reg = await c.register(minimalJob('web', { TaskGroups: [{ Name: 'web', Count: 2, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }] }));
  t.equal(reg.status, 200);
  await c.mock.clock.settle();

  const res = await c.get(`/v1/node/${nodeId}/allocations`);
  t.equal(res.status, 200);
  t.equal(res.json.length, 2);
  const maxModify = Math.max(...res.json.map((a: { ModifyIndex: number }) => a.ModifyIndex));
  t.equal(index(res), maxModify, 'index = highest ModifyIndex of the node\'s allocs');
  for (const a of res.json) {
    t.equal(a.NodeID, nodeId);
    t.equal(a.NodeName, 'mock-node-1');
    t.equal(a.JobID, 'web');
    t.equal(a.EvalID, reg.json.EvalID);
    t.equal(a.Job?.ID, 'web', 'full Allocation: the job is embedded');
    t.notOk('JobType' in a, 'not an AllocListStub');
  }
  const ids = res.json.map((a: { ID: string }) => a.ID);
  t.same(ids, [...ids].sort(), 'ordered by alloc ID');

  // They are the same allocations the job reports.
  const jobAllocs = (await c.get('/v1/job/web/allocations')).json.map((a: { ID: string }) => a.ID).sort();
  t.same([...ids].sort(), jobAllocs);

  const none = await c.get('/v1/node/00000000-0000-0000-0000-000000000000/allocations');
  t.equal(none.status, 200, 'an unknown node simply has no allocs');
  t.equal(none.body, '[]');
});

t.test('allocations on several nodes are split by NodeID', async (t) => {
  const c = await sim({ nodes: 3, datacenters: 'dc1,dc2' });
  t.teardown(c.close);
  await c.register(minimalJob('web', { Datacenters: ['dc1', 'dc2'], TaskGroups: [{ Name: 'web', Count: 3, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }] }));
  await c.mock.clock.settle();
  let total = 0;
  for (const nodeId of c.mock.store.nodes.keys()) {
    const res = await c.get(`/v1/node/${nodeId}/allocations`);
    t.equal(res.status, 200);
    for (const a of res.json) t.equal(a.NodeID, nodeId);
    total += res.json.length;
  }
  t.equal(total, 3, 'every alloc is on exactly one node');
});

t.test('blocking on /v1/nodes and /v1/node/:id/allocations', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const nodeId = [...c.mock.store.nodes.keys()][0]!;

  // Nothing writes the nodes table: a short wait times out with the same index.
  const list = await c.get('/v1/nodes');
  const started = Date.now();
  const timedOut = await c.get(`/v1/nodes?index=${index(list)}&wait=50ms`);
  t.equal(timedOut.status, 200);
  t.equal(index(timedOut), index(list));
  t.ok(Date.now() - started >= 40, 'waited');

  // A placement wakes a blocked alloc read.
  const before = await c.get(`/v1/node/${nodeId}/allocations`);
  const pending = c.get(`/v1/node/${nodeId}/allocations?index=${index(before)}&wait=5s`);
  await c.register(minimalJob('web'));
  await c.mock.clock.settle();
  const after = await pending;
  t.ok(index(after) > index(before));
  t.equal(after.json.length, 1);
});

t.test('GET /v1/agent/self: lowercase wrapper, dev agent config, member and stats', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const res = await c.get('/v1/agent/self');
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/json');
  t.equal(res.headers['x-nomad-index'], undefined, 'no index headers');
  t.equal(res.headers['x-nomad-knownleader'], undefined);
  t.equal(res.headers['x-nomad-lastcontact'], undefined);
  t.same(Object.keys(res.json), ['config', 'member', 'stats'], 'lowercase json tags');
  t.same(violations(AgentSelf, res.json), [], 'conforms to AgentSelf');

  const { config, member, stats } = res.json;
  t.match(config, {
    Region: 'global',
    Datacenter: 'dc1',
    NodeName: 'mock-node-1',
    DevMode: true,
    Version: { Version: '2.0.5', VersionPrerelease: '' },
    Server: { Enabled: true, BootstrapExpect: 1 },
    Client: { Enabled: true },
    Ports: { HTTP: 4646, RPC: 4647, Serf: 4648 },
  });
  const keys = Object.keys(config);
  t.same(keys, [...keys].sort(), 'config keys sorted (reflection encoder)');

  t.match(member, { Name: 'mock-node-1.global', Addr: '127.0.0.1', Port: 4648, Status: 'alive' });
  t.match(member.Tags, { role: 'nomad', region: 'global', dc: 'dc1', build: '2.0.5', port: '4647' });

  t.equal(stats.nomad.leader, 'true');
  t.equal(stats.nomad.server, 'true');
  t.equal(stats.client.node_id, [...c.mock.store.nodes.keys()][0]);
  t.equal(stats.raft.state, 'Leader');
  t.equal(stats.raft.applied_index, String(c.mock.store.latestIndex()));
  for (const group of Object.values(stats) as Record<string, unknown>[]) {
    for (const v of Object.values(group)) t.equal(typeof v, 'string');
  }

  // Not a blocking read: query parameters are not parsed at all.
  const ignored = await c.get('/v1/agent/self?index=abc&wait=zz');
  t.equal(ignored.status, 200);
});

t.test('agent/self follows --region and counts the agent node\'s allocations', async (t) => {
  const c = await sim({ region: 'eu' });
  t.teardown(c.close);
  const before = (await c.get('/v1/agent/self')).json;
  t.equal(before.config.Region, 'eu');
  t.equal(before.member.Name, 'mock-node-1.eu');
  t.equal(before.member.Tags.region, 'eu');
  t.equal(before.stats.client.num_allocations, '0');
  await c.register(minimalJob('web'));
  await c.mock.clock.settle();
  const after = (await c.get('/v1/agent/self')).json;
  t.equal(after.stats.client.num_allocations, '1');
});
