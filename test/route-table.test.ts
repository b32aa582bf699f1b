// Every route Nomad CE registers answers as Nomad does, or says nomad-mock does not implement it;
// no Nomad route is an empty 404, and paths Nomad does not route get exactly its mux's answer.
import t from 'tap';
import { client } from './helpers.js';
import { ENT_ONLY_TEXT, NOMAD_ROUTES, matchNomadRoute, samplePath } from '../routes/http/nomad-routes.js';
import { notImplementedText } from '../routes/http/fallback.js';
import { INTERNAL_ERROR_TEXT } from '../routes/http/client-errors.js';

/** Routes that stream until the client leaves: covered by their own tests. */
const STREAMING = new Set(['/v1/event/stream', '/v1/agent/monitor']);

t.test('every Nomad route answers, never with an empty 404', async (t) => {
  const c = await client({ simulate: true, config: { clock: 'manual' } });
  t.teardown(c.close);
  let walked = 0;
  for (const route of NOMAD_ROUTES) {
    if (route.pattern === '/' || STREAMING.has(route.pattern)) continue;
    const path = samplePath(route);
    for (const method of route.methods ?? ['GET', 'PUT', 'DELETE']) {
      if (STREAMING.has(path) && method === 'GET') continue;
      const res = await c.req(method, path);
      walked++;
      const what = `${method} ${path} (${route.handler})`;
      t.notOk(res.status === 404 && res.body === '', `${what}: not an empty 404`);
      t.not(res.body, INTERNAL_ERROR_TEXT, `${what}: no unanticipated exception`);
      if (res.status === 501 && method !== 'HEAD') {
        const allowed = [ENT_ONLY_TEXT, notImplementedText(method, route.pattern), 'Invalid method'];
        t.ok(allowed.includes(res.body), `${what}: the 501 says why (${res.body})`);
      }
      if (route.enterprise) {
        t.equal(res.status, 501, `${what}: enterprise-only in CE`);
        t.equal(res.body, ENT_ONLY_TEXT);
        t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
      }
    }
  }
  t.ok(walked > 150, `walked ${walked} requests`);
});

t.test('a Nomad route nomad-mock does not emulate answers 501 naming the method and route', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const [method, path, pattern] of [
    ['GET', '/v1/client/allocation/abc/snapshot', '/v1/client/allocation/'],
    ['GET', '/v1/client/allocations/prometheus-sd?x=1', '/v1/client/allocations/prometheus-sd'],
    ['PUT', '/v1/agent/reload', '/v1/agent/reload'],
    ['GET', '/.well-known/jwks.json', '/.well-known/jwks.json'],
  ] as const) {
    const res = await c.req(method, path);
    t.equal(res.status, 501, `${method} ${path}`);
    t.equal(res.body, `nomad-mock does not implement ${method} ${pattern}`);
    t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  }
});

t.test('enterprise-only routes answer as Nomad CE: 501 "Nomad Enterprise only endpoint" for every method', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const path of ['/v1/quotas', '/v1/quota', '/v1/quota/q1', '/v1/quota-usages', '/v1/sentinel/policies', '/v1/sentinel/policy/p', '/v1/recommendations', '/v1/recommendations/apply', '/v1/recommendation/r', '/v1/recommendation']) {
    for (const method of ['GET', 'PUT', 'POST', 'DELETE']) {
      const res = await c.req(method, path, method === 'GET' ? undefined : {});
      t.equal(res.status, 501, `${method} ${path}`);
      t.equal(res.body, 'Nomad Enterprise only endpoint');
    }
  }
});

t.test('paths Nomad does not route get its mux answer: empty 404, "/" → /ui/, subtree roots redirect', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const path of ['/v1/nope', '/v2/jobs', '/v1/quotasx', '/debug/pprof/', '/v1/agent', '/favicon.ico', '/v1/jobs/']) {
    const res = await c.get(path);
    t.equal(res.status, 404, path);
    t.equal(res.body, '', `${path}: empty body`);
    t.equal(res.headers['content-type'], undefined, `${path}: no Content-Type`);
  }
  const root = await c.get('/?a=1');
  t.equal(root.status, 307);
  t.equal(root.headers.location, '/ui/?a=1', 'the query rides along');
  t.equal(root.body, '<a href="/ui/?a=1">Temporary Redirect</a>.\n\n', 'Go\'s http.Redirect body');
  t.equal(root.headers['content-type'], 'text/html; charset=utf-8');
  const put = await c.put('/');
  t.equal(put.status, 307);
  t.equal(put.body, '', 'no body but for GET');
  for (const [path, location] of [
    ['/v1/agent/keyring', '/v1/agent/keyring/'],
    ['/v1/operator/raft?stale', '/v1/operator/raft/?stale'],
    ['/v1/volume/csi', '/v1/volume/csi/'],
  ] as const) {
    const res = await c.get(path);
    t.equal(res.status, 301, path);
    t.equal(res.headers.location, location);
    t.equal(res.body, `<a href="${location}">Moved Permanently</a>.\n\n`);
  }
});

t.test('the table resolves paths as Go\'s ServeMux does', async (t) => {
  const route = (p: string): string => {
    const m = matchNomadRoute(p);
    return m.kind === 'route' ? m.route.pattern : `→ ${m.location}`;
  };
  t.equal(route('/v1/node/pools'), '/v1/node/pools', 'exact beats subtree');
  t.equal(route('/v1/node/pool/x'), '/v1/node/pool/', 'the longest subtree wins');
  t.equal(route('/v1/node/pool'), '→ /v1/node/pool/', 'a subtree root without its slash redirects');
  t.equal(route('/v1/node/abc'), '/v1/node/');
  t.equal(route('/v1/acl/token'), '/v1/acl/token', 'registered both ways: no redirect');
  t.equal(route('/v1/quota'), '/v1/quota');
  t.equal(route('/v1/unknown'), '/');
});
