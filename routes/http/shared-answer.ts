// One write can release thousands of parked readers of the same query (issue 16), and each gets
// the same bytes: the answer's header block as Node renders it and the same body. Node's ordinary
// path (header string + body + end marker corked into a writev, the body encoded again for every
// reader) costs several times the socket write itself, so a released reader's answer is sent as
// one prebuilt buffer, shared by every reader whose header block and body are identical.
//
// Nothing else changes: each request still has its journal entry, metrics and log line (written
// before this), its own header block rendered by Node's writeHead (its Date, keep-alive and
// Connection come from its own request), and res.end(), so 'finish', Fastify's onResponse and the
// keep-alive bookkeeping run as for any answer. Only the bytes are reused, and only when they are
// byte for byte what Node would have written.
import { ServerResponse } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { encodeBody, type Body } from './compress.js';
import { headerSet, writeHead } from './head-cache.js';

/** Responses of readers released from a blocking wait, until they are answered. */
const released = new WeakSet<ServerResponse>();

export function markReleased(res: ServerResponse): void {
  released.add(res);
}

/** Bodies up to this size are copied behind their header block; larger ones gain nothing from it. */
const MAX_SHARED_BODY = 64 * 1024;
/** Distinct answers kept at once (readers of a few different queries released together). */
const SLOTS = 4;

interface Shared {
  /** The text or bytes the route answered with (by identity: routes reuse their cached texts). */
  text: string | Buffer;
  /** Accept-Encoding as the reader sent it. */
  accept: string | undefined;
  body: string | Buffer;
  encoding: 'gzip' | 'deflate' | null;
  /** The body's length in bytes, as the Content-Length header's text. */
  length: string;
  /** Node's header block for it, and header + body as one buffer. */
  header: string;
  bytes: Buffer | null;
}

/** Per server: the last few answers sent to released readers. */
const memos = new WeakMap<object, Shared[]>();

/** Internal fields of Node's ServerResponse read here (stable since Node 0.x). */
interface NodeResponse extends ServerResponse {
  _header: string | null;
  _headerSent: boolean;
  _hasBody: boolean;
  outputData: unknown[];
}

const ASCII = /^[\x00-\x7f]*$/;

/**
 * Answers a released reader from the shared bytes; false (nothing written, nothing set) when `res`
 * is not a released reader's or cannot take them, and the caller answers as usual.
 * `head` is the header list without Content-Encoding and Content-Length, which are added here.
 *
 * Per reader this is a header block (head-cache.ts hands back the same block string to every reader
 * answered within the same second with the same list, so the shared bytes are found by identity)
 * and one socket write: nothing is rendered, encoded or joined again.
 */
export function sendShared(req: FastifyRequest, res: ServerResponse, status: number, head: string[], text: Body): boolean {
  if (!released.has(res)) return false;
  released.delete(res);
  // A body in parts is a big list's: far over MAX_SHARED_BODY.
  if (typeof text !== 'string' && !Buffer.isBuffer(text)) return false;
  const r = res as NodeResponse;
  // A real connection of Node's own (not an injected request), this answer first in its queue,
  // a body to send (not HEAD) and no header set on the response beforehand.
  if (Object.getPrototypeOf(r) !== ServerResponse.prototype || !r.socket?.writable || r._header || !r._hasBody || r.outputData.length > 0) return false;
  if (text.length > MAX_SHARED_BODY || headerSet(r)) return false;
  let slots = memos.get(req.server);
  if (!slots) memos.set(req.server, (slots = []));
  const accept = req.headers['accept-encoding'];
  let shared: Shared | undefined;
  for (let i = slots.length - 1; i >= 0; i--) {
    const s = slots[i]!;
    if (s.text === text && s.accept === accept) {
      shared = s;
      break;
    }
  }
  if (!shared) {
    const { body, encoding } = encodeBody(req, text);
    shared = { text, accept, body, encoding, length: String(typeof body === 'string' ? Buffer.byteLength(body) : body.length), header: '', bytes: null };
    if (slots.length >= SLOTS) slots.shift();
    slots.push(shared);
  }
  if (shared.encoding) head.push('Content-Encoding', shared.encoding);
  head.push('Content-Length', shared.length);
  writeHead(res, status, head);
  const header = r._header!;
  if (header !== shared.header) {
    shared.header = header;
    // Node writes a header block with a string body as UTF-8, and with a Buffer body as latin1:
    // the two agree only on ASCII, so other header blocks go Node's own way.
    shared.bytes = ASCII.test(header) ? Buffer.concat([Buffer.from(header, 'latin1'), typeof shared.body === 'string' ? Buffer.from(shared.body) : shared.body]) : null;
  }
  if (!shared.bytes) {
    res.end(shared.body);
    return true;
  }
  r._headerSent = true;
  r.socket!.write(shared.bytes);
  // Nothing left to write: end() only finishes the response (after the socket flushed, if it must).
  res.end();
  return true;
}
