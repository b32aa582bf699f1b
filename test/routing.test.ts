// Routing like Nomad's agent (http-semantics §1): Go ServeMux patterns, the wrong-method answer,
// PUT/POST equivalence, HEAD, unclean-path redirects, the root fallthrough, percent-encoded job IDs
// and the fixed suffix order of /v1/job/<rest>.
//
// Assertions the mock does not meet yet are marked `{ todo }` (see GAP_* below); the reference wins.
import t, { type Test } from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { client, minimalJob, type Client, type Res } from './helpers.js';

const TEXT = 'text/plain; charset=utf-8';

// Known gaps between the mock and the reference (each is a reported discrepancy).
const GAP_UNIMPLEMENTED = 'mock answers 501 "nomad-mock does not implement …" for this route';

/** Routes the mock does not implement yet (it answers 501 for them). */
const UNIMPLEMENTED: string[] = [];
const unimplemented = (path: string): boolean => UNIMPLEMENTED.some((s) => path.split('?')[0]!.endsWith(s));

interface WireRes {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: string;
}

/**
 * A real socket: Fastify's inject normalises `..` in URLs, so unclean paths must go over the wire
 * to reach the server untouched.
 */
async function wire(c: Client): Promise<(method: string, path: string) => Promise<WireRes>> {
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = c.mock.app.server.address() as AddressInfo;
  return (method, path) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body }));
      });
      req.on('error', reject);
      req.end();
    });
}

function isInvalidMethod(t: Test, res: Res, what: string, todo?: string): void {
  const extra = todo ? { todo } : {};
  t.equal(res.status, 405, `${what}: 405`, extra);
  t.equal(res.body, what.startsWith('HEAD') ? '' : 'Invalid method', `${what}: body`, extra);
  t.equal(res.headers['content-type'], TEXT, `${what}: plain text`);
  t.equal(res.headers['allow'], undefined, `${what}: no Allow header`);
}

t.test('wrong methods answer 405 "Invalid method" with no Allow header (§1.3)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const cases: [string, string][] = [
    ['DELETE', '/v1/jobs'],
    ['PATCH', '/v1/jobs'],
    ['HEAD', '/v1/jobs'],
    ['OPTIONS', '/v1/jobs'],
    ['PATCH', '/v1/job/web'],
    ['HEAD', '/v1/job/web'],
    ['OPTIONS', '/v1/job/web'],
    ['GET', '/v1/job/web/evaluate'],
    ['DELETE', '/v1/job/web/evaluate'],
    ['PUT', '/v1/job/web/allocations'],
    ['POST', '/v1/job/web/allocations'],
    ['DELETE', '/v1/job/web/allocations'],
    ['HEAD', '/v1/job/web/allocations'],
    ['PUT', '/v1/job/web/evaluations'],
    ['POST', '/v1/job/web/evaluations'],
    ['GET', '/v1/job/web/periodic/force'],
    ['GET', '/v1/job/web/plan'],
    ['DELETE', '/v1/job/web/plan'],
    ['GET', '/v1/job/web/dispatch'],
    ['GET', '/v1/job/web/dispatch/payload'],
    ['GET', '/v1/job/web/revert'],
    ['DELETE', '/v1/job/web/revert'],
    ['PUT', '/v1/job/web/deployments'],
    ['POST', '/v1/job/web/deployment'],
    ['GET', '/v1/job/web/stable'],
    ['DELETE', '/v1/job/web/scale'],
    ['PATCH', '/v1/job/web/scale'],
    ['PUT', '/v1/job/web/services'],
    ['POST', '/v1/job/web/submission?version=0'],
    ['DELETE', '/v1/job/web/submission?version=0'],
    ['POST', '/v1/job/web/actions'],
    ['GET', '/v1/job/web/versions/v1/tag'],
    ['PATCH', '/v1/job/web/versions/v1/tag'],
    ['GET', '/v1/jobs/parse'],
    ['DELETE', '/v1/jobs/parse'],
    ['PUT', '/v1/jobs/statuses'],
    ['DELETE', '/v1/jobs/statuses'],
  ];
  for (const [method, path] of cases) {
    const res = await c.req(method, path);
    isInvalidMethod(t, res, `${method} ${path}`, unimplemented(path) ? GAP_UNIMPLEMENTED : undefined);
  }
});

t.test('query parameters parsed before the method check win over the 405 (§1.3)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  const sub = await c.post('/v1/job/web/submission');
  t.equal(sub.status, 400, 'submission without version, wrong method');
  t.equal(sub.body, 'Unable to parse job submission version parameter');
  const st = await c.put('/v1/jobs/statuses?per_page=x');
  t.equal(st.status, 400, 'statuses with a bad per_page, wrong method');
  t.equal(st.body, 'Expect a number for `per_page` query string parameter');
});

t.test('PUT and POST are both accepted for every write (§1.3, §9)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const [method, path, id] of [
    ['PUT', '/v1/jobs', 'a'],
    ['POST', '/v1/jobs', 'b'],
    ['PUT', '/v1/job/c', 'c'],
    ['POST', '/v1/job/d', 'd'],
    ['PUT', '/v1/job/', 'e'],
    ['POST', '/v1/job/', 'f'],
  ] as const) {
    const res = await c.req(method, path, { Job: minimalJob(id) });
    t.equal(res.status, 200, `${method} ${path} registers ${id}`);
    t.type(res.json?.EvalID, 'string');
    t.equal((await c.get(`/v1/job/${id}`)).status, 200, `${id} exists`);
  }

  for (const method of ['PUT', 'POST']) {
    const ev = await c.req(method, '/v1/job/a/evaluate', { JobID: 'a' });
    t.equal(ev.status, 200, `${method} evaluate`);
    t.type(ev.json?.EvalID, 'string');
  }

  await c.register(minimalJob('a', { Meta: { v: '1' } }));
  const stPut = await c.put('/v1/job/a/stable', { JobID: 'a', JobVersion: 1, Stable: true });
  t.equal(stPut.status, 200, 'PUT stable');
  const stPost = await c.post('/v1/job/a/stable', { JobID: 'a', JobVersion: 1, Stable: false });
  t.equal(stPost.status, 200, 'POST stable');
  t.same(Object.keys(stPost.json), ['Index'], 'stable answers only Index (§6.6)');

  const rvPost = await c.post('/v1/job/a/revert', { JobID: 'a', JobVersion: 0 });
  t.equal(rvPost.status, 200, 'POST revert');
  const rvPut = await c.put('/v1/job/a/revert', { JobID: 'a', JobVersion: 1 });
  t.equal(rvPut.status, 200, 'PUT revert');

  t.equal((await c.put('/v1/job/a/versions/one/tag', { Version: 0 })).status, 200, 'PUT tag');
  t.equal((await c.post('/v1/job/a/versions/two/tag', { Version: 1 })).status, 200, 'POST tag');
  t.equal((await c.del('/v1/job/a/versions/two/tag')).status, 200, 'DELETE tag');

  const scale = await c.post('/v1/job/a/scale', { Count: 2, Target: { Group: 'web' } });
  t.equal(scale.status, 200, 'POST scale');
  const scale2 = await c.put('/v1/job/a/scale', { Count: 1, Target: { Group: 'web' } });
  t.equal(scale2.status, 200, 'PUT scale');
  for (const method of ['PUT', 'POST']) {
    const plan = await c.req(method, '/v1/job/a/plan', { Job: minimalJob('a') });
    t.equal(plan.status, 200, `${method} plan`);
  }

  const del = await c.del('/v1/job/a');
  t.equal(del.status, 200, 'DELETE deregisters');
  t.match((await c.get('/v1/job/a')).json, { Stop: true });
});

t.test('summary and versions never check the method (§1.3)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  for (const sub of ['summary', 'versions']) {
    const get = await c.get(`/v1/job/web/${sub}`);
    t.equal(get.status, 200);
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const res = await c.req(method, `/v1/job/web/${sub}`);
      t.equal(res.status, 200, `${method} ${sub} behaves like GET`);
      t.same(res.json, get.json, `${method} ${sub} same body as GET`);
    }
    const head = await c.req('HEAD', `/v1/job/web/${sub}`);
    t.equal(head.status, 200, `HEAD ${sub} behaves like GET`);
    t.equal(head.body, '', `HEAD ${sub} has no body`);
    t.equal(head.headers['x-nomad-index'], get.headers['x-nomad-index'], `HEAD ${sub} carries the read headers`);
  }
  t.equal((await c.get('/v1/job/web')).status, 200, 'DELETE …/summary did not deregister the job');
  t.match((await c.get('/v1/job/web')).json, { Stop: false });
  const ghost = await c.req('HEAD', '/v1/job/ghost/summary');
  t.equal(ghost.status, 404, 'HEAD of a missing job summary is the GET 404');
});

t.test('unclean paths get a 301 to the cleaned path before any Nomad code (§1.1)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const send = await wire(c);
  const cases: [string, string, string][] = [
    ['GET', '//v1/jobs', '/v1/jobs'],
    ['GET', '/v1/jobs/../jobs', '/v1/jobs'],
    ['GET', '/v1/./jobs', '/v1/jobs'],
    ['GET', '/v1/job//allocations', '/v1/job/allocations'],
    ['GET', '/v1/job/web/./summary', '/v1/job/web/summary'],
    ['PUT', '//v1/jobs', '/v1/jobs'],
    ['DELETE', '/v1/job/x/../web', '/v1/job/web'],
  ];
  for (const [method, path, location] of cases) {
    const res = await send(method, path);
    t.equal(res.status, 301, `${method} ${path}`);
    t.equal(res.headers.location, location, `${method} ${path} → ${location}`);
    t.equal(res.headers['x-nomad-index'], undefined, `${method} ${path}: no Nomad headers`);
  }
  t.equal(c.mock.store.tableIndex('jobs'), 0, 'nothing was registered or deregistered');

  const subtree = await send('GET', '/v1/job');
  t.equal(subtree.status, 301, '/v1/job redirects to the subtree root');
  t.equal(subtree.headers.location, '/v1/job/');
});

t.test('unregistered paths fall to the root handler: 404, empty body, no Content-Type (§1.1)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  for (const [method, path] of [
    ['GET', '/v1/nope'],
    ['GET', '/v1/jobs/'],
    ['GET', '/v1/jobs/web'],
    ['PUT', '/v1/jobs/'],
    ['DELETE', '/v1/jobs/web'],
    ['GET', '/v1/jobsx'],
    ['GET', '/v2/jobs'],
  ]) {
    const res = await c.req(method!, path!);
    t.equal(res.status, 404, `${method} ${path}`);
    t.equal(res.body, '', `${method} ${path}: empty body`);
    t.equal(res.headers['content-type'], undefined, `${method} ${path}: no Content-Type`);
    t.equal(res.headers['x-nomad-index'], undefined, `${method} ${path}: no Nomad headers`);
  }
  const root = await c.get('/');
  t.equal(root.status, 307, '"/" itself redirects');
  t.equal(root.headers.location, '/ui/');
});

t.test('job IDs with percent-encoded slashes reach the job and its sub-resources (§1.2)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const id = 'parent/dispatch-1-abcd';
  const esc = encodeURIComponent(id);
  t.equal(esc, 'parent%2Fdispatch-1-abcd');
  const reg = await c.register(minimalJob(id));
  t.equal(reg.status, 200);

  const job = await c.get(`/v1/job/${esc}`);
  t.equal(job.status, 200);
  t.equal(job.json.ID, id);
  t.equal(job.json.Name, id, 'Name defaults to the ID');

  const summary = await c.get(`/v1/job/${esc}/summary`);
  t.equal(summary.status, 200);
  t.equal(summary.json.JobID, id);

  const versions = await c.get(`/v1/job/${esc}/versions`);
  t.equal(versions.status, 200);
  t.equal(versions.json.Versions.length, 1);
  t.equal(versions.json.Versions[0].ID, id);

  t.same((await c.get(`/v1/job/${esc}/allocations`)).json, []);
  const evals = (await c.get(`/v1/job/${esc}/evaluations`)).json as { ID: string; JobID: string }[];
  t.equal(evals.length, 1);
  t.equal(evals[0]!.ID, reg.json.EvalID);
  t.equal(evals[0]!.JobID, id);

  // The server sees the decoded path, so an unescaped slash names the same job.
  const plain = await c.get(`/v1/job/${id}`);
  t.equal(plain.status, 200, 'unescaped slash: same job');
  t.equal(plain.json.ID, id);
  t.equal((await c.get(`/v1/job/${id}/summary`)).json.JobID, id);

  // Writes through the escaped path compare the decoded ID with the body's.
  const update = await c.put(`/v1/job/${esc}`, { Job: minimalJob(id, { Meta: { v: '2' } }) });
  t.equal(update.status, 200);
  t.equal((await c.get(`/v1/job/${esc}`)).json.Version, 1);
  const mismatch = await c.put(`/v1/job/${esc}`, { Job: minimalJob('parent') });
  t.equal(mismatch.status, 400);
  t.equal(mismatch.body, 'Job ID does not match name');

  const purge = await c.del(`/v1/job/${esc}?purge=true`);
  t.equal(purge.status, 200);
  const gone = await c.get(`/v1/job/${esc}`);
  t.equal(gone.status, 404);
  t.equal(gone.body, 'job not found');
});

t.test('sub-resources are picked by suffix, in Nomad\'s fixed order (§1.2)', async (t) => {
  const c = await client();
  t.teardown(c.close);

  // A job whose ID ends in /summary exists, but /v1/job/<it> reads the summary of the shorter ID.
  t.equal((await c.register(minimalJob('a/summary'))).status, 200);
  t.same(
    ((await c.get('/v1/jobs?prefix=a')).json as { ID: string }[]).map((j) => j.ID),
    ['a/summary'],
    'the job exists',
  );
  const shadowed = await c.get('/v1/job/a%2Fsummary');
  t.equal(shadowed.status, 404, 'parsed as the summary of "a"');
  t.equal(shadowed.body, 'job not found');
  await c.register(minimalJob('a'));
  const summaryOfA = await c.get('/v1/job/a%2Fsummary');
  t.equal(summaryOfA.status, 200);
  t.equal(summaryOfA.json.JobID, 'a', 'the summary of "a", not the job "a/summary"');

  // Same for /allocations: the list of the shorter ID, [] even though "x" does not exist.
  await c.register(minimalJob('x/allocations'));
  const allocs = await c.get('/v1/job/x%2Fallocations');
  t.equal(allocs.status, 200);
  t.same(allocs.json, []);

  // /deployments is tested before /deployment.
  await c.register(minimalJob('web'));
  t.same((await c.get('/v1/job/web/deployments')).json, [], '/deployments: a list');
  const latest = await c.get('/v1/job/web/deployment');
  t.equal(latest.status, 200);
  t.equal(latest.body, 'null', '/deployment: the latest or null');

  // No listed suffix: the whole remainder is the job ID.
  const trailing = await c.get('/v1/job/web/');
  t.equal(trailing.status, 404, 'a trailing slash is part of the ID "web/"');
  t.equal(trailing.body, 'job not found');
  const unknown = await c.get('/v1/job/web/nope');
  t.equal(unknown.status, 404, 'an unknown suffix is part of the ID "web/nope"');
  t.equal(unknown.body, 'job not found');
  const regNested = await c.put('/v1/job/web/nope', { Job: minimalJob('web/nope') });
  t.equal(regNested.status, 200, 'and can even be registered under that ID');
  t.equal((await c.get('/v1/job/web%2Fnope')).json.ID, 'web/nope');

  // The empty ID: GET → 404, DELETE → 500 (§1.3).
  const empty = await c.get('/v1/job/');
  t.equal(empty.status, 404);
  t.equal(empty.body, 'job not found');
  const delEmpty = await c.del('/v1/job/');
  t.equal(delEmpty.status, 500);
  t.equal(delEmpty.body, 'missing job ID for deregistering');

  // /tag needs exactly four parts; an ID containing "/" cannot use it.
  t.equal((await c.put('/v1/job/web/versions/v0/tag', { Version: 0 })).status, 200, 'four parts: tag applied');
  const badTag = await c.put('/v1/job/x%2Fallocations/versions/v0/tag', { Version: 0 });
  t.equal(badTag.status, 404, 'five parts');
  t.equal(badTag.body, 'invalid job tag endpoint');
  const shortTag = await c.put('/v1/job/web/tag', { Version: 0 });
  t.equal(shortTag.status, 404, 'two parts');
  t.equal(shortTag.body, 'invalid job tag endpoint');

  // /dispatch/payload is reached although /dispatch is tested first (the path ends in /payload).
  await c.register(minimalJob('p', { Type: 'batch', ParameterizedJob: { Payload: 'optional' } }));
  const disp = await c.post('/v1/job/p/dispatch/payload', 'hello');
  t.equal(disp.status, 200, 'raw-body dispatch');
  if (disp.status === 200) {
    t.match(disp.json.DispatchedJobID, /^p\/dispatch-\d+-[0-9a-f]{8}$/);
    const child = await c.get(`/v1/job/${encodeURIComponent(disp.json.DispatchedJobID)}`);
    t.equal(child.json.Payload, Buffer.from('hello').toString('base64'), 'the whole raw body is the payload');
    t.equal(child.json.ParentID, 'p');
  }
});

t.test('GET of an unknown job is 404 "job not found" (§5.3)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const path of ['/v1/job/ghost', '/v1/job/ghost/summary', '/v1/job/ghost?namespace=other']) {
    const res = await c.get(path);
    t.equal(res.status, 404, path);
    t.equal(res.body, 'job not found', path);
    t.equal(res.headers['content-type'], TEXT, path);
  }
  await c.register(minimalJob('web'));
  const otherNs = await c.get('/v1/job/web?namespace=other');
  t.equal(otherNs.status, 404, 'wrong namespace is also not found');
  t.equal(otherNs.body, 'job not found');
});
