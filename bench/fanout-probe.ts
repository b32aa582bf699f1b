// Fan-out probe (issue 16): parks N blocking readers, each on its own connection, and times one
// write until every one of them has its whole answer; or opens M event-stream subscribers and times
// registers against the same server with none. The server runs in a child process that reports its
// own CPU time and memory (after a full GC) over IPC, and can take a CPU profile of the release.
//
//   node dist/bench/fanout-probe.js readers [N=10000] [--servers mock,net,http] [--profile DIR] [--heap DIR] [--strace FILE]
//
// `--servers` adds the floors, run after nomad-mock with its recorded answer: a raw node:net
// server and bare node:http, each writing that one answer to every parked reader (the same
// client for all three). Server CPU is printed as user and system time apart (system time is
// mostly the kernel's loopback TCP, which runs in the writer's system calls).
//   node dist/bench/fanout-probe.js events [M=1000] [K=300] [--profile DIR]
//
// Wall figures on a shared machine are noise; the server's CPU time and bytes per reader are not.
import { fork, spawn } from 'node:child_process';
import { ChildProfiler, ChildServer } from './child-server.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { rawReader, type Reader } from './raw-reader.js';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from './http.js';
import { webJob as jobBody } from './jobs.js';

type Msg = { cmd: string; id: number; dir?: string; name?: string };

// ---- the server child -------------------------------------------------------------------------

/** The child's answers to the driver's commands that every kind of server shares. */
async function common(m: Msg, profiler: ChildProfiler): Promise<unknown> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (m.cmd === 'mem') {
    for (let i = 0; i < 3; i++) gc?.();
    return process.memoryUsage();
  }
  if (m.cmd === 'cpu') return process.cpuUsage();
  if (m.cmd === 'rss') return process.memoryUsage.rss();
  if (m.cmd === 'profile-start' || m.cmd === 'profile-stop') return profiler.command(m);
  if (m.cmd === 'heap-snapshot') {
    mkdirSync(m.dir!, { recursive: true });
    const file = join(m.dir!, `${m.name}.heapsnapshot`);
    const chunks: string[] = [];
    const onChunk = (c: { params: { chunk: string } }): number => chunks.push(c.params.chunk);
    profiler.session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
    await profiler.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    profiler.session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
    writeFileSync(file, chunks.join(''));
    return file;
  }
  return undefined;
}

async function serve(): Promise<void> {
  const { createMockNomad } = await import('../src/index.js');
  const mock = await createMockNomad({ port: 0, clock: 'manual', logLevel: 'silent' });
  const profiler = new ChildProfiler();
  process.on('message', async (m: Msg) => {
    let out: unknown = await common(m, profiler);
    if (m.cmd === 'waiting') out = mock.server.store.watch.waiting();
    else if (m.cmd === 'close') {
      await mock.close();
      process.send!({ id: m.id, out }, () => process.exit(0));
      return;
    }
    process.send!({ id: m.id, out });
  });
  process.send!({ id: 0, out: mock.port });
}

/**
 * The floors: a server that parks every GET and, on a PUT, writes one precomputed answer (the
 * head and body nomad-mock sent, given by the driver) to each parked reader. `net` is a raw
 * node:net server (no HTTP parser beyond finding the end of a request: the kernel's and libuv's
 * cost), `http` bare node:http (the same answer through writeHead and end, Node's own per-answer work).
 */
async function serveFloor(kind: 'net' | 'http'): Promise<void> {
  const profiler = new ChildProfiler();
  let raw = Buffer.alloc(0);
  let headers: [string, string][] = [];
  let body = Buffer.alloc(0);
  let parked: (() => void)[] = [];
  const release = (): void => {
    const p = parked;
    parked = [];
    for (const go of p) go();
  };
  let port: number;
  if (kind === 'net') {
    const ok = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}');
    const server = net.createServer((sock) => {
      let pending = '';
      sock.on('data', (c: Buffer) => {
        pending += c.toString('latin1');
        let end: number;
        while ((end = pending.indexOf('\r\n\r\n')) >= 0) {
          const req = pending.slice(0, end);
          pending = pending.slice(end + 4);
          if (req.startsWith('PUT')) {
            // The body of the PUT is ignored: its length is skipped.
            const m = /content-length:\s*(\d+)/i.exec(req);
            pending = pending.slice(m ? Number(m[1]) : 0);
            release();
            sock.write(ok);
          } else parked.push(() => sock.write(raw));
        }
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  } else {
    const server = http.createServer((req, res) => {
      if (req.method === 'PUT') {
        req.resume();
        req.on('end', () => {
          release();
          res.writeHead(200, { 'content-length': 2 }).end('{}');
        });
      } else parked.push(() => res.writeHead(200, headers).end(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  }
  process.on('message', async (m: Msg & { answer?: string }) => {
    let out: unknown = await common(m, profiler);
    if (m.cmd === 'waiting') out = parked.length;
    else if (m.cmd === 'answer') {
      raw = Buffer.from(m.answer!, 'latin1');
      const end = raw.indexOf('\r\n\r\n');
      body = raw.subarray(end + 4);
      // Node adds Date, Connection and Keep-Alive itself.
      headers = raw
        .subarray(0, end)
        .toString('latin1')
        .split('\r\n')
        .slice(1)
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()] as [string, string])
        .filter(([k]) => !/^(date|connection|keep-alive)$/i.test(k));
    } else if (m.cmd === 'close') {
      process.send!({ id: m.id, out }, () => process.exit(0));
      return;
    }
    process.send!({ id: m.id, out });
  });
  process.send!({ id: 0, out: port });
}

// ---- the driver -------------------------------------------------------------------------------

type Server = ChildServer;
const startServer = (kind = 'serve', extra: string[] = []): Promise<Server> =>
  ChildServer.start(fileURLToPath(import.meta.url), [kind], ['--expose-gc', ...extra]);

async function cpuMs(s: Server): Promise<number> {
  const u = await s.call<NodeJS.CpuUsage>('cpu');
  return (u.user + u.system) / 1000;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (n: number): string => (n / 1048576).toFixed(1);

type Kind = 'mock' | 'net' | 'http';
const CHILD: Record<Kind, string> = { mock: 'serve', net: 'serve-net', http: 'serve-http' };

/**
 * Parks `n` readers on one server, releases them with one PUT, and prints the server's CPU time
 * (user and system apart), the client's, and the server's memory per parked reader. For the
 * floors (`net`, `http`) `answer` is the raw answer nomad-mock gave, which they send as it is.
 * Returns one reader's raw answer.
 */
async function readersOn(kind: Kind, n: number, profileDir: string | null, heapDir: string | null, answer: string | null, execArgv: string[]): Promise<string> {
  const straceFile = flag('--strace');
  const s = await startServer(CHILD[kind], execArgv);
  let sample = '';
  try {
    if (kind === 'mock') await request(s.port, 'PUT', '/v1/jobs', jobBody('web'));
    else await s.call('answer', { answer });
    // Warm-up round, uncounted: Node keeps the pools it grows for many sockets.
    for (const round of ['warm-up', 'measured']) {
      const idx = kind === 'mock' ? Number((await request(s.port, 'GET', '/v1/job/web')).headers['x-nomad-index']) : 1;
      const before = await s.call<NodeJS.MemoryUsage>('mem');
      const rss0 = await s.call<number>('rss');
      if (round === 'measured' && heapDir) console.log('heap snapshot:', await s.call('heap-snapshot', { dir: heapDir, name: `${kind}-idle-${n}` }));
      // Connected a thousand at a time: a loaded machine drops SYNs past the listen backlog.
      const conns: Reader[] = [];
      while (conns.length < n) {
        const batch: Promise<void>[] = [];
        for (let i = Math.min(1000, n - conns.length); i > 0; i--) {
          const r = rawReader(s.port, `/v1/job/web?index=${idx}&wait=120s`, true);
          conns.push(r);
          batch.push(r.sent);
        }
        await Promise.all(batch);
      }
      while ((await s.call<number>('waiting')) < n) await sleep(50);
      await sleep(500);
      // As the bench reads it (no GC forced: garbage and the young generation's growth count), then after a full GC.
      const rssParked = await s.call<number>('rss');
      const parked = await s.call<NodeJS.MemoryUsage>('mem');
      if (round === 'measured' && heapDir) console.log('heap snapshot:', await s.call('heap-snapshot', { dir: heapDir, name: `${kind}-parked-${n}` }));
      if (profileDir && round === 'measured') await s.call('profile-start');
      // `--strace FILE`: the server's system calls during the release, counted (strace slows it a lot).
      const tracer = straceFile && round === 'measured' ? spawn('strace', ['-c', '-f', '-o', `${straceFile}.${kind}`, '-p', String(s.child.pid)]) : null;
      if (tracer) await sleep(1000);
      const u0 = await s.call<NodeJS.CpuUsage>('cpu');
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const w = await request(s.port, 'PUT', '/v1/jobs', kind === 'mock' ? jobBody('web', `${round}-${Date.now()}`) : '{}');
      const ends = await Promise.all(conns.map((c) => c.done));
      const wall = Math.max(...ends.map((e) => e.at)) - t0;
      const client = process.cpuUsage(c0);
      const u1 = await s.call<NodeJS.CpuUsage>('cpu');
      if (tracer) {
        tracer.kill('SIGINT');
        await new Promise((r) => tracer.once('exit', r));
        console.log(`strace counts: ${straceFile}.${kind}`);
      }
      if (profileDir && round === 'measured') console.log('profile:', await s.call('profile-stop', { dir: profileDir, name: `${kind}-release-${n}` }));
      // Every reader has the same answer: 200, the write's index (nomad-mock), one body.
      const bodies = new Set<string>();
      let bad = 0;
      const want = kind === 'mock' ? JSON.parse(w.body).JobModifyIndex : null;
      for (const e of ends) {
        const [head, body] = e.text!.split('\r\n\r\n', 2);
        if (!head!.startsWith('HTTP/1.1 200') || (want !== null && !new RegExp(`X-Nomad-Index: ${want}\\r`).test(head!))) bad++;
        bodies.add(body!);
      }
      sample = ends[0]!.text!;
      for (const c of conns) c.socket.destroy();
      const us = (x: number): string => (x / n).toFixed(1);
      console.log(
        `${kind} ${round}: ${n} readers released by one write in ${wall.toFixed(0)} ms wall (loaded machine); ` +
          `server CPU ${((u1.user - u0.user + u1.system - u0.system) / 1000).toFixed(0)} ms = ${us(u1.user - u0.user + u1.system - u0.system)} µs/reader ` +
          `(user ${us(u1.user - u0.user)}, system ${us(u1.system - u0.system)}); ` +
          `client CPU ${us(client.user + client.system)} µs/reader (user ${us(client.user)}, system ${us(client.system)}); ` +
          `parked: RSS +${((rssParked - rss0) / n / 1024).toFixed(2)} KB/reader before a GC, ` +
          `+${mb(parked.rss - before.rss)} MB (${((parked.rss - before.rss) / n / 1024).toFixed(2)} KB/reader) after, ` +
          `heap +${mb(parked.heapUsed - before.heapUsed)} MB (${((parked.heapUsed - before.heapUsed) / n / 1024).toFixed(2)} KB/reader), ` +
          `external +${mb(parked.external + parked.arrayBuffers - before.external - before.arrayBuffers)} MB; ` +
          `distinct bodies ${bodies.size}, wrong answers ${bad}`,
      );
      while ((await s.call<number>('waiting')) > 0) await sleep(50);
      await sleep(300);
    }
  } finally {
    await s.call('close').catch(() => {});
    s.child.kill();
  }
  return sample;
}

async function readers(n: number, kinds: Kind[], profileDir: string | null, heapDir: string | null, execArgv: string[]): Promise<void> {
  // The floors send nomad-mock's own answer, so the mock runs first.
  const answer = await readersOn('mock', n, kinds.includes('mock') ? profileDir : null, kinds.includes('mock') ? heapDir : null, null, execArgv);
  for (const k of kinds) if (k !== 'mock') await readersOn(k, n, profileDir, heapDir, answer, execArgv);
}

async function events(m: number, k: number, profileDir: string | null): Promise<void> {
  const s = await startServer();
  let seq = 0;
  const registers = async (label: string): Promise<void> => {
    const lat: number[] = [];
    const cpu0 = await cpuMs(s);
    const u0 = await s.call<NodeJS.CpuUsage>('cpu');
    for (let i = 0; i < k; i++) {
      const t = performance.now();
      const r = await request(s.port, 'PUT', '/v1/jobs', jobBody(`ev-${seq++}`));
      lat.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`register: ${r.status} ${r.body}`);
    }
    // Delivery runs after the answer: wait until the server is idle before reading its CPU time.
    await sleep(300);
    const u1 = await s.call<NodeJS.CpuUsage>('cpu');
    const cpu = (await cpuMs(s)) - cpu0;
    lat.sort((a, b) => a - b);
    const p = (q: number): string => lat[Math.floor(q * (lat.length - 1))]!.toFixed(2);
    console.log(
      `${label}: register p50 ${p(0.5)} ms, p90 ${p(0.9)} ms wall (loaded machine); server CPU ${((cpu * 1000) / k).toFixed(0)} µs per register ` +
        `(user ${((u1.user - u0.user) / k).toFixed(0)}, system ${((u1.system - u0.system) / k).toFixed(0)})`,
    );
  };
  // The subscribers read in a process of their own, so their reading does not delay the timed client.
  const subs = fork(fileURLToPath(import.meta.url), ['subscribe', String(m), String(s.port)]);
  const ask = (cmd: string): Promise<{ received: number; dropped: number; closed: number }> =>
    new Promise((resolve) => {
      subs.once('message', resolve);
      subs.send(cmd);
    });
  try {
    await registers('warm-up');
    await registers('0 subscribers');
    await ask('open');
    while ((await ask('stats')).received < m * 50) await sleep(50); // every stream has its headers and first heartbeat
    await sleep(300);
    const r0 = (await ask('stats')).received;
    if (profileDir) await s.call('profile-start');
    await registers(`${m} subscribers`);
    if (profileDir) console.log('profile:', await s.call('profile-stop', { dir: profileDir, name: `events-${m}` }));
    await sleep(1000);
    const st = await ask('stats');
    console.log(`  bytes to subscribers during the registers: ${mb(st.received - r0)} MB; subscribers dropped ${st.dropped}, closed ${st.closed}`);
    await ask('close');
    await sleep(500);
    await registers('0 subscribers again');
  } finally {
    subs.kill();
    await s.call('close').catch(() => {});
    s.child.kill();
  }
}

function subscribe(m: number, port: number): void {
  let received = 0;
  let dropped = 0;
  let closed = 0;
  const socks: net.Socket[] = [];
  const open = (): void => {
  for (let i = 0; i < m; i++) {
    const sock = net.connect({ host: '127.0.0.1', port }, () => sock.write(`GET /v1/event/stream?index=${1 << 30} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`));
    sock.on('data', (c: Buffer) => {
      received += c.length;
      if (c.includes('event dropped from buffer')) dropped++;
    });
    sock.on('close', () => closed++);
    sock.on('error', () => {});
    socks.push(sock);
  }
  };
  process.on('message', (cmd: string) => {
    if (cmd === 'open') open();
    if (cmd === 'close') for (const x of socks) x.destroy();
    process.send!({ received, dropped, closed });
  });
}

const [mode, ...rest] = process.argv.slice(2);
const flag = (name: string): string | null => {
  const i = rest.indexOf(name);
  return i < 0 ? null : rest[i + 1]!;
};
const nums = rest.filter((a) => /^\d+$/.test(a)).map(Number);
if (mode === 'serve') await serve();
else if (mode === 'serve-net') await serveFloor('net');
else if (mode === 'serve-http') await serveFloor('http');
else if (mode === 'subscribe') subscribe(nums[0]!, nums[1]!);
else if (mode === 'readers')
  await readers(
    nums[0] ?? 10_000,
    ((flag('--servers') ?? 'mock').split(',') as Kind[]),
    flag('--profile'),
    flag('--heap'),
    (flag('--node-options') ?? '').split(' ').filter(Boolean),
  );
else if (mode === 'events') await events(nums[0] ?? 1000, nums[1] ?? 300, flag('--profile'));
else console.error('usage: fanout-probe readers [N] [--servers mock,net,http] [--profile DIR] [--heap DIR] [--node-options "--cpu-prof …"] | events [M] [K]');
