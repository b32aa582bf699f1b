// Nomad writes JSON through Go encoders, which escape U+2028 and U+2029 inside strings; clients that
// compare bodies byte for byte (or splice them into JavaScript) see the escapes, never the raw characters.
import { test, type Test } from 'tap';
import type { AddressInfo } from 'node:net';
import { minimalJob, openStream, simClient, type Res } from './helpers.js';

const ODD = 'line\u2028para\u2029end';
const ESCAPED = 'line\\u2028para\\u2029end';

function escapedOnly(t: Test, r: Res, what: string): void {
  t.equal(r.status, 200, `${what}: 200`);
  t.ok(r.body.includes(ESCAPED), `${what}: the separators are escaped`);
  t.notOk(/[\u2028\u2029]/.test(r.body), `${what}: no raw separator in the body`);
}

test('U+2028 and U+2029 in stored strings are written escaped, as Go encoders write them', async (t) => {
  const c = await simClient();
  t.teardown(() => c.close());
  const job = minimalJob('sep', { Meta: { note: ODD } });
  const reg = await c.register(job);
  t.equal(reg.status, 200);
  await c.advance(1000);

  const one = await c.get('/v1/job/sep');
  escapedOnly(t, one, 'GET job');
  t.equal(one.json.Meta.note, ODD, 'the value decodes to what was registered');
  escapedOnly(t, await c.get('/v1/job/sep?pretty'), 'GET job ?pretty');
  escapedOnly(t, await c.get('/v1/jobs?meta=true'), 'job list with meta');
  escapedOnly(t, await c.get('/v1/job/sep/versions'), 'versions');
  const allocs = await c.get('/v1/job/sep/allocations');
  t.equal(allocs.status, 200);
  t.equal(allocs.json.length, 1, 'one alloc placed');
  escapedOnly(t, await c.get(`/v1/allocation/${allocs.json[0].ID as string}`), 'allocation with its job');

  const put = await c.put('/v1/var/sep/x', { Items: { k: ODD } });
  t.equal(put.status, 200);
  escapedOnly(t, put, 'variable write answer');
  escapedOnly(t, await c.get('/v1/var/sep/x'), 'variable read');

  // A body that holds none of them is the plain JSON.stringify text.
  const plain = await c.get('/v1/job/sep/summary');
  t.equal(plain.body, JSON.stringify(plain.json), 'other answers unchanged');
});

test('the event stream escapes the separators in its payloads', async (t) => {
  const c = await simClient();
  t.teardown(() => c.close());
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const s = await openStream(port, '/v1/event/stream?topic=Job');
  t.teardown(() => s.close());
  t.equal(s.status, 200);
  t.equal((await c.register(minimalJob('sep', { Meta: { note: ODD } }))).status, 200);
  const text = await s.until((x) => x.includes('"JobRegistered"'));
  t.ok(text.includes(ESCAPED), 'escaped in the event line');
  t.notOk(/[\u2028\u2029]/.test(text), 'no raw separator in the stream');
});
