// The two end-to-end timelines of state-semantics §12, replayed step by step on the manual clock and
// observed only through the HTTP API a client would use.
import t from 'tap';
import { simClient, minimalJob, index, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const byName = (allocs: Obj[]): Obj[] => [...allocs].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : a.CreateIndex - b.CreateIndex));

async function read(c: Client, url: string): Promise<{ body: Obj; index: number }> {
  const r = await c.get(url);
  return { body: r.json, index: index(r) };
}

const serviceJob = (): Obj =>
  minimalJob('web', { TaskGroups: [{ Name: 'web', Count: 2, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }] });

t.test('service job count 2: register, place, run, become healthy, deployment succeeds, job stable (§12.1)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);

  const reg = await c.register(serviceJob());
  t.equal(reg.status, 200);
  const N = reg.json.Index as number;
  t.match(reg.json, { EvalCreateIndex: N, JobModifyIndex: N, Index: N, Warnings: '' });
  const e1 = reg.json.EvalID as string;

  // Scheduler: plan at N+1, eval completion at N+2.
  await c.advance(0);
  let job = (await read(c, '/v1/job/web')).body;
  t.match(job, { Status: 'running', Version: 0, Stable: false, CreateIndex: N, ModifyIndex: N + 1, JobModifyIndex: N });
  const ev1 = (await read(c, `/v1/evaluation/${e1}`)).body;
  t.match(ev1, { Status: 'complete', TriggeredBy: 'job-register', Type: 'service', Priority: 50, JobModifyIndex: N, QueuedAllocations: { web: 0 }, SnapshotIndex: N, CreateIndex: N, ModifyIndex: N + 2 });
  t.match(ev1.PlanAnnotations.DesiredTGUpdates.web, { Place: 2, Ignore: 0, Stop: 0, DestructiveUpdate: 0 });
  const depRead = await read(c, '/v1/job/web/deployment');
  const d1 = depRead.body;
  t.equal(depRead.index, N + 1, 'deployment table index = plan write');
  t.equal(ev1.DeploymentID, d1.ID, 'eval names the deployment it created');
  t.match(d1, { Status: 'running', StatusDescription: 'Deployment is running', JobVersion: 0, JobCreateIndex: N, JobModifyIndex: N, JobSpecModifyIndex: N, EvalPriority: 50, CreateIndex: N + 1 });
  t.match(d1.TaskGroups.web, { DesiredTotal: 2, PlacedAllocs: 2, HealthyAllocs: 0, UnhealthyAllocs: 0, ProgressDeadline: 600_000_000_000, Promoted: false, DesiredCanaries: 0, PlacedCanaries: null, AutoRevert: false, AutoPromote: false });
  t.type(d1.TaskGroups.web.RequireProgressBy, 'string');

  let allocs = await read(c, '/v1/job/web/allocations');
  t.equal(allocs.index, N + 1);
  let list = byName(allocs.body as unknown as Obj[]);
  t.same(list.map((a) => a.Name), ['web.web[0]', 'web.web[1]']);
  for (const a of list) {
    t.match(a, { DesiredStatus: 'run', ClientStatus: 'pending', DeploymentStatus: null, TaskStates: null, EvalID: e1, CreateIndex: N + 1, ModifyIndex: N + 1, JobVersion: 0, JobType: 'service' });
  }
  const full = (await read(c, `/v1/allocation/${list[0]!.ID}`)).body;
  t.match(full, { DeploymentID: d1.ID, AllocModifyIndex: N + 1, NodeName: 'mock-node-1', TaskGroup: 'web' });
  t.equal(full.Job.ID, 'web', 'full alloc embeds the job');
  const t0 = c.mock.clock.nowMs();
  let summary = (await read(c, '/v1/job/web/summary')).body;
  t.match(summary.Summary.web, { Starting: 2, Running: 0, Queued: 0 });

  // The clients pick the allocs up at 50 ms, but a client sends its alloc updates only on its sync
  // tick (client.go allocSync, every 200 ms) and the server applies them in 50 ms batches
  // (node_endpoint.go batchUpdateInterval): nothing has reached the state yet.
  await c.advance(50);
  allocs = await read(c, '/v1/job/web/allocations');
  t.equal(allocs.index, N + 1, 'no client write before the sync tick');
  t.ok((allocs.body as unknown as Obj[]).every((a) => a.TaskStates === null));

  // Tick at 200 ms, batch applied at 250 ms: both allocs' first updates in one write (UpdateAllocsFromClient).
  await c.advance(200);
  list = byName((await read(c, '/v1/job/web/allocations')).body as unknown as Obj[]);
  for (const a of list) {
    t.equal(a.ClientStatus, 'pending');
    t.equal(a.ClientDescription, 'No tasks have started');
    t.same(a.TaskStates.server.Events.map((e: Obj) => e.Type), ['Received', 'Task Setup', 'Driver']);
    t.equal(a.TaskStates.server.Events[2].DisplayMessage, 'Downloading image');
    t.equal(a.TaskStates.server.State, 'pending');
    t.equal(a.ModifyIndex, N + 3, 'one index for the batch');
  }
  summary = (await read(c, '/v1/job/web/summary')).body;
  t.match(summary.Summary.web, { Starting: 2, Running: 0 }, 'pending → pending leaves the summary alone');

  // Tasks start at 250 ms (docker: 200 ms after pickup); the next tick (400 ms) sends it, applied at 450 ms.
  await c.advance(199);
  t.equal((await read(c, '/v1/job/web/allocations')).index, N + 3, 'not before the next batch');
  await c.advance(1);
  list = byName((await read(c, '/v1/job/web/allocations')).body as unknown as Obj[]);
  for (const a of list) {
    t.match(a, { ClientStatus: 'running', ClientDescription: 'Tasks are running', DeploymentStatus: null, ModifyIndex: N + 4 });
    t.equal(a.TaskStates.server.State, 'running');
    t.equal(a.TaskStates.server.Events.at(-1).Type, 'Started');
    t.equal(Date.parse(a.TaskStates.server.StartedAt), t0 + 250, 'the client\'s start time, not the batch\'s');
  }
  summary = (await read(c, '/v1/job/web/summary')).body;
  t.match(summary.Summary.web, { Starting: 0, Running: 2 });
  const runningIndex = Math.max(...list.map((a) => a.ModifyIndex as number));

  // min_healthy_time (10 s) after the start (10.25 s) both allocs are healthy on the client; the
  // tick at 10.4 s sends it and the batch at 10.45 s writes it, with the deployment's counters.
  await c.advance(9_999);
  t.equal((await read(c, '/v1/job/web/deployment')).body.TaskGroups.web.HealthyAllocs, 0, 'not healthy before the batch that carries it');
  await c.advance(1);
  list = byName((await read(c, '/v1/job/web/allocations')).body as unknown as Obj[]);
  for (const a of list) {
    t.match(a.DeploymentStatus, { Healthy: true, Canary: false });
    t.equal(Date.parse(a.DeploymentStatus.Timestamp), t0 + 10_250, 'when the client found it healthy');
    t.equal(a.DeploymentStatus.ModifyIndex, a.ModifyIndex, 'health index = the client write');
    t.equal(a.ModifyIndex, runningIndex + 1, 'both in one batch');
  }
  let dep = (await read(c, '/v1/job/web/deployment')).body;
  t.match(dep, { Status: 'running', TaskGroups: { web: { HealthyAllocs: 2 } } });
  const healthIndex = Math.max(...list.map((a) => a.ModifyIndex as number));
  t.ok(healthIndex > runningIndex);

  // The watcher batches for 1 s, then its eval lets the scheduler mark the deployment successful.
  await c.advance(999);
  t.equal((await read(c, '/v1/job/web/deployment')).body.Status, 'running');
  await c.advance(1);
  const evals = (await read(c, '/v1/job/web/evaluations')).body as unknown as Obj[];
  const e2 = evals.find((e) => e.TriggeredBy === 'deployment-watcher')!;
  t.ok(e2, 'deployment-watcher eval exists');
  t.match(e2, { Status: 'complete', DeploymentID: d1.ID, CreateIndex: healthIndex + 1, ModifyIndex: healthIndex + 3, QueuedAllocations: { web: 0 } });
  t.match(e2.PlanAnnotations.DesiredTGUpdates.web, { Ignore: 2, Place: 0 });
  dep = (await read(c, '/v1/job/web/deployment')).body;
  t.match(dep, { Status: 'successful', StatusDescription: 'Deployment completed successfully', ModifyIndex: healthIndex + 2 });
  job = (await read(c, '/v1/job/web')).body;
  t.match(job, { Status: 'running', Stable: true, Version: 0, JobModifyIndex: N, ModifyIndex: healthIndex + 2 });
  const versions = (await read(c, '/v1/job/web/versions')).body;
  t.equal(versions.Versions[0].Stable, true, 'version 0 row is stable');
});

t.test('stop a running service job: desired stop, pending, dead, then clients complete the allocs (§12.1 stop)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob());
  await c.advance(12_000);
  const stop = await c.del('/v1/job/web');
  const S = stop.json.Index as number;
  t.match(stop.json, { EvalCreateIndex: S, JobModifyIndex: S, VolumeEvalID: '', VolumeEvalIndex: 0 });
  // The scheduler runs on the next turn; read the job before it does.
  const before = (await c.get('/v1/job/web')).json;
  t.match(before, { Stop: true, Version: 1, Stable: false, JobModifyIndex: S });
  await c.advance(0);
  const job = (await c.get('/v1/job/web')).json;
  t.match(job, { Status: 'dead', ModifyIndex: S + 2 });
  const ev = (await c.get(`/v1/evaluation/${stop.json.EvalID}`)).json;
  t.match(ev, { TriggeredBy: 'job-deregister', Type: 'service', Status: 'complete', QueuedAllocations: { web: 0 } });
  t.equal(ev.PlanAnnotations.DesiredTGUpdates.web.Stop, 2);
  let allocs = (await c.get('/v1/job/web/allocations')).json as Obj[];
  for (const a of allocs) t.match(a, { DesiredStatus: 'stop', DesiredDescription: 'alloc not needed due to job update', ClientStatus: 'running' });
  // Killing at 12 s, killed at 12.05 s: the client's tick at 12.2 s sends only the newest state of
  // each alloc (allocSync keeps one update per alloc), applied at 12.25 s.
  await c.advance(249);
  allocs = (await c.get('/v1/job/web/allocations')).json as Obj[];
  for (const a of allocs) t.match(a, { DesiredStatus: 'stop', ClientStatus: 'running' });
  await c.advance(1);
  allocs = (await c.get('/v1/job/web/allocations')).json as Obj[];
  t.equal(new Set(allocs.map((a) => a.ModifyIndex)).size, 1, 'one write for both allocs');
  for (const a of allocs) {
    t.match(a, { DesiredStatus: 'stop', ClientStatus: 'complete', ClientDescription: 'All tasks have completed' });
    const events = a.TaskStates.server.Events as Obj[];
    t.same(events.slice(-3).map((e) => e.Type), ['Killing', 'Terminated', 'Killed']);
    t.equal(events.at(-3)!.DisplayMessage, 'Sent interrupt. Waiting 5s before force killing');
    t.equal(a.TaskStates.server.State, 'dead');
    t.equal(a.TaskStates.server.Failed, false);
  }
  const summary = (await c.get('/v1/job/web/summary')).json;
  t.match(summary.Summary.web, { Running: 0, Complete: 2 });
});

t.test('batch job: placed without a deployment, runs, completes, job dead (§12.2)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const reg = await c.register(minimalJob('report', { Type: 'batch', TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }] }));
  const N = reg.json.Index as number;
  t.equal((await c.get('/v1/job/report')).json.Status, 'pending');
  await c.advance(0);
  let alloc = ((await c.get('/v1/job/report/allocations')).json as Obj[])[0]!;
  t.match(alloc, { Name: 'report.g[0]', ClientStatus: 'pending', DesiredStatus: 'run', CreateIndex: N + 1 });
  t.equal((await c.get(`/v1/allocation/${alloc.ID}`)).json.DeploymentID, undefined, 'no DeploymentID (omitted when empty)');
  t.equal((await c.get('/v1/job/report/deployment')).json, null, 'no deployment for batch jobs');
  const ev = (await c.get(`/v1/evaluation/${reg.json.EvalID}`)).json;
  t.match(ev, { Status: 'complete', Type: 'batch', QueuedAllocations: { g: 0 } });
  t.equal(ev.DeploymentID, undefined);
  let job = (await c.get('/v1/job/report')).json;
  t.match(job, { Status: 'running', ModifyIndex: N + 1 });
  t.match((await c.get('/v1/job/report/summary')).json.Summary.g, { Starting: 1 });

  // Docker starts 250 ms after placement; the client's tick at 400 ms sends it, applied at 450 ms.
  await c.advance(250);
  alloc = ((await c.get('/v1/job/report/allocations')).json as Obj[])[0]!;
  t.equal(alloc.ClientStatus, 'pending');
  await c.advance(200);
  alloc = ((await c.get('/v1/job/report/allocations')).json as Obj[])[0]!;
  t.equal(alloc.ClientStatus, 'running');
  t.match((await c.get('/v1/job/report/summary')).json.Summary.g, { Starting: 0, Running: 1 });

  await c.advance(1000);
  alloc = ((await c.get('/v1/job/report/allocations')).json as Obj[])[0]!;
  t.match(alloc, { ClientStatus: 'complete', ClientDescription: 'All tasks have completed', DesiredStatus: 'run' });
  const task = alloc.TaskStates.t;
  t.match(task, { State: 'dead', Failed: false });
  t.type(task.FinishedAt, 'string');
  const term = (task.Events as Obj[]).at(-1)!;
  t.match(term, { Type: 'Terminated', DisplayMessage: 'Exit Code: 0', Details: { exit_code: '0' } });
  t.match((await c.get('/v1/job/report/summary')).json.Summary.g, { Running: 0, Complete: 1 });
  job = (await c.get('/v1/job/report')).json;
  t.match(job, { Status: 'dead', Stop: false, ModifyIndex: alloc.ModifyIndex });

  // Re-registering the unchanged spec: a new eval, job pending, nothing placed, dead again.
  const again = await c.register(minimalJob('report', { Type: 'batch', TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }] }));
  t.equal((await c.get('/v1/job/report')).json.Status, 'pending');
  await c.advance(0);
  const ev2 = (await c.get(`/v1/evaluation/${again.json.EvalID}`)).json;
  // The completed alloc is untainted and of the same job modify index: computeUpdates ignores it.
  t.match(ev2.PlanAnnotations.DesiredTGUpdates.g, { Ignore: 1, Place: 0 });
  t.equal(((await c.get('/v1/job/report/allocations')).json as Obj[]).length, 1, 'completed alloc is not re-placed');
  t.equal((await c.get('/v1/job/report')).json.Status, 'dead');
});

t.test('a blocking read of a job\'s allocations wakes when an alloc changes state', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(serviceJob());
  await c.advance(0);
  const first = await c.get('/v1/job/web/allocations');
  const idx = index(first);
  const pending = c.get(`/v1/job/web/allocations?index=${idx}&wait=5s`);
  let settled = false;
  void pending.then(() => (settled = true));
  await new Promise((r) => setTimeout(r, 20));
  t.equal(settled, false, 'still blocked while nothing changes');
  // Picked up at 50 ms, sent at the client's 200 ms tick, written by the server's batch at 250 ms.
  await c.advance(250);
  const woke = await pending;
  t.ok(index(woke) > idx, 'woken with a newer index');
  t.ok((woke.json as Obj[]).every((a) => a.TaskStates !== null), 'sees the client update');
});
