// ACL identities (issue 13): roles and tokens linked to them, auth methods, binding rules, one-time
// tokens, login/OIDC without a usable provider, their events, and their place in snapshots, resets,
// restores and the data dir. Texts from nomad/acl_endpoint.go, command/agent/acl_endpoint.go and
// nomad/structs/acl.go.
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client, index, minimalJob, type Client, type Res } from './helpers.js';
import { createServer } from '../src/server.js';

interface World {
  c: Client;
  mgmt: string;
  as(token: string | null, method: string, url: string, body?: unknown): Promise<Res>;
}

async function world(t: Test, config: Record<string, unknown> = {}): Promise<World> {
  const c = await client({ config: { acl: true, clock: 'manual', ...config } });
  t.teardown(c.close);
  const as = (token: string | null, method: string, url: string, body?: unknown): Promise<Res> => c.req(method, url, body, token === null ? {} : { 'X-Nomad-Token': token });
  const mgmt = (await c.post('/v1/acl/bootstrap')).json.SecretID as string;
  t.equal((await as(mgmt, 'PUT', '/v1/acl/policy/readonly', { Name: 'readonly', Rules: 'namespace "default" { policy = "read" }' })).status, 200);
  t.equal((await as(mgmt, 'PUT', '/v1/acl/policy/other', { Name: 'other', Rules: 'namespace "other" { policy = "read" }' })).status, 200);
  return { c, mgmt, as };
}

const UNKNOWN = '9f1b3f4c-0000-4000-8000-000000000000';

// ---------------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------------

t.test('a role is created, read by ID and name, listed, updated and deleted by a management token', async (t) => {
  const { mgmt, as } = await world(t);
  const created = await as(mgmt, 'POST', '/v1/acl/role', { Name: 'readers', Description: 'r', Policies: [{ Name: 'readonly' }, { Name: 'readonly' }] });
  t.equal(created.status, 200);
  const role = created.json;
  t.same(Object.keys(role), ['ID', 'Name', 'Description', 'Policies', 'Hash', 'CreateIndex', 'ModifyIndex']);
  t.match(role.ID, /^[0-9a-f-]{36}$/);
  t.same(role.Policies, [{ Name: 'readonly' }], 'duplicate policy links are dropped');
  t.equal(index(created), role.CreateIndex);
  t.equal(role.ModifyIndex, role.CreateIndex);

  const byId = await as(mgmt, 'GET', `/v1/acl/role/${role.ID}`);
  t.same(byId.json, role);
  t.equal(index(byId), role.ModifyIndex);
  t.same((await as(mgmt, 'GET', '/v1/acl/role/name/readers')).json, role);
  t.same((await as(mgmt, 'GET', '/v1/acl/roles')).json, [role]);
  t.same((await as(mgmt, 'GET', `/v1/acl/roles?prefix=${role.ID.slice(0, 4)}`)).json, [role]);
  t.same((await as(mgmt, 'GET', '/v1/acl/roles?prefix=zz')).json, []);

  const upd = await as(mgmt, 'POST', `/v1/acl/role/${role.ID}`, { ID: role.ID, Name: 'readers2', Policies: [{ Name: 'other' }] });
  t.equal(upd.status, 200);
  t.equal(upd.json.ID, role.ID);
  t.equal(upd.json.CreateIndex, role.CreateIndex);
  t.ok(upd.json.ModifyIndex > role.ModifyIndex);
  t.not(upd.json.Hash, role.Hash);
  const mismatch = await as(mgmt, 'POST', `/v1/acl/role/${role.ID}`, { Name: 'readers2', Policies: [{ Name: 'other' }] });
  t.same([mismatch.status, mismatch.body], [400, 'ACL role ID does not match request path']);

  const del = await as(mgmt, 'DELETE', `/v1/acl/role/${role.ID}`);
  t.equal(del.status, 200);
  t.equal(del.body, '');
  const gone = await as(mgmt, 'GET', `/v1/acl/role/${role.ID}`);
  t.same([gone.status, gone.body], [404, 'ACL role not found']);
  t.equal(index(gone), index(del), 'a missing role answers at the roles table index');
  t.same((await as(mgmt, 'GET', '/v1/acl/role/name/readers2')).status, 404);
  const again = await as(mgmt, 'DELETE', `/v1/acl/role/${role.ID}`);
  t.same([again.status, again.body], [500, 'ACL role not found'], 'the state store refuses to delete what is not there');
});

t.test("role validation, existence checks and path errors carry Nomad's texts and change nothing", async (t) => {
  const { c, mgmt, as } = await world(t);
  const before = c.mock.store.index;
  const bad = await as(mgmt, 'POST', '/v1/acl/role', { Name: 'bad name!', Description: 'd'.repeat(257), Policies: [] });
  t.equal(bad.status, 400);
  t.equal(bad.body, "role 0 invalid: 3 errors occurred:\n\t* invalid name 'bad name!'\n\t* description longer than 256\n\t* at least one policy should be specified\n\n");
  t.same([(await as(mgmt, 'POST', '/v1/acl/role', { Name: 'r', Policies: [{ Name: 'nope' }] })).body], ['cannot find policy nope']);
  t.same([(await as(mgmt, 'POST', '/v1/acl/role', { ID: UNKNOWN, Name: 'r', Policies: [{ Name: 'readonly' }] })).body], [`cannot find role ${UNKNOWN}`]);
  t.equal(c.mock.store.index, before, 'no write happened');
  await as(mgmt, 'POST', '/v1/acl/role', { Name: 'r', Policies: [{ Name: 'readonly' }] });
  const dup = await as(mgmt, 'POST', '/v1/acl/role', { Name: 'r', Policies: [{ Name: 'readonly' }] });
  t.same([dup.status, dup.body], [400, 'role with name r already exists']);
  const other = (await as(mgmt, 'POST', '/v1/acl/role', { Name: 's', Policies: [{ Name: 'readonly' }] })).json;
  const clash = await as(mgmt, 'POST', `/v1/acl/role/${other.ID}`, { ID: other.ID, Name: 'r', Policies: [{ Name: 'readonly' }] });
  t.same([clash.status, clash.body], [500, 'ACL role with name r already exists']);

  t.same([(await as(mgmt, 'GET', '/v1/acl/role/')).body], ['missing ACL role ID']);
  t.same([(await as(mgmt, 'GET', '/v1/acl/role/name/')).body], ['missing ACL role name']);
  t.same([(await as(mgmt, 'GET', '/v1/acl/role/foo/bar')).body], ['invalid URI']);
  t.same([(await as(mgmt, 'GET', '/v1/acl/role/name/a/b')).body], ['invalid URI']);
  t.same([(await as(mgmt, 'DELETE', '/v1/acl/role/name/r')).status], [405]);
  t.same([(await as(mgmt, 'GET', '/v1/acl/role')).status, (await as(mgmt, 'POST', '/v1/acl/roles')).status, (await as(mgmt, 'PATCH', `/v1/acl/role/${other.ID}`)).status], [405, 405, 405]);
  const badJson = await as(mgmt, 'POST', '/v1/acl/role', { Name: 'x', Policies: 'readonly' });
  t.same([badJson.status, badJson.body], [400, 'json: cannot unmarshal string into Go struct field ACLRole.Policies of type []*structs.ACLRolePolicyLink']);
});

t.test('role writes need a management token; reads need the role on the token; ACLs off answer 400', async (t) => {
  const { mgmt, as } = await world(t);
  const role = (await as(mgmt, 'POST', '/v1/acl/role', { Name: 'readers', Policies: [{ Name: 'readonly' }] })).json;
  const other = (await as(mgmt, 'POST', '/v1/acl/role', { Name: 'others', Policies: [{ Name: 'other' }] })).json;
  const tok = (await as(mgmt, 'POST', '/v1/acl/token', { Name: 't', Type: 'client', Roles: [{ Name: 'readers' }] })).json.SecretID as string;
  for (const [who, secret] of [['no token', null], ['a client token', tok], ['an unknown token', UNKNOWN]] as const) {
    t.same((await as(secret, 'POST', '/v1/acl/role', { Name: 'x', Policies: [{ Name: 'readonly' }] })).body, 'Permission denied', `create with ${who}`);
    t.same((await as(secret, 'DELETE', `/v1/acl/role/${role.ID}`)).status, 403, `delete with ${who}`);
  }
  t.same((await as(tok, 'GET', '/v1/acl/roles')).json.map((r: { Name: string }) => r.Name), ['readers'], 'a client token lists its own roles');
  t.equal((await as(tok, 'GET', `/v1/acl/role/${role.ID}`)).status, 200);
  t.equal((await as(tok, 'GET', '/v1/acl/role/name/readers')).status, 200);
  t.same([(await as(tok, 'GET', `/v1/acl/role/${other.ID}`)).status, (await as(tok, 'GET', '/v1/acl/role/name/others')).status], [403, 403]);
  t.same((await as(null, 'GET', '/v1/acl/roles')).json, [], 'no token: no roles');
  t.equal((await as(null, 'GET', `/v1/acl/role/${role.ID}`)).status, 403);
  t.equal((await as(UNKNOWN, 'GET', '/v1/acl/roles')).status, 403);

  const off = await client();
  t.teardown(off.close);
  for (const [m, u] of [['GET', '/v1/acl/roles'], ['POST', '/v1/acl/role'], ['GET', '/v1/acl/auth-methods'], ['GET', '/v1/acl/binding-rules'], ['POST', '/v1/acl/token/onetime'], ['POST', '/v1/acl/login']] as const) {
    const body = m === 'POST' && u !== '/v1/acl/token/onetime' ? { Name: 'x' } : undefined;
    const r = await off.req(m, u, body);
    t.same([r.status, r.body], [400, 'ACL support disabled'], `${m} ${u} with ACLs off`);
  }
});

t.test('tokens link roles by name or ID; their policies grant access; renames and deletes show on read', async (t) => {
  const { c, mgmt, as } = await world(t);
  t.equal((await c.req('PUT', '/v1/jobs', { Job: minimalJob('web') }, { 'X-Nomad-Token': mgmt })).status, 200);
  const role = (await as(mgmt, 'POST', '/v1/acl/role', { Name: 'readers', Policies: [{ Name: 'readonly' }] })).json;
  const made = await as(mgmt, 'POST', '/v1/acl/token', { Name: 't', Type: 'client', Roles: [{ Name: 'readers' }, { ID: role.ID }] });
  t.equal(made.status, 200);
  t.same(made.json.Roles, [{ ID: role.ID, Name: 'readers' }], 'one link, resolved to the role');
  t.equal(made.json.Policies, null);
  const tok = made.json.SecretID as string;
  t.equal((await as(tok, 'GET', '/v1/job/web')).status, 200, 'read-job through the role');
  t.equal((await as(tok, 'PUT', '/v1/jobs', { Job: minimalJob('x') })).status, 403, 'and no more');
  t.same((await as(tok, 'GET', '/v1/acl/policies')).json.map((p: { Name: string }) => p.Name), ['readonly'], 'policies listed through the role');
  t.equal((await as(tok, 'GET', '/v1/acl/policy/readonly')).status, 200);
  t.equal((await as(tok, 'GET', '/v1/acl/policy/other')).status, 403);

  const missing = await as(mgmt, 'POST', '/v1/acl/token', { Name: 't', Type: 'client', Roles: [{ Name: 'nope' }] });
  t.same([missing.status, missing.body], [400, 'cannot find role nope']);
  const noneAtAll = await as(mgmt, 'POST', '/v1/acl/token', { Name: 't', Type: 'client' });
  t.match(noneAtAll.body, 'client token missing policies or roles');

  await as(mgmt, 'POST', `/v1/acl/role/${role.ID}`, { ID: role.ID, Name: 'renamed', Policies: [{ Name: 'readonly' }] });
  t.same((await as(tok, 'GET', '/v1/acl/token/self')).json.Roles, [{ ID: role.ID, Name: 'renamed' }], 'the link carries the current name');
  const listed = (await as(mgmt, 'GET', '/v1/acl/tokens')).json.find((x: { Name: string; Roles: unknown }) => x.Name === 't');
  t.same(listed.Roles, [{ ID: role.ID, Name: 'renamed' }], 'in the token list too');
  await as(mgmt, 'DELETE', `/v1/acl/role/${role.ID}`);
  t.same((await as(tok, 'GET', '/v1/acl/token/self')).json.Roles, [], 'a deleted role drops out of the token');
  t.equal((await as(tok, 'GET', '/v1/job/web')).status, 403, 'and grants nothing');
});

// ---------------------------------------------------------------------------------------------
// Auth methods and binding rules
// ---------------------------------------------------------------------------------------------

const OIDC = { Name: 'corp', Type: 'OIDC', TokenLocality: 'local', MaxTokenTTL: '1h', Config: { OIDCDiscoveryURL: 'https://idp', OIDCClientID: 'id', OIDCClientSecret: 'client-s3cret', OIDCScopes: ['groups'], ClaimMappings: { sub: 'user' } } };

t.test('auth methods: create, merge on update, default, list for anyone, read for management, delete', async (t) => {
  const { mgmt, as } = await world(t);
  const made = await as(mgmt, 'POST', '/v1/acl/auth-method', OIDC);
  t.equal(made.status, 200);
  const m = made.json;
  t.same(Object.keys(m), ['MaxTokenTTL', 'Name', 'Type', 'TokenLocality', 'TokenNameFormat', 'Default', 'Config', 'Hash', 'CreateTime', 'ModifyTime', 'CreateIndex', 'ModifyIndex']);
  t.equal(m.MaxTokenTTL, '1h0m0s');
  t.equal(m.Config.OIDCClientSecret, 'client-s3cret');
  t.same(m.Config.OIDCScopes, ['groups']);
  t.equal(m.Config.BoundAudiences, null);
  t.equal(m.Config.ExpirationLeeway, '');
  t.equal(index(made), m.CreateIndex);

  const list = await as(null, 'GET', '/v1/acl/auth-methods');
  t.equal(list.status, 200, 'anyone lists auth methods (the login page)');
  t.same(list.json, [{ Name: 'corp', Type: 'OIDC', Default: false, Hash: m.Hash, CreateIndex: m.CreateIndex, ModifyIndex: m.ModifyIndex }]);
  t.equal((await as(UNKNOWN, 'GET', '/v1/acl/auth-methods')).status, 200, 'even with an unknown token: ListAuthMethods authenticates nobody');
  t.same((await as(mgmt, 'GET', '/v1/acl/auth-method/corp')).json, m);
  t.equal((await as(null, 'GET', '/v1/acl/auth-method/corp')).status, 403, 'reading one needs management');

  const upd = await as(mgmt, 'POST', '/v1/acl/auth-method/corp', { Name: 'corp', Default: true });
  t.equal(upd.status, 200);
  t.same([upd.json.Type, upd.json.TokenLocality, upd.json.MaxTokenTTL, upd.json.Config.OIDCClientID, upd.json.Default], ['OIDC', 'local', '1h0m0s', 'id', true], 'empty fields keep the stored values');
  t.equal(upd.json.CreateIndex, m.CreateIndex);
  const second = await as(mgmt, 'POST', '/v1/acl/auth-method', { ...OIDC, Name: 'other', Default: true });
  t.same([second.status, second.body], [400, 'default method already exists: corp']);
  const mismatch = await as(mgmt, 'POST', '/v1/acl/auth-method/corp', { Name: 'x' });
  t.same([mismatch.status, mismatch.body], [400, 'ACL auth-method name does not match request path']);

  t.equal((await as(mgmt, 'DELETE', '/v1/acl/auth-method/corp')).status, 200);
  t.same([(await as(mgmt, 'GET', '/v1/acl/auth-method/corp')).status, (await as(mgmt, 'GET', '/v1/acl/auth-method/corp')).body], [404, 'ACL auth-method not found']);
  t.same([(await as(mgmt, 'DELETE', '/v1/acl/auth-method/corp')).body], ['ACL auth method not found']);
  t.same([(await as(mgmt, 'GET', '/v1/acl/auth-method/')).body], ['missing ACL auth-method name']);
});

t.test("auth method validation carries Nomad's texts", async (t) => {
  const { c, mgmt, as } = await world(t);
  const before = c.mock.store.index;
  const bad = await as(mgmt, 'POST', '/v1/acl/auth-method', { Name: 'bad name!', Type: 'LDAP', TokenLocality: 'region', MaxTokenTTL: '1s' });
  t.equal(bad.status, 400);
  t.equal(
    bad.body,
    "auth method 0 invalid: 4 errors occurred:\n\t* invalid name 'bad name!'\n\t* invalid token locality 'region'\n\t* invalid token type 'LDAP'\n\t* invalid MaxTokenTTL value '1s' (should be between 1m0s and 24h0m0s)\n\n",
  );
  t.same([(await as(mgmt, 'POST', '/v1/acl/auth-method', { ...OIDC, MaxTokenTTL: 'soon' })).body], ['time: invalid duration "soon"']);
  t.same([(await as(mgmt, 'POST', '/v1/acl/auth-method', { ...OIDC, Config: { ExpirationLeeway: true } })).body], ['unexpected ExpirationLeeway type: true']);
  t.same(
    [(await as(mgmt, 'POST', '/v1/acl/auth-method', { ...OIDC, Config: { NotBeforeLeeway: { b: [1, 2e6], a: null } } })).body],
    ['unexpected NotBeforeLeeway type: map[a:<nil> b:[1 2e+06]]'],
    'Go prints the decoded value with %v, never a JavaScript rendering',
  );
  t.same([(await as(mgmt, 'POST', '/v1/acl/auth-method', { ...OIDC, Config: { OIDCScopes: 'groups' } })).body], ['json: cannot unmarshal string into Go struct field ACLAuthMethodConfig.OIDCScopes of type []string']);
  t.same([(await as(mgmt, 'POST', '/v1/acl/auth-method', { ...OIDC })).status], [200], 'a good one still goes in');
  t.equal(c.mock.store.index, before + 1, 'only the good one wrote');
});

t.test('binding rules: need their auth method, validate, merge on update, management only', async (t) => {
  const { mgmt, as } = await world(t);
  await as(mgmt, 'POST', '/v1/acl/auth-method', OIDC);
  const noMethod = await as(mgmt, 'POST', '/v1/acl/binding-rule', { AuthMethod: 'nope', BindType: 'management' });
  t.same([noMethod.status, noMethod.body], [400, 'ACL auth method nope not found']);
  const bad = await as(mgmt, 'POST', '/v1/acl/binding-rule', { BindType: 'role', Selector: '(((' });
  t.equal(bad.status, 400);
  t.match(bad.body, /^binding rule 0 invalid: 3 errors occurred:\n\t\* auth method is missing\n\t\* bind name is missing\n\t\* selector is invalid: /);
  t.same([(await as(mgmt, 'POST', '/v1/acl/binding-rule', { AuthMethod: 'corp', BindType: 'management', BindName: 'x' })).body], ['binding rule 0 invalid: 1 error occurred:\n\t* bind name should be empty\n\n']);
  t.same([(await as(mgmt, 'POST', '/v1/acl/binding-rule', { AuthMethod: 'corp', BindType: 'team' })).body], ['binding rule 0 invalid: 1 error occurred:\n\t* unsupported bind type: "team"\n\n']);

  const made = await as(mgmt, 'POST', '/v1/acl/binding-rule', { AuthMethod: 'corp', BindType: 'role', BindName: 'eng', Selector: '"eng" in list.groups', Description: 'd' });
  t.equal(made.status, 200);
  const rule = made.json;
  t.same(Object.keys(rule), ['ID', 'Description', 'AuthMethod', 'Selector', 'BindType', 'BindName', 'Hash', 'CreateTime', 'ModifyTime', 'CreateIndex', 'ModifyIndex']);
  t.same((await as(mgmt, 'GET', '/v1/acl/binding-rules')).json, [{ ID: rule.ID, Description: 'd', AuthMethod: 'corp', Hash: rule.Hash, CreateIndex: rule.CreateIndex, ModifyIndex: rule.ModifyIndex }]);
  t.same((await as(mgmt, 'GET', `/v1/acl/binding-rule/${rule.ID}`)).json, rule);
  for (const who of [null, UNKNOWN]) {
    t.equal((await as(who, 'GET', '/v1/acl/binding-rules')).status, 403);
    t.equal((await as(who, 'GET', `/v1/acl/binding-rule/${rule.ID}`)).status, 403);
  }

  const upd = await as(mgmt, 'POST', `/v1/acl/binding-rule/${rule.ID}`, { Description: 'new' });
  t.equal(upd.status, 200, 'the path supplies the ID');
  t.same([upd.json.BindType, upd.json.BindName, upd.json.AuthMethod, upd.json.Description, upd.json.Selector], ['role', 'eng', 'corp', 'new', ''], 'empty bind fields and auth method keep the stored ones');
  const move = await as(mgmt, 'POST', `/v1/acl/binding-rule/${rule.ID}`, { AuthMethod: 'other' });
  t.same([move.status, move.body], [400, 'cannot update auth method for binding rule, create a new rule instead']);
  t.same([(await as(mgmt, 'POST', `/v1/acl/binding-rule/${rule.ID}`, { ID: UNKNOWN })).body], ['ACL binding rule ID does not match request path']);
  t.same([(await as(mgmt, 'POST', '/v1/acl/binding-rule', { ID: UNKNOWN, AuthMethod: 'corp', BindType: 'management' })).body], [`cannot find binding rule ${UNKNOWN}`]);

  t.equal((await as(mgmt, 'DELETE', `/v1/acl/binding-rule/${rule.ID}`)).status, 200);
  t.same([(await as(mgmt, 'GET', `/v1/acl/binding-rule/${rule.ID}`)).body], ['ACL binding rule not found']);
  t.same([(await as(mgmt, 'DELETE', `/v1/acl/binding-rule/${rule.ID}`)).body], ['ACL binding rule not found']);
  t.same([(await as(mgmt, 'GET', '/v1/acl/binding-rule/')).body], ['missing ACL binding rule ID']);
});

t.test('login and OIDC answer as Nomad does when the auth method is missing or cannot be used', async (t) => {
  const { mgmt, as } = await world(t);
  await as(mgmt, 'POST', '/v1/acl/auth-method', OIDC);
  await as(mgmt, 'POST', '/v1/acl/auth-method', { Name: 'jwt', Type: 'JWT', TokenLocality: 'global', MaxTokenTTL: '10m', Config: { JWTValidationPubKeys: ['k'] } });

  const empty = await as(null, 'POST', '/v1/acl/login', {});
  t.same([empty.status, empty.body], [400, 'invalid login request: 2 errors occurred:\n\t* missing auth method name\n\t* missing login token\n\n']);
  t.same([(await as(null, 'POST', '/v1/acl/login', { AuthMethodName: 'nope', LoginToken: 'a.b.c' })).body], ['auth-method "nope" not found']);
  const oidcLogin = await as(null, 'POST', '/v1/acl/login', { AuthMethodName: 'corp', LoginToken: 'a.b.c' });
  t.same([oidcLogin.status, oidcLogin.body], [400, 'unsupported auth-method type: OIDC']);
  const jwt = await as(null, 'POST', '/v1/acl/login', { AuthMethodName: 'jwt', LoginToken: 'a.b.c' });
  t.equal(jwt.status, 401);
  t.match(jwt.body, /^unable to validate provided token: /);

  const url = await as(null, 'POST', '/v1/acl/oidc/auth-url', { AuthMethodName: 'corp' });
  t.same([url.status, url.body], [400, 'invalid OIDC auth-url request: 2 errors occurred:\n\t* missing client nonce\n\t* missing redirect URI\n\n']);
  t.same([(await as(null, 'POST', '/v1/acl/oidc/auth-url', { AuthMethodName: 'nope', ClientNonce: 'n', RedirectURI: 'http://x/cb' })).body], ['auth-method "nope" not found']);
  const provider = await as(null, 'PUT', '/v1/acl/oidc/auth-url', { AuthMethodName: 'corp', ClientNonce: 'n', RedirectURI: 'http://x/cb' });
  t.equal(provider.status, 500);
  t.match(provider.body, /^failed to generate OIDC provider: /);
  const complete = await as(null, 'POST', '/v1/acl/oidc/complete-auth', { AuthMethodName: 'corp' });
  t.same([complete.status, complete.body], [400, 'invalid OIDC complete-auth request: 4 errors occurred:\n\t* missing client nonce\n\t* missing state\n\t* missing code\n\t* missing redirect URI\n\n']);
  t.same([(await as(null, 'POST', '/v1/acl/oidc/complete-auth', { AuthMethodName: 'nope', ClientNonce: 'n', State: 's', Code: 'c', RedirectURI: 'r' })).body], ['auth-method "nope" not found']);
  t.same([(await as(null, 'GET', '/v1/acl/login')).status, (await as(null, 'GET', '/v1/acl/oidc/auth-url')).status, (await as(null, 'GET', '/v1/acl/oidc/complete-auth')).status], [405, 405, 405]);
  t.same([(await as(null, 'POST', '/v1/acl/login', 'x')).status], [400], 'bad JSON');
});

// ---------------------------------------------------------------------------------------------
// One-time tokens
// ---------------------------------------------------------------------------------------------

t.test('one-time tokens: created for the caller, exchanged once for its token, expiring after 10 minutes', async (t) => {
  const { c, mgmt, as } = await world(t);
  const tok = (await as(mgmt, 'POST', '/v1/acl/token', { Name: 'ui', Type: 'client', Policies: ['readonly'] })).json;
  const made = await as(tok.SecretID, 'POST', '/v1/acl/token/onetime');
  t.equal(made.status, 200);
  t.same(Object.keys(made.json), ['OneTimeToken', 'Index']);
  const ott = made.json.OneTimeToken;
  t.same(Object.keys(ott), ['OneTimeSecretID', 'AccessorID', 'ExpiresAt', 'CreateIndex', 'ModifyIndex']);
  t.equal(ott.AccessorID, tok.AccessorID);
  t.equal(Date.parse(ott.ExpiresAt) - c.mock.clock.nowMs(), 10 * 60_000, 'ten minutes of simulated time');
  t.equal(index(made), made.json.Index);

  const ex = await as(null, 'POST', '/v1/acl/token/onetime/exchange', { OneTimeSecretID: ott.OneTimeSecretID });
  t.equal(ex.status, 200);
  t.same(Object.keys(ex.json), ['Token', 'Index']);
  t.equal(ex.json.Token.SecretID, tok.SecretID);
  t.equal(ex.json.Token.AccessorID, tok.AccessorID);
  const twice = await as(null, 'POST', '/v1/acl/token/onetime/exchange', { OneTimeSecretID: ott.OneTimeSecretID });
  t.same([twice.status, twice.body], [403, 'Permission denied'], 'spent');

  const late = (await as(tok.SecretID, 'PUT', '/v1/acl/token/onetime')).json.OneTimeToken;
  await c.advance(10 * 60_000 + 1);
  t.equal((await as(null, 'POST', '/v1/acl/token/onetime/exchange', { OneTimeSecretID: late.OneTimeSecretID })).status, 403, 'expired');

  const orphan = (await as(tok.SecretID, 'POST', '/v1/acl/token/onetime')).json.OneTimeToken;
  await as(mgmt, 'DELETE', `/v1/acl/token/${tok.AccessorID}`);
  t.equal((await as(null, 'POST', '/v1/acl/token/onetime/exchange', { OneTimeSecretID: orphan.OneTimeSecretID })).status, 403, 'its token was deleted');

  t.same([(await as(null, 'POST', '/v1/acl/token/onetime')).status, (await as(UNKNOWN, 'POST', '/v1/acl/token/onetime')).status], [403, 403], 'no token or an unknown one: refused');
  t.equal((await as(mgmt, 'GET', '/v1/acl/token/onetime')).status, 405, 'not read as a token accessor');
  t.equal((await as(mgmt, 'GET', '/v1/acl/token/onetime/exchange')).status, 405);
  t.same([(await as(null, 'POST', '/v1/acl/token/onetime/exchange', { OneTimeSecretID: UNKNOWN })).status], [403]);
  t.same([(await as(null, 'POST', '/v1/acl/token/onetime/exchange')).status], [400], 'no body');
});

// ---------------------------------------------------------------------------------------------
// Events, snapshots, reset, persistence
// ---------------------------------------------------------------------------------------------

/** Reads the event stream until `until` shows up in it, then hangs up. */
function readStream(port: number, path: string, token: string, until: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const req = http.get({ host: '127.0.0.1', port, path, headers: { 'X-Nomad-Token': token }, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        if (text.includes(until)) req.destroy();
      });
      res.on('close', () => resolve(text));
    });
    req.on('error', () => resolve(text));
    setTimeout(() => {
      req.destroy();
      reject(new Error(`no ${until} in ${text.slice(0, 500)}`));
    }, 5000);
  });
}

t.test('ACL writes publish ACLToken, ACLPolicy, ACLRole, ACLAuthMethod and ACLBindingRule events', async (t) => {
  const { c, mgmt, as } = await world(t);
  const role = (await as(mgmt, 'POST', '/v1/acl/role', { Name: 'readers', Policies: [{ Name: 'readonly' }] })).json;
  await as(mgmt, 'DELETE', `/v1/acl/role/${role.ID}`);
  await as(mgmt, 'POST', '/v1/acl/auth-method', OIDC);
  const rule = (await as(mgmt, 'POST', '/v1/acl/binding-rule', { AuthMethod: 'corp', BindType: 'management' })).json;
  await as(mgmt, 'DELETE', `/v1/acl/binding-rule/${rule.ID}`);
  await as(mgmt, 'DELETE', '/v1/acl/auth-method/corp');
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const text = await readStream(port, '/v1/event/stream?topic=ACLRole&topic=ACLAuthMethod&topic=ACLBindingRule&index=1', mgmt, 'ACLAuthMethodDeleted');
  const events = text
    .split('\n')
    .filter((l) => l.startsWith('{"Index"'))
    .flatMap((l) => (JSON.parse(l) as { Events: { Topic: string; Type: string; Key: string; FilterKeys: string[] | null; Payload: Record<string, { ID?: string }> }[] }).Events);
  t.same(
    events.map((e) => [e.Topic, e.Type, e.Key]),
    [
      ['ACLRole', 'ACLRoleUpserted', role.ID],
      ['ACLRole', 'ACLRoleDeleted', role.ID],
      ['ACLAuthMethod', 'ACLAuthMethodUpserted', 'corp'],
      ['ACLBindingRule', 'ACLBindingRuleUpserted', rule.ID],
      ['ACLBindingRule', 'ACLBindingRuleDeleted', rule.ID],
      ['ACLAuthMethod', 'ACLAuthMethodDeleted', 'corp'],
    ],
  );
  t.same(events[0]!.FilterKeys, ['readers']);
  t.equal(events[0]!.Payload.ACLRole!.ID, role.ID);
  t.equal(events[3]!.Payload.ACLBindingRule!.ID, rule.ID);
  const made = (await as(mgmt, 'POST', '/v1/acl/token', { Name: 'ro', Type: 'client', Policies: ['readonly'] })).json;
  const tok = made.SecretID as string;
  await as(mgmt, 'DELETE', '/v1/acl/policy/other');
  const tokenText = await readStream(port, '/v1/event/stream?topic=ACLToken&topic=ACLPolicy&index=1', mgmt, 'ACLPolicyDeleted');
  t.notMatch(tokenText, mgmt, 'token events never carry a secret');
  t.notMatch(tokenText, tok);
  const aclEvents = tokenText
    .split('\n')
    .filter((l) => l.startsWith('{"Index"'))
    .flatMap((l) => (JSON.parse(l) as { Events: { Topic: string; Type: string; Key: string; Payload: { ACLToken?: { SecretID: string } } }[] }).Events);
  t.same(
    aclEvents.map((e) => [e.Topic, e.Type, e.Key]).filter(([, , k]) => k === made.AccessorID || k === 'other'),
    [
      ['ACLPolicy', 'ACLPolicyUpserted', 'other'],
      ['ACLToken', 'ACLTokenUpserted', made.AccessorID],
      ['ACLPolicy', 'ACLPolicyDeleted', 'other'],
    ],
  );
  t.ok(aclEvents.filter((e) => e.Topic === 'ACLToken').every((e) => e.Payload.ACLToken!.SecretID === ''), 'SecretID blanked as structs.NewACLTokenEvent does');
  const refused = await fetch(`http://127.0.0.1:${port}/v1/event/stream?topic=ACLRole`, { headers: { 'X-Nomad-Token': tok } });
  t.equal(refused.status, 403, 'ACL topics need a management token');
  await refused.text();
});

t.test('identities ride along in snapshots: secrets left out unless asked, reset removes them, restore brings them back', async (t) => {
  const { c, mgmt, as } = await world(t);
  const role = (await as(mgmt, 'POST', '/v1/acl/role', { Name: 'readers', Policies: [{ Name: 'readonly' }] })).json;
  await as(mgmt, 'POST', '/v1/acl/auth-method', OIDC);
  const rule = (await as(mgmt, 'POST', '/v1/acl/binding-rule', { AuthMethod: 'corp', BindType: 'role', BindName: 'readers' })).json;
  const ott = (await as(mgmt, 'POST', '/v1/acl/token/onetime')).json.OneTimeToken;

  const plain = await c.get('/_mock/snapshot');
  t.notMatch(plain.body, 'client-s3cret', 'no OIDC client secret');
  t.notMatch(plain.body, ott.OneTimeSecretID, 'no one-time secret');
  const part = plain.json.Parts['acl-identities'];
  t.same([part.Roles.length, part.AuthMethods.length, part.BindingRules.length, part.OneTimeTokens.length], [1, 1, 1, 1]);
  const full = await c.get('/_mock/snapshot?secrets=true');
  t.match(full.body, 'client-s3cret');
  t.match(full.body, ott.OneTimeSecretID);

  t.equal((await c.post('/_mock/reset')).status, 200);
  const boot = (await c.post('/v1/acl/bootstrap')).json.SecretID as string;
  t.same((await as(boot, 'GET', '/v1/acl/roles')).json, [], 'reset: no roles');
  t.same((await as(boot, 'GET', '/v1/acl/auth-methods')).json, []);
  t.same((await as(boot, 'GET', '/v1/acl/binding-rules')).json, []);

  t.equal((await c.put('/_mock/restore', full.body)).status, 200);
  t.same((await as(mgmt, 'GET', `/v1/acl/role/${role.ID}`)).json.Name, 'readers', 'restore: the role is back');
  t.equal((await as(mgmt, 'GET', '/v1/acl/auth-method/corp')).json.Config.OIDCClientSecret, 'client-s3cret');
  t.equal((await as(mgmt, 'GET', `/v1/acl/binding-rule/${rule.ID}`)).status, 200);
  t.equal((await as(null, 'POST', '/v1/acl/token/onetime/exchange', { OneTimeSecretID: ott.OneTimeSecretID })).status, 200, 'the one-time token works again');

  t.equal((await c.put('/_mock/restore', plain.body)).status, 200);
  t.equal((await as(mgmt, 'GET', '/v1/acl/auth-method/corp')).json.Config.OIDCClientSecret, '', 'restored without secrets: the client secret is empty');
  t.same((c.mock.control.snapshot().Parts['acl-identities'] as { OneTimeTokens: unknown[] }).OneTimeTokens, [], 'and one-time tokens without their secret are dropped');
});

t.test('identities survive a restart with a data dir', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-ident-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const start = async () => {
    const m = createServer({ logLevel: 'silent', acl: true, dataDir: dir }, undefined, { simulate: false });
    await m.init();
    return m;
  };
  const first = await start();
  const req = (m: typeof first, method: string, url: string, token: string, body?: unknown) =>
    m.app.inject({ method: method as 'GET', url, headers: { 'X-Nomad-Token': token }, payload: body === undefined ? undefined : JSON.stringify(body) });
  const mgmt = JSON.parse((await first.app.inject({ method: 'POST', url: '/v1/acl/bootstrap' })).body).SecretID as string;
  await req(first, 'PUT', '/v1/acl/policy/readonly', mgmt, { Name: 'readonly', Rules: 'namespace "default" { policy = "read" }' });
  const role = JSON.parse((await req(first, 'POST', '/v1/acl/role', mgmt, { Name: 'readers', Policies: [{ Name: 'readonly' }] })).body);
  await req(first, 'POST', '/v1/acl/auth-method', mgmt, OIDC);
  await first.app.close();
  const second = await start();
  t.teardown(() => second.app.close());
  t.equal(JSON.parse((await req(second, 'GET', `/v1/acl/role/${role.ID}`, mgmt)).body).Name, 'readers');
  t.equal(JSON.parse((await req(second, 'GET', '/v1/acl/auth-method/corp', mgmt)).body).Config.OIDCClientSecret, 'client-s3cret');
  const made = await req(second, 'POST', '/v1/acl/role', mgmt, { Name: 'more', Policies: [{ Name: 'readonly' }] });
  t.ok(JSON.parse(made.body).CreateIndex > role.CreateIndex, 'new writes carry on after the saved index');
});

t.test('a list blocks until a role write and answers with it', async (t) => {
  const { mgmt, as } = await world(t);
  const first = await as(mgmt, 'GET', '/v1/acl/roles');
  const idx = index(first);
  const held = as(mgmt, 'GET', `/v1/acl/roles?index=${idx}&wait=5s`);
  await new Promise((r) => setTimeout(r, 50));
  const made = await as(mgmt, 'POST', '/v1/acl/role', { Name: 'late', Policies: [{ Name: 'readonly' }] });
  const res = await held;
  t.equal(index(res), index(made));
  t.same(res.json.map((r: { Name: string }) => r.Name), ['late']);
});
