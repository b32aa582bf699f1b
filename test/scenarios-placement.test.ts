// Placement scenarios on the manual clock, observed only over HTTP: placement failures and blocked
// evals (state-semantics §7.4, §12.3), scaling (§11, http-semantics §5.3/§6.10), task failure and
// rescheduling (§8.4–8.5, §12.2), system jobs (§5.1, §8.1), alloc stop/migration and purge (§5.4).
// Assertions the simulator does not meet yet are marked `{ todo }`; the reference wins.
import t from 'tap';
import { simClient, minimalJob, index, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

async function read(c: Client, url: string): Promise<{ status: number; body: Obj; index: number }> {
  const r = await c.get(url);
  return { status: r.status, body: r.json, index: index(r) };
}

const byName = (allocs: Obj[]): Obj[] =>
  [...allocs].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : a.CreateIndex - b.CreateIndex));
const allocsOf = async (c: Client, job: string): Promise<Obj[]> => byName((await c.get(`/v1/job/${job}/allocations`)).json as Obj[]);
const evalsOf = async (c: Client, job: string): Promise<Obj[]> =>
  ((await c.get(`/v1/job/${job}/evaluations`)).json as Obj[]).sort((a, b) => a.CreateIndex - b.CreateIndex);
const evalById = async (c: Client, id: string): Promise<Obj> => (await c.get(`/v1/evaluation/${id}`)).json;
const allocById = async (c: Client, id: string): Promise<Obj> => (await c.get(`/v1/allocation/${id}`)).json;
const summaryOf = async (c: Client, job: string): Promise<Obj> => (await c.get(`/v1/job/${job}/summary`)).json;
const nsOf = (rfc: string): number => Date.parse(rfc) * 1e6;

/** A service/batch job whose single task asks for `memoryMB`. */
function sized(id: string, count: number, memoryMB: number, overrides: Obj = {}, task: Obj = {}): Obj {
  return minimalJob(id, {
    TaskGroups: [{
      Name: 'g',
      Count: count,
      Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' }, Resources: { CPU: 100, MemoryMB: memoryMB }, ...task }],
    }],
    ...overrides,
  });
}

const webJob = (count = 2): Obj =>
  minimalJob('web', { TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }] });

// ---------------------------------------------------------------------------------------------
// 1. Placement failure, blocked evals, unblocking
// ---------------------------------------------------------------------------------------------

t.test('placement failure: blocked eval written first, then the plan, then the original eval completes with BlockedEval and QueuedAllocations (§7.4, §12.3)', async (t) => {
  const c = await simClient({ nodeMemory: 1024 });
  t.teardown(c.close);
  const reg = await c.register(sized('big', 2, 800));
  t.equal(reg.status, 200);
  const N = reg.json.Index as number;
  const e1 = reg.json.EvalID as string;
  t.equal((await c.get('/v1/job/big')).json.Status, 'pending');

  await c.advance(0);
  const evals = await evalsOf(c, 'big');
  t.equal(evals.length, 2, 'the original eval and one blocked eval');
  const blocked = evals.find((e) => e.Status === 'blocked')!;
  t.ok(blocked, 'a blocked eval exists');
  t.match(blocked, {
    TriggeredBy: 'queued-allocs',
    Status: 'blocked',
    StatusDescription: 'created to place remaining allocations',
    PreviousEval: e1,
    Type: 'service',
    Priority: 50,
    JobModifyIndex: N,
    CreateIndex: N + 1,
    ModifyIndex: N + 1,
  }, 'blocked eval is the first write of the scheduler pass');
  t.match(blocked.FailedTGAllocs?.g, {
    NodesEvaluated: 1,
    NodesExhausted: 1,
    DimensionExhausted: { memory: 1 },
    NodesInPool: 1,
    NodePool: 'default',
    NodesAvailable: { dc1: 1 },
    CoalescedFailures: 0,
  }, 'metrics of the failed placement');

  // Plan at N+2: the deployment and the one alloc that fits.
  const allocs = await allocsOf(c, 'big');
  t.same(allocs.map((a) => a.Name), ['big.g[0]'], 'one 800 MB alloc fits on the 1024 MB node');
  t.equal(allocs[0]!.CreateIndex, N + 2);
  const dep = await read(c, '/v1/job/big/deployment');
  t.match(dep.body, { Status: 'running', CreateIndex: N + 2, JobVersion: 0 });
  t.match(dep.body.TaskGroups.g, { DesiredTotal: 2, PlacedAllocs: 1 });

  // Completion at N+3.
  const ev1 = await evalById(c, e1);
  t.match(ev1, {
    Status: 'complete',
    BlockedEval: blocked.ID,
    QueuedAllocations: { g: 1 },
    DeploymentID: dep.body.ID,
    SnapshotIndex: N,
    ModifyIndex: N + 3,
  });
  t.same(ev1.FailedTGAllocs, blocked.FailedTGAllocs, 'same metrics on the original eval');
  t.equal(ev1.StatusDescription, undefined, 'no description (omitted when empty)');

  const sum = await read(c, '/v1/job/big/summary');
  t.match(sum.body.Summary.g, { Queued: 1, Starting: 1, Running: 0 });
  t.equal(sum.body.ModifyIndex, N + 3, 'Queued is written by the eval completion');
  const job = (await c.get('/v1/job/big')).json;
  t.match(job, { Status: 'running', ModifyIndex: N + 2 }, 'a non-terminal alloc (and the active deployment) keep the job running');
});

t.test('no capacity at all, service count 2 (§12.3): blocked eval with coalesced failures, plan holding only the deployment, Queued 2', async (t) => {
  const c = await simClient({ nodeMemory: 1024 });
  t.teardown(c.close);
  const reg = await c.register(sized('web', 2, 2000));
  const N = reg.json.Index as number;
  const e1 = reg.json.EvalID as string;
  await c.advance(0);
  t.same(await allocsOf(c, 'web'), [], 'nothing placed');
  const blocked = (await evalsOf(c, 'web')).find((e) => e.Status === 'blocked')!;
  t.match(blocked, { TriggeredBy: 'queued-allocs', StatusDescription: 'created to place remaining allocations', PreviousEval: e1, CreateIndex: N + 1 });
  t.match(blocked.FailedTGAllocs?.g, { NodesEvaluated: 1, NodesExhausted: 1, DimensionExhausted: { memory: 1 }, CoalescedFailures: 1 }, 'the second placement coalesces into the first failure');

  const dep = (await c.get('/v1/job/web/deployment')).json;
  t.match(dep, { Status: 'running', CreateIndex: N + 2, ModifyIndex: N + 2 }, 'the plan write holds only the new deployment');
  t.match(dep.TaskGroups.g, { DesiredTotal: 2, PlacedAllocs: 0, RequireProgressBy: null });

  const ev1 = await evalById(c, e1);
  t.match(ev1, { Status: 'complete', BlockedEval: blocked.ID, QueuedAllocations: { g: 2 }, DeploymentID: dep.ID, ModifyIndex: N + 3 });
  t.same(ev1.FailedTGAllocs, blocked.FailedTGAllocs);
  const sum = await summaryOf(c, 'web');
  t.match(sum.Summary.g, { Queued: 2, Starting: 0 });
  t.equal(sum.ModifyIndex, N + 3);
  const job = (await c.get('/v1/job/web')).json;
  t.equal(job.Status, 'running', '2.0: the active deployment makes the job running');
  // A plan without allocs does not recompute the job status (§5.1); the eval completion at N+3 does.
  t.equal(job.ModifyIndex, N + 3, 'job flips to running at the eval completion, not at the alloc-less plan');
});

t.test('capacity freed by stopping another job: the blocked eval re-runs, places, decrements Queued and completes (§7.4)', async (t) => {
  const c = await simClient({ nodeMemory: 1024 });
  t.teardown(c.close);
  await c.register(sized('hog', 1, 800));
  await c.advance(12_000);
  const reg = await c.register(sized('big', 1, 800));
  const N = reg.json.Index as number;
  await c.advance(0);
  const blocked = (await evalsOf(c, 'big')).find((e) => e.Status === 'blocked')!;
  t.ok(blocked);

  // Stopping the job only marks its alloc desired-stop; capacity appears when the client reports it complete.
  await c.del('/v1/job/hog');
  await c.advance(0);
  const hogAlloc = (await allocsOf(c, 'hog'))[0]!;
  t.match(hogAlloc, { DesiredStatus: 'stop', ClientStatus: 'running' });
  t.match(await evalById(c, blocked.ID), { Status: 'blocked', ModifyIndex: N + 1 }, 'not re-run while the hog alloc still runs');
  t.same(await allocsOf(c, 'big'), []);

  // Killed at 50 ms; the client's next sync tick (200 ms) sends it and the server's 50 ms batch writes it.
  await c.advance(249);
  t.match((await allocsOf(c, 'hog'))[0], { ClientStatus: 'running' }, 'not before the batch');
  await c.advance(1);
  const hogDone = (await allocsOf(c, 'hog'))[0]!;
  t.equal(hogDone.ClientStatus, 'complete');
  const placed = await allocsOf(c, 'big');
  t.equal(placed.length, 1, 'the blocked eval placed the alloc');
  const a = placed[0]!;
  t.match(a, { Name: 'big.g[0]', EvalID: blocked.ID, DesiredStatus: 'run' });
  t.ok(a.CreateIndex > hogDone.ModifyIndex, 'placed after the client freed the capacity');
  const dep = (await c.get('/v1/job/big/deployment')).json;
  t.equal((await allocById(c, a.ID)).DeploymentID, dep.ID, 'placed into the job\'s active deployment');
  t.match(dep.TaskGroups.g, { PlacedAllocs: 1 });
  t.type(dep.TaskGroups.g.RequireProgressBy, 'string', 'progress deadline starts with the first placement');

  const done = await evalById(c, blocked.ID);
  t.match(done, { Status: 'complete', TriggeredBy: 'queued-allocs', QueuedAllocations: { g: 0 }, ModifyIndex: a.CreateIndex + 1 });
  t.equal(done.FailedTGAllocs, undefined, 'no failures left');
  t.equal(done.StatusDescription, undefined, 'description cleared on completion');
  t.equal(done.BlockedEval, undefined, 'a re-run blocked eval does not spawn another');
  const sum = await summaryOf(c, 'big');
  t.match(sum.Summary.g, { Queued: 0, Starting: 1 });
  t.equal(sum.ModifyIndex, a.CreateIndex, 'the placement itself decremented Queued');
  t.equal((await evalsOf(c, 'big')).filter((e) => e.Status === 'blocked').length, 0);
});

t.test('a later successful eval cancels the blocked eval: batch job scaled down below what was blocked (§7.4)', async (t) => {
  const c = await simClient({ nodeMemory: 1024 });
  t.teardown(c.close);
  const job = sized('b', 2, 800, { Type: 'batch' }, { Driver: 'mock_driver', Config: { run_for: '1h' } });
  const reg = await c.register(job);
  const N = reg.json.Index as number;
  await c.advance(0);
  const blocked = (await evalsOf(c, 'b')).find((e) => e.Status === 'blocked')!;
  t.match(blocked, { Type: 'batch', CreateIndex: N + 1 });
  t.match(await evalById(c, reg.json.EvalID), { Status: 'complete', BlockedEval: blocked.ID, QueuedAllocations: { g: 1 } });
  t.equal((await c.get('/v1/job/b/deployment')).json, null, 'no deployment for batch jobs');
  t.match((await summaryOf(c, 'b')).Summary.g, { Queued: 1, Starting: 1 });
  t.equal((await c.get('/v1/job/b')).json.Status, 'running');

  await c.advance(1000);
  const scale = await c.put('/v1/job/b/scale', { Count: 1, Target: { Group: 'g' } });
  t.equal(scale.status, 200);
  await c.advance(0);
  const se = await evalById(c, scale.json.EvalID);
  t.match(se, { TriggeredBy: 'job-scaling', Status: 'complete', QueuedAllocations: { g: 0 } });
  t.equal(se.FailedTGAllocs, undefined);
  const cancelled = await evalById(c, blocked.ID);
  t.match(cancelled, { Status: 'canceled', ModifyIndex: se.ModifyIndex }, 'cancelled in the same write that completes the scaling eval');
  t.match(cancelled.StatusDescription, /^evaluation "[0-9a-f-]{36}" successful$/);
  // Nomad's nestedUpsertEval formats the cancelled eval's own ID (the loop variable shadows the
  // successful eval), so the text names the blocked eval itself.
  t.equal(cancelled.StatusDescription, `evaluation "${blocked.ID}" successful`, 'names the blocked eval\'s own ID (nestedUpsertEval quirk)');
  t.match((await summaryOf(c, 'b')).Summary.g, { Queued: 0 });
  t.equal((await allocsOf(c, 'b')).length, 1);
});

// ---------------------------------------------------------------------------------------------
// 2. Scale
// ---------------------------------------------------------------------------------------------

t.test('scale up and down via PUT /scale: three writes, job-scaling eval, new version, placements and stops, scaling events (§11, §12.1 scale)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(webJob(2));
  await c.advance(0);

  // An active deployment of the current job blocks count changes; nothing is written.
  const early = await c.put('/v1/job/web/scale', { Count: 3, Target: { Group: 'web' } });
  t.equal(early.status, 400);
  t.equal(early.body, 'job scaling blocked due to active deployment');
  t.match(early.headers['content-type'], /^text\/plain/);
  t.equal((await c.get('/v1/job/web')).json.Version, 0, 'no new version');
  t.equal((await c.get('/v1/job/web/scale')).json.TaskGroups.web.Events, null, 'no scaling event recorded');

  await c.advance(12_000);
  const d1 = (await c.get('/v1/job/web/deployment')).json;
  t.equal(d1.Status, 'successful');
  const before = (await c.get('/v1/job/web')).json;

  // Scale up to 3.
  const up = await c.put('/v1/job/web/scale', { Count: 3, Target: { Group: 'web' }, Message: 'more load', Meta: { reason: 'load' } });
  t.equal(up.status, 200);
  const S = up.json.JobModifyIndex as number;
  t.ok(S > before.ModifyIndex);
  t.match(up.json, { EvalCreateIndex: S + 1, Index: S + 2, Warnings: '', KnownLeader: true });
  t.type(up.json.EvalID, 'string');
  t.equal(index(up), S + 2, 'X-Nomad-Index = Index (the scaling-event write)');
  const job = (await c.get('/v1/job/web')).json;
  t.match(job, { Version: before.Version + 1, ModifyIndex: S, JobModifyIndex: S, Stable: false, Status: 'running' });
  t.equal(job.TaskGroups[0].Count, 3);
  t.match(await evalById(c, up.json.EvalID), { TriggeredBy: 'job-scaling', Status: 'pending', Type: 'service', JobModifyIndex: S, CreateIndex: S + 1 });

  let scale = await read(c, '/v1/job/web/scale');
  t.equal(scale.index, S + 2, 'index = max(job ModifyIndex, events ModifyIndex, counted allocs)');
  t.match(scale.body, { JobID: 'web', Namespace: 'default', JobCreateIndex: before.CreateIndex, JobModifyIndex: S, JobStopped: false });
  t.match(scale.body.TaskGroups.web, { Desired: 3, Placed: 2, Running: 2, Healthy: 2, Unhealthy: 0 });
  t.equal(scale.body.TaskGroups.web.Events.length, 1);
  t.match(scale.body.TaskGroups.web.Events[0], { Count: 3, PreviousCount: 2, Message: 'more load', Meta: { reason: 'load' }, Error: false, EvalID: up.json.EvalID, CreateIndex: S + 2 });
  t.type(scale.body.TaskGroups.web.Events[0].Time, 'number');

  await c.advance(0);
  let allocs = await allocsOf(c, 'web');
  t.same(allocs.map((a) => a.Name), ['web.web[0]', 'web.web[1]', 'web.web[2]']);
  const planIndex = allocs[2]!.CreateIndex as number;
  t.equal(planIndex, S + 3, 'plan right after the scaling event');
  for (const a of allocs) {
    t.match(a, { DesiredStatus: 'run', EvalID: up.json.EvalID, JobVersion: job.Version, DeploymentStatus: null, ModifyIndex: planIndex }, `${a.Name} placed or updated in place`);
  }
  const ev = await evalById(c, up.json.EvalID);
  t.match(ev, { Status: 'complete', QueuedAllocations: { web: 0 }, ModifyIndex: S + 4 });
  t.match(ev.PlanAnnotations.DesiredTGUpdates.web, { Place: 1, InPlaceUpdate: 2, Stop: 0, DestructiveUpdate: 0 });
  const d2 = (await c.get('/v1/job/web/deployment')).json;
  t.not(d2.ID, d1.ID, 'scale creates a new deployment');
  t.match(d2, { JobVersion: job.Version, Status: 'running', CreateIndex: planIndex });
  t.match(d2.TaskGroups.web, { DesiredTotal: 3, PlacedAllocs: 3 });
  scale = await read(c, '/v1/job/web/scale');
  t.match(scale.body.TaskGroups.web, { Desired: 3, Placed: 3, Healthy: 0 }, 'in-place updated allocs lose their health');

  await c.advance(12_000);
  t.equal((await c.get('/v1/job/web/deployment')).json.Status, 'successful');
  t.match((await c.get('/v1/job/web/scale')).json.TaskGroups.web, { Desired: 3, Placed: 3, Running: 3, Healthy: 3, Unhealthy: 0 });

  // Scale down to 1: the highest indexes stop.
  const down = await c.put('/v1/job/web/scale', { Count: 1, Target: { Group: 'web' } });
  t.equal(down.status, 200);
  const T = down.json.JobModifyIndex as number;
  t.match(down.json, { EvalCreateIndex: T + 1, Index: T + 2 });
  t.equal((await c.get('/v1/job/web')).json.Version, job.Version + 1);
  await c.advance(0);
  allocs = await allocsOf(c, 'web');
  const [a0, a1, a2] = allocs;
  t.match(a0, { Name: 'web.web[0]', DesiredStatus: 'run', EvalID: down.json.EvalID });
  for (const a of [a1, a2]) {
    t.match(a, { DesiredStatus: 'stop', DesiredDescription: 'alloc not needed due to job update', EvalID: up.json.EvalID }, `${a!.Name} stopped`);
    t.equal((await allocById(c, a!.ID)).AllocModifyIndex, T + 3, 'stopped by the plan right after the event');
  }
  t.match((await evalById(c, down.json.EvalID)).PlanAnnotations.DesiredTGUpdates.web, { Stop: 2, InPlaceUpdate: 1, Place: 0 });

  // Killed at 50 ms; the client's 200 ms sync tick and the server's 50 ms batch write it at 250 ms.
  await c.advance(250);
  scale = await read(c, '/v1/job/web/scale');
  t.match(scale.body.TaskGroups.web, { Desired: 1, Placed: 1, Running: 1 }, 'stopped allocs are not counted');
  const events = scale.body.TaskGroups.web.Events as Obj[];
  t.same(events.map((e) => [e.Count, e.PreviousCount]), [[1, 3], [3, 2]], 'newest first');
  t.match(events[0], { EvalID: down.json.EvalID, CreateIndex: T + 2, Message: '', Meta: null, Error: false });
  t.match((await summaryOf(c, 'web')).Summary.web, { Running: 1, Complete: 2 });
});

t.test('scale errors (http-semantics §5.3 scale table) write nothing; a count-less request records only an event', async (t) => {
  const c = await simClient({ nodes: 1 });
  t.teardown(c.close);
  await c.register(minimalJob('web', { TaskGroups: [{ Name: 'web', Count: 2, Scaling: { Min: 1, Max: 4, Enabled: true }, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }] }));
  await c.register(minimalJob('sys', { Type: 'system' }));
  await c.advance(12_000);
  t.equal((await c.get('/v1/job/web/deployment')).json.Status, 'successful');
  const jmi = (await c.get('/v1/job/web')).json.JobModifyIndex as number;
  const cases: [string, Obj, number, string][] = [
    ['web', { Count: 2, Target: { Group: 'web', Job: 'other' } }, 400, 'job ID in payload did not match URL'],
    ['web', { Count: 2, Target: { Group: 'web', Namespace: 'other' } }, 400, 'namespace in payload did not match header'],
    ['web', { Count: 2, Target: {} }, 400, 'missing task group name for scaling action'],
    ['web', { Count: 2 }, 400, 'missing task group name for scaling action'],
    ['web', { Count: -1, Target: { Group: 'web' } }, 400, "scaling action count can't be negative"],
    ['web', { Count: 2, Error: true, Target: { Group: 'web' } }, 400, 'scaling action should not contain count if error is true'],
    ['ghost', { Count: 2, Target: { Group: 'web' } }, 404, 'job "ghost" not found'],
    ['sys', { Count: 2, Target: { Group: 'web' } }, 400, 'jobs of type "system" can only be scaled between 0 and 1'],
    ['web', { Count: 2, Target: { Group: 'nope' } }, 400, 'task group "nope" specified for scaling does not exist in job'],
    ['web', { Count: 0, Target: { Group: 'web' } }, 400, 'group count was less than scaling policy minimum: 0 < 1'],
    ['web', { Count: 5, Target: { Group: 'web' } }, 400, 'group count was greater than scaling policy maximum: 5 > 4'],
    ['web', { Count: 3, Target: { Group: 'web' }, JobModifyIndex: 1 }, 500, `Enforcing job modify index 1: job exists with conflicting job modify index: ${jmi}`],
  ];
  for (const [id, body, status, text] of cases) {
    const res = await c.put(`/v1/job/${id}/scale`, body);
    t.equal(res.status, status, `${id} ${JSON.stringify(body)}`);
    t.equal(res.body, text, `${id} ${JSON.stringify(body)}`);
  }
  const job = (await c.get('/v1/job/web')).json;
  t.match(job, { Version: 0, JobModifyIndex: jmi }, 'no failed request wrote the job');
  t.equal((await c.get('/v1/job/web/scale')).json.TaskGroups.web.Events, null, 'no failed request recorded an event');

  // Without Count: one write (the event), no eval, no new version.
  const note = await c.put('/v1/job/web/scale', { Target: { Group: 'web' }, Message: 'autoscaler error', Error: true });
  t.equal(note.status, 200);
  t.match(note.json, { EvalID: '', EvalCreateIndex: 0, JobModifyIndex: job.ModifyIndex });
  t.ok(note.json.Index > job.ModifyIndex);
  t.equal(index(note), note.json.Index);
  t.equal((await c.get('/v1/job/web')).json.Version, 0);
  const ev = (await c.get('/v1/job/web/scale')).json.TaskGroups.web.Events as Obj[];
  t.equal(ev.length, 1);
  t.match(ev[0], { Count: null, PreviousCount: 2, Message: 'autoscaler error', Error: true, EvalID: null, CreateIndex: note.json.Index });
});

// ---------------------------------------------------------------------------------------------
// 3. Task failure and rescheduling
// ---------------------------------------------------------------------------------------------

t.test('service task exits 1 with no restarts allowed: failed alloc, alloc-failure eval, delayed alloc-reschedule follow-up, replacement (§8.4, §8.5)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const reg = await c.register(minimalJob('flaky', {
    TaskGroups: [{
      Name: 'g',
      Count: 1,
      RestartPolicy: { Attempts: 0, Mode: 'fail', Interval: 1_800_000_000_000, Delay: 15_000_000_000 },
      Tasks: [{ Name: 't', Driver: 'mock_driver', Config: { run_for: '1s', exit_code: 1 } }],
    }],
  }));
  t.equal(reg.status, 200);
  await c.advance(0);
  // Started at 100 ms; the client's sync tick at 200 ms sends it, the server's batch writes it at 250 ms.
  await c.advance(250);
  let [a] = await allocsOf(c, 'flaky');
  t.match(a, { ClientStatus: 'running', ClientDescription: 'Tasks are running' });

  // The task exits after run_for (1.1 s); written by the batch at 1.25 s.
  await c.advance(1000);
  [a] = await allocsOf(c, 'flaky');
  const failedAt = a!.ModifyIndex as number;
  t.match(a, { ClientStatus: 'failed', ClientDescription: 'Failed tasks', DesiredStatus: 'run' });
  const ts = a!.TaskStates.t as Obj;
  t.match(ts, { State: 'dead', Failed: true, Restarts: 0 });
  const types = (ts.Events as Obj[]).map((e) => e.Type);
  t.same(types.slice(-2), ['Terminated', 'Not Restarting']);
  t.match((ts.Events as Obj[]).at(-2), { DisplayMessage: 'Exit Code: 1', Details: { exit_code: '1' } });
  t.match((ts.Events as Obj[]).at(-1), { DisplayMessage: 'Policy allows no restarts', Details: { restart_reason: 'Policy allows no restarts', fails_task: 'true' } });
  const full = await allocById(c, a!.ID);
  t.match(full.DeploymentStatus, { Healthy: false }, 'a failed alloc in a deployment is reported unhealthy');
  t.match((await summaryOf(c, 'flaky')).Summary.g, { Failed: 1, Running: 0 });

  const failureEval = (await evalsOf(c, 'flaky')).find((e) => e.TriggeredBy === 'alloc-failure');
  t.ok(failureEval, 'the client update wrote an alloc-failure eval');
  t.match(failureEval, { CreateIndex: failedAt, Type: 'service' }, 'in the same write as the failed alloc');
  t.equal(failureEval?.JobModifyIndex, undefined, 'client-triggered evals have JobModifyIndex 0 (omitted)');

  // Follow-up eval: delayed by the service reschedule delay (30 s) after the failure.
  await c.advance(2000);
  const follow = (await evalsOf(c, 'flaky')).find((e) => e.TriggeredBy === 'alloc-reschedule');
  t.ok(follow, 'a delayed follow-up eval exists');
  const finishedNs = nsOf(ts.FinishedAt as string);
  t.match(follow, { Status: 'pending', StatusDescription: 'created for delayed rescheduling', Type: 'service' });
  t.equal(nsOf(follow!.WaitUntil), finishedNs + 30e9, 'WaitUntil = failure + 30 s');
  const creator = await evalById(c, follow!.PreviousEval);
  t.equal(creator.NextEval, follow!.ID, 'the eval that created it points to it');
  [a] = await allocsOf(c, 'flaky');
  t.equal(a!.FollowupEvalID, follow!.ID, 'FollowupEvalID on the failed alloc');
  t.equal((await allocsOf(c, 'flaky')).length, 1, 'nothing replaced before the delay');

  await c.advance(30_000);
  const list = await allocsOf(c, 'flaky');
  t.equal(list.length, 2);
  const old = (await allocById(c, a!.ID));
  const repl = list.find((x) => x.ID !== a!.ID)!;
  t.match(repl, { Name: 'flaky.g[0]', EvalID: follow!.ID, DesiredStatus: 'run' });
  const replFull = await allocById(c, repl.ID);
  t.equal(replFull.PreviousAllocation, a!.ID);
  t.match(replFull.RescheduleTracker, { LastReschedule: 'ok' });
  t.equal(replFull.RescheduleTracker.Events.length, 1);
  t.match(replFull.RescheduleTracker.Events[0], { PrevAllocID: a!.ID, PrevNodeID: a!.NodeID, Delay: 30e9 });
  t.type(replFull.RescheduleTracker.Events[0].RescheduleTime, 'number');
  t.match(old, { DesiredStatus: 'stop', DesiredDescription: 'alloc was rescheduled because it failed', ClientStatus: 'failed', NextAllocation: repl.ID });
  t.match(await evalById(c, follow!.ID), { Status: 'complete' });
});

t.test('batch task exits 1: three restarts 15 s apart, failure, one reschedule after 5 s, second failure, job dead with Failed 2 (§12.2 failure variant)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const reg = await c.register(minimalJob('rep', { Type: 'batch', TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'mock_driver', Config: { run_for: '1s', exit_code: 1 } }] }] }));
  const jobDefaults = (await c.get('/v1/job/rep')).json.TaskGroups[0];
  t.match(jobDefaults.RestartPolicy, { Attempts: 3, Interval: 86_400_000_000_000, Delay: 15_000_000_000, Mode: 'fail' });
  t.match(jobDefaults.ReschedulePolicy, { Attempts: 1, Interval: 86_400_000_000_000, Delay: 5_000_000_000, DelayFunction: 'constant', Unlimited: false });
  await c.advance(0);
  const first = (await allocsOf(c, 'rep'))[0]!;

  // First exit and a restart at 1.1 s; the client's sync tick (1.2 s) and the server's 50 ms batch write it at 1.25 s.
  await c.advance(1249);
  t.match(await allocById(c, first.ID), { ClientStatus: 'running' }, 'not before the batch');
  await c.advance(1);
  let a = await allocById(c, first.ID);
  let events = a.TaskStates.t.Events as Obj[];
  t.same(events.map((e) => e.Type), ['Received', 'Task Setup', 'Started', 'Terminated', 'Restarting']);
  t.match(events[3], { DisplayMessage: 'Exit Code: 1' });
  const restart = events[4]!;
  t.match(restart, { Details: { restart_reason: 'Restart within policy' } });
  const delay = Number(restart.Details.start_delay);
  t.ok(delay >= 15e9 && delay <= 15e9 * 1.25, `restart delay ${delay} is 15 s + ≤25 % jitter`);
  t.match(restart.DisplayMessage, /^Task restarting in \d/);
  t.match(a, { ClientStatus: 'pending' }, 'a restarting task is pending again');
  t.match(a.TaskStates.t, { State: 'pending', Restarts: 1, Failed: false });

  // After the third restart the fourth exit fails the task (step the clock: restart delays carry jitter).
  for (let i = 0; i < 200 && a.ClientStatus !== 'failed'; i++) {
    await c.advance(250);
    a = await allocById(c, first.ID);
  }
  events = a.TaskStates.t.Events as Obj[];
  // Fourteen events in all (4 starts, 3 restarts); the client keeps the newest ten (defaultMaxEvents).
  t.same(events.map((e) => e.Type), ['Restarting', 'Started', 'Terminated', 'Restarting', 'Started', 'Terminated', 'Restarting', 'Started', 'Terminated', 'Not Restarting']);
  t.equal(a.TaskStates.t.Restarts, 3);
  t.match(events.at(-1), { Type: 'Not Restarting', DisplayMessage: 'Exceeded allowed attempts 3 in interval 24h0m0s and mode is "fail"', Details: { fails_task: 'true' } });
  t.match(a, { ClientStatus: 'failed', ClientDescription: 'Failed tasks' });
  t.match(a.TaskStates.t, { State: 'dead', Failed: true, Restarts: 3 });
  const evals = await evalsOf(c, 'rep');
  const failure = evals.find((e) => e.TriggeredBy === 'alloc-failure')!;
  t.ok(failure);
  // The plan later wrote FollowupEvalID on the alloc; the summary (Failed++) and the job status
  // (pending) still carry the index of the client update.
  const failSummary = await summaryOf(c, 'rep');
  t.equal(failure.CreateIndex, failSummary.ModifyIndex, 'alloc-failure eval in the client update\'s write');
  t.equal(failure.CreateIndex, (await c.get('/v1/job/rep')).json.ModifyIndex, 'job pending at that same write');
  const follow = evals.find((e) => e.TriggeredBy === 'alloc-reschedule')!;
  t.ok(follow, 'delayed follow-up eval');
  t.equal(nsOf(follow.WaitUntil), nsOf(a.TaskStates.t.FinishedAt) + 5e9, 'WaitUntil = failure + 5 s');
  t.equal(follow.PreviousEval, failure.ID);
  t.equal(follow.JobModifyIndex, failure.CreateIndex, 'delayed follow-ups carry the job\'s ModifyIndex (it went pending at the failure write)');
  t.equal((await evalById(c, failure.ID)).NextEval, follow.ID);
  t.equal(a.FollowupEvalID, follow.ID);
  t.equal((await c.get('/v1/job/rep')).json.Status, 'pending', 'failed alloc awaiting reschedule: job pending (§5.2)');
  t.match((await summaryOf(c, 'rep')).Summary.g, { Failed: 1, Running: 0, Starting: 0 });

  // Five seconds later the replacement is placed.
  await c.advance(5_000);
  let list = await allocsOf(c, 'rep');
  t.equal(list.length, 2);
  const second = list.find((x) => x.ID !== first.ID)!;
  t.match(second, { Name: 'rep.g[0]', EvalID: follow.ID });
  const secondFull = await allocById(c, second.ID);
  t.equal(secondFull.PreviousAllocation, first.ID);
  t.match(secondFull.RescheduleTracker, { LastReschedule: 'ok', Events: [{ PrevAllocID: first.ID, Delay: 5e9 }] });
  t.match(await allocById(c, first.ID), { DesiredStatus: 'stop', DesiredDescription: 'alloc was rescheduled because it failed', NextAllocation: second.ID, ClientStatus: 'failed' });
  t.equal((await c.get('/v1/job/rep')).json.Status, 'running');

  // The replacement fails the same way; no attempts left, so no eval and the job is dead.
  await c.advance(60_000);
  const secondDone = await allocById(c, second.ID);
  t.match(secondDone, { ClientStatus: 'failed', DesiredStatus: 'run' });
  t.equal(secondDone.NextAllocation, undefined);
  t.equal(secondDone.FollowupEvalID, undefined);
  t.equal((await evalsOf(c, 'rep')).filter((e) => e.TriggeredBy === 'alloc-failure').length, 1, 'no alloc-failure eval for an alloc out of reschedule attempts');
  list = await allocsOf(c, 'rep');
  t.equal(list.length, 2, 'not rescheduled again');
  const job = (await c.get('/v1/job/rep')).json;
  t.match(job, { Status: 'dead', Stop: false, ModifyIndex: secondDone.ModifyIndex });
  t.match((await summaryOf(c, 'rep')).Summary.g, { Failed: 2, Running: 0, Starting: 0, Complete: 0 });
  t.equal(reg.status, 200);
});

// ---------------------------------------------------------------------------------------------
// 4. System jobs
// ---------------------------------------------------------------------------------------------

t.test('system job on 3 nodes: one alloc per node, all named <job>.<group>[0], running from register (§5.1, §8.1)', async (t) => {
  const c = await simClient({ nodes: 3 });
  t.teardown(c.close);
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  t.equal(nodes.length, 3);
  const reg = await c.register(minimalJob('sys', { Type: 'system' }));
  const N = reg.json.Index as number;
  t.match((await c.get('/v1/job/sys')).json, { Status: 'running', ModifyIndex: N }, 'system jobs are running from the register write');
  await c.advance(0);
  const allocs = await allocsOf(c, 'sys');
  t.equal(allocs.length, 3);
  t.same(allocs.map((a) => a.Name), ['sys.web[0]', 'sys.web[0]', 'sys.web[0]']);
  t.same(allocs.map((a) => a.NodeID).sort(), nodes.map((n) => n.ID).sort(), 'one per node');
  t.same(allocs.map((a) => a.NodeName).sort(), ['mock-node-1', 'mock-node-2', 'mock-node-3']);
  for (const a of allocs) t.match(a, { JobType: 'system', CreateIndex: N + 1, EvalID: reg.json.EvalID });
  const ev = await evalById(c, reg.json.EvalID);
  t.match(ev, { Type: 'system', Status: 'complete', QueuedAllocations: { web: 0 } });
  t.match(ev.PlanAnnotations.DesiredTGUpdates.web, { Place: 3 });
  t.match((await summaryOf(c, 'sys')).Summary.web, { Starting: 3 });
  t.equal((await c.get('/v1/job/sys')).json.ModifyIndex, N, 'status never changed');

  // Started at 250 ms (docker); sent at the clients' 400 ms tick, written in one batch at 450 ms.
  await c.advance(449);
  t.same((await allocsOf(c, 'sys')).map((a) => a.ClientStatus), ['pending', 'pending', 'pending']);
  await c.advance(1);
  const started = await allocsOf(c, 'sys');
  t.same(started.map((a) => a.ClientStatus), ['running', 'running', 'running']);
  t.equal(new Set(started.map((a) => a.ModifyIndex)).size, 1, 'the three clients\' updates share one index');

  // Stop: dead at the deregister write itself.
  const stop = await c.del('/v1/job/sys');
  t.match((await c.get('/v1/job/sys')).json, { Status: 'dead', Stop: true, ModifyIndex: stop.json.Index });
});

t.test('system job with a constraint excluding one node: allocs only on the others', async (t) => {
  const c = await simClient({ nodes: 3 });
  t.teardown(c.close);
  const reg = await c.register(minimalJob('sys', { Type: 'system', Constraints: [{ LTarget: '${node.unique.name}', RTarget: 'mock-node-2', Operand: '!=' }] }));
  await c.advance(0);
  const allocs = await allocsOf(c, 'sys');
  t.equal(allocs.length, 2);
  t.same(allocs.map((a) => a.Name), ['sys.web[0]', 'sys.web[0]']);
  t.same(allocs.map((a) => a.NodeName).sort(), ['mock-node-1', 'mock-node-3']);
  const ev = await evalById(c, reg.json.EvalID);
  t.match(ev, { Status: 'complete', QueuedAllocations: { web: 0 } });
  t.match(ev.PlanAnnotations.DesiredTGUpdates.web, { Place: 2 });
  t.equal((await evalsOf(c, 'sys')).filter((e) => e.Status === 'blocked').length, 0, 'a filtered node is not a placement failure');
});

// ---------------------------------------------------------------------------------------------
// 5. Alloc stop
// ---------------------------------------------------------------------------------------------

t.test('POST /v1/allocation/:id/stop: AllocStopResponse, alloc-stop eval, old alloc migrated, replacement with the same name', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(webJob(2));
  await c.advance(12_000);
  const victim = (await allocsOf(c, 'web')).find((a) => a.Name === 'web.web[1]')!;
  const keep = (await allocsOf(c, 'web')).find((a) => a.Name === 'web.web[0]')!;

  const res = await c.post(`/v1/allocation/${victim.ID}/stop`);
  t.equal(res.status, 200);
  t.same(Object.keys(res.json).sort(), ['EvalID', 'Index']);
  const I = res.json.Index as number;
  t.equal(index(res), I);
  const marked = await allocById(c, victim.ID);
  t.match(marked, { DesiredStatus: 'run', ModifyIndex: I, AllocModifyIndex: I, DesiredTransition: { Migrate: true } });
  const ev = await evalById(c, res.json.EvalID);
  t.match(ev, { TriggeredBy: 'alloc-stop', Status: 'pending', Type: 'service', Priority: 50, JobID: 'web', CreateIndex: I });

  await c.advance(0);
  const done = await evalById(c, res.json.EvalID);
  t.match(done, { Status: 'complete', QueuedAllocations: { web: 0 } });
  t.match(done.PlanAnnotations.DesiredTGUpdates.web, { Migrate: 1, Ignore: 1 });
  const list = await allocsOf(c, 'web');
  t.equal(list.length, 3);
  const repl = list.find((a) => a.ID !== victim.ID && a.ID !== keep.ID)!;
  t.match(repl, { Name: 'web.web[1]', DesiredStatus: 'run', ClientStatus: 'pending', EvalID: res.json.EvalID });
  t.equal((await allocById(c, repl.ID)).PreviousAllocation, victim.ID);
  const old = await allocById(c, victim.ID);
  t.match(old, { DesiredStatus: 'stop', DesiredDescription: 'alloc is being migrated', NextAllocation: repl.ID, AllocModifyIndex: repl.CreateIndex });
  t.match(await allocById(c, keep.ID), { DesiredStatus: 'run', ModifyIndex: keep.ModifyIndex }, 'the other alloc is untouched');

  // Killed at 50 ms, replacement started at 250 ms (docker): the clients' ticks at 200 and 400 ms
  // send them, the server's 50 ms batches write them at 250 and 450 ms.
  await c.advance(250);
  t.match(await allocById(c, victim.ID), { ClientStatus: 'complete', DesiredStatus: 'stop' });
  t.match(await allocById(c, repl.ID), { ClientStatus: 'pending' });
  await c.advance(200);
  t.match(await allocById(c, repl.ID), { ClientStatus: 'running' });
  t.match((await summaryOf(c, 'web')).Summary.web, { Running: 2, Complete: 1 });
  t.equal((await c.get('/v1/job/web')).json.Status, 'running');
});

// ---------------------------------------------------------------------------------------------
// 6. Purge with running allocs
// ---------------------------------------------------------------------------------------------

t.test('purge with running allocs: allocs deleted, job 404, pending evals completed "job <id> deleted", deregister eval completes with nothing to do (§5.4)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const reg = await c.register(webJob(2));
  // Started at 250 ms (docker), written by the server's batch after the clients' 400 ms tick.
  await c.advance(450);
  const allocs = await allocsOf(c, 'web');
  t.same(allocs.map((a) => a.ClientStatus), ['running', 'running']);
  const e1 = await evalById(c, reg.json.EvalID);

  // A pending eval at purge time (not yet picked up by the scheduler).
  const evaluate = await c.post('/v1/job/web/evaluate', { JobID: 'web' });
  t.equal(evaluate.status, 200);
  t.match(await evalById(c, evaluate.json.EvalID), { Status: 'pending' });

  const purge = await c.del('/v1/job/web?purge=true');
  t.equal(purge.status, 200);
  const P = purge.json.Index as number;
  t.match(purge.json, { EvalCreateIndex: P, JobModifyIndex: P, VolumeEvalID: '', VolumeEvalIndex: 0 });
  t.equal(index(purge), P);

  const job = await c.get('/v1/job/web');
  t.equal(job.status, 404);
  t.equal(job.body, 'job not found');
  const list = await read(c, '/v1/job/web/allocations');
  t.same(list.body, []);
  t.equal(list.index, P, 'allocs table index moved by the purge');
  t.same((await c.get('/v1/allocations')).json, [], 'allocs are deleted from state, not stopped');
  for (const a of allocs) {
    const r = await c.get(`/v1/allocation/${a.ID}`);
    t.equal(r.status, 404);
    t.equal(r.body, 'alloc not found');
  }
  const summary = await c.get('/v1/job/web/summary');
  t.equal(summary.status, 404);
  t.equal(summary.body, 'job not found');
  t.equal((await c.get('/v1/job/web/deployment')).body, 'null');
  t.same((await c.get('/v1/job/web/deployments')).json, []);
  t.equal((await c.get('/v1/job/web/versions')).body, 'job versions not found');
  t.equal((await c.get('/v1/job/web/scale')).status, 404);

  // Evals remain: the terminal one untouched, the pending one completed, the purge eval pending.
  t.match(await evalById(c, reg.json.EvalID), { Status: 'complete', ModifyIndex: e1.ModifyIndex });
  const rewritten = await evalById(c, evaluate.json.EvalID);
  t.match(rewritten, { Status: 'complete', StatusDescription: 'job web deleted', ModifyIndex: P });
  t.match(await evalById(c, purge.json.EvalID), { TriggeredBy: 'job-deregister', Type: 'service', Status: 'pending', CreateIndex: P });
  t.equal((await c.get('/v1/job/web/evaluations')).json.length, 3);

  await c.advance(0);
  t.match(await evalById(c, purge.json.EvalID), { Status: 'complete', ModifyIndex: P + 1 });
  t.match(await evalById(c, evaluate.json.EvalID), { Status: 'complete', ModifyIndex: P }, 'the rewritten eval is not scheduled');

  // The clients drop the deleted allocs; nothing reappears.
  await c.advance(1000);
  const after = await read(c, '/v1/job/web/allocations');
  t.same(after.body, []);
  t.equal(after.index, P, 'no further alloc writes');
  t.equal((await c.get('/v1/job/web')).status, 404);
});

// ---------------------------------------------------------------------------------------------
// 7. What a placement reads afresh at every eval (issue 16: per-plan caches must not go stale)
// ---------------------------------------------------------------------------------------------

t.test('distinct_hosts counts the group\'s allocs at every eval, and a node changed between evals is checked again', async (t) => {
  const c = await simClient({ nodes: 3 });
  t.teardown(c.close);
  const job = (count: number, id = 'dh'): Obj =>
    sized(id, count, 64, {}, { Constraints: [{ Operand: 'distinct_hosts', LTarget: '', RTarget: 'true' }] });
  await c.register(job(2));
  await c.advance(0);
  const two = (await allocsOf(c, 'dh')).filter((a) => a.DesiredStatus === 'run');
  t.equal(new Set(two.map((a) => a.NodeID)).size, 2, 'two allocs on two nodes');

  await c.register(job(3));
  await c.advance(0);
  const three = (await allocsOf(c, 'dh')).filter((a) => a.DesiredStatus === 'run');
  t.equal(three.length, 3);
  t.equal(new Set(three.map((a) => a.NodeID)).size, 3, 'the third lands on the one node without an alloc of the group');

  const four = await c.register(job(4));
  await c.advance(0);
  t.equal((await allocsOf(c, 'dh')).filter((a) => a.DesiredStatus === 'run').length, 3, 'no fourth node to place on');
  const ev = await evalById(c, four.json.EvalID);
  t.match(ev.FailedTGAllocs.g, { NodesEvaluated: 3, NodesFiltered: 3, ConstraintFiltered: { distinct_hosts: 3 } });

  // A node whose docker driver turns unhealthy is filtered at the next eval, not judged by an earlier one.
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  const changed = await c.put(`/_mock/node/${nodes[0]!.ID}`, { Drivers: { docker: { Healthy: false } } });
  t.equal(changed.status, 200);
  const other = await c.register(job(3, 'dh2'));
  await c.advance(0);
  const placed = (await allocsOf(c, 'dh2')).filter((a) => a.DesiredStatus === 'run');
  t.equal(placed.length, 2, 'two of the three nodes still run docker');
  t.notOk(placed.some((a) => a.NodeID === nodes[0]!.ID), 'nothing on the node without a healthy docker driver');
  t.match((await evalById(c, other.json.EvalID)).FailedTGAllocs.g, { ConstraintFiltered: { 'missing drivers': 1, distinct_hosts: 2 } });
});
