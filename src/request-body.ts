// Request bodies, read with budgets. Nomad's agent never inspects a body's Content-Type, so every
// body is raw bytes for the route to decode. Go's server reads a body as the handler decodes it and
// buffers nothing; this server buffers whole bodies, so it bounds each one (Limits.maxBodyBytes),
// all of them being received at once (Limits.bodyBudgetBytes) and the silence of a slow sender
// (Limits.bodyIdleMs). A refused or stalled body gets what Nomad's decodeBody turns a failed body
// read into: `400` with Go's error text (`http: request body too large` from http.MaxBytesReader,
// `read tcp A->B: i/o timeout` from a read deadline), and the connection is closed after the answer.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HttpError } from '../routes/index.js';
import type { Limits } from './limits.js';

export const BODY_TOO_LARGE = 'http: request body too large';

function ioTimeout(req: IncomingMessage): string {
  const s = req.socket;
  const addr = (host: string | undefined, port: number | undefined): string => (host?.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  return `read tcp ${addr(s.localAddress, s.localPort)}->${addr(s.remoteAddress, s.remotePort)}: i/o timeout`;
}

/**
 * One body being read. Its listeners are the module's own functions (`this` is the request), which
 * find it on the request: a request costs this one object rather than a closure per listener.
 */
class BodyRead {
  finished = false;
  held = 0;
  // The body's one chunk (the common case), or its chunks once there are more.
  first: Buffer | null = null;
  more: Buffer[] | null = null;
  timer: NodeJS.Timeout | null = null;

  constructor(
    readonly limits: Limits,
    readonly raw: IncomingMessage,
    readonly done: (err: Error | null, body?: Buffer) => void,
  ) {}
}

const READING = Symbol('nomad-mock.body');
type Reading = IncomingMessage & { [READING]?: BodyRead | null };

const readOf = (raw: IncomingMessage): BodyRead | null | undefined => (raw as Reading)[READING];

function cleanup(r: BodyRead): void {
  r.finished = true;
  if (r.timer !== null) clearTimeout(r.timer);
  const raw = r.raw;
  raw.off('data', onData);
  raw.off('end', onEnd);
  raw.off('error', onError);
  raw.off('aborted', onError);
  (raw as Reading)[READING] = null;
  r.limits.bodyBytes -= r.held;
  r.held = 0;
  r.first = null;
  r.more = null;
}

function refuse(r: BodyRead, message: string): void {
  if (r.finished) return;
  cleanup(r);
  // Stop reading: the socket's own backpressure holds the sender until the answer closes it.
  r.raw.pause();
  r.done(new HttpError(400, message));
}

function onData(this: IncomingMessage, chunk: Buffer): void {
  const r = readOf(this);
  if (!r || r.finished) return;
  const limits = r.limits;
  if (r.held + chunk.length > limits.maxBodyBytes || limits.bodyBytes + chunk.length > limits.bodyBudgetBytes) {
    limits.bodiesRefused++;
    refuse(r, BODY_TOO_LARGE);
    return;
  }
  r.held += chunk.length;
  limits.bodyBytes += chunk.length;
  if (r.first === null) r.first = chunk;
  else (r.more ??= [r.first]).push(chunk);
  r.timer?.refresh();
}

function onEnd(this: IncomingMessage): void {
  const r = readOf(this);
  if (!r || r.finished) return;
  const body = r.more !== null ? Buffer.concat(r.more, r.held) : (r.first ?? Buffer.alloc(0));
  cleanup(r);
  r.done(null, body);
}

function onError(this: IncomingMessage): void {
  const r = readOf(this);
  if (!r || r.finished) return;
  cleanup(r);
  r.done(new HttpError(400, 'unexpected EOF'));
}

function onIdle(r: BodyRead): void {
  r.limits.bodiesTimedOut++;
  refuse(r, ioTimeout(r.raw));
}

// The idle clock starts once the bytes that came with the headers are parsed (readBody runs while
// they are): a body that came whole with them, as most do, cannot stall and needs no timer.
function startIdleClock(r: BodyRead): void {
  if (r.finished || r.raw.complete) return;
  r.timer = setTimeout(onIdle, r.limits.bodyIdleMs, r);
  r.timer.unref();
}

function readBody(limits: Limits, raw: IncomingMessage, done: (err: Error | null, body?: Buffer) => void): void {
  const r = new BodyRead(limits, raw, done);
  const declared = Number(raw.headers['content-length']);
  // A declared length that cannot fit is refused before a byte is read.
  if (Number.isFinite(declared) && (declared > limits.maxBodyBytes || limits.bodyBytes + declared > limits.bodyBudgetBytes)) {
    limits.bodiesRefused++;
    refuse(r, BODY_TOO_LARGE);
    return;
  }
  (raw as Reading)[READING] = r;
  raw.on('data', onData);
  raw.on('end', onEnd);
  raw.on('error', onError);
  raw.on('aborted', onError);
  process.nextTick(startIdleClock, r);
}

/**
 * Media types clients commonly send with a body. Fastify finds the catch-all reader only after
 * parsing the Content-Type anew and three failed lookups, on every request, and never caches that
 * outcome; a reader registered under the type itself is cached by the header's text after its
 * first request (parameters included). The reader is the same, so the answer is too.
 */
const COMMON_MEDIA_TYPES = ['application/json', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'application/hcl'];

/** Replaces Fastify's body parsers with the budgeted raw reader (a parser error makes Fastify close the connection). */
export function installBodyReader(app: FastifyInstance, limits: Limits): void {
  app.removeAllContentTypeParsers();
  const reader = (_req: FastifyRequest, payload: IncomingMessage, done: (err: Error | null, body?: Buffer) => void): void => readBody(limits, payload, done);
  app.addContentTypeParser('*', reader);
  app.addContentTypeParser(COMMON_MEDIA_TYPES, reader);
}
