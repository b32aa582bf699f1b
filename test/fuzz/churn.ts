// Churn: concurrent register/stop/purge/revert/scale/dispatch on the same few jobs with the
// simulator running on its scaled clock, over a real socket. Every answer goes through the fuzz
// oracle; afterwards the store invariants must hold. Shared by `npm run churn` (30 s) and a short
// CI variant (test/concurrency.test.ts).
import type { AddressInfo } from 'node:net';
import { createServer } from '../../src/server.js';
import { checkInvariants } from './invariants.js';
import { judge, newOracleState, type Failure } from './oracle.js';
import { prng } from './json.js';
import { Transport, type FuzzRequest } from './transport.js';

export interface ChurnOptions {
  seconds: number;
  workers?: number;
  seed?: number;
  /** Simulated ms per wall ms (the server's default is 100). */
  timeScale?: number;
}

export interface ChurnResult {
  requests: number;
  histogram: Record<string, number>;
  /** Operation → status → count. */
  operations: Record<string, Record<string, number>>;
  failures: Failure[];
  invariantProblems: string[];
  allocs: number;
  jobs: number;
}

const JOBS = ['churn-web', 'churn-batch', 'churn-api'];
const PARENT = 'churn-dispatch';

function serviceJob(id: string, count: number, meta: string): object {
  return {
    ID: id,
    Type: 'service',
    Meta: { rev: meta },
    TaskGroups: [
      {
        Name: 'web',
        Count: count,
        Update: { MaxParallel: 1, MinHealthyTime: 1e9, HealthyDeadline: 60e9, AutoRevert: true },
        Tasks: [{ Name: 'server', Driver: 'mock_driver', Config: { run_for: '1h' }, Resources: { CPU: 20, MemoryMB: 16 } }],
      },
    ],
  };
}

function batchJob(id: string, count: number, meta: string): object {
  return {
    ID: id,
    Type: 'batch',
    Meta: { rev: meta },
    TaskGroups: [{ Name: 'work', Count: count, Tasks: [{ Name: 'run', Driver: 'mock_driver', Config: { run_for: '2s' }, Resources: { CPU: 20, MemoryMB: 16 } }] }],
  };
}

const parentJob = {
  ID: PARENT,
  Type: 'batch',
  ParameterizedJob: { Payload: 'optional', MetaOptional: ['n'] },
  TaskGroups: [{ Name: 'work', Count: 1, Tasks: [{ Name: 'run', Driver: 'mock_driver', Config: { run_for: '500ms' }, Resources: { CPU: 20, MemoryMB: 16 } }] }],
};

export async function runChurn(opts: ChurnOptions): Promise<ChurnResult> {
  const mock = createServer({ logLevel: 'silent', nodes: 3, timeScale: opts.timeScale ?? 100, seed: `churn-${opts.seed ?? 1}` }, undefined, { simulate: true });
  await mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (mock.app.server.address() as AddressInfo).port;
  const transport = new Transport('127.0.0.1', port);
  const oracle = newOracleState();
  const histogram: Record<string, number> = {};
  const operations: Record<string, Record<string, number>> = {};
  const failures: Failure[] = [];
  let requests = 0;

  const send = async (op: string, req: FuzzRequest): Promise<void> => {
    const res = await transport.send(req);
    requests++;
    const label = res.error ? 'no answer' : String(res.status);
    histogram[label] = (histogram[label] ?? 0) + 1;
    const ops = (operations[op] ??= {});
    ops[label] = (ops[label] ?? 0) + 1;
    for (const f of judge(req, res, oracle, requests)) if (failures.length < 100) failures.push(f);
  };
  const put = (path: string, body: unknown): FuzzRequest => ({ method: 'PUT', path, body: JSON.stringify(body) });

  const deadline = Date.now() + opts.seconds * 1000;
  const worker = async (w: number): Promise<void> => {
    const rnd = prng((opts.seed ?? 1) * 1000 + w);
    const pickInt = (n: number): number => Math.floor(rnd() * n);
    while (Date.now() < deadline) {
      const id = JOBS[pickInt(JOBS.length)]!;
      const path = `/v1/job/${id}`;
      const roll = pickInt(100);
      if (roll < 30) {
        const job = id === 'churn-batch' ? batchJob(id, pickInt(4), String(pickInt(5))) : serviceJob(id, pickInt(4), String(pickInt(5)));
        await send('register', put('/v1/jobs', { Job: job }));
      } else if (roll < 42) {
        await send('stop', { method: 'DELETE', path });
      } else if (roll < 50) {
        await send('purge', { method: 'DELETE', path: `${path}?purge=true` });
      } else if (roll < 62) {
        // Aim at a version that is still kept: one to three behind the current one.
        const cur = await transport.send({ method: 'GET', path });
        const version = cur.status === 200 ? Number((JSON.parse(cur.body) as { Version: number }).Version) : 0;
        await send('revert', put(`${path}/revert`, { JobID: id, JobVersion: Math.max(0, version - 1 - pickInt(3)) }));
      } else if (roll < 76) {
        await send('scale', put(`${path}/scale`, { Count: pickInt(4), Target: { Group: id === 'churn-batch' ? 'work' : 'web' } }));
      } else if (roll < 86) {
        await send('dispatch', put(`/v1/job/${PARENT}/dispatch`, { Meta: { n: String(pickInt(9)) } }));
      } else if (roll < 90) {
        await send('register', put('/v1/jobs', { Job: parentJob }));
      } else {
        await send('read', { method: 'GET', path: pickInt(2) ? `${path}/summary` : '/v1/jobs?namespace=*' });
      }
    }
  };

  let invariantProblems: string[] = [];
  let allocs = 0;
  let jobs = 0;
  try {
    await send('register', put('/v1/jobs', { Job: parentJob }));
    await Promise.all(Array.from({ length: opts.workers ?? 16 }, (_, w) => worker(w)));
    // Let the scheduler and clients catch up, then check the state in one snapshot.
    await new Promise((r) => setTimeout(r, 500));
    invariantProblems = await checkInvariants((r) => transport.send(r));
    allocs = mock.store.allocs.size;
    jobs = mock.store.jobs.size;
  } finally {
    transport.close();
    await mock.app.close();
  }
  return { requests, histogram, operations, failures, invariantProblems, allocs, jobs };
}
