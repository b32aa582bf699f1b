// scripts/bundle.mjs edits Fastify's per-route start-up work in the bundle (what the package runs):
// these check the bundled server still does what Fastify does for routes and plugins the server
// itself does not add — a route's own hooks, hooks of an encapsulated scope, a HEAD route when a
// scope turns them on, and a plugin's Fastify version range — against tsc's output, which runs
// Fastify as published.
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { createServer } from '../src/server.js';

const bundled = (await import(new URL('../bundle/index.js', import.meta.url).href)) as typeof import('../src/index.js');
const makers = { tsc: createServer, bundle: bundled.createServer };

/** A plugin function with the metadata fastify-plugin would give it. */
function plugin(range: string, body: (app: FastifyInstance) => void = () => {}): (app: FastifyInstance, o: unknown, done: () => void) => void {
  const fn = (app: FastifyInstance, _o: unknown, done: () => void): void => {
    body(app);
    done();
  };
  Object.assign(fn, { [Symbol.for('skip-override')]: true, [Symbol.for('plugin-meta')]: { fastify: range, name: `needs-${range}` } });
  return fn;
}

async function answers(make: typeof createServer): Promise<string[]> {
  const m = make({ logLevel: 'silent' }, undefined, { simulate: false });
  const app = m.app as unknown as FastifyInstance;
  const out: string[] = [];
  app.get('/t/plain', { config: { acl: 'none' } }, async () => 'plain');
  app.get('/t/own', { config: { acl: 'none' }, onSend: async (_q, r, p) => (r.header('x-own', '1'), `${String(p)}+own`) }, async () => 'own');
  await app.register(async (scope) => {
    scope.addHook('onRequest', async (_q, r) => void r.header('x-scope', 'yes'));
    scope.get('/t/scoped', { config: { acl: 'none' } }, async () => 'scoped');
    scope.get('/t/scoped-own', { config: { acl: 'none' }, preHandler: [async (_q, r) => void r.header('x-pre', 'p')] }, async () => 'scoped-own');
  });
  await app.register(plugin('5.x'));
  await app.ready();
  for (const url of ['/t/plain', '/t/own', '/t/scoped', '/t/scoped-own', '/v1/jobs']) {
    const r = await app.inject({ method: 'GET', url });
    out.push(`${url} ${r.statusCode} ${r.body.slice(0, 40)} own=${r.headers['x-own']} scope=${r.headers['x-scope']} pre=${r.headers['x-pre']}`);
  }
  await app.close();
  return out;
}

t.test('route hooks, scope hooks and a plugin for this Fastify answer as Fastify as published does', async (t) => {
  const [a, b] = [await answers(makers.tsc), await answers(makers.bundle)];
  t.same(b, a);
  t.match(a[1], /own=1/, "the route's own onSend hook ran");
  t.match(a[0], /own=undefined scope=undefined/, "no other route's hook ran on /t/plain");
  t.match(a[2], /scope=yes/, "the scope's hook ran on the scope's route");
  t.match(a[3], /scope=yes pre=p/, "a scope route with its own hook got both");
  t.match(a[4], /^\/v1\/jobs 200 \[\]/);
});

for (const [name, make] of Object.entries(makers)) {
  t.test(`${name}: a plugin for another Fastify major is refused at start, as Fastify refuses it`, async (t) => {
    for (const range of ['4.x', '6.x', '>=6.0.0']) {
      const app = make({ logLevel: 'silent' }, undefined, { simulate: false }).app as unknown as FastifyInstance;
      void app.register(plugin(range));
      await t.rejects(async () => app.ready(), { code: 'FST_ERR_PLUGIN_VERSION_MISMATCH' }, range);
      await app.close().catch(() => {});
    }
    for (const range of ['5.x', '>=5.0.0', '^5.0.0']) {
      const app = make({ logLevel: 'silent' }, undefined, { simulate: false }).app as unknown as FastifyInstance;
      void app.register(plugin(range));
      await t.resolves(async () => app.ready(), range);
      await app.close();
    }
  });
}

/** HEAD requests to a scope that turns Fastify's HEAD routes on, and to the server's own routes. */
async function headAnswers(make: typeof createServer): Promise<string[]> {
  const app = make({ logLevel: 'silent' }, undefined, { simulate: false }).app as unknown as FastifyInstance;
  await app.register(async (scope) => {
    scope.route({ method: 'GET', url: '/t/head', exposeHeadRoute: true, config: { acl: 'none' }, handler: async () => 'body' });
  });
  await app.ready();
  const out: string[] = [];
  for (const url of ['/t/head', '/v1/jobs', '/v1/nodes']) {
    const r = await app.inject({ method: 'HEAD', url });
    out.push(`${url} ${r.statusCode} ${JSON.stringify({ ...r.headers, date: undefined })} ${r.body}`);
  }
  await app.close();
  return out;
}

t.test('HEAD answers with a scope that exposes HEAD routes are those of Fastify as published', async (t) => {
  const [a, b] = [await headAnswers(makers.tsc), await headAnswers(makers.bundle)];
  t.same(b, a);
  t.equal(a.length, 3);
});
