// Fastify's per-route boot steps run back to back in one avvio step (src/boot-steps.ts): in the
// order they were added, around the plugins registered between them, with errors passed along.
import t from 'tap';
import Fastify, { type FastifyInstance } from 'fastify';
import { withJoinedBootSteps } from '../src/boot-steps.js';

type Step = (err: Error | null, done: (err?: Error | null) => void) => void;
/** app.after with a (err, done) step, the shape Fastify's own route steps have. */
const after = (app: FastifyInstance, fn: Step): void => void (app.after as unknown as (fn: Step) => unknown).call(app, fn);
const step =
  (order: string[], name: string): Step =>
  (err, done) => {
    order.push(name);
    done(err);
  };

function mounted(joined: boolean): { app: FastifyInstance; order: string[] } {
  const order: string[] = [];
  const app = Fastify();
  const mount = (): void => {
    after(app, step(order, 'a1'));
    app.get('/one', async () => 'one');
    after(app, step(order, 'a2'));
    void app.register(async () => {
      order.push('plugin');
    });
    after(app, step(order, 'b1'));
    app.get('/two', async () => 'two');
  };
  if (joined) withJoinedBootSteps(app, mount);
  else mount();
  after(app, step(order, 'c1'));
  return { app, order };
}

t.test('steps run in order, around a plugin registered between them, fewer of them', async (t) => {
  const steps: number[] = [];
  for (const joined of [true, false]) {
    const { app, order } = mounted(joined);
    t.teardown(() => app.close());
    await app.ready();
    t.same(order, ['a1', 'a2', 'plugin', 'b1', 'c1']);
    t.equal((await app.inject({ url: '/two' })).body, 'two', 'the routes are finished');
    steps.push(app.printPlugins().split('\n').filter((l) => l.includes('_after')).length);
  }
  t.ok(steps[0]! < steps[1]!, `avvio steps joined / one by one: ${steps.join(' / ')}`);
});

t.test("a failed plugin's error reaches the next step and ready(), as without joining", async (t) => {
  for (const joined of [true, false]) {
    const seen: (string | null)[] = [];
    const app = Fastify();
    const mount = (): void => {
      void app.register(async () => {
        throw new Error('plugin failed');
      });
      for (let i = 0; i < 2; i++) {
        after(app, (err, done) => {
          seen.push(err?.message ?? null);
          done(err);
        });
      }
    };
    if (joined) withJoinedBootSteps(app, mount);
    else mount();
    await t.rejects(Promise.resolve(app.ready()), /plugin failed/);
    t.same(seen, ['plugin failed', 'plugin failed'], joined ? 'joined' : 'one by one');
  }
});

t.test('after the mount, after() and register() are the app\'s own again', async (t) => {
  const app = Fastify();
  t.teardown(() => app.close());
  const { after, register } = app;
  withJoinedBootSteps(app, () => app.get('/x', async () => 'x'));
  t.equal(app.after, after);
  t.equal(app.register, register);
});
