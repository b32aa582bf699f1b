// The UI speaks the same public API any client uses: the user's ACL token as X-Nomad-Token (kept in
// localStorage, as Nomad's UI keeps it), the control token as X-Nomad-Mock-Token for /_mock/ calls,
// and blocking queries (?index=) for live views.
import { useEffect, useState } from 'preact/hooks';
import { signal } from './signal';

const TOKEN_KEY = 'nomad.token';
const CONTROL_TOKEN_KEY = 'nomad-mock.control-token';

function stored(key: string): string {
  try {
    return localStorage.getItem(key) ?? '';
  } catch {
    return '';
  }
}

function store(key: string, value: string): void {
  try {
    if (value) localStorage.setItem(key, value);
    else localStorage.removeItem(key);
  } catch {
    // Private mode without storage: the token lasts for this page only.
  }
}

export const token = signal(stored(TOKEN_KEY));
export const controlToken = signal(stored(CONTROL_TOKEN_KEY));
token.subscribe((v) => store(TOKEN_KEY, v));
controlToken.subscribe((v) => store(CONTROL_TOKEN_KEY, v));

/** Bumped after a reset or restore: every live query starts again from index 0. */
export const epoch = signal(0);
export const restartLive = (): void => epoch.set(epoch.get() + 1);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`${status}${body ? `: ${body}` : ''}`);
  }
}

export interface Answer<T> {
  data: T;
  index: number;
}

function authHeaders(path: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (token.get()) headers['X-Nomad-Token'] = token.get();
  if (path.startsWith('/_mock/') && controlToken.get()) headers['X-Nomad-Mock-Token'] = controlToken.get();
  return headers;
}

/** Nomad's error text: plain text, or the `Error` of a JSON body. */
function errorText(text: string): string {
  try {
    const doc = JSON.parse(text) as { Error?: string };
    if (typeof doc.Error === 'string') return doc.Error.trim();
  } catch {
    // Nomad's errors are plain text.
  }
  return text.trim();
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Answer<T>> {
  const headers = authHeaders(path);
  let payload: BodyInit | undefined;
  if (typeof body === 'string' || body instanceof Blob) payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body: payload, signal, cache: 'no-store' });
  const text = await res.text();
  if (!res.ok) throw new ApiError(res.status, errorText(text));
  let data: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') data = JSON.parse(text);
  return { data: data as T, index: Number(res.headers.get('X-Nomad-Index') ?? 0) || 0 };
}

/**
 * A GET whose answer may be long (a task's log): its first `limit` bytes as text, and whether
 * there was more (the rest is not read: the request is aborted).
 */
export async function getText(path: string, limit: number, signal?: AbortSignal): Promise<{ text: string; truncated: boolean }> {
  const ctl = new AbortController();
  const stop = () => ctl.abort();
  signal?.addEventListener('abort', stop);
  try {
    const res = await fetch(path, { headers: authHeaders(path), signal: ctl.signal, cache: 'no-store' });
    if (!res.ok) throw new ApiError(res.status, errorText(await res.text()));
    const chunks: Uint8Array[] = [];
    let size = 0;
    let truncated = false;
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
      if (size > limit) {
        truncated = true;
        break;
      }
    }
    if (truncated) ctl.abort();
    const bytes = new Uint8Array(Math.min(size, limit));
    let at = 0;
    for (const c of chunks) {
      const part = c.subarray(0, bytes.length - at);
      bytes.set(part, at);
      at += part.length;
    }
    return { text: new TextDecoder().decode(bytes), truncated };
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/** One frame of Nomad's file and log streams; `{}` is a heartbeat. */
export interface StreamFrame {
  Offset?: number;
  /** Base64 of the bytes. */
  Data?: string;
  File?: string;
  FileEvent?: string;
}

/**
 * Cuts a stream of JSON objects written back to back (no separator, as Nomad's stream framer
 * writes them) into whole objects, whatever the chunk boundaries.
 */
export class FrameSplitter {
  private buf = '';
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scanned = 0;

  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    let start = 0;
    for (let i = this.scanned; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') this.inString = false;
      } else if (c === '"') this.inString = true;
      else if (c === '{') this.depth++;
      else if (c === '}' && --this.depth === 0) {
        out.push(this.buf.slice(start, i + 1).trim());
        start = i + 1;
      }
    }
    this.buf = this.buf.slice(start);
    this.scanned = this.buf.length;
    return out;
  }
}

/** Follows a framed stream (`/v1/client/fs/logs?follow=true`), frame by frame, until it ends or `signal` aborts. */
export async function followFrames(path: string, signal: AbortSignal, onOpen: () => void, onFrame: (f: StreamFrame) => void): Promise<void> {
  const res = await fetch(path, { headers: authHeaders(path), signal, cache: 'no-store' });
  if (!res.ok) throw new ApiError(res.status, errorText(await res.text()));
  onOpen();
  const reader = res.body!.getReader();
  const text = new TextDecoder();
  const splitter = new FrameSplitter();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const raw of splitter.push(text.decode(value, { stream: true }))) onFrame(JSON.parse(raw) as StreamFrame);
  }
}

export const get = <T>(path: string): Promise<T> => api<T>('GET', path).then((a) => a.data);

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export interface Live<T> {
  data: T | undefined;
  error: ApiError | Error | null;
  loading: boolean;
}

/**
 * A live read: the first answer, then a blocking query with the last X-Nomad-Index, again and
 * again, so a change shows as soon as the server commits it. A failed call shows its error and is
 * retried after a pause; a path without an index (not a blocking endpoint) is polled.
 */
export function useLive<T>(path: string | null, pollMs = 2000): Live<T> {
  const [state, setState] = useState<Live<T>>({ data: undefined, error: null, loading: true });
  const gen = epoch.use();
  useEffect(() => {
    setState({ data: undefined, error: null, loading: path !== null });
    if (path === null) return;
    const ctl = new AbortController();
    void (async () => {
      let index = 0;
      while (!ctl.signal.aborted) {
        const sep = path.includes('?') ? '&' : '?';
        const url = index > 0 ? `${path}${sep}index=${index}&wait=60s` : path;
        try {
          const answer = await api<T>('GET', url, undefined, ctl.signal);
          if (ctl.signal.aborted) return;
          setState({ data: answer.data, error: null, loading: false });
          if (answer.index > 0) index = answer.index;
          else await sleep(pollMs, ctl.signal);
        } catch (err) {
          if (ctl.signal.aborted) return;
          setState((s) => ({ data: s.data, error: err as Error, loading: false }));
          index = 0;
          await sleep(pollMs, ctl.signal);
        }
      }
    })();
    return () => ctl.abort();
  }, [path, gen]);
  return state;
}

/** Polls a path that has no blocking query (the control API) every `ms`. */
export function usePoll<T>(path: string | null, ms = 1000, paused = false): Live<T> & { refresh: () => void } {
  const [state, setState] = useState<Live<T>>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const gen = epoch.use();
  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    void (async () => {
      do {
        try {
          const answer = await api<T>('GET', path, undefined, ctl.signal);
          if (!ctl.signal.aborted) setState({ data: answer.data, error: null, loading: false });
        } catch (err) {
          if (!ctl.signal.aborted) setState((s) => ({ data: s.data, error: err as Error, loading: false }));
        }
        await sleep(ms, ctl.signal);
      } while (!ctl.signal.aborted && !paused);
    })();
    return () => ctl.abort();
  }, [path, ms, paused, tick, gen]);
  return { ...state, refresh: () => setTick((n) => n + 1) };
}

/** Query string with the namespace; `*` lists every namespace. */
export const nsQuery = (ns: string): string => `namespace=${encodeURIComponent(ns)}`;
