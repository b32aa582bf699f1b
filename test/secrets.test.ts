// No secrets handed out (issue 12): the journal stores no token, snapshots leave secrets out unless
// asked, the control token guards every /_mock/ path (health aside), `--control false` hides the
// prefix, the server warns when its open control API is reachable from the network, and
// /v1/namespaces shows a token only the namespaces it may use.
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { client, minimalJob, type Client, type Res } from './helpers.js';
import { ConfigError, loadConfig, type Config } from '../src/config.js';
import { createServer } from '../src/server.js';
import { exposureWarning } from '../src/control/access.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function aclServer(t: Test, config: Record<string, unknown> = {}): Promise<{ c: Client; mgmt: string; as: (token: string | null, method: string, url: string, body?: unknown) => Promise<Res> }> {
  const c = await client({ config: { acl: true, ...config } });
  t.teardown(c.close);
  const boot = await c.post('/v1/acl/bootstrap');
  t.equal(boot.status, 200);
  const as = (token: string | null, method: string, url: string, body?: unknown): Promise<Res> => c.req(method, url, body, token === null ? {} : { 'X-Nomad-Token': token });
  return { c, mgmt: boot.json.SecretID as string, as };
}

// ---------------------------------------------------------------------------------------------
// The request journal
// ---------------------------------------------------------------------------------------------

t.test('the journal stores token headers redacted: X-Nomad-Token, Authorization (scheme kept), the control token', async (t) => {
  const { c, mgmt } = await aclServer(t);
  await c.req('GET', '/v1/jobs', undefined, { 'X-Nomad-Token': mgmt });
  await c.req('GET', '/v1/jobs', undefined, { Authorization: `Bearer ${mgmt}` });
  await c.req('GET', '/v1/jobs', undefined, { Authorization: 'Basic dXNlcjpwYXNz', Cookie: 'session=abc', 'X-Nomad-Mock-Token': 'ctl' });
  const res = await c.get('/_mock/requests?path=/v1/jobs');
  t.equal(res.status, 200);
  t.notMatch(res.body, mgmt, 'the secret appears nowhere in the journal');
  t.notMatch(res.body, 'dXNlcjpwYXNz');
  t.notMatch(res.body, 'session=abc');
  const [a, b, d] = res.json;
  t.equal(a.Headers['x-nomad-token'], '[redacted]');
  t.equal(b.Headers.authorization, 'Bearer [redacted]');
  t.equal(d.Headers.authorization, 'Basic [redacted]');
  t.equal(d.Headers.cookie, '[redacted]');
  t.equal(d.Headers['x-nomad-mock-token'], '[redacted]');
  t.equal(a.Headers['user-agent'] ?? a.Headers.host, b.Headers['user-agent'] ?? b.Headers.host, 'other headers are kept');
  // The in-process journal is the same store.
  t.notMatch(JSON.stringify(c.mock.control.journal.list()), mgmt);
});

t.test('the journal redacts secrets in request bodies (bootstrap secret, a register body token, Vault token) and keeps ?token= as Nomad ignores it', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const secret = '2b778dd9-f5f1-6f29-b4b4-9a5fa948757a';
  t.equal((await c.post('/v1/acl/bootstrap', { BootstrapSecret: secret })).status, 200);
  const job = minimalJob('web', { VaultToken: 'hvs.vault-secret' });
  await c.req('PUT', '/v1/jobs?token=query-visible', { Job: job, SecretID: secret }, {});
  const res = await c.get('/_mock/requests');
  t.notMatch(res.body, secret, 'neither the bootstrap secret nor the register body token is stored');
  t.notMatch(res.body, 'hvs.vault-secret');
  const [boot, reg] = res.json;
  t.same(JSON.parse(boot.Body), { BootstrapSecret: '[redacted]' });
  t.equal(boot.BodySize, JSON.stringify({ BootstrapSecret: secret }).length, 'BodySize is the size that was sent');
  t.equal(boot.BodyTruncated, false, 'a redacted body is not reported as truncated');
  t.equal(JSON.parse(reg.Body).SecretID, '[redacted]');
  t.equal(JSON.parse(reg.Body).Job.ID, 'web', 'the rest of the body is kept');
  t.equal(reg.Query.token, 'query-visible', 'Nomad never reads a token from the query (command/agent/http.go parseToken), so it is kept as sent');
});

t.test('a body cut at the journal limit never keeps the start of a secret', async (t) => {
  const c = await client();
  t.teardown(c.close);
  c.mock.control.journal.limits.maxBodyBytes = 40;
  await c.req('PUT', '/v1/acl/token', '{"Name":"x","SecretID":"0123456789abcdef0123456789"}');
  const [e] = (await c.get('/_mock/requests')).json;
  t.equal(e.BodyTruncated, true);
  t.notMatch(e.Body, '0123456789', 'the unterminated value is redacted');
  t.match(e.Body, '"SecretID":"[redacted]"');
});

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

t.test('GET /_mock/snapshot leaves out token secrets; ?secrets=true includes them; anything else is a 400', async (t) => {
  const { c, mgmt, as } = await aclServer(t);
  const ro = await as(mgmt, 'PUT', '/v1/acl/token', { Name: 'ci', Type: 'management' });
  const plain = await c.get('/_mock/snapshot');
  t.equal(plain.status, 200);
  t.notMatch(plain.body, mgmt);
  t.notMatch(plain.body, ro.json.SecretID);
  const tokens = plain.json.Parts.acl.Tokens as { View: Record<string, unknown> }[];
  t.equal(tokens.length, 2, 'the tokens are there');
  t.ok(tokens.every((x) => !('SecretID' in x.View) && typeof x.View.AccessorID === 'string'), 'without SecretID');
  for (const q of ['false', '0', '']) t.notMatch((await c.get(`/_mock/snapshot?secrets=${q}`)).body, mgmt, `secrets=${q}`);
  for (const q of ['true', '1']) t.match((await c.get(`/_mock/snapshot?secrets=${q}`)).body, mgmt, `secrets=${q}`);
  const bad = await c.get('/_mock/snapshot?secrets=yes');
  t.equal(bad.status, 400);
  t.same(bad.json, { Error: 'secrets must be true or false' });
  t.match(JSON.stringify(c.mock.control.snapshot()), mgmt, 'the in-process handle keeps everything by default');
  t.notMatch(JSON.stringify(c.mock.control.snapshot({ secrets: false })), mgmt, 'and leaves secrets out when told');
});

t.test('restoring a snapshot without secrets: tokens this server has keep their secret, others get a new one', async (t) => {
  const a = await aclServer(t);
  const ci = await a.as(a.mgmt, 'PUT', '/v1/acl/token', { Name: 'ci', Type: 'management' });
  const snap = (await a.c.get('/_mock/snapshot')).body;
  t.equal((await a.as(a.mgmt, 'DELETE', `/v1/acl/token/${ci.json.AccessorID}`)).status, 200);

  // Into the same server: the bootstrap token still works with its secret; the deleted one comes back with a new secret.
  t.equal((await a.c.put('/_mock/restore', snap)).status, 200);
  t.equal((await a.as(a.mgmt, 'GET', '/v1/acl/token/self')).json.SecretID, a.mgmt, 'the bootstrap token kept its secret');
  t.equal((await a.as(a.mgmt, 'GET', '/v1/jobs')).status, 200, 'the bootstrap secret still works');
  const back = await a.as(a.mgmt, 'GET', `/v1/acl/token/${ci.json.AccessorID}`);
  t.equal(back.status, 200, 'the deleted token is back');
  t.not(back.json.SecretID, ci.json.SecretID, 'with a new secret (the snapshot did not have it)');
  t.same(Object.keys(back.json).slice(0, 3), ['AccessorID', 'SecretID', 'Name'], "in Nomad's field order");
  t.equal((await a.as(ci.json.SecretID, 'GET', '/v1/jobs')).status, 403, 'the old secret is useless');
  t.equal((await a.as(back.json.SecretID, 'GET', '/v1/jobs')).status, 200, 'the new one works');

  // Into another server: nobody knows the new secrets, so the snapshot plants no usable token.
  const b = await client({ config: { acl: true } });
  t.teardown(b.close);
  t.equal((await b.put('/_mock/restore', snap)).status, 200);
  t.equal((await b.req('GET', '/v1/jobs', undefined, { 'X-Nomad-Token': a.mgmt })).status, 403);
  const full = b.mock.control.snapshot() as unknown as { Parts: { acl: { Tokens: { View: { SecretID: string } }[] } } };
  t.equal(full.Parts.acl.Tokens.length, 2);
  t.ok(full.Parts.acl.Tokens.every((x) => /^[0-9a-f-]{36}$/.test(x.View.SecretID)), 'every token has a (new) secret');
});

t.test('internal snapshots keep secrets: a data dir restart keeps the tokens working', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-secrets-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const first = createServer({ logLevel: 'silent', acl: true, dataDir: dir }, undefined, { simulate: false });
  await first.init();
  const boot = await first.app.inject({ method: 'POST', url: '/v1/acl/bootstrap' });
  const secret = JSON.parse(boot.body).SecretID as string;
  await first.app.close();
  const second = createServer({ logLevel: 'silent', acl: true, dataDir: dir }, undefined, { simulate: false });
  await second.init();
  t.teardown(() => second.app.close());
  const self = await second.app.inject({ method: 'GET', url: '/v1/acl/token/self', headers: { 'X-Nomad-Token': secret } });
  t.equal(self.statusCode, 200);
  t.equal(JSON.parse(self.body).SecretID, secret);
});

// ---------------------------------------------------------------------------------------------
// The control token
// ---------------------------------------------------------------------------------------------

t.test('with a control token every /_mock/ path needs it: 401 without, 403 when wrong, through X-Nomad-Mock-Token or Bearer', async (t) => {
  const mock = createServer({ logLevel: 'silent', acl: true, controlToken: 's3cret' }, undefined, { simulate: false });
  // A route added to /_mock/ by anyone, with no access code of its own, is covered too.
  mock.app.get('/_mock/added-later', { config: { acl: 'none' } }, async () => ({ Added: true }));
  await mock.app.ready();
  t.teardown(() => mock.app.close());
  const req = (method: string, url: string, headers: Record<string, string> = {}, payload?: string) => mock.app.inject({ method: method as 'GET', url, headers, payload });

  for (const [method, url] of [['GET', '/_mock/snapshot'], ['GET', '/_mock/requests'], ['POST', '/_mock/reset'], ['PUT', '/_mock/restore'], ['GET', '/_mock/ready'], ['GET', '/_mock/added-later'], ['GET', '/_mock/no-such-route'], ['GET', '/_mock'], ['POST', '/_mock/health']] as const) {
    const r = await req(method, url);
    t.equal(r.statusCode, 401, `${method} ${url} without the token`);
    t.same(JSON.parse(r.body), { Error: 'the control API needs its token: send it in the X-Nomad-Mock-Token header (or Authorization: Bearer)' });
    t.equal(r.headers['www-authenticate'], 'Bearer realm="nomad-mock control API"');
    const wrong = await req(method, url, { 'X-Nomad-Mock-Token': 's3cret-not' });
    t.equal(wrong.statusCode, 403, `${method} ${url} with a wrong token`);
    t.same(JSON.parse(wrong.body), { Error: 'control token does not match' });
  }
  t.equal((await req('GET', '/_mock/added-later', { 'X-Nomad-Mock-Token': 's3cret' })).body, '{"Added":true}');
  t.equal((await req('GET', '/_mock/snapshot', { 'X-Nomad-Mock-Token': 's3cret' })).statusCode, 200);
  t.equal((await req('GET', '/_mock/snapshot', { Authorization: 'Bearer s3cret' })).statusCode, 200);
  t.equal((await req('GET', '/_mock/snapshot', { Authorization: 'Bearer wrong' })).statusCode, 403);
  t.equal((await req('GET', '/_mock/no-such-route', { 'X-Nomad-Mock-Token': 's3cret' })).statusCode, 404, 'past the gate, an unknown control path is a 404');

  const health = await req('GET', '/_mock/health');
  t.equal(health.statusCode, 200, 'GET /_mock/health stays open for liveness probes');
  t.equal(JSON.parse(health.body).Status, 'ok');

  // Nobody without the token plants a management token or wipes the bootstrap.
  const boot = await req('POST', '/v1/acl/bootstrap');
  t.equal(boot.statusCode, 200, 'the Nomad API itself needs no control token');
  const before = JSON.stringify(mock.control.snapshot());
  t.equal((await req('PUT', '/_mock/restore', {}, JSON.stringify(mock.control.snapshot()))).statusCode, 401);
  t.equal((await req('POST', '/_mock/reset')).statusCode, 401);
  t.equal(JSON.stringify(mock.control.snapshot()), before, 'the state is untouched');
  t.equal((await req('POST', '/v1/acl/bootstrap')).statusCode, 400, 'still bootstrapped');
});

t.test('--control false: /_mock/ paths answer as unknown paths do; the in-process handle still works', async (t) => {
  const c = await client({ config: { control: false } });
  t.teardown(c.close);
  const unknown = await c.get('/_nomock/snapshot');
  for (const [method, url] of [['GET', '/_mock/health'], ['GET', '/_mock/snapshot'], ['POST', '/_mock/reset'], ['GET', '/_mock/requests'], ['GET', '/_mock']] as const) {
    const r = await c.req(method, url);
    t.equal(r.status, unknown.status, `${method} ${url}`);
    t.equal(r.body, unknown.body);
  }
  t.equal(unknown.status, 404);
  t.equal((await c.put('/v1/jobs', { Job: minimalJob('web') })).status, 200, 'the Nomad API works');
  t.equal(c.mock.control.snapshot().Jobs.length, 1, 'control.snapshot() works in-process');
  t.equal(c.mock.control.journal.list({ path: '/v1/jobs' }).length, 1, 'and the journal records');
  c.mock.control.reset();
  t.equal((await c.get('/v1/jobs')).json.length, 0, 'control.reset() works in-process');
});

t.test('flags, env and the config file set the control API options; flags and env win over the file', async (t) => {
  const cfg = (argv: string[], env: Record<string, string> = {}) => loadConfig(argv, env) as Config;
  t.equal(cfg([]).control, true);
  t.equal(cfg([]).controlToken, '');
  t.equal(cfg(['--control', 'false']).control, false);
  t.equal(cfg(['--control']).control, true);
  t.equal(cfg([], { NOMAD_MOCK_CONTROL: '0' }).control, false);
  t.equal(cfg(['--control-token', 'abc']).controlToken, 'abc');
  t.equal(cfg([], { NOMAD_MOCK_CONTROL_TOKEN: 'env' }).controlToken, 'env');
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ control: { token: 'from-file', enabled: false } }));
  t.equal(cfg(['--config', file]).controlToken, 'from-file');
  t.equal(cfg(['--config', file]).control, false);
  t.equal(cfg(['--config', file, '--control-token', 'flag']).controlToken, 'flag');
  t.equal(cfg(['--config', file], { NOMAD_MOCK_CONTROL: 'true' }).control, true);
  writeFileSync(file, JSON.stringify({ control: { token: '' } }));
  t.throws(() => cfg(['--config', file]), new ConfigError(`${file}: control.token must be a non-empty string`));
  writeFileSync(file, JSON.stringify({ control: { tokn: 'x' } }));
  t.throws(() => cfg(['--config', file]), new ConfigError(`${file}: unknown control setting "tokn" (known: enabled, token)`));
});

// ---------------------------------------------------------------------------------------------
// The start-up warning
// ---------------------------------------------------------------------------------------------

/** Starts the CLI, waits for its listening line, and returns what it wrote. */
function startCli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(root, 'dist', 'src', 'cli.js'), '--port', '0', '--nodes', '1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 20_000);
    p.stdout.on('data', (d) => {
      stdout += d;
      // The warning is written right after the listening line; give stderr a moment to arrive.
      if (stdout.includes('nomad-mock listening on')) setTimeout(() => p.kill('SIGTERM'), 300);
    });
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('exit', () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
  });
}

t.test('the CLI warns on stderr and in its log when it listens beyond loopback with an open control API', async (t) => {
  // Two processes at once: the machine running the suite is busy enough.
  const [open, locked] = await Promise.all([startCli(['--bind', '0.0.0.0']), startCli(['--bind', '0.0.0.0', '--control-token', 'x'])]);
  t.match(open.stdout, 'nomad-mock listening on');
  t.match(open.stderr, /^nomad-mock: warning: the control API \(\/_mock\/\) is open to anyone who can reach 0\.0\.0\.0/m);
  t.match(open.stderr, '--control-token');
  t.match(open.stdout, /"level":40[^\n]*the control API \(\/_mock\/\) is open/, 'a warn-level log line too');
  t.match(locked.stdout, 'nomad-mock listening on');
  t.notMatch(locked.stderr + locked.stdout, 'control API (/_mock/) is open', 'no warning with a control token');
  // The same rule without a process each: loopback and a disabled control API are quiet too.
  for (const bind of ['127.0.0.1', '127.3.4.5', 'localhost', '::1', '[::1]']) t.equal(exposureWarning({ bind, control: true, controlToken: '' }), null, `${bind} is loopback`);
  for (const bind of ['0.0.0.0', '::', '10.0.0.5', 'example.com']) t.match(exposureWarning({ bind, control: true, controlToken: '' }), `reach ${bind}`, `${bind} is not`);
  t.equal(exposureWarning({ bind: '0.0.0.0', control: false, controlToken: '' }), null, '--control false');
});

// ---------------------------------------------------------------------------------------------
// Namespaces by token
// ---------------------------------------------------------------------------------------------

t.test('GET /v1/namespaces lists the namespaces a token has any capability in; an unknown token gets 403', async (t) => {
  const { mgmt, as } = await aclServer(t);
  for (const name of ['apps', 'batch', 'secret']) t.equal((await as(mgmt, 'PUT', `/v1/namespace/${name}`, { Name: name })).status, 200);
  const policy = 'namespace "apps" { policy = "read" }\nnamespace "b*" { capabilities = ["list-jobs"] }\nnamespace "secret" { policy = "deny" }';
  t.equal((await as(mgmt, 'PUT', '/v1/acl/policy/some', { Name: 'some', Rules: policy })).status, 200);
  const tok = (await as(mgmt, 'PUT', '/v1/acl/token', { Name: 'some', Type: 'client', Policies: ['some'] })).json.SecretID as string;
  const names = (r: Res): string[] => (r.json as { Name: string }[]).map((n) => n.Name);

  const all = await as(mgmt, 'GET', '/v1/namespaces');
  t.same(names(all), ['apps', 'batch', 'default', 'secret'], 'management sees every namespace');
  const some = await as(tok, 'GET', '/v1/namespaces');
  t.equal(some.status, 200);
  t.same(names(some), ['apps', 'batch'], 'a client token sees the namespaces it has a capability in (deny is none)');
  t.equal(some.headers['x-nomad-index'], all.headers['x-nomad-index'], 'at the namespaces table index');
  t.same(names(await as(tok, 'GET', '/v1/namespaces?prefix=a')), ['apps']);

  const anon = await as(null, 'GET', '/v1/namespaces');
  t.equal(anon.status, 200);
  t.same(anon.json, [], 'no token and no anonymous policy: nothing');
  t.equal((await as(mgmt, 'PUT', '/v1/acl/policy/anonymous', { Name: 'anonymous', Rules: 'namespace "default" { policy = "read" }' })).status, 200);
  t.same(names(await as(null, 'GET', '/v1/namespaces')), ['default'], 'the anonymous policy applies');

  const unknown = await as('9f1b3f4c-0000-4000-8000-000000000000', 'GET', '/v1/namespaces');
  t.equal(unknown.status, 403);
  t.equal(unknown.body, 'Permission denied');
  t.equal((await as('not-a-uuid', 'GET', '/v1/namespaces')).status, 403);
  const badQuery = await as('9f1b3f4c-0000-4000-8000-000000000000', 'GET', '/v1/namespaces?index=x');
  t.equal(badQuery.status, 400, 'the agent parses the query before it authenticates');
  t.equal((await as(tok, 'POST', '/v1/namespaces')).status, 405);
});

t.test('GET /v1/namespace/:name needs a capability in that namespace', async (t) => {
  const { mgmt, as } = await aclServer(t);
  for (const name of ['apps', 'secret']) await as(mgmt, 'PUT', `/v1/namespace/${name}`, { Name: name });
  await as(mgmt, 'PUT', '/v1/acl/policy/apps', { Name: 'apps', Rules: 'namespace "apps" { policy = "read" }' });
  const tok = (await as(mgmt, 'PUT', '/v1/acl/token', { Name: 'apps', Type: 'client', Policies: ['apps'] })).json.SecretID as string;
  t.equal((await as(tok, 'GET', '/v1/namespace/apps')).json.Name, 'apps');
  const other = await as(tok, 'GET', '/v1/namespace/secret');
  t.equal(other.status, 403);
  t.equal(other.body, 'Permission denied');
  t.equal((await as(null, 'GET', '/v1/namespace/apps')).status, 403);
  t.equal((await as('9f1b3f4c-0000-4000-8000-000000000000', 'GET', '/v1/namespace/apps')).status, 403);
});

t.test('without ACLs every caller lists every namespace', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.put('/v1/namespace/apps', { Name: 'apps' });
  t.same((await c.get('/v1/namespaces')).json.map((n: { Name: string }) => n.Name), ['apps', 'default']);
});
