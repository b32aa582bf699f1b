// One fuzz run: a server (in-process on a real socket, or one at a URL), a seeded stream of
// generated requests, the oracle on every answer, the store invariants every `checkEvery` requests
// and at the end. Shared by the CI test (test/fuzz.test.ts) and the long runner (bench/fuzz.ts).
import fc from 'fast-check';
import type { AddressInfo } from 'node:net';
import { createServer, type NomadMock } from '../../src/server.js';
import { judge, newOracleState, type Failure } from './oracle.js';
import { checkInvariants } from './invariants.js';
import { requestPlan } from './requests.js';
import { Transport, describe, type FuzzRequest, type FuzzResponse } from './transport.js';
import { World } from './world.js';

export interface FuzzOptions {
  seed: number;
  requests: number;
  acl?: boolean;
  /** Run the simulator (default true) on the manual clock (default) or the scaled one. */
  simulate?: boolean;
  clock?: 'manual' | 'scaled';
  /** Fuzz a server that is already running instead of an in-process one. */
  url?: string;
  /** Check the store invariants this often (default 1,000) and at the end. */
  checkEvery?: number;
  /** Stop early (and say so) after this long. */
  timeLimitMs?: number;
  progress?: (sent: number, histogram: Record<string, number>) => void;
}

export interface FuzzResult {
  seed: number;
  sent: number;
  elapsedMs: number;
  stoppedEarly: boolean;
  /** Status code (or `no answer`) → count. */
  histogram: Record<string, number>;
  /** Failures not explained by an open finding: each one is a bug. */
  failures: Failure[];
  /** Failures of open findings, by finding number. */
}

const CHUNK = 250;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const t0 = Date.now();
  let mock: NomadMock | null = null;
  let host = '127.0.0.1';
  let port: number;
  if (opts.url) {
    const u = new URL(opts.url);
    host = u.hostname;
    port = Number(u.port || 80);
  } else {
    mock = createServer({ logLevel: 'silent', clock: opts.clock ?? 'manual', seed: `fuzz-${opts.seed}`, acl: opts.acl ?? false }, undefined, { simulate: opts.simulate ?? true });
    await mock.app.listen({ port: 0, host });
    port = (mock.app.server.address() as AddressInfo).port;
  }
  const transport = new Transport(host, port);
  const world = new World(opts.acl ?? false);
  const oracle = newOracleState();
  oracle.faultBodies = new Set(['fz-fault-a', 'fz-fault-b', '']);
  const histogram: Record<string, number> = {};
  const failures: Failure[] = [];
  let n = 0;
  let leaderDownAt = -1;
  let faultsArmedAt = -1;
  let scaledAt = -1;

  const record = (f: Failure): void => void failures.push(f);

  const exchange = async (req: FuzzRequest, judged = true): Promise<FuzzResponse> => {
    const res = await transport.send(req);
    n++;
    const label = res.error ? 'no answer' : String(res.status);
    histogram[label] = (histogram[label] ?? 0) + 1;
    if (judged) for (const f of judge(req, res, oracle, n)) record(f);
    world.learn(req, res);
    if (oracle.readIndex.size > 20_000) oracle.readIndex.clear();
    return res;
  };

  const auth = (): Record<string, string> => (world.management ? { 'X-Nomad-Token': world.management } : {});
  const bootstrap = async (): Promise<void> => {
    if (world.acl) await exchange({ method: 'POST', path: '/v1/acl/bootstrap' });
  };
  const control = (method: string, path: string, body?: unknown): Promise<FuzzResponse> =>
    exchange({ method, path, body: body === undefined ? undefined : JSON.stringify(body), note: 'fuzz runner' });

  /** Puts back what would spoil the following requests: no leader, armed faults, the scaled clock. */
  const tidy = async (force: boolean): Promise<void> => {
    if (leaderDownAt >= 0 && (force || n - leaderDownAt > 5)) {
      await control('PUT', '/_mock/leader', { Leader: true });
      leaderDownAt = -1;
    }
    if (faultsArmedAt >= 0 && (force || n - faultsArmedAt > 10)) {
      await control('DELETE', '/_mock/faults');
      faultsArmedAt = -1;
      oracle.connectionFaults = false;
    }
    if (scaledAt >= 0 && (force || n - scaledAt > 20)) {
      if (!opts.url && opts.clock !== 'scaled') await control('PUT', '/_mock/clock', { Mode: 'manual' });
      scaledAt = -1;
    }
  };

  const check = async (): Promise<void> => {
    await tidy(true);
    const problems = await checkInvariants((r) => exchange({ ...r, headers: { ...r.headers, ...auth() } }), world.management);
    for (const p of problems) record({ kind: 'invariant', detail: p, req: { method: 'CHECK', path: `invariants after request ${n}` }, n });
  };

  // An exception escaping a timer would end the process; in-process it is caught here and
  // reported as a failure (the server keeps serving, as the simulator guard would make it).
  let lastReq: FuzzRequest = { method: '-', path: 'before the first request' };
  const onCrash = (err: Error): void => {
    record({ kind: 'crash', detail: `uncaught exception after request ${n}: ${err.stack ?? err.message}`, req: lastReq, n });
  };
  if (mock) process.on('uncaughtException', onCrash);

  let stoppedEarly = false;
  try {
    await bootstrap();
    await exchange({ method: 'PUT', path: '/v1/namespace/fz-ns', body: '{"Name":"fz-ns"}', headers: auth() });
    const every = opts.checkEvery ?? 1_000;
    let chunk = 0;
    while (n < opts.requests && !stoppedEarly) {
      const plans = fc.sample(requestPlan, { seed: opts.seed * 7919 + chunk, numRuns: CHUNK });
      chunk++;
      for (const plan of plans) {
        if (n >= opts.requests) break;
        if (opts.timeLimitMs !== undefined && Date.now() - t0 > opts.timeLimitMs) {
          stoppedEarly = true;
          break;
        }
        const before = Math.floor(n / every);
        const req = plan(world);
        lastReq = req;
        const res = await exchange(req);
        const path = req.path.split('?')[0]!;
        const ok = res.status >= 200 && res.status < 300;
        if (ok && (path === '/_mock/restore' || path === '/_mock/reset')) {
          oracle.readIndex.clear();
          if (path === '/_mock/restore' && world.snapshotToken) world.management = world.snapshotToken;
          await bootstrap();
        }
        if (ok && path === '/_mock/leader' && req.method === 'PUT') leaderDownAt = n;
        if (ok && path === '/_mock/faults' && req.method === 'POST') {
          faultsArmedAt = n;
          if (/"Connection"/i.test(String(req.body))) oracle.connectionFaults = true;
        }
        if (ok && path === '/_mock/clock' && req.method === 'PUT') scaledAt = n;
        await tidy(false);
        if (Math.floor(n / every) !== before) await check();
        opts.progress?.(n, histogram);
      }
    }
    await check();
  } finally {
    transport.close();
    if (mock) await mock.app.close();
    process.off('uncaughtException', onCrash);
  }
  return { seed: opts.seed, sent: n, elapsedMs: Date.now() - t0, stoppedEarly, histogram, failures };
}

/** A failure as a report paragraph: what was asked, what came back, why it is wrong. */
export function explain(f: Failure, seed: number): string {
  const res = f.res;
  const answer = !res ? '' : res.error ? `\n  answer: none (${res.error})` : `\n  answer: ${res.status} ${JSON.stringify(res.headers['content-type'] ?? '')} ${JSON.stringify(res.body.slice(0, 500))}`;
  return `[${f.kind}] ${f.detail}\n  seed ${seed}, request #${f.n ?? '?'}: ${describe(f.req)}${answer}`;
}

export function histogramText(h: Record<string, number>): string {
  return Object.entries(h)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}: ${v}`)
    .join('  ');
}
