// Regression tests for what the fuzz suite found beyond issue 10's numbered findings, and a check
// that its oracle and invariants do catch what they are meant to.
import t from 'tap';
import { client, listening, minimalJob, rawExchange } from './helpers.js';
import { judge, newOracleState } from './fuzz/oracle.js';
import { checkInvariants } from './fuzz/invariants.js';
import type { FuzzRequest } from './fuzz/transport.js';

const V8 = /Unexpected token|is not valid JSON|Unexpected end|non-whitespace|Maximum call stack|Unsupported Media Type/;

t.test('control API: a body that is not JSON gets Go decoder text, never V8’s', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const bom = await c.post('/_mock/clock/advance', '\ufeff{}');
  t.equal(bom.status, 400);
  t.same(bom.json, { Error: "invalid JSON body: invalid character 'ï' looking for beginning of value" });
  const cut = await c.post('/_mock/clock/advance', '{"Duration":');
  t.same(cut.json, { Error: 'invalid JSON body: unexpected EOF' });
  // Like json.Decoder (and Nomad's own bodies): the first value is read, trailing bytes never are.
  const trailing = await c.req('PUT', '/_mock/clock', '{"Mode":"manual"} x');
  t.equal(trailing.status, 200);
  const restore = await c.put('/_mock/restore', 'x');
  t.same(restore.json, { Error: "invalid JSON body: invalid character 'x' looking for beginning of value" });
  for (const r of [bom, cut, trailing, restore]) t.notMatch(r.body, V8);
});

t.test('ACL bodies are decoded like json.Decoder: Go’s syntax errors, trailing bytes unread', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const token = (await c.post('/v1/acl/bootstrap')).json.SecretID as string;
  const h = { 'X-Nomad-Token': token };
  const policy = '{"Name":"ro","Rules":"namespace \\"default\\" { policy = \\"read\\" }"}';
  const bom = await c.req('PUT', '/v1/acl/policy/ro', `\ufeff${policy}`, h);
  t.equal(bom.status, 400);
  t.equal(bom.body, "invalid character 'ï' looking for beginning of value");
  const cut = await c.req('PUT', '/v1/acl/token', '{"Name":"ci","Type":', h);
  t.equal(cut.status, 400);
  t.equal(cut.body, 'unexpected EOF');
  const blank = await c.req('PUT', '/v1/acl/token', '  ', h);
  t.equal(blank.body, 'EOF');
  const twice = await c.req('PUT', '/v1/acl/policy/ro', `${policy}${policy}`, h);
  t.equal(twice.status, 200, 'the second object is never read, as with json.Decoder');
  for (const r of [bom, cut, blank]) t.notMatch(r.body, V8);
});

t.test('filters: deep nesting is a 400 naming the limit, long and/or chains evaluate', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const id of ['a1', 'a2', 'b1']) await c.register(minimalJob(id));
  const f = (expr: string) => c.get(`/v1/jobs?filter=${encodeURIComponent(expr)}`);
  const deep = await f(`${'('.repeat(5000)}ID == "a1"${')'.repeat(5000)}`);
  t.equal(deep.status, 400);
  t.match(deep.body, /^failed to create result paginator: failed to read filter expression: 1:\d+ \(\d+\): nomad-mock does not support filters nested deeper than 500 levels$/);
  const nots = await f(`${'not '.repeat(5000)}ID == "a1"`);
  t.equal(nots.status, 400);
  t.notMatch(deep.body + nots.body, V8);
  const ok = await f(`${'('.repeat(400)}ID == "a1"${')'.repeat(400)}`);
  t.equal(ok.status, 200);
  t.same(ok.json.map((j: { ID: string }) => j.ID), ['a1'], '400 levels still parse and evaluate');
  const chain = await f([...Array.from({ length: 5000 }, (_, i) => `ID == "x${i}"`), 'ID == "b1"'].join(' or '));
  t.equal(chain.status, 200);
  t.same(chain.json.map((j: { ID: string }) => j.ID), ['b1'], 'a 5,001-term or-chain');
  const both = await f('ID != "a1" and ID != "a2" and (ID == "b1" or ID == "zz")');
  t.same(both.json.map((j: { ID: string }) => j.ID), ['b1']);
});

t.test('a malformed Content-Type changes nothing: Nomad never reads it', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const ct of ['', 'garbage/;;;', 'json', '/']) {
    const res = await c.req('PUT', '/v1/jobs', JSON.stringify({ Job: minimalJob(`ct${ct.length}`) }), { 'Content-Type': ct });
    t.equal(res.status, 200, `Content-Type ${JSON.stringify(ct)}`);
    const empty = await c.req('PUT', '/v1/jobs', '{}', { 'Content-Type': ct });
    t.equal(empty.body, 'Job must be specified');
  }
});

t.test('a connection fault on a request the server replays in-process (unknown method) closes it without an uncaught exception', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const crashes: Error[] = [];
  const onCrash = (err: Error): void => void crashes.push(err);
  process.on('uncaughtException', onCrash);
  t.teardown(() => process.off('uncaughtException', onCrash));
  for (const fault of [{ Connection: 'empty' }, { Connection: 'reset' }, { Connection: 'empty', LatencyMs: 5 }, { Connection: 'reset', LatencyMs: 5 }]) {
    t.equal((await c.post('/_mock/faults', { Path: '/v1/jobs', ...fault })).status, 200);
    const answer = (await rawExchange(port, 'BREW /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')).text;
    t.notMatch(answer, /HTTP\/1\.1 [0-9]/, `${JSON.stringify(fault)}: no answer, as the fault asks`);
    t.equal((await c.del('/_mock/faults')).status, 200);
  }
  await new Promise((r) => setTimeout(r, 20));
  t.same(crashes.map((e) => e.message), [], 'nothing escaped');
  t.equal((await c.get('/v1/jobs')).status, 200, 'the server keeps serving');
  t.equal(c.mock.guard.count, 0);
});

t.test('a next token that is no plain ASCII goes out as Go writes it (UTF-8 bytes, CR/LF as spaces) instead of hanging the answer', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const odd = 'ジョブ\u0001x\r\ny';
  t.equal((await c.register(minimalJob('a'))).status, 200);
  t.equal((await c.register(minimalJob(odd))).status, 200);
  const answer = (await rawExchange(port, 'GET /v1/jobs?per_page=1&namespace=* HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n')).bytes.toString('latin1');
  t.match(answer, /^HTTP\/1\.1 200 OK\r\n/, 'answered');
  const token = /\r\nX-Nomad-Nexttoken: ([^\r\n]*)\r\n/.exec(answer)?.[1];
  t.equal(token, Buffer.from('default.ジョブ x  y', 'utf8').toString('latin1'), 'raw UTF-8, control bytes and CR/LF as spaces, trimmed');
  t.equal(c.mock.guard.count, 0);
});

t.test('the fuzz oracle flags JavaScript texts, framework bodies and 5xx Nomad does not give', async (t) => {
  const req: FuzzRequest = { method: 'PUT', path: '/v1/jobs', body: '{}' };
  const res = (status: number, body: string, headers = {}) => ({ status, body, headers });
  const kinds = (status: number, body: string, headers = {}) => judge(req, res(status, body, headers), newOracleState(), 1).map((f) => f.kind);
  t.same(kinds(500, "Cannot read properties of null (reading 'RestartPolicy')"), ['js-text', '5xx']);
  t.same(kinds(400, '{"statusCode":400,"error":"Bad Request","message":"Client Error"}'), ['framework']);
  t.same(kinds(500, 'something went wrong'), ['5xx']);
  t.same(kinds(500, '1 error occurred:\n\t* Missing job datacenters\n\n'), []);
  t.same(kinds(200, '{}', { 'x-nomad-index': '1e+300' }), ['index']);
  t.same(judge({ method: 'PUT', path: '/v1/job/undefined' }, res(404, 'job "undefined" not found'), newOracleState(), 1), [], 'an echoed input is no leak');
  const st = newOracleState();
  judge({ method: 'GET', path: '/v1/jobs?index=1&wait=1ms' }, res(200, '[]', { 'x-nomad-index': '9' }), st, 1);
  t.same(judge({ method: 'GET', path: '/v1/jobs' }, res(200, '[]', { 'x-nomad-index': '8' }), st, 2).map((f) => f.kind), ['index'], 'the same query’s index went back');
});

t.test('the fuzz invariants catch a summary that disagrees with the allocations', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const send = async (r: FuzzRequest) => {
    const a = await c.req(r.method, r.path, r.body);
    return { status: a.status, body: a.body, headers: a.headers as Record<string, string> };
  };
  t.same(await checkInvariants(send), [], 'a fresh store is consistent');
  const snap = (await c.get('/_mock/snapshot')).json;
  snap.Summaries[0].Summary.web.Running = 2;
  t.equal((await c.put('/_mock/restore', snap)).status, 200);
  t.same(await checkInvariants(send), ['job default/web group web: summary Running 2, allocations 0']);
});
