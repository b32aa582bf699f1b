// Test helpers: an in-process server spoken to over HTTP with Fastify's inject, and fixtures.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { createServer, type NomadMock } from '../src/server.js';
import type { Obj } from '../state/types.js';
import type { Config } from '../src/config.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function fixture(name: string): Obj {
  return JSON.parse(readFileSync(join(root, 'fixtures', 'jobs', `${name}.json`), 'utf8')) as Obj;
}

export interface Res {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export interface Client {
  mock: NomadMock;
  req(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Res>;
  get(url: string): Promise<Res>;
  put(url: string, body?: unknown): Promise<Res>;
  post(url: string, body?: unknown): Promise<Res>;
  del(url: string): Promise<Res>;
  register(job: Obj, extra?: Obj): Promise<Res>;
  /** Manual clock: run everything due now (scheduler passes), then move simulated time by `ms`. */
  advance(ms?: number): Promise<void>;
  /** Closes the server; throws when the simulator guard caught any error during the test. */
  close(): Promise<void>;
}

export interface ClientOptions {
  /**
   * Run the lifecycle simulator (nodes, scheduler, clients). Off by default: the core tests pin the
   * store's own index bookkeeping, which scheduler writes would interleave with.
   */
  simulate?: boolean;
  config?: Partial<Config>;
}

/** A fresh server per test; `t.teardown(c.close)` keeps tests independent. */
export async function client(opts: ClientOptions = {}): Promise<Client> {
  const mock = createServer({ logLevel: 'silent', ...opts.config }, undefined, { simulate: opts.simulate ?? false });
  await mock.app.ready();
  return clientFor(mock);
}

/** A client speaking to an already created server through Fastify's inject. */
export function clientFor(mock: NomadMock): Client {
  const req = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const r = await mock.app.inject({ method: method as 'GET', url, payload, headers });
    let json: unknown;
    try {
      json = r.body === '' ? undefined : JSON.parse(r.body);
    } catch {
      json = undefined;
    }
    return { status: r.statusCode, headers: r.headers, body: r.body, json };
  };
  return {
    mock,
    req,
    get: (url) => req('GET', url),
    put: (url, body) => req('PUT', url, body),
    post: (url, body) => req('POST', url, body),
    del: (url) => req('DELETE', url),
    register: (job, extra = {}) => req('PUT', '/v1/jobs', { Job: job, ...extra }),
    advance: async (ms = 0) => void (await mock.clock.advance(ms)),
    close: async () => {
      await mock.app.close();
      // A simulator callback that threw was caught and counted by the guard; no test may leave one.
      const { count, last } = mock.guard;
      if (count > 0) throw new Error(`the simulator guard caught ${count} error(s); last in ${last?.Source}: ${last?.Message}`);
    },
  };
}

/**
 * Waits until `done()` holds, checking every `pollMs` of wall time; throws, naming `what`, after
 * 30 s. For what another party does in its own time (a server noticing a hang-up, a request
 * reaching its handler): a fixed sleep before the check is a race the machine's load decides.
 */
export async function waitFor(done: () => boolean, what: string, pollMs = 10): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what} after 30 s`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * `p`, or a failure naming `what` once it has not settled in 30 s: for an answer that must come
 * without waiting for anything long (a blocking query already due), without asserting how fast.
 */
export async function soon<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`still waiting for ${what} after 30 s`)), 30_000);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The smallest job Nomad accepts: one group, one task. */
export function minimalJob(id: string, overrides: Obj = {}): Obj {
  return {
    ID: id,
    TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }],
    ...overrides,
  };
}

export const index = (r: Res): number => Number(r.headers['x-nomad-index']);

/** A server running the simulator on the manual clock: nothing takes simulated time unless advanced. */
export function simClient(config: Partial<Config> = {}): Promise<Client> {
  return client({ simulate: true, config: { clock: 'manual', ...config } });
}

/** A fresh server listening on a free loopback port, for tests that need a real socket. */
export async function listening(): Promise<{ c: Client; port: number }> {
  const c = await client();
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  return { c, port: (c.mock.app.server.address() as AddressInfo).port };
}

export interface RawAnswer {
  text: string;
  /** The same answer as bytes, for checks on what went over the wire. */
  bytes: Buffer;
  /** The server half-closed the connection (FIN) after its answer, rather than resetting it. */
  fin: boolean;
  error: string | null;
}

/** Writes `data` on a fresh connection and reads until the server closes it (or 10 s pass). */
export function rawExchange(port: number, data: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let fin = false;
    let error: string | null = null;
    const timer = setTimeout(() => s.destroy(), 10_000);
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => {
      fin = true;
      s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    s.on('close', () => {
      clearTimeout(timer);
      const bytes = Buffer.concat(chunks);
      resolve({ text: bytes.toString('utf8'), bytes, fin, error });
    });
    s.write(data);
  });
}

/**
 * Reads `/v1/event/stream?<query>` over a real socket until `count` events arrived (or `waitMs`
 * passed), then hangs up; `action` runs once the stream answered.
 */
export async function streamEvents(c: Client, query: string, count: number, action: () => Promise<unknown> = async () => undefined, waitMs = 5000): Promise<Obj[]> {
  if (!c.mock.app.server.listening) await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    const got: Obj[] = [];
    let buf = '';
    const req = http.get({ host: '127.0.0.1', port, path: `/v1/event/stream?${query}`, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = JSON.parse(buf.slice(0, nl)) as Obj;
          buf = buf.slice(nl + 1);
          got.push(...((line.Events as Obj[] | undefined) ?? []));
        }
        if (got.length >= count) finish();
      });
      action().catch(reject);
    });
    const timer = setTimeout(() => finish(), waitMs);
    const finish = (): void => {
      clearTimeout(timer);
      req.destroy();
      resolve(got);
    };
    req.on('error', () => undefined);
  });
}

/** An ACL-mode client's bootstrap token, a request helper that sends a token (or none), and a maker of client tokens. */
export interface AclSession {
  mgmt: string;
  as(token: string | null, method: string, url: string, body?: unknown): Promise<Res>;
  /** A client token whose one policy (named `name`) holds `rules`; throws if the policy is refused. */
  token(name: string, rules: string): Promise<string>;
}

/** Bootstraps the ACL system of an `acl: true` client. */
export async function aclSession(c: Client): Promise<AclSession> {
  const as = (token: string | null, method: string, url: string, body?: unknown): Promise<Res> => c.req(method, url, body, token === null ? {} : { 'X-Nomad-Token': token });
  const boot = await c.post('/v1/acl/bootstrap');
  if (boot.status !== 200) throw new Error(`ACL bootstrap answered ${boot.status}: ${boot.body}`);
  const mgmt = boot.json.SecretID as string;
  const token = async (name: string, rules: string): Promise<string> => {
    const policy = await as(mgmt, 'PUT', `/v1/acl/policy/${name}`, { Name: name, Rules: rules });
    if (policy.status !== 200) throw new Error(`policy ${name} answered ${policy.status}: ${policy.body}`);
    return (await as(mgmt, 'PUT', '/v1/acl/token', { Name: name, Type: 'client', Policies: [name] })).json.SecretID as string;
  };
  return { mgmt, as, token };
}

/** Calls `onLine` with each newline-delimited JSON value of a streamed answer as it arrives. */
export function readJsonLines(res: http.IncomingMessage, onLine: (line: any) => void): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  let buf = '';
  res.setEncoding('utf8');
  res.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  });
}

/** A streaming GET over a real socket, read as it arrives (event stream, monitor, fs follow). */
export interface OpenStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  text(): string;
  /** Resolves when the server ends the answer. */
  ended: Promise<void>;
  /** Resolves once the text so far satisfies `pred` (fails after 20 s). */
  until(pred: (text: string) => boolean): Promise<string>;
  pause(): void;
  resume(): void;
  close(): void;
}

export function openStream(port: number, path: string, headers: Record<string, string> = {}): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let buf = '';
      const waiters: (() => void)[] = [];
      res.setEncoding('utf8');
      const ended = new Promise<void>((ok) => res.on('end', ok));
      res.on('data', (d: string) => {
        buf += d;
        for (const w of waiters.splice(0)) w();
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        text: () => buf,
        ended,
        until: (pred) =>
          new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`timed out; got ${buf.slice(0, 500)}`)), 20_000);
            const check = (): void => {
              if (pred(buf)) {
                clearTimeout(timer);
                ok(buf);
              } else waiters.push(check);
            };
            check();
          }),
        pause: () => res.pause(),
        resume: () => res.resume(),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}
