// What the server tells on its log: the start-up banner, one line per request, and what the cluster
// does, as JSON lines when stdout is not a terminal and as readable lines with --log-format pretty.
import t from 'tap';
import { start } from './cli-helpers.js';

const send = async (url: string, method: string, body?: unknown): Promise<number> =>
  (await fetch(url, { method, body: body === undefined ? undefined : JSON.stringify(body) })).status;

const job = (id: string): unknown => ({ Job: { ID: id, Type: 'batch', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'mock_driver', Config: { run_for: '1s' } }] }] } });

/** The JSON log records printed so far (the banner's text lines are not JSON). */
function records(output: string): Record<string, unknown>[] {
  return output.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

t.test('the banner states the effective settings', async (t) => {
  const s = await start(t, ['--port', '0', '--clock', 'manual', '--nodes', '3', '--acl', '--log-level', 'warn']);
  const out = s.output();
  t.match(out, `nomad-mock listening on ${s.url} (region global)\n==> nomad-mock `);
  t.match(out, /Nomad API: 2\.0\.5, region global\n/);
  t.match(out, /Nodes: 3 simulated \(dc1, pool default\)\n/);
  t.match(out, /Clock: manual/);
  t.match(out, /ACL: enabled/);
  t.match(out, /Data dir: none/);
  t.match(out, new RegExp(`Control API: ${s.url}/_mock/ \\(open, no token\\)`));
  t.match(out, new RegExp(`Web UI: ${s.url}/ui/`));
  t.match(out, /Log: warn, json\n/, 'not a terminal: JSON lines');
});

t.test('json: one record per request, and what the cluster does with a job', async (t) => {
  const s = await start(t, ['--port', '0']);
  t.equal(await send(`${s.url}/v1/jobs`, 'PUT', job('nightly')), 200);
  t.equal(await send(`${s.url}/v1/jobs?prefix=n&X-Nomad-Token=secret`, 'GET'), 200);
  await s.until(/alloc \w+ \(nightly\.g\[0\]\) complete/);
  const recs = records(s.output());
  const put = recs.find((r) => r.msg === undefined ? false : String(r.msg).startsWith('PUT /v1/jobs 200'));
  t.match(put, { level: 30, method: 'PUT', path: '/v1/jobs', status: 200, ms: Number });
  t.match(String(put?.msg), /^PUT \/v1\/jobs 200 \d+(\.\d+)?ms$/);
  const get = recs.find((r) => r.method === 'GET' && r.path === '/v1/jobs');
  t.ok(get, 'the GET is logged');
  t.notMatch(s.output(), /secret/, 'the query (which may carry a token) is never logged');
  t.ok(recs.some((r) => /^eval \w{8} for job "nightly" \(job-register\) complete$/.test(String(r.msg))), 'the eval');
  t.ok(recs.some((r) => /^alloc \w{8} \(nightly\.g\[0\]\) started on node mock-node-1$/.test(String(r.msg))), 'the alloc starting');
  t.notOk(recs.some((r) => r.msg === 'incoming request' || r.msg === 'request completed'), "no Fastify request lines besides ours");
});

t.test('a blocked placement says why; a 5xx logs its message; a fault says it fired', async (t) => {
  const s = await start(t, ['--port', '0', '--nodes', '0']);
  t.equal(await send(`${s.url}/v1/jobs`, 'PUT', job('waiting')), 200);
  await s.until(/could not place everything/);
  const blocked = records(s.output()).find((r) => /for job "waiting" could not place everything/.test(String(r.msg)));
  t.match(String(blocked?.msg), /task group "g" failed to place 1 allocation: no nodes were eligible for evaluation; blocked eval \w{8} waits for capacity$/);
  t.equal(await send(`${s.url}/_mock/faults`, 'POST', { Method: 'GET', Path: '/v1/nodes', Status: 503, Body: 'upstream down' }), 200);
  t.equal(await send(`${s.url}/v1/nodes`, 'GET'), 503);
  await s.until(/GET \/v1\/nodes 503/);
  const recs = records(s.output());
  t.match(recs.find((r) => String(r.msg).startsWith('fault ')), { level: 30, msg: /^fault \d+ fired on GET \/v1\/nodes: answering 503$/ });
  t.match(recs.find((r) => String(r.msg).startsWith('fault ')), { reqId: /^req-[0-9a-z]+$/ }, "logged through the request's own logger, with its reqId");
  t.match(recs.find((r) => String(r.msg).startsWith('GET /v1/nodes 503')), { level: 50, status: 503, error: 'upstream down', msg: /: upstream down$/ });
});

t.test('pretty: one readable line per event', async (t) => {
  const s = await start(t, ['--port', '0', '--log-format', 'pretty']);
  t.equal(await send(`${s.url}/v1/jobs`, 'PUT', job('web')), 200);
  await s.until(/started on node/);
  const lines = s.output().split('\n').filter((l) => l.startsWith('['));
  t.ok(lines.length >= 3);
  for (const l of lines) t.match(l, /^\[\d\d:\d\d:\d\d\.\d{3}\] (INFO|WARN|ERROR): \S/, l);
  t.ok(lines.some((l) => /INFO: PUT \/v1\/jobs 200 \d+(\.\d+)?ms$/.test(l)), 'the request line carries no JSON tail');
  t.notMatch(s.output(), /"level":/, 'no JSON');
});
