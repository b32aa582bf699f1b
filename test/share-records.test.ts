// Equal parts of stored records shared by content (state/share.ts): task groups of jobs from one
// spec, eval annotations, summary counters, task event details, and the same for rows restored
// from a snapshot. Sharing saves memory only: the same seeded script, run once with sharing and
// once without, must give byte-identical answers after every step; a shared part is frozen, so a
// write to one would throw (and fail the run through the simulator guard).
import t from 'tap';
import { client, simClient, minimalJob, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';
import { SharePool, isShared } from '../state/share.js';
import { jobKey } from '../state/store.js';

const job = (id: string, count = 2, priority = 50): Obj =>
  minimalJob(id, {
    Priority: priority,
    TaskGroups: [
      {
        Name: 'web',
        Count: count,
        Tasks: [
          { Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: { CPU: 100, MemoryMB: 64 } },
          { Name: 'side', Driver: 'raw_exec', Config: { command: '/bin/sleep' }, Resources: { CPU: 50, MemoryMB: 32 } },
        ],
      },
      { Name: 'cache', Count: 1, Tasks: [{ Name: 'redis', Driver: 'docker', Config: { image: 'redis:7' }, Resources: { CPU: 100, MemoryMB: 64 } }] },
    ],
  });

const IDS = ['a', 'b', 'c'];

async function settle(c: Client, times = 15): Promise<void> {
  for (let i = 0; i < times; i++) await c.advance(1000);
}

async function capture(c: Client): Promise<string[]> {
  const out: string[] = [];
  for (const id of IDS) {
    for (const sub of ['', '/versions', '/summary', '/allocations?all=true', '/evaluations', '/deployments']) {
      const res = await c.get(`/v1/job/${id}${sub}`);
      out.push(`${res.status} ${res.headers['x-nomad-index']} ${res.body}`);
    }
  }
  const allocs = await c.get('/v1/allocations');
  out.push(allocs.body);
  for (const s of (allocs.json as Obj[] | undefined) ?? []) out.push((await c.get(`/v1/allocation/${s.ID}`)).body);
  for (const path of ['/v1/evaluations', '/v1/deployments', '/v1/jobs', '/_mock/snapshot']) out.push((await c.get(path)).body);
  return out;
}

interface Run {
  steps: [string, string[]][];
  groupsShared: boolean;
  eventsShared: boolean;
  restoredAllocJobShared: boolean;
  partsFrozen: boolean;
}

async function script(sharing: boolean): Promise<Run> {
  SharePool.enabled = sharing;
  const c = await simClient({ seed: 'share', nodes: 3 });
  try {
    const steps: [string, string[]][] = [];
    const step = async (name: string): Promise<void> => void steps.push([name, await capture(c)]);
    const stored = (id: string): Obj => c.mock.store.jobs.get(jobKey('default', id))!;

    for (const id of IDS) if ((await c.register(job(id))).status !== 200) throw new Error(`register ${id}`);
    await settle(c);
    await step('three jobs from one spec, running');
    const groupsShared = stored('a').TaskGroups === stored('b').TaskGroups && stored('b').TaskGroups === stored('c').TaskGroups;
    const sharedBefore = JSON.stringify(stored('a').TaskGroups);
    // Placed in one instant on the manual clock: the same events at the same time, one object.
    const received = (id: string): unknown => [...c.mock.store.allocs.values()].find((a) => a.JobID === id && a.TaskGroup === 'cache')!.TaskStates.redis.Events[0];
    const eventsShared = received('a') === received('b') && Object.isFrozen(received('a'));

    // A different count for one job: its changed group is its own, the rest still shared.
    if ((await c.register(job('b', 3))).status !== 200) throw new Error('scale b');
    await settle(c);
    await step('one job scaled');

    if ((await c.register(job('c', 2, 70))).status !== 200) throw new Error('update c');
    await settle(c);
    await step('in-place update');

    const [alloc] = (await c.get('/v1/job/a/allocations')).json as Obj[];
    if ((await c.post(`/v1/allocation/${alloc!.ID}/stop`)).status !== 200) throw new Error('stop');
    await settle(c);
    await step('alloc stopped and replaced');

    if ((await c.put('/v1/job/b/revert', { JobID: 'b', JobVersion: 0 })).status !== 200) throw new Error('revert');
    await settle(c);
    await step('revert');

    const snap = (await c.get('/_mock/snapshot')).json;
    await settle(c, 5);
    if ((await c.put('/_mock/restore', snap)).status !== 200) throw new Error('restore');
    await step('restored');
    const anAlloc = [...c.mock.store.allocs.values()].find((a) => a.JobID === 'a' && a.DesiredStatus === 'run')!;
    const restoredAllocJobShared = anAlloc.Job.TaskGroups === stored('a').TaskGroups;
    await settle(c);
    await step('after restore');

    if ((await c.del('/v1/job/c')).status !== 200) throw new Error('deregister');
    await settle(c);
    await step('deregister');

    const partsFrozen = Object.isFrozen(stored('a').TaskGroups[0].Tasks[0].Resources) && isShared(stored('a').TaskGroups) && JSON.stringify(stored('a').TaskGroups) === sharedBefore;
    return { steps, groupsShared, eventsShared, restoredAllocJobShared, partsFrozen };
  } finally {
    SharePool.enabled = true;
    await c.close();
  }
}

t.test('a script over shared record parts answers byte for byte as one whose records share nothing', async (t) => {
  const shared = await script(true);
  const own = await script(false);
  t.ok(shared.groupsShared, 'jobs registered from one spec hold one task group array');
  t.ok(shared.eventsShared, 'equal task events of allocs placed together are one frozen object');
  t.notOk(own.eventsShared, 'the comparison run shares no events');
  t.ok(shared.restoredAllocJobShared, "a restored alloc's job shares its groups with the restored job");
  t.ok(shared.partsFrozen, 'shared parts are frozen and unchanged by the script');
  t.notOk(own.groupsShared, 'the comparison run shares nothing');
  t.equal(shared.steps.length, own.steps.length);
  for (let i = 0; i < shared.steps.length; i++) {
    const [name, got] = shared.steps[i]!;
    t.same(got, own.steps[i]![1], `after "${name}": the same answers`);
  }
});

t.test('a pool shares equal content only, never changes its input, and keeps apart what JSON cannot tell apart', async (t) => {
  const pool = new SharePool();
  const a = { X: [1, { Y: 'z' }], N: null };
  const b = { X: [1, { Y: 'z' }], N: null };
  const sa = pool.share(a, 2);
  t.not(sa, a, 'the pool keeps a frozen copy, not the caller\'s object');
  t.notOk(Object.isFrozen(a), "the caller's object is left as it was");
  t.ok(Object.isFrozen(sa) && Object.isFrozen(sa.X) && Object.isFrozen(sa.X[1]), 'the copy is frozen all the way down');
  t.equal(pool.share(b, 2), sa, 'equal content gives the same object');
  t.equal(pool.share(sa), sa, 'a shared object shares as itself');
  t.same(sa, a);
  const withUndefined = { X: [1, { Y: 'z' }], N: null, U: undefined };
  t.equal(pool.share(withUndefined), withUndefined, 'an undefined field (same JSON) is not pooled');
  const negZero = { V: -0 };
  t.equal(pool.share({ V: 0 }).V, 0);
  t.equal(pool.share(negZero), negZero, '-0 is not 0');
  const dict = Object.create(null) as Obj;
  dict.K = 1;
  t.equal(pool.share(dict), dict, 'a null-prototype object is kept as it is');
  const order = { N: null, X: [1, { Y: 'z' }] };
  t.not(pool.share(order), sa, 'key order counts');
  const c = { X: [1, { Y: 'other' }], N: null };
  const sc = pool.share(c, 2);
  t.equal(sc.X[0], 1);
  t.not(sc, sa);
  t.throws(() => {
    (sa.X[1] as Obj).Y = 'changed';
  }, TypeError, 'a write to a shared part throws');
});

t.test('a slot hands back the part it last shared only for equal content, and keeps apart what JSON cannot tell apart', async (t) => {
  const pool = new SharePool();
  const first = pool.share({ X: [1, { Y: 'z' }], N: null }, 2, 'Part');
  t.equal(pool.share({ X: [1, { Y: 'z' }], N: null }, 2, 'Part'), first, 'equal content in the same slot gives the same object');
  t.equal(pool.share({ X: [1, { Y: 'z' }], N: null }, 2, 'Other'), first, 'another slot finds it through the pool');
  const differs = { X: [1, { Y: 'other' }], N: null };
  const sd = pool.share(differs, 2, 'Part');
  t.not(sd, first, 'different content is not the slot\'s part');
  t.same(sd, differs);
  t.equal(pool.share({ X: [1, { Y: 'other' }], N: null }, 2, 'Part'), sd, 'the slot now holds the newest part');
  t.equal(pool.share({ X: [1, { Y: 'z' }], N: null }, 2, 'Part'), first, 'the earlier part is still found through the pool');
  const reordered = { N: null, X: [1, { Y: 'z' }] };
  t.equal(pool.share(reordered, 2, 'Part'), pool.share(reordered, 2, 'Part'));
  t.not(pool.share(reordered, 2, 'Part'), first, 'key order counts');
  const withUndefined = { X: [1, { Y: 'z' }], N: null, U: undefined };
  pool.share({ X: [1, { Y: 'z' }], N: null }, 2, 'Part');
  t.equal(pool.share(withUndefined, 2, 'Part'), withUndefined, 'an undefined field is not the slot\'s part');
  const negZero = { V: -0 };
  pool.share({ V: 0 }, 0, 'V');
  t.equal(pool.share(negZero, 0, 'V'), negZero, '-0 is not 0');
  const inherited = Object.create({ extra: 1 }) as Obj;
  inherited.V = 0;
  t.equal(pool.share(inherited, 0, 'V'), inherited, 'an object of another prototype is kept as it is');
  const arrayLike = { 0: 'a', length: 1 };
  const sa = pool.share(['a'], 0, 'A');
  const got = pool.share(arrayLike, 0, 'A');
  t.not(got, sa, 'an object is not the slot\'s array');
  t.notOk(Array.isArray(got));
  t.same(got, arrayLike);
});

t.test('a group registered again from the same input is made for its own job: names, type, job-level blocks', async (t) => {
  const c = await client();
  const group = (): Obj => ({
    Name: 'web',
    Count: 1,
    Scaling: { Min: 1, Max: 3 },
    Services: [{ PortLabel: 'http' }],
    Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' }, Services: [{ PortLabel: 'http' }] }],
  });
  const put = async (job: Obj, q = ''): Promise<Obj> => {
    const res = await c.put(`/v1/jobs${q}`, { Job: job });
    if (res.status !== 200) throw new Error(`register ${String(job.ID)}: ${res.status} ${res.body}`);
    const got = await c.get(`/v1/job/${job.ID}${q}`);
    if (got.status !== 200) throw new Error(`read ${String(job.ID)}: ${got.status}`);
    return (got.json as Obj).TaskGroups[0] as Obj;
  };
  const one = await put({ ID: 'one', TaskGroups: [group()] });
  const two = await put({ ID: 'two', TaskGroups: [group()] });
  t.equal(one.Services[0].Name, 'one-web', "the group's service is named after its job");
  t.equal(two.Services[0].Name, 'two-web', 'the same group in another job is named after that job');
  t.equal(two.Tasks[0].Services[0].Name, 'two-web-server');
  t.equal(two.Scaling.Target.Job, 'two');
  await c.put('/v1/namespace/other', { Name: 'other' });
  const other = await put({ ID: 'two', TaskGroups: [group()] }, '?namespace=other');
  t.equal(other.Scaling.Target.Namespace, 'other', 'and after its namespace');

  const plain = (): Obj => ({ Name: 'web', Count: 1, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] });
  const service = await put({ ID: 's1', TaskGroups: [plain()] });
  const batch = await put({ ID: 'b1', Type: 'batch', TaskGroups: [plain()] });
  t.equal(service.ReschedulePolicy.DelayFunction, 'exponential');
  t.equal(batch.ReschedulePolicy.DelayFunction, 'constant', "a batch job's group gets the batch defaults");
  t.equal(batch.Update, null);
  const updated = await put({ ID: 's2', Update: { MaxParallel: 3 }, TaskGroups: [plain()] });
  t.equal(updated.Update.MaxParallel, 3, "the job's update block reaches the group");
  const migrated = await put({ ID: 's3', Migrate: { MaxParallel: 2 }, TaskGroups: [plain()] });
  t.equal(migrated.Migrate.MaxParallel, 2, "the job's migrate block reaches the group");
  const again = await put({ ID: 's4', TaskGroups: [plain()] });
  t.same(again, service, 'the first context again gives the first group');

  const withDisk = (): Obj => ({ ...plain(), EphemeralDisk: { SizeMB: 5 } });
  t.equal((await c.put('/v1/jobs', { Job: { ID: 'd1', TaskGroups: [withDisk()] } })).status, 500, 'an invalid group is refused');
  const res = await c.put('/v1/jobs', { Job: { ID: 'd2', TaskGroups: [withDisk()] } });
  t.equal(res.status, 500, 'an invalid group is refused every time');
  t.match(res.body, /minimum DiskMB value is 10; got 5/);
});
