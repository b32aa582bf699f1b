// The drain and eligibility endpoints themselves (/v1/node/:id/drain, /eligibility): answers,
// errors, node state and events, ACL; test/node-drain.test.ts drives the drainer.
import t from 'tap';
import { aclSession, client, index, streamEvents, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const S = 1e9;

const node = async (c: Client, id: string): Promise<Obj> => (await c.get(`/v1/node/${id}`)).json as Obj;

t.test('updating a running drain keeps StartedAt and records "Node drain strategy updated"', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.mock.control.nodes.add({ Name: 'n1' });
  const id = ((await c.get('/v1/nodes')).json as Obj[])[0]!.ID as string;
  await c.post(`/v1/node/${id}/drain`, { DrainSpec: { Deadline: 60 * S } });
  const first = await node(c, id);
  await c.post(`/v1/node/${id}/drain`, { DrainSpec: { Deadline: 120 * S, IgnoreSystemJobs: true } });
  const second = await node(c, id);
  t.equal(second.DrainStrategy.StartedAt, first.DrainStrategy.StartedAt);
  t.match(second.DrainStrategy, { Deadline: 120 * S, IgnoreSystemJobs: true });
  t.match(second.Events.at(-1), { Message: 'Node drain strategy updated', Subsystem: 'Drain' });
  t.equal(second.LastDrain.StartedAt, first.LastDrain.StartedAt);
});

t.test('eligibility: toggles with Cluster events, the same value writes nothing, eligible refused while draining', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.mock.control.nodes.add({ Name: 'n1' });
  const id = ((await c.get('/v1/nodes')).json as Obj[])[0]!.ID as string;
  const off = await c.put(`/v1/node/${id}/eligibility`, { Eligibility: 'ineligible' });
  t.equal(off.status, 200);
  t.same(off.json, { NodeModifyIndex: off.json.Index, EvalIDs: null, EvalCreateIndex: 0, Index: index(off) });
  let n = await node(c, id);
  t.match(n, { SchedulingEligibility: 'ineligible', ModifyIndex: off.json.Index });
  t.match(n.Events.at(-1), { Message: 'Node marked as ineligible for scheduling', Subsystem: 'Cluster' });

  const same = await c.post(`/v1/node/${id}/eligibility`, { Eligibility: 'ineligible' });
  t.equal(same.status, 200);
  t.same(same.json, { NodeModifyIndex: 0, EvalIDs: null, EvalCreateIndex: 0, Index: 0 });
  t.equal(same.headers['x-nomad-index'], '0');
  t.equal((await node(c, id)).ModifyIndex, off.json.Index);

  const on = await c.post(`/v1/node/${id}/eligibility`, { Eligibility: 'eligible' });
  n = await node(c, id);
  t.match(n, { SchedulingEligibility: 'eligible', ModifyIndex: on.json.Index });
  t.match(n.Events.at(-1), { Message: 'Node marked as eligible for scheduling', Subsystem: 'Cluster' });

  await c.post(`/v1/node/${id}/drain`, { DrainSpec: { Deadline: 0 } });
  const draining = (await node(c, id)).ModifyIndex;
  const refused = await c.post(`/v1/node/${id}/eligibility`, { Eligibility: 'eligible' });
  t.equal(refused.status, 500);
  t.equal(refused.body, "can not set node's scheduling eligibility to eligible while it is draining");
  t.equal((await node(c, id)).ModifyIndex, draining, 'a refused change writes nothing');
  // The body's NodeID wins over the path's.
  const viaBody = await c.post('/v1/node/whatever/eligibility', { NodeID: id, Eligibility: 'ineligible' });
  t.equal(viaBody.status, 200);
  t.equal(viaBody.json.Index, 0, 'already ineligible while draining');
});

t.test('bad drain and eligibility requests get Nomad\'s answers and leave the node unchanged', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.mock.control.nodes.add({ Name: 'n1' });
  const id = ((await c.get('/v1/nodes')).json as Obj[])[0]!.ID as string;
  const modify = (await node(c, id)).ModifyIndex;
  const cases: [string, string, unknown, number, string | RegExp][] = [
    ['GET', `/v1/node/${id}/drain`, undefined, 405, 'Invalid method'],
    ['DELETE', `/v1/node/${id}/eligibility`, undefined, 405, 'Invalid method'],
    ['POST', `/v1/node/${id}/drain`, undefined, 400, 'Request body is empty'],
    ['POST', `/v1/node/${id}/eligibility`, undefined, 400, 'Request body is empty'],
    ['POST', `/v1/node/${id}/drain`, '{"DrainSpec":', 400, 'unexpected EOF'],
    ['POST', `/v1/node/${id}/drain`, { DrainSpec: { Deadline: '1h' } }, 400, /cannot unmarshal string into Go struct field .*Deadline of type time.Duration/],
    ['POST', `/v1/node/${id}/drain`, { Meta: { a: 1 } }, 400, /cannot unmarshal number into Go struct field .*Meta of type string/],
    ['POST', `/v1/node/${id}/eligibility`, { Eligibility: 'bogus' }, 500, 'invalid scheduling eligibility "bogus"'],
    ['POST', `/v1/node/${id}/eligibility`, {}, 500, 'invalid scheduling eligibility ""'],
    ['POST', `/v1/node/${id}/eligibility`, 'null', 500, 'invalid scheduling eligibility ""'],
    ['POST', `/v1/node/${id}/drain`, '7', 400, 'json: cannot unmarshal number into Go value of type api.NodeUpdateDrainRequest'],
    ['POST', `/v1/node/${id}/eligibility`, { Eligibility: 'eligible', NodeEvent: { Message: 'x' } }, 500, 'node event must not be set'],
    ['POST', `/v1/node/${id.slice(0, 8)}/drain`, { DrainSpec: { Deadline: 0 } }, 500, 'node not found'],
    ['POST', `/v1/node/${id.slice(0, 8)}/eligibility`, { Eligibility: 'ineligible' }, 500, 'node not found'],
  ];
  for (const [method, url, body, status, text] of cases) {
    const res = await c.req(method, url, body);
    t.equal(res.status, status, `${method} ${url} ${JSON.stringify(body)}`);
    if (typeof text === 'string') t.equal(res.body, text);
    else t.match(res.body, text);
  }
  t.equal((await node(c, id)).ModifyIndex, modify, 'no bad request changed the node');
});

t.test('drain and eligibility need node:write; LastDrain records the caller\'s accessor', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  await c.mock.control.nodes.add({ Name: 'n1' });
  const s = await aclSession(c);
  const id = ((await s.as(s.mgmt, 'GET', '/v1/nodes')).json as Obj[])[0]!.ID as string;
  const reader = await s.token('node-reader', 'node { policy = "read" }');
  const writer = await s.token('node-writer', 'node { policy = "write" }');
  t.equal((await s.as(null, 'POST', `/v1/node/${id}/drain`, { DrainSpec: { Deadline: 0 } })).status, 403);
  t.equal((await s.as(reader, 'POST', `/v1/node/${id}/eligibility`, { Eligibility: 'ineligible' })).status, 403);
  t.equal((await s.as(reader, 'POST', `/v1/node/${id}/drain`, '{bad')).status, 400, 'the body is decoded before the token is checked');
  t.equal((await s.as(writer, 'POST', `/v1/node/${id}/drain`, { DrainSpec: { Deadline: 0 } })).status, 200);
  const self = (await s.as(writer, 'GET', '/v1/acl/token/self')).json;
  t.equal((await s.as(s.mgmt, 'GET', `/v1/node/${id}`)).json.LastDrain.AccessorID, self.AccessorID);
});

t.test('drain and eligibility changes stream as Node events of type NodeDrain', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.mock.control.nodes.add({ Name: 'n1' });
  const id = ((await c.get('/v1/nodes')).json as Obj[])[0]!.ID as string;
  const all = await streamEvents(c, `topic=Node:${id}`, 4, async () => {
    await c.post(`/v1/node/${id}/eligibility`, { Eligibility: 'ineligible' });
    await c.post(`/v1/node/${id}/drain`, { DrainSpec: { Deadline: 0 } });
    await c.post(`/v1/node/${id}/drain`, { DrainSpec: null, MarkEligible: true });
  });
  const events = all.filter((e) => e.Type !== 'NodeRegistration');
  t.same(events.map((e) => [e.Topic, e.Type, e.Key]), [['Node', 'NodeDrain', id], ['Node', 'NodeDrain', id], ['Node', 'NodeDrain', id]]);
  t.same(events.map((e) => (e.Payload.Node.Events as Obj[]).at(-1)!.Message), [
    'Node marked as ineligible for scheduling', 'Node drain strategy set', 'Node drain disabled',
  ]);
  t.equal(events[1]!.Payload.Node.Drain, true);
});
