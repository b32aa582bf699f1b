// The allocation and deployment records a scheduler pass creates (reconcile.ts), field for field in
// Nomad's order.
import type { Evaluation, Job, Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import { DeploymentText } from '../../state/deployments/table.js';
import { portFor } from '../../state/jobs/children.js';
import { activeRootKeyId } from '../../state/operator/keyring.js';
import { sameTree } from '../../state/share.js';

/** What a placement links its new alloc to beyond its deployment; every field of the record the plan sets beyond the defaults. */
export interface PlacementLinks {
  PreviousAllocation?: string;
  RescheduleTracker?: Obj | null;
  DeploymentStatus?: Obj | null;
}

export function newAllocation(store: Store, job: Job, ev: Evaluation, nowNs: number, tg: Obj, name: string, node: Obj, metric: Obj, deploymentId: string, links: PlacementLinks, memoryOversubscription = false): Obj {
  const id = store.newId();
  const res = allocResources(tg, memoryOversubscription, id, node);
  return {
    ID: id,
    Namespace: job.Namespace,
    EvalID: ev.ID,
    Name: name,
    NodeID: node.ID,
    NodeName: node.Name,
    JobID: job.ID,
    Job: job,
    TaskGroup: tg.Name,
    Resources: null,
    SharedResources: res.shared,
    TaskResources: res.tasks,
    AllocatedResources: res.allocated,
    Metrics: sharedMetrics(metric),
    DesiredStatus: 'run',
    DesiredDescription: '',
    // Shared by every alloc: a stored record is never changed in place (a transition is a new copy).
    DesiredTransition: EMPTY_TRANSITION,
    ClientStatus: 'pending',
    ClientDescription: '',
    TaskStates: null,
    AllocStates: null,
    // Set here rather than spread over the literal: a spread into a record this wide copies it
    // property by property through the runtime.
    PreviousAllocation: links.PreviousAllocation ?? '',
    NextAllocation: '',
    DeploymentID: deploymentId,
    DeploymentStatus: links.DeploymentStatus ?? null,
    RescheduleTracker: links.RescheduleTracker ?? null,
    NetworkStatus: null,
    FollowupEvalID: '',
    PreemptedAllocations: null,
    PreemptedByAllocation: '',
    // The plan applier signs every task's workload identity with the active root key.
    SigningKeyID: activeRootKeyId(store),
    CreateIndex: 0,
    ModifyIndex: 0,
    AllocModifyIndex: 0,
    CreateTime: nowNs,
    ModifyTime: nowNs,
  };
}

/** A deployment for the job's current version: one entry per group with an update strategy. */
export function newDeployment(store: Store, job: Job, ev: Evaluation, nowNs: number): Obj {
  const groups: Obj = {};
  // By index: job group lists are frozen or not, and a for-of over both allocates per step.
  for (let i = 0; i < job.TaskGroups.length; i++) {
    const tg = job.TaskGroups[i]!;
    if (!((tg.Update?.MaxParallel ?? 0) > 0)) continue;
    groups[tg.Name] = {
      AutoRevert: Boolean(tg.Update.AutoRevert),
      AutoPromote: Boolean(tg.Update.AutoPromote),
      ProgressDeadline: tg.Update.ProgressDeadline ?? 0,
      RequireProgressBy: null,
      Promoted: false,
      PlacedCanaries: null,
      DesiredCanaries: 0,
      DesiredTotal: job.Type === 'system' ? 0 : tg.Count,
      PlacedAllocs: 0,
      HealthyAllocs: 0,
      UnhealthyAllocs: 0,
    };
  }
  return {
    ID: store.newId(),
    Namespace: job.Namespace,
    JobID: job.ID,
    JobVersion: job.Version,
    JobModifyIndex: job.ModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex,
    IsMultiregion: false,
    TaskGroups: groups,
    Status: 'running',
    StatusDescription: DeploymentText.running,
    EvalPriority: ev.Priority,
    CreateIndex: 0,
    ModifyIndex: 0,
    CreateTime: nowNs,
    ModifyTime: 0,
  };
}

/** DesiredTransition with nothing asked for (every field a nil *bool). */
export const EMPTY_TRANSITION = Object.freeze({ Migrate: null, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null, MigrateDisablePlacement: null });

/** structs.Resources with every field zero (the struct has no omitempty: all of them are sent). */
const LEGACY_RESOURCES = Object.freeze({ CPU: 0, Cores: 0, MemoryMB: 0, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null, NUMA: null, SecretsMB: 0 });

interface AllocResources {
  allocated: Obj;
  /** The deprecated Resources-typed copies the scheduler still fills "for compat reasons". */
  shared: Obj;
  tasks: Obj;
}

/**
 * Identical resource sets, shared between allocs. Most allocs of a cluster ask for the same few
 * shapes, and these three sub-objects are a third of an alloc record; stored records are immutable,
 * so one copy serves them all. Only groups without a network are shared (their ports and
 * addresses are the alloc's own). The pool is content-addressed (the same inputs give the same
 * object's JSON), so it carries no state a reset must clear; it is emptied when it grows too big.
 */
const pool = new Map<string, AllocResources>();
const POOL_LIMIT = 4096;

/**
 * The pooled sets of a frozen group (one per oversubscription setting): a frozen group's resources
 * cannot change, so its placements skip building the pool's key.
 */
const byGroup = new WeakMap<Obj, [AllocResources | undefined, AllocResources | undefined]>();

function allocResources(tg: Obj, memoryOversubscription: boolean, allocId: string, node: Obj): AllocResources {
  const shareable = !(tg.Networks as Obj[] | null)?.length;
  if (!shareable) return buildResources(tg, memoryOversubscription, allocId, node, null);
  const frozen = Object.isFrozen(tg);
  const slot = memoryOversubscription ? 1 : 0;
  const known = frozen ? byGroup.get(tg) : undefined;
  const mine = known?.[slot];
  if (mine) return mine;
  const res = buildResources(tg, memoryOversubscription, allocId, node, resourceKey(tg, memoryOversubscription));
  if (frozen) {
    if (known) known[slot] = res;
    else byGroup.set(tg, slot === 1 ? [undefined, res] : [res, undefined]);
  }
  return res;
}

/** The group's sets, from the pool when `key` (a shareable group's) is there. */
function buildResources(tg: Obj, memoryOversubscription: boolean, allocId: string, node: Obj, key: string | null): AllocResources {
  const hit = key === null ? undefined : pool.get(key);
  if (hit) return hit;
  const allocated = allocatedResources(tg, memoryOversubscription, allocId, node);
  const res: AllocResources = {
    allocated,
    shared: { ...LEGACY_RESOURCES, DiskMB: allocated.Shared.DiskMB, Networks: allocated.Shared.Networks },
    tasks: oldTaskResources(allocated),
  };
  if (key === null) return res;
  if (pool.size >= POOL_LIMIT) pool.clear();
  pool.set(key, res);
  return res;
}

/**
 * Placements on the same cluster mostly report the same AllocMetric (no per-node scores are kept):
 * equal ones share one object, pooled by their JSON as `pool` is.
 */
const metricsPool = new Map<string, Obj>();

/** The scheduler's AllocationTime for every placement, ns. */
const ALLOCATION_TIME = 150000;

let lastMetrics: Obj | null = null;
let lastMetricsKeys: string[] = [];

/** The alloc's AllocMetric: the placement's metric with its AllocationTime, shared with equal ones. */
function sharedMetrics(metric: Obj): Obj {
  // Placements in a row mostly report the same metric: equal to the last one handed out (same keys
  // in the same order, same values), it is that one, without a copy or the JSON key.
  if (lastMetrics !== null && sameAsPlaced(lastMetrics, lastMetricsKeys, metric)) return lastMetrics;
  lastMetrics = sharedMetricsByJson({ ...metric, AllocationTime: ALLOCATION_TIME });
  lastMetricsKeys = Object.keys(lastMetrics);
  return lastMetrics;
}

/** sameTree(placed, { ...metric, AllocationTime }) without making the copy. */
function sameAsPlaced(placed: Obj, keys: string[], metric: Obj): boolean {
  let i = 0;
  for (const k in metric) {
    if (k !== keys[i]) return false;
    if (k === 'AllocationTime' ? !Object.is(placed[k], ALLOCATION_TIME) : !sameTree(placed[k], metric[k])) return false;
    i++;
  }
  return i === keys.length;
}

function sharedMetricsByJson(m: Obj): Obj {
  const key = JSON.stringify(m);
  const hit = metricsPool.get(key);
  if (hit) return hit;
  if (metricsPool.size >= POOL_LIMIT) metricsPool.clear();
  metricsPool.set(key, m);
  return m;
}

/** Everything allocatedResources reads of a group without a network, as one string. */
function resourceKey(tg: Obj, memoryOversubscription: boolean): string {
  let key = `${memoryOversubscription ? 1 : 0}|${JSON.stringify(tg.EphemeralDisk?.SizeMB ?? 300)}`;
  for (const t of (tg.Tasks as Obj[]) ?? []) {
    const r = t.Resources;
    key += `|${JSON.stringify([t.Name, r?.CPU ?? 100, r?.MemoryMB ?? 300, memoryOversubscription ? (r?.MemoryMaxMB ?? 0) : 0, t.Lifecycle ?? null])}`;
  }
  return key;
}

/** AllocatedResources.OldTaskResources: per task, CPU, memory and networks as a Resources. */
function oldTaskResources(allocated: Obj): Obj {
  const out: Obj = {};
  for (const [name, r] of Object.entries(allocated.Tasks as Obj)) {
    out[name] = { ...LEGACY_RESOURCES, CPU: r.Cpu.CpuShares, MemoryMB: r.Memory.MemoryMB, MemoryMaxMB: r.Memory.MemoryMaxMB, Networks: r.Networks };
  }
  return out;
}

/**
 * The group network as the BinPackIterator offers it (AssignPorts + AllocatedPortsToNetworkResouce):
 * the ask with the node's host address and each dynamic port's value, plus the port mappings
 * (reserved ports first, then dynamic; `to = -1` maps to the host port). Port values are the ones
 * the simulated client and the service registrations use (`portFor`).
 */
function groupNetwork(tg: Obj, allocId: string, node: Obj): { networks: Obj[] | null; ports: Obj[] | null } {
  const ask = ((tg.Networks as Obj[] | null) ?? [])[0];
  if (!ask) return { networks: null, ports: null };
  const ip = String(node.Attributes?.['unique.network.ip-address'] ?? '127.0.0.1');
  const ports: Obj[] = [];
  for (const p of (ask.ReservedPorts as Obj[] | undefined) ?? []) ports.push(mapping(p.Label, p.Value ?? 0, p.To ?? 0, ip));
  const dynamic = ((ask.DynamicPorts as Obj[] | undefined) ?? []).map((p) => {
    const value = portFor(tg, allocId, p.Label);
    const m = mapping(p.Label, value, p.To === -1 ? value : (p.To ?? 0), ip);
    ports.push(m);
    return inOrder({ ...p, Value: value, To: m.To }, PORT_FIELDS);
  });
  const net = inOrder({ ...ask, IP: ip, DynamicPorts: dynamic }, NETWORK_FIELDS);
  return { networks: [net], ports: ports.length > 0 ? ports : null };
}

// NetworkResource and Port are omitempty structs: fields in declaration order, zero ones left out.
const NETWORK_FIELDS = ['Mode', 'Device', 'CIDR', 'IP', 'Hostname', 'MBits', 'DNS', 'ReservedPorts', 'DynamicPorts', 'CNI'];
const PORT_FIELDS = ['Label', 'Value', 'To', 'HostNetwork', 'IgnoreCollision'];

function inOrder(o: Obj, fields: string[]): Obj {
  const out: Obj = {};
  for (const k of fields) {
    const v = o[k];
    if (v !== undefined && v !== null && v !== '' && v !== 0 && v !== false && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  }
  return out;
}

/** AllocatedPortMapping: an omitempty struct on the wire, so a zero `To` is left out. */
function mapping(label: string, value: number, to: number, hostIp: string): Obj {
  return to ? { Label: label, Value: value, To: to, HostIP: hostIp } : { Label: label, Value: value, HostIP: hostIp };
}

/** The BinPackIterator's task resources: `memory_max` is kept only while oversubscription is enabled. */
function allocatedResources(tg: Obj, memoryOversubscription: boolean, allocId: string, node: Obj): Obj {
  const tasks: Obj = {};
  const lifecycles: Obj = {};
  for (const t of (tg.Tasks as Obj[]) ?? []) {
    tasks[t.Name] = {
      Cpu: { CpuShares: t.Resources?.CPU ?? 100, ReservedCores: null },
      Memory: { MemoryMB: t.Resources?.MemoryMB ?? 300, MemoryMaxMB: memoryOversubscription ? (t.Resources?.MemoryMaxMB ?? 0) : 0 },
      Networks: null,
      Devices: null,
    };
    lifecycles[t.Name] = t.Lifecycle ?? null;
  }
  const { networks, ports } = groupNetwork(tg, allocId, node);
  return { Tasks: tasks, TaskLifecycles: lifecycles, Shared: { DiskMB: tg.EphemeralDisk?.SizeMB ?? 300, Networks: networks, Ports: ports } };
}
