// Search (search.mdx; nomad/search_endpoint.go and command/agent/search_endpoint.go of 1.11 where the
// docs are silent, marked "(source)"): prefix and fuzzy search over every context, truncation, the
// ACL filtering per context, the errors, and the answer's index.
import t, { type Test } from 'tap';
import { client, simClient, minimalJob, index, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const TEXT = 'text/plain; charset=utf-8';

async function withToken(t: Test, c: Client, rules: string): Promise<{ mgmt: string; token: string }> {
  const mgmt = (await c.req('POST', '/v1/acl/bootstrap')).json.SecretID as string;
  const h = { 'X-Nomad-Token': mgmt };
  t.equal((await c.req('PUT', '/v1/acl/policy/p', { Name: 'p', Rules: rules }, h)).status, 200);
  const tok = await c.req('PUT', '/v1/acl/token', { Name: 't', Type: 'client', Policies: ['p'] }, h);
  return { mgmt, token: tok.json.SecretID as string };
}

t.test('prefix search over all contexts: every context keyed, jobs matched, index the highest of them', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web-app'));
  await c.register(minimalJob('web-api'));
  await c.register(minimalJob('db'));
  const res = await c.post('/v1/search', { Prefix: 'web', Context: 'all' });
  t.equal(res.status, 200);
  t.same(Object.keys(res.json.Matches), ['allocs', 'deployment', 'evals', 'host_volumes', 'jobs', 'namespaces', 'node_pools', 'nodes', 'plugins', 'scaling_policy', 'vars', 'volumes'], 'ossContexts, keys sorted as Go encodes maps (source)');
  t.same(res.json.Matches.jobs, ['web-api', 'web-app']);
  t.same(res.json.Matches.vars, [], 'no variable starts with the prefix');
  t.equal(res.json.Truncations.jobs, false);
  t.equal(res.json.KnownLeader, true);
  t.equal(index(res), res.json.Index);
  t.equal(index(res), c.mock.store.tableIndex('jobs'), 'the highest index of the searched tables (source)');
});

t.test('prefix search: 20 matches per context, Truncations true beyond', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (let i = 0; i < 22; i++) await c.register(minimalJob(`job-${String(i).padStart(2, '0')}`));
  const res = await c.post('/v1/search', { Prefix: 'job-', Context: 'jobs' });
  t.equal(res.json.Matches.jobs.length, 20);
  t.equal(res.json.Matches.jobs[0], 'job-00');
  t.equal(res.json.Truncations.jobs, true);
  t.same(Object.keys(res.json.Matches), ['jobs'], 'one context asked, one answered');
});

t.test('prefix search of UUID contexts: odd prefixes round down, invalid hex matches nothing (source)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const evals = (await c.get('/v1/evaluations')).json as Obj[];
  const id = evals[0]!.ID as string;
  const even = await c.post('/v1/search', { Prefix: id.slice(0, 4), Context: 'evals' });
  t.same(even.json.Matches.evals, [id]);
  const odd = await c.post('/v1/search', { Prefix: id.slice(0, 5), Context: 'evals' });
  t.same(odd.json.Matches.evals, [id], 'rounded down to 4 digits');
  const bad = await c.post('/v1/search', { Prefix: 'zz', Context: 'evals' });
  t.same(bad.json.Matches.evals, []);
  const other = await c.post('/v1/search', { Prefix: 'ffffffff', Context: 'evals' });
  t.same(other.json.Matches.evals, []);
});

t.test('prefix search: namespace from the body or the query, `*` searches all', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.put('/v1/namespace/prod', { Name: 'prod' })).status, 200);
  await c.register(minimalJob('web'));
  await c.register(minimalJob('web', { Namespace: 'prod' }));
  const def = await c.post('/v1/search', { Prefix: 'w', Context: 'jobs' });
  t.same(def.json.Matches.jobs, ['web']);
  const body = await c.post('/v1/search', { Prefix: 'w', Context: 'jobs', Namespace: 'prod' });
  t.same(body.json.Matches.jobs, ['web']);
  const none = await c.post('/v1/search?namespace=other', { Prefix: 'w', Context: 'jobs', Namespace: 'prod' });
  t.same(none.json.Matches.jobs, [], 'the query string wins over the body');
  const all = await c.post('/v1/search?namespace=*', { Prefix: 'w', Context: 'jobs' });
  t.same(all.json.Matches.jobs, ['web', 'web']);
  const ns = await c.post('/v1/search', { Prefix: 'pr', Context: 'namespaces' });
  t.same(ns.json.Matches.namespaces, ['prod']);
  const pools = await c.post('/v1/search', { Prefix: 'd', Context: 'node_pools' });
  t.same(pools.json.Matches.node_pools, ['default']);
});

t.test('search errors: method, body, unknown context answers empty (source)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const get = await c.get('/v1/search');
  t.equal(get.status, 405);
  t.equal(get.body, 'Invalid method');
  const put = await c.put('/v1/search', { Prefix: '', Context: 'jobs' });
  t.equal(put.status, 200, 'PUT is accepted as POST');
  const bad = await c.post('/v1/search', '{"Prefix": 5}');
  t.equal(bad.status, 400);
  t.match(bad.body, /cannot unmarshal number/);
  const unknown = await c.post('/v1/search', { Prefix: 'x', Context: 'bogus' });
  t.equal(unknown.status, 200);
  t.same(unknown.json.Matches, {});
  t.same(unknown.json.Truncations, {});
  t.notMatch(unknown.body, /TypeError|undefined/);
});

t.test('fuzzy search: jobs expand into groups, tasks, services and images with their Scope', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const job = minimalJob('example-python');
  job.TaskGroups = [
    {
      Name: 'my-spy-app',
      Services: [{ Name: 'super-spy-service', Provider: 'nomad' }],
      Tasks: [{ Name: 'my-python-task', Driver: 'docker', Config: { image: 'python:3' }, Services: [{ Name: 'python-logger', Provider: 'nomad' }] }],
    },
  ];
  await c.register(job);
  const res = await c.post('/v1/search/fuzzy', { Text: 'py', Context: 'jobs' });
  t.equal(res.status, 200);
  const m = res.json.Matches;
  t.same(m.jobs, [{ ID: 'example-python', Scope: ['default', 'example-python'] }], 'Scope: namespace and job ID (source; the docs sample shows only the namespace)');
  t.same(m.groups, [{ ID: 'my-spy-app', Scope: ['default', 'example-python'] }]);
  t.same(m.tasks, [{ ID: 'my-python-task', Scope: ['default', 'example-python', 'my-spy-app'] }]);
  t.same(m.images, [{ ID: 'python:3', Scope: ['default', 'example-python', 'my-spy-app', 'my-python-task'] }]);
  t.same(m.services, [
    { ID: 'python-logger', Scope: ['default', 'example-python', 'my-spy-app', 'my-python-task'] },
    { ID: 'super-spy-service', Scope: ['default', 'example-python', 'my-spy-app'] },
  ], 'sorted by position of the text, then length, then name');
  t.same(res.json.Truncations, { groups: false, images: false, jobs: false, services: false, tasks: false });
});

t.test('fuzzy search: case-insensitive, nodes scoped by ID, namespaces without scope', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  const res = await c.post('/v1/search/fuzzy', { Text: nodes[0]!.Name.slice(0, 4).toUpperCase(), Context: 'nodes' });
  t.ok(res.json.Matches.nodes.length >= 1);
  t.same(res.json.Matches.nodes.find((m: Obj) => m.ID === nodes[0]!.Name).Scope, [nodes[0]!.ID]);
  const ns = await c.post('/v1/search/fuzzy', { Text: 'FAU', Context: 'namespaces' });
  t.same(ns.json.Matches.namespaces, [{ ID: 'default', Scope: null }]);
});

t.test('fuzzy search errors: short text is a 500 with Nomad text (source)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const short = await c.post('/v1/search/fuzzy', { Text: 'a', Context: 'all' });
  t.equal(short.status, 500);
  t.equal(short.body, 'fuzzy search query must be at least 2 characters, got 1');
  t.equal(short.headers['content-type'], TEXT);
  const get = await c.get('/v1/search/fuzzy');
  t.equal(get.status, 405);
});

t.test('fuzzy search looks at the first 20 objects of a context only (source)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (let i = 0; i < 21; i++) await c.register(minimalJob(`a${String(i).padStart(2, '0')}`, { Name: i === 20 ? 'needle' : `hay${i}` }));
  const res = await c.post('/v1/search/fuzzy', { Text: 'needle', Context: 'jobs' });
  t.equal(res.json.Matches.jobs, undefined, 'the 21st job is never scanned');
  const hay = await c.post('/v1/search/fuzzy', { Text: 'hay19', Context: 'jobs' });
  t.same(hay.json.Matches.jobs, [{ ID: 'hay19', Scope: ['default', 'a19'] }]);
  t.equal(hay.json.Truncations.jobs, true, 'a match on the 20th object with more left is truncated');
});

t.test('fuzzy search `all` answers the UUID contexts by the request Prefix (source)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const res = await c.post('/v1/search/fuzzy', { Text: 'web', Context: 'all' });
  t.equal(res.json.Matches.evals.length, 1);
  t.equal(res.json.Matches.evals[0].Scope, null);
  t.same(res.json.Matches.jobs, [{ ID: 'web', Scope: ['default', 'web'] }]);
});

t.test('search with ACLs: no token, read token, management token; contexts filtered per capability', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const { mgmt, token } = await withToken(t, c, 'namespace "default" { policy = "read" }');
  await c.req('PUT', '/v1/jobs', { Job: minimalJob('web') }, { 'X-Nomad-Token': mgmt });
  const anon = await c.req('POST', '/v1/search', { Prefix: 'w', Context: 'jobs' });
  t.equal(anon.status, 403);
  t.equal(anon.body, 'Permission denied');
  const ro = await c.req('POST', '/v1/search', { Prefix: 'w', Context: 'all' }, { 'X-Nomad-Token': token });
  t.equal(ro.status, 200);
  t.same(ro.json.Matches.jobs, ['web']);
  t.notOk('nodes' in ro.json.Matches, 'no node:read: the nodes context is left out');
  t.notOk('plugins' in ro.json.Matches);
  const nodes = await c.req('POST', '/v1/search', { Prefix: '', Context: 'nodes' }, { 'X-Nomad-Token': token });
  t.equal(nodes.status, 403, 'asking for a context the token cannot read is refused (source)');
  const m = await c.req('POST', '/v1/search', { Prefix: 'w', Context: 'all' }, { 'X-Nomad-Token': mgmt });
  t.ok('nodes' in m.json.Matches);
  const other = await c.req('POST', '/v1/search?namespace=*', { Prefix: 'w', Context: 'jobs' }, { 'X-Nomad-Token': token });
  t.equal(other.status, 200);
  const fz = await c.req('POST', '/v1/search/fuzzy', { Text: 'we', Context: 'jobs' }, { 'X-Nomad-Token': token });
  t.same(fz.json.Matches.jobs, [{ ID: 'web', Scope: ['default', 'web'] }]);
});

t.test('variables are searched by path: prefix, fuzzy with [Namespace, Path] scope, and only paths the token may list', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const { mgmt, token } = await withToken(t, c, 'namespace "default" { variables { path "app/*" { capabilities = ["list"] } } }');
  const m = { 'X-Nomad-Token': mgmt };
  for (const path of ['app/db', 'app/web', 'secret/app']) t.equal((await c.req('PUT', `/v1/var/${path}`, { Items: { k: 'v' } }, m)).status, 200, path);
  const prefix = await c.req('POST', '/v1/search', { Prefix: 'app/', Context: 'vars' }, m);
  t.equal(prefix.status, 200);
  t.same(prefix.json.Matches.vars, ['app/db', 'app/web']);
  t.equal(index(prefix), c.mock.store.tableIndex('variables'), 'the variables table index');
  const fuzzy = await c.req('POST', '/v1/search/fuzzy', { Text: 'app', Context: 'vars' }, m);
  t.same(
    fuzzy.json.Matches.vars,
    [
      { ID: 'app/db', Scope: ['default', 'app/db'] },
      { ID: 'app/web', Scope: ['default', 'app/web'] },
      { ID: 'secret/app', Scope: ['default', 'secret/app'] },
    ],
  );
  const limited = await c.req('POST', '/v1/search/fuzzy', { Text: 'app', Context: 'vars' }, { 'X-Nomad-Token': token });
  t.equal(limited.status, 200);
  t.same(limited.json.Matches.vars.map((v: Obj) => v.ID), ['app/db', 'app/web'], 'secret/app is not listable with app/*');
  const none = await c.req('POST', '/v1/search', { Prefix: 'app', Context: 'vars' }, { 'X-Nomad-Token': (await withoutVariables(c, mgmt)) });
  t.equal(none.status, 403, 'a token without any variables rule cannot search the context by name');
});

async function withoutVariables(c: Client, mgmt: string): Promise<string> {
  const h = { 'X-Nomad-Token': mgmt };
  await c.req('PUT', '/v1/acl/policy/jobs-only', { Name: 'jobs-only', Rules: 'namespace "default" { policy = "read" }' }, h);
  return (await c.req('PUT', '/v1/acl/token', { Name: 'j', Type: 'client', Policies: ['jobs-only'] }, h)).json.SecretID as string;
}
