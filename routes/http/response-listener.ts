// With a logger configured, Fastify puts one listener (`onResFinished`) on every response's 'finish'
// and 'error': it times the reply, runs the route's onResponse hooks and writes Fastify's
// request-completed log line. nomad-mock writes its own request line (src/server.ts disables
// Fastify's request logging), and a route without onResponse hooks gets nothing else from it. An
// answer nomad-mock writes itself takes it off before it ends the response: the listener's run (a
// clock reading, the log controller's check) and the second entry in each 'finish' are spared, and
// a parked reader does not keep it (a closure and its context each, issue 16). A route with
// onResponse hooks (the websocket scope's), or a Fastify that keeps its context otherwise, keeps it.
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { routeContextOf } from './context.js';

type Listeners = Record<string, ((...args: unknown[]) => void) | ((...args: unknown[]) => void)[] | undefined>;

export function dropIdleResponseListener(reply: FastifyReply): void {
  // Node's own listener table (an EventEmitter field since Node 0.x): read without the arrays
  // `listeners()` copies.
  const res = reply.raw as ServerResponse & { _events?: Listeners };
  const events = res._events;
  if (events === undefined) return;
  // Fastify's is the one listener on 'error' (Node puts none on a response's) and one of those on
  // 'finish'; its name is not a mark, since the bundle renames functions.
  const listener = events.error;
  if (typeof listener !== 'function') return;
  const finish = events.finish;
  if (finish !== listener && !(Array.isArray(finish) && finish.indexOf(listener) >= 0)) return;
  const ctx = routeContextOf(reply.request);
  if (ctx === undefined || ctx.onResponse !== null) return;
  res.removeListener('finish', listener);
  res.removeListener('error', listener);
}
