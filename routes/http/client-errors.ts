// Answers to requests that never reach a route, written the way Go's net/http server in front of
// Nomad writes them (src/net/http/server.go, conn.serve): a bare status line, `Content-Type:
// text/plain; charset=utf-8`, `Connection: close`, the status as body, then the socket is closed.
// Node's parser is stricter than Go's in places; where Go would hand the request to Nomad, the
// request is re-run in-process with an equivalent that Node accepts and its answer is sent, again
// announcing `Connection: close` (Node cannot go on reading a socket its parser gave up on).
import { METHODS, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ownMethod } from './method-routing.js';

/** Go's DefaultMaxHeaderBytes (1 MB) plus the 4 KB slack its connection reader allows. */
export const GO_MAX_HEADER_BYTES = (1 << 20) + 4096;

/** What an unexpected exception answers: its text stays in the log. */
export const INTERNAL_ERROR_TEXT = 'rpc error: internal error';

const ERROR_HEADERS = '\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n';

/** Go answers 501 to a transfer coding it does not implement, without echoing it. */
const UNSUPPORTED_TE = `HTTP/1.1 501 ${STATUS_CODES[501]}${ERROR_HEADERS}Unsupported transfer encoding`;

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

interface GoRequest {
  method: string;
  target: string;
  headers: Record<string, string>;
  /** The whole body, or null when it is not all in the bytes the parser handed over. */
  body: Buffer | null;
}

const KNOWN_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A complete chunked body, or null. */
function dechunk(data: Buffer): Buffer | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = parseInt(data.toString('latin1', at, eol).split(';')[0]!.trim(), 16);
    if (!Number.isFinite(size) || size < 0) return null;
    at = eol + 2;
    if (size === 0) return Buffer.concat(parts);
    if (data.length < at + size + 2) return null;
    parts.push(data.subarray(at, at + size));
    at += size + 2;
  }
}

/** Go's refusal of a request: its status and the detail after the status text ('' for none). */
interface Refusal {
  status: number;
  detail: string;
}
const BAD_REQUEST: Refusal = { status: 400, detail: '' };

/**
 * The request as Go's http.ReadRequest reads it, or Go's refusal of it (malformed line, a method
 * that is not a token, bad version, control bytes or a bad escape in the path, bad headers, an
 * unsupported transfer coding). Headers cut short are a bare 400 too: Node handed over no more.
 */
function parseGoRequest(raw: Buffer): GoRequest | Refusal {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return BAD_REQUEST;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const first = lines[0]!;
  const sp1 = first.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : first.indexOf(' ', sp1 + 1);
  if (sp1 < 0 || sp2 < 0) return BAD_REQUEST;
  const method = first.slice(0, sp1);
  const uri = first.slice(sp1 + 1, sp2);
  const proto = first.slice(sp2 + 1);
  if (!TOKEN.test(method) || !/^HTTP\/1\.[01]$/.test(proto)) return BAD_REQUEST;
  // url.ParseRequestURI: no control bytes, an absolute path, valid escapes in the path.
  if (/[\x00-\x1f\x7f]/.test(uri) || !uri.startsWith('/')) return BAD_REQUEST;
  const q = uri.indexOf('?');
  if (/%(?![0-9A-Fa-f]{2})/.test(q < 0 ? uri : uri.slice(0, q))) return BAD_REQUEST;
  // Go keeps bytes above 0x7f in the path as they are; they are sent on percent-encoded.
  const target = uri.replace(/[\x80-\xff]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !TOKEN.test(line.slice(0, colon))) return BAD_REQUEST;
    const value = line.slice(colon + 1).trim();
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(value)) return BAD_REQUEST;
    const key = line.slice(0, colon).toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  const hostProblem = goHostCheck(proto === 'HTTP/1.1', headers.host === undefined ? [] : headers.host.split(', '));
  if (hostProblem) return { status: 400, detail: hostProblem };
  const rest = raw.subarray(end + 4);
  let body: Buffer | null = Buffer.alloc(0);
  const te = headers['transfer-encoding'];
  if (te !== undefined) {
    // Go serves `chunked` only, and lets it override any Content-Length (which it drops).
    if (te.toLowerCase() !== 'chunked') return { status: 501, detail: '' };
    body = dechunk(rest);
    delete headers['content-length'];
    delete headers['transfer-encoding'];
  } else if (headers['content-length'] !== undefined) {
    const cl = headers['content-length'];
    if (!/^\d+$/.test(cl)) return BAD_REQUEST;
    const n = Number(cl);
    body = rest.length >= n ? rest.subarray(0, n) : null;
  }
  return { method, target, headers, body };
}

const VALID_HOST = /^[0-9A-Za-z!$%&'()*+,\-.:;=[\]_~]*$/;
let lastValidHost: string | null = null;

/** Go's Host header rules of an HTTP/1.1 request: the detail of its 400, or null when it is fine. */
export function goHostCheck(http11: boolean, hosts: string[]): string | null {
  if (http11 && hosts.length === 0) return 'missing required Host header';
  if (hosts.length > 1) return 'too many Host headers';
  if (hosts.length === 1 && hosts[0] !== lastValidHost) {
    if (!VALID_HOST.test(hosts[0]!)) return 'malformed Host header';
    // Every request of a client names the same host: the last one that passed needs no regexp.
    lastValidHost = hosts[0]!;
  }
  return null;
}

/** Set on an in-process answer by a connection fault (src/control/hooks.ts): do it to the real socket. */
export const REPLAY_CONNECTION_FAULT = 'x-nomad-mock-connection-fault';

/**
 * Runs a request Go would have served through the app and writes the answer with
 * `Connection: close`. Nomad answers a method its handler does not know with 405 `Invalid method`
 * (or 404 off its routes); PATCH is such a method for every Nomad route, so it stands in for
 * methods Node's parser refuses (`BREW`).
 */
async function replay(app: FastifyInstance, socket: Socket, req: GoRequest): Promise<void> {
  const method = KNOWN_METHODS.has(req.method) ? (req.method as 'GET') : 'PATCH';
  const payload = req.body && req.body.length > 0 ? req.body : undefined;
  // The length is the replayed body's (none for a method whose body is not needed).
  const { 'content-length': _length, ...headers } = req.headers;
  const res = await app.inject({ method, url: req.target, headers, payload });
  const fault = res.headers[REPLAY_CONNECTION_FAULT];
  if (fault === 'reset') return void socket.resetAndDestroy();
  if (fault === 'empty') return void socket.end();
  let head = `HTTP/1.1 ${res.statusCode} ${STATUS_CODES[res.statusCode] ?? ''}\r\n`;
  for (const [k, v] of Object.entries(res.headers)) {
    if (k === 'connection' || k === 'keep-alive' || k === 'transfer-encoding' || k === 'content-length' || v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${canonicalKey(k)}: ${one}\r\n`;
  }
  head += `Content-Length: ${res.rawPayload.length}\r\nConnection: close\r\n\r\n`;
  endSocket(socket, Buffer.concat([Buffer.from(head, 'latin1'), res.rawPayload]));
}

/** Sockets already answered: a parser that failed reports every later chunk as another error. */
const answered = new WeakSet<Socket>();

/** The server's `clientError` listener: what Go answers for a request Node's parser rejected. */
export function clientErrorHandler(this: FastifyInstance, error: Error, socket: Socket): void {
  if (socket.destroyed || answered.has(socket)) return;
  answered.add(socket);
  // An answer already under way on this socket (a body that went bad after its headers were
  // read): a second status line would corrupt it, so the connection is only closed (Node does so).
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const err = error as NodeJS.ErrnoException & { rawPacket?: unknown };
  const code = err.code ?? '';
  const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : null;
  if (code === 'HPE_HEADER_OVERFLOW') return endSocket(socket, goErrorResponse(431));
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return endSocket(socket, goErrorResponse(408));
  if (!code.startsWith('HPE_')) {
    // A read error on the connection (reset, abort): Go does not reply either.
    socket.destroy();
    return;
  }
  if (code === 'HPE_INVALID_VERSION' && raw && /^[^ ]+ [^ ]+ HTTP\/\d\.\d\r\n/.test(raw.toString('latin1', 0, 8192))) {
    // Go parses any HTTP/d.d and then refuses the versions its HTTP/1 server does not speak.
    return endSocket(socket, goErrorResponse(505, 'unsupported protocol version'));
  }
  // Node refuses what Go serves: unknown methods, raw UTF-8 in the path, Transfer-Encoding with
  // Content-Length. The request is run as Go would read it when all of it is at hand.
  const req = raw ? parseGoRequest(raw) : BAD_REQUEST;
  // (An unknown method gets its 405 whatever its body; other methods need the whole body.)
  if ('method' in req && (req.body || !KNOWN_METHODS.has(req.method))) {
    replay(this, socket, req).catch((e: unknown) => {
      this.log.error(e);
      endSocket(socket, goErrorResponse(500));
    });
    return;
  }
  const refusal = 'status' in req ? req : BAD_REQUEST;
  if (refusal.status === 501 || code === 'HPE_INVALID_TRANSFER_ENCODING') return endSocket(socket, UNSUPPORTED_TE);
  endSocket(socket, goErrorResponse(refusal.status, refusal.detail));
}

/**
 * Go behaviour of the HTTP server itself, set up before the routes: every method Node can parse
 * reaches the routes (Go accepts any token; Nomad's handlers answer 405 `Invalid method`), CONNECT
 * is answered rather than dropped, and an `Expect` other than 100-continue gets Go's 417.
 */
export function serveLikeGo(app: FastifyInstance): void {
  for (const m of METHODS) if (m !== 'CONNECT' && !app.supportedMethods.includes(m)) app.addHttpMethod(m);
  app.server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(417, { Connection: 'close', 'Content-Length': '0' });
    res.end();
  });
  app.server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const url = req.url ?? '';
    if (!url.startsWith('/')) {
      // An authority-form target (CONNECT host:port) matches no Nomad route.
      endSocket(socket, 'HTTP/1.1 404 Not Found\r\nVary: Accept-Encoding\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    replay(app, socket, { method: 'CONNECT', target: url, headers, body: null }).catch((e: unknown) => {
      app.log.error(e);
      endSocket(socket, goErrorResponse(500));
    });
  });
}

/**
 * What Go's server answers itself for a request Node parsed: `OPTIONS *`, and its refusals — Host
 * header rules (the server is created with `requireHostHeader: false`, as Node's own refusal is not
 * Go's) and any Transfer-Encoding other than a single `chunked`. Returns true when it answered.
 */
export function answerAsGoServer(req: FastifyRequest, reply: FastifyReply): boolean {
  const raw = req.raw;
  const socket = raw.socket;
  if (raw.method === 'OPTIONS' && raw.url === '*') {
    // Go's server answers `OPTIONS *` itself (globalOptionsHandler), before any handler.
    reply.hijack();
    reply.raw.writeHead(200, { 'Content-Length': '0' });
    reply.raw.end();
    return true;
  }
  if (!(socket instanceof Socket)) return false; // in-process requests always carry a Host
  const te = raw.headers['transfer-encoding'];
  // The one Host line of an ordinary request, found without an array; only a request with more
  // than one collects them (Go's check names that case).
  let host: string | undefined;
  let hosts: string[] | null = null;
  const names = raw.rawHeaders;
  for (let i = 0; i < names.length; i += 2) {
    const n = names[i]!;
    if (n.length !== 4 || n.toLowerCase() !== 'host') continue;
    if (host === undefined) host = names[i + 1]!;
    else (hosts ??= [host]).push(names[i + 1]!);
  }
  let answer: string | null = null;
  // Node joins repeated Transfer-Encoding headers with ", "; Go wants exactly one `chunked`.
  if (te !== undefined && te.toLowerCase() !== 'chunked') {
    answer = UNSUPPORTED_TE;
  } else if (hosts !== null || host !== lastValidHost) {
    const problem = goHostCheck(raw.httpVersion === '1.1', hosts ?? (host === undefined ? [] : [host]));
    if (problem) answer = goErrorResponse(400, problem);
  }
  if (!answer) return false;
  reply.hijack();
  endSocket(socket, answer);
  return true;
}

/**
 * Fastify's own routing failures. A bad escape in the path is rejected by Go's url.ParseRequestURI
 * before Nomad sees the request; path parameters have no length limit in Go (the header limit
 * bounds them) and Fastify's is set beyond it, so only the bad URL is expected here.
 */
export function frameworkErrors(err: Error & { code?: string }, req: FastifyRequest, reply: FastifyReply): void {
  ownMethod(req.raw); // the router failed: no onRequest hook has run
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
