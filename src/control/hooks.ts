// The HTTP side of control: faults intercept matching requests before routing, the leader switch
// answers like a cluster that lost its leader, and the journal records each API request. The
// server calls these from its one onRequest and one onSend hook, so an idle mock pays almost nothing.
import type { Socket } from 'node:net';
// The module's binding: the global `performance` is an accessor, read again on every use.
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REPLAY_CONNECTION_FAULT } from '../../routes/index.js';
import type { MockControl } from './mock-control.js';

export const CONTROL_PREFIX = '/_mock';

const STARTED = Symbol('nomad-mock.started');
type Stamped = FastifyRequest & { [STARTED]?: number };

/** Marks an API request for the journal; control requests (the caller tells them apart) are never recorded or faulted. */
export function stampRequest(req: FastifyRequest): void {
  (req as Stamped)[STARTED] = performance.now();
}

/** Milliseconds since a stamped API request arrived; undefined for control requests. */
export function requestElapsedMs(req: FastifyRequest): number | undefined {
  const t0 = (req as Stamped)[STARTED];
  return t0 === undefined ? undefined : performance.now() - t0;
}

/**
 * Applies a matching fault or the no-leader answer. Returns false when the request should go on to
 * its route (then `done` is called, possibly after the fault's latency).
 */
export function applyFaults(control: MockControl, req: FastifyRequest, reply: FastifyReply, path: string, done: () => void): void {
  const fault = control.faults.pick(req.method, path);
  if (fault) req.log.info({ faultID: fault.ID, method: req.method, path }, `fault ${fault.ID} fired on ${req.method} ${path}${fault.Status !== undefined ? `: answering ${fault.Status}` : ''}${fault.Connection ? `: connection ${fault.Connection}` : ''}${fault.LatencyMs ? ` after ${fault.LatencyMs} ms` : ''}`);
  const apply = (): void => {
    if (fault?.Connection) {
      closeConnection(req, reply, fault.Connection);
      return;
    }
    if (fault?.Status !== undefined) {
      reply.code(fault.Status).type('text/plain; charset=utf-8').send(fault.Body ?? '');
      return;
    }
    if (!control.faults.leader && path.startsWith('/v1/') && !path.startsWith('/v1/agent/')) {
      reply.raw.setHeader('X-Nomad-Knownleader', 'false');
      reply.raw.setHeader('X-Nomad-Lastcontact', '0');
      if (path === '/v1/status/leader') reply.code(200).type('application/json').send('""');
      else reply.code(500).type('text/plain; charset=utf-8').send('No cluster leader');
      return;
    }
    done();
  };
  // The delayed half runs outside the request's own error handling: the guard keeps a bug there
  // from ending the process.
  if (fault?.LatencyMs) setTimeout(() => control.clock.guard.run('fault latency', apply), fault.LatencyMs);
  else apply();
}

/**
 * A connection fault: `reset` sends RST, `empty` closes without a reply. A request the server
 * replays in-process (routes/http/client-errors.ts) has no socket of its own: it is answered with
 * the fault's name in REPLAY_CONNECTION_FAULT, and the replay does it to the client's connection.
 */
function closeConnection(req: FastifyRequest, reply: FastifyReply, how: 'reset' | 'empty'): void {
  const socket = req.raw.socket as Partial<Socket> | null;
  if (typeof socket?.resetAndDestroy !== 'function' || typeof socket.end !== 'function') {
    reply.header(REPLAY_CONNECTION_FAULT, how).send();
    return;
  }
  reply.hijack();
  if (how === 'reset') socket.resetAndDestroy();
  else socket.end();
}

/**
 * Records a stamped request with the status it is about to get and how long it took
 * (`requestElapsedMs`, taken once by the caller for the journal and the metrics alike).
 */
export function journalRequest(control: MockControl, req: FastifyRequest, status: number, durationMs: number, time = Date.now()): void {
  control.journal.add(time, req.method, req.raw.url ?? '/', req.query as Record<string, string>, req.headers, req.body, status, durationMs);
}
