// How the fuzzer speaks to a server: Node's HTTP client on a keep-alive agent for requests it can
// express, and a raw TCP write for the ones it refuses to send (bad methods, raw spaces in the
// path, conflicting framing headers), so the server's own HTTP parser is exercised too.
import http from 'node:http';
import net from 'node:net';
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';

export interface FuzzRequest {
  method: string;
  /** Path and query as sent on the request line. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The whole request as bytes, written on a fresh connection instead of `method`/`path`. */
  raw?: Buffer;
  /** A streaming answer (event stream): read its head and first bytes, then hang up. */
  stream?: boolean;
  /** What the generator meant, for the failure report. */
  note?: string;
}

export interface FuzzResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body as text, decompressed if the server compressed it. */
  body: string;
  /** Set when no answer arrived (reset, timeout…): the transport's message. */
  error?: string;
  /** The keep-alive connection was closed under a request that was then retried on a new one. */
  retried?: string;
  /** A stream that had not written its head when the fuzzer hung up. */
  streaming?: boolean;
}

const TIMEOUT_MS = 20_000;

function decode(headers: http.IncomingHttpHeaders, buf: Buffer): string {
  // A HEAD answer (or a 204) has no body, whatever its Content-Encoding says.
  if (buf.length === 0) return '';
  try {
    switch (headers['content-encoding']) {
      case 'gzip':
        return gunzipSync(buf).toString('utf8');
      case 'deflate':
        try {
          return inflateRawSync(buf).toString('utf8');
        } catch {
          return inflateSync(buf).toString('utf8');
        }
      default:
        return buf.toString('utf8');
    }
  } catch (err) {
    return `<undecodable ${String(headers['content-encoding'])} body: ${(err as Error).message}>`;
  }
}

export class Transport {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  close(): void {
    this.agent.destroy();
  }

  async send(req: FuzzRequest): Promise<FuzzResponse> {
    if (req.raw) return this.sendRaw(req.raw);
    const first = await this.sendHttp(req, this.agent);
    // A connection the server closed between two keep-alive requests: say so, and ask again on a
    // fresh one so the answer to this request is still judged.
    if (first.error && /ECONNRESET|socket hang up|EPIPE/.test(first.error) && first.reused) {
      const again = await this.sendHttp(req, false);
      return { ...again, retried: first.error };
    }
    return first;
  }

  private sendHttp(req: FuzzRequest, agent: http.Agent | false): Promise<FuzzResponse & { reused?: boolean }> {
    return new Promise((resolve) => {
      let done = false;
      let reused = false;
      const finish = (r: FuzzResponse): void => {
        if (done) return;
        done = true;
        resolve({ ...r, reused } as FuzzResponse & { reused?: boolean });
      };
      let r: http.ClientRequest;
      try {
        // Node frames a GET/DELETE body only when told its length (else the bytes follow unframed).
        const headers = { ...req.headers };
        if (req.body !== undefined && !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h))) {
          headers['Content-Length'] = String(Buffer.byteLength(req.body));
        }
        // Go's client reads response headers up to 10 MB; a redirect echoing a long query needs more than Node's 16 KB.
        r = http.request({ host: this.host, port: this.port, method: req.method, path: req.path, headers, agent, maxHeaderSize: 10 << 20 }, (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const end = (): void => finish({ status: res.statusCode ?? 0, headers: res.headers, body: decode(res.headers, Buffer.concat(chunks)) });
          // A stream is judged on what it wrote in its first moments; then the fuzzer hangs up.
          const hangUp = (): void => {
            end();
            res.destroy();
          };
          res.on('data', (c: Buffer) => {
            chunks.push(c);
            size += c.length;
            if (req.stream && size > 0) setTimeout(hangUp, 30);
          });
          res.on('end', end);
          res.on('close', end);
          res.on('error', end);
          if (req.stream) setTimeout(hangUp, 150);
        });
      } catch (err) {
        // Node refuses to send it (bad header value…): not the server's fault; the raw path covers it.
        finish({ status: -1, headers: {}, body: '', error: `client refused: ${(err as Error).message}` });
        return;
      }
      r.on('socket', (s) => {
        reused = r.reusedSocket;
        void s;
      });
      // A stream whose head is not written yet is still a live answer.
      if (req.stream) {
        setTimeout(() => {
          finish({ status: 200, headers: {}, body: '', streaming: true });
          r.destroy();
        }, 300);
      }
      r.setTimeout(TIMEOUT_MS, () => r.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      r.on('error', (err) => finish({ status: 0, headers: {}, body: '', error: `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}`.trim() }));
      if (req.body !== undefined) r.end(req.body);
      else r.end();
    });
  }

  /** One request on its own connection; the answer is read until the server closes or it is complete. */
  private sendRaw(bytes: Buffer): Promise<FuzzResponse> {
    return new Promise((resolve) => {
      const sock = net.connect(this.port, this.host);
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        sock.destroy();
        resolve(parseRaw(Buffer.concat(chunks)));
      };
      const timer = setTimeout(finish, TIMEOUT_MS);
      sock.on('data', (c: Buffer) => {
        chunks.push(c);
        if (completeRaw(Buffer.concat(chunks))) finish();
      });
      sock.on('error', finish);
      sock.on('close', finish);
      sock.write(bytes);
    });
  }
}

function splitHead(buf: Buffer): { head: string; body: Buffer } | null {
  const i = buf.indexOf('\r\n\r\n');
  if (i < 0) return null;
  return { head: buf.subarray(0, i).toString('latin1'), body: buf.subarray(i + 4) };
}

function rawHeaders(head: string): http.IncomingHttpHeaders {
  const h: Record<string, string> = {};
  for (const line of head.split('\r\n').slice(1)) {
    const c = line.indexOf(':');
    if (c > 0) h[line.slice(0, c).trim().toLowerCase()] = line.slice(c + 1).trim();
  }
  return h;
}

function completeRaw(buf: Buffer): boolean {
  const parts = splitHead(buf);
  if (!parts) return false;
  const h = rawHeaders(parts.head);
  if (h['content-length'] !== undefined) return parts.body.length >= Number(h['content-length']);
  if (/chunked/i.test(String(h['transfer-encoding'] ?? ''))) return parts.body.includes('0\r\n\r\n');
  return /^HTTP\/1\.\d (1\d\d|204|304)/.test(parts.head);
}

function dechunk(body: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < body.length) {
    const nl = body.indexOf('\r\n', i);
    if (nl < 0) break;
    const n = parseInt(body.subarray(i, nl).toString('latin1'), 16);
    if (!(n > 0)) break;
    out.push(body.subarray(nl + 2, nl + 2 + n));
    i = nl + 2 + n + 2;
  }
  return Buffer.concat(out);
}

function parseRaw(buf: Buffer): FuzzResponse {
  const parts = splitHead(buf);
  if (!parts) return { status: 0, headers: {}, body: '', error: buf.length === 0 ? 'connection closed without an answer' : `incomplete answer: ${buf.toString('latin1').slice(0, 200)}` };
  const m = /^HTTP\/1\.\d (\d{3})/.exec(parts.head);
  const headers = rawHeaders(parts.head);
  const body = /chunked/i.test(String(headers['transfer-encoding'] ?? '')) ? dechunk(parts.body) : parts.body;
  return { status: m ? Number(m[1]) : 0, headers, body: decode(headers, body) };
}

/** Renders a request for a failure report, long values cut so the report stays readable. */
export function describe(req: FuzzRequest, max = 600): string {
  const cut = (s: string): string => (s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s);
  if (req.raw) return `RAW ${JSON.stringify(cut(req.raw.toString('latin1')))}`;
  const body = req.body === undefined ? '' : Buffer.isBuffer(req.body) ? ` body=<${req.body.length} bytes>` : ` body=${cut(req.body)}`;
  const headers = req.headers && Object.keys(req.headers).length ? ` headers=${cut(JSON.stringify(req.headers))}` : '';
  return `${req.method} ${cut(req.path)}${headers}${body}${req.note ? ` [${req.note}]` : ''}`;
}
