// Durability under kill -9: a server in a child process takes writes from concurrent writers, is
// killed with SIGKILL at seeded random moments, restarts on the same data dir, and must hold every
// write it acknowledged (a write in flight at the kill may or may not be there). Then the same for
// a reset and a restore.
import t from 'tap';
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { prng } from './fuzz/json.js';

// Twenty-odd server processes start here, about 1 s of CPU each (mostly loading the modules): some
// 20 s on an idle 2-core machine. The margin is for shared machines (over 3 minutes at a load of 25,
// over 5 at a load of 40).
t.setTimeout(480_000);

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'durable-child.js');
const ROUNDS = Number(process.env.KILL_ROUNDS ?? 20);
const WORKERS = 6;
const SPARES = 2;

interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
}

/** A server process with its modules loaded, waiting for the word to open the data dir. */
function prepare(dir: string): Child {
  const proc = spawn(process.execPath, [CHILD, dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return { proc, exited };
}

function go(c: Child): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    c.proc.stderr!.on('data', (d) => (err += d));
    c.proc.stdout!.on('data', (d) => {
      out += d;
      const m = /port (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    c.proc.once('exit', (code) => reject(new Error(`server exited (${code}) before listening: ${err}`)));
    c.proc.stdin!.write('go\n');
  });
}

interface Answer {
  status: number;
  body: string;
}

function call(agent: http.Agent, port: number, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: data ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

const jobBody = (id: string, v: number): unknown => ({
  Job: {
    ID: id,
    Datacenters: ['dc1'],
    Meta: { v: String(v) },
    TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'nginx' }, Resources: { CPU: 50, MemoryMB: 32 } }] }],
  },
});

/** A job's state as the writers track it: "none" (never registered, or purged) or its Meta.v. */
type State = string;

interface Tracked {
  acked: State;
  /** The state the write in flight at the kill would leave, if one was in flight. */
  inflight: State | null;
}

/** The jobs on the server, by ID, as "v<n>" states. */
async function actual(agent: http.Agent, port: number): Promise<Map<string, State>> {
  const res = await call(agent, port, 'GET', '/v1/jobs?meta=true');
  if (res.status !== 200) throw new Error(`GET /v1/jobs: ${res.status} ${res.body}`);
  return new Map((JSON.parse(res.body) as { ID: string; Meta: Record<string, string> | null }[]).map((j) => [j.ID, j.Meta?.v ?? '?']));
}

t.test('every acknowledged write survives SIGKILL at seeded random moments, and so do reset and restore', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-kill-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const random = prng(20261205);
  const jobs = new Map<string, Tracked>();
  const unexpected: string[] = [];
  let acked = 0;
  let inFlightAtKill = 0;
  let next = 0;

  // Loading the modules is most of a start: a few servers load ahead while the rounds run.
  const spares: Child[] = [];
  const spawned: Child[] = [];
  const nextServer = (): Child => {
    while (spares.length < SPARES) spawned.push(spares[spares.push(prepare(dir)) - 1]!);
    return spares.shift()!;
  };
  t.teardown(() => {
    for (const c of spawned) c.proc.kill('SIGKILL');
  });
  let current = nextServer();
  let port = await go(current);

  const restart = async (): Promise<void> => {
    current.proc.kill('SIGKILL');
    await current.exited;
    current = nextServer();
    const t0 = Date.now();
    port = await go(current);
    if (process.env.KILL_DEBUG) console.error(`  listening after ${Date.now() - t0} ms`);
  };

  /** After a restart: every job is at its acknowledged state, or at the state of the write in flight. */
  const check = async (agent: http.Agent, round: number): Promise<void> => {
    const seen = await actual(agent, port);
    let bad = 0;
    for (const [id, tr] of jobs) {
      const now = seen.get(id) ?? 'none';
      if (now !== tr.acked && now !== tr.inflight) {
        bad++;
        if (bad <= 5) unexpected.push(`round ${round}: job ${id} is ${now}, acknowledged ${tr.acked}${tr.inflight ? ` (in flight: ${tr.inflight})` : ''}`);
      }
      tr.acked = now;
      tr.inflight = null;
    }
    for (const id of seen.keys()) if (!jobs.has(id)) unexpected.push(`round ${round}: unknown job ${id}`);
  };

  /** One writer: register, update twice, purge; then the next job. Stops at the first failed call. */
  interface Round {
    now: boolean;
    acked: number;
    killAfter: number;
    kill(): void;
  }

  const worker = async (agent: http.Agent, port: number, w: number, stop: Round): Promise<void> => {
    while (!stop.now) {
      const id = `w${w}-${next++}`;
      const tr: Tracked = { acked: 'none', inflight: null };
      jobs.set(id, tr);
      const steps: [State, () => Promise<Answer>][] = [
        ['0', () => call(agent, port, 'PUT', '/v1/jobs', jobBody(id, 0))],
        ['1', () => call(agent, port, 'PUT', '/v1/jobs', jobBody(id, 1))],
        ['2', () => call(agent, port, 'POST', `/v1/job/${id}`, jobBody(id, 2))],
        ['none', () => call(agent, port, 'DELETE', `/v1/job/${id}?purge=true`)],
      ];
      for (const [state, send] of steps) {
        if (stop.now) return;
        tr.inflight = state;
        let res: Answer;
        try {
          res = await send();
        } catch {
          inFlightAtKill++;
          return; // killed: this write may or may not have been made durable
        }
        if (res.status !== 200) {
          unexpected.push(`${id} → ${state}: ${res.status} ${res.body.slice(0, 100)}`);
          return;
        }
        tr.acked = state;
        tr.inflight = null;
        acked++;
        stop.acked++;
        if (stop.acked === stop.killAfter) stop.kill();
      }
    }
  };

  for (let round = 0; round < ROUNDS; round++) {
    if (process.env.KILL_DEBUG) console.error(`round ${round} ${new Date().toISOString()} acked ${acked}`);
    const agent = new http.Agent({ keepAlive: true });
    if (round > 0) await check(agent, round);
    // The kill moment: a seeded number of acknowledged writes into the round, then a seeded few
    // milliseconds more, while the other writers' requests are in flight.
    let killNow!: () => void;
    const killed = new Promise<void>((r) => (killNow = r));
    const stop: Round = { now: false, acked: 0, killAfter: 1 + Math.floor(random() * 40), kill: () => setTimeout(killNow, random() * 15) };
    const writers = Array.from({ length: WORKERS }, (_, w) => worker(agent, port, w, stop));
    await killed;
    if (process.env.KILL_DEBUG) console.error(`  kill after ${stop.acked} acks`);
    current.proc.kill('SIGKILL');
    await current.exited;
    stop.now = true;
    await Promise.all(writers);
    agent.destroy();
    await restart();
  }
  const agent = new http.Agent({ keepAlive: true });
  await check(agent, ROUNDS);
  t.same(unexpected, [], 'every job is at its acknowledged state (or that of the write in flight at the kill)');
  t.ok(acked > ROUNDS * WORKERS, `writes were acknowledged (${acked}) across ${ROUNDS} kills`);
  t.ok(inFlightAtKill > 0, `some writes were in flight at a kill (${inFlightAtKill})`);

  // Reset: a job registered after start-up goes; the kill does not bring it back.
  t.equal((await call(agent, port, 'PUT', '/v1/jobs', jobBody('after-start', 0))).status, 200);
  const reset = await call(agent, port, 'POST', '/_mock/reset');
  t.equal(reset.status, 200);
  const resetIndex = Number(JSON.parse(reset.body).Index);
  await restart();
  const afterReset = await actual(agent, port);
  t.notOk(afterReset.has('after-start'), 'the reset state came back after the kill');
  const ready = JSON.parse((await call(agent, port, 'GET', '/_mock/ready')).body) as { Index: number };
  t.ok(ready.Index >= resetIndex, `at the reset's index or later (${ready.Index} >= ${resetIndex})`);

  // Restore: the document's jobs replace a job registered since.
  const snap = JSON.parse((await call(agent, port, 'GET', '/_mock/snapshot')).body);
  t.equal((await call(agent, port, 'PUT', '/v1/jobs', jobBody('before-restore', 0))).status, 200);
  t.equal((await call(agent, port, 'PUT', '/_mock/restore', snap)).status, 200);
  await restart();
  const afterRestore = await actual(agent, port);
  t.notOk(afterRestore.has('before-restore'), 'the restored state came back after the kill');
  t.same([...afterRestore.keys()].sort(), [...afterReset.keys()].sort(), 'with the jobs of the restored document');
  agent.destroy();
});
