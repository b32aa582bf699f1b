// Where a parked reader's memory goes (issue 16), read the way the `fanout` bench reads it. Each
// server is started as the bench starts it (nomad-mock's bin with `--clock manual`, bare Fastify
// answering the recorded bytes), with one more Node option, `--inspect-port=<free port>`, which
// activates nothing until the probe sends SIGUSR1 (no V8 flag, so the code cache still loads).
// The probe attaches the inspector before the first reading, then reads at three points: idle
// before the readers, parked and idle (the bench's reading: RSS delta ÷ N, no GC), and parked
// after a full GC through the inspector (`HeapProfiler.collectGarbage`). Each reading is the RSS
// from /proc, `process.memoryUsage()` and V8's heap spaces (used, committed and resident), so the
// RSS delta splits into the V8 heap's live objects, its garbage and spare pages, and off-heap
// memory (malloc: Node's C++ objects per socket and parser, libuv handles).
//
//   node dist/bench/fanout-mem.js [N=10000] [--servers mock,bare] [--heap DIR] [--rounds R]
//
// `--heap DIR` writes heap snapshots (idle, parked) and prints the objects added per reader by
// constructor (count and self bytes), the largest first.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { recordFile } from './baseline.js';
import { benchFile, binPath, ok, request, ROOT, rssMb, untilIdle } from './http.js';
import { webJob } from './jobs.js';
import { rawReader, type Reader } from './raw-reader.js';

const args = process.argv.slice(2);
const flag = (name: string): string | null => {
  const i = args.indexOf(name);
  return i < 0 ? null : args[i + 1]!;
};
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 10_000);
const servers = (flag('--servers') ?? 'mock,bare').split(',');
const heapDir = flag('--heap');
const rounds = Number(flag('--rounds') ?? 1);
const settle = args.includes('--settle');
const smaps = args.includes('--smaps');
const alloc = args.includes('--alloc');
const nodeOptions = (flag('--node-options') ?? '').split(' ').filter(Boolean);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** A minimal Chrome DevTools protocol client over the inspector's websocket. */
class Inspector {
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Map<string, (params: any) => void>();
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string }; method?: string; params?: unknown };
      if (m.id !== undefined) {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        if (m.error) p?.reject(new Error(m.error.message));
        else p?.resolve(m.result);
      } else if (m.method) this.listeners.get(m.method)?.(m.params);
    });
  }
  static async attach(pid: number, port: number): Promise<Inspector> {
    process.kill(pid, 'SIGUSR1');
    for (let i = 0; ; i++) {
      try {
        const list = JSON.parse((await request(port, 'GET', '/json/list')).body) as { webSocketDebuggerUrl: string }[];
        const ws = new WebSocket(list[0]!.webSocketDebuggerUrl, { perMessageDeflate: false, maxPayload: 2 ** 31 });
        await new Promise((r, j) => ws.once('open', r).once('error', j));
        return new Inspector(ws);
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }
  post<T = any>(method: string, params: object = {}): Promise<T> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ id, method, params }));
    });
  }
  on(method: string, fn: (params: any) => void): void {
    this.listeners.set(method, fn);
  }
  close(): void {
    this.ws.close();
  }
}

interface Space {
  space_name: string;
  space_size: number;
  space_used_size: number;
  space_available_size: number;
  physical_space_size: number;
}
interface Reading {
  rss: number;
  mu: NodeJS.MemoryUsage;
  spaces: Space[];
  anon: number;
  /** Resident bytes of the main malloc arena (the brk heap). */
  brk: number;
}

/** Resident bytes of the `[heap]` mapping: glibc's main arena, where Node's C++ objects go. */
/** Each mapping's resident bytes by start address, with its size and name (`--smaps`: what grew). */
function mappings(pid: number): Map<string, { size: number; rss: number; name: string }> {
  const out = new Map<string, { size: number; rss: number; name: string }>();
  let cur: { size: number; rss: number; name: string } | null = null;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = { size: parseInt(head[2]!, 16) - parseInt(head[1]!, 16), rss: 0, name: head[3]! };
      out.set(head[1]!, cur);
    } else if (cur && line.startsWith('Rss:')) cur.rss = Number(/(\d+)/.exec(line)![1]) * 1024;
  }
  return out;
}

function mappingDiff(a: Map<string, { size: number; rss: number; name: string }>, b: Map<string, { size: number; rss: number; name: string }>): void {
  const rows: string[] = [];
  for (const [at, m] of b) {
    const d = m.rss - (a.get(at)?.rss ?? 0);
    if (Math.abs(d) >= 1048576) rows.push(`${at} size ${(m.size / 1048576).toFixed(1)} MB ${m.name || '(anon)'} ${d > 0 ? '+' : ''}${(d / 1048576).toFixed(1)} MB${a.has(at) ? '' : ' (new)'}`);
  }
  console.log(`    mappings that grew or shrank by 1 MB or more:\n      ${rows.join('\n      ')}`);
}

function brkResident(pid: number): number {
  const smaps = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const at = smaps.indexOf(' [heap]\n');
  if (at < 0) return 0;
  return Number(/Rss:\s+(\d+) kB/.exec(smaps.slice(at))![1]) * 1024;
}

/** The process's memory as seen from inside (through the inspector) and from /proc. */
async function read(insp: Inspector, pid: number): Promise<Reading> {
  const rss = rssMb(pid) * 1048576;
  const anon = Number(/Anonymous:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? NaN) * 1024;
  const expr = `JSON.stringify({ mu: process.memoryUsage(), spaces: process.getBuiltinModule('v8').getHeapSpaceStatistics() })`;
  const r = await insp.post<{ result: { value: string } }>('Runtime.evaluate', { expression: expr, returnByValue: true });
  const { mu, spaces } = JSON.parse(r.result.value) as { mu: NodeJS.MemoryUsage; spaces: Space[] };
  return { rss, anon, mu, spaces, brk: brkResident(pid) };
}

const kb = (bytes: number): string => (bytes / N / 1024).toFixed(2);

function breakdown(label: string, a: Reading, b: Reading): void {
  const sum = (r: Reading, k: keyof Space): number => r.spaces.reduce((s, x) => s + (x[k] as number), 0);
  const dRss = b.rss - a.rss;
  const dPhys = sum(b, 'physical_space_size') - sum(a, 'physical_space_size');
  console.log(
    `  ${label}: RSS +${kb(dRss)} KB/reader (anonymous +${kb(b.anon - a.anon)}); V8 heap resident +${kb(dPhys)} ` +
      `(committed +${kb(sum(b, 'space_size') - sum(a, 'space_size'))}, used +${kb(sum(b, 'space_used_size') - sum(a, 'space_used_size'))}); ` +
      `off the V8 heap +${kb(dRss - dPhys)} (main malloc arena +${kb(b.brk - a.brk)}); external +${kb(b.mu.external - a.mu.external)}`,
  );
  const rows = b.spaces.map((s) => {
    const o = a.spaces.find((x) => x.space_name === s.space_name)!;
    return `${s.space_name.replace('_space', '')} used ${kb(s.space_used_size - o.space_used_size)} resident ${kb(s.physical_space_size - o.physical_space_size)}`;
  });
  console.log(`    per space (KB/reader): ${rows.join('; ')}`);
}

/** Heap snapshot → count and self size per constructor name. */
async function snapshot(insp: Inspector, name: string): Promise<Map<string, { count: number; size: number }>> {
  const chunks: string[] = [];
  insp.on('HeapProfiler.addHeapSnapshotChunk', (p: { chunk: string }) => chunks.push(p.chunk));
  await insp.post('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  const text = chunks.join('');
  mkdirSync(heapDir!, { recursive: true });
  writeFileSync(join(heapDir!, `${name}.heapsnapshot`), text);
  const snap = JSON.parse(text) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[]; strings: string[] };
  const f = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [iType, iName, iSize, width] = [f.indexOf('type'), f.indexOf('name'), f.indexOf('self_size'), f.length];
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + iType]!]!;
    const key = type === 'object' || type === 'closure' ? `${type === 'closure' ? 'closure ' : ''}${snap.strings[snap.nodes[i + iName]!]}` : `(${type})`;
    const e = out.get(key) ?? { count: 0, size: 0 };
    e.count++;
    e.size += snap.nodes[i + iSize]!;
    out.set(key, e);
  }
  return out;
}

function diff(a: Map<string, { count: number; size: number }>, b: Map<string, { count: number; size: number }>): void {
  const rows: [string, number, number][] = [];
  for (const [k, v] of b) {
    const o = a.get(k) ?? { count: 0, size: 0 };
    rows.push([k, v.count - o.count, v.size - o.size]);
  }
  rows.sort((x, y) => y[2] - x[2]);
  let total = 0;
  for (const r of rows) total += r[2];
  console.log(`    heap snapshot: +${kb(total)} KB/reader live; by constructor (count per reader, bytes per reader):`);
  for (const [k, c, s] of rows.slice(0, 30)) if (s / N >= 8) console.log(`      ${(c / N).toFixed(2).padStart(6)} × ${k.slice(0, 70).padEnd(70)} ${(s / N).toFixed(0).padStart(6)} B`);
}

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
  id: number;
}
interface SamplingProfile {
  head: SampleNode;
  samples: { size: number; nodeId: number }[];
}

/** Bytes per allocating stack (innermost 3 frames), from the samples still in the profile. */
function bySite(p: SamplingProfile): Map<string, number> {
  const path = new Map<number, string>();
  const walk = (n: SampleNode, up: string[]): void => {
    const f = n.callFrame;
    const here = [`${f.functionName || '(anon)'} ${f.url.split('/').slice(-1)[0]}:${f.lineNumber + 1}`, ...up].slice(0, 3);
    path.set(n.id, here.join(' < '));
    for (const c of n.children) walk(c, here);
  };
  walk(p.head, []);
  const out = new Map<string, number>();
  for (const s of p.samples) {
    const k = path.get(s.nodeId) ?? '?';
    out.set(k, (out.get(k) ?? 0) + s.size);
  }
  return out;
}

function sampled(label: string, m: Map<string, number>): void {
  let total = 0;
  for (const v of m.values()) total += v;
  console.log(`    ${label}: ${kb(total)} in all`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`      ${kb(v).padStart(6)}  ${k.slice(0, 160)}`);
}

interface Child {
  child: ChildProcess;
  port: number;
  inspectPort: number;
  stop(): Promise<void>;
}

async function startChild(argv: string[], port: number, inspectPort: number): Promise<Child> {
  // `--node-options "…" --out FILE`: extra Node or V8 flags (e.g. --trace-gc) and where the child's stdout goes.
  const out = flag('--out');
  const stdout = out ? openSync(`${out}.${port}`, 'w') : 'ignore';
  const child = spawn(process.execPath, [`--inspect-port=${inspectPort}`, ...nodeOptions, ...argv], { stdio: ['ignore', stdout, 'ignore'] });
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const t0 = performance.now();
  for (;;) {
    try {
      if ((await request(port, 'GET', '/v1/job/web')).status > 0) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - t0 > 30_000) throw new Error(`${argv.join(' ')} did not start`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    child,
    port,
    inspectPort,
    stop: async () => {
      child.kill();
      await gone;
    },
  };
}

async function park(port: number, path: string): Promise<Reader[]> {
  const readers: Reader[] = [];
  for (let i = 0; i < N; i += 250) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(N, i + 250); j++) {
      const r = rawReader(port, path);
      readers.push(r);
      batch.push(r.sent);
    }
    await Promise.all(batch);
  }
  return readers;
}

async function measure(kind: string, s: Child, path: string, release: () => Promise<unknown>, round: number): Promise<void> {
  const pid = s.child.pid!;
  const insp = await Inspector.attach(pid, s.inspectPort);
  try {
    await untilIdle(pid);
    const idle = await read(insp, pid);
    const snapIdle = heapDir ? await snapshot(insp, `${kind}-${round}-idle`) : null;
    if (snapIdle) await untilIdle(pid);
    const idle2 = snapIdle ? await read(insp, pid) : idle;
    const maps0 = smaps ? mappings(pid) : null;
    if (nodeOptions.length) console.log(`${kind}: parking starts (${new Date().toISOString()})`);
    if (alloc) await insp.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
    const readers = await park(s.port, path);
    await untilIdle(pid);
    const parked = await read(insp, pid);
    console.log(`${kind} round ${round}: ${N} readers parked`);
    breakdown('as the bench reads it (idle, no GC)', idle2, parked);
    if (maps0) mappingDiff(maps0, mappings(pid));
    // Sampled allocations still counted at the reading (live, or promoted and not yet collected),
    // then those a full GC leaves: the difference is the garbage the parking left in the old space.
    const promoted = alloc ? await insp.post<{ profile: SamplingProfile }>('HeapProfiler.getSamplingProfile') : null;
    if (settle) {
      // Without a forced GC: what V8's own memory reducer does to an idle server with readers parked.
      const t = performance.now();
      const series: string[] = [];
      for (const at of [2, 5, 10, 15, 20, 30]) {
        await new Promise((r) => setTimeout(r, at * 1000 - (performance.now() - t)));
        series.push(`${at} s ${kb(rssMb(pid) * 1048576 - idle2.rss)}`);
      }
      console.log(`  RSS per reader while parked and idle, no forced GC (KB): ${series.join(', ')}`);
      breakdown('after 30 s parked and idle, no forced GC', idle2, await read(insp, pid));
    }
    await insp.post('HeapProfiler.collectGarbage');
    await untilIdle(pid);
    const collected = await read(insp, pid);
    breakdown('after a full GC (HeapProfiler.collectGarbage)', idle2, collected);
    if (promoted) {
      const { profile: live } = await insp.post<{ profile: SamplingProfile }>('HeapProfiler.stopSampling');
      sampled('allocated while parking and kept past the young generation (KB/reader, by allocating function)', bySite(promoted.profile));
      sampled('of those, alive after a full GC', bySite(live));
    }
    if (heapDir) diff(snapIdle!, await snapshot(insp, `${kind}-${round}-parked`));
    const ends = Promise.all(readers.map((r) => r.done));
    const t0 = performance.now();
    await release();
    const done = await ends;
    console.log(`  released in ${(Math.max(...done.map((d) => d.at)) - t0).toFixed(0)} ms wall`);
    for (const r of readers) r.socket.destroy();
  } finally {
    insp.close();
  }
}

for (let round = 0; round < rounds; round++) {
  for (const kind of servers) {
    const port = await freePort();
    const inspectPort = await freePort();
    if (kind === 'mock' || kind === 'mock-src') {
      // `mock-src`: the server from dist/src through createMockNomad (no bundle, no code cache), as the tests and probes run it.
      const argv =
        kind === 'mock'
          ? [binPath(), '--port', String(port), '--log-level', 'silent', '--clock', 'manual']
          : ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(ROOT, 'dist/src/index.js'))}); await m.createMockNomad({ port: ${port}, clock: 'manual', logLevel: 'silent' });`];
      const s = await startChild(argv, port, inspectPort);
      try {
        await ok(port, 'PUT', '/v1/jobs', webJob('web'));
        const job = await ok(port, 'GET', '/v1/job/web');
        const path = `/v1/job/web?index=${job.headers['x-nomad-index']}&wait=300s`;
        await measure(kind, s, path, () => ok(port, 'PUT', '/v1/jobs', webJob('web', `released-${round}`)), round);
      } finally {
        await s.stop();
      }
    } else {
      // The bench's baseline: bare Fastify answering nomad-mock's recorded bytes.
      const file = recordFile([
        { method: 'GET', url: '/v1/job/web', body: '{"ID":"web"}' },
        { method: 'PUT', url: '/v1/jobs', body: '{}' },
      ]);
      const s = await startChild([benchFile('bare-server.js'), file, String(port), ...(kind === 'node-http' ? ['--node-http'] : [])], port, inspectPort);
      try {
        await measure(kind, s, '/v1/job/web?index=1&wait=300s', () => request(port, 'PUT', '/v1/jobs', '{}'), round);
      } finally {
        await s.stop();
      }
    }
  }
}
