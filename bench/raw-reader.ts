// The blocked readers' client (fanout.ts, fanout-probe.ts): one raw keep-alive socket per reader,
// no HTTP parser. A reader is done when a 200's header block and its Content-Length bytes of body
// are in. It has to be cheap, because it shares the 2 cores with the server it times: with
// 'data' events every read allocated a fresh Buffer (Node reserves 64 KiB per read and shrinks
// it), and the old reader joined chunks and ran a regexp over a latin1 copy of the head. Here every
// socket reads into one shared buffer (net's `onread`) and only the head is looked at: bytes are
// counted, not kept, unless the caller asks to keep the whole answer.
import net from 'node:net';

/** One buffer for every reader's reads: each read is handled before the next one lands in it. */
const shared = Buffer.allocUnsafe(64 * 1024);
const CRLF2 = Buffer.from('\r\n\r\n');
const STATUS_200 = Buffer.from('HTTP/1.1 200 ');

export interface Reader {
  socket: net.Socket;
  /** Resolves once the request is sent. */
  sent: Promise<void>;
  /** Resolves with the time of the answer's last byte (and the answer, when kept). */
  done: Promise<{ at: number; text: string | null }>;
}

/** Content-Length from a header block, name case-insensitive (Nomad's casing or Fastify's). */
function contentLength(head: Buffer): number {
  const text = head.toString('latin1');
  let at = text.indexOf('\r\nContent-Length:');
  if (at < 0) at = text.indexOf('\r\ncontent-length:');
  if (at < 0) at = text.toLowerCase().indexOf('\r\ncontent-length:');
  if (at < 0) return -1;
  const n = parseInt(text.slice(at + 17, text.indexOf('\r\n', at + 17)).trim(), 10);
  return Number.isFinite(n) ? n : -1;
}

/**
 * Opens a socket to `port`, sends `GET path`, and reads one answer. `keep` keeps the whole answer's
 * text (the probe compares them); otherwise only the bytes up to the end of the head are copied,
 * and only when a head arrives split across reads.
 */
export function rawReader(port: number, path: string, keep = false): Reader {
  let got = 0;
  let want = -1;
  let head: Buffer | null = null;
  const kept: Buffer[] = [];
  let finish!: (v: { at: number; text: string | null }) => void;
  let fail!: (err: Error) => void;
  const done = new Promise<{ at: number; text: string | null }>((res, rej) => {
    finish = res;
    fail = rej;
  });
  const onRead = (n: number, buf: Buffer): boolean => {
    if (want >= 0 && got >= want) return true;
    const chunk = buf.subarray(0, n);
    if (keep) kept.push(Buffer.from(chunk));
    got += n;
    if (want < 0) {
      // The head is almost always in the first read; a split one is joined (rare, small).
      const all = head === null ? chunk : Buffer.concat([head, chunk]);
      const end = all.indexOf(CRLF2);
      if (end < 0) {
        head = Buffer.from(all);
        return true;
      }
      if (all.compare(STATUS_200, 0, STATUS_200.length, 0, STATUS_200.length) !== 0) {
        fail(new Error(`an answer other than 200: ${all.subarray(0, end).toString('latin1')}`));
        return true;
      }
      const len = contentLength(all.subarray(0, end));
      if (len < 0) {
        fail(new Error(`an answer without Content-Length: ${all.subarray(0, end).toString('latin1')}`));
        return true;
      }
      want = end + 4 + len;
      head = null;
    }
    if (got >= want) finish({ at: performance.now(), text: keep ? Buffer.concat(kept).toString() : null });
    return true;
  };
  const socket = net.connect({ host: '127.0.0.1', port, onread: { buffer: shared, callback: onRead } });
  const sent = new Promise<void>((res, rej) => {
    socket.once('connect', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, () => res()));
    socket.once('error', rej);
  });
  socket.once('error', (err) => fail(err));
  socket.once('close', () => fail(new Error('a reader was closed before its answer')));
  return { socket, sent, done };
}
