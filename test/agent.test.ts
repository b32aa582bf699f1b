// The agent area over HTTP: members, servers, join, force-leave, health, host, schedulers, the
// legacy keyring, pprof without enable_debug, regions; with ACLs off and with no/read/write tokens.
import t, { type Test } from 'tap';
import { aclSession, client, simClient, type Client, type Res } from './helpers.js';

interface Tokens {
  c: Client;
  mgmt: string;
  read: string;
  write: string;
  nodeRead: string;
  as(token: string | null, method: string, url: string, body?: unknown): Promise<Res>;
}

async function aclWorld(t: Test): Promise<Tokens> {
  const c = await simClient({ acl: true });
  t.teardown(c.close);
  const { mgmt, as, token } = await aclSession(c);
  return {
    c,
    mgmt,
    read: await token('agent-read', 'agent { policy = "read" }'),
    write: await token('agent-write', 'agent { policy = "write" }'),
    nodeRead: await token('node-read', 'node { policy = "read" }'),
    as,
  };
}

t.test('GET /v1/agent/members: this one server with the tags Nomad sets', async (t) => {
  const c = await simClient({ region: 'eu', datacenters: 'dc7' });
  t.teardown(c.close);
  const res = await c.get('/v1/agent/members');
  t.equal(res.status, 200);
  t.equal(res.headers['x-nomad-index'], undefined, 'not a blocking query');
  t.same(Object.keys(res.json), ['ServerName', 'ServerRegion', 'ServerDC', 'Members']);
  t.match(res.json, { ServerName: 'mock-node-1', ServerRegion: 'eu', ServerDC: 'dc7' });
  t.equal(res.json.Members.length, 1);
  const m = res.json.Members[0];
  t.match(m, { Name: 'mock-node-1.eu', Addr: '127.0.0.1', Port: 4648, Status: 'alive', ProtocolCur: 2, DelegateCur: 4 });
  t.match(m.Tags, { role: 'nomad', region: 'eu', dc: 'dc7', build: '2.0.5', port: '4647', bootstrap: '1', expect: '1', raft_vsn: '3' });
  const self = (await c.get('/v1/agent/self')).json;
  t.same(self.member, m, 'the same member /v1/agent/self reports');
  t.equal((await c.put('/v1/agent/members')).status, 405);
  t.equal((await c.get('/v1/agent/members?stale=maybe')).body, 'Expect `true` or `false` for `stale` query string parameter');
});

t.test('GET /v1/regions: the configured region', async (t) => {
  const c = await client({ config: { region: 'eu-west' } });
  t.teardown(c.close);
  const res = await c.get('/v1/regions');
  t.equal(res.status, 200);
  t.same(res.json, ['eu-west']);
  t.equal((await c.put('/v1/regions')).body, 'Invalid method');
  t.equal((await c.get('/v1/regions?index=x')).body, 'Invalid index');
});

t.test('/v1/agent/servers: the client knows this server; PUT needs an address', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  t.same((await c.get('/v1/agent/servers')).json, ['127.0.0.1:4647']);
  const missing = await c.put('/v1/agent/servers');
  t.equal(missing.status, 400);
  t.equal(missing.body, 'missing server address');
  const set = await c.req('POST', '/v1/agent/servers?address=127.0.0.1:4647');
  t.equal(set.status, 200);
  t.equal(set.body, '');
  t.equal((await c.del('/v1/agent/servers')).status, 405);
});

t.test('without the simulator the agent runs no client: servers is 501, health reports only the server', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const servers = await c.get('/v1/agent/servers');
  t.equal(servers.status, 501);
  t.equal(servers.body, 'Invalid method');
  const health = await c.get('/v1/agent/health');
  t.equal(health.status, 200);
  t.equal(health.body, '{"server":{"ok":true,"message":"ok"}}');
  const asked = await c.get('/v1/agent/health?type=client');
  t.equal(asked.status, 500, 'a part asked for that does not run fails');
  t.equal(asked.body, '{"client":{"ok":false,"message":"client not enabled"}}');
  t.equal(asked.headers['content-type'], 'text/plain; charset=utf-8');
});

t.test('GET /v1/agent/health per Nomad rules: both parts, the type filter, an unknown type', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  t.equal((await c.get('/v1/agent/health')).body, '{"client":{"ok":true,"message":"ok"},"server":{"ok":true,"message":"ok"}}');
  t.equal((await c.get('/v1/agent/health?type=server')).body, '{"server":{"ok":true,"message":"ok"}}');
  t.equal((await c.get('/v1/agent/health?type=client&type=server')).body, '{"client":{"ok":true,"message":"ok"},"server":{"ok":true,"message":"ok"}}');
  t.equal((await c.get('/v1/agent/health?type=bogus')).body, '{}');
  t.equal((await c.put('/v1/agent/health')).status, 405);
});

t.test('PUT /v1/agent/join: counts joins of this server, reports the others as Serf does', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const missing = await c.put('/v1/agent/join');
  t.equal(missing.status, 400);
  t.equal(missing.body, 'missing address to join');
  t.same((await c.put('/v1/agent/join?address=127.0.0.1:4648')).json, { num_joined: 1, error: '' });
  const other = await c.req('POST', '/v1/agent/join?address=127.0.0.1&address=10.9.9.9:4648');
  t.equal(other.status, 200);
  t.same(other.json, { num_joined: 1, error: '1 error occurred:\n\t* Failed to join 10.9.9.9:4648: dial tcp 10.9.9.9:4648: connect: connection refused\n\n' });
  t.equal((await c.get('/v1/agent/join?address=x')).status, 405);
});

t.test('PUT /v1/agent/force-leave: node required, prune must be a bool', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.put('/v1/agent/force-leave')).body, 'missing node to force leave');
  t.equal((await c.put('/v1/agent/force-leave?node=x&prune=maybe')).body, 'invalid prune value');
  const ok = await c.put('/v1/agent/force-leave?node=gone&prune=true');
  t.equal(ok.status, 200);
  t.equal(ok.body, '');
  t.equal((await c.get('/v1/agent/force-leave?node=x')).status, 405);
});

t.test('scheduler workers: one per CPU, every scheduler; PUT reconfigures with Nomad\'s validation', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const info = (await c.get('/v1/agent/schedulers')).json;
  t.equal(info.server_id, 'mock-node-1.global');
  t.equal(info.schedulers.length, 4);
  t.match(info.schedulers[0], { enabled_schedulers: ['service', 'batch', 'system', 'sysbatch', '_core'], status: 'Started', workload_status: 'WaitingToDequeue' });
  t.same((await c.get('/v1/agent/schedulers/config')).json, { server_id: 'mock-node-1.global', num_schedulers: 4, enabled_schedulers: ['service', 'batch', 'system', 'sysbatch', '_core'] });
  const set = await c.put('/v1/agent/schedulers/config', { num_schedulers: 2, enabled_schedulers: ['batch', '_core'] });
  t.same(set.json, { server_id: 'mock-node-1.global', num_schedulers: 2, enabled_schedulers: ['batch', '_core'] });
  t.equal((await c.get('/v1/agent/schedulers')).json.schedulers.length, 2);
  for (const [body, text] of [
    [undefined, 'Invalid request: Request body is empty'],
    ['{', 'Invalid request: unexpected EOF'],
    [{ num_schedulers: 'two' }, 'Invalid request: json: cannot unmarshal string into Go struct field AgentSchedulerWorkerConfigRequest.num_schedulers of type int'],
    [{ num_schedulers: 1, enabled_schedulers: ['batch'] }, 'Invalid request'],
    [{ num_schedulers: -1, enabled_schedulers: ['_core'] }, 'Invalid request'],
    [{ num_schedulers: 1, enabled_schedulers: ['bogus', '_core'] }, 'Invalid request'],
  ] as const) {
    const res = await c.put('/v1/agent/schedulers/config', body);
    t.equal(res.status, 400, JSON.stringify(body));
    t.equal(res.body, text);
  }
  t.equal((await c.get('/v1/agent/schedulers/config')).json.num_schedulers, 2, 'refused changes left the pool as it was');
  t.equal((await c.put('/v1/agent/schedulers')).status, 405);
  await c.post('/_mock/reset');
  t.equal((await c.get('/v1/agent/schedulers/config')).json.num_schedulers, 4, 'reset brings back a fresh agent');
});

t.test('the legacy gossip keyring: no encryption, so every operation fails as Serf reports it', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const list = await c.get('/v1/agent/keyring/list');
  t.equal(list.status, 500);
  t.equal(list.body, '1/1 nodes reported failure');
  t.equal((await c.put('/v1/agent/keyring/install', { Key: 'abc' })).body, '1/1 nodes reported failure');
  t.equal((await c.put('/v1/agent/keyring/use')).body, 'Request body is empty');
  t.equal((await c.put('/v1/agent/keyring/remove', { Key: 5 })).body, 'json: cannot unmarshal number into Go struct field KeyringRequest.Key of type string');
  const unknown = await c.get('/v1/agent/keyring/rotate');
  t.equal(unknown.status, 404);
  t.equal(unknown.body, 'resource not found');
});

t.test('pprof and host on an agent without enable_debug and ACLs off: Permission denied', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  t.equal((await c.get('/v1/agent/self')).json.config.EnableDebug, false, 'agent self says so');
  for (const path of ['/v1/agent/pprof/goroutine', '/v1/agent/pprof/cmdline', '/v1/agent/pprof/profile?seconds=1', '/v1/agent/host']) {
    const res = await c.get(path);
    t.equal(res.status, 403, path);
    t.equal(res.body, 'Permission denied');
  }
  const index = await c.get('/v1/agent/pprof/');
  t.equal(index.status, 404);
  t.equal(index.body, 'Invalid method');
  const both = await c.get('/v1/agent/pprof/heap?node_id=a&server_id=b');
  t.equal(both.status, 400);
  t.equal(both.body, 'Cannot target node and server simultaneously');
  t.equal((await c.put('/v1/agent/host')).status, 405);
});

t.test('ACLs: members need node read, servers/schedulers agent read, force-leave/pprof agent write', async (t) => {
  const w = await aclWorld(t);
  const cases: [string, string, string, (keyof Tokens)[]][] = [
    ['GET', '/v1/agent/members', 'node read', ['mgmt', 'nodeRead']],
    ['GET', '/v1/agent/servers', 'agent read', ['mgmt', 'read', 'write']],
    ['PUT', '/v1/agent/servers?address=127.0.0.1:4647', 'agent write', ['mgmt', 'write']],
    ['GET', '/v1/agent/schedulers', 'agent read', ['mgmt', 'read', 'write']],
    ['GET', '/v1/agent/schedulers/config', 'agent read', ['mgmt', 'read', 'write']],
    ['PUT', '/v1/agent/force-leave?node=x', 'agent write', ['mgmt', 'write']],
    ['GET', '/v1/agent/host', 'agent read', ['mgmt', 'read', 'write']],
  ];
  for (const [method, url, what, allowed] of cases) {
    for (const who of [null, 'mgmt', 'read', 'write', 'nodeRead'] as const) {
      const token = who === null ? null : (w[who] as string);
      const res = await w.as(token, method, url);
      const ok = who !== null && allowed.includes(who);
      t.equal(res.status === 403, !ok, `${method} ${url} (${what}) as ${who ?? 'anonymous'}: ${res.status}`);
      if (!ok) t.equal(res.body, 'Permission denied');
    }
  }
  const host = await w.as(w.read, 'GET', '/v1/agent/host');
  t.same(Object.keys(host.json), ['OS', 'Network', 'ResolvConf', 'Hosts', 'Environment', 'Disk']);
  t.type(host.json.OS, 'string');
  t.ok(Array.isArray(host.json.Network));
  const node = (await w.as(w.mgmt, 'GET', '/v1/nodes')).json[0].ID;
  const forwarded = await w.as(w.read, 'GET', `/v1/agent/host?node_id=${node}`);
  t.equal(forwarded.json.AgentID, node);
  t.same(Object.keys(forwarded.json.HostData), ['OS', 'Network', 'ResolvConf', 'Hosts', 'Environment', 'Disk']);
  t.equal((await w.as(w.read, 'GET', '/v1/agent/host?node_id=nope')).body, 'Unknown node "nope"');
  t.equal((await w.as(w.read, 'GET', '/v1/agent/host?node_id=a&server_id=b')).body, 'Can only forward to either client node or server');
  t.equal((await w.as(w.read, 'GET', '/v1/agent/host?server_id=leader')).json.AgentID, 'mock-node-1.global');

  t.equal((await w.as(w.read, 'GET', '/v1/agent/pprof/heap')).body, 'Permission denied', 'pprof wants agent write');
  const prof = await w.as(w.write, 'GET', '/v1/agent/pprof/heap');
  t.equal(prof.status, 501, 'allowed, but nomad-mock has no Go runtime to profile');
  t.equal(prof.body, 'nomad-mock does not implement GET /v1/agent/pprof/');
  t.equal((await w.as(w.read, 'GET', '/v1/agent/keyring/list')).body, 'Permission denied', 'the keyring wants agent write');
  t.equal((await w.as(null, 'PUT', '/v1/agent/join?address=127.0.0.1')).status, 200, 'join checks no token');
});

t.test('host data redacts secrets from the environment', async (t) => {
  process.env.NOMAD_MOCK_TEST_SECRET = 'hunter2';
  process.env.MY_API_TOKEN = 'tok';
  t.teardown(() => {
    delete process.env.NOMAD_MOCK_TEST_SECRET;
    delete process.env.MY_API_TOKEN;
  });
  const w = await aclWorld(t);
  const env = (await w.as(w.mgmt, 'GET', '/v1/agent/host')).json.Environment;
  t.equal(env.NOMAD_MOCK_TEST_SECRET, '<redacted>');
  t.equal(env.MY_API_TOKEN, '<redacted>');
  t.equal(env.PATH, process.env.PATH);
});
