// Deployment scenarios on the manual clock, observed only over HTTP: destructive and in-place updates
// (state-semantics §8.5, §12.1 "Update"), canaries and promotion, auto-revert (§9.3–9.4), the
// /v1/deployment* endpoints (deployments.mdx, http-semantics §1.4, §5) and job plan (§6.3).
// Where the simulator disagrees with the reference the assertion states the reference and is marked todo.
import t from 'tap';
import { simClient, minimalJob, index, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const S = 1_000_000_000; // one second in ns (jobspec durations)

interface GroupOpts {
  count?: number;
  image?: string;
  update?: Obj;
  task?: Obj;
  group?: Obj;
}

/** Service job `web`, group `web`, task `server` (docker unless `task` overrides). */
function webJob(o: GroupOpts = {}): Obj {
  const task = o.task ?? { Name: 'server', Driver: 'docker', Config: { image: o.image ?? 'nginx:1.27' } };
  return minimalJob('web', {
    TaskGroups: [{ Name: 'web', Count: o.count ?? 2, ...(o.update ? { Update: o.update } : {}), ...o.group, Tasks: [task] }],
  });
}

const byCreate = (xs: Obj[]): Obj[] => [...xs].sort((a, b) => a.CreateIndex - b.CreateIndex || (a.ID < b.ID ? -1 : 1));

async function deployments(c: Client, job = 'web'): Promise<Obj[]> {
  return byCreate((await c.get(`/v1/job/${job}/deployments`)).json as Obj[]);
}
async function deployment(c: Client, id: string): Promise<Obj> {
  return (await c.get(`/v1/deployment/${id}`)).json as Obj;
}
async function allocs(c: Client, job = 'web'): Promise<Obj[]> {
  return byCreate((await c.get(`/v1/job/${job}/allocations`)).json as Obj[]);
}
async function alloc(c: Client, id: string): Promise<Obj> {
  return (await c.get(`/v1/allocation/${id}`)).json as Obj;
}
async function evaluation(c: Client, id: string): Promise<Obj> {
  return (await c.get(`/v1/evaluation/${id}`)).json as Obj;
}
async function job(c: Client, id = 'web'): Promise<Obj> {
  return (await c.get(`/v1/job/${id}`)).json as Obj;
}
const live = (xs: Obj[]): Obj[] => xs.filter((a) => a.DesiredStatus === 'run' && !['complete', 'failed', 'lost'].includes(a.ClientStatus));

/** Registers `spec` and lets its first deployment finish (placement, running, healthy, watcher eval). */
async function deployStable(c: Client, spec: Obj): Promise<Obj> {
  const reg = await c.register(spec);
  await c.advance(0);
  await c.advance(12_000);
  const [d] = await deployments(c);
  return { reg: reg.json, dep: d! };
}

// ---------------------------------------------------------------------------------------------
// 1. Destructive and in-place updates
// ---------------------------------------------------------------------------------------------

t.test('destructive update (image change) rolls one alloc at a time through a new deployment gated by health (§12.1 Update)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const { dep: d1 } = await deployStable(c, webJob());
  t.equal(d1.Status, 'successful', 'v0 deployment finished first');
  const v0Allocs = await allocs(c);
  t.equal(v0Allocs.length, 2);

  const up = await c.register(webJob({ image: 'nginx:1.28' }));
  t.equal(up.status, 200);
  const U = up.json.Index as number;
  t.match(up.json, { EvalCreateIndex: U, JobModifyIndex: U });
  t.match(await job(c), { Version: 1, Stable: false, Status: 'running', JobModifyIndex: U });

  await c.advance(0);
  const deps = await deployments(c);
  t.equal(deps.length, 2);
  t.equal(deps[0]!.ID, d1.ID);
  t.equal(deps[0]!.Status, 'successful', 'a finished deployment is not cancelled');
  const d2 = deps[1]!;
  t.match(d2, { Status: 'running', StatusDescription: 'Deployment is running', JobVersion: 1, JobSpecModifyIndex: U, CreateIndex: U + 1 });
  t.match(d2.TaskGroups.web, { DesiredTotal: 2, PlacedAllocs: 1, HealthyAllocs: 0, DesiredCanaries: 0, Promoted: false });

  const e5 = await evaluation(c, up.json.EvalID);
  t.match(e5, { Status: 'complete', TriggeredBy: 'job-register', DeploymentID: d2.ID });
  t.match(e5.PlanAnnotations.DesiredTGUpdates.web, { DestructiveUpdate: 1, Ignore: 1, Place: 0, Stop: 0, InPlaceUpdate: 0 });

  let list = await allocs(c);
  t.equal(list.length, 3, 'one replacement placed, MaxParallel 1');
  const replacement = list.find((a) => a.JobVersion === 1)!;
  const old = await alloc(c, replacement.ID).then((r) => alloc(c, r.PreviousAllocation));
  const fresh = await alloc(c, replacement.ID);
  t.match(fresh, { DesiredStatus: 'run', ClientStatus: 'pending', DeploymentID: d2.ID, EvalID: up.json.EvalID, RescheduleTracker: null });
  t.equal(fresh.Name, old.Name, 'replacement keeps the name');
  t.equal(fresh.PreviousAllocation, old.ID);
  t.match(old, { DesiredStatus: 'stop', DesiredDescription: 'alloc is being updated due to job update', NextAllocation: fresh.ID, DeploymentID: d1.ID });
  t.equal(fresh.Name, 'web.web[0]', 'web.web[0] is replaced first (A0 → A0\', names in ascending index order)');
  const untouched = list.find((a) => a.ID !== old.ID && a.JobVersion === 0)!;
  t.match(untouched, { DesiredStatus: 'run', ClientStatus: 'running' });

  // The replacement runs; the old one is killed. Before the replacement is healthy nothing else moves.
  await c.advance(10_000);
  list = await allocs(c);
  t.equal(list.length, 3, 'no second replacement before the first is healthy');
  t.match(list.find((a) => a.ID === old.ID), { ClientStatus: 'complete', DesiredStatus: 'stop' });
  t.match(list.find((a) => a.ID === fresh.ID), { ClientStatus: 'running', DeploymentStatus: null });

  // Healthy on the client at 10.25 s; its sync tick (10.4 s) and the server's 50 ms batch write it at
  // 10.45 s (client.go allocSync, node_endpoint.go batchUpdate); the watcher eval 1 s later.
  await c.advance(1_000);
  list = await allocs(c);
  t.equal(list.length, 3, 'healthy but the watcher batch has not fired yet');
  t.match(list.find((a) => a.ID === fresh.ID)!.DeploymentStatus, { Healthy: true, Canary: false });
  t.equal((await deployment(c, d2.ID)).TaskGroups.web.HealthyAllocs, 1);
  await c.advance(449);
  t.equal((await allocs(c)).length, 3, 'the watcher batch has not fired yet');
  await c.advance(1);
  list = await allocs(c);
  t.equal(list.length, 4, 'the watcher eval replaced the second alloc');
  const second = list.filter((a) => a.JobVersion === 1 && a.ID !== fresh.ID)[0]!;
  t.equal((await alloc(c, second.ID)).PreviousAllocation, untouched.ID);
  t.match(await alloc(c, untouched.ID), { DesiredStatus: 'stop', DesiredDescription: 'alloc is being updated due to job update', NextAllocation: second.ID });
  const watcherEvals = ((await c.get('/v1/job/web/evaluations')).json as Obj[]).filter((e) => e.TriggeredBy === 'deployment-watcher' && e.DeploymentID === d2.ID);
  t.equal(watcherEvals.length, 1);
  t.match(watcherEvals[0]!.PlanAnnotations.DesiredTGUpdates.web, { DestructiveUpdate: 1, Ignore: 1 });
  t.match((await deployment(c, d2.ID)).TaskGroups.web, { PlacedAllocs: 2, HealthyAllocs: 1 });
  t.equal((await deployment(c, d2.ID)).Status, 'running');

  await c.advance(12_000);
  const done = await deployment(c, d2.ID);
  t.match(done, { Status: 'successful', StatusDescription: 'Deployment completed successfully' });
  t.match(done.TaskGroups.web, { DesiredTotal: 2, PlacedAllocs: 2, HealthyAllocs: 2, UnhealthyAllocs: 0 });
  t.match(await job(c), { Version: 1, Stable: true, Status: 'running' });
  const versions = (await c.get('/v1/job/web/versions')).json.Versions as Obj[];
  t.match(versions.find((v) => v.Version === 1), { Stable: true });
  t.match(versions.find((v) => v.Version === 0), { Stable: true });
  list = await allocs(c);
  t.same(live(list).map((a) => a.JobVersion), [1, 1], 'only v1 allocs remain');
  t.same(live(list).map((a) => a.Name).sort(), ['web.web[0]', 'web.web[1]']);
});

t.test('an update while the previous deployment is active cancels it: "Cancelled due to newer version of job"', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(webJob());
  await c.advance(0);
  const [d1] = await deployments(c);
  t.equal(d1!.Status, 'running');
  const up = await c.register(webJob({ image: 'nginx:1.28' }));
  await c.advance(0);
  const deps = await deployments(c);
  t.equal(deps.length, 2);
  t.match(deps[0], { ID: d1!.ID, Status: 'cancelled', StatusDescription: 'Cancelled due to newer version of job', ModifyIndex: up.json.Index + 1 });
  t.match(deps[1], { Status: 'running', JobVersion: 1, CreateIndex: up.json.Index + 1 });
  t.match(deps[1]!.TaskGroups.web, { DesiredTotal: 2 });
  await c.advance(30_000);
  t.equal((await deployment(c, deps[1]!.ID)).Status, 'successful');
  t.match(await job(c), { Version: 1, Stable: true });
  const versions = (await c.get('/v1/job/web/versions')).json.Versions as Obj[];
  t.equal(versions.find((v) => v.Version === 0)!.Stable, false, 'v0 never became stable');
});

t.test('in-place update (only the update block changes) keeps alloc IDs, names and nodes under a new deployment (§8.5)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const { dep: d1 } = await deployStable(c, webJob());
  const before = await allocs(c);
  const up = await c.register(webJob({ update: { MinHealthyTime: 5 * S } }));
  t.equal(up.status, 200);
  t.equal((await job(c)).Version, 1, 'the update block is part of the spec: new version');
  await c.advance(0);
  const ev = await evaluation(c, up.json.EvalID);
  t.match(ev.PlanAnnotations.DesiredTGUpdates.web, { InPlaceUpdate: 2, DestructiveUpdate: 0, Place: 0, Stop: 0 });
  const deps = await deployments(c);
  t.equal(deps.length, 2);
  const d2 = deps[1]!;
  t.match(d2, { Status: 'running', JobVersion: 1 });
  t.match(d2.TaskGroups.web, { DesiredTotal: 2, PlacedAllocs: 2, HealthyAllocs: 0 });
  t.equal(ev.DeploymentID, d2.ID);
  const after = await allocs(c);
  t.same(after.map((a) => a.ID), before.map((a) => a.ID), 'same alloc IDs, nothing placed');
  for (const a of after) {
    const b = before.find((x) => x.ID === a.ID)!;
    t.match(a, { Name: b.Name, NodeID: b.NodeID, DesiredStatus: 'run', ClientStatus: 'running', JobVersion: 1, EvalID: up.json.EvalID, DeploymentStatus: null });
    t.match(await alloc(c, a.ID), { DeploymentID: d2.ID, AllocModifyIndex: up.json.Index + 1 });
    t.equal(a.CreateIndex, b.CreateIndex);
  }
  t.not(d2.ID, d1.ID);
  await c.advance(15_000);
  t.equal((await deployment(c, d2.ID)).Status, 'successful');
  t.match((await deployment(c, d2.ID)).TaskGroups.web, { HealthyAllocs: 2 });
  t.match(await job(c), { Version: 1, Stable: true });
  t.same((await allocs(c)).map((a) => a.ID), before.map((a) => a.ID), 'still the same allocs');
});

// ---------------------------------------------------------------------------------------------
// 2. Canaries and promotion
// ---------------------------------------------------------------------------------------------

const PROMOTE_ERR = (have: number, need: number): string => `1 error occurred:\n\t* Task group "web" has ${have}/${need} healthy allocations\n\n`;

t.test('canary: first registration places none; a destructive update places one canary that waits for manual promotion (§9.4)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const reg = await c.register(webJob({ update: { Canary: 1, MaxParallel: 1 } }));
  await c.advance(0);
  const [d1] = await deployments(c);
  t.match(d1, { Status: 'running', StatusDescription: 'Deployment is running' });
  t.match(d1!.TaskGroups.web, { DesiredCanaries: 0, PlacedCanaries: null, DesiredTotal: 2, PlacedAllocs: 2 });
  t.match((await evaluation(c, reg.json.EvalID)).PlanAnnotations.DesiredTGUpdates.web, { Place: 2, Canary: 0 });
  for (const a of await allocs(c)) t.equal(a.DeploymentStatus, null, 'no canary flag on a first registration');
  await c.advance(12_000);
  t.equal((await deployment(c, d1!.ID)).Status, 'successful');
  const v0 = await allocs(c);

  const up = await c.register(webJob({ image: 'nginx:1.28', update: { Canary: 1, MaxParallel: 1 } }));
  await c.advance(0);
  const d2 = (await deployments(c))[1]!;
  t.match(d2, { Status: 'running', StatusDescription: 'Deployment is running but requires manual promotion', JobVersion: 1 });
  t.match(d2.TaskGroups.web, { DesiredCanaries: 1, DesiredTotal: 2, PlacedAllocs: 1, Promoted: false, HealthyAllocs: 0 });
  t.equal(d2.TaskGroups.web.PlacedCanaries.length, 1);
  const canaryId = d2.TaskGroups.web.PlacedCanaries[0] as string;
  const ev = await evaluation(c, up.json.EvalID);
  t.match(ev.PlanAnnotations.DesiredTGUpdates.web, { Canary: 1, Place: 0, DestructiveUpdate: 0, Stop: 0 });
  let list = await allocs(c);
  t.equal(list.length, 3);
  const canary = list.find((a) => a.ID === canaryId)!;
  t.match(canary, { JobVersion: 1, DesiredStatus: 'run', DeploymentStatus: { Canary: true } });
  t.match(await alloc(c, canaryId), { DeploymentID: d2.ID });
  for (const a of v0) t.match(list.find((x) => x.ID === a.ID), { DesiredStatus: 'run', ClientStatus: 'running' }, 'old allocs keep running');

  // Promotion before the canary is healthy fails with the multierror text (a plain RPC error → 500).
  const early = await c.post(`/v1/deployment/promote/${d2.ID}`, { DeploymentID: d2.ID, All: true });
  t.equal(early.status, 500, 'Nomad: UpdateDeploymentPromotion returns a plain multierror → HTTP 500');
  t.equal(early.body, PROMOTE_ERR(0, 1));
  t.equal((await deployment(c, d2.ID)).ModifyIndex, d2.ModifyIndex, 'failed promotion writes nothing');

  // The canary becomes healthy (10.25 s on the client, written by the 10.45 s batch: the client's
  // 200 ms sync tick and the server's 50 ms batch); without promotion nothing else is replaced.
  await c.advance(10_449);
  t.equal((await allocs(c)).find((a) => a.ID === canaryId)!.DeploymentStatus.Healthy, null, 'not before the batch');
  await c.advance(1);
  t.match((await allocs(c)).find((a) => a.ID === canaryId)!.DeploymentStatus, { Healthy: true, Canary: true });
  await c.advance(5_000);
  list = await allocs(c);
  t.equal(list.length, 3, 'no replacements before promotion');
  for (const a of v0) t.match(list.find((x) => x.ID === a.ID), { DesiredStatus: 'run' });
  const waiting = await deployment(c, d2.ID);
  t.match(waiting, { Status: 'running', StatusDescription: 'Deployment is running but requires manual promotion' });
  t.match(waiting.TaskGroups.web, { HealthyAllocs: 1, Promoted: false });

  const promote = await c.post(`/v1/deployment/promote/${d2.ID}`, { DeploymentID: d2.ID, All: true });
  t.equal(promote.status, 200);
  const P = promote.json.Index as number;
  t.same(Object.keys(promote.json).sort(), ['DeploymentModifyIndex', 'EvalCreateIndex', 'EvalID', 'Index', 'RevertedJobVersion']);
  t.match(promote.json, { EvalCreateIndex: P, DeploymentModifyIndex: P, RevertedJobVersion: null });
  t.type(promote.json.EvalID, 'string');
  t.equal(index(promote), P);
  const promoted = await deployment(c, d2.ID);
  t.match(promoted, { Status: 'running', StatusDescription: 'Deployment is running', ModifyIndex: P });
  t.match(promoted.TaskGroups.web, { Promoted: true });
  t.match((await alloc(c, canaryId)).DeploymentStatus, { Canary: false, Healthy: true, ModifyIndex: P });
  t.match(await evaluation(c, promote.json.EvalID), { TriggeredBy: 'deployment-watcher', DeploymentID: d2.ID, CreateIndex: P });

  // The promotion eval stops the old alloc the canary replaced and continues the rolling update.
  await c.advance(0);
  const pev = await evaluation(c, promote.json.EvalID);
  t.match(pev, { Status: 'complete' });
  t.match(pev.PlanAnnotations.DesiredTGUpdates.web, { Stop: 1, DestructiveUpdate: 1 });
  list = await allocs(c);
  const sameName = list.find((a) => a.JobVersion === 0 && a.Name === canary.Name)!;
  t.match(sameName, { DesiredStatus: 'stop', DesiredDescription: 'alloc not needed due to job update' });
  t.equal(list.length, 4, 'one more replacement placed');
  await c.advance(15_000);
  const done = await deployment(c, d2.ID);
  t.match(done, { Status: 'successful', StatusDescription: 'Deployment completed successfully' });
  t.match(done.TaskGroups.web, { HealthyAllocs: 2, Promoted: true, DesiredCanaries: 1 });
  t.match(await job(c), { Version: 1, Stable: true });
  list = await allocs(c);
  t.same(live(list).map((a) => a.JobVersion), [1, 1]);
  t.same(live(list).map((a) => a.Name).sort(), ['web.web[0]', 'web.web[1]']);

  // A successful deployment cannot be promoted again.
  const again = await c.post(`/v1/deployment/promote/${d2.ID}`, { DeploymentID: d2.ID, All: true });
  t.equal(again.status, 500);
  t.equal(again.body, "can't promote terminal deployment");
});

t.test('canary with auto_promote: "pending automatic promotion", promoted without a call once healthy', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const update = { Canary: 1, MaxParallel: 1, AutoPromote: true };
  await deployStable(c, webJob({ update }));
  await c.register(webJob({ image: 'nginx:1.28', update }));
  await c.advance(0);
  const d2 = (await deployments(c))[1]!;
  t.match(d2, { Status: 'running', StatusDescription: 'Deployment is running pending automatic promotion' });
  t.match(d2.TaskGroups.web, { AutoPromote: true, DesiredCanaries: 1, Promoted: false });
  // Healthy on the client at 10.25 s; written by the batch at 10.45 s (200 ms sync tick + 50 ms batch).
  await c.advance(10_449);
  t.match((await deployment(c, d2.ID)).TaskGroups.web, { Promoted: false, HealthyAllocs: 0 });
  await c.advance(1);
  const promoted = await deployment(c, d2.ID);
  t.match(promoted, { Status: 'running', StatusDescription: 'Deployment is running' });
  t.match(promoted.TaskGroups.web, { Promoted: true, HealthyAllocs: 1 });
  await c.advance(20_000);
  t.match(await deployment(c, d2.ID), { Status: 'successful' });
  t.match(await job(c), { Version: 1, Stable: true });
  t.same(live(await allocs(c)).map((a) => a.JobVersion), [1, 1]);
});

// ---------------------------------------------------------------------------------------------
// 3. Auto-revert
// ---------------------------------------------------------------------------------------------

const failingTask = (): Obj => ({ Name: 'server', Driver: 'mock_driver', Config: { run_for: '1s', exit_code: 1 } });
const noRestarts = { RestartPolicy: { Attempts: 0, Mode: 'fail' } };

t.test('auto-revert: v1 allocs fail → deployment failed "rolling back to job version 0", v2 = v0 spec, new deployment succeeds', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const update = { AutoRevert: true, ProgressDeadline: 0 };
  const { dep: d1 } = await deployStable(c, webJob({ count: 1, update }));
  t.equal(d1.Status, 'successful');
  t.match(await job(c), { Version: 0, Stable: true });

  const up = await c.register(webJob({ count: 1, update, task: failingTask(), group: noRestarts }));
  await c.advance(0);
  const d2 = (await deployments(c))[1]!;
  t.match(d2, { Status: 'running', JobVersion: 1 });
  t.match(d2.TaskGroups.web, { AutoRevert: true, ProgressDeadline: 0 });
  t.equal(up.json.Index > 0, true);

  // The mock task starts after 100 ms and exits 1 after 1 s; no restarts → failed → unhealthy. The
  // client's sync tick at 1.2 s sends it; the server's batch writes it at 1.25 s.
  await c.advance(1_249);
  t.match((await allocs(c)).find((a) => a.JobVersion === 1), { ClientStatus: 'running' }, 'not before the batch');
  await c.advance(1);
  const failedAlloc = (await allocs(c)).find((a) => a.JobVersion === 1)!;
  t.match(failedAlloc, { ClientStatus: 'failed', DeploymentStatus: { Healthy: false } });
  const failed = await deployment(c, d2.ID);
  t.match(failed, { Status: 'failed', StatusDescription: 'Failed due to unhealthy allocations - rolling back to job version 0' });
  t.match(failed.TaskGroups.web, { UnhealthyAllocs: 1 });

  // The same write registered v0's spec again as v2.
  const reverted = await job(c);
  // (The watcher eval is processed within the same advance, so later writes may move ModifyIndex.)
  t.match(reverted, { Version: 2, JobModifyIndex: failed.ModifyIndex });
  t.same(reverted.TaskGroups[0].Tasks[0].Driver, 'docker');
  t.same(reverted.TaskGroups[0].Tasks[0].Config, { image: 'nginx:1.27' });
  const versions = (await c.get('/v1/job/web/versions')).json.Versions as Obj[];
  t.same(versions.map((v) => v.Version), [2, 1, 0]);
  const v0 = versions.find((v) => v.Version === 0)!;
  const v2 = versions.find((v) => v.Version === 2)!;
  t.same(v2.TaskGroups, v0.TaskGroups, 'v2 has v0\'s spec');
  const watcher = ((await c.get('/v1/job/web/evaluations')).json as Obj[]).find((e) => e.TriggeredBy === 'deployment-watcher' && e.CreateIndex === failed.ModifyIndex);
  t.ok(watcher, 'the failing write also created a deployment-watcher eval');
  t.equal(watcher?.CreateIndex, failed.ModifyIndex);

  // The scheduler deploys v2 at once: no alloc of v2 exists yet, so the watcher eval creates its
  // deployment (DesiredTotal 1) even though the name is held by the failed v1 alloc, which is
  // rescheduled into that deployment after the 30 s service delay.
  const noD3 = 'reconcile.ts creates no deployment when the only missing name is held by a failed alloc awaiting a delayed reschedule (needsDeployment ignores it); Nomad creates one whenever no alloc of the version exists (!hadRunning)';
  await c.advance(0);
  const d3 = (await deployments(c))[2];
  t.match(d3, { JobVersion: 2, Status: 'running', TaskGroups: { web: { DesiredTotal: 1 } } }, 'deployment for the reverted version');
  await c.advance(60_000);
  const d3later = (await deployments(c))[2];
  t.match(d3later, { JobVersion: 2, Status: 'successful', StatusDescription: 'Deployment completed successfully' }, 'reverted version deployed');
  t.match(await job(c), { Version: 2, Stable: true }, 'reverted version stable');
  const running = live(await allocs(c));
  t.equal(running.length, 1);
  t.match(running[0], { JobVersion: 2, ClientStatus: 'running' });
  t.match(await alloc(c, running[0]!.ID), { PreviousAllocation: failedAlloc.ID, DeploymentID: d3later?.ID ?? '<v2 deployment>' }, 'the rescheduled alloc joins the v2 deployment');
});

t.test('auto-revert on a passed progress deadline: "Failed due to progress deadline - rolling back to job version 0"', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const base = { AutoRevert: true, ProgressDeadline: 30 * S, HealthyDeadline: 20 * S, MinHealthyTime: 1 * S };
  const { dep: d1 } = await deployStable(c, webJob({ count: 1, update: base }));
  t.equal(d1.Status, 'successful');
  // v1: a new image whose health is never reported (manual health checks) → no progress.
  await c.register(webJob({ count: 1, image: 'nginx:1.28', update: { ...base, HealthCheck: 'manual' } }));
  await c.advance(0);
  const d2 = (await deployments(c))[1]!;
  t.type(d2.TaskGroups.web.RequireProgressBy, 'string');
  await c.advance(29_000);
  t.equal((await deployment(c, d2.ID)).Status, 'running', 'still within the progress deadline');
  await c.advance(1_500);
  t.match(await deployment(c, d2.ID), { Status: 'failed', StatusDescription: 'Failed due to progress deadline - rolling back to job version 0' });
  const j = await job(c);
  t.match(j, { Version: 2 });
  t.same(j.TaskGroups[0].Tasks[0].Config, { image: 'nginx:1.27' });
  await c.advance(0);
  await c.advance(15_000);
  const d3 = (await deployments(c))[2]!;
  t.match(d3, { JobVersion: 2, Status: 'successful' });
  t.match(await job(c), { Version: 2, Stable: true });
});

t.test('auto-revert without a stable version: "no stable job version to auto revert to", no new job version', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(webJob({ count: 1, update: { AutoRevert: true, ProgressDeadline: 0 }, task: failingTask(), group: noRestarts }));
  await c.advance(0);
  const [d1] = await deployments(c);
  // Failed on the client at 1.1 s, sent at its 1.2 s tick, written by the server's batch at 1.25 s.
  await c.advance(1_249);
  t.match(await deployment(c, d1!.ID), { Status: 'running' });
  await c.advance(1);
  t.match(await deployment(c, d1!.ID), { Status: 'failed', StatusDescription: 'Failed due to unhealthy allocations - no stable job version to auto revert to' });
  t.match(await job(c), { Version: 0, Stable: false });
  t.equal(((await c.get('/v1/job/web/versions')).json.Versions as Obj[]).length, 1);
  t.equal((await deployments(c)).length, 1);
});

t.test('manual fail with auto-revert reports RevertedJobVersion and registers the stable spec', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const update = { AutoRevert: true };
  await deployStable(c, webJob({ update }));
  await c.register(webJob({ image: 'nginx:1.28', update }));
  await c.advance(0);
  const d2 = (await deployments(c))[1]!;
  const r = await c.post(`/v1/deployment/fail/${d2.ID}`);
  t.equal(r.status, 200);
  t.match(r.json, { RevertedJobVersion: 0, EvalCreateIndex: r.json.Index, DeploymentModifyIndex: r.json.Index });
  t.match(await deployment(c, d2.ID), { Status: 'failed', StatusDescription: 'Deployment marked as failed - rolling back to job version 0' });
  const j = await job(c);
  t.match(j, { Version: 2, JobModifyIndex: r.json.Index });
  t.same(j.TaskGroups[0].Tasks[0].Config, { image: 'nginx:1.27' });
});

// ---------------------------------------------------------------------------------------------
// 4. Deployment endpoints
// ---------------------------------------------------------------------------------------------

t.test('pause and resume a deployment: paused blocks the rollout, resume writes an eval and continues', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await deployStable(c, webJob());
  await c.register(webJob({ image: 'nginx:1.28' }));
  await c.advance(0);
  const d2 = (await deployments(c))[1]!;

  const pause = await c.post(`/v1/deployment/pause/${d2.ID}`, { DeploymentID: d2.ID, Pause: true });
  t.equal(pause.status, 200);
  const P = pause.json.Index as number;
  t.same(pause.json, { EvalID: '', EvalCreateIndex: 0, DeploymentModifyIndex: P, RevertedJobVersion: null, Index: P }, 'pausing creates no eval');
  t.equal(index(pause), P);
  t.match(await deployment(c, d2.ID), { Status: 'paused', StatusDescription: 'Deployment is paused', ModifyIndex: P });
  t.match((await c.get('/v1/job/web')).json, { Status: 'running' });

  // The replacement becomes healthy, but a paused deployment places nothing more.
  await c.advance(15_000);
  let list = await allocs(c);
  t.equal(list.length, 3, 'no second replacement while paused');
  t.match(await deployment(c, d2.ID), { Status: 'paused', TaskGroups: { web: { HealthyAllocs: 1 } } });

  // Pausing twice is allowed (still active).
  const again = await c.post(`/v1/deployment/pause/${d2.ID}`, { DeploymentID: d2.ID, Pause: true });
  t.equal(again.status, 200);

  const resume = await c.post(`/v1/deployment/pause/${d2.ID}`, { DeploymentID: d2.ID, Pause: false });
  t.equal(resume.status, 200);
  const R = resume.json.Index as number;
  t.match(resume.json, { EvalCreateIndex: R, DeploymentModifyIndex: R, RevertedJobVersion: null, Index: R });
  t.not(resume.json.EvalID, '');
  t.match(await deployment(c, d2.ID), { Status: 'running', StatusDescription: 'Deployment is running', ModifyIndex: R });
  t.match(await evaluation(c, resume.json.EvalID), { TriggeredBy: 'deployment-watcher', DeploymentID: d2.ID, JobID: 'web' });
  await c.advance(0);
  list = await allocs(c);
  t.equal(list.length, 4, 'the resume eval continues the rolling update');
  await c.advance(15_000);
  t.equal((await deployment(c, d2.ID)).Status, 'successful');
});

t.test('fail a running deployment: "Deployment marked as failed", response shape, further placements stop', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await deployStable(c, webJob());
  await c.register(webJob({ image: 'nginx:1.28' }));
  await c.advance(0);
  const d2 = (await deployments(c))[1]!;
  const r = await c.post(`/v1/deployment/fail/${d2.ID}`);
  t.equal(r.status, 200);
  const F = r.json.Index as number;
  t.same(Object.keys(r.json).sort(), ['DeploymentModifyIndex', 'EvalCreateIndex', 'EvalID', 'Index', 'RevertedJobVersion']);
  t.match(r.json, { EvalCreateIndex: F, DeploymentModifyIndex: F, RevertedJobVersion: null, Index: F });
  t.equal(index(r), F);
  t.match(await deployment(c, d2.ID), { Status: 'failed', StatusDescription: 'Deployment marked as failed', ModifyIndex: F });
  t.match(await evaluation(c, r.json.EvalID), { TriggeredBy: 'deployment-watcher', DeploymentID: d2.ID });
  await c.advance(0);
  await c.advance(15_000);
  const list = await allocs(c);
  t.equal(list.length, 3, 'a failed deployment places no further replacements (§9.4)');
  t.match(await job(c), { Version: 1, Stable: false });
});

t.test('deployment action errors: body checks (400), unknown (500), terminal (500), wrong method (405)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const { dep } = await deployStable(c, webJob());
  const id = dep.ID as string;
  t.equal(dep.Status, 'successful');
  const unknown = '00000000-0000-0000-0000-000000000000';

  // Nomad's HTTP handlers decode the body and check DeploymentID before the RPC (deployment_endpoint.go);
  // fail takes no body.
  for (const action of ['pause', 'promote', 'allocation-health', 'unblock']) {
    const todo = {};
    let r = await c.post(`/v1/deployment/${action}/${id}`, {});
    t.same([r.status, r.body], [400, 'DeploymentID must be specified'], `${action}: no DeploymentID`, todo);
    r = await c.post(`/v1/deployment/${action}/${id}`, { DeploymentID: unknown });
    t.same([r.status, r.body], [400, 'Deployment ID does not match'], `${action}: mismatched DeploymentID`, todo);
    r = await c.req('POST', `/v1/deployment/${action}/${id}`, '');
    t.same([r.status, r.body], [400, 'Request body is empty'], `${action}: empty body`, todo);
  }

  // Unknown deployments: the RPC's plain error → 500.
  let r = await c.post(`/v1/deployment/fail/${unknown}`);
  t.equal(r.status, 500);
  t.equal(r.body, 'deployment not found');
  r = await c.post(`/v1/deployment/pause/${unknown}`, { DeploymentID: unknown, Pause: true });
  t.equal(r.status, 500);
  t.equal(r.body, 'deployment not found');
  r = await c.post(`/v1/deployment/promote/${unknown}`, { DeploymentID: unknown, All: true });
  t.equal(r.status, 500);
  t.equal(r.body, 'deployment not found');
  r = await c.post(`/v1/deployment/allocation-health/${unknown}`, { DeploymentID: unknown, HealthyAllocationIDs: ['x'] });
  t.equal(r.status, 500);
  t.equal(r.body, 'deployment not found');
  r = await c.get(`/v1/deployment/${unknown}`);
  t.equal(r.status, 404);
  t.equal(r.body, 'deployment not found');

  // Terminal (successful) deployment.
  const terminal: [string, Obj | undefined, string][] = [
    ['fail', undefined, "can't fail terminal deployment"],
    ['pause', { DeploymentID: id, Pause: true }, "can't pause terminal deployment"],
    ['pause', { DeploymentID: id, Pause: false }, "can't resume terminal deployment"],
    ['promote', { DeploymentID: id, All: true }, "can't promote terminal deployment"],
    ['allocation-health', { DeploymentID: id, HealthyAllocationIDs: ['x'] }, "can't set health of allocations for a terminal deployment"],
    ['allocation-health', { DeploymentID: id }, 'must specify at least one healthy/unhealthy allocation ID'],
    ['unblock', { DeploymentID: id }, "can't unblock terminal deployment"],
  ];
  for (const [action, body, text] of terminal) {
    const res = await c.post(`/v1/deployment/${action}/${id}`, body);
    t.equal(res.status, 500, `${action} ${JSON.stringify(body)}`);
    t.equal(res.body, text);
  }
  t.equal((await deployment(c, id)).ModifyIndex, dep.ModifyIndex, 'nothing written');

  // Wrong methods.
  const wrong: [string, string][] = [
    ['GET', `/v1/deployment/fail/${id}`],
    ['GET', `/v1/deployment/pause/${id}`],
    ['GET', `/v1/deployment/promote/${id}`],
    ['DELETE', `/v1/deployment/allocation-health/${id}`],
    ['POST', `/v1/deployment/allocations/${id}`],
    ['POST', `/v1/deployment/${id}`],
    ['DELETE', `/v1/deployment/${id}`],
    ['POST', '/v1/deployments'],
    ['PUT', '/v1/deployments'],
  ];
  for (const [method, url] of wrong) {
    const res = await c.req(method, url, method === 'GET' || method === 'DELETE' ? undefined : {});
    t.equal(res.status, 405, `${method} ${url}`);
    t.equal(res.body, 'Invalid method');
  }
});

t.test('allocation-health with manual health checks: healthy IDs drive the rollout, unhealthy IDs fail the deployment', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const update = { HealthCheck: 'manual' };
  await c.register(webJob({ update }));
  await c.advance(0);
  await c.advance(15_000);
  const [d1] = await deployments(c);
  t.match(d1, { Status: 'running', TaskGroups: { web: { HealthyAllocs: 0 } } }, 'manual: the client never reports health');
  const [a0, a1] = await allocs(c);
  t.equal(a0!.DeploymentStatus, null);

  let r = await c.post(`/v1/deployment/allocation-health/${d1!.ID}`, { DeploymentID: d1!.ID, HealthyAllocationIDs: ['nope'] });
  t.same([r.status, r.body], [500, 'unknown alloc "nope"'], 'state store error text');

  r = await c.post(`/v1/deployment/allocation-health/${d1!.ID}`, { DeploymentID: d1!.ID, HealthyAllocationIDs: [a0!.ID] });
  t.equal(r.status, 200);
  const H = r.json.Index as number;
  t.match(r.json, { EvalCreateIndex: H, DeploymentModifyIndex: H, RevertedJobVersion: null, Index: H });
  t.match((await alloc(c, a0!.ID)).DeploymentStatus, { Healthy: true, ModifyIndex: H });
  t.match(await deployment(c, d1!.ID), { Status: 'running', ModifyIndex: H, TaskGroups: { web: { HealthyAllocs: 1 } } });
  t.match(await evaluation(c, r.json.EvalID), { TriggeredBy: 'deployment-watcher', DeploymentID: d1!.ID, CreateIndex: H });
  await c.advance(0);
  t.equal((await deployment(c, d1!.ID)).Status, 'running', '1/2 healthy');
  await c.advance(1_500);
  const afterFirst = ((await c.get('/v1/job/web/evaluations')).json as Obj[]).filter((e) => e.TriggeredBy === 'deployment-watcher');
  t.equal(afterFirst.length, 1, 'the watcher adds no eval of its own: the health ModifyIndex is not newer than the latest eval (§9.4)');

  r = await c.post(`/v1/deployment/allocation-health/${d1!.ID}`, { DeploymentID: d1!.ID, HealthyAllocationIDs: [a1!.ID] });
  t.equal(r.status, 200);
  await c.advance(0);
  t.match(await deployment(c, d1!.ID), { Status: 'successful', TaskGroups: { web: { HealthyAllocs: 2 } } });
  t.match(await job(c), { Version: 0, Stable: true });
  await c.advance(2_000);
  const watcherEvals = ((await c.get('/v1/job/web/evaluations')).json as Obj[]).filter((e) => e.TriggeredBy === 'deployment-watcher');
  t.equal(watcherEvals.length, 2, 'one eval per call; the watcher adds none (health ModifyIndex is not newer than the latest eval)');

  // v1: its replacement is marked unhealthy → the deployment fails (no auto-revert configured).
  await c.register(webJob({ image: 'nginx:1.28', update }));
  await c.advance(0);
  const d2 = (await deployments(c))[1]!;
  const repl = (await allocs(c)).find((a) => a.JobVersion === 1)!;
  r = await c.post(`/v1/deployment/allocation-health/${d2.ID}`, { DeploymentID: d2.ID, HealthyAllocationIDs: [a0!.ID] });
  t.same([r.status, r.body], [500, `alloc "${a0!.ID}" is not part of deployment "${d2.ID}"`]);
  r = await c.post(`/v1/deployment/allocation-health/${d2.ID}`, { DeploymentID: d2.ID, UnhealthyAllocationIDs: [repl.ID] });
  t.equal(r.status, 200);
  t.match(r.json, { RevertedJobVersion: null, EvalCreateIndex: r.json.Index });
  t.match(await deployment(c, d2.ID), { Status: 'failed', StatusDescription: 'Failed due to unhealthy allocations', ModifyIndex: r.json.Index, TaskGroups: { web: { UnhealthyAllocs: 1, HealthyAllocs: 0 } } });
  t.match((await alloc(c, repl.ID)).DeploymentStatus, { Healthy: false, ModifyIndex: r.json.Index });
  t.match(await job(c), { Version: 1, Stable: false });
});

t.test('GET /v1/deployments and /v1/deployment/allocations/:id', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await deployStable(c, webJob());
  await c.register(minimalJob('api', { TaskGroups: [{ Name: 'api', Count: 1, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'redis' } }] }] }));
  await c.advance(0);
  const list = await c.get('/v1/deployments');
  t.equal(list.status, 200);
  const deps = list.json as Obj[];
  t.equal(deps.length, 2);
  t.same(deps.map((d) => d.JobID), ['web', 'api'], 'oldest first (CreateIndex order)');
  t.equal(index(list), Math.max(...deps.map((d) => d.ModifyIndex)), 'index = deployment table');
  t.match(deps[0], { Status: 'successful', JobVersion: 0, Namespace: 'default' });
  t.match(deps[1], { Status: 'running', TaskGroups: { api: { DesiredTotal: 1 } } });
  const one = await c.get(`/v1/deployment/${deps[1]!.ID}`);
  t.equal(one.status, 200);
  t.equal(index(one), deps[1]!.ModifyIndex);
  t.same(one.json, deps[1]);

  const webDep = deps[0]!.ID as string;
  const da = await c.get(`/v1/deployment/allocations/${webDep}`);
  t.equal(da.status, 200);
  const stubs = da.json as Obj[];
  t.equal(stubs.length, 2);
  for (const s of stubs) t.match(s, { JobID: 'web', TaskGroup: 'web', DeploymentStatus: { Healthy: true } });
  t.same(stubs.map((s) => s.ID).sort(), (await allocs(c)).map((a) => a.ID).sort());
  t.equal(stubs[0]!.Job, undefined, 'stubs, not full allocs');
  const none = await c.get('/v1/deployment/allocations/00000000-0000-0000-0000-000000000000');
  t.equal(none.status, 200);
  t.same(none.json, []);

  // After an update, the new deployment lists only its own allocs.
  await c.register(webJob({ image: 'nginx:1.28' }));
  await c.advance(0);
  const d2 = (await deployments(c))[1]!;
  const d2allocs = (await c.get(`/v1/deployment/allocations/${d2.ID}`)).json as Obj[];
  t.equal(d2allocs.length, 1);
  t.equal(d2allocs[0]!.JobVersion, 1);
});

// ---------------------------------------------------------------------------------------------
// 5. Job plan
// ---------------------------------------------------------------------------------------------

async function indexes(c: Client): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const u of ['/v1/jobs', '/v1/evaluations', '/v1/allocations', '/v1/deployments']) out[u] = index(await c.get(u));
  return out;
}

t.test('plan a new job with Diff: Added diff, Place = count, JobModifyIndex/Index 0, nothing written (§6.3)', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const before = await indexes(c);
  const r = await c.post('/v1/job/web/plan', { Job: webJob(), Diff: true });
  t.equal(r.status, 200);
  t.match(r.json, { JobModifyIndex: 0, Index: 0, FailedTGAllocs: null, CreatedEvals: null, Warnings: '' });
  t.equal(index(r), 0);
  t.match(r.json.Annotations.DesiredTGUpdates.web, { Place: 2, Ignore: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0, Canary: 0 });
  const diff = r.json.Diff;
  t.match(diff, { Type: 'Added', ID: 'web' });
  const tg = diff.TaskGroups.find((g: Obj) => g.Name === 'web');
  t.match(tg, { Type: 'Added', Updates: { create: 2 } });
  t.match(tg.Tasks.find((x: Obj) => x.Name === 'server'), { Type: 'Added', Annotations: ['forces create'] });
  t.same(await indexes(c), before, 'no table index moved');
  t.equal((await c.get('/v1/job/web')).status, 404, 'job not registered');
  t.same((await c.get('/v1/evaluations')).json, []);
  t.same((await c.get('/v1/allocations')).json, []);
  t.same((await c.get('/v1/deployments')).json, []);

  const plain = await c.post('/v1/job/web/plan', { Job: webJob() });
  t.equal(plain.status, 200);
  t.equal(plain.json.Diff, null, 'no Diff unless asked for');
  t.match(plain.json.Annotations.DesiredTGUpdates.web, { Place: 2 });
  const put = await c.put('/v1/job/web/plan', { Job: webJob(), Diff: false });
  t.equal(put.status, 200, 'PUT works like POST');
  t.equal(put.json.Diff, null);
});

t.test('plan an update: Edited diff with "forces create/destroy update", group Updates, current JobModifyIndex; nothing written', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const { reg } = await deployStable(c, webJob());
  const J = reg.JobModifyIndex as number;
  const before = await indexes(c);
  const evalsBefore = ((await c.get('/v1/evaluations')).json as Obj[]).length;
  const allocsBefore = await allocs(c);

  const r = await c.post('/v1/job/web/plan', { Job: webJob({ image: 'nginx:1.28' }), Diff: true });
  t.equal(r.status, 200);
  t.match(r.json, { JobModifyIndex: J, Index: J, FailedTGAllocs: null, CreatedEvals: null });
  t.equal(index(r), J);
  t.match(r.json.Annotations.DesiredTGUpdates.web, { DestructiveUpdate: 1, Ignore: 1, Place: 0 });
  t.match(r.json.Diff, { Type: 'Edited', ID: 'web' });
  const tg = r.json.Diff.TaskGroups.find((g: Obj) => g.Name === 'web');
  t.match(tg, { Type: 'Edited' });
  t.same(tg.Updates, { 'create/destroy update': 1, ignore: 1 });
  const task = tg.Tasks.find((x: Obj) => x.Name === 'server');
  t.match(task, { Type: 'Edited', Annotations: ['forces create/destroy update'] });
  const cfg = (task.Objects as Obj[]).find((o) => o.Name === 'Config');
  t.match(cfg, { Type: 'Edited' });
  t.match((cfg!.Fields as Obj[]).find((f) => f.Name === 'image'), { Type: 'Edited', Old: 'nginx:1.27', New: 'nginx:1.28' });

  // In-place change: count only.
  const scale = await c.post('/v1/job/web/plan', { Job: webJob({ count: 3 }), Diff: true });
  t.match(scale.json.Annotations.DesiredTGUpdates.web, { Place: 1, InPlaceUpdate: 2, DestructiveUpdate: 0 });
  const stg = scale.json.Diff.TaskGroups.find((g: Obj) => g.Name === 'web');
  t.same(stg.Updates, { create: 1, 'in-place update': 2 });
  t.match((stg.Fields as Obj[]).find((f) => f.Name === 'Count'), { Type: 'Edited', Old: '2', New: '3', Annotations: ['forces create'] });

  // Unchanged spec: diff None, everything ignored.
  const same = await c.post('/v1/job/web/plan', { Job: webJob(), Diff: true });
  t.match(same.json.Diff, { Type: 'None' });
  t.match(same.json.Annotations.DesiredTGUpdates.web, { Ignore: 2, Place: 0, DestructiveUpdate: 0, InPlaceUpdate: 0 });

  t.same(await indexes(c), before, 'plan wrote nothing');
  t.equal(((await c.get('/v1/evaluations')).json as Obj[]).length, evalsBefore);
  t.same((await allocs(c)).map((a) => [a.ID, a.ModifyIndex]), allocsBefore.map((a) => [a.ID, a.ModifyIndex]));
  t.match(await job(c), { Version: 0, JobModifyIndex: J });
  t.equal((await deployments(c)).length, 1);
});

t.test('plan an unplaceable job: FailedTGAllocs and a blocked eval in CreatedEvals, still nothing written', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const before = await indexes(c);
  const huge = webJob({ task: { Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: { CPU: 100, MemoryMB: 10_000_000 } } });
  const r = await c.post('/v1/job/web/plan', { Job: huge, Diff: true });
  t.equal(r.status, 200);
  t.match(r.json.FailedTGAllocs, { web: { NodesEvaluated: 1, NodesExhausted: 1, DimensionExhausted: { memory: 1 }, CoalescedFailures: 1 } });
  t.equal(r.json.CreatedEvals.length, 1);
  t.match(r.json.CreatedEvals[0], { Status: 'blocked', TriggeredBy: 'queued-allocs', StatusDescription: 'created to place remaining allocations', JobID: 'web', Type: 'service' });
  t.type(r.json.CreatedEvals[0].PreviousEval, 'string');
  t.not(r.json.CreatedEvals[0].PreviousEval, '');
  t.match(r.json.Annotations.DesiredTGUpdates.web, { Place: 2 }, 'annotations say what the scheduler would do given enough resources');
  t.same(await indexes(c), before);
  t.same((await c.get('/v1/evaluations')).json, [], 'the blocked eval is not stored');
});

t.test('plan errors: Job must be specified, Job must have a valid ID, Job ID does not match, validation 500, 405', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  let r = await c.post('/v1/job/web/plan', {});
  t.equal(r.status, 400);
  t.equal(r.body, 'Job must be specified');
  r = await c.post('/v1/job/web/plan', { Job: null, Diff: true });
  t.equal(r.status, 400);
  t.equal(r.body, 'Job must be specified');
  const noId = webJob();
  delete noId.ID;
  r = await c.post('/v1/job/web/plan', { Job: noId });
  t.equal(r.status, 400);
  t.equal(r.body, 'Job must have a valid ID');
  r = await c.post('/v1/job/other/plan', { Job: webJob() });
  t.equal(r.status, 400);
  t.equal(r.body, 'Job ID does not match');
  r = await c.post('/v1/job/web/plan', { Job: webJob({ count: -1 }) });
  t.equal(r.status, 500);
  t.match(r.body, /^1 error occurred:\n\t\* Task group web validation failed: /);
  t.match(r.body, /Task group count can't be negative/);
  r = await c.get('/v1/job/web/plan');
  t.equal(r.status, 405);
  t.equal(r.body, 'Invalid method');
  t.same((await c.get('/v1/evaluations')).json, []);
});
