// Node drain and scheduling eligibility (/v1/node/:id/drain, /eligibility) and the drainer that
// migrates allocs off a draining node per migrate block, on the manual clock.
import t, { type Test } from 'tap';
import { index, simClient, streamEvents, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const S = 1e9;

/** A service job of `count` allocs with a quick migrate block (health from task states after 1 s). */
function serviceJob(id: string, count: number, migrate: Obj = {}): Obj {
  return {
    ID: id,
    TaskGroups: [{
      Name: 'web',
      Count: count,
      Migrate: { MaxParallel: 1, HealthCheck: 'task_states', MinHealthyTime: 1 * S, HealthyDeadline: 60 * S, ...migrate },
      Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' } }],
    }],
  };
}

function systemJob(id: string): Obj {
  return { ID: id, Type: 'system', TaskGroups: [{ Name: 'agent', Tasks: [{ Name: 'agent', Driver: 'docker', Config: { image: 'agent' } }] }] };
}

/** Three nodes; only the first takes work until the others are made eligible again. */
async function cluster(t: Test, nodes = 3): Promise<{ c: Client; ids: string[] }> {
  const c = await simClient({ nodes });
  t.teardown(c.close);
  const ids = ((await c.get('/v1/nodes')).json as Obj[]).sort((a, b) => (a.Name < b.Name ? -1 : 1)).map((n) => n.ID as string);
  for (const id of ids.slice(1)) t.equal((await c.post(`/v1/node/${id}/eligibility`, { Eligibility: 'ineligible' })).status, 200);
  return { c, ids };
}

const allocs = async (c: Client, job: string): Promise<Obj[]> => (await c.get(`/v1/job/${job}/allocations`)).json as Obj[];
const full = async (c: Client, id: string): Promise<Obj> => (await c.get(`/v1/allocation/${id}`)).json as Obj;
const node = async (c: Client, id: string): Promise<Obj> => (await c.get(`/v1/node/${id}`)).json as Obj;
const live = (a: Obj): boolean => a.DesiredStatus === 'run' && !['complete', 'failed', 'lost'].includes(a.ClientStatus);

async function settle(c: Client, ms = 12_000): Promise<void> {
  for (let i = 0; i < ms / 250; i++) await c.advance(250);
}

async function makeEligible(c: Client, ids: string[]): Promise<void> {
  for (const id of ids) await c.post(`/v1/node/${id}/eligibility`, { Eligibility: 'eligible' });
}

t.test('draining a node moves the allocs of two max_parallel=1 jobs one at a time until the drain completes', async (t) => {
  const { c, ids } = await cluster(t);
  const [n1] = ids as [string];
  for (const job of ['api', 'web']) t.equal((await c.register(serviceJob(job, 2))).status, 200);
  await settle(c);
  for (const job of ['api', 'web']) {
    const as = await allocs(c, job);
    t.equal(as.length, 2);
    t.ok(as.every((a) => a.NodeID === n1 && a.ClientStatus === 'running'), `${job} runs on the first node`);
    for (const a of as) t.equal((await full(c, a.ID)).DeploymentStatus?.Healthy, true, 'healthy by the migrate block');
  }
  const originals = new Map<string, string[]>();
  for (const job of ['api', 'web']) originals.set(job, (await allocs(c, job)).map((a) => a.ID as string).sort());
  await makeEligible(c, ids.slice(1));

  const before = await node(c, n1);
  const res = await c.post(`/v1/node/${n1}/drain`, { DrainSpec: { Deadline: 0, IgnoreSystemJobs: false }, Meta: { reason: 'kernel' } });
  t.equal(res.status, 200);
  t.same(Object.keys(res.json), ['NodeModifyIndex', 'EvalIDs', 'EvalCreateIndex', 'Index']);
  t.match(res.json, { EvalIDs: null, EvalCreateIndex: 0 });
  t.equal(index(res), res.json.Index);
  t.equal(res.json.NodeModifyIndex, res.json.Index);
  const draining = await node(c, n1);
  t.equal(draining.ModifyIndex, res.json.Index);
  t.equal(draining.Drain, true);
  t.equal(Object.keys(draining).at(-1), 'Drain', 'Drain comes after every structs.Node field, as the encoder extension adds it');
  t.equal(draining.SchedulingEligibility, 'ineligible');
  t.match(draining.DrainStrategy, { Deadline: 0, IgnoreSystemJobs: false, ForceDeadline: '0001-01-01T00:00:00Z' });
  t.ok(Date.parse(draining.DrainStrategy.StartedAt) > 0);
  t.match(draining.LastDrain, { Status: 'draining', AccessorID: '', Meta: { reason: 'kernel' } });
  t.same(Object.keys(draining.LastDrain), ['StartedAt', 'UpdatedAt', 'Status', 'AccessorID', 'Meta']);
  t.match(draining.Events.at(-1), { Message: 'Node drain strategy set', Subsystem: 'Drain', CreateIndex: res.json.Index });
  t.equal(draining.Events.length, before.Events.length + 1);
  const stub = ((await c.get('/v1/nodes')).json as Obj[]).find((n) => n.ID === n1)!;
  t.match(stub, { Drain: true, SchedulingEligibility: 'ineligible', LastDrain: { Status: 'draining' } });

  // Watch: each job's originals are marked in ID order, never two of a job before the first
  // one's replacement is healthy.
  const marked = new Map<string, string[]>([['api', []], ['web', []]]);
  let maxInFlight = 0;
  for (let step = 0; step < 80; step++) {
    await c.advance(250);
    for (const job of ['api', 'web']) {
      const detail = await Promise.all((await allocs(c, job)).map((a) => full(c, a.ID)));
      const byId = new Map(detail.map((a) => [a.ID, a]));
      let inFlight = 0;
      for (const a of detail) {
        if (a.DesiredTransition?.Migrate !== true) continue;
        if (!marked.get(job)!.includes(a.ID)) marked.get(job)!.push(a.ID);
        const next = a.NextAllocation ? byId.get(a.NextAllocation) : undefined;
        if (!next || next.DeploymentStatus?.Healthy !== true) inFlight++;
      }
      maxInFlight = Math.max(maxInFlight, inFlight);
      const healthy = detail.filter((a) => live(a) && a.DeploymentStatus?.Healthy === true).length;
      t.ok(healthy >= 1 || inFlight === 0, `${job} keeps count - max_parallel healthy allocs (step ${step})`);
    }
    if ((await node(c, n1)).DrainStrategy === null) break;
  }
  t.equal(maxInFlight, 1, 'one migration in flight per group at a time');
  for (const job of ['api', 'web']) t.same(marked.get(job), originals.get(job), `${job}: its allocs moved in ID order`);

  const done = await node(c, n1);
  t.equal(done.DrainStrategy, null);
  t.equal(done.Drain, false);
  t.equal(done.SchedulingEligibility, 'ineligible', 'a completed drain leaves the node ineligible');
  t.match(done.LastDrain, { Status: 'complete', Meta: { reason: 'kernel' } });
  t.match(done.Events.at(-1), { Message: 'Node drain complete', Subsystem: 'Drain', Details: null });
  for (const job of ['api', 'web']) {
    const as = await allocs(c, job);
    t.equal(as.filter(live).length, 2);
    t.ok(as.filter(live).every((a) => a.NodeID !== n1), `${job} runs elsewhere`);
    for (const id of originals.get(job)!) {
      const old = await full(c, id);
      t.match(old, { DesiredStatus: 'stop', DesiredDescription: 'alloc is being migrated', ClientStatus: 'complete' });
      const next = await full(c, old.NextAllocation);
      t.equal(next.PreviousAllocation, id);
    }
  }
  const evals = ((await c.get('/v1/evaluations')).json as Obj[]).filter((e) => e.TriggeredBy === 'node-drain');
  t.equal(evals.length, 4, 'one node-drain eval per marking of a job');
});

t.test('the deadline forces every alloc still there and ends the drain with deadline_reached', async (t) => {
  const { c, ids } = await cluster(t, 2);
  const [n1] = ids as [string];
  // Replacements take 30 s to turn healthy: only one can move before the 5 s deadline.
  await c.register(serviceJob('slow', 3, { MinHealthyTime: 30 * S, HealthyDeadline: 60 * S }));
  await settle(c, 32_000);
  await makeEligible(c, ids.slice(1));
  const res = await c.post(`/v1/node/${n1}/drain`, { DrainSpec: { Deadline: 5 * S } });
  const strat = (await node(c, n1)).DrainStrategy;
  t.equal(Date.parse(strat.ForceDeadline) - Date.parse(strat.StartedAt), 5000, 'ForceDeadline = start + deadline');
  await settle(c, 4000);
  let as = await Promise.all((await allocs(c, 'slow')).map((a) => full(c, a.ID)));
  t.equal(as.filter((a) => a.DesiredTransition?.Migrate === true).length, 1, 'one batch before the deadline');
  t.not((await node(c, n1)).DrainStrategy, null);
  await settle(c, 2000);
  const done = await node(c, n1);
  t.equal(done.DrainStrategy, null);
  t.match(done.LastDrain, { Status: 'complete' });
  t.match(done.Events.at(-1), { Message: 'Node drain complete', Subsystem: 'Drain', Details: { deadline_reached: 'true' } });
  t.ok(done.ModifyIndex > res.json.Index);
  await settle(c, 1000);
  as = await allocs(c, 'slow');
  t.equal(as.filter((a) => live(a) && a.NodeID === n1).length, 0, 'nothing left on the node');
  t.equal(as.filter(live).length, 3);
});

t.test('a negative deadline forces the drain at once; system allocs go with it', async (t) => {
  const { c, ids } = await cluster(t, 2);
  const [n1] = ids as [string];
  await c.register(serviceJob('svc', 1));
  await c.register(systemJob('sys'));
  await settle(c);
  await makeEligible(c, ids.slice(1));
  await settle(c);
  await c.post(`/v1/node/${n1}/drain`, { DrainSpec: { Deadline: -1 } });
  await c.advance(0);
  const n = await node(c, n1);
  t.equal(n.DrainStrategy, null);
  t.match(n.Events.at(-1), { Message: 'Node drain complete', Details: { deadline_reached: 'true' } });
  await settle(c);
  const sys = (await allocs(c, 'sys')).filter((a) => a.NodeID === n1);
  t.ok(sys.every((a) => !live(a)), 'the system alloc was stopped');
  t.match(await full(c, sys[0]!.ID), { DesiredDescription: 'alloc not needed as node is tainted' });
  t.ok((await allocs(c, 'svc')).filter(live).every((a) => a.NodeID !== n1));
});

t.test('system allocs are drained last, and not at all with IgnoreSystemJobs', async (t) => {
  for (const ignore of [false, true]) {
    await t.test(`IgnoreSystemJobs=${ignore}`, async (t) => {
      const { c, ids } = await cluster(t, 2);
      const [n1] = ids as [string];
      await c.register(serviceJob('svc', 1, { MinHealthyTime: 5 * S }));
      await c.register(systemJob('sys'));
      await settle(c, 6000);
      await makeEligible(c, ids.slice(1));
      await settle(c);
      const sysOnN1 = (await allocs(c, 'sys')).find((a) => a.NodeID === n1 && live(a))!;
      const svcOnN1 = (await allocs(c, 'svc')).find((a) => a.NodeID === n1 && live(a))!;
      await c.post(`/v1/node/${n1}/drain`, { DrainSpec: { Deadline: 0, IgnoreSystemJobs: ignore } });
      await c.advance(0);
      // The service alloc is on its way; the system alloc waits until it has stopped on the client.
      t.equal((await full(c, svcOnN1.ID)).DesiredTransition?.Migrate, true, 'service alloc marked first');
      t.equal((await full(c, sysOnN1.ID)).DesiredTransition?.Migrate ?? null, null, 'system alloc untouched while service work remains');
      t.equal((await full(c, sysOnN1.ID)).DesiredStatus, 'run');
      await settle(c, 8000);
      const svcDone = await full(c, svcOnN1.ID);
      t.equal(svcDone.ClientStatus, 'complete');
      const n = await node(c, n1);
      t.equal(n.DrainStrategy, null);
      t.match(n.LastDrain, { Status: 'complete' });
      const sys = await full(c, sysOnN1.ID);
      if (ignore) {
        t.match(sys, { DesiredStatus: 'run', ClientStatus: 'running' }, 'ignored system alloc keeps running');
      } else {
        t.match(sys, { DesiredStatus: 'stop', DesiredDescription: 'alloc not needed as node is tainted', DesiredTransition: { Migrate: true } });
        t.ok(sys.AllocModifyIndex > svcDone.ModifyIndex, 'the system alloc went after the service alloc had stopped');
        t.equal((await allocs(c, 'sys')).filter((a) => a.NodeID === n1 && live(a)).length, 0, 'no new system alloc on the ineligible node');
      }
    });
  }
});

t.test('cancelling a drain stops it: canceled, what is left stays, MarkEligible makes the node eligible with evals', async (t) => {
  const { c, ids } = await cluster(t, 2);
  const [n1] = ids as [string];
  await c.register(serviceJob('slow', 2, { MinHealthyTime: 30 * S }));
  await settle(c, 32_000);
  await makeEligible(c, ids.slice(1));
  await c.post(`/v1/node/${n1}/drain`, { DrainSpec: { Deadline: 0 } });
  await settle(c, 2000);
  const res = await c.post(`/v1/node/${n1}/drain`, { DrainSpec: null, MarkEligible: true });
  t.equal(res.status, 200);
  t.ok(Array.isArray(res.json.EvalIDs) && res.json.EvalIDs.length >= 1, 'node evals for a node made eligible');
  t.ok(res.json.EvalCreateIndex > res.json.NodeModifyIndex);
  const n = await node(c, n1);
  t.match(n, { DrainStrategy: null, Drain: false, SchedulingEligibility: 'eligible', LastDrain: { Status: 'canceled' } });
  t.match(n.Events.at(-1), { Message: 'Node drain disabled', Subsystem: 'Drain' });
  await settle(c, 40_000);
  const as = await Promise.all((await allocs(c, 'slow')).map((a) => full(c, a.ID)));
  t.equal(as.filter((a) => a.DesiredTransition?.Migrate === true).length, 1, 'no further allocs marked once cancelled');
  t.equal(as.filter((a) => live(a) && a.NodeID === n1).length, 1, 'the unmoved alloc stays on the node');

  // Cancelling with no drain writes an update but no event and no LastDrain change.
  const again = await c.post(`/v1/node/${n1}/drain`, { DrainSpec: null });
  const after = await node(c, n1);
  t.equal(after.ModifyIndex, again.json.Index);
  t.equal(after.Events.length, n.Events.length);
  t.same(after.LastDrain, n.LastDrain);
});

t.test('a drain survives its node being removed, and reset clears it', async (t) => {
  const { c, ids } = await cluster(t, 2);
  const [n1, n2] = ids as [string, string];
  await c.register(serviceJob('svc', 2, { MinHealthyTime: 30 * S }));
  await settle(c, 32_000);
  await makeEligible(c, [n2]);
  await c.post(`/v1/node/${n1}/drain`, { DrainSpec: { Deadline: 10 * S } });
  await settle(c, 1000);
  t.equal((await c.del(`/_mock/node/${n1}`)).status, 200);
  await settle(c, 15_000);
  t.equal((await c.get(`/v1/node/${n1}`)).status, 404);
  await c.post(`/v1/node/${n2}/drain`, { DrainSpec: { Deadline: 5 * S } });
  t.equal((await c.post('/_mock/reset')).status, 200);
  await settle(c, 10_000);
  t.ok(((await c.get('/v1/nodes')).json as Obj[]).every((n) => n.Drain === false && n.LastDrain === null));
});

t.test("the drainer's marks stream as AllocationUpdateDesiredStatus, with their node-drain evals", async (t) => {
  const { c, ids } = await cluster(t, 2);
  const [n1, n2] = ids as [string, string];
  await c.register(serviceJob('svc', 1));
  await settle(c);
  await makeEligible(c, [n2]);
  const from = index(await c.get('/v1/nodes'));
  const all = await streamEvents(c, `topic=Allocation&topic=Evaluation&index=${from + 1}`, 2, async () => {
    await c.post(`/v1/node/${n1}/drain`, { DrainSpec: { Deadline: 0 } });
    await c.advance(0);
  });
  const marks = all.filter((e) => e.Type === 'AllocationUpdateDesiredStatus');
  t.same(marks.map((e) => e.Topic).sort(), ['Allocation', 'Evaluation']);
  t.match(marks.find((e) => e.Topic === 'Allocation')!.Payload.Allocation, { NodeID: n1, DesiredTransition: { Migrate: true } });
  t.match(marks.find((e) => e.Topic === 'Evaluation')!.Payload.Evaluation, { TriggeredBy: 'node-drain', JobID: 'svc', Status: 'pending' });
});
