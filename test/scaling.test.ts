// Scaling policies (scaling-policies.mdx; nomad/scaling_endpoint.go, nomad/job_endpoint.go
// propagateScalingPolicyIDs and the state store's policy upsert where the docs are silent, "(source)").
import t from 'tap';
import { client, minimalJob, index, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const scaled = (id: string, scaling: Obj = { Min: 1, Max: 5, Policy: { cooldown: '1m' } }, extra: Obj = {}): Obj => {
  const job = minimalJob(id, extra);
  (job.TaskGroups as Obj[])[0]!.Scaling = scaling;
  return job;
};

async function policies(c: Client, q = ''): Promise<Obj[]> {
  const res = await c.get(`/v1/scaling/policies${q}`);
  return res.json as Obj[];
}

t.test('a job scaling block becomes a policy: list stub, read, index (scaling-policies.mdx)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const empty = await c.get('/v1/scaling/policies');
  t.equal(empty.status, 200);
  t.same(empty.json, []);
  t.equal(index(empty), 1, 'index floored at 1 (source)');
  const reg = await c.register(scaled('web'));
  const list = await c.get('/v1/scaling/policies');
  t.equal(list.json.length, 1);
  const stub = list.json[0];
  t.same(Object.keys(stub), ['ID', 'Enabled', 'Type', 'Target', 'CreateIndex', 'ModifyIndex']);
  t.match(stub, { Enabled: true, Type: 'horizontal', Target: { Namespace: 'default', Job: 'web', Group: 'web' } });
  t.equal(stub.CreateIndex, reg.json.JobModifyIndex);
  t.equal(index(list), reg.json.JobModifyIndex);
  const one = await c.get(`/v1/scaling/policy/${stub.ID}`);
  t.equal(one.status, 200);
  t.same(one.json, { ID: stub.ID, Type: 'horizontal', Target: stub.Target, Policy: { cooldown: '1m' }, Min: 1, Max: 5, Enabled: true, CreateIndex: stub.CreateIndex, ModifyIndex: stub.ModifyIndex });
  t.equal(index(one), stub.ModifyIndex);
  const job = (await c.get('/v1/job/web')).json;
  t.equal(job.TaskGroups[0].Scaling.ID, stub.ID, "the job's block carries the policy ID");
});

t.test('policy ID is stable across registers; ModifyIndex moves only when the block changes; removed with the block (source)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(scaled('web'));
  const [first] = await policies(c);
  await c.register(scaled('web', undefined, { Meta: { v: '2' } }));
  const [same] = await policies(c);
  t.same(same, first, 'unchanged block: same ID and indexes');
  const changed = await c.register(scaled('web', { Min: 1, Max: 9, Policy: { cooldown: '1m' } }));
  const [after] = await policies(c);
  t.equal(after!.ID, first!.ID, 'the ID stays with the group while the block exists');
  t.equal(after!.CreateIndex, first!.CreateIndex);
  t.equal(after!.ModifyIndex, changed.json.JobModifyIndex);
  t.equal((await c.get(`/v1/scaling/policy/${first!.ID}`)).json.Max, 9);
  await c.register(minimalJob('web'));
  t.same(await policies(c), [], 'block removed: policy gone');
  const gone = await c.get(`/v1/scaling/policy/${first!.ID}`);
  t.equal(gone.status, 404);
  t.equal(gone.body, 'policy not found');
});

t.test('policies go with a purged job, stay with a stopped one', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(scaled('web'));
  await c.del('/v1/job/web');
  t.equal((await policies(c)).length, 1, 'stop keeps the job and its policy');
  await c.del('/v1/job/web?purge=true');
  t.same(await policies(c), []);
});

t.test('filters: job, type prefix, namespace and `*`', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.put('/v1/namespace/prod', { Name: 'prod' })).status, 200);
  await c.register(scaled('a'));
  await c.register(scaled('b'));
  await c.register(scaled('c', undefined, { Namespace: 'prod' }));
  t.same((await policies(c)).map((p) => p.Target.Job), ['a', 'b']);
  t.same((await policies(c, '?job=b')).map((p) => p.Target.Job), ['b']);
  t.same(await policies(c, '?type=vertical'), []);
  t.equal((await policies(c, '?type=horiz')).length, 2);
  t.same((await policies(c, '?namespace=prod')).map((p) => p.Target.Job), ['c']);
  t.equal((await policies(c, '?namespace=*')).length, 3);
});

t.test('methods and errors', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.put('/v1/scaling/policies')).status, 405);
  const m = await c.del('/v1/scaling/policy/x');
  t.equal(m.status, 405);
  t.equal(m.body, 'Invalid method');
  const nf = await c.get('/v1/scaling/policy/nope');
  t.equal(nf.status, 404);
  t.equal(nf.body, 'policy not found');
  t.equal(index(nf), 1);
});

t.test('blocking list wakes on a scaling write', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const first = await c.get('/v1/scaling/policies');
  const pending = c.get(`/v1/scaling/policies?index=${index(first)}&wait=5s`);
  await c.register(scaled('web'));
  const res = await pending;
  t.equal(res.json.length, 1);
  t.ok(index(res) > index(first));
});

t.test('policies survive snapshot and restore with the same IDs', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(scaled('web'));
  const before = await policies(c);
  const snap = await c.get('/_mock/snapshot');
  t.equal(snap.status, 200);
  await c.post('/_mock/reset');
  t.same(await policies(c), [], 'reset empties the table');
  t.equal((await c.post('/_mock/restore', snap.json)).status, 200);
  t.same(await policies(c), before);
});

t.test('ACL: list-scaling-policies or list-jobs+read-job; no token refused', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const mgmt = (await c.req('POST', '/v1/acl/bootstrap')).json.SecretID as string;
  const h = { 'X-Nomad-Token': mgmt };
  await c.req('PUT', '/v1/jobs', { Job: scaled('web') }, h);
  await c.req('PUT', '/v1/acl/policy/read', { Name: 'read', Rules: 'namespace "default" { policy = "read" }' }, h);
  await c.req('PUT', '/v1/acl/policy/other', { Name: 'other', Rules: 'namespace "default" { capabilities = ["submit-recommendation"] }' }, h);
  const ro = (await c.req('PUT', '/v1/acl/token', { Name: 'r', Type: 'client', Policies: ['read'] }, h)).json.SecretID as string;
  const other = (await c.req('PUT', '/v1/acl/token', { Name: 'o', Type: 'client', Policies: ['other'] }, h)).json.SecretID as string;
  t.equal((await c.req('GET', '/v1/scaling/policies')).status, 403);
  const r = await c.req('GET', '/v1/scaling/policies', undefined, { 'X-Nomad-Token': ro });
  t.equal(r.status, 200);
  t.equal(r.json.length, 1);
  t.equal((await c.req('GET', `/v1/scaling/policy/${r.json[0].ID}`, undefined, { 'X-Nomad-Token': ro })).status, 200);
  t.equal((await c.req('GET', '/v1/scaling/policies', undefined, { 'X-Nomad-Token': other })).status, 403);
  const wild = await c.req('GET', '/v1/scaling/policies?namespace=*', undefined, { 'X-Nomad-Token': other });
  t.same(wild.json, [], '`*` filters instead of refusing');
  t.equal((await c.req('GET', '/v1/scaling/policies', undefined, h)).json.length, 1);
});
