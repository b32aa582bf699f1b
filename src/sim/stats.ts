// Resource usage as a simulated client reports it (client/structs AllocResourceUsage and HostStats):
// a pure function of the state and the simulated clock, so the same moment always gives the same
// figures. Each task uses a share of what it reserved that changes every STEP of simulated time;
// a node's usage is its running tasks' usage plus a little for the host itself, never more than it has.
import type { Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import { groupTasks } from './client-api.js';

/** How often the simulated figures change (Nomad's clients collect every second; this is coarser). */
const STEP_NS = 10e9;
const MIB = 1024 * 1024;
/** Of the share drawn each step: memory between 30 % and 90 % of the reservation, CPU 5 % to 65 %. */
const MEM_BASE = 0.3;
const MEM_SPAN = 0.6;
const CPU_BASE = 0.05;
const CPU_SPAN = 0.6;
/** Steps a task's peak memory is searched over; past them the peak is the highest the model allows. */
const PEAK_STEPS = 1024;

/** A value in [0, 1) drawn from `key` (FNV-1a, then a final mix). */
function draw(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) / 2 ** 32;
}

const step = (ns: number): number => Math.floor(ns / STEP_NS);

/** What drivers report measuring (the executor's cgroup figures, docker's, the mock driver's RSS only). */
function measured(driver: string): { mem: string[]; cpu: string[] | null } {
  switch (driver) {
    case 'docker':
      return { mem: ['RSS', 'Cache', 'Swap', 'Usage', 'Max Usage'], cpu: ['Throttled Periods', 'Throttled Time', 'Percent'] };
    case 'raw_exec':
      return { mem: ['RSS', 'Swap'], cpu: ['System Mode', 'User Mode', 'Percent'] };
    case 'mock_driver':
      return { mem: ['RSS'], cpu: null };
    default:
      return { mem: ['RSS', 'Cache', 'Swap', 'Usage', 'Max Usage', 'Kernel Usage', 'Kernel Max Usage'], cpu: ['System Mode', 'User Mode', 'Throttled Periods', 'Throttled Time', 'Percent'] };
  }
}

interface Reservation {
  cpuMHz: number;
  memoryMB: number;
}

function reservation(alloc: Obj, task: Obj): Reservation {
  const r = (alloc.AllocatedResources?.Tasks as Obj | undefined)?.[task.Name] as Obj | undefined;
  return {
    cpuMHz: Number(r?.Cpu?.CpuShares ?? task.Resources?.CPU ?? 100),
    memoryMB: Number(r?.Memory?.MemoryMB ?? task.Resources?.MemoryMB ?? 300),
  };
}

/** The node's MHz per core (HostStats and the CPU percentages are per core). */
function mhzPerCore(node: Obj | undefined): number {
  const cpu = node?.NodeResources?.Cpu as Obj | undefined;
  const cores = Math.max(1, Number(cpu?.TotalCpuCores ?? 1));
  return Math.max(1, Number(cpu?.CpuShares ?? 1000) / cores);
}

interface Usage {
  rss: number;
  cache: number;
  maxUsage: number;
  ticks: number;
}

/** A task's usage at `at` (ns); `key` identifies the task (alloc ID and name). */
function usageAt(key: string, res: Reservation, at: number, startedAt: number, withPeak: boolean): Usage {
  const k = step(at);
  const mem = res.memoryMB * MIB;
  const share = (j: number): number => MEM_BASE + MEM_SPAN * draw(`${key}/mem/${j}`);
  const now = share(k);
  // Peak: the highest share since the task started, searched over the last PEAK_STEPS steps; a task
  // older than that has reached the ceiling (so the peak never falls as time goes on).
  const first = step(startedAt);
  let peak = now;
  if (!withPeak) peak = now;
  else if (k - first >= PEAK_STEPS) peak = MEM_BASE + MEM_SPAN;
  else for (let j = first; j < k; j++) peak = Math.max(peak, share(j));
  const usage = Math.floor(mem * now);
  const rss = Math.floor(usage * 0.85);
  return { rss, cache: usage - rss, maxUsage: Math.floor(mem * peak), ticks: res.cpuMHz * (CPU_BASE + CPU_SPAN * draw(`${key}/cpu/${k}`)) };
}

function memoryStats(u: Usage | null, names: string[] | null): Obj {
  const has = (n: string): boolean => names?.includes(n) ?? false;
  return {
    RSS: u && has('RSS') ? u.rss : 0,
    Cache: u && has('Cache') ? u.cache : 0,
    Swap: 0,
    MappedFile: 0,
    Usage: u && has('Usage') ? u.rss + u.cache : 0,
    MaxUsage: u && has('Max Usage') ? u.maxUsage : 0,
    KernelUsage: 0,
    KernelMaxUsage: 0,
    Measured: names,
  };
}

function cpuStats(u: Usage | null, names: string[] | null, perCore: number): Obj {
  const has = (n: string): boolean => names?.includes(n) ?? false;
  const percent = u ? (u.ticks / perCore) * 100 : 0;
  return {
    SystemMode: has('System Mode') ? percent * 0.2 : 0,
    UserMode: has('User Mode') ? percent * 0.8 : 0,
    TotalTicks: u ? u.ticks : 0,
    ThrottledPeriods: 0,
    ThrottledTime: 0,
    Percent: percent,
    Measured: names,
  };
}

/** When the task's current or last run was measured: now while it runs, else when it stopped. */
function sampleTime(st: Obj | undefined, now: number): { at: number; startedAt: number } | null {
  const started = st?.StartedAt ? Date.parse(st.StartedAt) * 1e6 : 0;
  if (!started) return null;
  if (st!.State === 'running') return { at: now, startedAt: started };
  const ended = st!.State === 'dead' && st!.FinishedAt ? Date.parse(st!.FinishedAt) * 1e6 : st!.LastRestart ? Date.parse(st!.LastRestart) * 1e6 : started;
  return { at: Math.max(started, Math.min(ended, now)), startedAt: started };
}

/** `withPeak`: also search the peak (host stats, summing many tasks, need no peak). */
function taskUsage(alloc: Obj, task: Obj, now: number, withPeak: boolean): { usage: Usage; at: number } | null {
  const sample = sampleTime((alloc.TaskStates as Obj | null)?.[task.Name] as Obj | undefined, now);
  if (!sample) return null;
  return { usage: usageAt(`${alloc.ID}/${task.Name}`, reservation(alloc, task), sample.at, sample.startedAt, withPeak), at: sample.at };
}

/** Go's joinStringSet, in first-seen order. */
function join(a: string[] | null, b: string[] | null): string[] | null {
  if (!b) return a;
  const out = [...(a ?? [])];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out;
}

/**
 * AllocResourceUsage (allocRunner.LatestAllocStats): each task that has run reports its latest
 * figures (a task that never started is left out); the alloc's are their sum. `taskFilter` keeps one
 * task (an unknown one leaves Tasks empty, as Nomad's filter does).
 */
export function allocStats(store: Store, alloc: Obj, taskFilter: string, now: number): Obj {
  const perCore = mhzPerCore(store.nodes.get(alloc.NodeID));
  const mem = memoryStats(null, null);
  const cpu = cpuStats(null, null, perCore);
  const tasks: Obj = {};
  let timestamp = 0;
  const add = (into: Obj, from: Obj): void => {
    for (const [k, v] of Object.entries(from)) if (typeof v === 'number') into[k] += v;
    into.Measured = join(into.Measured, from.Measured);
  };
  for (const task of groupTasks(alloc)) {
    if (taskFilter !== '' && task.Name !== taskFilter) continue;
    const got = taskUsage(alloc, task, now, true);
    if (!got) continue;
    const m = measured(String(task.Driver));
    const tm = memoryStats(got.usage, m.mem);
    const tc = m.cpu ? cpuStats(got.usage, m.cpu, perCore) : null;
    tasks[task.Name] = { ResourceUsage: { MemoryStats: tm, CpuStats: tc, DeviceStats: [] }, Timestamp: got.at, Pids: null };
    add(mem, tm);
    if (tc) add(cpu, tc);
    timestamp = Math.max(timestamp, got.at);
  }
  return { ResourceUsage: { MemoryStats: mem, CpuStats: cpu, DeviceStats: [] }, Tasks: tasks, Timestamp: timestamp };
}

/** The host's own share of memory and CPU, besides its allocations. */
const HOST_MEM_SHARE = 0.05;
const HOST_CPU_SHARE = 0.02;

/**
 * HostStats of a simulated node: memory and CPU are its running tasks' usage plus the host's own,
 * capped at what the node has; disks are its DiskMB, partly used by its allocs' ephemeral disks.
 */
export function hostStats(store: Store, node: Obj, now: number): Obj {
  const totalMem = Number(node.NodeResources?.Memory?.MemoryMB ?? 0) * MIB;
  const cpu = node.NodeResources?.Cpu as Obj | undefined;
  const cores = Math.max(1, Number(cpu?.TotalCpuCores ?? 1));
  const totalMHz = Math.max(1, Number(cpu?.CpuShares ?? 1000));
  const diskBytes = Number(node.NodeResources?.Disk?.DiskMB ?? 0) * MIB;
  let memUsed = totalMem * HOST_MEM_SHARE * (0.8 + 0.4 * draw(`${node.ID}/mem/${step(now)}`));
  let ticks = totalMHz * HOST_CPU_SHARE * (0.5 + draw(`${node.ID}/cpu/${step(now)}`));
  let diskUsed = diskBytes * 0.1;
  for (const alloc of store.allocs.values()) {
    if (alloc.NodeID !== node.ID || alloc.TaskStates === null) continue;
    if (alloc.ClientStatus === 'running' || alloc.ClientStatus === 'pending') {
      for (const task of groupTasks(alloc)) {
        const st = (alloc.TaskStates as Obj)[task.Name] as Obj | undefined;
        if (st?.State !== 'running') continue;
        const got = taskUsage(alloc, task, now, false);
        if (!got) continue;
        memUsed += got.usage.rss + got.usage.cache;
        ticks += got.usage.ticks;
      }
      diskUsed += Number(alloc.AllocatedResources?.Shared?.DiskMB ?? 0) * MIB * 0.2;
    }
  }
  memUsed = Math.floor(Math.min(memUsed, totalMem));
  ticks = Math.min(ticks, totalMHz);
  diskUsed = Math.floor(Math.min(diskUsed, diskBytes));
  const available = totalMem - memUsed;
  const busy = (ticks / totalMHz) * 100;
  const cpus: Obj[] = [];
  for (let i = 0; i < cores; i++) {
    // The cores share the load unevenly, around the node's average.
    const total = Math.min(100, Math.max(0, busy * (0.75 + 0.5 * draw(`${node.ID}/core/${i}/${step(now)}`))));
    cpus.push({ CPU: `cpu${i}`, User: total * 0.7, System: total * 0.3, Idle: 100 - total, Total: total });
  }
  const disk = (device: string, mountpoint: string): Obj => ({
    Device: device,
    Mountpoint: mountpoint,
    Size: diskBytes,
    Used: diskUsed,
    Available: diskBytes - diskUsed,
    UsedPercent: diskBytes > 0 ? (diskUsed / diskBytes) * 100 : 0,
    InodesUsedPercent: diskBytes > 0 ? (diskUsed / diskBytes) * 2 : 0,
  });
  const registered = Number(node.StatusUpdatedAt ?? 0);
  return {
    Memory: { Total: totalMem, Available: available, Used: memUsed, Free: Math.floor(available * 0.6) },
    CPU: cpus,
    DiskStats: [disk('/dev/vda1', '/')],
    AllocDirStats: disk('', ''),
    DeviceStats: [],
    // The host came up shortly before its client first registered.
    Uptime: Math.max(0, Math.floor(now / 1e9) - registered) + 60,
    Timestamp: now,
    CPUTicksConsumed: ticks,
  };
}
