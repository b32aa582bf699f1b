// Namespace.Hash: Nomad's BLAKE2b-256 over the user-set fields, base64 as Go encodes []byte, set on
// the default namespace at start and on every namespace a client writes.
import t from 'tap';
import { createHash } from 'node:crypto';
import { client } from './helpers.js';
import { blake2b } from '../state/blake2b.js';

const b2 = (s: string): string => blake2b(Buffer.from(s, 'utf8'), 32).toString('base64');

t.test('BLAKE2b matches the RFC 7693 vectors and Node\'s BLAKE2b-512', async (t) => {
  t.equal(blake2b(Buffer.alloc(0), 32).toString('hex'), '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8');
  for (const s of ['', 'abc', 'x'.repeat(127), 'y'.repeat(128), 'z'.repeat(129), 'ü'.repeat(300)]) {
    t.same(blake2b(Buffer.from(s), 64), createHash('blake2b512').update(s).digest(), `${s.length} chars`);
  }
  // Every length up to three blocks, of bytes whose high bits are set (carries in every addition).
  const differ: number[] = [];
  for (let n = 0; n <= 400; n++) {
    const data = Buffer.alloc(n, 0);
    for (let i = 0; i < n; i++) data[i] = (i * 151 + n * 7 + 200) & 0xff;
    if (!blake2b(data, 64).equals(createHash('blake2b512').update(data).digest())) differ.push(n);
  }
  t.same(differ, [], 'every length from 0 to 400 bytes');
});

t.test('the default namespace carries its hash from the start', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const ns = (await c.get('/v1/namespace/default')).json;
  t.equal(ns.Hash, b2('defaultDefault shared namespace'));
  t.equal(Buffer.from(ns.Hash, 'base64').length, 32);
  const listed = (await c.get('/v1/namespaces')).json.find((n: { Name: string }) => n.Name === 'default');
  t.equal(listed.Hash, ns.Hash);
});

t.test('a namespace a client writes gets the hash of its fields, meta in key order', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.put('/v1/namespace/team', { Name: 'team', Description: 'd', Meta: { z: '1', a: '2' } })).status, 200);
  const ns = (await c.get('/v1/namespace/team')).json;
  t.equal(ns.Hash, b2('teamd' + 'a2' + 'z1'));
  await c.put('/v1/namespace/team', { Name: 'team', Description: 'd', Meta: { a: '2', z: '1' } });
  t.equal((await c.get('/v1/namespace/team')).json.Hash, ns.Hash, 'the same fields hash the same');
  await c.put('/v1/namespace/team', { Name: 'team', Description: 'e' });
  t.not((await c.get('/v1/namespace/team')).json.Hash, ns.Hash, 'a changed field changes the hash');
});
