// The HTTP side of control: the journal records each API request, faults intercept matching
// requests before routing, and the leader switch answers like a cluster that lost its leader.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MockControl } from './mock-control.js';

export const CONTROL_PREFIX = '/_mock/';

const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

const isControl = (req: FastifyRequest): boolean => (req.raw.url ?? '').startsWith(CONTROL_PREFIX) || req.raw.url === '/_mock';

export function installControlHooks(app: FastifyInstance, control: MockControl): void {
  const started = new WeakMap<FastifyRequest, number>();

  app.addHook('onRequest', (req, reply, done) => {
    if (isControl(req)) return done();
    started.set(req, performance.now());
    if (control.faults.idle()) return done();
    const path = pathOf(req.raw.url ?? '/');
    const fault = control.faults.pick(req.method, path);
    const apply = (): void => {
      // Nomad's compress wrapper stamps Vary on everything it answers, faults included.
      reply.raw.setHeader('Vary', 'Accept-Encoding');
      if (fault?.Connection === 'reset') {
        reply.hijack();
        req.raw.socket.resetAndDestroy();
        return;
      }
      if (fault?.Connection === 'empty') {
        reply.hijack();
        req.raw.socket.end();
        return;
      }
      if (fault?.Status !== undefined) {
        reply.code(fault.Status).type('text/plain; charset=utf-8').send(fault.Body ?? '');
        return;
      }
      if (!control.faults.leader && path.startsWith('/v1/') && !path.startsWith('/v1/agent/')) {
        reply.raw.setHeader('X-Nomad-Knownleader', 'false');
        reply.raw.setHeader('X-Nomad-Lastcontact', '0');
        if (path === '/v1/status/leader') reply.code(200).type('application/json').send(Buffer.from('""'));
        else reply.code(500).type('text/plain; charset=utf-8').send('No cluster leader');
        return;
      }
      done();
    };
    if (fault?.LatencyMs) setTimeout(apply, fault.LatencyMs);
    else apply();
  });

  app.addHook('onResponse', (req, reply, done) => {
    const t0 = started.get(req);
    if (t0 !== undefined) {
      control.journal.record({
        time: Date.now(),
        method: req.method,
        url: req.raw.url ?? '/',
        query: req.query as Record<string, string>,
        headers: req.headers,
        body: req.body,
        status: reply.statusCode,
        durationMs: performance.now() - t0,
      });
    }
    done();
  });
}
