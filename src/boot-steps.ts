// Fastify finishes each route it is given in a boot step of its own (`this.after(...)` in its
// route.js: the route's error handler, body limit and the preReady wiring of its hooks). Every step
// is a plugin to avvio: a queue, an event emitter, a timeout timer and a few ticks. For the ~120
// routes of a server that was about a third of createServer's CPU. The routes are mounted one after
// another with nothing between them, so their steps are run back to back in one step, in the same
// order and with the same error passed along, which is what avvio would do with them one by one.
import type { FastifyInstance } from 'fastify';

type Done = (err?: Error | null) => void;
type Step = (err: Error | null, done: Done) => void;

/**
 * Runs `mount` (which adds routes to `app` synchronously, before it boots) with Fastify's
 * per-route boot steps joined into as few steps as possible. A step of any other shape, and any
 * `register`, closes the current batch, so a plugin still loads between the steps around it.
 */
export function withJoinedBootSteps(app: FastifyInstance, mount: () => void): void {
  const own = app as unknown as { after: FastifyInstance['after']; register: FastifyInstance['register'] };
  const { after, register } = own;
  let batch: Step[] | null = null;
  const joined = function (this: unknown, step?: unknown) {
    if (this !== app || typeof step !== 'function' || step.length !== 2) {
      batch = null;
      return (after as (...a: unknown[]) => unknown).apply(this, step === undefined ? [] : [step]);
    }
    if (batch === null) {
      const steps: Step[] = (batch = []);
      (after as (this: unknown, step: Step) => unknown).call(app, (err, done) => {
        if (batch === steps) batch = null;
        let i = 0;
        const next = (e?: Error | null): void => {
          if (i < steps.length) steps[i++]!(e ?? null, next);
          else done(e);
        };
        next(err);
      });
    }
    batch.push(step as Step);
    return app;
  };
  own.after = joined as unknown as FastifyInstance['after'];
  own.register = function (this: unknown, ...args: unknown[]) {
    batch = null;
    return (register as (...a: unknown[]) => unknown).apply(this, args);
  } as unknown as FastifyInstance['register'];
  try {
    mount();
  } finally {
    own.after = after;
    own.register = register;
  }
}
