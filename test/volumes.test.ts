// CSI volumes and plugins, dynamic host volumes, as a cluster whose clients run no such plugin
// answers (command/agent/csi_endpoint.go, host_volume_endpoint.go, volumes_endpoint.go;
// nomad/csi_endpoint.go, host_volume_endpoint.go: all texts "(source)").
import t from 'tap';
import { client, simClient, index } from './helpers.js';

const csiVolume = { ID: 'vol', PluginID: 'ebs', RequestedCapabilities: [{ AccessMode: 'single-node-writer', AttachmentMode: 'file-system' }] };

t.test('lists: empty with their indexes; no type is an empty list without meta; unknown type 404', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const csi = await c.get('/v1/volumes?type=csi');
  t.equal(csi.status, 200);
  t.same(csi.json, []);
  t.equal(csi.headers['x-nomad-index'], '0', 'an untouched CSI table reports 0');
  t.equal(csi.headers['x-nomad-knownleader'], 'true');
  const host = await c.get('/v1/volumes?type=host');
  t.equal(host.status, 200);
  t.equal(host.body, 'null', 'the host volume list is a nil slice');
  t.equal(host.headers['x-nomad-index'], '1');
  const none = await c.get('/v1/volumes');
  t.same(none.json, []);
  t.equal(none.headers['x-nomad-index'], undefined);
  const other = await c.get('/v1/volumes?type=nfs');
  t.equal(other.status, 404);
  t.equal(other.body, 'Resource not found');
  const plugins = await c.get('/v1/plugins?type=csi');
  t.same(plugins.json, []);
  t.equal(plugins.headers['x-nomad-index'], '0');
  t.same((await c.get('/v1/plugins')).json, []);
  t.equal((await c.get('/v1/plugins?type=x')).body, 'null');
  t.equal((await c.put('/v1/plugins')).status, 405);
  t.equal((await c.del('/v1/volumes?type=csi')).status, 405);
});

t.test('reads: 404 texts', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const v = await c.get('/v1/volume/csi/vol');
  t.equal(v.status, 404);
  t.equal(v.body, 'volume not found');
  const h = await c.get('/v1/volume/host/abc');
  t.equal(h.status, 404);
  t.equal(h.body, 'volume not found');
  const p = await c.get('/v1/plugin/csi/ebs');
  t.equal(p.status, 404);
  t.equal(p.body, 'plugin not found');
  t.equal((await c.get('/v1/plugin/csi/a/b/c')).body, 'Resource not found');
  t.equal((await c.get('/v1/volume/csi/vol/x/y')).body, 'Resource not found');
  t.equal((await c.get('/v1/volume/host/')).body, 'Resource not found');
  t.equal((await c.req('PATCH', '/v1/volume/csi/vol')).status, 405);
});

t.test('register and create fail at the missing plugin; bad volumes first at validation', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const [method, url] of [['PUT', '/v1/volumes?type=csi'], ['PUT', '/v1/volume/csi/vol'], ['PUT', '/v1/volume/csi/vol/create']] as const) {
    const res = await c.req(method, url, { Volumes: [csiVolume] });
    t.equal(res.status, 500, `${method} ${url}`);
    t.equal(res.body, 'no CSI plugin named: ebs could be found');
  }
  const invalid = await c.put('/v1/volume/csi/vol', { Volumes: [{ ID: '' }] });
  t.equal(invalid.status, 500);
  t.equal(invalid.body, 'validation: missing volume id, missing plugin id, must include at least one capability block');
  const missing = await c.put('/v1/volume/csi/vol', { Volumes: [] });
  t.equal(missing.body, 'missing volume definition');
  const empty = await c.put('/v1/volume/csi/vol');
  t.equal(empty.status, 400);
  const badType = await c.put('/v1/volume/csi/vol', '{"Volumes": 3}');
  t.equal(badType.status, 400);
  t.equal((await c.del('/v1/volume/csi/vol')).body, 'volume not found: vol');
  t.equal((await c.del('/v1/volume/csi/vol?force=maybe')).body, 'invalid force value');
  t.equal((await c.del('/v1/volume/csi/vol/detach')).body, 'detach requires node ID');
  t.equal((await c.del('/v1/volume/csi/vol/detach?node=n1')).body, 'no such volume');
});

t.test('host volumes: create finds no node with the plugin; register checks node and path', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const nodes = (await c.get('/v1/nodes')).json as { ID: string }[];
  const create = await c.put('/v1/volume/host/create', { Volume: { Name: 'data', PluginID: 'mkdir' } });
  t.equal(create.status, 500);
  t.equal(create.body, `could not place volume "data": no node meets constraints: 0 nodes had existing volume, 0 nodes filtered by node pool governance, ${nodes.length} nodes were infeasible`);
  const pool = await c.put('/v1/volume/host/create', { Volume: { Name: 'data', NodePool: 'nope' } });
  t.equal(pool.body, 'validating volume "data" against state failed: node pool "nope" does not exist');
  t.equal((await c.put('/v1/volume/host/create', {})).body, 'missing volume definition');
  t.equal((await c.put('/v1/volume/host/register', { Volume: { Name: 'd' } })).body, 'cannot register volume: node ID is required');
  t.equal((await c.put('/v1/volume/host/register', { Volume: { Name: 'd', NodeID: 'n' } })).body, 'cannot register volume: host path is required');
  const unknownNode = await c.put('/v1/volume/host/register', { Volume: { Name: 'd', NodeID: 'n', HostPath: '/x' } });
  t.match(unknownNode.body, /^validating volume "[0-9a-f-]{36}" against state failed: node "n" does not exist$/, 'named by the ID register just generated');
  t.equal((await c.put('/v1/volume/host/other', {})).body, 'Resource not found');
  t.equal((await c.del('/v1/volume/host/abc')).body, 'no such volume: abc');
});

t.test('ACL: CSI list needs a volume or list-jobs capability; register needs csi-write-volume and plugin read', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const mgmt = (await c.req('POST', '/v1/acl/bootstrap')).json.SecretID as string;
  const h = { 'X-Nomad-Token': mgmt };
  await c.req('PUT', '/v1/acl/policy/r', { Name: 'r', Rules: 'namespace "default" { policy = "read" }' }, h);
  const ro = { 'X-Nomad-Token': (await c.req('PUT', '/v1/acl/token', { Name: 'r', Type: 'client', Policies: ['r'] }, h)).json.SecretID as string };
  t.equal((await c.req('GET', '/v1/volumes?type=csi')).status, 403);
  t.equal((await c.req('GET', '/v1/volumes?type=csi', undefined, ro)).status, 200);
  t.equal((await c.req('PUT', '/v1/volume/csi/vol', { Volumes: [csiVolume] }, ro)).status, 403);
  t.equal((await c.req('PUT', '/v1/volume/csi/vol', { Volumes: [csiVolume] }, h)).body, 'no CSI plugin named: ebs could be found');
  t.equal((await c.req('GET', '/v1/plugins?type=csi', undefined, ro)).status, 403, 'no plugin block: no list');
  t.equal((await c.req('GET', '/v1/plugins?type=csi', undefined, h)).status, 200);
  t.equal(index(await c.req('GET', '/v1/volume/host/x', undefined, ro)), 1);
});
