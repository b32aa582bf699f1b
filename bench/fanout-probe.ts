// Fan-out probe (issue 16): parks N blocking readers, each on its own connection, and times one
// write until every one of them has its whole answer; or opens M event-stream subscribers and times
// registers against the same server with none. The server runs in a child process that reports its
// own CPU time and memory (after a full GC) over IPC, and can take a CPU profile of the release.
//
//   node dist/bench/fanout-probe.js readers [N=10000] [--profile DIR] [--heap DIR]
//   node dist/bench/fanout-probe.js events [M=1000] [K=300] [--profile DIR]
//
// Wall figures on a shared machine are noise; the server's CPU time and bytes per reader are not.
import { fork } from 'node:child_process';
import { ChildProfiler, ChildServer } from './child-server.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from './http.js';
import { webJob as jobBody } from './jobs.js';

type Msg = { cmd: string; id: number; dir?: string; name?: string };

// ---- the server child -------------------------------------------------------------------------

async function serve(): Promise<void> {
  const { createMockNomad } = await import('../src/index.js');
  const mock = await createMockNomad({ port: 0, clock: 'manual', logLevel: 'silent' });
  const profiler = new ChildProfiler();
  const { session } = profiler;
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', async (m: Msg) => {
    let out: unknown = null;
    if (m.cmd === 'mem') {
      for (let i = 0; i < 3; i++) gc?.();
      out = process.memoryUsage();
    } else if (m.cmd === 'cpu') out = process.cpuUsage();
    else if (m.cmd === 'waiting') out = mock.server.store.watch.waiting();
    else if (m.cmd === 'index') out = mock.server.store.index;
    else if (m.cmd === 'profile-start' || m.cmd === 'profile-stop') out = await profiler.command(m);
    else if (m.cmd === 'heap-snapshot') {
      mkdirSync(m.dir!, { recursive: true });
      const file = join(m.dir!, `${m.name}.heapsnapshot`);
      const chunks: string[] = [];
      const onChunk = (c: { params: { chunk: string } }): number => chunks.push(c.params.chunk);
      session.on('HeapProfiler.addHeapSnapshotChunk', onChunk);
      await profiler.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
      session.off('HeapProfiler.addHeapSnapshotChunk', onChunk);
      writeFileSync(file, chunks.join(''));
      out = file;
    } else if (m.cmd === 'close') {
      await mock.close();
      process.exit(0);
    }
    process.send!({ id: m.id, out });
  });
  process.send!({ id: 0, out: mock.port });
}

// ---- the driver -------------------------------------------------------------------------------

type Server = ChildServer;
const startServer = (): Promise<Server> => ChildServer.start(fileURLToPath(import.meta.url), ['serve'], ['--expose-gc']);

async function cpuMs(s: Server): Promise<number> {
  const u = await s.call<NodeJS.CpuUsage>('cpu');
  return (u.user + u.system) / 1000;
}

/**
 * One raw keep-alive connection sending `path` (as the bench's readers do); resolves with the whole
 * answer once its Content-Length bytes are in. The socket stays open: no teardown is timed.
 */
function rawGet(port: number, path: string, onConnect: () => void): { done: Promise<{ at: number; text: string }>; socket: net.Socket } {
  const socket = net.connect({ host: '127.0.0.1', port });
  const chunks: Buffer[] = [];
  let got = 0;
  let want = -1;
  const done = new Promise<{ at: number; text: string }>((resolve, reject) => {
    socket.once('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      onConnect();
    });
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (want < 0) {
        const all = Buffer.concat(chunks);
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) return;
        const m = /content-length:\s*(\d+)/i.exec(all.subarray(0, end).toString('latin1'));
        if (!m) return reject(new Error(`an answer without Content-Length: ${all.subarray(0, end).toString('latin1')}`));
        want = end + 4 + Number(m[1]);
      }
      if (got >= want) resolve({ at: performance.now(), text: Buffer.concat(chunks).toString() });
    });
    socket.on('error', reject);
  });
  return { done, socket };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mb = (n: number): string => (n / 1048576).toFixed(1);

async function readers(n: number, profileDir: string | null, heapDir: string | null): Promise<void> {
  const s = await startServer();
  try {
    await request(s.port, 'PUT', '/v1/jobs', jobBody('web'));
    // Warm-up round, uncounted: Node keeps the pools it grows for many sockets.
    for (const round of ['warm-up', 'measured']) {
      const idx = Number((await request(s.port, 'GET', '/v1/job/web')).headers['x-nomad-index']);
      const before = await s.call<NodeJS.MemoryUsage>('mem');
      if (round === 'measured' && heapDir) console.log('heap snapshot:', await s.call('heap-snapshot', { dir: heapDir, name: `idle-${n}` }));
      let connected = 0;
      // Connected a thousand at a time: a loaded machine drops SYNs past the listen backlog.
      const conns: ReturnType<typeof rawGet>[] = [];
      while (conns.length < n) {
        const batch = Math.min(1000, n - conns.length);
        for (let i = 0; i < batch; i++) conns.push(rawGet(s.port, `/v1/job/web?index=${idx}&wait=120s`, () => connected++));
        while (connected < conns.length) await sleep(20);
      }
      while ((await s.call<number>('waiting')) < n) await sleep(50);
      await sleep(500);
      const parked = await s.call<NodeJS.MemoryUsage>('mem');
      if (round === 'measured' && heapDir) console.log('heap snapshot:', await s.call('heap-snapshot', { dir: heapDir, name: `parked-${n}` }));
      if (profileDir && round === 'measured') await s.call('profile-start');
      const cpu0 = await cpuMs(s);
      const t0 = performance.now();
      const w = await request(s.port, 'PUT', '/v1/jobs', jobBody('web', `${round}-${Date.now()}`));
      const ends = await Promise.all(conns.map((c) => c.done));
      const wall = Math.max(...ends.map((e) => e.at)) - t0;
      const cpu = (await cpuMs(s)) - cpu0;
      if (profileDir && round === 'measured') console.log('profile:', await s.call('profile-stop', { dir: profileDir, name: `release-${n}` }));
      // Every reader has the same answer: 200, the write's index, one body.
      const bodies = new Set<string>();
      let bad = 0;
      const want = JSON.parse(w.body).JobModifyIndex;
      for (const e of ends) {
        const [head, body] = e.text.split('\r\n\r\n', 2);
        if (!head!.startsWith('HTTP/1.1 200') || !new RegExp(`X-Nomad-Index: ${want}\\r`).test(head!)) bad++;
        bodies.add(body!);
      }
      for (const c of conns) c.socket.destroy();
      console.log(
        `${round}: ${n} readers released by one write in ${wall.toFixed(0)} ms wall (loaded machine), server CPU ${cpu.toFixed(0)} ms ` +
          `(${((cpu * 1000) / n).toFixed(1)} µs/reader); parked: RSS +${mb(parked.rss - before.rss)} MB ` +
          `(${((parked.rss - before.rss) / n / 1024).toFixed(2)} KB/reader), heap +${mb(parked.heapUsed - before.heapUsed)} MB ` +
          `(${((parked.heapUsed - before.heapUsed) / n / 1024).toFixed(2)} KB/reader); distinct bodies ${bodies.size}, wrong answers ${bad}`,
      );
      while ((await s.call<number>('waiting')) > 0) await sleep(50);
      await sleep(300);
    }
  } finally {
    await s.call('close').catch(() => {});
    s.child.kill();
  }
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
else if (mode === 'subscribe') subscribe(nums[0]!, nums[1]!);
else if (mode === 'readers') await readers(nums[0] ?? 10_000, flag('--profile'), flag('--heap'));
else if (mode === 'events') await events(nums[0] ?? 1000, nums[1] ?? 300, flag('--profile'));
else console.error('usage: fanout-probe readers [N] [--profile DIR] [--heap DIR] | events [M] [K]');
