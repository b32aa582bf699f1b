// Node renders a response's header block on every writeHead: each header is checked by two regexps,
// its name lowercased and matched against the few Node treats apart, and the text joined piece by
// piece. For a read that is most of its cost beyond bare Fastify's (which sends two headers where
// Nomad's answers carry six). Reads answer with the same header list again and again (it changes
// when the index or the body's length does), so the block Node rendered for the last list is
// reused, with the Date of the moment: the same bytes Node would have written. A write's answer
// differs from the one before only in digits (X-Nomad-Index, Content-Length): those lines are
// rendered as Node renders a valid header (`Name: value\r\n`), the rest reused.
//
// Only where the block cannot come out differently: a real connection in its ordinary keep-alive
// state, no header set on the response beforehand, a body to send, and a list whose headers Node
// does not treat apart (Content-Length aside, whose effect is repeated). Anything else, and the
// first answer of each list, goes through Node's own writeHead.
import { ServerResponse, STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';

/** Node's internal fields read or set here (stable since Node 0.x; Node 20 is what the image runs). */
interface NodeResponse extends ServerResponse {
  _header: string | null;
  _headerSent: boolean;
  _hasBody: boolean;
  _contentLength: number | null;
  _removedConnection: boolean;
  _expect_continue: boolean;
  _keepAliveTimeout: number;
  _defaultKeepAlive: boolean;
  _maxRequestsPerSocket: number;
  shouldKeepAlive: boolean;
  maxRequestsOnConnectionReached: boolean;
  chunkedEncoding: boolean;
  useChunkedEncodingByDefault: boolean;
}

interface Rendered {
  status: number;
  head: string[];
  /** Status line and headers, then what follows the Date line (Connection, Keep-Alive, blank line). */
  before: string;
  after: string;
  /** The status line alone, when `before` is it plus one `Name: value` line per header (else null). */
  statusLine: string | null;
  /** Where the Content-Length value sits in `head`. */
  lengthAt: number;
  contentLength: number | null;
  keepAliveTimeout: number;
  defaultKeepAlive: boolean;
  maxRequestsPerSocket: number;
  /** The whole block for `date` (a Date text is reused for a second: one block, not one per answer). */
  date: string;
  block: string;
}

/** Headers Node treats apart (matchHeader) or that Node adds itself: lists carrying one are not reused. */
const SPECIAL = new Set(['connection', 'transfer-encoding', 'date', 'expect', 'trailer', 'keep-alive', 'content-disposition']);

// Node's symbol for headers set with setHeader (null until one is), found on the first response.
let outHeaders: symbol | null | undefined;

let last: Rendered | null = null;
let reused = 0;

/** How many header blocks were reused so far (the tests check the reuse happens). */
export function reusedHeaderBlocks(): number {
  return reused;
}

// The Date value, as Node's own cache keeps it: made on first use, dropped at the next second.
let dateText: string | undefined;
function utcDate(): string {
  if (dateText === undefined) {
    const d = new Date();
    dateText = d.toUTCString();
    setTimeout(() => (dateText = undefined), 1000 - d.getMilliseconds()).unref();
  }
  return dateText;
}

function outHeadersOf(r: ServerResponse): unknown {
  if (outHeaders === undefined) outHeaders = Object.getOwnPropertySymbols(r).find((s) => s.description === 'kOutHeaders') ?? null;
  return outHeaders === null ? undefined : (r as unknown as Record<symbol, unknown>)[outHeaders];
}

/** True when a header was set on `res` with setHeader (or Node's field cannot be read): no allocation. */
export function headerSet(res: ServerResponse): boolean {
  return outHeadersOf(res) !== null;
}

function ordinary(r: NodeResponse): boolean {
  return (
    outHeadersOf(r) === null &&
    r._header === null &&
    r._hasBody === true &&
    r.sendDate === true &&
    r.shouldKeepAlive === true &&
    !r.maxRequestsOnConnectionReached &&
    !r._removedConnection &&
    !r.chunkedEncoding &&
    !r._expect_continue &&
    !r.statusMessage &&
    r.socket instanceof Socket
  );
}

function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function digits(v: string): boolean {
  if (v.length === 0) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The same names and values, but for values that are digits in both (an index, a length). */
function sameButDigits(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 2) {
    if (a[i] !== b[i]) return false;
    const x = a[i + 1]!;
    const y = b[i + 1]!;
    if (x !== y && !(digits(x) && digits(y))) return false;
  }
  return true;
}

function renderLines(statusLine: string, head: string[]): string {
  let out = statusLine;
  for (let i = 0; i < head.length; i += 2) out += `${head[i]}: ${head[i + 1]}\r\n`;
  return out;
}

/** `res.writeHead(status, head)` for a flat [name, value, …] list; the same bytes either way. */
export function writeHead(res: ServerResponse, status: number, head: string[]): void {
  const r = res as NodeResponse;
  if (!ordinary(r)) {
    res.writeHead(status, head);
    return;
  }
  const c = last;
  if (
    c !== null &&
    c.status === status &&
    c.keepAliveTimeout === r._keepAliveTimeout &&
    c.defaultKeepAlive === r._defaultKeepAlive &&
    c.maxRequestsPerSocket === r._maxRequestsPerSocket
  ) {
    if (!sameList(c.head, head)) {
      if (c.statusLine === null || !sameButDigits(c.head, head)) {
        res.writeHead(status, head);
        remember(r, status, head);
        return;
      }
      // Digits pass Node's header checks and change nothing else it does; the block is what it renders.
      c.head = head.slice();
      c.before = renderLines(c.statusLine, head);
      c.contentLength = Number(head[c.lengthAt]);
      // The block kept for this second holds the old digits.
      c.date = '';
    }
    // What writeHead and _storeHeader set for such a list, in the state checked above.
    r.statusMessage = STATUS_CODES[status] || 'unknown';
    r.statusCode = status;
    if (c.contentLength !== null) r._contentLength = c.contentLength;
    const date = utcDate();
    if (date !== c.date) {
      c.date = date;
      c.block = `${c.before}Date: ${date}\r\n${c.after}`;
    }
    r._header = c.block;
    r._headerSent = false;
    reused++;
    return;
  }
  res.writeHead(status, head);
  remember(r, status, head);
}

function remember(r: NodeResponse, status: number, head: string[]): void {
  let contentLength: number | null = null;
  let lengthAt = -1;
  for (let i = 0; i < head.length; i += 2) {
    const name = head[i]!.toLowerCase();
    if (SPECIAL.has(name)) return;
    if (name === 'content-length') {
      contentLength = Number(head[i + 1]);
      lengthAt = i + 1;
    }
  }
  const block = r._header;
  // Node's Date line follows the headers given (none of which is a Date here).
  const at = block?.indexOf('\r\nDate: ') ?? -1;
  if (contentLength === null || block == null || at < 0 || !r.shouldKeepAlive || r.chunkedEncoding) return;
  const end = block.indexOf('\r\n', at + 2);
  const before = block.slice(0, at + 2);
  const statusLine = block.slice(0, block.indexOf('\r\n') + 2);
  last = {
    status,
    head: head.slice(),
    before,
    after: block.slice(end + 2),
    // Only where Node rendered exactly that (no header of the list is written another way).
    statusLine: renderLines(statusLine, head) === before ? statusLine : null,
    lengthAt,
    contentLength,
    keepAliveTimeout: r._keepAliveTimeout,
    defaultKeepAlive: r._defaultKeepAlive,
    maxRequestsPerSocket: r._maxRequestsPerSocket,
    date: '',
    block: '',
  };
}
