// An answer whose header block is rendered goes out as one socket write of header and body.
// Node's res.end(body) corks the socket, writes header + body, then an empty end marker, and
// uncorks: a writev of two chunks through the generic writev path (an array of chunks and
// encodings, each string measured and copied in C++) for what is one write of one string. Here the
// bytes Node would send are written at once, the header marked sent, and res.end() finishes the
// response as it does after a body: 'finish', Fastify's hooks and the keep-alive bookkeeping run as
// for any answer.
//
// Only where Node's own path would write exactly these bytes straight to the socket: a connection of
// Node's own whose current answer this is, a body to send (not HEAD), no chunked encoding, nothing
// queued before it, and the header block not yet sent.
import { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Node's internal fields read or set here (stable since Node 0.x; Node 20 is what the image runs). */
interface NodeResponse extends ServerResponse {
  _header: string | null;
  _headerSent: boolean;
  _hasBody: boolean;
  chunkedEncoding: boolean;
  strictContentLength: boolean;
  outputData: unknown[];
}

/**
 * A Buffer body is copied behind its header block, and Buffer.allocUnsafe takes that room from its
 * shared pool only below half the pool's size; a bigger one is a fresh external allocation per answer,
 * which drives V8 to full collections (a cached 60 KB job list answered at half the rate). Bigger
 * bodies go out as Node sends them: header block and the body's own bytes, uncopied, in one writev.
 */
const POOLED_MAX = Buffer.poolSize >>> 1;

/** Sends header block and body in one write and ends the response; false (nothing done) when it cannot. */
export function endInOneWrite(res: ServerResponse, body: string | Buffer): boolean {
  const r = res as NodeResponse;
  const header = r._header;
  const socket = r.socket as (Socket & { _httpMessage?: unknown }) | null;
  if (
    typeof header !== 'string' ||
    r._headerSent ||
    !r._hasBody ||
    r.chunkedEncoding ||
    r.strictContentLength ||
    r.outputData.length !== 0 ||
    Object.getPrototypeOf(r) !== ServerResponse.prototype ||
    socket === null ||
    socket._httpMessage !== r ||
    !socket.writable ||
    body.length === 0 ||
    (typeof body !== 'string' && body.length >= POOLED_MAX)
  ) {
    return false;
  }
  r._headerSent = true;
  if (typeof body === 'string') {
    // Node joins a string body to its header block and writes the whole as UTF-8.
    socket.write(header + body);
  } else {
    // With a Buffer body Node writes the header block as latin1, then the bytes.
    const n = header.length;
    const out = Buffer.allocUnsafe(n + body.length);
    out.write(header, 0, n, 'latin1');
    body.copy(out, n);
    socket.write(out);
  }
  // Nothing left to write: end() only finishes the response (after the socket flushed, if it must).
  res.end();
  return true;
}
