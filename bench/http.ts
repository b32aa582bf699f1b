// HTTP and process plumbing shared by the benchmarks: one-shot and keep-alive requests, timed server
// start-up, the package's entry points, and a child's memory and CPU time from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Started {
  child: ChildProcess;
  port: number;
  startupMs: number;
  stop(): Promise<void>;
}

export interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function request(port: number, method: string, path: string, body?: string, agent: http.Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'content-type': 'application/json' };
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A request that must answer 200; anything else stops the bench with the answer's text. */
export async function ok(port: number, method: string, path: string, body?: string, agent: http.Agent | false = false): Promise<Answer> {
  const res = await request(port, method, path, body, agent);
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${res.body.slice(0, 300)}`);
  return res;
}

/**
 * Milliseconds from sending a GET to its answer's last byte; the body is drained, not kept, so
 * a 60 MB list costs the client no copies. Anything but 200 stops the bench.
 */
export function timedGet(port: number, path: string, agent: http.Agent | false = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode}`));
        res.on('data', () => undefined);
        res.on('end', () => resolve(performance.now() - t0));
      })
      .on('error', reject);
  });
}

/** One keep-alive connection: what a client library holds, so a latency is the server's and not a TCP handshake's. */
export const keepAlive = (): http.Agent => new http.Agent({ keepAlive: true, maxSockets: 1 });

/** The package's root folder (where package.json is), found from dist/bench/. */
export const ROOT = ((): string => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the bench');
    dir = up;
  }
  return dir;
})();

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: string | Record<string, string>;
  main?: string;
  exports?: Record<string, string | Record<string, string>>;
};

/** The server as a user starts it: the package's `bin` (what `npm start` and `npx nomad-mock` run). */
export function binPath(): string {
  const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin['nomad-mock'] ?? Object.values(pkg.bin)[0]!);
  return resolve(ROOT, bin);
}

/** The in-process API as `import 'nomad-mock'` resolves it. */
export function mainPath(): string {
  const dot = pkg.exports?.['.'];
  const entry = typeof dot === 'string' ? dot : (dot?.['import'] ?? dot?.['default'] ?? pkg.main);
  return resolve(ROOT, entry ?? 'index.js');
}

/** Where a compiled bench file lives (dist/bench/<name>.js). */
export const benchFile = (name: string): string => join(dirname(fileURLToPath(import.meta.url)), name);

/**
 * Spawns `node args…` and times it from spawn to its first 200 on `probe`. The child's stderr goes
 * to ours, so a server that fails to start says why.
 */
export async function start(args: string[], port: number, probe = '/v1/jobs', nodeArgs: string[] = []): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  let exited = false;
  const gone = new Promise<void>((r) => child.once('exit', () => ((exited = true), r())));
  const stop = async (): Promise<void> => {
    if (!exited) child.kill();
    await gone;
  };
  for (;;) {
    try {
      const res = await request(port, 'GET', probe);
      if (res.status === 200) return { child, port, startupMs: performance.now() - t0, stop };
    } catch {
      // not listening yet
    }
    if (exited) throw new Error(`${args.join(' ')} exited before answering`);
    if (performance.now() - t0 > 30_000) {
      await stop();
      throw new Error(`${args.join(' ')} did not start`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** nomad-mock through its `bin`, on `port`, quiet. */
export function startMock(port: number, flags: string[] = [], nodeArgs: string[] = []): Promise<Started> {
  return start([binPath(), '--port', String(port), '--log-level', 'silent', ...flags], port, '/v1/jobs', nodeArgs);
}

/** Resident memory of a process in MB. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU time a process has used, in ms (10 ms resolution). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/**
 * Waits until a process has used no CPU for `idleMs` (it has taken in everything sent to it), at
 * most `limitMs`. There is no server hook for "every reader is parked"; an idle server has parked them.
 */
export async function untilIdle(pid: number, idleMs = 300, limitMs = 60_000): Promise<void> {
  const t0 = performance.now();
  let last = cpuMs(pid);
  let since = performance.now();
  while (performance.now() - t0 < limitMs) {
    await new Promise((r) => setTimeout(r, 50));
    const now = cpuMs(pid);
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= idleMs) return;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
