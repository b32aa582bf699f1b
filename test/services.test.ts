// Nomad-native service discovery (services.mdx; command/agent/service_registration_endpoint.go and
// nomad/service_registration_endpoint.go where the docs are silent, "(source)"): registrations follow
// the allocations that run them.
import t from 'tap';
import { simClient, minimalJob, index, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

function serviceJob(id: string, extra: Obj = {}): Obj {
  const job = minimalJob(id, extra);
  const tg = (job.TaskGroups as Obj[])[0]!;
  tg.Networks = [{ ReservedPorts: [{ Label: 'http', Value: 8080 }] }];
  tg.Services = [{ Name: `${id}-http`, Provider: 'nomad', PortLabel: 'http', Tags: ['web', 'v1'] }];
  (tg.Tasks as Obj[])[0]!.Services = [{ Name: `${id}-task`, Provider: 'nomad' }];
  return job;
}

async function settle(c: Client): Promise<void> {
  for (let i = 0; i < 6; i++) await c.advance(1000);
}

t.test('a running allocation registers its nomad services; list and read them', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const empty = await c.get('/v1/services');
  t.same(empty.json, []);
  t.equal(index(empty), 1);
  await c.register(serviceJob('web'));
  await settle(c);
  const alloc = ((await c.get('/v1/job/web/allocations')).json as Obj[])[0]!;
  t.equal(alloc.ClientStatus, 'running');
  const list = await c.get('/v1/services');
  t.same(list.json, [{ Namespace: 'default', Services: [{ ServiceName: 'web-http', Tags: ['v1', 'web'] }, { ServiceName: 'web-task', Tags: [] }] }], 'tags: the union per service');
  const one = await c.get('/v1/service/web-http');
  t.equal(one.status, 200);
  const node = (await c.get(`/v1/node/${alloc.NodeID}`)).json;
  t.same(one.json, [
    {
      ID: `_nomad-task-${alloc.ID}-group-web-web-http-http`,
      ServiceName: 'web-http',
      Namespace: 'default',
      NodeID: alloc.NodeID,
      Datacenter: node.Datacenter,
      JobID: 'web',
      AllocID: alloc.ID,
      Tags: ['web', 'v1'],
      Address: node.Attributes['unique.network.ip-address'],
      Port: 8080,
      CreateIndex: one.json[0].CreateIndex,
      ModifyIndex: one.json[0].CreateIndex,
    },
  ]);
  t.equal(index(one), c.mock.store.tableIndex('service_registrations'));
  const task = await c.get('/v1/service/web-task');
  t.equal(task.json[0].ID, `_nomad-task-${alloc.ID}-server-web-task-`);
  t.same((await c.get('/v1/service/nothing')).json, []);
});

t.test('registrations are published on topic Service; stopping the job removes them', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const seen: Obj[] = [];
  c.mock.store.subscribe((_i, events) => {
    for (const e of events) if (e.Topic === 'Service') seen.push({ Type: e.Type, Key: e.Key, FilterKeys: e.FilterKeys, Namespace: e.Namespace, Service: (e.Payload as Obj).Service.ServiceName });
  });
  await c.register(serviceJob('web'));
  await settle(c);
  const alloc = ((await c.get('/v1/job/web/allocations')).json as Obj[])[0]!;
  t.same(seen, [
    { Type: 'ServiceRegistration', Key: `_nomad-task-${alloc.ID}-group-web-web-http-http`, FilterKeys: ['web', 'web-http'], Namespace: 'default', Service: 'web-http' },
    { Type: 'ServiceRegistration', Key: `_nomad-task-${alloc.ID}-server-web-task-`, FilterKeys: ['web', 'web-task'], Namespace: 'default', Service: 'web-task' },
  ]);
  seen.length = 0;
  await c.del('/v1/job/web');
  await settle(c);
  t.same((await c.get('/v1/services')).json, []);
  t.same(seen.map((e) => e.Type), ['ServiceDeregistration', 'ServiceDeregistration']);
});

t.test('DELETE a registration by ID: gone for the allocation\'s life; errors (source)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob('web'));
  await settle(c);
  const id = (await c.get('/v1/service/web-task')).json[0].ID as string;
  const del = await c.del(`/v1/service/web-task/${id}`);
  t.equal(del.status, 200);
  t.equal(del.body, '');
  t.ok(index(del) > 0);
  t.same((await c.get('/v1/service/web-task')).json, []);
  await settle(c);
  t.same((await c.get('/v1/service/web-task')).json, [], 'not registered again while the allocation runs');
  const again = await c.del(`/v1/service/web-task/${id}`);
  t.equal(again.status, 500);
  t.equal(again.body, 'service registration not found');
  t.equal((await c.del('/v1/service/web-task/')).body, 'missing service id');
  t.equal((await c.get('/v1/service/')).body, 'missing service name');
  t.equal((await c.get('/v1/service/a/b/c')).body, 'invalid URI');
  t.equal((await c.put('/v1/service/a')).status, 405);
  t.equal((await c.get('/v1/service/a/b')).status, 405);
  t.equal((await c.put('/v1/services')).status, 405);
});

t.test('filter, paging and choose on a service read', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const job = serviceJob('web');
  (job.TaskGroups as Obj[])[0]!.Count = 3;
  (job.TaskGroups as Obj[])[0]!.Networks = [];
  await c.register(job);
  await settle(c);
  const all = (await c.get('/v1/service/web-http')).json as Obj[];
  t.equal(all.length, 3);
  const paged = await c.get('/v1/service/web-http?per_page=2');
  t.equal(paged.json.length, 2);
  t.equal(paged.headers['x-nomad-nexttoken'], `default.${all[2]!.ID}`);
  const filtered = await c.get(`/v1/service/web-http?filter=${encodeURIComponent(`AllocID == "${all[1]!.AllocID}"`)}`);
  t.same(filtered.json.map((r: Obj) => r.ID), [all[1]!.ID]);
  const c1 = await c.get('/v1/service/web-http?choose=2|abc');
  const c2 = await c.get('/v1/service/web-http?choose=2|abc');
  t.equal(c1.json.length, 2);
  t.same(c1.json, c2.json, 'rendezvous hashing is stable for a key');
  const bad = await c.get('/v1/service/web-http?choose=2');
  t.equal(bad.status, 400);
  t.equal(bad.body, "failed to choose services: Parameter for choose must be in form '<number>|<key>'");
});

t.test('namespaces: per namespace lists, `*` lists all', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  t.equal((await c.put('/v1/namespace/prod', { Name: 'prod' })).status, 200);
  await c.register(serviceJob('a'));
  await c.register(serviceJob('b', { Namespace: 'prod' }));
  await settle(c);
  t.same((await c.get('/v1/services?namespace=prod')).json.map((s: Obj) => s.Namespace), ['prod']);
  t.same((await c.get('/v1/services?namespace=*')).json.map((s: Obj) => s.Namespace), ['default', 'prod']);
  t.same((await c.get('/v1/service/a-http?namespace=prod')).json, []);
  t.equal((await c.get('/v1/service/b-http?namespace=prod')).json.length, 1);
});

t.test('ACL: read-job to read, submit-job to delete', async (t) => {
  const c = await simClient({ acl: true });
  t.teardown(c.close);
  const mgmt = (await c.req('POST', '/v1/acl/bootstrap')).json.SecretID as string;
  const h = { 'X-Nomad-Token': mgmt };
  await c.req('PUT', '/v1/jobs', { Job: serviceJob('web') }, h);
  await settle(c);
  await c.req('PUT', '/v1/acl/policy/r', { Name: 'r', Rules: 'namespace "default" { policy = "read" }' }, h);
  const ro = { 'X-Nomad-Token': (await c.req('PUT', '/v1/acl/token', { Name: 'r', Type: 'client', Policies: ['r'] }, h)).json.SecretID as string };
  t.equal((await c.req('GET', '/v1/services')).status, 403);
  t.equal((await c.req('GET', '/v1/services', undefined, ro)).json.length, 1);
  const regs = (await c.req('GET', '/v1/service/web-task', undefined, ro)).json as Obj[];
  t.equal(regs.length, 1);
  t.equal((await c.req('DELETE', `/v1/service/web-task/${regs[0]!.ID}`, undefined, ro)).status, 403);
  t.equal((await c.req('DELETE', `/v1/service/web-task/${regs[0]!.ID}`, undefined, h)).status, 200);
});

t.test('registrations survive snapshot and restore', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob('web'));
  await settle(c);
  const before = (await c.get('/v1/service/web-http')).json;
  const snap = (await c.get('/_mock/snapshot')).json as Obj;
  await c.post('/_mock/reset');
  t.same((await c.get('/v1/services')).json, []);
  t.equal((await c.post('/_mock/restore', snap)).status, 200);
  t.same((await c.get('/v1/service/web-http')).json, before);
  const { service_registrations: _dropped, ...parts } = snap.Parts as Obj;
  await c.post('/_mock/reset');
  t.equal((await c.post('/_mock/restore', { ...snap, Parts: parts })).status, 200);
  t.same((await c.get('/v1/service/web-http')).json.map((r: Obj) => r.ID), before.map((r: Obj) => r.ID), 'a document without the part: derived from its running allocations');
});
