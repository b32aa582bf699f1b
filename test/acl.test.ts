// ACL mode (issue 5, http-semantics §7): bootstrap, tokens and policies, the capability of every job
// route under no token, a read-only token and a management token, token transport, the order of
// agent checks / authentication / validation / authorisation, and ACLs off.
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import { client, simClient, minimalJob, fixture, index, type Client, type Res } from './helpers.js';
import { aclRoutes } from '../routes/acl/index.js';
import { sendError } from '../routes/http/reply.js';
import { Store } from '../state/store.js';
import { DEFAULTS, loadConfig } from '../src/config.js';
import { Clock } from '../src/clock.js';
import { Acl } from '../state/acl/acl.js';
import { parsePolicyRules } from '../state/acl/policy.js';
import type { App, RouteContext } from '../routes/http/context.js';
import type { Obj } from '../state/types.js';

const payload = Buffer.from('{"file":"a.mp4"}').toString('base64');

interface World {
  c: Client;
  mgmt: string;
  readOnly: string;
  evalId: string;
  allocId: string;
  deploymentId: string;
  as(token: string | null, method: string, url: string, body?: unknown): Promise<Res>;
}

const tokenHeader = (token: string | null): Record<string, string> => (token === null ? {} : { 'X-Nomad-Token': token });

/** A simulated cluster with ACLs on: a service job (two versions), a periodic and a parameterized job. */
async function world(t: Test): Promise<World> {
  const c = await simClient({ acl: true });
  t.teardown(c.close);
  const as = (token: string | null, method: string, url: string, body?: unknown): Promise<Res> => c.req(method, url, body, tokenHeader(token));
  const boot = await c.req('POST', '/v1/acl/bootstrap');
  const mgmt = boot.json.SecretID as string;
  t.equal((await as(mgmt, 'PUT', '/v1/jobs', { Job: minimalJob('web') })).status, 200);
  t.equal((await as(mgmt, 'PUT', '/v1/jobs', { Job: fixture('periodic-cron') })).status, 200);
  t.equal((await as(mgmt, 'PUT', '/v1/jobs', { Job: fixture('parameterized-dispatch') })).status, 200);
  await c.advance(1000);
  const raw = minimalJob('raw', { Type: 'batch', ParameterizedJob: { Payload: 'optional' } });
  t.equal((await as(mgmt, 'PUT', '/v1/jobs', { Job: raw })).status, 200);
  t.equal((await as(mgmt, 'PUT', '/v1/jobs', { Job: minimalJob('batchy', { Type: 'batch' }) })).status, 200, 'batch: scalable without deployments');
  const v2 = { Job: minimalJob('web', { Meta: { v: '2' } }), Submission: { Source: 'job "web" {}', Format: 'hcl2' } };
  t.equal((await as(mgmt, 'PUT', '/v1/jobs', v2)).status, 200);
  await c.advance(1000);
  t.equal((await as(mgmt, 'PUT', '/v1/acl/policy/readonly', { Name: 'readonly', Rules: 'namespace "default" { policy = "read" }' })).status, 200);
  const ro = await as(mgmt, 'PUT', '/v1/acl/token', { Name: 'ro', Type: 'client', Policies: ['readonly'] });
  const evalId = (await as(mgmt, 'GET', '/v1/job/web/evaluations')).json[0].ID as string;
  const allocId = (await as(mgmt, 'GET', '/v1/job/web/allocations')).json[0].ID as string;
  const deploymentId = (await as(mgmt, 'GET', '/v1/job/web/deployments')).json[0].ID as string;
  return { c, mgmt, readOnly: ro.json.SecretID as string, evalId, allocId, deploymentId, as };
}

type Kind = 'read' | 'write';
interface Call {
  name: string;
  kind: Kind;
  method: string;
  url: string;
  body?: unknown;
}

/** Every job route and method of http-semantics §1.3, plus the eval/alloc/deployment reads. */
function jobCalls(w: World): Call[] {
  const r = (method: string, url: string): Call => ({ name: `${method} ${url}`, kind: 'read', method, url });
  const wr = (method: string, url: string, body?: unknown): Call => ({ name: `${method} ${url}`, kind: 'write', method, url, body });
  return [
    r('GET', '/v1/jobs'),
    wr('PUT', '/v1/jobs', { Job: minimalJob('new-a') }),
    wr('POST', '/v1/jobs', { Job: minimalJob('new-b') }),
    r('GET', '/v1/jobs/statuses'),
    r('POST', '/v1/jobs/statuses'),
    r('GET', '/v1/job/web'),
    wr('PUT', '/v1/job/new-c', { Job: minimalJob('new-c') }),
    wr('POST', '/v1/job/new-d', { Job: minimalJob('new-d') }),
    r('GET', '/v1/job/web/versions'),
    r('POST', '/v1/job/web/versions'),
    r('GET', '/v1/job/web/summary'),
    r('DELETE', '/v1/job/web/summary'),
    r('GET', '/v1/job/web/allocations'),
    r('GET', '/v1/job/web/evaluations'),
    r('GET', '/v1/job/web/deployments'),
    r('GET', '/v1/job/web/deployment'),
    r('GET', '/v1/job/web/services'),
    r('GET', '/v1/job/web/actions'),
    r('GET', '/v1/job/web/submission?version=1'),
    r('GET', '/v1/job/web/scale'),
    wr('PUT', '/v1/job/web/plan', { Job: minimalJob('web', { Meta: { v: '3' } }), Diff: true }),
    wr('POST', '/v1/job/web/plan', { Job: minimalJob('web', { Meta: { v: '3' } }) }),
    wr('PUT', '/v1/job/video-encode/dispatch', { Payload: payload, Meta: { input: 's3://in' } }),
    wr('POST', '/v1/job/raw/dispatch/payload', '{"file":"x"}'),
    wr('PUT', '/v1/job/web/evaluate', { JobID: 'web' }),
    wr('POST', '/v1/job/web/evaluate'),
    wr('PUT', '/v1/job/web/stable', { JobID: 'web', JobVersion: 0, Stable: true }),
    wr('PUT', '/v1/job/web/revert', { JobID: 'web', JobVersion: 0 }),
    wr('PUT', '/v1/job/batchy/scale', { Target: { Group: 'web' }, Count: 2, Message: 'more' }),
    wr('POST', '/v1/job/nightly-backup/periodic/force'),
    wr('PUT', '/v1/job/web/versions/v-one/tag', { Version: 0, Description: 'first' }),
    wr('DELETE', '/v1/job/web/versions/v-one/tag'),
    wr('DELETE', '/v1/job/nightly-backup'),
    wr('DELETE', '/v1/job/new-a?purge=true'),
    { name: 'PUT /v1/validate/job', kind: 'read', method: 'PUT', url: '/v1/validate/job', body: { Job: minimalJob('checked') } },
    r('GET', '/v1/evaluations'),
    r('GET', '/v1/evaluations/count'),
    r('GET', `/v1/evaluation/${w.evalId}`),
    r('GET', `/v1/evaluation/${w.evalId}/allocations`),
    r('GET', '/v1/allocations'),
    r('GET', `/v1/allocation/${w.allocId}`),
    r('GET', '/v1/deployments'),
    r('GET', `/v1/deployment/${w.deploymentId}`),
    r('GET', `/v1/deployment/allocations/${w.deploymentId}`),
  ];
}

t.test('ACLs off (the default): no checks, tokens ignored, ACL endpoints refuse', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.register(minimalJob('web'))).status, 200);
  const garbage = { 'X-Nomad-Token': 'not-a-token' };
  t.equal((await c.req('GET', '/v1/job/web', undefined, garbage)).status, 200);
  t.equal((await c.req('DELETE', '/v1/job/web', undefined, garbage)).status, 200);
  const boot = await c.post('/v1/acl/bootstrap');
  t.equal(boot.status, 400);
  t.equal(boot.body, 'ACL support disabled');
  t.equal((await c.get('/v1/acl/tokens')).body, 'ACL support disabled');
});

t.test('bootstrap once: a global management token; the second time Nomad’s reset-index error', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const before = await c.get('/v1/jobs');
  t.equal(before.status, 403, 'before bootstrap every request is anonymous');
  const boot = await c.post('/v1/acl/bootstrap');
  t.equal(boot.status, 200);
  t.same(Object.keys(boot.json), ['AccessorID', 'SecretID', 'Name', 'Type', 'Policies', 'Roles', 'Global', 'Hash', 'CreateTime', 'ExpirationTTL', 'CreateIndex', 'ModifyIndex']);
  t.match(boot.json, { Name: 'Bootstrap Token', Type: 'management', Policies: null, Roles: null, Global: true, ExpirationTTL: '' });
  t.match(boot.json.SecretID, /^[0-9a-f-]{36}$/);
  t.match(boot.json.CreateTime, /^\d{4}-\d\d-\d\dT[\d:.]+Z$/);
  t.equal(index(boot), boot.json.CreateIndex);
  t.equal(boot.json.CreateIndex, boot.json.ModifyIndex);
  const again = await c.post('/v1/acl/bootstrap');
  t.equal(again.status, 400);
  t.equal(again.body, `ACL bootstrap already done (reset index: ${boot.json.CreateIndex})`);
  t.match(again.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal((await c.req('GET', '/v1/acl/bootstrap')).status, 405);

  const self = await c.req('GET', '/v1/acl/token/self', undefined, { 'X-Nomad-Token': boot.json.SecretID });
  t.same(self.json, boot.json);
  t.equal((await c.get('/v1/acl/token/self')).status, 404, 'no token: ACL token not found');
});

t.test('bootstrap with an operator-chosen secret', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  t.equal((await c.post('/v1/acl/bootstrap', { BootstrapSecret: 'nope' })).body, 'invalid acl token');
  const secret = '2b778dd9-f5f1-6f29-b4b4-9a5fa948757a';
  const boot = await c.post('/v1/acl/bootstrap', { BootstrapSecret: secret });
  t.equal(boot.json.SecretID, secret);
  t.equal((await c.req('GET', '/v1/jobs', undefined, { 'X-Nomad-Token': secret })).status, 200);
});

t.test('a hook added by aclRoutes guards routes registered before it', async (t) => {
  const app = Fastify().withTypeProvider() as unknown as App;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: Error & { status?: number }, _req, reply) => sendError(reply, err.status ?? 500, err.message));
  app.get('/v1/jobs', async () => 'listed'); // registered before the hook exists
  const store = new Store();
  const clock = new Clock({ mode: 'manual', scale: 1 });
  aclRoutes(app, { store, config: { ...DEFAULTS, acl: true }, clock, sim: null } as unknown as RouteContext);
  app.get('/v1/job/*', async () => 'read'); // and one after
  await app.ready();
  t.teardown(() => {
    clock.close();
    return app.close();
  });
  const before = await app.inject({ method: 'GET', url: '/v1/jobs' });
  t.equal(before.statusCode, 403);
  t.equal(before.body, 'Permission denied');
  t.equal((await app.inject({ method: 'GET', url: '/v1/job/x' })).statusCode, 403);
  const boot = await app.inject({ method: 'POST', url: '/v1/acl/bootstrap' });
  const secret = JSON.parse(boot.body).SecretID as string;
  const ok = await app.inject({ method: 'GET', url: '/v1/jobs', headers: { 'x-nomad-token': secret } });
  t.equal(ok.statusCode, 200);
  t.equal(ok.body, 'listed');
});

t.test('every job route: no token → 403, read-only → reads only, management → everything', async (t) => {
  const w = await world(t);
  const calls = jobCalls(w);
  t.ok(calls.length >= 40, `${calls.length} calls`);

  for (const call of calls) {
    const res = await w.as(null, call.method, call.url, call.body);
    t.equal(res.status, 403, `anonymous ${call.name}`);
    t.equal(res.body, 'Permission denied', `anonymous ${call.name} body`);
    t.match(res.headers['content-type'], 'text/plain; charset=utf-8');
  }

  for (const call of calls) {
    const res = await w.as(w.readOnly, call.method, call.url, call.body);
    if (call.kind === 'read') t.equal(res.status, 200, `read-only ${call.name} → ${res.status} ${res.body.slice(0, 80)}`);
    else t.equal(res.status, 403, `read-only ${call.name} is refused`);
  }

  for (const call of calls) {
    const res = await w.as(w.mgmt, call.method, call.url, call.body);
    t.equal(res.status, 200, `management ${call.name} → ${res.status} ${res.body.slice(0, 80)}`);
  }
});

t.test('a bogus or unknown token is refused even where anonymous would do', async (t) => {
  const w = await world(t);
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/acl/policy/anonymous', { Name: 'anonymous', Rules: 'namespace "*" { policy = "read" }' })).status, 200);
  t.equal((await w.as(null, 'GET', '/v1/job/web')).status, 200, 'the anonymous policy grants reads');
  t.equal((await w.as(null, 'PUT', '/v1/job/web/evaluate', { JobID: 'web' })).status, 403, 'but not writes');
  t.equal((await w.as('3f4a0fcd-7c42-773c-25db-2d31ba0c05fe', 'GET', '/v1/job/web')).body, 'Permission denied', 'unknown UUID');
  t.equal((await w.as('garbage', 'GET', '/v1/job/web')).status, 403, 'not a UUID nor a JWT');
  const reg = await w.as('3f4a0fcd-7c42-773c-25db-2d31ba0c05fe', 'PUT', '/v1/jobs', { Job: minimalJob('x', { Priority: 1000 }) });
  t.equal(reg.status, 403, 'register authenticates before validating');
});

t.test('tokens via X-Nomad-Token, Authorization: Bearer, and the body', async (t) => {
  const w = await world(t);
  const { c } = w;
  t.equal((await c.req('GET', '/v1/job/web', undefined, { 'X-Nomad-Token': `  ${w.readOnly}  ` })).status, 200, 'trimmed');
  t.equal((await c.req('GET', '/v1/job/web', undefined, { Authorization: `Bearer ${w.readOnly}` })).status, 200);
  t.equal((await c.req('GET', '/v1/job/web', undefined, { Authorization: `bearer ${w.readOnly} extra` })).status, 200, 'scheme is case-insensitive');
  t.equal((await c.req('GET', '/v1/job/web', undefined, { Authorization: w.readOnly })).status, 403, 'no scheme: no token');
  t.equal(
    (await c.req('GET', '/v1/job/web', undefined, { 'X-Nomad-Token': w.mgmt, Authorization: 'Bearer garbage' })).status,
    200,
    'X-Nomad-Token wins',
  );
  t.equal((await c.req('PUT', '/v1/job/web/evaluate', { JobID: 'web', AuthToken: w.mgmt })).status, 200, 'evaluate: body AuthToken');
  t.equal((await c.req('PUT', '/v1/job/web/stable', { JobID: 'web', JobVersion: 0, Stable: true, AuthToken: w.mgmt })).status, 200, 'stable: body AuthToken');
  t.equal((await c.req('PUT', '/v1/jobs', { Job: minimalJob('by-body'), SecretID: w.mgmt })).status, 200, 'register: body SecretID');
  t.equal((await c.req('PUT', '/v1/job/web/plan', { Job: minimalJob('web'), SecretID: w.mgmt })).status, 200, 'plan: body SecretID');
  t.equal((await c.req('PUT', '/v1/job/web/scale', { Target: { Group: 'web' }, Count: 1, AuthToken: w.mgmt })).status, 403, 'scale: headers only');
  t.equal((await c.req('PUT', '/v1/job/web/evaluate', { JobID: 'web', AuthToken: w.readOnly }, { 'X-Nomad-Token': w.mgmt })).status, 200, 'the header beats the body');
});

t.test('order: agent checks, then authentication, then validation, then authorisation', async (t) => {
  const w = await world(t);
  const bad = minimalJob('broken', { Priority: 1000 });

  // The agent's own checks come first, whatever the token.
  t.equal((await w.as(null, 'PATCH', '/v1/jobs')).status, 405, 'wrong method');
  t.equal((await w.as(null, 'GET', '/v1/job/web?index=x')).body, 'Invalid index');
  t.equal((await w.as(null, 'PUT', '/v1/jobs')).body, 'Request body is empty');
  t.equal((await w.as(null, 'PUT', '/v1/job/web', { Job: minimalJob('other') })).body, 'Job ID does not match name');
  t.equal((await w.as('garbage', 'PUT', '/v1/jobs', { Job: {} })).body, "Job ID hasn't been provided");
  t.equal((await w.as(null, 'PUT', '/v1/job/web/plan', { Job: minimalJob('x') })).body, 'Job ID does not match');
  t.equal((await w.as(null, 'PUT', '/v1/job/web/revert', { JobID: 'other' })).body, 'Job ID does not match');
  t.equal((await w.as(null, 'PUT', '/v1/job/web/evaluate', { JobID: 'other' })).body, 'JobID not same as job name');
  t.equal((await w.as(null, 'PUT', '/v1/job/web/scale', { Target: { Job: 'other', Group: 'web' } })).body, 'job ID in payload did not match URL');
  t.equal((await w.as(null, 'GET', '/v1/job/web/submission')).body, 'Unable to parse job submission version parameter');
  t.equal((await w.as(null, 'GET', '/v1/job/a/b/c/d/tag')).status, 404, 'invalid job tag endpoint');

  // Register and plan validate before they authorise: an invalid job gets its 500, not 403.
  for (const token of [null, w.readOnly]) {
    const reg = await w.as(token, 'PUT', '/v1/jobs', { Job: bad });
    t.equal(reg.status, 500, `register invalid job with ${token ? 'read-only' : 'no'} token`);
    t.match(reg.body, /^1 error occurred:\n\t\* job priority must be between \[1, 100\]/);
    const plan = await w.as(token, 'PUT', '/v1/job/broken/plan', { Job: bad });
    t.equal(plan.status, 500, 'plan too');
    t.equal((await w.as(token, 'PUT', '/v1/jobs', { Job: minimalJob('valid') })).status, 403, 'a valid job is then refused');
  }
  t.equal((await w.as(null, 'PUT', '/v1/jobs', { Job: minimalJob('x', { Namespace: 'nope' }) })).status, 500, 'unknown namespace is a validation error');
  t.equal((await w.as(w.mgmt, 'GET', '/v1/job/valid')).status, 404, 'nothing was written');
});

t.test('policies: dispositions, capability lists, globs, deny, scale', async (t) => {
  const w = await world(t);
  const token = async (name: string, rules: string): Promise<string> => {
    const put = await w.as(w.mgmt, 'PUT', `/v1/acl/policy/${name}`, { Name: name, Description: name, Rules: rules });
    t.equal(put.status, 200, `policy ${name}: ${put.body}`);
    return (await w.as(w.mgmt, 'POST', '/v1/acl/token', { Name: name, Type: 'client', Policies: [name] })).json.SecretID as string;
  };
  const writer = await token('writer', 'namespace "default" {\n  policy = "write"\n}\n');
  t.equal((await w.as(writer, 'PUT', '/v1/job/web/evaluate', { JobID: 'web' })).status, 200);
  t.equal((await w.as(writer, 'PUT', '/v1/jobs', { Job: minimalJob('w1') })).status, 200);
  t.equal((await w.as(writer, 'PUT', '/v1/job/web/revert', { JobID: 'web', JobVersion: 0 })).status, 200);
  t.equal((await w.as(writer, 'GET', '/v1/jobs?namespace=other')).status, 403, 'only in its namespace');

  const fine = await token('fine', JSON.stringify({ namespace: { default: { capabilities: ['dispatch-job', 'read-job'] } } }));
  t.equal((await w.as(fine, 'PUT', '/v1/job/video-encode/dispatch', { Payload: payload, Meta: { input: 'x' } })).status, 200, 'dispatch-job');
  t.equal((await w.as(fine, 'POST', '/v1/job/nightly-backup/periodic/force')).status, 200, 'dispatch-job also forces periodic');
  t.equal((await w.as(fine, 'GET', '/v1/jobs')).status, 403, 'no list-jobs');
  t.equal((await w.as(fine, 'GET', '/v1/job/web')).status, 200);
  t.equal((await w.as(fine, 'DELETE', '/v1/job/web')).status, 403);

  const scaler = await token('scaler', 'namespace "def*" { policy = "scale" }');
  t.equal((await w.as(scaler, 'PUT', '/v1/job/batchy/scale', { Target: { Group: 'web' }, Count: 1 })).status, 200, 'scale-job via a glob');
  t.equal((await w.as(scaler, 'GET', '/v1/job/web/scale')).status, 200);
  t.equal((await w.as(scaler, 'GET', '/v1/job/web')).status, 200, 'scale includes read-job');
  t.equal((await w.as(scaler, 'GET', '/v1/jobs')).status, 403, 'but not list-jobs');

  const denied = await token('denied', 'namespace "*" { policy = "write" }\nnamespace "default" { policy = "deny" }');
  t.equal((await w.as(denied, 'GET', '/v1/job/web')).status, 403, 'deny on the concrete namespace wins over the glob');

  const reg = await token('register-only', 'namespace "default" { capabilities = ["register-job"] }');
  t.equal((await w.as(reg, 'PUT', '/v1/jobs', { Job: minimalJob('r1') })).status, 200, 'register-job');
  t.equal((await w.as(reg, 'PUT', '/v1/job/r1/plan', { Job: minimalJob('r1') })).status, 403, 'plan needs plan-job');
  t.equal((await w.as(reg, 'DELETE', '/v1/job/r1')).status, 403);
  const dereg = await token('dereg', 'namespace "default" { capabilities = ["deregister-job", "read-job"] }');
  t.equal((await w.as(dereg, 'DELETE', '/v1/job/r1?purge=true')).status, 403, 'purging needs purge-job');
  t.equal((await w.as(dereg, 'DELETE', '/v1/job/r1')).status, 200, 'deregister-job stops');

  const agent = await token('agent-reader', 'agent { policy = "read" }\nnode { policy = "read" }');
  t.equal((await w.as(agent, 'GET', '/v1/agent/self')).status, 200);
  t.equal((await w.as(agent, 'GET', '/v1/nodes')).status, 200);
  t.equal((await w.as(w.readOnly, 'GET', '/v1/agent/self')).status, 403);
  t.equal((await w.as(w.readOnly, 'GET', '/v1/nodes')).status, 403);
});

t.test('namespace=* lists keep only the namespaces the token may see', async (t) => {
  const w = await world(t);
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/namespace/other', { Name: 'other' })).status, 200);
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/jobs?namespace=other', { Job: minimalJob('hidden') })).status, 200);
  const all = await w.as(w.mgmt, 'GET', '/v1/jobs?namespace=*');
  t.ok(all.json.some((j: Obj) => j.Namespace === 'other'));
  const ro = await w.as(w.readOnly, 'GET', '/v1/jobs?namespace=*');
  t.equal(ro.status, 200);
  t.ok(ro.json.length > 0);
  t.ok(ro.json.every((j: Obj) => j.Namespace === 'default'), 'the other namespace is filtered out');
  const filtered = await w.as(w.readOnly, 'GET', `/v1/jobs?namespace=*&filter=${encodeURIComponent('ID == "web"')}`);
  t.same(filtered.json.map((j: Obj) => j.ID), ['web'], 'with a filter of its own');
  const evals = await w.as(w.readOnly, 'GET', '/v1/evaluations?namespace=*&job=web');
  t.equal(evals.status, 200);
  t.ok(evals.json.length > 0 && evals.json.every((e: Obj) => e.JobID === 'web' && e.Namespace === 'default'));
  t.equal((await w.as(w.readOnly, 'GET', '/v1/jobs?namespace=other')).status, 403);
});

t.test('/v1/jobs/parse and /v1/agent/self resolve the token in the agent', async (t) => {
  const w = await world(t);
  t.equal((await w.as('3f4a0fcd-7c42-773c-25db-2d31ba0c05fe', 'GET', '/v1/agent/self')).status, 403);
  const jwt = await w.as('garbage', 'GET', '/v1/agent/self');
  t.equal(jwt.status, 500);
  t.match(jwt.body, /^ACL token not found or invalid workload identity: failed to parse signed token: /);
  t.equal((await w.as(null, 'PUT', '/v1/jobs/parse')).status, 403, 'checked before the body');
  t.equal((await w.as(w.mgmt, 'GET', '/v1/agent/self')).status, 200);
});

t.test('token and policy endpoints', async (t) => {
  const w = await world(t);
  const { as, mgmt, readOnly } = w;

  const list = await as(mgmt, 'GET', '/v1/acl/tokens');
  t.equal(list.status, 200);
  t.equal(list.json.length, 2);
  t.same(Object.keys(list.json[1]), ['AccessorID', 'Name', 'Type', 'Policies', 'Roles', 'Global', 'Hash', 'CreateTime', 'CreateIndex', 'ModifyIndex']);
  t.notOk('SecretID' in list.json[0], 'stubs carry no secret');
  t.equal((await as(readOnly, 'GET', '/v1/acl/tokens')).status, 403, 'listing needs management');

  const self = (await as(readOnly, 'GET', '/v1/acl/token/self')).json;
  t.match(self, { Name: 'ro', Type: 'client', Policies: ['readonly'], Global: false });
  t.equal((await as(readOnly, 'GET', `/v1/acl/token/${self.AccessorID}`)).status, 200, 'a token may read itself');
  const other = list.json.find((x: Obj) => x.AccessorID !== self.AccessorID).AccessorID;
  t.equal((await as(readOnly, 'GET', `/v1/acl/token/${other}`)).status, 403, 'but not another');
  t.equal((await as(mgmt, 'GET', '/v1/acl/token/3f4a0fcd-7c42-773c-25db-2d31ba0c05fe')).body, 'ACL token not found');

  const badTokens = await as(mgmt, 'PUT', '/v1/acl/token', { Name: 'x', Type: 'client' });
  t.equal(badTokens.status, 400);
  t.equal(badTokens.body, 'token 0 invalid: 1 error occurred:\n\t* client token missing policies or roles\n\n');
  t.equal((await as(mgmt, 'PUT', '/v1/acl/token', { Type: 'bogus' })).body, 'token 0 invalid: 1 error occurred:\n\t* token type must be client or management\n\n');
  t.equal((await as(mgmt, 'PUT', '/v1/acl/token', { Type: 'management', Policies: ['a'] })).status, 400);
  t.equal((await as(readOnly, 'PUT', '/v1/acl/token', { Name: 'y', Type: 'management' })).status, 403);

  const ttl = await as(mgmt, 'PUT', '/v1/acl/token', { Name: 'short', Type: 'management', ExpirationTTL: '10m' });
  t.equal(ttl.status, 200);
  t.equal(ttl.json.ExpirationTTL, '10m0s');
  t.ok(Date.parse(ttl.json.ExpirationTime) > Date.parse(ttl.json.CreateTime));
  t.match((await as(mgmt, 'PUT', '/v1/acl/token', { Type: 'management', ExpirationTTL: '1s' })).body, /expiration time cannot be less than 1m0s in the future \(was 1s\)/);
  await w.c.advance(11 * 60_000);
  t.equal((await as(ttl.json.SecretID, 'GET', '/v1/job/web')).status, 403, 'an expired token is refused');
  t.equal((await as(ttl.json.SecretID, 'GET', '/v1/agent/self')).body, 'ACL token not found or invalid workload identity: ACL token expired');

  // Update keeps the secret and the creation index; the path and the body must agree.
  const upd = await as(mgmt, 'PUT', `/v1/acl/token/${self.AccessorID}`, { AccessorID: self.AccessorID, Name: 'renamed', Type: 'client', Policies: ['readonly'] });
  t.equal(upd.status, 200);
  t.match(upd.json, { Name: 'renamed', SecretID: readOnly, CreateIndex: self.CreateIndex });
  t.ok(upd.json.ModifyIndex > self.ModifyIndex);
  t.equal((await as(mgmt, 'PUT', `/v1/acl/token/${self.AccessorID}`, { Name: 'x' })).body, 'ACL token accessor does not match request path');

  // Policies.
  const pols = await as(mgmt, 'GET', '/v1/acl/policies');
  t.same(pols.json.map((p: Obj) => p.Name), ['readonly']);
  t.same(Object.keys(pols.json[0]), ['Name', 'Description', 'JobACL', 'Hash', 'CreateIndex', 'ModifyIndex']);
  const pol = await as(readOnly, 'GET', '/v1/acl/policy/readonly');
  t.equal(pol.status, 200, 'a token may read its own policies');
  t.match(pol.json, { Name: 'readonly', Rules: 'namespace "default" { policy = "read" }', JobACL: null });
  t.match(pol.json.RulesJSON.Namespaces[0], { Name: 'default', Policy: 'read' });
  t.ok(pol.json.RulesJSON.Namespaces[0].Capabilities.includes('list-jobs'));
  t.equal((await as(mgmt, 'GET', '/v1/acl/policy/missing')).body, 'ACL policy not found');
  t.equal((await as(readOnly, 'GET', '/v1/acl/policy/missing')).status, 403);
  t.equal((await as(mgmt, 'PUT', '/v1/acl/policy/a', { Name: 'b', Rules: 'agent { policy = "read" }' })).body, 'ACL policy name does not match request path');
  const invalid = await as(mgmt, 'PUT', '/v1/acl/policy/bad', { Name: 'bad', Rules: 'namespace "default" { policy = "admin" }' });
  t.equal(invalid.status, 400);
  t.match(invalid.body, /^policy 0 invalid: 1 error occurred:\n\t\* failed to parse rules: Invalid namespace policy: &acl.NamespacePolicy\{Name:"default", Policy:"admin"/);
  t.match((await as(mgmt, 'PUT', '/v1/acl/policy/bad', { Name: 'bad', Rules: 'namespace "default" { capabilities = ["fly"] }' })).body, /Invalid namespace capability 'fly'/);
  t.match((await as(mgmt, 'PUT', '/v1/acl/policy/bad', { Name: 'bad', Rules: 'bogus { policy = "read" }' })).body, /Invalid policy: bogus/);
  t.match((await as(mgmt, 'PUT', '/v1/acl/policy/bad', { Name: 'bad', Rules: 'agent { policy = "read" }\nbogus = 1' })).body, /Invalid or duplicate policy keys: bogus/);
  t.equal((await as(readOnly, 'PUT', '/v1/acl/policy/x', { Name: 'x', Rules: 'agent { policy = "read" }' })).status, 403);
  const del = await as(mgmt, 'DELETE', '/v1/acl/policy/readonly');
  t.equal(del.status, 200);
  t.equal((await as(readOnly, 'GET', '/v1/job/web')).status, 403, 'a deleted policy grants nothing');

  const delTok = await as(mgmt, 'DELETE', `/v1/acl/token/${self.AccessorID}`);
  t.equal(delTok.status, 200);
  t.equal((await as(mgmt, 'DELETE', `/v1/acl/token/${self.AccessorID}`)).body, `Cannot delete nonexistent tokens: ${self.AccessorID}`);
  t.equal((await as(readOnly, 'GET', '/v1/acl/token/self')).status, 404);
});

t.test('policy rules parser', async (t) => {
  const p = parsePolicyRules(
    `# comment
namespace "default" {
  policy       = "read"
  capabilities = ["submit-job", "dispatch-job"]
  variables { path "*" { capabilities = ["read"] } }
}
namespace "prod-*" { policy = "deny" }
agent { policy = "write" }
node = { policy = "read" }
`,
    true,
  );
  t.equal(p.namespaces.length, 2);
  t.ok(p.namespaces[0]!.Capabilities!.includes('list-jobs') && p.namespaces[0]!.Capabilities!.includes('submit-job'));
  t.equal(p.agent, 'write');
  t.equal(p.node, 'read');
  const acl = Acl.compile([p]);
  t.ok(acl.allowNs('default', 'dispatch-job'));
  t.notOk(acl.allowNs('prod-eu', 'read-job'));
  t.ok(acl.allowNs('*', 'read-job'), '* is allowed when any namespace allows');
  t.ok(acl.allowAgentRead());
  const json = parsePolicyRules('{"namespace": [{"default": {"policy": "write"}}], "node": {"policy": "write"}}', true);
  t.ok(Acl.compile([json]).allowNs('default', 'scale-job'));
  t.throws(() => parsePolicyRules('namespace "x" {', true), /^Failed to parse ACL Policy: /);
  t.throws(() => parsePolicyRules('agent { policy = "scale2" }', true), /Invalid agent policy: &acl.AgentPolicy\{Policy:"scale2"\}/);
});

t.test('--acl / NOMAD_MOCK_ACL', async (t) => {
  t.equal(DEFAULTS.acl, false);
  t.match(loadConfig(['--acl'], {}), { acl: true }, 'a bare flag means true');
  t.match(loadConfig(['--acl', '--port', '0'], {}), { acl: true, port: 0 });
  t.match(loadConfig(['--acl', 'false'], {}), { acl: false });
  t.match(loadConfig(['--acl=1'], {}), { acl: true });
  t.match(loadConfig([], { NOMAD_MOCK_ACL: '1' }), { acl: true });
  t.match(loadConfig([], { NOMAD_MOCK_ACL: 'true' }), { acl: true });
  t.match(loadConfig(['--acl=0'], { NOMAD_MOCK_ACL: 'true' }), { acl: false });
  t.match(loadConfig([], { NOMAD_MOCK_ACL: 'yes' }), { acl: true }, 'yes/no and on/off are booleans too');
  t.match(loadConfig(['--acl', 'OFF'], {}), { acl: false });
  t.throws(() => loadConfig([], { NOMAD_MOCK_ACL: 'maybe' }), /NOMAD_MOCK_ACL: expected true or false \(also 1\/0, yes\/no, on\/off\), got "maybe"/);
  t.throws(() => loadConfig(['--acl=constructor'], {}), /--acl: expected true or false/, 'an Object.prototype name is not a boolean');
});
