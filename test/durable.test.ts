// The write-ahead log under --data-dir: answers wait for the disk, what a restart reads back (a torn
// last record is forgiven, a damaged record before others is not), the parts registered outside the
// Store, versions changed after their write, and a checkpoint taken while writes go on.
// "Crash" here is a second server reading the folder of a first that never closed; the kill test
// (durable-kill.test.ts) does the same with SIGKILL.
import t, { type Test } from 'tap';
import { appendFileSync, closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type NomadMock } from '../src/server.js';
import { createMockNomad } from '../src/index.js';
import type { Config } from '../src/config.js';
import type { Obj } from '../state/types.js';
import { readFrames } from '../src/persist/frame.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-wal-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function server(t: Test, dir: string, config: Partial<Config> = {}): Promise<NomadMock> {
  const m = createServer({ logLevel: 'silent', clock: 'manual', dataDir: dir, ...config }, undefined, { simulate: false });
  await m.init();
  await m.app.ready();
  t.teardown(() => m.app.close());
  return m;
}

const job = (id: string, meta: Record<string, string> = {}): Obj => ({
  Job: { ID: id, Datacenters: ['dc1'], Meta: meta, TaskGroups: [{ Name: 'g', Count: 1, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'x' } }] }] },
});

async function register(m: NomadMock, id: string, meta: Record<string, string> = {}): Promise<void> {
  const r = await m.app.inject({ method: 'PUT', url: '/v1/jobs', payload: job(id, meta) });
  if (r.statusCode !== 200) throw new Error(`register ${id}: ${r.statusCode} ${r.body}`);
}

// Some thirty servers start here, each making its next log file (8 MiB of zeros) in the background:
// more than the default 60 s on a loaded shared machine.
t.setTimeout(240_000);

const jobIds = (m: NomadMock): string[] => [...m.store.jobs.values()].map((j) => j.ID).sort();
const wals = (dir: string): string[] => readdirSync(dir).filter((f) => /^wal-\d+\.log$/.test(f)).sort();
/** The newest log file holding a record (the files after it are made ahead, zeros only). */
const lastWal = (dir: string): string => {
  for (const f of wals(dir).reverse()) {
    const buf = readFileSync(join(dir, f));
    if (buf.length >= 8 && buf.readUInt32LE(0) !== 0) return join(dir, f);
  }
  throw new Error(`no log with a record in ${dir}`);
};
/** Byte offsets of the records of a log file, up to the first header of zeros. */
function recordOffsets(file: string): number[] {
  const buf = readFileSync(file);
  const out: number[] = [];
  for (let off = 0; off + 8 <= buf.length && buf.readUInt32LE(off) !== 0; off += 8 + buf.readUInt32LE(off)) out.push(off);
  return out;
}
/** Where the next record of a log file would go. */
function endOfRecords(file: string): number {
  const last = recordOffsets(file).at(-1);
  return last === undefined ? 0 : last + 8 + readFileSync(file).readUInt32LE(last);
}
/**
 * Until the server's log has moved into a file made ahead of need (it does once one is ready): the
 * records after this go into one file, with no move in between.
 */
async function preallocated(m: NomadMock): Promise<void> {
  const p = m.persistence as unknown as { file: { size: number } | null };
  await until(() => !!p.file && p.file.size > 0, 'the log to move into a file made ahead', 5);
}
const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};
/**
 * Turns of the event loop until `done()` holds; throws, naming what it waited for, after 30 s of
 * wall time (a test that waits for a call that never comes fails with a reason instead of hanging
 * until the runner's timeout).
 */
async function until(done: () => boolean, what: string, pollMs = 0): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what} after 30 s`);
    await (pollMs > 0 ? new Promise((r) => setTimeout(r, pollMs)) : ticks(1));
  }
}

const eio = (): Error => Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });

type LogState = { file: { size: number; dsync: boolean } | null };
/**
 * The log from here on in files opened without O_DSYNC, as on a platform that has none: each write
 * is followed by an fdatasync. (A checkpoint moves the log into a new file, opened so.)
 */
async function fdatasyncLog(t: Test, m: NomadMock): Promise<void> {
  m.persistence!.io.dsync = false;
  await m.persistence!.checkpoint();
  await preallocated(m);
  t.equal((m.persistence as unknown as LogState).file!.dsync, false, 'the log file is written without O_DSYNC');
}

/** Registers job `id` and gives the answer's status, noting in `answered` the order answers came in. */
function registrar(m: NomadMock, answered: string[]): (id: string) => Promise<number> {
  return (id) =>
    m.app.inject({ method: 'PUT', url: '/v1/jobs', payload: job(id) }).then((r) => {
      answered.push(id);
      return r.statusCode;
    });
}

/**
 * A register (answered through sendJson) and a reset (through the onSend hook) each stay unanswered
 * while `held` holds their disk call, and answer 200 once `release` lets it finish.
 */
async function answersWaitFor(t: Test, m: NomadMock, held: (() => void)[], while_: string, once: string, release: () => Promise<void>): Promise<void> {
  for (const [what, req] of [
    ['register (sendJson)', { method: 'PUT' as const, url: '/v1/jobs', payload: job('web') }],
    ['reset (onSend)', { method: 'POST' as const, url: '/_mock/reset' }],
  ] as const) {
    let answered = false;
    const res = m.app.inject(req).then((r) => {
      answered = true;
      return r;
    });
    await until(() => held.length > 0, 'a held disk call');
    await ticks(20);
    t.notOk(answered, `${what}: no answer while ${while_}`);
    await release();
    t.equal((await res).statusCode, 200, `${what}: 200 once ${once}`);
  }
}

t.test('through O_DSYNC, an answer that wrote leaves only once its write is back, with no separate sync: on the sendJson path and the onSend path', async (t) => {
  const m = await steadyServer(t, tempDir(t));
  t.equal((m.persistence as unknown as LogState).file!.dsync, process.platform !== 'win32', 'the log file is opened with O_DSYNC where the platform has it');
  if (process.platform === 'win32') return;
  const io = m.persistence!.io;
  const held: (() => void)[] = [];
  const { write, sync, writeSync } = io;
  let syncs = 0;
  // Through the threadpool (an append on the loop, for an idle log, is tested below).
  io.writeSync = undefined;
  io.write = (fd, bufs, pos, cb) => held.push(() => write(fd, bufs, pos, cb));
  io.sync = (fd, cb) => {
    syncs++;
    sync(fd, cb);
  };
  await answersWaitFor(t, m, held, 'its write is out', 'the write is back', async () => held.splice(0).forEach((f) => f()));
  t.equal(syncs, 0, 'no fdatasync was called: the writes were durable on return');
  io.write = write;
  io.sync = sync;
  io.writeSync = writeSync;
});

/** Until the log may append on the event loop: no next log file is being filled (8 MiB of zeros on the same disk). */
async function loopReady(m: NomadMock): Promise<void> {
  const p = m.persistence as unknown as { spare: { ready: boolean } | null };
  await until(() => !p.spare || p.spare.ready, 'the next log file to be filled', 5);
  await ticks(2);
}

/**
 * A server on `dir` whose fresh state's first record is on disk and whose log is in a file made
 * ahead; with `loop`, also free to append on the event loop (no next file being filled).
 */
async function steadyServer(t: Test, dir: string, loop = false): Promise<NomadMock> {
  const m = await server(t, dir);
  await m.persistence!.whenDurable(m.store.index);
  await preallocated(m);
  if (loop) await loopReady(m);
  return m;
}

/** The log's two ways of writing an append, noted in `calls` in the order they were made. */
function noteWrites(m: NomadMock): { calls: string[]; restore: () => void } {
  const io = m.persistence!.io;
  const { write, writeSync } = io;
  const calls: string[] = [];
  io.write = (fd, bufs, pos, cb) => {
    calls.push('write');
    write(fd, bufs, pos, cb);
  };
  io.writeSync = (fd, bufs, pos) => {
    calls.push('writeSync');
    writeSync!(fd, bufs, pos);
  };
  return { calls, restore: () => Object.assign(io, { write, writeSync }) };
}

t.test('through O_DSYNC, an answer on an idle log has its record written on the event loop, with no trip to the threadpool: on the sendJson path and the onSend path', async (t) => {
  if (process.platform === 'win32') return t.end();
  const dir = tempDir(t);
  const m = await steadyServer(t, dir);
  const { calls, restore } = noteWrites(m);
  // However long the disk takes (a slow append turns them off: tested below).
  m.persistence!.loopAppendMaxMs = Infinity;
  for (const [what, req] of [
    ['register (sendJson)', { method: 'PUT' as const, url: '/v1/jobs', payload: job('a') }],
    ['a second register', { method: 'PUT' as const, url: '/v1/jobs', payload: job('b') }],
    ['deregister (sendJson)', { method: 'DELETE' as const, url: '/v1/job/b?purge=true' }],
  ] as const) {
    await loopReady(m);
    calls.length = 0;
    const before = m.persistence!.stats.loopAppends;
    t.equal((await m.app.inject(req)).statusCode, 200, `${what}: 200`);
    t.same(calls, ['writeSync'], `${what}: its record went out in one append, on the loop`);
    t.equal(m.persistence!.stats.loopAppends, before + 1, `${what}: counted`);
  }
  await loopReady(m);
  calls.length = 0;
  t.equal((await m.app.inject({ method: 'POST', url: '/_mock/reset' })).statusCode, 200, 'reset (onSend): 200');
  t.same(calls, ['writeSync'], 'reset (onSend): the whole fresh state went out in one append, on the loop');
  await register(m, 'c');
  restore();
  const second = await server(t, dir);
  t.same(jobIds(second), ['c'], 'a restart (the first server never closed) finds what the answers acknowledged');
});

t.test('an append on the loop is taken once per turn of it: a second answer in the same turn goes through the threadpool, after the first', async (t) => {
  if (process.platform === 'win32') return t.end();
  const dir = tempDir(t);
  const m = await steadyServer(t, dir, true);
  const { calls, restore } = noteWrites(m);
  m.persistence!.loopAppendMaxMs = Infinity;
  const ns = m.store.namespaces.get('default')!;
  const commit = (name: string): void =>
    m.store.write((tx) => {
      m.store.namespaces.set(name, { ...ns, Name: name, CreateIndex: tx.index, ModifyIndex: tx.index });
      tx.touch('namespaces');
    });
  commit('one');
  const first = m.persistence!.whenDurable(m.store.index);
  commit('two');
  const second = m.persistence!.whenDurable(m.store.index);
  t.equal(first, null, 'the first is on disk when asked (written on the loop)');
  t.ok(second instanceof Promise, 'the second waits');
  t.same(calls, ['writeSync', 'write'], 'for an append through the threadpool');
  await second;
  restore();
  const again = await server(t, dir);
  t.ok(again.store.namespaces.has('one') && again.store.namespaces.has('two'), 'a restart finds both');
});

t.test('an append on the loop that fails answers 500, and what it held is written again into a new log', async (t) => {
  if (process.platform === 'win32') return t.end();
  const dir = tempDir(t);
  const m = await steadyServer(t, dir, true);
  const io = m.persistence!.io;
  const { writeSync } = io;
  let failed = 0;
  io.writeSync = () => {
    failed++;
    throw eio();
  };
  const r = await m.app.inject({ method: 'PUT', url: '/v1/jobs', payload: job('a') });
  t.equal(failed, 1, 'the append went out on the loop');
  t.equal(r.statusCode, 500, 'the write whose append failed is not acknowledged');
  t.equal(r.body, 'rpc error: internal error', "with Nomad's plain 500 text");
  t.match(m.guard.last, { Source: 'persistence', Message: /EIO/ });
  m.guard.count = 0;
  io.writeSync = writeSync;
  await register(m, 'b');
  await m.persistence!.whenDurable(m.store.index);
  const second = await server(t, dir);
  t.same(jobIds(second), ['a', 'b'], 'once the disk works, a restart finds the failed write too (written again) and the next one');
});

t.test('a slow append on the loop turns them off for a while: the answers after it go through the threadpool', async (t) => {
  if (process.platform === 'win32') return t.end();
  const m = await steadyServer(t, tempDir(t), true);
  const p = m.persistence!;
  const { calls, restore } = noteWrites(m);
  // Every append on the loop counts as slow.
  p.loopAppendMaxMs = -1;
  await register(m, 'a');
  t.same(calls, ['writeSync'], 'the first append went out on the loop');
  t.equal(p.stats.slowLoopAppends, 1, 'and counted as slow');
  for (const id of ['b', 'c']) {
    await loopReady(m);
    calls.length = 0;
    await register(m, id);
    t.same(calls, ['write'], `${id}: through the threadpool`);
  }
  // The wait over (it is a second, then doubles while they stay slow).
  (p as unknown as { loopOffUntil: number }).loopOffUntil = 0;
  p.loopAppendMaxMs = Infinity;
  await loopReady(m);
  calls.length = 0;
  await register(m, 'd');
  t.same(calls, ['writeSync'], 'after the wait, the next append goes out on the loop again');
  restore();
});

t.test('an answer on an idle log goes the way whose recent appends were faster, and the other way now and then to look again', async (t) => {
  if (process.platform === 'win32') return t.end();
  const dir = tempDir(t);
  const m = await steadyServer(t, dir, true);
  const p = m.persistence!;
  // A clock of the test's own: each way's append takes what the test says.
  let clock = 0;
  p.now = () => clock;
  const took = { loop: 1, threadpool: 1 };
  const io = p.io;
  const { write, writeSync } = io;
  const calls: string[] = [];
  io.write = (fd, bufs, pos, cb) => {
    calls.push('write');
    clock += took.threadpool;
    write(fd, bufs, pos, cb);
  };
  io.writeSync = (fd, bufs, pos) => {
    calls.push('writeSync');
    clock += took.loop;
    writeSync!(fd, bufs, pos);
  };
  // No append counts as stalled here: only the comparison chooses.
  p.loopAppendMaxMs = Infinity;
  const appends: number[] = [];
  /** The ways the next `n` registers took, one at a time on an idle log. */
  const ways = async (prefix: string, n: number): Promise<string[]> => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      await loopReady(m);
      calls.length = 0;
      await register(m, `${prefix}-${i}`);
      appends.push(calls.length);
      out.push(calls.join('+'));
    }
    return out;
  };
  const count = (a: string[], way: string): number => a.filter((w) => w === way).length;
  t.same(await ways('a', 3), ['writeSync', 'writeSync', 'writeSync'], 'with no time of the threadpool yet, appends go on the loop');
  took.loop = 4;
  const slow = (await ways('b', 64)).slice(16);
  t.ok(count(slow, 'write') >= 40, `once the loop took longer than the threadpool, most answers go through the threadpool (${count(slow, 'write')} of ${slow.length})`);
  t.ok(count(slow, 'writeSync') >= 2, `and one now and then on the loop, to see whether it still is slower (${count(slow, 'writeSync')})`);
  t.ok(p.appendTimes.loop > p.appendTimes.threadpool, 'the times kept say the loop is slower');
  took.loop = 0.5;
  const fast = (await ways('c', 96)).slice(64);
  t.ok(count(fast, 'writeSync') >= 28, `once the loop is faster again, answers go on the loop again (${count(fast, 'writeSync')} of ${fast.length})`);
  t.ok(count(fast, 'write') >= 1, `with one through the threadpool now and then (${count(fast, 'write')})`);
  t.ok(appends.every((n) => n === 1), 'every answer took one append');
  Object.assign(io, { write, writeSync });
  const again = await server(t, dir);
  t.equal(again.store.jobs.size, 3 + 64 + 96, 'a restart (the first server never closed) finds every register, whichever way it went');
});

/** The log's disk calls held until the test lets each one finish (or fail), with the bytes of each append. */
function holdWrites(m: NomadMock): { held: ((err?: Error) => void)[]; sizes: number[]; jobs: string[][]; drain: () => Promise<void>; restore: () => void } {
  const io = m.persistence!.io;
  const { write, writeSync } = io;
  // Every append through the threadpool, where it can be held.
  io.writeSync = undefined;
  const held: ((err?: Error) => void)[] = [];
  const sizes: number[] = [];
  /** The job rows each append writes. */
  const jobs: string[][] = [];
  io.write = (fd, bufs, pos, cb) => {
    sizes.push(bufs.reduce((n, b) => n + b.length, 0));
    const changes = readFrames(Buffer.concat(bufs)).records.flatMap((r) => (r as { c?: unknown[][] }).c ?? []);
    jobs.push(changes.filter((c) => c[0] === 'jobs').map((c) => (c[1] as string).split('\u0000').pop()!));
    held.push((err) => (err ? cb(err) : write(fd, bufs, pos, cb)));
  };
  /** Lets every held call finish, and the ones that follow, until the log holds everything committed. */
  const drain = async (): Promise<void> => {
    let over = false;
    const done = m.persistence!.whenDurable(m.store.index);
    void done?.finally(() => (over = true));
    const deadline = Date.now() + 30_000;
    while (done && !over) {
      if (Date.now() > deadline) throw new Error('still waiting for the log to hold every commit after 30 s');
      for (const f of held.splice(0)) f();
      await ticks(1);
    }
  };
  return { held, sizes, jobs, drain, restore: () => void Object.assign(io, { write, writeSync }) };
}


t.test('through O_DSYNC, writes committed while an append is out go out together as the next one, and answers leave in the order of their records', async (t) => {
  if (process.platform === 'win32') return t.end();
  const dir = tempDir(t);
  const m = await steadyServer(t, dir);
  const { held, sizes, jobs, drain, restore } = holdWrites(m);
  const answered: string[] = [];
  const reg = registrar(m, answered);
  const a = reg('a');
  await until(() => held.length > 0, 'a held disk call');
  const rest = ['b', 'c', 'd'].map((id) => reg(id));
  await until(() => held.length >= 2, 'two held disk calls');
  await ticks(30);
  t.equal(held.length, 2, "b, c and d go out in one append while a's is still out");
  t.same(jobs.slice(0, 2), [['a'], ['b', 'c', 'd']], 'which holds all three records');
  t.same(answered, [], 'nothing is answered before its write is back');
  held[1]!();
  await ticks(30);
  t.same(answered, [], "the second append back first answers nothing: a's record, ahead of it, is not known on disk");
  const e = reg('e');
  await ticks(30);
  t.equal(held.length, 2, 'no third append goes out while two are');
  held[0]!();
  t.equal(await a, 200, 'a is answered once its write is back');
  t.same(await Promise.all(rest), [200, 200, 200], 'and b, c and d with it');
  t.same(answered.slice(0, 4), ['a', 'b', 'c', 'd'], 'in the order of their records');
  await until(() => held.length >= 3, 'three held disk calls');
  t.same(answered, ['a', 'b', 'c', 'd'], 'e waits for its own append, which went out once a slot was free');
  held[2]!();
  t.equal(await e, 200, 'e is answered once it is back');
  t.equal(sizes.length, 3, 'three appends for five writes');
  held.splice(0, 3);
  await drain();
  restore();
  const second = await server(t, dir);
  t.same(jobIds(second), ['a', 'b', 'c', 'd', 'e'], 'a restart finds every acknowledged write');
});

t.test('through O_DSYNC, a failed append fails every answer not yet given: behind it, back after it, and ahead of it; all are written again', async (t) => {
  if (process.platform === 'win32') return t.end();
  const dir = tempDir(t);
  const m = await steadyServer(t, dir);
  const { held, drain, restore } = holdWrites(m);
  const answered: string[] = [];
  const reg = registrar(m, answered);

  // The first of two appends fails after the second is back: the second's record follows a torn one.
  const a = reg('a');
  await until(() => held.length > 0, 'a held disk call');
  const b = reg('b');
  await until(() => held.length >= 2, 'two held disk calls');
  const c = reg('c');
  await ticks(20);
  held[1]!();
  await ticks(20);
  held[0]!(eio());
  t.equal(await a, 500, 'the write whose append failed is not acknowledged');
  t.equal(await b, 500, 'nor the one whose append was back after it');
  t.equal(await c, 500, 'nor the one waiting for a slot');
  t.match(m.guard.last, { Source: 'persistence', Message: /EIO/ });
  m.guard.count = 0;
  // What was lost goes out again (into a new log file) before the next part.
  await drain();
  // That file may have been opened empty (no spare was ready): the log moves into the spare once it
  // is, and a move waits for the appends out, which would keep e from going out beside d below.
  await preallocated(m);

  // The second of two appends fails while the first is still out: nothing not yet answered is.
  const d = reg('d');
  await until(() => held.length > 0, 'a held disk call');
  const e = reg('e');
  await until(() => held.length >= 2, 'two held disk calls');
  held[1]!(eio());
  t.equal(await e, 500, 'the write whose append failed is not acknowledged');
  t.equal(await d, 500, 'nor the one ahead of it whose append is still out');
  held[0]!();
  await ticks(20);
  t.same(answered, ['a', 'b', 'c', 'd', 'e'], 'each was answered once');
  t.match(m.guard.last, { Source: 'persistence', Message: /EIO/ });
  m.guard.count = 0;
  await drain();
  restore();
  t.equal(await reg('f'), 200, 'once the disk works the next write is acknowledged');
  const second = await server(t, dir);
  t.same(jobIds(second), ['a', 'b', 'c', 'd', 'e', 'f'], 'and the failed ones were written again into a new log');
});

t.test('without O_DSYNC, an answer that wrote leaves only after its sync: on the sendJson path and the onSend path', async (t) => {
  const m = await server(t, tempDir(t));
  await m.persistence!.whenDurable(m.store.index); // the fresh state's first record
  await fdatasyncLog(t, m);
  const io = m.persistence!.io;
  const held: (() => void)[] = [];
  const sync = io.sync;
  io.sync = (fd, cb) => held.push(() => sync(fd, cb));
  const release = async (): Promise<void> => {
    await until(() => held.length > 0, 'a held disk call');
    held.splice(0).forEach((f) => f());
  };

  await answersWaitFor(t, m, held, 'the sync is outstanding', 'synced', release);
  io.sync = sync;
  let answered = false;
  const read = m.app.inject({ method: 'GET', url: '/v1/jobs' }).then(() => (answered = true));
  await read;
  t.ok(answered, 'a read with nothing to sync answers at once');
});

t.test('without O_DSYNC, the next write goes out while a sync runs; each answer waits for the sync that covers its record', async (t) => {
  const dir = tempDir(t);
  const m = await server(t, dir);
  await m.persistence!.whenDurable(m.store.index);
  await fdatasyncLog(t, m);
  const io = m.persistence!.io;
  const { write, sync } = io;
  let writes = 0;
  const held: ((err?: Error) => void)[] = [];
  io.write = (fd, bufs, pos, cb) => {
    writes++;
    write(fd, bufs, pos, cb);
  };
  io.sync = (fd, cb) => held.push((err) => (err ? cb(err) : sync(fd, cb)));
  const answered: string[] = [];
  const reg = registrar(m, answered);
  const a = reg('a');
  await until(() => held.length > 0, 'a held disk call');
  const b = reg('b');
  await until(() => writes >= 2, 'two writes');
  await ticks(20);
  t.equal(held.length, 1, "b's record is written while a's sync runs, and its sync waits for that one");
  t.same(answered, [], 'neither is answered before a sync');
  held.shift()!();
  t.equal(await a, 200, "a is answered once its sync is back");
  await ticks(20);
  t.same(answered, ['a'], 'b is not: that sync did not cover its record');
  await until(() => held.length > 0, 'a held disk call');
  held.shift()!();
  t.equal(await b, 200, 'b is answered after the next sync');

  // A failed sync fails every answer waiting behind it, also those whose record was written after
  // it started: after a failed fsync, a later one may succeed with the pages gone.
  const c = reg('c');
  await until(() => held.length > 0, 'a held disk call');
  const d = reg('d');
  await until(() => writes >= 4, 'four writes');
  held.shift()!(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  t.equal(await c, 500, 'the write whose sync failed is not acknowledged');
  t.equal(await d, 500, 'nor the one written after it');
  t.match(m.guard.last, { Source: 'persistence', Message: /EIO/ });
  m.guard.count = 0;
  io.write = write;
  io.sync = sync;
  for (const f of held.splice(0)) f();
  t.equal(await reg('e'), 200, 'once the disk works the next write is acknowledged');
  const second = await server(t, dir);
  t.same(jobIds(second), ['a', 'b', 'c', 'd', 'e'], 'and the failed ones were written again into a new log');
});

t.test('a torn last record (a crash mid-append) is dropped; everything before it loads', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir);
  await preallocated(first);
  await register(first, 'a');
  await register(first, 'b');
  // An append cut off: a header promising 100 bytes, and 10 of them, where the next record goes
  // (the end of the file, or the zeros of a file made ahead).
  const header = Buffer.alloc(8);
  header.writeUInt32LE(100, 0);
  const torn = Buffer.concat([header, Buffer.from('{"i":99,"c')]);
  const log = lastWal(dir);
  const at = endOfRecords(log);
  const fd = openSync(log, 'r+');
  writeSync(fd, torn, 0, torn.length, at);
  closeSync(fd);
  const second = await server(t, dir);
  t.same(jobIds(second), ['a', 'b'], 'both acknowledged jobs are back');
  await preallocated(second);

  // The same with the newest record itself cut short (its last sector never written): only that
  // write is lost.
  await register(second, 'c');
  const file = lastWal(dir);
  const last = recordOffsets(file).at(-1)!;
  const end = endOfRecords(file);
  const cut = readFileSync(file);
  cut.fill(0, Math.max(last + 8, Math.floor((end - 1) / 512) * 512), end);
  writeFileSync(file, cut);
  const third = await server(t, dir);
  t.same(jobIds(third), ['a', 'b'], 'the cut record is dropped, the earlier ones load');
  await register(third, 'd');
  const fourth = await server(t, dir);
  t.same(jobIds(fourth), ['a', 'b', 'd'], 'and writing goes on after it');
});


t.test('a log that runs on in zeros after its last record (a file longer than what was written) loads every record', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir);
  await register(first, 'a');
  await register(first, 'b');
  const file = lastWal(dir);
  appendFileSync(file, Buffer.alloc(64 * 1024));
  const second = await server(t, dir);
  t.same(jobIds(second), ['a', 'b'], 'both jobs are back');
  await register(second, 'c');
  const third = await server(t, dir);
  t.same(jobIds(third), ['a', 'b', 'c'], 'and the next log goes on after it');
});

t.test('a record torn by a crash (part of it never written: zeros) ends the log, even with a later write after it', async (t) => {
  // The next append may start while the sync of the one before runs: a crash can leave the later
  // record whole and the earlier one with a sector of zeros. The log ends at the torn record.
  const dir = tempDir(t);
  const first = await server(t, dir);
  await preallocated(first);
  await register(first, 'a');
  await register(first, 'b');
  await register(first, 'c');
  const file = lastWal(dir);
  const offs = recordOffsets(file);
  const buf = readFileSync(file);
  const bRecord = offs[offs.length - 2]!;
  const sector = Math.ceil((bRecord + 8) / 512) * 512;
  t.ok(sector + 512 <= offs[offs.length - 1]!, 'the record of b spans a whole sector');
  buf.fill(0, sector, sector + 512);
  writeFileSync(file, buf);
  const second = await server(t, dir);
  t.same(jobIds(second), ['a'], 'the torn write and the one after it are dropped; a is back');

  // A header of zeros (the sector holding it never written) with the rest of the records after it.
  const dir2 = tempDir(t);
  const other = await server(t, dir2);
  await preallocated(other);
  await register(other, 'a');
  await register(other, 'b');
  await register(other, 'c');
  const file2 = lastWal(dir2);
  const offs2 = recordOffsets(file2);
  const buf2 = readFileSync(file2);
  buf2.fill(0, offs2[offs2.length - 2]!, offs2[offs2.length - 2]! + 8);
  writeFileSync(file2, buf2);
  const again = await server(t, dir2);
  t.same(jobIds(again), ['a'], 'the log ends at the header of zeros');
});

t.test('a damaged record followed by others stops start-up, naming the log file', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir);
  await register(first, 'a');
  await register(first, 'b');
  await first.app.close();
  const file = lastWal(dir);
  const buf = readFileSync(file);
  buf[12] = buf[12]! ^ 0xff; // inside the first record's payload
  writeFileSync(file, buf);
  await t.rejects(createMockNomad({ dataDir: dir }), { message: `log file ${file} is corrupt: damaged record at byte 0 (checksum mismatch) followed by ${buf.length - 8 - buf.readUInt32LE(0)} more bytes` });
});

t.test('a damaged checkpoint stops start-up, naming the file', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir);
  await register(first, 'a');
  await first.persistence!.checkpoint();
  await first.app.close();
  const ckpt = readdirSync(dir).find((f) => f.endsWith('.ckpt'))!;
  const file = join(dir, ckpt);
  truncateSync(file, statSync(file).size - 4);
  await t.rejects(createMockNomad({ dataDir: dir }), { message: new RegExp(`^checkpoint file ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is corrupt: it is incomplete`) });
});

t.test('ACL tokens and policies (a snapshot part) are logged with the writes that touch them', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir, { acl: true });
  const boot = await first.app.inject({ method: 'POST', url: '/v1/acl/bootstrap' });
  t.equal(boot.statusCode, 200);
  const secret = boot.json().SecretID as string;
  const pol = await first.app.inject({ method: 'PUT', url: '/v1/acl/policy/readonly', headers: { 'x-nomad-token': secret }, payload: { Name: 'readonly', Rules: 'namespace "default" { policy = "read" }' } });
  t.equal(pol.statusCode, 200);
  const second = await server(t, dir, { acl: true });
  const self = await second.app.inject({ method: 'GET', url: '/v1/acl/token/self', headers: { 'x-nomad-token': secret } });
  t.equal(self.statusCode, 200, 'the bootstrap token is back');
  t.equal(self.json().Name, 'Bootstrap Token');
  const p = await second.app.inject({ method: 'GET', url: '/v1/acl/policy/readonly', headers: { 'x-nomad-token': secret } });
  t.equal(p.statusCode, 200, 'and the policy');
  t.equal((await second.app.inject({ method: 'POST', url: '/v1/acl/bootstrap' })).statusCode, 400, 'bootstrap stays done');
});

t.test('version rows changed after their write (tag, stable flag) are logged', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir);
  await register(first, 'web', { v: '0' });
  await register(first, 'web', { v: '1' });
  const tag = await first.app.inject({ method: 'PUT', url: '/v1/job/web/versions/golden/tag', payload: { Version: 0 } });
  t.equal(tag.statusCode, 200);
  const stable = await first.app.inject({ method: 'PUT', url: '/v1/job/web/stable', payload: { JobID: 'web', JobVersion: 0, Stable: true } });
  t.equal(stable.statusCode, 200);
  const before = (await first.app.inject({ method: 'GET', url: '/v1/job/web/versions' })).body;
  const second = await server(t, dir);
  const after = await second.app.inject({ method: 'GET', url: '/v1/job/web/versions' });
  t.equal(after.body, before, 'the versions read the same after a crash');
  t.match(after.json().Versions[1], { Version: 0, Stable: true, VersionTag: { Name: 'golden' } });
});

t.test('a checkpoint taken while writes go on loses none of them and replaces the older log', async (t) => {
  const dir = tempDir(t);
  const first = await server(t, dir);
  for (let i = 0; i < 150; i++) await register(first, `j${String(i).padStart(3, '0')}`);
  const oldLogs = wals(dir);
  const ckpt = first.persistence!.checkpoint();
  // Writes while it copies: new jobs, updates, purges.
  const writes: Promise<unknown>[] = [];
  for (let i = 0; i < 40; i++) {
    writes.push(register(first, `n${i}`));
    writes.push(register(first, `j${String(i).padStart(3, '0')}`, { updated: 'yes' }));
    writes.push(first.app.inject({ method: 'DELETE', url: `/v1/job/j${String(100 + i).padStart(3, '0')}?purge=true` }));
  }
  await Promise.all(writes);
  await ckpt;
  const files = readdirSync(dir);
  t.equal(files.filter((f) => f.endsWith('.ckpt')).length, 1, 'one checkpoint');
  t.notOk(files.some((f) => oldLogs.includes(f)), 'the log it compacts is gone');
  const snap = JSON.stringify(first.control.snapshot());
  const second = await server(t, dir);
  t.equal(JSON.stringify(second.control.snapshot()), snap, 'a restart loads the same state');
  t.equal(second.store.jobs.get('default\u0000j005')?.Meta?.updated, 'yes');
  t.notOk(second.store.jobs.has('default\u0000j120'), 'a purge during the checkpoint stays purged');
});
