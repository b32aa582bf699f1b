// The deployment watcher remembers an alloc's health only while it can still ask for something: while
// the alloc is in an active deployment. Once the deployment is done (successful, failed, cancelled)
// or the alloc is gone, the entry goes, so 100,000 settled allocs cost the watcher nothing. The
// answers must be those of a watcher that remembered everything: the deployment scenarios pin them.
import t from 'tap';
import { simClient, minimalJob, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const S = 1_000_000_000;

function webJob(id: string, count: number, task: Obj = { Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }, update: Obj = {}): Obj {
  return minimalJob(id, { TaskGroups: [{ Name: 'web', Count: count, Update: { MaxParallel: count, MinHealthyTime: 10 * S, ...update }, Tasks: [task] }] });
}

const tracked = (c: Client): number => c.mock.sim!.watcher.trackedHealth;

async function deploymentsOf(c: Client, job: string): Promise<Obj[]> {
  return (await c.get(`/v1/job/${job}/deployments`)).json as Obj[];
}

t.test('healthy allocs are remembered while their deployment runs and forgotten once it is successful', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  t.equal((await c.register(webJob('web', 3))).status, 200);
  await c.advance(0);
  // Placed, started, healthy (10 s), reported: the watcher has seen the health; its eval waits 1 s.
  await c.advance(10_500);
  const [running] = await deploymentsOf(c, 'web');
  t.equal(running!.Status, 'running', 'the watcher batch has not run yet');
  t.equal(running!.TaskGroups.web.HealthyAllocs, 3);
  t.equal(tracked(c), 3, 'the health of allocs in a running deployment is kept');
  await c.advance(2_000);
  const [done] = await deploymentsOf(c, 'web');
  t.equal(done!.Status, 'successful');
  t.equal(tracked(c), 0, 'a successful deployment takes its allocs\' health with it');
  // A later write to the settled allocs (a stop) finds nothing to remember either.
  t.equal((await c.del('/v1/job/web')).status, 200);
  await c.advance(0);
  await c.advance(1_000);
  t.equal(tracked(c), 0);
});

t.test('a failed deployment forgets the health of its allocs', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const failing = { Name: 'server', Driver: 'mock_driver', Config: { run_for: '2s', exit_code: 1 } };
  const noRestart = { RestartPolicy: { Attempts: 0, Mode: 'fail', Interval: 60 * S, Delay: S }, ReschedulePolicy: { Attempts: 0, Unlimited: false, Interval: 0, Delay: 0, DelayFunction: 'constant', MaxDelay: 0 } };
  const spec = webJob('flaky', 2, failing);
  Object.assign((spec.TaskGroups as Obj[])[0]!, noRestart);
  t.equal((await c.register(spec)).status, 200);
  await c.advance(0);
  for (let i = 0; i < 10; i++) await c.advance(1_000);
  const [d] = await deploymentsOf(c, 'flaky');
  t.equal(d!.Status, 'failed', 'the unhealthy allocs failed the deployment');
  t.equal(tracked(c), 0, 'a failed deployment takes its allocs\' health with it');

});

t.test('a purge forgets the health of the allocs it deleted with their running deployment', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  t.equal((await c.register(webJob('gone', 2))).status, 200);
  await c.advance(0);
  await c.advance(10_500);
  t.equal(tracked(c), 2);
  t.equal((await c.del('/v1/job/gone?purge=true')).status, 200);
  await c.advance(0);
  t.equal(tracked(c), 0);
});

t.test('allocs without a deployment (batch) are never remembered', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const batch = minimalJob('b', { Type: 'batch', TaskGroups: [{ Name: 'b', Count: 2, Tasks: [{ Name: 't', Driver: 'exec', Config: { command: '/bin/true' } }] }] });
  t.equal((await c.register(batch)).status, 200);
  await c.advance(0);
  for (let i = 0; i < 5; i++) await c.advance(1_000);
  t.equal(tracked(c), 0);
});
