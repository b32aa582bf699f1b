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

function readBody(limits: Limits, raw: IncomingMessage, done: (err: Error | null, body?: Buffer) => void): void {
  const declared = Number(raw.headers['content-length']);
  let finished = false;
  let held = 0;
  // The body's one chunk (the common case), or its chunks once there are more.
  let first: Buffer | null = null;
  let more: Buffer[] | null = null;
  let timer: NodeJS.Timeout | null = null;

  const cleanup = (): void => {
    finished = true;
    if (timer !== null) clearTimeout(timer);
    raw.off('data', onData);
    raw.off('end', onEnd);
    raw.off('error', onError);
    raw.off('aborted', onError);
    limits.bodyBytes -= held;
    held = 0;
    first = null;
    more = null;
  };
  const refuse = (message: string): void => {
    if (finished) return;
    cleanup();
    // Stop reading: the socket's own backpressure holds the sender until the answer closes it.
    raw.pause();
    done(new HttpError(400, message));
  };
  const onData = (chunk: Buffer): void => {
    if (finished) return;
    if (held + chunk.length > limits.maxBodyBytes || limits.bodyBytes + chunk.length > limits.bodyBudgetBytes) {
      limits.bodiesRefused++;
      refuse(BODY_TOO_LARGE);
      return;
    }
    held += chunk.length;
    limits.bodyBytes += chunk.length;
    if (first === null) first = chunk;
    else (more ??= [first]).push(chunk);
    timer?.refresh();
  };
  const onEnd = (): void => {
    if (finished) return;
    const body = more !== null ? Buffer.concat(more, held) : (first ?? Buffer.alloc(0));
    cleanup();
    done(null, body);
  };
  const onError = (): void => {
    if (finished) return;
    cleanup();
    done(new HttpError(400, 'unexpected EOF'));
  };

  // A declared length that cannot fit is refused before a byte is read.
  if (Number.isFinite(declared) && (declared > limits.maxBodyBytes || limits.bodyBytes + declared > limits.bodyBudgetBytes)) {
    limits.bodiesRefused++;
    refuse(BODY_TOO_LARGE);
    return;
  }
  raw.on('data', onData);
  raw.on('end', onEnd);
  raw.on('error', onError);
  raw.on('aborted', onError);
  // The idle clock starts once the bytes that came with the headers are parsed (this runs while
  // they are): a body that came whole with them, as most do, cannot stall and needs no timer.
  process.nextTick(() => {
    if (finished || raw.complete) return;
    timer = setTimeout(() => {
      limits.bodiesTimedOut++;
      refuse(ioTimeout(raw));
    }, limits.bodyIdleMs);
    timer.unref();
  });
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
