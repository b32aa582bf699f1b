// Answers to requests that never reach a route, written the way Go's net/http server in front of
// Nomad writes them (src/net/http/server.go, conn.serve): a bare status line, `Content-Type:
// text/plain; charset=utf-8`, `Connection: close`, the status as body, then the socket is closed.
// Node's parser is stricter than Go's in places; where Go would hand the request to Nomad, the
// request is re-run in-process with an equivalent that Node accepts and its answer is sent, again
// announcing `Connection: close` (Node cannot go on reading a socket its parser gave up on).
import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Go's DefaultMaxHeaderBytes (1 MB) plus the 4 KB slack its connection reader allows. */
export const GO_MAX_HEADER_BYTES = (1 << 20) + 4096;

/** What an unexpected exception answers: its text stays in the log. */
export const INTERNAL_ERROR_TEXT = 'rpc error: internal error';

const ERROR_HEADERS = '\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n';

/** Go's `"HTTP/1.1 " + publicErr + errorHeaders + publicErr`. */
export function goErrorResponse(status: number, detail = ''): string {
  const text = `${status} ${STATUS_CODES[status]}${detail ? `: ${detail}` : ''}`;
  return `HTTP/1.1 ${text}${ERROR_HEADERS}${text}`;
}

/** Writes `data` and closes: a FIN after it, and the socket drained until the peer closes too. */
export function endSocket(socket: Socket, data: string | Buffer): void {
  if (socket.destroyed) return;
  if (socket.writable) socket.end(data);
  else socket.destroy();
  // Unread bytes at close would turn the FIN into a reset that can swallow the answer.
  socket.on('data', () => {});
  socket.resume();
  socket.setTimeout(2000, () => socket.destroy());
}

/** `Content-Type` → Go's CanonicalMIMEHeaderKey form. */
const canonicalKey = (k: string): string => k.toLowerCase().replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase());

interface RequestLine {
  method: string;
  target: string;
  headers: Record<string, string>;
  hasBody: boolean;
}

const KNOWN_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The request line and headers as Go's http.ReadRequest would accept them, or null where Go too
 * answers `400 Bad Request` (malformed line, method that is not a token, bad version, control
 * characters or a bad escape in the path, incomplete headers).
 */
function parseGoRequest(raw: Buffer): RequestLine | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const first = lines[0]!;
  const sp1 = first.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : first.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0) return null;
  const method = first.slice(0, sp1);
  const uri = first.slice(sp1 + 1, sp2);
  const proto = first.slice(sp2 + 1);
  if (!TOKEN.test(method) || !/^HTTP\/1\.[01]$/.test(proto)) return null;
  // url.ParseRequestURI: no control bytes, an absolute path, valid escapes in the path.
  if (/[\x00-\x1f\x7f]/.test(uri) || !uri.startsWith('/')) return null;
  const q = uri.indexOf('?');
  if (/%(?![0-9A-Fa-f]{2})/.test(q < 0 ? uri : uri.slice(0, q))) return null;
  // Go keeps bytes above 0x7f in the path as they are; they are sent on percent-encoded.
  const target = Buffer.from(uri, 'latin1')
    .toString('latin1')
    .replace(/[\x80-\xff]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    const name = line.slice(0, colon);
    if (!TOKEN.test(name)) return null;
    const value = line.slice(colon + 1).trim();
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return null;
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  if (proto === 'HTTP/1.1' && headers.host === undefined) return null;
  const hasBody = headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? 0) > 0;
  return { method, target, headers, hasBody };
}

/**
 * Re-runs a request Go would have served through the app and writes the answer with
 * `Connection: close`. Nomad answers a method its handler does not know with 405 `Invalid method`
 * (or 404 off its routes); PATCH is such a method for every Nomad route, so it stands in for
 * methods Node's parser refuses (`BREW`).
 */
async function replay(app: FastifyInstance, socket: Socket, req: RequestLine): Promise<void> {
  const method = KNOWN_METHODS.has(req.method) ? (req.method as 'GET') : 'PATCH';
  const res = await app.inject({ method, url: req.target, headers: req.headers });
  let head = `HTTP/1.1 ${res.statusCode} ${STATUS_CODES[res.statusCode] ?? ''}\r\n`;
  for (const [k, v] of Object.entries(res.headers)) {
    if (k === 'connection' || k === 'keep-alive' || k === 'transfer-encoding' || k === 'content-length' || v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${canonicalKey(k)}: ${one}\r\n`;
  }
  head += `Content-Length: ${res.rawPayload.length}\r\nConnection: close\r\n\r\n`;
  endSocket(socket, Buffer.concat([Buffer.from(head, 'latin1'), res.rawPayload]));
}

/** The server's `clientError` listener: what Go answers for a request Node's parser rejected. */
export function clientErrorHandler(this: FastifyInstance, error: Error, socket: Socket): void {
  if (socket.destroyed) return;
  const err = error as NodeJS.ErrnoException & { rawPacket?: unknown };
  const code = err.code ?? '';
  if (code === 'HPE_HEADER_OVERFLOW') return endSocket(socket, goErrorResponse(431));
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return endSocket(socket, goErrorResponse(408));
  const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : null;
  if (!code.startsWith('HPE_')) {
    // A read error on the connection (reset, abort): Go does not reply either.
    socket.destroy();
    return;
  }
  if (code === 'HPE_INVALID_TRANSFER_ENCODING') {
    return endSocket(socket, `HTTP/1.1 501 ${STATUS_CODES[501]}${ERROR_HEADERS}Unsupported transfer encoding`);
  }
  if (code === 'HPE_INVALID_VERSION' && raw && /^[^ ]+ [^ ]+ HTTP\/\d\.\d\r\n/.test(raw.toString('latin1', 0, 8192))) {
    // Go parses any HTTP/d.d and then refuses the versions its HTTP/1 server does not speak.
    return endSocket(socket, goErrorResponse(505, 'unsupported protocol version'));
  }
  // An unknown method or raw UTF-8 in the path: Go reads the request and Nomad answers it.
  const req = raw && (code === 'HPE_INVALID_METHOD' || code === 'HPE_INVALID_URL') ? parseGoRequest(raw) : null;
  // (A body cannot be replayed: its bytes are beyond what the parser handed over.)
  if (req && !(req.hasBody && KNOWN_METHODS.has(req.method))) {
    replay(this, socket, req).catch((e: unknown) => {
      this.log.error(e);
      endSocket(socket, goErrorResponse(400));
    });
    return;
  }
  endSocket(socket, goErrorResponse(400));
}

/**
 * Fastify's own routing failures. A bad escape in the path is rejected by Go's url.ParseRequestURI
 * before Nomad sees the request; path parameters have no length limit in Go (the header limit
 * bounds them) and Fastify's is set beyond it, so only the bad URL is expected here.
 */
export function frameworkErrors(err: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply): void {
  if (err.code === 'FST_ERR_BAD_URL') {
    const socket = req.raw.socket;
    if (socket instanceof Socket) {
      reply.hijack();
      endSocket(socket, goErrorResponse(400));
    } else {
      // In-process requests (inject) have no socket to close.
      reply.code(400).header('connection', 'close').type('text/plain; charset=utf-8').send('400 Bad Request');
    }
    return;
  }
  req.log.error(err);
  reply.code(500).type('text/plain; charset=utf-8').send(INTERNAL_ERROR_TEXT);
}
