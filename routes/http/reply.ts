// How Nomad's HTTP wrapper writes answers: JSON bodies (compact, or indented with ?pretty), plain-text
// errors, and the X-Nomad-* headers in Go's canonical casing (Fastify lowercases names it is given,
// so they are queued here and handed to Node as written).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bodyLength, encodeBody, type Body } from './compress.js';
import { INTERNAL_ERROR_TEXT } from './client-errors.js';
import { sendShared } from './shared-answer.js';
import { writeHead } from './head-cache.js';
import { endInOneWrite } from './one-write.js';
import { goJson } from './go-json.js';
import { dropIdleResponseListener } from './response-listener.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Records a request's answer in the journal; set by the server (src/control/hooks.ts). */
    recordResponse?: (req: FastifyRequest, status: number) => void;
    /**
     * With --data-dir: null, or a promise the answer waits for (the write it saw is on disk);
     * rejected when it cannot be made durable. Set by the server.
     */
    durableAnswer?: (req: FastifyRequest) => Promise<void> | null;
  }
}

const QUEUED = Symbol('nomad-mock.headers');
type Queued = FastifyReply & { [QUEUED]?: string[] };

/**
 * A header value as Go's server writes it: CR and LF become spaces, surrounding blanks are trimmed,
 * and the text goes out as raw UTF-8 bytes. Node takes header text as latin1 and refuses control
 * bytes Go would send as they are (other than tab), so those become spaces as well.
 */
export function goHeaderValue(value: string): string {
  if (/^[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?$/.test(value)) return value;
  return Buffer.from(value, 'utf8')
    .toString('latin1')
    .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, ' ')
    .replace(/^[ \t]+|[ \t]+$/g, '');
}

/** Sets a header in the casing given, written with the answer whichever way it is sent. */
function queueHeader(reply: FastifyReply, name: string, raw: string): void {
  const value = goHeaderValue(raw);
  const r = reply as Queued;
  const h = (r[QUEUED] ??= []);
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] === name) {
      h[i + 1] = value;
      return;
    }
  }
  h.push(name, value);
}

/** An answer that turned into an internal error carries none of the success's headers. */
export function dropQueuedHeaders(reply: FastifyReply): void {
  delete (reply as Queued)[QUEUED];
}

/** For answers Fastify sends itself (errors, empty bodies): the queued headers go on the raw response. */
export function flushQueuedHeaders(reply: FastifyReply): void {
  const h = (reply as Queued)[QUEUED];
  if (h) for (let i = 0; i < h.length; i += 2) reply.raw.setHeader(h[i]!, h[i + 1]!);
}

const jsonCache = new WeakMap<object, Buffer>();

/**
 * Compact JSON of a stored object as UTF-8 bytes; stored objects are immutable, so the bytes are
 * cached by identity. Bytes rather than text: an answer needs no byte count and no copy into the
 * socket's write (a string is measured, joined to the headers and encoded on every answer).
 */
export function cachedJson(value: object): Buffer {
  let bytes = jsonCache.get(value);
  if (bytes === undefined) {
    const text = goJson(value);
    // Its own memory, not a slice of Buffer's shared pool that would keep a whole slab alive.
    bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
    bytes.write(text);
    jsonCache.set(value, bytes);
  }
  return bytes;
}

export function isPretty(req: FastifyRequest): boolean {
  const v = (req.query as Record<string, string | undefined>).pretty;
  return v !== undefined && v !== '0';
}

/** Query meta of a read: the index plus the leader headers a single-server dev agent reports. */
export function setReadMeta(reply: FastifyReply, index: number, nextToken = '', knownLeader = true): void {
  const r = reply as Queued;
  if (r[QUEUED] === undefined) {
    // The common case, a read's first headers: digits and constants need none of goHeaderValue's care.
    r[QUEUED] = ['X-Nomad-Index', String(index), 'X-Nomad-Knownleader', knownLeader ? 'true' : 'false', 'X-Nomad-Lastcontact', '0'];
  } else {
    queueHeader(reply, 'X-Nomad-Index', String(index));
    queueHeader(reply, 'X-Nomad-Knownleader', knownLeader ? 'true' : 'false');
    queueHeader(reply, 'X-Nomad-Lastcontact', '0');
  }
  if (nextToken !== '') queueHeader(reply, 'X-Nomad-Nexttoken', nextToken);
}

export function setWriteIndex(reply: FastifyReply, index: number): void {
  const r = reply as Queued;
  // The common case, a write's only header: digits need none of goHeaderValue's care.
  if (r[QUEUED] === undefined) r[QUEUED] = ['X-Nomad-Index', String(index)];
  else queueHeader(reply, 'X-Nomad-Index', String(index));
}

/**
 * Sends a JSON body. `compact` may be a pre-rendered compact text or its UTF-8 bytes (from
 * cachedJson, or a route's own cache, possibly in parts) that is reused unless the client asked for ?pretty.
 */
export function sendJson(req: FastifyRequest, reply: FastifyReply, value: unknown, compact?: Body, status = 200): FastifyReply {
  const text = isPretty(req) ? `${goJson(value, 4)}\n` : (compact ?? goJson(value));
  return writeAnswer(req, reply, status, 'application/json', text);
}

/**
 * Writes a whole answer at once, the way every JSON body goes out: journal entry, Vary, the queued
 * headers, bare `application/json` (Fastify would add a charset), compression, then one write of
 * headers and body. Fastify's own send path does the same through the server's onSend hook.
 */
function writeAnswer(req: FastifyRequest, reply: FastifyReply, status: number, type: string, text: Body): FastifyReply {
  reply.hijack();
  const wait = req.server.durableAnswer?.(req);
  if (!wait) return emitAnswer(req, reply, status, type, text);
  wait.then(
    () => emitAnswer(req, reply, status, type, text),
    () => {
      dropQueuedHeaders(reply);
      emitAnswer(req, reply, 500, 'text/plain; charset=utf-8', INTERNAL_ERROR_TEXT);
    },
  );
  return reply;
}

function emitAnswer(req: FastifyRequest, reply: FastifyReply, status: number, type: string, text: Body): FastifyReply {
  req.server.recordResponse?.(req, status);
  const res = reply.raw;
  if (res.destroyed || res.writableEnded) return reply;
  dropIdleResponseListener(reply);
  const head = headList((reply as Queued)[QUEUED], type);
  if (sendShared(req, res, status, head, text)) return reply;
  // Most clients (and every benchmark) ask for no encoding: nothing to negotiate or compress.
  let body: Body = text;
  if (req.headers['accept-encoding'] !== undefined) {
    const encoded = encodeBody(req, text);
    body = encoded.body;
    if (encoded.encoding) head.push('Content-Encoding', encoded.encoding);
  }
  head.push('Content-Length', String(bodyLength(body)));
  writeHead(res, status, head);
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    if (!endInOneWrite(res, body)) res.end(body);
  } else endInParts(res, body);
  return reply;
}

/** Vary, the queued headers and Content-Type, in one array made at its size (no spread, no regrowth). */
function headList(queued: string[] | undefined, type: string): string[] {
  if (queued === undefined) return ['Vary', 'Accept-Encoding', 'Content-Type', type];
  // A write's index alone, and a read's three X-Nomad-* headers: the common cases.
  if (queued.length === 2) return ['Vary', 'Accept-Encoding', queued[0]!, queued[1]!, 'Content-Type', type];
  if (queued.length === 6) return ['Vary', 'Accept-Encoding', queued[0]!, queued[1]!, queued[2]!, queued[3]!, queued[4]!, queued[5]!, 'Content-Type', type];
  const head = ['Vary', 'Accept-Encoding'];
  for (let i = 0; i < queued.length; i++) head.push(queued[i]!);
  head.push('Content-Type', type);
  return head;
}

/**
 * A body in parts (slices of a big list shared with the lists before it) goes out as one corked
 * write of them all after the header block: the same bytes as the parts joined, without a fresh copy.
 */
function endInParts(res: FastifyReply['raw'], parts: readonly Buffer[]): void {
  // HEAD: Node sends no body, so there is nothing to hand it.
  if (res.req.method === 'HEAD') {
    res.end();
    return;
  }
  res.cork();
  for (const part of parts) res.write(part);
  // end() uncorks: header block and parts leave in one writev.
  res.end();
}

export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

/** Nomad's answer to a handler that returns no object: 200 with an empty body. */
export function sendEmpty(reply: FastifyReply): FastifyReply {
  return reply.code(200).send();
}
