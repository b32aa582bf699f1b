// Node pools (node-pools.mdx): the list, read, upsert and delete endpoints with Nomad's checks and
// texts (command/agent/node_pool_endpoint.go, nomad/node_pool_endpoint.go, structs/node_pool.go,
// state_store_node_pools.go and node_pool_ce.go, marked "(source)"), `/nodes` and `/jobs`, blocking
// reads, ACL capabilities, events, and the pools' place in snapshots and resets.
import t from 'tap';
import { aclSession, client, index, minimalJob, simClient, streamEvents } from './helpers.js';

const oneError = (msg: string): string => `1 error occurred:\n\t* ${msg}\n\n`;
const DAY_NS = 86_400_000_000_000;

t.test('GET /v1/node/pools lists the built-in pools (no longer read as a node)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.get('/v1/node/pools');
  t.equal(res.status, 200);
  t.same(res.json.map((p: { Name: string }) => p.Name), ['all', 'default']);
  t.same(res.json[0], {
    Name: 'all', Description: 'Node pool with all nodes in the cluster.', Meta: null, SchedulerConfiguration: null,
    NodeIdentityTTL: DAY_NS, Hash: null, CreateIndex: 1, ModifyIndex: 1,
  });
  t.equal(res.json[1].Description, 'Default node pool.');
  t.equal(index(res), 1, 'the node_pools index of the bootstrap write');
  t.equal(res.headers['x-nomad-knownleader'], 'true');
  t.equal(res.headers['x-nomad-lastcontact'], '0');
  t.equal((await c.get('/v1/node/pool/default')).json.Name, 'default');
});

t.test('upsert with PUT/POST on /v1/node/pools and /v1/node/pool/:name, then read it back', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const put = await c.put('/v1/node/pools', { Name: 'prod-eng', Description: 'Production workloads', Meta: { env: 'production' } });
  t.equal(put.status, 200);
  t.equal(put.body, '', 'empty body');
  const created = index(put);
  t.ok(created > 1, 'X-Nomad-Index is the write');
  const one = await c.get('/v1/node/pool/prod-eng');
  t.equal(one.status, 200);
  t.match(one.json, { Name: 'prod-eng', Description: 'Production workloads', Meta: { env: 'production' }, SchedulerConfiguration: null, NodeIdentityTTL: DAY_NS, CreateIndex: created, ModifyIndex: created });
  t.match(one.json.Hash, /^[A-Za-z0-9+/]{43}=$/, 'Hash: a BLAKE2b-256 digest, base64 (SetHash)');
  t.equal(index(one), created, 'a read reports the pool ModifyIndex');

  const post = await c.post('/v1/node/pool/prod-eng', { Name: 'prod-eng', Description: 'changed', NodeIdentityTTL: '1h' });
  t.equal(post.status, 200);
  const after = (await c.get('/v1/node/pool/prod-eng')).json;
  t.match(after, { Description: 'changed', NodeIdentityTTL: 3_600_000_000_000, CreateIndex: created, ModifyIndex: index(post) });
  t.not(after.Hash, one.json.Hash, 'the hash follows the fields');

  t.equal((await c.put('/v1/node/pool/', { Name: 'other' })).status, 200, 'an empty path name skips the name check');
  t.same((await c.get('/v1/node/pools?prefix=prod')).json.map((p: { Name: string }) => p.Name), ['prod-eng']);
});

t.test('upsert errors: path mismatch, built-in pools, validation (multierror), CE-only settings, bodies', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const mismatch = await c.put('/v1/node/pool/a', { Name: 'b' });
  t.equal(mismatch.status, 400);
  t.equal(mismatch.body, 'Node pool name does not match request path');
  for (const name of ['all', 'default']) {
    const r = await c.put('/v1/node/pools', { Name: name, Description: 'x' });
    t.equal(r.status, 400);
    t.equal(r.body, `modifying node pool "${name}" is not allowed`, '(source)');
  }
  const bad = await c.put('/v1/node/pools', { Name: 'has space' });
  t.equal(bad.status, 400);
  t.equal(bad.body, `invalid node pool "has space": ${oneError('invalid name "has space", must match regex ^[a-zA-Z0-9-_]{1,128}$')}`, '(source)');
  const long = await c.put('/v1/node/pools', { Name: 'ok', Description: 'd'.repeat(257) });
  t.equal(long.body, `invalid node pool "ok": ${oneError('description longer than 256')}`);
  const ent = await c.put('/v1/node/pools', { Name: 'ok', SchedulerConfiguration: { SchedulerAlgorithm: 'spread', MemoryOversubscriptionEnabled: true } });
  t.equal(ent.status, 400);
  t.equal(
    ent.body,
    'invalid node pool "ok": 2 errors occurred:\n\t* SchedulerAlgorithm is only available in Nomad Enterprise\n\t* MemoryOversubscriptionEnabled is only available in Nomad Enterprise\n\n',
    'per-pool scheduler settings are Enterprise-only (node_pool_ce.go)',
  );
  const empty = await c.req('PUT', '/v1/node/pools');
  t.equal(empty.status, 400);
  t.equal(empty.body, 'Request body is empty');
  const typed = await c.put('/v1/node/pools', { Name: 5 });
  t.equal(typed.status, 400);
  t.match(typed.body, /^json: cannot unmarshal number into Go struct field .*Name of type string$/);
  const ttl = await c.put('/v1/node/pools', { Name: 'ok', NodeIdentityTTL: 'soon' });
  t.equal(ttl.status, 400);
  t.equal(ttl.body, 'time: invalid duration "soon"');
  t.same((await c.get('/v1/node/pools')).json.length, 2, 'nothing was written');
});

t.test('delete: in use by nodes or jobs, built-in, missing; then gone', async (t) => {
  const c = await simClient({ nodes: 1 });
  t.teardown(c.close);
  const inUse = await c.del('/v1/node/pool/default');
  t.equal(inUse.status, 500);
  t.equal(inUse.body, oneError('node pool "default" has nodes in regions: [global]'), '(source: nodePoolRegionsInUse)');
  const all = await c.del('/v1/node/pool/all');
  t.equal(all.status, 500);
  t.equal(all.body, 'deleting node pool "all" is not allowed', '(source: deleteNodePoolTxn)');
  const missing = await c.del('/v1/node/pool/nope');
  t.equal(missing.status, 500);
  t.equal(missing.body, 'node pool nope not found');

  t.equal((await c.put('/v1/node/pools', { Name: 'batch' })).status, 200);
  t.equal((await c.register(minimalJob('etl', { NodePool: 'batch' }))).status, 200);
  const busy = await c.del('/v1/node/pool/batch');
  t.equal(busy.status, 500);
  t.equal(busy.body, oneError('node pool "batch" has non-terminal jobs in regions: [global]'));
  t.equal((await c.del('/v1/job/etl?purge=true')).status, 200);
  await c.advance(0);
  const ok = await c.del('/v1/node/pool/batch');
  t.equal(ok.status, 200);
  t.ok(index(ok) > 0);
  const gone = await c.get('/v1/node/pool/batch');
  t.equal(gone.status, 404);
  t.equal(gone.body, 'node pool not found');
  t.equal(index(gone), index(ok), 'a missing pool reads at the table index');
});

t.test('a job naming an unknown pool is rejected at register', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const r = await c.register(minimalJob('web', { NodePool: 'ghost' }));
  t.equal(r.status, 500);
  t.equal(r.body, oneError('job "web" is in nonexistent node pool "ghost"'));
});

t.test('/nodes lists a pool’s nodes (all: every node); /jobs its jobs; their own 400s', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  const nodes = await c.get('/v1/node/pool/default/nodes');
  t.equal(nodes.status, 200);
  t.equal(nodes.json.length, 2);
  t.match(nodes.json[0], { NodePool: 'default', Status: 'ready', NodeResources: null, Attributes: null });
  t.equal((await c.get('/v1/node/pool/all/nodes')).json.length, 2);
  const withOs = await c.get('/v1/node/pool/default/nodes?os=true&resources=true&per_page=1');
  t.same(withOs.json[0].Attributes, { 'os.name': 'ubuntu' });
  t.ok(withOs.json[0].NodeResources);
  t.ok(withOs.headers['x-nomad-nexttoken'], 'paged by node ID');
  const none = await c.get('/v1/node/pool/nope/nodes');
  t.same(none.json, []);
  t.equal(index(none), 0, 'an unknown pool answers nothing at index 0 (source)');
  const prefix = await c.get('/v1/node/pool/default/nodes?prefix=a');
  t.equal(prefix.status, 400);
  t.equal(prefix.body, 'prefix argument not allowed');
  const badBool = await c.get('/v1/node/pool/default/nodes?os=maybe');
  t.equal(badBool.status, 400);
  t.equal(badBool.body, 'Failed to parse node list fields: Failed to parse value of "os" (maybe) as a bool: strconv.ParseBool: parsing "maybe": invalid syntax');

  await c.register(minimalJob('a'));
  await c.put('/v1/namespace/ops', { Name: 'ops' });
  await c.register(minimalJob('b', { Namespace: 'ops' }));
  const jobs = await c.get('/v1/node/pool/default/jobs');
  t.same(jobs.json.map((j: { ID: string }) => j.ID), ['a'], 'the default namespace by default');
  t.same((await c.get('/v1/node/pool/default/jobs?namespace=*')).json.map((j: { ID: string }) => j.ID), ['a', 'b']);
  t.same((await c.get('/v1/node/pool/all/jobs?namespace=*')).json, [], 'JobsByPool is exact: no job names the all pool');
  t.equal((await c.get('/v1/node/pool/default/jobs?prefix=a')).body, 'prefix argument not allowed');
  t.same((await c.get('/v1/node/pool/nope/jobs')).json, []);
});

t.test('methods: 405 Invalid method, and Go’s redirect of /v1/node/pool', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const [m, u] of [['DELETE', '/v1/node/pools'], ['PATCH', '/v1/node/pool/default'], ['PUT', '/v1/node/pool/default/nodes'], ['POST', '/v1/node/pool/default/jobs']]) {
    const r = await c.req(m!, u!);
    t.equal(r.status, 405, `${m} ${u}`);
    t.equal(r.body, 'Invalid method');
  }
  const redirect = await c.get('/v1/node/pool?x=1');
  t.equal(redirect.status, 301);
  t.equal(redirect.headers.location, '/v1/node/pool/?x=1');
});

t.test('list: filter, pagination, reverse; bad filter is a 400', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const n of ['p1', 'p2', 'p3']) await c.put('/v1/node/pools', { Name: n, Meta: { tier: n === 'p2' ? 'gold' : 'std' } });
  const page = await c.get('/v1/node/pools?per_page=2');
  t.same(page.json.map((p: { Name: string }) => p.Name), ['all', 'default']);
  t.equal(page.headers['x-nomad-nexttoken'], 'p1');
  t.same((await c.get('/v1/node/pools?per_page=2&next_token=p1')).json.map((p: { Name: string }) => p.Name), ['p1', 'p2']);
  t.same((await c.get('/v1/node/pools?reverse=true&per_page=1')).json.map((p: { Name: string }) => p.Name), ['p3']);
  t.same((await c.get(`/v1/node/pools?filter=${encodeURIComponent('Meta.tier == "gold"')}`)).json.map((p: { Name: string }) => p.Name), ['p2']);
  const bad = await c.get(`/v1/node/pools?filter=${encodeURIComponent('Name ==')}`);
  t.equal(bad.status, 400);
  t.match(bad.body, /^failed to create result paginator: /);
});

t.test('blocking reads wake on a pool write', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const start = index(await c.get('/v1/node/pools'));
  const held = c.get(`/v1/node/pools?index=${start}&wait=10s`);
  const heldOne = c.get(`/v1/node/pool/late?index=${start}&wait=10s`);
  const w = await c.put('/v1/node/pools', { Name: 'late' });
  const [list, one] = await Promise.all([held, heldOne]);
  t.equal(index(list), index(w));
  t.ok(list.json.some((p: { Name: string }) => p.Name === 'late'));
  t.equal(one.status, 200);
  t.equal(one.json.Name, 'late');
});

t.test('pools ride along in snapshots and resets', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.put('/v1/node/pools', { Name: 'kept' });
  const snap = (await c.get('/_mock/snapshot')).json;
  await c.post('/_mock/reset');
  t.equal((await c.get('/v1/node/pool/kept')).status, 404, 'reset drops it');
  t.equal((await c.put('/_mock/restore', snap)).status, 200);
  t.equal((await c.get('/v1/node/pool/kept')).status, 200, 'restore brings it back');
});

t.test('ACL: list filtered by node_pool read; read, write and delete capabilities; /nodes needs node:read', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const { mgmt, as, token } = await aclSession(c);
  t.equal((await as(mgmt, 'PUT', '/v1/node/pools', { Name: 'prod-a' })).status, 200);
  t.equal((await as(mgmt, 'PUT', '/v1/node/pools', { Name: 'dev' })).status, 200);
  const reader = await token('np-read', 'node_pool "prod-*" { policy = "read" }');
  const writer = await token('np-write', 'node_pool "prod-*" { policy = "write" }\nnode { policy = "read" }');

  t.same((await as(null, 'GET', '/v1/node/pools')).json, [], 'anonymous: no pool is readable');
  t.same((await as(reader, 'GET', '/v1/node/pools')).json.map((p: { Name: string }) => p.Name), ['prod-a']);
  t.equal((await as(reader, 'GET', '/v1/node/pool/dev')).status, 403);
  t.equal((await as(reader, 'GET', '/v1/node/pool/prod-a')).status, 200);
  const denied = await as(reader, 'PUT', '/v1/node/pools', { Name: 'prod-b' });
  t.equal(denied.status, 403);
  t.equal(denied.body, 'Permission denied');
  t.equal((await as(reader, 'GET', '/v1/node/pool/prod-a/nodes')).status, 403, '/nodes also needs node:read');
  t.equal((await as(writer, 'GET', '/v1/node/pool/prod-a/nodes')).status, 200);
  t.equal((await as(writer, 'PUT', '/v1/node/pools', { Name: 'prod-b' })).status, 200);
  t.equal((await as(writer, 'PUT', '/v1/node/pools', { Name: 'dev' })).status, 403, 'write only where granted');
  t.equal((await as(reader, 'DELETE', '/v1/node/pool/prod-b')).status, 403);
  t.equal((await as(writer, 'DELETE', '/v1/node/pool/prod-b')).status, 200, 'write implies delete');
  const agentCheck = await as(reader, 'PUT', '/v1/node/pool/x', { Name: 'y' });
  t.equal(agentCheck.status, 400, "the agent's own checks come before the refusal");
  t.same((await as(reader, 'GET', '/v1/node/pool/prod-a/jobs')).json, [], 'jobs need list-jobs in their namespace');
  const stream = await as(writer, 'GET', '/v1/event/stream?topic=NodePool');
  t.equal(stream.status, 403, 'the NodePool topic needs a management token (event_endpoint.go), node:read is not enough');
});

t.test('NodePool events on the event stream: NodePoolUpserted and NodePoolDeleted', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.put('/v1/node/pools', { Name: 'evt' });
  await c.del('/v1/node/pool/evt');
  const events = await streamEvents(c, 'topic=NodePool&index=1', 2);
  t.same(events.map((e) => [e.Topic, e.Type, e.Key]), [['NodePool', 'NodePoolUpserted', 'evt'], ['NodePool', 'NodePoolDeleted', 'evt']]);
  t.equal((events[0]!.Payload as { NodePool: { Name: string } }).NodePool.Name, 'evt');
});


