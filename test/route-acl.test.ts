// Every route declares its ACL capability where it is mounted (routes/acl/rules.ts); the authorizer
// reads the declaration, and lets only management tokens through a route that has none.
import { test } from 'tap';
import { createServer } from '../src/server.js';
import { undeclaredRoutes } from '../routes/index.js';

const handler = async (): Promise<string> => 'ok';

test('every route the server mounts declares its ACL capability', async (t) => {
  const mock = createServer({ acl: true });
  t.teardown(() => mock.app.close());
  t.same(undeclaredRoutes(mock.app), []);
  mock.app.all('/v1/undeclared', handler);
  mock.app.all('/v1/declared', { config: { acl: 'none' } }, handler);
  const found = undeclaredRoutes(mock.app);
  t.equal(found.length, 1, 'a route without one is noticed');
  t.match(found[0], /^GET,.* \/v1\/undeclared$/);
});

test('a declared rule is what the authorizer enforces; an undeclared route is management-only', async (t) => {
  const mock = createServer({ acl: true });
  t.teardown(() => mock.app.close());
  mock.app.all('/v1/open', { config: { acl: 'none' } }, handler);
  mock.app.all('/v1/needs-node-read', { config: { acl: () => ({ check: { kind: 'node-read' } }) } }, handler);
  mock.app.all('/v1/not-for-put', { config: { acl: (req) => (req.method === 'PUT' ? null : { check: { kind: 'management' } }) } }, handler);
  mock.app.get('/v1/undeclared', handler);
  t.equal((await mock.app.inject({ method: 'GET', url: '/v1/open' })).statusCode, 200, 'a declared open route answers without a token');
  const denied = await mock.app.inject({ method: 'GET', url: '/v1/needs-node-read' });
  t.equal(denied.statusCode, 403);
  t.equal(denied.body, 'Permission denied');
  t.equal((await mock.app.inject({ method: 'PUT', url: '/v1/not-for-put' })).statusCode, 200, 'a null rule needs no token');
  t.equal((await mock.app.inject({ method: 'GET', url: '/v1/not-for-put' })).statusCode, 403);
  t.equal((await mock.app.inject({ method: 'GET', url: '/v1/undeclared' })).statusCode, 403);
  t.equal((await mock.app.inject({ method: 'GET', url: '/v1/no-such-route' })).statusCode, 404, 'no route: the 404 needs no token');
  const boot = await mock.app.inject({ method: 'POST', url: '/v1/acl/bootstrap' });
  const secret = JSON.parse(boot.body).SecretID as string;
  t.equal((await mock.app.inject({ method: 'GET', url: '/v1/undeclared', headers: { 'x-nomad-token': secret } })).statusCode, 200);
});
