// Parked alloc runners (src/sim/client.ts): a runner with nothing pending gives way to the alloc
// record it wrote last and is rebuilt from it when needed. Parking saves memory only: the same
// seeded script, run once with parking and once without, must give byte-identical answers after
// every step that turns to a parked runner (signal, restart, in-place update, stop, forced state,
// node down and up, restore, deregister).
import t from 'tap';
import { simClient, minimalJob, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const job = (priority = 50): Obj =>
  minimalJob('web', {
    Priority: priority,
    TaskGroups: [{
      Name: 'web',
      Count: 2,
      Tasks: [
        // Not a destructive change: the update below is in place, and a runner keeps the task it started.
        { Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: { CPU: 100, MemoryMB: 64 }, KillTimeout: priority === 50 ? 5e9 : 7e9 },
        { Name: 'side', Driver: 'raw_exec', Config: { command: '/bin/sleep' }, Resources: { CPU: 50, MemoryMB: 32 } },
      ],
    }],
  });

async function settle(c: Client, times = 15): Promise<void> {
  for (let i = 0; i < times; i++) await c.advance(1000);
}

/** Everything a client could see of the job's allocs, deployments and evals, and the whole state. */
async function capture(c: Client): Promise<string[]> {
  const out: string[] = [];
  const stubs = await c.get('/v1/job/web/allocations?all=true');
  out.push(stubs.body);
  for (const s of (stubs.json as Obj[] | undefined) ?? []) out.push((await c.get(`/v1/allocation/${s.ID}`)).body);
  out.push((await c.get('/v1/job/web/deployments')).body, (await c.get('/v1/job/web/evaluations')).body);
  out.push((await c.get('/_mock/snapshot')).body);
  return out;
}

async function allocIds(c: Client): Promise<string[]> {
  const stubs = (await c.get('/v1/job/web/allocations')).json as Obj[];
  return stubs.filter((s) => s.DesiredStatus === 'run' && s.ClientStatus === 'running').map((s) => s.ID as string).sort();
}

interface Run {
  steps: [string, string[]][];
  parkedAfterStart: number;
  parkedAfterUpdate: number;
  parkedAfterSignal: number;
}

async function script(parking: boolean): Promise<Run> {
  const c = await simClient({ seed: 'parking', nodes: 2 });
  try {
    c.mock.sim!.client.parking = parking;
    const steps: [string, string[]][] = [];
    const step = async (name: string): Promise<void> => void steps.push([name, await capture(c)]);

    if ((await c.register(job())).status !== 200) throw new Error('register');
    await settle(c);
    await step('running and healthy');
    const parkedAfterStart = c.mock.sim!.client.parkedCount;

    let [a, b] = await allocIds(c);
    const signal = await c.post(`/v1/client/allocation/${a}/signal`, { Signal: 'SIGHUP', Task: 'server' });
    if (signal.status !== 200) throw new Error(`signal: ${signal.status} ${signal.body}`);
    await settle(c, 2);
    await step('signal');
    const parkedAfterSignal = c.mock.sim!.client.parkedCount;

    const restart = await c.post(`/v1/client/allocation/${b}/restart`, { TaskName: 'side' });
    if (restart.status !== 200) throw new Error(`restart: ${restart.status} ${restart.body}`);
    await settle(c, 3);
    await step('restart');

    // A new priority and kill timeout only: an in-place update, a new deployment, health tracked again.
    if ((await c.register(job(60))).status !== 200) throw new Error('update');
    await settle(c);
    await step('in-place update');
    const parkedAfterUpdate = c.mock.sim!.client.parkedCount;

    [a, b] = await allocIds(c);
    if ((await c.post(`/v1/allocation/${a}/stop`)).status !== 200) throw new Error('stop');
    await settle(c);
    await step('stop');

    if ((await c.post(`/_mock/allocation/${b}/state`, { State: 'failed' })).status !== 200) throw new Error('force');
    await settle(c, 40);
    await step('forced failure');

    const node = ((await c.get(`/v1/allocation/${(await allocIds(c))[0]}`)).json as Obj).NodeID as string;
    if ((await c.post(`/_mock/node/${node}/down`)).status !== 200) throw new Error('down');
    await settle(c, 3);
    if ((await c.post(`/_mock/node/${node}/up`)).status !== 200) throw new Error('up');
    await settle(c, 40);
    await step('node down and up');

    const snap = (await c.get('/_mock/snapshot')).json;
    await settle(c, 5);
    if ((await c.put('/_mock/restore', snap)).status !== 200) throw new Error('restore');
    await settle(c);
    await step('restore');

    if ((await c.del('/v1/job/web')).status !== 200) throw new Error('deregister');
    await settle(c);
    await step('deregister');
    return { steps, parkedAfterStart, parkedAfterUpdate, parkedAfterSignal };
  } finally {
    await c.close();
  }
}

t.test('a script over parked runners answers byte for byte as one whose runners never park', async (t) => {
  const parked = await script(true);
  const awake = await script(false);
  t.equal(parked.parkedAfterStart, 2, 'both running allocs were parked once healthy');
  t.equal(parked.parkedAfterSignal, 2, 'a signal wakes a runner, which parks again once it is done');
  t.ok(parked.parkedAfterUpdate >= 2, 'runners park again after the in-place update settled');
  t.equal(awake.parkedAfterStart, 0, 'the comparison run never parks');
  t.equal(parked.steps.length, awake.steps.length);
  for (let i = 0; i < parked.steps.length; i++) {
    const [name, got] = parked.steps[i]!;
    t.same(got, awake.steps[i]![1], `after "${name}": the same answers`);
  }
});

t.test('a parked alloc whose record left the store silently is dropped, not revived', async (t) => {
  const c = await simClient({ nodes: 1 });
  t.teardown(c.close);
  await c.register(job());
  await settle(c);
  t.equal(c.mock.sim!.client.parkedCount, 2);
  const [id] = await allocIds(c);
  c.mock.store.allocs.delete(id!);
  t.equal((await c.post(`/_mock/allocation/${id}/state`, { State: 'failed' })).status, 404, 'the control API no longer finds it');
  c.mock.sim!.client.onAlloc(id!);
  t.equal(c.mock.sim!.client.size, 1, 'the gone alloc\'s parked runner went with it');
  t.equal(c.mock.sim!.client.runner(id!), undefined);
});
