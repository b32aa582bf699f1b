// The generic scheduler's stack ranks only a few nodes per placement, as Nomad's does
// (scheduler/feasible/stack.go GenericStack.SetNodes and Select, select.go LimitIterator): the eval's
// ready nodes in a seeded random order, 2 ranked for batch jobs, ceil(log2(n)) (at least 2) for
// services, at least 100 for groups with affinities or spreads; a failed placement visits every node.
import t from 'tap';
import { minimalJob, simClient, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const small = { CPU: 10, MemoryMB: 10 };
const job = (id: string, overrides: Obj = {}, count = 1, resources: Obj = small): Obj =>
  minimalJob(id, { TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: resources }] }], ...overrides });

async function allocsOf(c: Client, id: string): Promise<Obj[]> {
  const stubs = (await c.get(`/v1/job/${id}/allocations`)).json as Obj[];
  return Promise.all(stubs.map(async (s) => (await c.get(`/v1/allocation/${s.ID}`)).json as Obj));
}

async function placed(c: Client, spec: Obj): Promise<Obj[]> {
  const r = await c.register(spec);
  if (r.status !== 200) throw new Error(`register ${spec.ID}: ${r.status} ${r.body}`);
  await c.advance(0);
  return allocsOf(c, spec.ID);
}

t.test('a service placement on 10 nodes ranks ceil(log2(10)) = 4 of them; NodesInPool and NodesAvailable count all 10', async (t) => {
  const c = await simClient({ nodes: 10 });
  t.teardown(c.close);
  const [a] = await placed(c, job('svc'));
  t.match(a!.Metrics, { NodesEvaluated: 4, NodesFiltered: 0, NodesInPool: 10, NodePool: 'default', NodesExhausted: 0 });
  t.same(a!.Metrics.NodesAvailable, { dc1: 10 });
});

t.test('a batch placement ranks two nodes (power of two choices)', async (t) => {
  const c = await simClient({ nodes: 10 });
  t.teardown(c.close);
  const [a] = await placed(c, job('once', { Type: 'batch' }));
  t.match(a!.Metrics, { NodesEvaluated: 2, NodesInPool: 10 });
});

t.test('a group with an affinity or a spread ranks up to 100 nodes: every node of a small cluster', async (t) => {
  const c = await simClient({ nodes: 10 });
  t.teardown(c.close);
  const [a] = await placed(c, job('aff', { Affinities: [{ LTarget: '${node.datacenter}', RTarget: 'dc1', Operand: '=', Weight: 50 }] }));
  t.match(a!.Metrics, { NodesEvaluated: 10 });
  const [s] = await placed(c, job('spr', { Spreads: [{ Attribute: '${node.datacenter}', Weight: 50 }] }));
  t.match(s!.Metrics, { NodesEvaluated: 10 });
});

t.test('nodes filtered on the way count as evaluated, and the limit counts only nodes that rank', async (t) => {
  const c = await simClient({ nodes: 10 });
  t.teardown(c.close);
  // Every node but mock-node-7 is filtered: the placement walks nodes until one ranks, then the
  // rest of the cluster looking for more (the limit is never reached), so all 10 are evaluated.
  const [a] = await placed(c, job('pinned', { Constraints: [{ LTarget: '${node.unique.name}', RTarget: 'mock-node-7', Operand: '=' }] }));
  t.equal(a!.NodeName, 'mock-node-7');
  t.match(a!.Metrics, { NodesEvaluated: 10, NodesFiltered: 9, ConstraintFiltered: { '${node.unique.name} = mock-node-7': 9 } });
});

t.test('a placement that fits nowhere visits every node once', async (t) => {
  const c = await simClient({ nodes: 10 });
  t.teardown(c.close);
  t.equal((await c.register(job('huge', {}, 2, { CPU: 10, MemoryMB: 10_000_000 }))).status, 200);
  await c.advance(0);
  const evals = (await c.get('/v1/job/huge/evaluations')).json as Obj[];
  const blocked = evals.find((e) => e.Status === 'blocked')!;
  t.match(blocked.FailedTGAllocs.web, { NodesEvaluated: 10, NodesExhausted: 10, DimensionExhausted: { memory: 10 }, NodesInPool: 10, CoalescedFailures: 1 });
});

t.test('placements of one eval continue through the shuffled nodes where the previous one stopped', async (t) => {
  const c = await simClient({ nodes: 8 });
  t.teardown(c.close);
  // log2(8) = 3 nodes ranked per placement; none holds an alloc of the job until placed, so the
  // first two placements rank six distinct nodes and cannot land on the same one.
  const allocs = await placed(c, job('pair', {}, 2));
  t.equal(allocs.length, 2);
  t.not(allocs[0]!.NodeID, allocs[1]!.NodeID);
  for (const a of allocs) t.match(a.Metrics, { NodesEvaluated: 3, NodesInPool: 8 });
});

t.test('the node order is seeded from the eval ID and the state index: the same --seed places the same way', async (t) => {
  const run = async (): Promise<string[]> => {
    const c = await simClient({ nodes: 12, seed: 'placement' });
    try {
      const names: string[] = [];
      for (let i = 0; i < 6; i++) for (const a of await placed(c, job(`j${i}`, {}, 2))) names.push(`${a.Name}@${a.NodeName}`);
      return names.sort();
    } finally {
      await c.close();
    }
  };
  const first = await run();
  t.equal(first.length, 12);
  t.same(await run(), first);
  t.ok(new Set(first.map((n) => n.split('@')[1])).size > 1, 'more than one node is used');
});

t.test('a rescheduled alloc avoids the node it failed on (node-reschedule-penalty), even when binpack prefers it', async (t) => {
  const c = await simClient({ nodes: 2 });
  t.teardown(c.close);
  const [filler] = await placed(c, job('filler'));
  // Binpack puts web next to the filler: that node is the fuller one.
  // A batch job: a service alloc failing inside its deployment is not rescheduled at once.
  const [web] = await placed(c, job('web', { Type: 'batch', ReschedulePolicy: { Attempts: 1, Interval: 3_600_000_000_000, Delay: 0, DelayFunction: 'constant', Unlimited: false } }));
  t.equal(web!.NodeID, filler!.NodeID);
  t.equal((await c.post(`/_mock/allocation/${web!.ID}/state`, { State: 'failed' })).status, 200);
  await c.advance(0);
  await c.advance(10_000);
  const next = (await allocsOf(c, 'web')).find((a) => a.PreviousAllocation === web!.ID);
  t.ok(next, 'the failed alloc was replaced');
  t.not(next!.NodeID, web!.NodeID, 'the replacement went to the other node');
});

t.test('an eval after a node write places on the nodes as they are then, for a job shaped like the one before it', async (t) => {
  const c = await simClient({ nodes: 3 });
  t.teardown(c.close);
  const first = await placed(c, job('before', {}, 3));
  t.equal(first.length, 3);
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  const [off, down] = [nodes[0]!, nodes[1]!];
  t.equal((await c.put(`/v1/node/${off.ID}/eligibility`, { Eligibility: 'ineligible' })).status, 200);
  const second = await placed(c, job('after', {}, 4));
  t.equal(second.length, 4);
  t.ok(second.every((a) => a.NodeID !== off.ID), 'nothing lands on the ineligible node');
  t.ok(second.every((a) => a.Metrics.NodesInPool === 2), 'the eval saw two ready nodes');
  t.same(second[0]!.Metrics.NodesAvailable, { dc1: 2 });
  t.equal((await c.put(`/v1/node/${off.ID}/eligibility`, { Eligibility: 'eligible' })).status, 200);
  t.equal((await c.post(`/_mock/node/${down.ID}/down`, {})).status, 200);
  const third = await placed(c, job('again', {}, 2));
  t.ok(third.every((a) => a.NodeID !== down.ID && a.Metrics.NodesInPool === 2), 'the down node is out, the eligible one back');
  t.same(third[0]!.Metrics.NodesAvailable, { dc1: 2 });
});
