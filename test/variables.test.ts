// Variables over HTTP: /v1/vars and /v1/var/:path, check-and-set, path rules, namespaces, the
// `variables` ACL block, locks on the simulated clock, events, and snapshot/restore/reset.
import t, { type Test } from 'tap';
import { Value } from '@sinclair/typebox/value';
import { client, index, streamEvents, type Client } from './helpers.js';
import { VariableMetadata } from '../routes/variables/index.js';
import { variablePaths } from '../state/variables/table.js';
import type { Obj } from '../state/types.js';

const put = (c: Client, path: string, body: Obj, query = ''): ReturnType<Client['put']> => c.put(`/v1/var/${path}${query}`, body);
const items = (o: Obj): Obj => ({ Items: o });
const manual = (): Promise<Client> => client({ config: { clock: 'manual' } });

t.test('a variable is written, read back with its items and listed with metadata only', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const w = await put(c, 'app/db/creds', items({ user: 'me', pass: 's3cret' }));
  t.equal(w.status, 200);
  t.equal(index(w), w.json.ModifyIndex, 'X-Nomad-Index is the write index');
  t.same(Object.keys(w.json), ['Namespace', 'Path', 'CreateIndex', 'CreateTime', 'ModifyIndex', 'ModifyTime', 'Items']);
  t.match(w.json, { Namespace: 'default', Path: 'app/db/creds', Items: { user: 'me', pass: 's3cret' } });
  t.equal(w.json.CreateIndex, w.json.ModifyIndex);
  t.ok(w.json.CreateTime > 0, 'CreateTime is unix nanoseconds');

  const r = await c.get('/v1/var/app/db/creds');
  t.equal(r.status, 200);
  t.same(r.json, w.json);
  t.equal(index(r), w.json.ModifyIndex, 'a read answers at the variable ModifyIndex');
  t.equal(r.headers['x-nomad-knownleader'], 'true');
  t.same(Value.Errors(VariableMetadata, r.json).First(), undefined, 'read conforms to its schema');

  const l = await c.get('/v1/vars');
  t.equal(l.status, 200);
  t.same(l.json, [{ Namespace: 'default', Path: 'app/db/creds', CreateIndex: w.json.CreateIndex, CreateTime: w.json.CreateTime, ModifyIndex: w.json.ModifyIndex, ModifyTime: w.json.ModifyTime }]);
  t.equal(index(l), w.json.ModifyIndex, 'the list answers at the variables table index');

  const u = await put(c, 'app/db/creds', items({ user: 'you' }));
  t.equal(u.json.CreateIndex, w.json.CreateIndex, 'an update keeps CreateIndex');
  t.ok(u.json.ModifyIndex > w.json.ModifyIndex);
  t.same((await c.get('/v1/var/app/db/creds')).json.Items, { user: 'you' }, 'an update replaces the items');

  const d = await c.del('/v1/var/app/db/creds');
  t.equal(d.status, 204);
  t.equal(d.body, '');
  t.ok(index(d) > u.json.ModifyIndex);
  const gone = await c.get('/v1/var/app/db/creds');
  t.equal(gone.status, 404);
  t.equal(gone.body, 'variable not found');
  t.equal(index(gone), index(d), 'a 404 carries the table index');
  t.same((await c.get('/v1/vars')).json, []);
});

t.test('the list filters by prefix and filter, pages with next_token and spans namespaces with *', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.put('/v1/namespace/prod', { Name: 'prod' })).status, 200);
  for (const p of ['b/one', 'a/two', 'a/one', 'c']) await put(c, p, items({ k: p }));
  await put(c, 'a/one', items({ k: 'x' }), '?namespace=prod');

  t.same((await c.get('/v1/vars')).json.map((v: Obj) => v.Path), ['a/one', 'a/two', 'b/one', 'c'], 'ordered by path');
  t.same((await c.get('/v1/vars?prefix=a/')).json.map((v: Obj) => v.Path), ['a/one', 'a/two']);
  t.same((await c.get('/v1/vars?namespace=prod')).json.map((v: Obj) => v.Path), ['a/one']);
  t.same((await c.get('/v1/vars?namespace=nope')).json, [], 'an unknown namespace lists nothing');
  const all = await c.get('/v1/vars?namespace=*&prefix=a/one');
  t.same(all.json.map((v: Obj) => `${v.Namespace}:${v.Path}`), ['default:a/one', 'prod:a/one']);

  const p1 = await c.get('/v1/vars?per_page=2');
  t.same(p1.json.map((v: Obj) => v.Path), ['a/one', 'a/two']);
  t.equal(p1.headers['x-nomad-nexttoken'], 'default.b/one');
  const p2 = await c.get('/v1/vars?per_page=2&next_token=default.b/one');
  t.same(p2.json.map((v: Obj) => v.Path), ['b/one', 'c']);
  t.equal(p2.headers['x-nomad-nexttoken'], undefined);

  t.same((await c.get(`/v1/vars?filter=${encodeURIComponent('Path matches "^b"')}`)).json.map((v: Obj) => v.Path), ['b/one']);
  const bad = await c.get('/v1/vars?filter=Path%20%3D%3D');
  t.equal(bad.status, 400);
  t.match(bad.body, /^failed to create result paginator: failed to read filter expression: /);
  t.equal((await c.get('/v1/vars?wait=99a')).body, 'Invalid wait time');
  t.equal((await c.post('/v1/vars')).status, 405);

  // The search helper's query.
  t.same(variablePaths(c.mock.store, '*', 'a/'), [
    { Namespace: 'default', Path: 'a/one' },
    { Namespace: 'default', Path: 'a/two' },
    { Namespace: 'prod', Path: 'a/one' },
  ]);
});

t.test('path rules, size limit, empty items and namespaces answer with Nomad texts and change nothing', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const before = c.mock.store.index;
  const cases: [string, Obj, number, string][] = [
    ['bad.path', items({ a: 'b' }), 500, 'invalid path "bad.path"'],
    ['nomad', items({ a: 'b' }), 500, '"nomad" is a reserved top-level directory path, but you may write variables to "nomad/jobs", "nomad/job-templates", or below'],
    ['nomad/other', items({ a: 'b' }), 500, 'only paths at "nomad/jobs" or "nomad/job-templates" and below are valid paths under the top-level "nomad" directory'],
    ['nomad/job-templates', items({ a: 'b' }), 500, '"nomad/job-templates" is a reserved directory path, but you may write variables at the level below it, for example, "nomad/job-templates/template-name"'],
    [`${'x'.repeat(129)}`, items({ a: 'b' }), 500, `invalid path "${'x'.repeat(129)}"`],
    ['big', items({ k: 'v'.repeat(65536) }), 500, 'variables are limited to 64KiB in total size'],
    ['empty', items({}), 400, 'variable missing required Items object'],
    ['none', {}, 400, 'variable missing required Items object'],
    ['typed', { Items: { a: 1 } }, 400, 'json: cannot unmarshal number into Go struct field VariableDecrypted.Items of type string'],
  ];
  for (const [path, body, status, text] of cases) {
    const r = await put(c, path, body);
    t.equal(r.status, status, path.slice(0, 20));
    t.equal(r.body, text);
  }
  t.equal((await c.req('PUT', '/v1/var/x', '')).body, 'Request body is empty');
  const wild = await put(c, 'x', items({ a: 'b' }), '?namespace=*');
  t.equal(wild.body, 'can not target wildcard ("*")namespace');
  t.equal(wild.headers['x-nomad-index'], '0', 'an apply error carries X-Nomad-Index: 0');
  const noNs = await put(c, 'x', items({ a: 'b' }), '?namespace=ghost');
  t.equal(noNs.status, 500);
  t.equal(noNs.body, 'variable "x" is in nonexistent namespace "ghost"');
  t.equal(c.mock.store.index, before, 'no write happened');

  t.equal((await put(c, 'nomad/jobs/web/group', items({ a: 'b' }))).status, 200, 'nomad/jobs/... is allowed');
  t.equal((await put(c, 'nomad/job-templates/tpl', items({ a: 'b' }))).status, 200);
  t.equal((await put(c, '~_-/ok', items({ 'é': 'ü' }))).status, 200);
  const sized = await put(c, 'edge', items({ k: 'v'.repeat(65535) }));
  t.equal(sized.status, 200, 'exactly 64 KiB of keys and values is allowed');

  const missing = await c.get('/v1/var/');
  t.equal(missing.status, 400);
  t.equal(missing.body, 'missing variable path');
  t.equal((await c.req('PATCH', '/v1/var/x')).body, 'Invalid method');
  t.equal((await c.req('PATCH', '/v1/var/x')).status, 400);
  t.equal((await c.get('/v1/var/x?wait=zz')).body, 'Invalid wait time');
});

t.test('the query namespace overrides the body and the variable lives in that namespace', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.put('/v1/namespace/prod', { Name: 'prod' });
  const w = await put(c, 'p', { Namespace: 'default', Items: { a: 'b' } }, '?namespace=prod');
  t.equal(w.json.Namespace, 'prod');
  const b = await put(c, 'q', { Namespace: 'prod', Items: { a: 'b' } });
  t.equal(b.json.Namespace, 'prod', 'the body namespace applies without a query one');
  t.equal((await c.get('/v1/var/p')).status, 404, 'not in default');
  t.equal((await c.get('/v1/var/p?namespace=prod')).status, 200);
  t.equal((await c.del('/v1/var/p?namespace=prod')).status, 204);
});

t.test('check-and-set writes and deletes answer 409 with the conflicting variable', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const w = await put(c, 'cas/a', items({ v: '1' }));
  const create = await put(c, 'cas/a', items({ v: '2' }), '?cas=0');
  t.equal(create.status, 409, 'cas=0 on an existing variable conflicts');
  t.same(create.json, w.json, 'the body is the stored variable');
  t.equal(index(create), w.json.ModifyIndex, 'X-Nomad-Index is the conflict ModifyIndex');

  const stale = await put(c, 'cas/a', items({ v: '2' }), `?cas=${w.json.ModifyIndex + 100}`);
  t.equal(stale.status, 409);
  t.same(stale.json.Items, { v: '1' });

  const absent = await put(c, 'cas/none', items({ v: '2' }), '?cas=7');
  t.equal(absent.status, 409);
  t.same(absent.json, { Namespace: 'default', Path: 'cas/none', CreateIndex: 0, CreateTime: 0, ModifyIndex: 0, ModifyTime: 0 }, 'a zero value for a missing variable');
  t.equal(index(absent), 0);

  const ok = await put(c, 'cas/a', items({ v: '2' }), `?cas=${w.json.ModifyIndex}`);
  t.equal(ok.status, 200);
  t.equal((await put(c, 'cas/new', items({ v: '1' }), '?cas=0')).status, 200, 'cas=0 creates');

  const badCas = await put(c, 'cas/a', items({ v: '3' }), '?cas=x');
  t.equal(badCas.status, 400);
  t.equal(badCas.body, 'can not parse cas: strconv.ParseUint: parsing "x": invalid syntax');
  t.equal((await c.del('/v1/var/cas/a?cas=-1')).body, 'can not parse cas: strconv.ParseUint: parsing "-1": invalid syntax');

  const delStale = await c.del(`/v1/var/cas/a?cas=${w.json.ModifyIndex}`);
  t.equal(delStale.status, 409);
  t.same(delStale.json, ok.json);
  t.equal((await c.get('/v1/var/cas/a')).status, 200, 'a conflicting delete deletes nothing');
  t.equal((await c.del('/v1/var/cas/a?cas=0')).status, 409, 'cas=0 delete of an existing variable conflicts');
  t.equal((await c.del('/v1/var/cas/none?cas=0')).status, 204, 'cas=0 delete of a missing variable succeeds');
  const delMissing = await c.del('/v1/var/cas/none?cas=5');
  t.equal(delMissing.status, 409);
  t.equal(delMissing.json.ModifyIndex, 0);
  t.equal((await c.del(`/v1/var/cas/a?cas=${ok.json.ModifyIndex}`)).status, 204);
  t.equal((await c.del('/v1/var/never/was')).status, 204, 'deleting a missing variable is not an error');
});

t.test('a blocked read wakes on the write it waits for', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const w = await put(c, 'blk', items({ a: '1' }));
  const read = c.get(`/v1/var/blk?index=${w.json.ModifyIndex}&wait=5s`);
  const list = c.get(`/v1/vars?index=${w.json.ModifyIndex}&wait=5s`);
  await new Promise((r) => setTimeout(r, 20));
  const u = await put(c, 'blk', items({ a: '2' }));
  const [r, l] = await Promise.all([read, list]);
  t.equal(index(r), u.json.ModifyIndex);
  t.same(r.json.Items, { a: '2' });
  t.equal(index(l), u.json.ModifyIndex);
});

/** An ACL-enabled server with a management token and a token per policy. */
async function aclWorld(t: Test, policies: Record<string, string>): Promise<{ c: Client; mgmt: string; tokens: Record<string, string>; as: (tok: string | null, m: string, u: string, b?: unknown) => ReturnType<Client['req']> }> {
  const c = await client({ config: { acl: true, clock: 'manual' } });
  t.teardown(c.close);
  const as = (tok: string | null, m: string, u: string, b?: unknown): ReturnType<Client['req']> => c.req(m, u, b, tok === null ? {} : { 'X-Nomad-Token': tok });
  const mgmt = (await c.req('POST', '/v1/acl/bootstrap')).json.SecretID as string;
  const tokens: Record<string, string> = {};
  for (const [name, rules] of Object.entries(policies)) {
    const p = await as(mgmt, 'PUT', `/v1/acl/policy/${name}`, { Name: name, Rules: rules });
    t.equal(p.status, 200, `policy ${name}: ${p.body}`);
    tokens[name] = (await as(mgmt, 'PUT', '/v1/acl/token', { Name: name, Type: 'client', Policies: [name] })).json.SecretID as string;
  }
  return { c, mgmt, tokens, as };
}

t.test('the variables ACL block grants list, read, write and destroy per path glob; deny wins', async (t) => {
  const { c, mgmt, tokens, as } = await aclWorld(t, {
    reader: 'namespace "default" { variables { path "app/*" { capabilities = ["read"] } } }',
    writer: 'namespace "default" { variables { path "app/*" { capabilities = ["write", "read", "destroy"] } path "app/secret" { capabilities = ["deny"] } } }',
    lister: 'namespace "*" { variables { path "*" { capabilities = ["list"] } } }',
    jobs: 'namespace "default" { policy = "write" }',
  });
  await c.put('/v1/namespace/prod', { Name: 'prod' }).then(() => as(mgmt, 'PUT', '/v1/namespace/prod', { Name: 'prod' }));
  for (const p of ['app/a', 'app/secret', 'other/x']) t.equal((await as(mgmt, 'PUT', `/v1/var/${p}`, items({ k: p }))).status, 200);
  t.equal((await as(mgmt, 'PUT', '/v1/var/app/p?namespace=prod', items({ k: 'p' }))).status, 200);

  // No token (anonymous, no policy), a job-only token: nothing to read, an empty list, no writes.
  for (const tok of [null, tokens.jobs!]) {
    const r = await as(tok, 'GET', '/v1/var/app/a');
    t.equal(r.status, 403);
    t.equal(r.body, 'Permission denied');
    const l = await as(tok, 'GET', '/v1/vars?namespace=*');
    t.equal(l.status, 200, 'a list never refuses: it drops what the token may not list');
    t.same(l.json, []);
    t.equal((await as(tok, 'PUT', '/v1/var/app/a', items({ k: 'v' }))).status, 403);
    t.equal((await as(tok, 'DELETE', '/v1/var/app/a')).status, 403);
  }
  const unknown = await as('00000000-0000-0000-0000-000000000000', 'GET', '/v1/vars');
  t.equal(unknown.status, 403, 'an unknown token is refused');
  t.equal((await as(tokens.reader!, 'GET', '/v1/event/stream?topic=Variable')).status, 403, 'the Variable topic needs a management token');

  // Read-only on app/*: read implies list; 403 before the 404 of a missing variable.
  t.equal((await as(tokens.reader!, 'GET', '/v1/var/app/a')).status, 200);
  t.equal((await as(tokens.reader!, 'GET', '/v1/var/app/missing')).status, 404);
  t.equal((await as(tokens.reader!, 'GET', '/v1/var/other/x')).status, 403);
  t.equal((await as(tokens.reader!, 'GET', '/v1/var/other/missing')).status, 403);
  t.same((await as(tokens.reader!, 'GET', '/v1/vars')).json.map((v: Obj) => v.Path), ['app/a', 'app/secret']);
  t.same((await as(tokens.reader!, 'GET', '/v1/vars?namespace=*')).json.map((v: Obj) => v.Path), ['app/a', 'app/secret'], 'not prod');
  const roWrite = await as(tokens.reader!, 'PUT', '/v1/var/app/a', items({ k: 'v' }));
  t.equal(roWrite.status, 403);
  t.equal(roWrite.headers['x-nomad-index'], '0');
  t.equal((await as(tokens.reader!, 'DELETE', '/v1/var/app/a')).status, 403);
  // The agent's own checks come before the server's refusal.
  t.equal((await as(tokens.reader!, 'PUT', '/v1/var/app/a', items({}))).body, 'variable missing required Items object');
  t.equal((await as(null, 'PUT', '/v1/var/app/a', '{')).status, 400);

  // Writer: writes app/*, but the exact `deny` rule beats the glob.
  t.equal((await as(tokens.writer!, 'PUT', '/v1/var/app/b', items({ k: 'v' }))).status, 200);
  t.equal((await as(tokens.writer!, 'GET', '/v1/var/app/secret')).status, 403);
  t.equal((await as(tokens.writer!, 'PUT', '/v1/var/app/secret', items({ k: 'v' }))).status, 403);
  t.equal((await as(tokens.writer!, 'DELETE', '/v1/var/app/b')).status, 204);
  t.equal((await as(tokens.writer!, 'PUT', '/v1/var/app/b?namespace=prod', items({ k: 'v' }))).status, 403, 'the rule is for default only');

  // Lister: every namespace, metadata only; reading needs `read`.
  const all = await as(tokens.lister!, 'GET', '/v1/vars?namespace=*');
  t.same(all.json.map((v: Obj) => `${v.Namespace}:${v.Path}`), ['default:app/a', 'default:app/secret', 'default:other/x', 'prod:app/p']);
  t.equal((await as(tokens.lister!, 'GET', '/v1/var/app/a')).status, 403);

  // A conflict answered to a writer without read: metadata, no items.
  const { tokens: t2, as: as2, mgmt: m2 } = await aclWorld(t, { wo: 'namespace "default" { variables { path "w" { capabilities = ["write"] } } }' });
  t.equal((await as2(m2, 'PUT', '/v1/var/w', items({ k: 'v' }))).status, 200);
  const redacted = await as2(t2.wo!, 'PUT', '/v1/var/w?cas=0', items({ k: 'x' }));
  t.equal(redacted.status, 409);
  t.equal(redacted.json.Items, undefined, 'no items without read');
  t.equal(redacted.json.Path, 'w');
  const full = await as2(m2, 'PUT', '/v1/var/w?cas=0', items({ k: 'x' }));
  t.same(full.json.Items, { k: 'v' }, 'a reader sees the conflicting items');
});

t.test('variables blocks are parsed with Nomad rules and texts', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const mgmt = (await c.req('POST', '/v1/acl/bootstrap')).json.SecretID as string;
  const policy = (rules: string): ReturnType<Client['req']> => c.req('PUT', '/v1/acl/policy/p', { Name: 'p', Rules: rules }, { 'X-Nomad-Token': mgmt });
  const cases: [string, string][] = [
    ['namespace "dev" { variables "*" { capabilities = ["read"] } }', 'Invalid variable policy: no variable paths in namespace dev'],
    ['namespace "dev" { variables {} }', 'Invalid variable policy: no variable paths in namespace dev'],
    ['namespace "dev" { variables { path {} } }', 'Invalid missing variable path in namespace dev'],
    ['namespace "dev" { variables { path "/nomad/job" { capabilities = ["read"] } } }', `Invalid variable path "/nomad/job" in namespace dev: cannot start with a leading '/'\``],
    ['namespace "dev" { variables { path "a" { capabilities = ["read-job"] } } }', "Invalid variable capability 'read-job' in namespace dev"],
  ];
  for (const [rules, text] of cases) {
    const r = await policy(rules);
    t.equal(r.status, 400);
    t.equal(r.body, `policy 0 invalid: 1 error occurred:\n\t* failed to parse rules: ${text}\n\n`);
  }
  const ok = await policy('namespace "dev" { policy = "read" variables { path "a/*" { capabilities = ["read", "write"] } path "b" { capabilities = ["deny", "read"] } } }');
  t.equal(ok.status, 200, ok.body);
  const got = await c.req('GET', '/v1/acl/policy/p', undefined, { 'X-Nomad-Token': mgmt });
  t.same(got.json.RulesJSON.Namespaces[0].Variables, {
    Paths: [
      { PathSpec: 'a/*', Capabilities: ['read', 'write', 'list'] },
      { PathSpec: 'b', Capabilities: ['deny'] },
    ],
  }, 'read implies list; deny stands alone');
  const json = await policy(JSON.stringify({ namespace: { dev: { variables: { path: { 'x/*': { capabilities: ['list'] } } } } } }));
  t.equal(json.status, 200, 'the JSON form parses too');
});

t.test('locks: acquire, holder-only writes, renew and release with Nomad answers', async (t) => {
  const c = await manual();
  t.teardown(c.close);
  const acq = await put(c, 'lock/a', { Lock: {} }, '?lock-acquire');
  t.equal(acq.status, 200, acq.body);
  t.equal(acq.json.Items, undefined, 'a lock may be created without items');
  t.match(acq.json.Lock, { TTL: '15s', LockDelay: '15s', ID: /^[0-9a-f-]{36}$/ });
  t.same(Object.keys(acq.json.Lock), ['TTL', 'LockDelay', 'ID']);
  t.same(Object.keys(acq.json).slice(0, 3), ['Namespace', 'Path', 'Lock']);
  t.equal(index(acq), acq.json.ModifyIndex);
  const id = acq.json.Lock.ID as string;

  const again = await put(c, 'lock/a', { Lock: { TTL: '20s' } }, '?lock-acquire');
  t.equal(again.status, 409, 'a held lock cannot be acquired');
  t.equal(again.json.Lock.ID, id);

  const plain = await put(c, 'lock/a', items({ k: 'v' }));
  t.equal(plain.status, 409, 'only the holder may write a locked variable');
  t.equal(plain.json.Path, 'lock/a');
  const holder = await put(c, 'lock/a', { Items: { k: 'v' }, Lock: { ID: id } });
  t.equal(holder.status, 200);
  t.equal(holder.json.Lock.ID, id, 'the holder keeps its lock');
  t.equal((await c.del('/v1/var/lock/a')).status, 409, 'a locked variable cannot be deleted');

  const renewWrong = await put(c, 'lock/a', { Lock: { ID: 'not-it' } }, '?lock-renew');
  t.equal(renewWrong.status, 500);
  t.equal(renewWrong.body, 'attempting to modify locked variable');
  t.equal((await put(c, 'lock/a', { Lock: {} }, '?lock-renew')).body, 'missing lock ID');
  t.equal((await put(c, 'lock/none', { Lock: { ID: id } }, '?lock-renew')).body, "variable doesn't exist");
  const renew = await put(c, 'lock/a', { Lock: { ID: id } }, '?lock-renew');
  t.equal(renew.status, 200);
  t.equal(renew.json.Lock.ID, id);
  t.equal(renew.json.Items, undefined, 'renew answers metadata only');

  const relWrong = await put(c, 'lock/a', { Lock: { ID: 'not-it' } }, '?lock-release');
  t.equal(relWrong.status, 409);
  t.equal((await put(c, 'lock/a', {}, '?lock-release')).body, 'release requires all lock information');
  const rel = await put(c, 'lock/a', { Lock: { ID: id } }, '?lock-release');
  t.equal(rel.status, 200);
  t.equal(rel.json.Lock, undefined);
  t.same((await c.get('/v1/var/lock/a')).json.Items, { k: 'v' }, 'release keeps the items');
  t.equal((await put(c, 'lock/a', { Lock: { ID: id } }, '?lock-release')).body, "variable doesn't hold a lock");
  t.equal((await put(c, 'lock/none', { Lock: { ID: id } }, '?lock-release')).body, "variable doesn't exist");
  t.equal((await put(c, 'lock/a', { Lock: { ID: id } }, '?lock-renew')).body, "variable doesn't hold a lock");

  const withItems = await put(c, 'lock/a', { Items: { n: '1' }, Lock: { TTL: '1m', LockDelay: '10s' } }, '?lock-acquire');
  t.same(withItems.json.Lock, { TTL: '1m0s', LockDelay: '10s', ID: withItems.json.Lock.ID });
  t.same((await c.get('/v1/var/lock/a')).json.Items, { n: '1' }, 'acquiring with items replaces them');
});

t.test('lock requests that Nomad refuses', async (t) => {
  const c = await manual();
  t.teardown(c.close);
  const before = c.mock.store.index;
  const cases: [string, Obj, number, string][] = [
    ['?lock-acquire&lock-release', { Lock: {} }, 400, 'multiple lock operations'],
    ['?lock-acquire&cas=1', { Lock: {} }, 400, "CAS can't be used with lock operations"],
    ['?lock-acquire', { Lock: { TTL: '5s' } }, 500, '1 error occurred:\n\t* TTL must be between 10 seconds and 24 hours\n\n'],
    ['?lock-acquire', { Lock: { TTL: '25h' } }, 500, '1 error occurred:\n\t* TTL must be between 10 seconds and 24 hours\n\n'],
    ['?lock-acquire', { Lock: { LockDelay: '-1s' } }, 500, '1 error occurred:\n\t* Lock delay and TTL must be positive\n\n'],
    ['?lock-acquire', { Lock: { TTL: 'soon' } }, 400, 'time: invalid duration "soon"'],
    ['?lock-acquire', { Lock: 'x' }, 400, 'json: cannot unmarshal string into Go struct field VariableDecrypted.Lock of type structs.VariableLock'],
    ['?lock-acquire&namespace=ghost', { Lock: {} }, 500, 'variable "l" is in nonexistent namespace "ghost"'],
  ];
  for (const [query, body, status, text] of cases) {
    const r = await put(c, 'l', body, query);
    t.equal(r.status, status, query);
    t.equal(r.body, text);
  }
  t.equal((await put(c, 'nomad', { Lock: {} }, '?lock-acquire')).status, 500, 'path rules apply to locks');
  t.equal(c.mock.store.index, before, 'nothing was written');
});

t.test('a lock expires on the simulated clock: twice its TTL, then its lock delay', async (t) => {
  const c = await manual();
  t.teardown(c.close);
  const advance = (d: string): ReturnType<Client['post']> => c.post('/_mock/clock/advance', { Duration: d });
  const acq = await put(c, 'lease', { Items: { a: 'b' }, Lock: { TTL: '10s', LockDelay: '30s' } }, '?lock-acquire');
  const id = acq.json.Lock.ID as string;
  await advance('19s');
  t.equal((await put(c, 'lease', { Lock: { ID: id } }, '?lock-renew')).status, 200, 'renewed within twice the TTL');
  await advance('19s');
  t.equal((await put(c, 'lease', { Lock: { ID: id } }, '?lock-renew')).status, 200, 'the renewal restarted the lease');
  await advance('21s');
  const late = await put(c, 'lease', { Lock: { ID: id } }, '?lock-renew');
  t.equal(late.status, 500, 'the lease ran out');
  t.equal(late.body, 'attempting to modify locked variable');
  t.ok((await c.get('/v1/var/lease')).json.Lock, 'the lock stays for its delay');
  t.equal((await put(c, 'lease', { Lock: {} }, '?lock-acquire')).status, 409);
  await advance('30s');
  const freed = await c.get('/v1/var/lease');
  t.equal(freed.json.Lock, undefined, 'the lock is gone after the delay');
  t.same(freed.json.Items, { a: 'b' });
  t.ok(freed.json.ModifyIndex > acq.json.ModifyIndex, 'removing it is a write');
  t.equal((await put(c, 'lease', { Lock: {} }, '?lock-acquire')).status, 200, 'the lock can be taken again');
});

t.test('locks are hidden from non-management tokens except their holder', async (t) => {
  const { tokens, as } = await aclWorld(t, { rw: 'namespace "default" { variables { path "*" { capabilities = ["read", "write", "destroy"] } } }' });
  const acq = await as(tokens.rw!, 'PUT', '/v1/var/x?lock-acquire', { Items: { a: 'b' } });
  t.equal(acq.status, 200);
  t.ok(acq.json.Lock?.ID, 'the acquirer learns its lock ID');
  t.equal((await as(tokens.rw!, 'GET', '/v1/var/x')).json.Lock, undefined, 'a read hides the lock');
  t.equal((await as(tokens.rw!, 'GET', '/v1/vars')).json[0].Lock, undefined, 'so does the list');
  const upd = await as(tokens.rw!, 'PUT', '/v1/var/x', { Items: { a: 'c' }, Lock: { ID: acq.json.Lock.ID } });
  t.equal(upd.json.Lock.ID, acq.json.Lock.ID, 'the holder sees it on its write');
});

t.test('writes publish Variable events that the stream filters by topic and key', async (t) => {
  const c = await client();
  t.teardown(c.close);
  let written: Obj = {};
  const events = await streamEvents(c, 'topic=Variable', 3, async () => {
    written = (await put(c, 'ev/a', items({ k: 'v' }))).json;
    await put(c, 'ev/b', items({ k: 'v' }));
    await c.del('/v1/var/ev/a');
  });
  t.equal(events.length, 3);
  t.same(events.map((e) => [e.Topic, e.Type, e.Key, e.Namespace, e.Payload.Deleted]), [
    ['Variable', 'VariableUpdated', 'ev/a', 'default', false],
    ['Variable', 'VariableUpdated', 'ev/b', 'default', false],
    ['Variable', 'VariableUpdated', 'ev/a', 'default', true],
  ]);
  t.same(events[0]!.Payload.Metadata, { Namespace: 'default', Path: 'ev/a', CreateIndex: written.CreateIndex, CreateTime: written.CreateTime, ModifyIndex: written.ModifyIndex, ModifyTime: written.ModifyTime }, 'metadata, never items');
  t.equal(events[0]!.Index, written.ModifyIndex);

  const keyed = await streamEvents(c, 'topic=Variable:ev/b&index=1', 1, async () => undefined);
  t.same(keyed.map((e) => e.Key), ['ev/b'], 'a key filter selects one path');
  const jobsOnly = await streamEvents(c, 'topic=Job&index=1', 1, async () => undefined, 300);
  t.same(jobsOnly, [], 'other topics do not carry them');
});

t.test('variables and their locks survive snapshot and restore; reset clears them', async (t) => {
  const c = await manual();
  t.teardown(c.close);
  await c.put('/v1/namespace/prod', { Name: 'prod' });
  const a = await put(c, 'keep/a', items({ k: 'v' }), '?namespace=prod');
  const l = await put(c, 'keep/lock', { Lock: { TTL: '10s', LockDelay: '10s' } }, '?lock-acquire');
  const snap = await c.get('/_mock/snapshot');
  t.equal(snap.json.Parts.variables.Variables.length, 2);

  const reset = await c.post('/_mock/reset', {});
  t.equal(reset.status, 200);
  t.same((await c.get('/v1/vars?namespace=*')).json, [], 'reset empties the table');
  t.equal(index(await c.get('/v1/vars')), reset.json.Index, 'and the table index moves forward');

  const restored = await c.put('/_mock/restore', snap.json);
  t.equal(restored.status, 200, restored.body);
  const back = await c.get('/v1/var/keep/a?namespace=prod');
  t.same(back.json, a.json, 'the variable comes back as it was');
  const lock = await c.get('/v1/var/keep/lock');
  t.equal(lock.json.Lock.ID, l.json.Lock.ID, 'with its lock');
  t.equal((await put(c, 'keep/lock', { Lock: { ID: l.json.Lock.ID } }, '?lock-renew')).status, 200, 'whose lease was re-armed');
  await c.post('/_mock/clock/advance', { Duration: '31s' });
  t.equal((await c.get('/v1/var/keep/lock')).json.Lock, undefined, 'and runs out on the clock');

  const bad = structuredClone(snap.json);
  bad.Parts.variables.Variables[0].Items = { k: 1 };
  const refused = await c.put('/_mock/restore', bad);
  t.equal(refused.status, 400, 'a document with bad variables is refused');
  t.same((await c.get('/v1/var/keep/a?namespace=prod')).json.Items, { k: 'v' }, 'and changes nothing');
});

t.test('timers of a reset world never touch the new one', async (t) => {
  const c = await manual();
  t.teardown(c.close);
  await put(c, 'old', { Lock: { TTL: '10s', LockDelay: '10s' } }, '?lock-acquire');
  await c.post('/_mock/reset', {});
  const fresh = await put(c, 'old', items({ k: 'v' }));
  await c.post('/_mock/clock/advance', { Duration: '1m' });
  const after = await c.get('/v1/var/old');
  t.equal(after.json.ModifyIndex, fresh.json.ModifyIndex, 'no late expiry wrote to the new variable');
});

t.test('a namespace holding variables cannot be deleted', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.put('/v1/namespace/prod', { Name: 'prod' });
  await put(c, 'x', items({ k: 'v' }), '?namespace=prod');
  const r = await c.del('/v1/namespace/prod');
  t.equal(r.status, 500);
  t.equal(r.body, 'namespace "prod" contains at least one variable. All variables in namespace must be deleted before it can be deleted');
  await c.del('/v1/var/x?namespace=prod');
  t.equal((await c.del('/v1/namespace/prod')).status, 200);
});
