// A websocket exec-style session as a client sees it (alloc exec and job actions share Nomad's
// framing): everything the server sends until it closes the socket.
import WebSocket from 'ws';
import type { Obj } from '../state/types.js';

export interface Session {
  code: number;
  reason: string;
  frames: Obj[];
  stdout: string;
  stderr: string;
  /** The exit frame's result, when one came. */
  result: Obj | null;
}

export interface SessionOptions {
  /** Frames (objects are sent as JSON, strings as they are) sent once the socket opens. */
  send?: (Obj | string)[];
  headers?: Record<string, string>;
  /** Called with the socket after each message (to answer output, or vanish). */
  onMessage?: (ws: WebSocket, s: Session) => void;
}

/** `k=v&…` of the defined values, each value URL-encoded. */
export function queryString(q: Record<string, string | undefined>): string {
  return Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v!)}`)
    .join('&');
}

/** Opens `url` and collects every frame until the server closes the socket (10 s at most). */
export function collectSession(url: string, opts: SessionOptions = {}): Promise<Session> {
  return new Promise((resolve, reject) => {
    const s: Session = { code: 0, reason: '', frames: [], stdout: '', stderr: '', result: null };
    const ws = new WebSocket(url, { headers: opts.headers });
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`session did not end: ${JSON.stringify(s)}`));
    }, 10_000);
    ws.on('open', () => {
      for (const f of opts.send ?? []) ws.send(typeof f === 'string' ? f : JSON.stringify(f));
    });
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Obj;
      s.frames.push(f);
      const out = f.stdout as Obj | undefined;
      const err = f.stderr as Obj | undefined;
      if (typeof out?.data === 'string') s.stdout += Buffer.from(out.data, 'base64').toString();
      if (typeof err?.data === 'string') s.stderr += Buffer.from(err.data, 'base64').toString();
      if (f.exited) s.result = f.result as Obj;
      opts.onMessage?.(ws, s);
    });
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(`handshake answered ${res.statusCode}`));
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      s.code = code;
      s.reason = reason.toString();
      resolve(s);
    });
  });
}
