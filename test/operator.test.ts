// The operator endpoints (operator/*.mdx) as Nomad CE answers them on a one-server dev agent:
// raft, autopilot, scheduler configuration (and its effects on the simulator), DELETE
// /v1/evaluations, the keyring, snapshots, license and upgrade-check. Texts the docs do not give follow
// hashicorp/nomad's source (command/agent/operator_endpoint.go, operator_endpoint_ce.go,
// keyring_endpoint.go, eval_endpoint.go; nomad/operator_endpoint.go, eval_endpoint.go,
// keyring_endpoint.go) and are marked "(source)".
import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { aclSession, client, index, minimalJob, simClient, type Client, type Res } from './helpers.js';
import type { Obj } from '../state/types.js';

const SERVER_ID = '6f3e1b7a-2c4d-4e8f-9a0b-1c2d3e4f5a6b';

/** A mock_driver job of `count` allocs asking for `cpu`/`memory` (with a memory_max). */
const job = (id: string, count = 1): Obj =>
  minimalJob(id, { TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'app', Driver: 'mock_driver', Config: { run_for: '1h' }, Resources: { CPU: 500, MemoryMB: 256, MemoryMaxMB: 512 } }] }] });

const setScheduler = (c: Client, cfg: Obj, query = ''): Promise<Res> =>
  c.put(`/v1/operator/scheduler/configuration${query}`, { PreemptionConfig: { SystemSchedulerEnabled: true }, ...cfg });

t.test('raft configuration: this one server, a voter that leads; a bare 405 for other methods', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.get('/v1/operator/raft/configuration');
  t.equal(res.status, 200);
  t.same(res.json, { Servers: [{ ID: SERVER_ID, Node: 'mock-node-1.global', Address: '127.0.0.1:4647', Leader: true, Voter: true, RaftProtocol: '3' }], Index: 0 });
  t.equal(res.headers['x-nomad-index'], undefined, 'no query meta (source)');
  const put = await c.put('/v1/operator/raft/configuration');
  t.equal(put.status, 405);
  t.equal(put.body, '', 'the handler writes the status only (source)');
  const other = await c.get('/v1/operator/raft/nothing');
  t.equal(other.status, 404);
  t.equal(other.body, 'Invalid method', '(source)');
  const redirect = await c.get('/v1/operator/raft');
  t.equal(redirect.status, 301);
  t.equal(redirect.headers.location, '/v1/operator/raft/');
});

t.test('raft peer removal: parameter checks, unknown peers, and the only voter', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.get('/v1/operator/raft/peer?id=x')).body, 'Invalid method', 'DELETE only: 404 Invalid method (source)');
  const none = await c.del('/v1/operator/raft/peer');
  t.equal(none.status, 400);
  t.equal(none.body, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove");
  t.equal((await c.del('/v1/operator/raft/peer?id=a&address=b')).body, 'Must specify only one of ?id or ?address');
  const unknownAddr = await c.del('/v1/operator/raft/peer?address=10.0.0.9:4647');
  t.equal(unknownAddr.status, 500);
  t.equal(unknownAddr.body, 'address "10.0.0.9:4647" was not found in the Raft configuration', '(source)');
  const unknownId = await c.del('/v1/operator/raft/peer?id=nope');
  t.equal(unknownId.body, 'id "nope" was not found in the Raft configuration', '(source)');
  const self = await c.del(`/v1/operator/raft/peer?id=${SERVER_ID}`);
  t.equal(self.status, 500);
  t.equal(self.body, 'need at least one voter in configuration: {[]}', 'Raft refuses to remove the last voter');
});

t.test('transfer leadership: checks, unknown targets, and the no-op onto the leader itself', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const checks: [string, string][] = [
    ['', 'must specify id or address'],
    ['?id=a&address=b', 'must specify either id or address'],
    ['?id=', 'id must be non-empty'],
    ['?id=a&id=b', 'must specify only one id'],
    ['?address=', 'address must be non-empty'],
    ['?id=abc', 'id must be a uuid: uuid string is wrong length'],
    ['?address=nowhere', 'address must be in IP:port format: address nowhere: missing port in address'],
    ['?address=10.0.0.9:4647', 'address "10.0.0.9:4647" was not found in the Raft configuration'],
  ];
  for (const [q, text] of checks) {
    const r = await c.put(`/v1/operator/raft/transfer-leadership${q}`);
    t.equal(r.status, 400, q);
    t.equal(r.body, text, q);
  }
  t.equal((await c.get('/v1/operator/raft/transfer-leadership?id=x')).status, 405);
  const self = await c.post(`/v1/operator/raft/transfer-leadership?id=${SERVER_ID}`);
  t.equal(self.status, 200);
  const me = { Address: '127.0.0.1:4647', ID: SERVER_ID };
  t.same(self.json, { From: me, To: me, Noop: true, Err: null, Index: 0 });
});

t.test('autopilot configuration: defaults, PUT with and without cas, bad bodies; health', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const get = await c.get('/v1/operator/autopilot/configuration');
  t.equal(get.status, 200);
  t.same(get.json, {
    LastContactThreshold: '200ms', ServerStabilizationTime: '10s', CleanupDeadServers: true, MaxTrailingLogs: 250, MinQuorum: 0,
    EnableRedundancyZones: false, DisableUpgradeMigration: false, EnableCustomUpgrades: false, CreateIndex: 1, ModifyIndex: 1,
  });
  const stale = await c.put('/v1/operator/autopilot/configuration?cas=99', { ...get.json, MaxTrailingLogs: 10 });
  t.equal(stale.body, 'false', 'a stale cas does not apply');
  const cas = await c.put('/v1/operator/autopilot/configuration?cas=1', { ...get.json, MaxTrailingLogs: 10, LastContactThreshold: '1s', ServerStabilizationTime: 5e9 });
  t.equal(cas.body, 'true');
  const after = (await c.get('/v1/operator/autopilot/configuration')).json;
  t.match(after, { MaxTrailingLogs: 10, LastContactThreshold: '1s', ServerStabilizationTime: '5s', CreateIndex: 1 });
  t.ok(after.ModifyIndex > 1);
  t.equal((await c.put('/v1/operator/autopilot/configuration', { CleanupDeadServers: false })).body, 'true', 'without cas: true');
  t.equal((await c.put('/v1/operator/autopilot/configuration?cas=x', {})).body, 'Error parsing cas value: strconv.ParseUint: parsing "x": invalid syntax');
  const dur = await c.put('/v1/operator/autopilot/configuration', { LastContactThreshold: 'soon' });
  t.equal(dur.status, 400);
  t.equal(dur.body, 'Error parsing autopilot config: time: invalid duration "soon"');
  t.equal((await c.req('PUT', '/v1/operator/autopilot/configuration')).body, 'Error parsing autopilot config: Request body is empty');
  const post = await c.post('/v1/operator/autopilot/configuration', {});
  t.equal(post.status, 404);
  t.equal(post.body, 'Invalid method', '(source)');

  const health = await c.get('/v1/operator/autopilot/health');
  t.equal(health.status, 200);
  t.match(health.json, { Healthy: true, FailureTolerance: 0, Leader: SERVER_ID, Voters: [SERVER_ID] });
  t.match(health.json.Servers[0], { LastContact: '0s', ID: SERVER_ID, Address: '127.0.0.1:4647', SerfStatus: 'alive', Version: '2.0.5', Leader: true, Healthy: true, Voter: true });
  t.match(health.json.Servers[0].StableSince, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

t.test('scheduler configuration: defaults at the bootstrap index, PUT/POST with cas, Nomad’s errors', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const get = await c.get('/v1/operator/scheduler/configuration');
  t.equal(get.status, 200);
  t.same(get.json, {
    SchedulerConfig: {
      SchedulerAlgorithm: 'binpack',
      PreemptionConfig: { SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false },
      MemoryOversubscriptionEnabled: false, RejectJobRegistration: false, PauseEvalBroker: false, CreateIndex: 1, ModifyIndex: 1,
    },
    Index: 1, LastContact: 0, KnownLeader: true, NextToken: '',
  });
  t.equal(index(get), 1);
  t.equal(get.headers['x-nomad-knownleader'], 'true');

  const stale = await setScheduler(c, { SchedulerAlgorithm: 'spread' }, '?cas=7');
  t.equal(stale.status, 200);
  t.equal(stale.json.Updated, false);
  t.equal(index(stale), stale.json.Index, 'the refused cas still took a Raft index');
  t.equal((await c.get('/v1/operator/scheduler/configuration')).json.SchedulerConfig.SchedulerAlgorithm, 'binpack');
  const cas = await setScheduler(c, { SchedulerAlgorithm: 'spread', PreemptionConfig: { ServiceSchedulerEnabled: true } }, '?cas=1');
  t.same(cas.json, { Updated: true, Index: index(cas) });
  const now = (await c.get('/v1/operator/scheduler/configuration')).json;
  t.match(now.SchedulerConfig, { SchedulerAlgorithm: 'spread', PreemptionConfig: { ServiceSchedulerEnabled: true, SystemSchedulerEnabled: false }, CreateIndex: 1, ModifyIndex: index(cas) });
  t.equal(now.Index, index(cas));
  const plain = await c.post('/v1/operator/scheduler/configuration', { SchedulerAlgorithm: 'binpack' });
  t.equal(plain.json.Updated, true, 'a write without cas reports Updated: true (source)');

  const bad = await c.put('/v1/operator/scheduler/configuration', { SchedulerAlgorithm: 'random' });
  t.equal(bad.status, 400);
  t.equal(bad.body, 'invalid scheduler algorithm: random', '(source)');
  t.equal((await c.put('/v1/operator/scheduler/configuration?cas=-1', {})).body, 'Error parsing cas value: strconv.ParseUint: parsing "-1": invalid syntax');
  t.equal((await c.req('PUT', '/v1/operator/scheduler/configuration')).body, 'Error parsing scheduler config: Request body is empty');
  const typed = await c.put('/v1/operator/scheduler/configuration', { PauseEvalBroker: 'yes' });
  t.equal(typed.status, 400);
  t.match(typed.body, /^Error parsing scheduler config: json: cannot unmarshal string into Go struct field .*PauseEvalBroker of type bool$/);
  t.equal((await c.del('/v1/operator/scheduler/configuration')).status, 405);
});

t.test('scheduler, autopilot and keyring state ride along in snapshots and resets', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await setScheduler(c, { SchedulerAlgorithm: 'spread' });
  await c.put('/v1/operator/autopilot/configuration', { MaxTrailingLogs: 7 });
  await c.put('/v1/operator/keyring/rotate');
  const snap = (await c.get('/_mock/snapshot')).json;
  t.ok(snap.Parts.operator && snap.Parts.keyring, 'both parts are in the document');
  await c.post('/_mock/reset');
  t.equal((await c.get('/v1/operator/scheduler/configuration')).json.SchedulerConfig.SchedulerAlgorithm, 'binpack', 'reset: defaults');
  t.equal((await c.get('/v1/operator/keyring/keys')).json.length, 1, 'reset: the start-up key only');
  await c.put('/_mock/restore', snap);
  t.equal((await c.get('/v1/operator/scheduler/configuration')).json.SchedulerConfig.SchedulerAlgorithm, 'spread');
  t.equal((await c.get('/v1/operator/autopilot/configuration')).json.MaxTrailingLogs, 7);
  t.equal((await c.get('/v1/operator/keyring/keys')).json.length, 2);
});

t.test('SchedulerAlgorithm: binpack fills one node, spread takes the emptier one (two nodes, both ranked per placement)', async (t) => {
  // With two nodes the stack's limit (at least 2) ranks both for every placement, so the choice
  // is the algorithm's alone; with more nodes Nomad ranks only a seeded random few of them.
  for (const algorithm of ['binpack', 'spread'] as const) {
    const c = await simClient({ nodes: 2 });
    await setScheduler(c, { SchedulerAlgorithm: algorithm });
    const names: string[] = [];
    for (const id of ['a', 'b', 'c']) {
      t.equal((await c.register(job(id))).status, 200);
      await c.advance(0);
      const allocs = (await c.get(`/v1/job/${id}/allocations`)).json as Obj[];
      t.equal(allocs.length, 1);
      names.push(allocs[0]!.NodeName);
    }
    if (algorithm === 'binpack') t.equal(new Set(names).size, 1, `binpack: every job on the first job's node (${names})`);
    else t.not(names[1], names[0], `spread: the second job on the node the first left empty (${names})`);
    await c.close();
  }
  // Replicas of one group still spread under binpack (job anti-affinity: a node that holds one
  // scores below zero, and the limit iterator passes over such nodes while others remain).
  const c = await simClient({ nodes: 3 });
  t.teardown(c.close);
  await c.register(job('replicas', 3));
  await c.advance(0);
  t.same(((await c.get('/v1/allocations')).json as Obj[]).map((a) => a.NodeName).sort(), ['mock-node-1', 'mock-node-2', 'mock-node-3']);
});

t.test('PauseEvalBroker: evals stay pending until unpaused, then are processed', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await setScheduler(c, { PauseEvalBroker: true });
  await c.register(job('held'));
  await c.advance(5000);
  const pending = (await c.get('/v1/evaluations')).json as Obj[];
  t.same(pending.map((e) => e.Status), ['pending']);
  t.same((await c.get('/v1/allocations')).json, [], 'nothing placed');
  await setScheduler(c, { PauseEvalBroker: false });
  await c.advance(1000);
  t.same(((await c.get('/v1/evaluations')).json as Obj[]).map((e) => e.Status), ['complete']);
  t.equal(((await c.get('/v1/allocations')).json as Obj[]).length, 1);
});

t.test('MemoryOversubscriptionEnabled: memory_max reaches the alloc only when enabled; register warns otherwise', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const off = await c.register(job('off'));
  t.equal(
    off.json.Warnings,
    '1 warning:\n\n* Memory oversubscription is not enabled; Task "web.app" memory_max value will be ignored. Update the Scheduler Configuration to allow oversubscription.',
    '(source: memoryOversubscriptionValidate)',
  );
  await c.advance(0);
  await setScheduler(c, { MemoryOversubscriptionEnabled: true });
  const on = await c.register(job('on'));
  t.equal(on.json.Warnings, '');
  await c.advance(0);
  const memMax: Record<string, number> = {};
  for (const a of (await c.get('/v1/allocations')).json as Obj[]) {
    memMax[a.JobID] = (await c.get(`/v1/allocation/${a.ID}`)).json.AllocatedResources.Tasks.app.Memory.MemoryMaxMB;
  }
  t.same(memMax, { off: 0, on: 512 });
});

t.test('DELETE /v1/evaluations: only while paused; by IDs or filter; Nomad’s texts', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const checks: [unknown, string][] = [
    [{ EvalIDs: ['a'], Filter: 'x' }, 'evals cannot be deleted by both ID and filter'],
    [{}, 'evals must be deleted by either ID or filter'],
    [{ EvalIDs: Array.from({ length: 7282 }, (_, i) => String(i)) }, 'request includes 7282 evaluation IDs, must be 7281 or fewer'],
  ];
  for (const [body, text] of checks) {
    const r = await c.req('DELETE', '/v1/evaluations', body);
    t.equal(r.status, 400);
    t.equal(r.body, text);
  }
  t.equal((await c.req('DELETE', '/v1/evaluations')).body, 'Request body is empty');
  await c.register(job('done'));
  await c.advance(1000);
  const [ev] = (await c.get('/v1/evaluations')).json as Obj[];
  const live = await c.req('DELETE', '/v1/evaluations', { EvalIDs: [ev!.ID] });
  t.equal(live.status, 500);
  t.equal(live.body, 'eval broker is enabled; eval broker must be paused to delete evals', '(source)');

  await setScheduler(c, { PauseEvalBroker: true });
  t.equal((await c.req('DELETE', '/v1/evaluations', { EvalIDs: ['nope'] })).body, 'eval not found');
  const unsafe = await c.req('DELETE', '/v1/evaluations', { EvalIDs: [ev!.ID] });
  t.equal(unsafe.status, 500);
  t.equal(unsafe.body, `eval ${ev!.ID} is not safe to delete`, 'its alloc still runs');
  await c.register(job('queued'));
  const byFilter = await c.req('DELETE', '/v1/evaluations', { Filter: 'Status == "pending"' });
  t.equal(byFilter.status, 200);
  t.same(byFilter.json, { Count: 1, Index: index(byFilter) });
  t.same(((await c.get('/v1/evaluations')).json as Obj[]).map((e) => e.ID), [ev!.ID], 'the pending eval is gone, the unsafe one stays');
});

t.test('keyring: one active key at start, rotate, delete inactive, refuse the active one', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const list = await c.get('/v1/operator/keyring/keys');
  t.equal(list.status, 200);
  t.equal(list.json.length, 1);
  t.match(list.json[0], { Algorithm: 'aes256-gcm', State: 'active', CreateIndex: 1, ModifyIndex: 1, PublishTime: 0 });
  const first = list.json[0].KeyID as string;
  const rotate = await c.put('/v1/operator/keyring/rotate');
  t.equal(rotate.status, 200);
  t.match(rotate.json, { Key: { Algorithm: 'aes256-gcm', State: 'active', CreateIndex: 0, ModifyIndex: 0 }, Index: index(rotate) });
  const keys = (await c.get('/v1/operator/keyring/keys')).json as Obj[];
  const byId = Object.fromEntries(keys.map((k) => [k.KeyID, k]));
  t.match(byId[first], { State: 'inactive', ModifyIndex: index(rotate) });
  t.match(byId[rotate.json.Key.KeyID], { State: 'active', CreateIndex: index(rotate) });
  const active = await c.del(`/v1/operator/keyring/key/${rotate.json.Key.KeyID}`);
  t.equal(active.status, 500);
  t.equal(active.body, 'active root key cannot be deleted - call rotate first', '(source)');
  const del = await c.del(`/v1/operator/keyring/key/${first}`);
  t.equal(del.status, 200);
  t.same(del.json, { Index: index(del) });
  const again = await c.del(`/v1/operator/keyring/key/${first}`);
  t.same(again.json, { Index: 0 }, 'a missing key is no error (source)');
  t.equal((await c.get('/v1/operator/keyring/keys')).json.length, 1);
  t.equal((await c.put('/v1/operator/keyring/keys')).status, 405);
  t.equal((await c.get('/v1/operator/keyring/rotate')).status, 405);
  t.equal((await c.get('/v1/operator/keyring/other')).status, 405);
});

t.test('snapshot: save is nomad-mock’s own gzipped state; restore brings it back', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.put('/v1/node/pools', { Name: 'saved' });
  const save = await c.mock.app.inject({ method: 'GET', url: '/v1/operator/snapshot' });
  t.equal(save.statusCode, 200);
  t.equal(save.headers['content-type'], 'application/x-gzip');
  t.match(String(save.headers.digest), /^sha-256=/);
  const doc = JSON.parse(gunzipSync(save.rawPayload).toString('utf8'));
  t.equal(doc.Format, 'nomad-mock/v1', 'not Nomad’s Raft archive');
  await c.del('/v1/node/pool/saved');
  const restore = await c.mock.app.inject({ method: 'PUT', url: '/v1/operator/snapshot', payload: save.rawPayload });
  t.equal(restore.statusCode, 200);
  t.equal(restore.body, '');
  t.equal((await c.get('/v1/node/pool/saved')).status, 200);
  const garbage = await c.put('/v1/operator/snapshot', 'not a snapshot');
  t.equal(garbage.status, 500);
  t.match(garbage.body, /^failed to restore snapshot: /);
  t.equal((await c.del('/v1/operator/snapshot')).status, 405);
});

t.test('license and upgrade-check as Nomad CE answers them', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const lic = await c.get('/v1/operator/license');
  t.equal(lic.status, 204, 'CE: no content, no token needed (operator_endpoint_ce.go)');
  const put = await c.put('/v1/operator/license', {});
  t.equal(put.status, 501);
  t.equal(put.body, 'Nomad Enterprise only endpoint');
  t.equal((await c.del('/v1/operator/license')).status, 405);
  const mgmt = (await c.post('/v1/acl/bootstrap')).json.SecretID as string;
  const up = await c.req('GET', '/v1/operator/upgrade-check/vault-workload-identity', undefined, { 'X-Nomad-Token': mgmt });
  t.equal(up.status, 200);
  t.match(up.json, { JobsWithoutVaultIdentity: [], OutdatedNodes: [], VaultTokens: [], KnownLeader: true });
  const other = await c.req('GET', '/v1/operator/upgrade-check/other', undefined, { 'X-Nomad-Token': mgmt });
  t.equal(other.status, 404);
  t.equal(other.body, 'Path /v1/operator/upgrade-check/other not found');
});

t.test('ACL: operator read/write policies, management for raft, keyring, snapshot and eval deletes', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const { mgmt, as, token } = await aclSession(c);
  const reader = await token('op-read', 'operator { policy = "read" }');
  const writer = await token('op-write', 'operator { policy = "write" }');
  const cases: [string, string, unknown, [number, number, number, number]][] = [
    // [method, url, body, [anonymous, read, write, management]]
    ['GET', '/v1/operator/scheduler/configuration', undefined, [403, 200, 200, 200]],
    ['PUT', '/v1/operator/scheduler/configuration', { SchedulerAlgorithm: 'binpack' }, [403, 403, 200, 200]],
    ['GET', '/v1/operator/autopilot/configuration', undefined, [403, 200, 200, 200]],
    ['PUT', '/v1/operator/autopilot/configuration', { CleanupDeadServers: true }, [403, 403, 200, 200]],
    ['GET', '/v1/operator/autopilot/health', undefined, [403, 200, 200, 200]],
    ['GET', '/v1/operator/upgrade-check/vault-workload-identity', undefined, [403, 200, 200, 200]],
    ['GET', '/v1/operator/raft/configuration', undefined, [403, 403, 403, 200]],
    ['GET', '/v1/operator/keyring/keys', undefined, [403, 403, 403, 200]],
    ['GET', '/v1/operator/snapshot', undefined, [403, 403, 403, 200]],
  ];
  for (const [method, url, body, expected] of cases) {
    const got = [];
    for (const tok of [null, reader, writer, mgmt]) got.push((await as(tok, method, url, body)).status);
    t.same(got, expected, `${method} ${url}`);
  }
  const early = await as(reader, 'PUT', '/v1/operator/scheduler/configuration', { SchedulerAlgorithm: 'nope' });
  t.equal(early.status, 400, "the agent's checks come before the refusal");
  const evalDelete = await as(writer, 'DELETE', '/v1/evaluations', { Filter: 'Status == "x"' });
  t.equal(evalDelete.status, 403, 'deleting evals needs a management token');
});
