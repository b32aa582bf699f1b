// Namespaces (namespaces.mdx; http-semantics §1.4, §2.1, §2.4, §5.3, §8.2) and how jobs live in them.
//
// The reference docs give no texts for the namespace endpoints' own errors; those assertions follow
// hashicorp/nomad's source (command/agent/namespace_endpoint.go, nomad/namespace_endpoint.go,
// nomad/state/state_store.go `DeleteNamespaces`) and are marked "(source)".
// Assertions the mock does not meet yet are marked `{ todo }`.
import t from 'tap';
import { client, index, minimalJob } from './helpers.js';

const TEXT = 'text/plain; charset=utf-8';

/** One item in go-multierror's default format (http-semantics §5.4). */
const oneError = (msg: string): string => `1 error occurred:\n\t* ${msg}\n\n`;

t.test('GET /v1/namespaces: default always exists (§1.4, namespaces.mdx)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.get('/v1/namespaces');
  t.equal(res.status, 200);
  t.ok(Array.isArray(res.json));
  t.equal(res.json.length, 1);
  const [def] = res.json;
  t.match(def, { Name: 'default', Description: 'Default shared namespace', Quota: '' });
  for (const k of [
    'Name', 'Description', 'Quota', 'Capabilities', 'NodePoolConfiguration', 'VaultConfiguration',
    'ConsulConfiguration', 'Meta', 'Hash', 'CreateIndex', 'ModifyIndex',
  ]) {
    t.ok(k in def, `has ${k}`);
  }
  t.equal(res.headers['x-nomad-knownleader'], 'true', 'full meta headers');
  t.equal(res.headers['x-nomad-lastcontact'], '0');
  t.ok(index(res) >= 1, 'the namespace index starts at 1 (index.mdx "Blocking Queries"; floored at 1 in source)');

  const one = await c.get('/v1/namespace/default');
  t.equal(one.status, 200);
  t.same(one.json, def, 'GET one returns the same object');
  t.equal(one.headers['x-nomad-knownleader'], 'true');
});

t.test('create and update with PUT/POST, read one, list with prefix (namespaces.mdx)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const created = await c.post('/v1/namespace/staging', {
    Name: 'staging',
    Description: 'Development Staging Namespace',
    Meta: { type: 'dev', contact: 'helpdesk@example.com' },
  });
  t.equal(created.status, 200);
  const n1 = index(created);
  t.ok(n1 > 0, 'the write answers X-Nomad-Index');
  t.equal(created.headers['x-nomad-knownleader'], undefined, 'writes carry only the index (source: setIndex)');
  t.equal(created.body, '', 'no body (source: the handler returns nil)');

  const read = await c.get('/v1/namespace/staging');
  t.equal(read.status, 200);
  t.match(read.json, {
    Name: 'staging',
    Description: 'Development Staging Namespace',
    Meta: { type: 'dev', contact: 'helpdesk@example.com' },
    Quota: '',
    CreateIndex: n1,
    ModifyIndex: n1,
  });
  t.equal(index(read), n1, 'a namespace read reports its ModifyIndex');

  const updated = await c.put('/v1/namespace/staging', { Name: 'staging', Description: 'Staging' });
  t.equal(updated.status, 200, 'PUT updates too');
  const n2 = index(updated);
  t.ok(n2 > n1);
  t.match((await c.get('/v1/namespace/staging')).json, { Description: 'Staging', CreateIndex: n1, ModifyIndex: n2 });

  const bare = await c.put('/v1/namespace', { Name: 'api-prod', Description: 'Production API Servers' });
  t.equal(bare.status, 200, 'PUT /v1/namespace takes the name from the body');
  const barePost = await c.post('/v1/namespace', { Name: 'ops' });
  t.equal(barePost.status, 200, 'POST /v1/namespace too');

  const names = (await c.get('/v1/namespaces')).json.map((n: { Name: string }) => n.Name);
  t.same(names, ['api-prod', 'default', 'ops', 'staging'], 'ordered by name');
  const pre = (await c.get('/v1/namespaces?prefix=st')).json.map((n: { Name: string }) => n.Name);
  t.same(pre, ['staging'], 'prefix');
  t.same((await c.get('/v1/namespaces?prefix=zzz')).json, [], 'no match is []');

  const mismatch = await c.put('/v1/namespace/staging', { Name: 'other' });
  t.equal(mismatch.status, 400, 'body name ≠ path (source)');
  t.equal(mismatch.body, 'Namespace name does not match request path');
  t.equal((await c.get('/v1/namespace/other')).status, 404, 'nothing created');
});

t.test('reading an unknown namespace (source)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const res = await c.get('/v1/namespace/nope');
  t.equal(res.status, 404);
  t.equal(res.body, 'Namespace not found');
  t.equal(res.headers['content-type'], TEXT);
  t.equal(res.headers['x-nomad-knownleader'], 'true', 'meta headers are set before the nil check');
});

t.test('wrong methods on the namespace routes answer 405 (source, same wrapper as §1.3)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const [method, path] of [
    ['PUT', '/v1/namespaces'],
    ['DELETE', '/v1/namespaces'],
    ['GET', '/v1/namespace'],
    ['DELETE', '/v1/namespace'],
    ['PATCH', '/v1/namespace/default'],
  ]) {
    const res = await c.req(method!, path!);
    t.equal(res.status, 405, `${method} ${path}`);
    t.equal(res.body, 'Invalid method');
  }
});

t.test('DELETE: removes a namespace; default, non-terminal jobs and unknown names are errors', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.put('/v1/namespace/ops', { Name: 'ops' });
  const del = await c.del('/v1/namespace/ops');
  t.equal(del.status, 200);
  t.ok(index(del) > 0, 'the delete answers X-Nomad-Index');
  t.equal((await c.get('/v1/namespace/ops')).status, 404, 'gone');
  t.same((await c.get('/v1/namespaces')).json.map((n: { Name: string }) => n.Name), ['default']);

  const def = await c.del('/v1/namespace/default');
  t.equal(def.status, 500, 'default (source: nomad/namespace_endpoint.go)');
  t.equal(def.body, 'can not delete default namespace');
  t.equal(def.headers['content-type'], TEXT);

  await c.put('/v1/namespace/dev', { Name: 'dev' });
  // A periodic parent is `running` until stopped and `dead` at the stop write (state-semantics §5),
  // so it needs no scheduler to become terminal.
  const cron = minimalJob('cron', { Namespace: 'dev', Type: 'batch', Periodic: { Enabled: true, Specs: ['@daily'] } });
  await c.register(cron);
  t.match((await c.get('/v1/job/cron?namespace=dev')).json, { Status: 'running' });
  const busy = await c.del('/v1/namespace/dev');
  t.equal(busy.status, 500, 'a namespace with a non-terminal job (source: nomad/namespace_endpoint.go)');
  t.equal(busy.body, oneError('namespace "dev" has non-terminal jobs in regions: [global]'));
  t.equal((await c.get('/v1/namespace/dev')).status, 200, 'still there');

  // Once its jobs are dead the namespace can go.
  const stop = await c.del('/v1/job/cron?namespace=dev');
  t.equal(stop.status, 200);
  t.match((await c.get('/v1/job/cron?namespace=dev')).json, { Stop: true, Status: 'dead' });
  const freed = await c.del('/v1/namespace/dev');
  t.equal(freed.status, 200, 'only dead jobs left');
  t.equal((await c.get('/v1/namespace/dev')).status, 404);

  const unknown = await c.del('/v1/namespace/nope');
  t.equal(unknown.status, 500, 'unknown namespace (source: state store DeleteNamespaces)');
  t.equal(unknown.body, 'namespace not found');
  t.equal(unknown.headers['content-type'], TEXT);
});

t.test('isolation: a job in "a" is invisible from default (§5.3, §8.2)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.put('/v1/namespace/a', { Name: 'a' });
  const reg = await c.register(minimalJob('web', { Namespace: 'a' }));
  t.equal(reg.status, 200);

  const fromDefault = await c.get('/v1/job/web');
  t.equal(fromDefault.status, 404);
  t.equal(fromDefault.body, 'job not found');
  t.equal((await c.get('/v1/job/web/summary')).status, 404);
  t.same((await c.get('/v1/jobs')).json, [], 'not listed in default');

  const inA = await c.get('/v1/job/web?namespace=a');
  t.equal(inA.status, 200);
  t.equal(inA.json.Namespace, 'a');
  t.equal((await c.get('/v1/job/web/summary?namespace=a')).json.Namespace, 'a');
  const listA = (await c.get('/v1/jobs?namespace=a')).json as { ID: string; Namespace: string }[];
  t.same(listA.map((j) => `${j.Namespace}.${j.ID}`), ['a.web']);
  const all = (await c.get('/v1/jobs?namespace=*')).json as { ID: string; Namespace: string }[];
  t.same(all.map((j) => `${j.Namespace}.${j.ID}`), ['a.web']);

  // The same ID in default is a different job.
  await c.register(minimalJob('web', { Meta: { ns: 'default' } }));
  t.equal((await c.get('/v1/job/web')).json.Namespace, 'default');
  t.notOk((await c.get('/v1/job/web?namespace=a')).json.Meta, 'the job in "a" is untouched');
  const both = (await c.get('/v1/jobs?namespace=*')).json as { ID: string; Namespace: string }[];
  t.same(both.map((j) => `${j.Namespace}.${j.ID}`), ['a.web', 'default.web']);

  // Deregistering from default touches only default; a missing job is not an error (§5.3).
  await c.del('/v1/job/web?purge=true');
  const again = await c.del('/v1/job/web');
  t.equal(again.status, 200);
  t.equal(again.json.EvalID, '', 'nothing to deregister in default');
  t.match((await c.get('/v1/job/web?namespace=a')).json, { Stop: false }, 'the job in "a" is untouched');
});

t.test('registering into a namespace that does not exist: 500 validation error (§5.3, §5.5)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const cases: [string, Record<string, unknown>, string][] = [
    ['/v1/jobs', { Job: minimalJob('web', { Namespace: 'nope' }) }, 'Job.Namespace'],
    ['/v1/jobs?namespace=nope', { Job: minimalJob('web') }, '?namespace='],
    ['/v1/jobs', { Job: minimalJob('web'), Namespace: 'nope' }, 'body Namespace'],
    ['/v1/job/web?namespace=nope', { Job: minimalJob('web') }, '/v1/job/:id ?namespace='],
  ];
  for (const [path, body, what] of cases) {
    const res = await c.put(path, body);
    t.equal(res.status, 500, what);
    t.equal(res.body, oneError('job "web" is in nonexistent namespace "nope"'), what);
    t.equal(res.headers['content-type'], TEXT, what);
    t.equal(res.headers['x-nomad-index'], undefined, `${what}: an RPC error carries no index`);
  }
  t.equal(c.mock.store.tableIndex('jobs'), 0, 'nothing was written');
  t.same((await c.get('/v1/jobs?namespace=*')).json, []);

  // Reading from a namespace that does not exist is not an error (§2.1).
  const list = await c.get('/v1/jobs?namespace=nope');
  t.equal(list.status, 200);
  t.same(list.json, []);
  const one = await c.get('/v1/job/web?namespace=nope');
  t.equal(one.status, 404);
  t.equal(one.body, 'job not found');
});

t.test('?namespace= overrides the body: query > body Namespace > Job.Namespace (§2.4)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.put('/v1/namespace/dev', { Name: 'dev' });
  await c.put('/v1/namespace/prod', { Name: 'prod' });

  const q = await c.put('/v1/jobs?namespace=prod', { Job: minimalJob('web', { Namespace: 'dev' }) });
  t.equal(q.status, 200);
  t.equal((await c.get('/v1/job/web?namespace=prod')).json.Namespace, 'prod', 'query wins over Job.Namespace');
  t.equal((await c.get('/v1/job/web?namespace=dev')).status, 404, 'nothing in the body\'s namespace');

  const q2 = await c.put('/v1/jobs?namespace=prod', { Job: minimalJob('api', { Namespace: 'dev' }), Namespace: 'dev' });
  t.equal(q2.status, 200);
  t.equal((await c.get('/v1/job/api?namespace=prod')).json.Namespace, 'prod', 'query wins over the body Namespace');

  const b = await c.put('/v1/jobs', { Job: minimalJob('db', { Namespace: 'dev' }), Namespace: 'prod' });
  t.equal(b.status, 200);
  t.equal((await c.get('/v1/job/db?namespace=prod')).json.Namespace, 'prod', 'body Namespace wins over Job.Namespace');
  t.equal((await c.get('/v1/job/db?namespace=dev')).status, 404);

  const j = await c.put('/v1/job/cache', { Job: minimalJob('cache', { Namespace: 'dev' }) });
  t.equal(j.status, 200);
  t.equal((await c.get('/v1/job/cache?namespace=dev')).json.Namespace, 'dev', 'Job.Namespace when nothing else is given');

  const ev = await c.get('/v1/job/web/evaluations?namespace=prod');
  t.equal(ev.json.length, 1, 'the eval lives in the winning namespace too');
  t.equal(ev.json[0].Namespace, 'prod');

  // Writes that use the write-side parser take ?namespace= as well (§2.3).
  const stop = await c.del('/v1/job/web?namespace=prod');
  t.equal(stop.status, 200);
  t.ok(stop.json.EvalID, 'the job in prod was found and stopped');
  t.match((await c.get('/v1/job/web?namespace=prod')).json, { Stop: true });
  const evalRes = await c.put('/v1/job/db/evaluate?namespace=prod', { JobID: 'db' });
  t.equal(evalRes.status, 200, 'evaluate finds the job through ?namespace=');
});
