// Feasibility is remembered across evals for jobs of one spec (their groups are one shared object),
// per node, for as long as what the checks read of the node is unchanged: a node whose meta,
// attributes or drivers change is checked again, so placements follow the cluster as it is now.
import t from 'tap';
import { minimalJob, simClient, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const onRack = (id: string): Obj =>
  minimalJob(id, {
    Constraints: [{ LTarget: '${meta.rack}', RTarget: 'r2', Operand: '=' }],
    TaskGroups: [{ Name: 'web', Count: 1, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' } }] }],
  });

const nodeOf = async (c: Client, jobId: string): Promise<string> => ((await c.get(`/v1/job/${jobId}/allocations`)).json as Obj[])[0]!.NodeName;

t.test('jobs of one spec are placed by the nodes\' current meta and drivers, not by what an earlier eval found', async (t) => {
  const c = await simClient({ cluster: 'server-only' });
  t.teardown(c.close);
  t.equal((await c.post('/_mock/nodes', { Name: 'a', Drivers: ['docker'], Meta: { rack: 'r2' } })).status, 200);
  t.equal((await c.post('/_mock/nodes', { Name: 'b', Drivers: ['docker'], Meta: { rack: 'r1' } })).status, 200);
  await c.register(onRack('x1'));
  await c.advance(0);
  t.equal(await nodeOf(c, 'x1'), 'a');
  await c.register(onRack('x2'));
  await c.advance(0);
  t.equal(await nodeOf(c, 'x2'), 'a', 'the same spec, the same answer');

  t.equal((await c.put('/_mock/node/a', { Meta: { rack: 'r1' } })).status, 200);
  t.equal((await c.put('/_mock/node/b', { Meta: { rack: 'r2' } })).status, 200);
  await c.register(onRack('x3'));
  await c.advance(0);
  t.equal(await nodeOf(c, 'x3'), 'b', 'the meta changed: b is now the only node on rack r2');

  t.equal((await c.put('/_mock/node/b', { Drivers: ['exec'] })).status, 200);
  await c.register(onRack('x4'));
  await c.advance(0);
  const blocked = ((await c.get('/v1/job/x4/evaluations')).json as Obj[]).find((e) => e.Status === 'blocked');
  t.ok(blocked, 'b lost docker: nothing fits');
  t.match(blocked!.FailedTGAllocs.web.ConstraintFiltered, { 'missing drivers': 1, '${meta.rack} = r2': 1 });
});
