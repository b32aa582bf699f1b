// Load generation with autocannon against a server on loopback: a rate over a fixed time, or a
// fixed number of requests with the rate of each slice of them.
import autocannon, { type Request } from 'autocannon';

export interface LoadSpec {
  port: number;
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  /** A fresh body per request (e.g. distinct job IDs). */
  body?: () => string;
  seconds: number;
  connections: number;
}

function requests(spec: Pick<LoadSpec, 'method' | 'path' | 'body'>): autocannon.Request[] {
  return [
    {
      method: spec.method,
      path: spec.path,
      headers: { 'content-type': 'application/json' },
      ...(spec.body ? { setupRequest: (req: Request): Request => ({ ...req, body: spec.body!() }) } : {}),
    },
  ];
}

function check(what: string, result: autocannon.Result): void {
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(`${what}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
}

export async function requestsPerSecond(spec: LoadSpec): Promise<number> {
  return (await measured(spec)).rps;
}

/** Requests per second, and how many were answered in all. */
export async function measured(spec: LoadSpec): Promise<{ rps: number; total: number }> {
  const result = await autocannon({ url: `http://127.0.0.1:${spec.port}`, connections: spec.connections, duration: spec.seconds, requests: requests(spec) });
  check(`${spec.method} ${spec.path}`, result);
  return { rps: result.requests.average, total: result.requests.total };
}

export interface Sliced {
  /** Requests per second of each slice of `slice` answers, in order. */
  rates: number[];
  totalMs: number;
  /** This process's CPU time over the run, as a share of one core: near 1, the client was the limit. */
  clientCore: number;
}

/**
 * Sends exactly `amount` requests over `connections` keep-alive connections (each one request in
 * flight, as HTTP clients do) and times every `slice` answers.
 */
export async function sliced(spec: Omit<LoadSpec, 'seconds'> & { amount: number; slice: number }): Promise<Sliced> {
  const rates: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let mark = t0;
  let answered = 0;
  let lastAt = t0;
  const onResponse = (): void => {
    answered++;
    lastAt = performance.now();
    if (answered % spec.slice === 0) {
      rates.push((spec.slice * 1000) / (lastAt - mark));
      mark = lastAt;
    }
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const opts = { url: `http://127.0.0.1:${spec.port}`, connections: Math.min(spec.connections, spec.amount), amount: spec.amount, timeout: 60, requests: requests(spec) };
    autocannon(opts, (err, res) => (err ? reject(err) : resolve(res))).on('response', onResponse);
  });
  // Up to the last answer: autocannon notices it is done only at its next one-second sample tick,
  // which would add up to a second of nothing to a run of ~20 s.
  const totalMs = lastAt - t0;
  const cpu = process.cpuUsage(cpu0);
  check(`${spec.method} ${spec.path} ×${spec.amount}`, result);
  return { rates, totalMs, clientCore: (cpu.user + cpu.system) / 1000 / totalMs };
}

/** Registers `jobs` jobs (`body(i)` for the i-th) on 32 keep-alive connections; resolves with the rate per second. */
export async function register(port: number, jobs: number, body: (i: number) => string): Promise<number> {
  let n = 0;
  const run = await sliced({ port, method: 'PUT', path: '/v1/jobs', connections: 32, amount: jobs, slice: jobs, body: () => body(n++) });
  return (jobs * 1000) / run.totalMs;
}
