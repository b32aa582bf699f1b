// Every method Node parses is looked up in GET's router tree (routes/http/method-routing.ts)
// instead of a tree of its own: every answer, the journal and the request log must be what a router
// with one tree per method gives. The bundle (dist/bundle, what the package runs) is asked too: its
// router compiles its matchers on first use (scripts/bundle.mjs).
import t, { type Test } from 'tap';
import type { AddressInfo } from 'node:net';
import { createServer, type NomadMock } from '../src/server.js';
import { NOMAD_ROUTES, samplePath } from '../routes/http/nomad-routes.js';
import { ROUTED_METHODS } from '../routes/http/method-routing.js';
import { rawExchange } from './helpers.js';

// Nomad's monitor and event stream stream for any method: an answer that never ends is not compared.
const STREAMS = new Set(['/v1/agent/monitor', '/v1/event/stream']);
const CONTROL = ['/_mock/health', '/_mock/reset', '/_mock/nodes', '/_mock/node/example', '/_mock/clock', '/_mock/faults', '/_mock/snapshot', '/_mock/scenario'];
const paths = [...new Set([...NOMAD_ROUTES.map((r) => samplePath(r)), ...CONTROL, '/', '/ui/', '/ui/jobs', '/nope', '/v1/jobs?prefix=a&prefix=b', '/v1/%zz'])].filter((p) => !STREAMS.has(p));

// Three servers answer ~4,500 requests each: on a shared, loaded machine the default 60 s per file is too tight.
t.setTimeout(180_000);

const bundled = (await import(new URL('../bundle/index.js', import.meta.url).href)) as typeof import('../src/index.js');

async function pair(t: Test, add?: (app: NomadMock['app']) => void): Promise<[NomadMock, NomadMock, NomadMock]> {
  // The same seed and a manual clock: the servers see the same requests and give the same answers.
  const config = { logLevel: 'silent' as const, clock: 'manual' as const, seed: 'method-routing' };
  const routed = createServer(config, undefined, { simulate: true });
  const ownTrees = createServer(config, undefined, { simulate: true, treePerMethod: true });
  const bundle = bundled.createServer(config, undefined, { simulate: true });
  add?.(routed.app);
  add?.(ownTrees.app);
  add?.(bundle.app);
  t.teardown(() => Promise.all([routed.app.close(), ownTrees.app.close(), bundle.app.close()]));
  await Promise.all([routed.app.ready(), ownTrees.app.ready(), bundle.app.ready()]);
  return [routed, ownTrees, bundle];
}

type Answer = { statusCode: number; body: string; headers: Record<string, unknown> };
const strip = (h: Record<string, unknown>): Record<string, unknown> => ({ ...h, date: undefined });
/** Where `a` and `b` differ (status, headers but Date, body), or null. */
function difference(what: string, a: Answer, b: Answer, bodies = true): string | null {
  if (a.statusCode === b.statusCode && (!bodies || (a.body === b.body && JSON.stringify(strip(a.headers)) === JSON.stringify(strip(b.headers))))) return null;
  return `${what}: ${a.statusCode} ${a.body.slice(0, 80)} / ${b.statusCode} ${b.body.slice(0, 80)}`;
}

t.test('every path answers each method as a router with a tree per method does', async (t) => {
  const [routed, ownTrees, bundle] = await pair(t);
  t.equal(ROUTED_METHODS.size, 34, "the methods Node's parser accepts, but CONNECT");
  let compared = 0;
  const differ: string[] = [];
  for (const path of paths) {
    for (const method of ROUTED_METHODS) {
      const headers = { 'content-type': 'application/json' };
      const ask = (m: NomadMock): Promise<Answer> => m.app.inject({ method: method as 'GET', url: path, headers });
      const [a, b, c] = await Promise.all([ask(routed), ask(ownTrees), ask(bundle)]);
      compared++;
      // The metrics hold the measured durations of the requests so far.
      const bodies = !(method === 'GET' && path === '/v1/metrics');
      for (const d of [difference(`${method} ${path}`, a, b, bodies), difference(`${method} ${path} (bundle)`, c, b, bodies)]) if (d) differ.push(d);
    }
  }
  t.ok(compared === paths.length * 34 && paths.length > 100, `${compared} requests compared`);
  t.same(differ, [], 'the same status, headers and body');
  // The journal records each request under its own method, in the same order.
  const journal = async (m: NomadMock): Promise<string[]> =>
    (JSON.parse((await m.app.inject({ url: '/_mock/requests' })).body) as { Method: string; Path: string; Status: number }[]).map((e) => `${e.Method} ${e.Path} ${e.Status}`);
  const [ja, jb, jc] = await Promise.all([journal(routed), journal(ownTrees), journal(bundle)]);
  t.ok(ja.some((e) => e.startsWith('PROPFIND /v1/jobs ')), 'an extra method is journaled as itself');
  t.same(ja, jb);
  t.same(jc, jb, "the bundle's journal");
});

t.test('over a socket a method reaches its route as itself, and a bad path is refused alike', async (t) => {
  const [routed, ownTrees, bundle] = await pair(t);
  const ports = await Promise.all(
    [routed, ownTrees, bundle].map(async (m) => {
      await m.app.listen({ port: 0, host: '127.0.0.1' });
      return (m.app.server.address() as AddressInfo).port;
    }),
  );
  for (const request of ['PROPFIND /v1/jobs HTTP/1.1', 'UNSUBSCRIBE /v1/job/example HTTP/1.1', 'M-SEARCH /v1/nope HTTP/1.1', 'MKCOL /v1/%zz HTTP/1.1', 'PURGE /v1/agent/self HTTP/1.1', 'HEAD /v1/jobs HTTP/1.1', 'DELETE /v1/job/example HTTP/1.1', 'OPTIONS * HTTP/1.1', 'POST /v1/%zz HTTP/1.1', 'TRACE /v1/nope HTTP/1.1', 'QUERY /v1/regions HTTP/1.1']) {
    const data = `${request}\r\nHost: x\r\nConnection: close\r\n\r\n`;
    const [a, b, c] = await Promise.all(ports.map((p) => rawExchange(p, data)));
    const noDate = (s: string): string => s.replace(/^Date: .*\r\n/im, '');
    t.equal(noDate(a.text), noDate(b.text), request);
    t.equal(noDate(c!.text), noDate(b.text), `${request} (bundle)`);
    t.match(a.text, /^HTTP\/1\.1 \d{3} /, `${request}: answered`);
  }
  const log = (JSON.parse((await routed.app.inject({ url: '/_mock/requests' })).body) as { Method: string }[]).map((e) => e.Method);
  t.ok(log.includes('PROPFIND') && log.includes('UNSUBSCRIBE') && !log.includes('PATCH'), `journaled as themselves: ${log.join(', ')}`);
});


t.test('routes added for some methods only answer as in a router with a tree per method', async (t) => {
  const [routed, ownTrees, bundle] = await pair(t, (app) => {
    const say = (what: string) => async (): Promise<string> => what;
    app.get('/v1/only-get', { config: { acl: 'none' } }, say('get'));
    app.route({ method: ['PUT', 'POST'], url: '/v1/put-or-post/:id', config: { acl: 'none' }, handler: say('put-or-post') });
    app.delete('/v1/put-or-post/:id', { config: { acl: 'none' } }, say('delete'));
    // Beside and below Nomad's own routes: the more specific route wins for its methods only.
    app.route({ method: ['POST', 'PROPFIND'], url: '/v1/job/:id/custom', config: { acl: 'none' }, handler: say('custom') });
    app.patch('/v1/*', { config: { acl: 'none' } }, say('any-v1-patch'));
    app.get('/_mock/extra/*', { config: { acl: 'none' } }, say('extra'));
  });
  const extra = ['/v1/only-get', '/v1/put-or-post/7', '/v1/job/example/custom', '/v1/jobs', '/v1/nowhere', '/v1/job/example', '/_mock/extra/a', '/_mock/health'];
  const differ: string[] = [];
  let compared = 0;
  for (const path of extra) {
    for (const method of ROUTED_METHODS) {
      const ask = (m: NomadMock): Promise<Answer> => m.app.inject({ method: method as 'GET', url: path });
      const [a, b, c] = await Promise.all([ask(routed), ask(ownTrees), ask(bundle)]);
      compared++;
      for (const d of [difference(`${method} ${path}`, a, b), difference(`${method} ${path} (bundle)`, c, b)]) if (d) differ.push(d);
    }
  }
  t.equal(compared, extra.length * 34);
  t.same(differ, [], 'the same status, headers and body');
  const answer = async (method: string, url: string): Promise<string> => (await routed.app.inject({ method: method as 'GET', url })).body;
  t.equal(await answer('GET', '/v1/only-get'), 'get');
  t.equal(await answer('POST', '/v1/put-or-post/7'), 'put-or-post');
  t.equal(await answer('DELETE', '/v1/put-or-post/7'), 'delete');
  t.equal(await answer('PROPFIND', '/v1/job/example/custom'), 'custom');
  t.equal(await answer('PATCH', '/v1/nowhere'), 'any-v1-patch');
  t.not(await answer('PATCH', '/v1/jobs'), 'any-v1-patch', "Nomad's own static route is more specific");
});

t.test('a method mounted twice on a path is refused, as with a tree per method', async (t) => {
  for (const treePerMethod of [false, true]) {
    const m = createServer({ logLevel: 'silent' }, undefined, { simulate: false, treePerMethod });
    t.teardown(() => m.app.close());
    m.app.put('/v1/twice', async () => 'x');
    t.throws(() => m.app.put('/v1/twice', async () => 'x'), { code: 'FST_ERR_DUPLICATED_ROUTE' });
    t.throws(() => m.app.all('/v1/jobs', async () => 'x'), { code: 'FST_ERR_DUPLICATED_ROUTE' });
    t.doesNotThrow(() => m.app.post('/v1/twice', async () => 'x'), 'another method on the same path mounts');
  }
});
