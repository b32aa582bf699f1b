// Simulated client nodes as Nomad's Node struct. They are registered at start-up (one write each,
// like a client's Node.Register) and change only when told to (state/nodes/ops.ts).
import type { Obj } from '../types.js';
import type { Store } from '../store.js';
import { ensurePool } from '../nodepools/table.js';
import { activeRootKeyId } from '../operator/keyring.js';
import { coreCount, processorResources } from './resources.js';
import { msOfNs } from '../format.js';

/** A driver as a client fingerprints it; the scheduler places a task only where its driver is both. */
export interface DriverState {
  detected?: boolean;
  healthy?: boolean;
}

export interface NodeSpec {
  /** A fixed node ID (a UUID); generated when absent. */
  id?: string;
  name: string;
  datacenter: string;
  nodePool: string;
  nodeClass?: string;
  cpu: number;
  memoryMB: number;
  diskMB: number;
  attributes?: Record<string, string>;
  meta?: Record<string, string>;
  /** Driver names (detected and healthy), or name → state; default: DEFAULT_DRIVERS, all healthy. */
  drivers?: string[] | Record<string, DriverState>;
}

/** The Connect defaults a client adds to its node's meta unless configured (client.go setupNode). */
export const CLIENT_META: Readonly<Record<string, string>> = {
  'connect.gateway_image': 'docker.io/envoyproxy/envoy:v${NOMAD_envoy_version}',
  'connect.log_level': 'info',
  'connect.proxy_concurrency': '1',
  'connect.sidecar_image': 'docker.io/envoyproxy/envoy:v${NOMAD_envoy_version}',
};

/** The drivers a `nomad agent -dev` client fingerprints. */
export const DEFAULT_DRIVERS = ['docker', 'exec', 'java', 'mock_driver', 'qemu', 'raw_exec'];

const DOCKER_VERSION = '27.3.1';

/** name → state, whatever form the spec gave. */
export function driverStates(spec: NodeSpec): Record<string, Required<DriverState>> {
  const out: Record<string, Required<DriverState>> = {};
  const given = spec.drivers ?? DEFAULT_DRIVERS;
  if (Array.isArray(given)) {
    for (const d of given) out[d] = { detected: true, healthy: true };
  } else {
    for (const [d, st] of Object.entries(given)) {
      const detected = st.detected ?? true;
      out[d] = { detected, healthy: detected && (st.healthy ?? true) };
    }
  }
  return out;
}

/** The `driver.<name>` attributes a client sets for the drivers it detected. */
export function driverAttributes(drivers: Record<string, Required<DriverState>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [d, st] of Object.entries(drivers)) {
    if (!st.detected) continue;
    out[`driver.${d}`] = '1';
    if (d === 'docker') out['driver.docker.version'] = DOCKER_VERSION;
  }
  return out;
}

function nodeAttributes(spec: NodeSpec, index: number, drivers: Record<string, Required<DriverState>>, version: string): Record<string, string> {
  const cores = coreCount(spec.cpu);
  const attrs: Record<string, string> = {
    'arch': 'x86_64',
    'cpu.arch': 'amd64',
    'cpu.frequency': '2500',
    'cpu.modelname': 'Simulated CPU @ 2.50GHz',
    'cpu.numcores': String(cores),
    'cpu.reservablecores': String(cores),
    'cpu.totalcompute': String(spec.cpu),
    'cpu.usablecompute': String(spec.cpu),
    ...driverAttributes(drivers),
    'kernel.arch': 'x86_64',
    'kernel.name': 'linux',
    'kernel.version': '6.8.0-45-generic',
    'memory.totalbytes': String(spec.memoryMB * 1024 * 1024),
    'nomad.advertise.address': `${nodeIp(index)}:4646`,
    'nomad.bridge.hairpin_mode': 'false',
    'nomad.revision': 'mock',
    'nomad.service_discovery': 'true',
    'nomad.version': version,
    'os.name': 'ubuntu',
    'os.signals': 'SIGINT,SIGKILL,SIGTERM,SIGHUP,SIGQUIT,SIGUSR1,SIGUSR2',
    'os.version': '24.04',
    'unique.cgroup.mountpoint': '/sys/fs/cgroup',
    'unique.cgroup.version': 'v2',
    'unique.hostname': spec.name,
    'unique.network.ip-address': nodeIp(index),
    'unique.storage.bytesfree': String(spec.diskMB * 1024 * 1024),
    'unique.storage.bytestotal': String(spec.diskMB * 1024 * 1024),
    'unique.storage.volume': '/dev/sda1',
  };
  // Keys in sorted order, as Go encodes a map; the spec's own attributes win.
  return sortedMap({ ...attrs, ...spec.attributes });
}

/** The node's `Drivers` map: one DriverInfo per driver the spec names. */
export function driverInfos(drivers: Record<string, Required<DriverState>>, rfc: string): Obj {
  const out: Obj = {};
  for (const d of Object.keys(drivers).sort()) {
    const st = drivers[d]!;
    const attrs = !st.detected ? null : d === 'docker' ? { 'driver.docker': 'true', 'driver.docker.version': DOCKER_VERSION } : { [`driver.${d}`]: 'true' };
    out[d] = { Attributes: attrs, Detected: st.detected, Healthy: st.healthy, HealthDescription: st.healthy ? 'Healthy' : st.detected ? 'Unhealthy' : '', UpdateTime: rfc };
  }
  return out;
}

/** The host part of a simulated node's address: 10.0.x.y, distinct for the first 65,000 nodes. */
function nodeIp(index: number): string {
  const n = 10 + index;
  return `10.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

/**
 * The node's default network: NetworkResource is encoded with struct-wide omitempty
 * (`_struct codec:",omitempty"`), so its empty fields (Hostname, DNS, ports, CNI) are left out.
 */
function hostNetwork(ip: string): Obj {
  return { Mode: 'host', Device: 'eth0', CIDR: `${ip}/32`, IP: ip, MBits: 1000 };
}

/** A Node as Nomad 1.11's structs.Node encodes it, fields in declaration order. */
export function buildNode(store: Store, spec: NodeSpec, index: number, raftIndex: number, id?: string): Obj {
  const now = store.nowNs();
  const rfc = new Date(msOfNs(now)).toISOString();
  const states = driverStates(spec);
  const drivers = driverInfos(states, rfc);
  const ip = nodeIp(index);
  return {
    ID: id ?? spec.id ?? store.newId(),
    SecretID: '',
    Datacenter: spec.datacenter,
    Name: spec.name,
    // The client's default cgroup parent on cgroups v2 (unique.cgroup.version).
    CgroupParent: 'nomad.slice',
    HTTPAddr: `${ip}:4646`,
    TLSEnabled: false,
    Attributes: nodeAttributes(spec, index, states, store.nomad.version),
    NodeResources: {
      ...processorResources(spec.cpu),
      Memory: { MemoryMB: spec.memoryMB },
      Disk: { DiskMB: spec.diskMB },
      Devices: null,
      NodeNetworks: [{ Mode: 'host', Device: 'eth0', MacAddress: '02:42:ac:11:00:02', Speed: 1000, Addresses: [{ Family: 'ipv4', Alias: 'default', Address: ip, ReservedPorts: '', Gateway: '' }] }],
      Networks: [hostNetwork(ip)],
      MinDynamicPort: 20000,
      MaxDynamicPort: 32000,
    },
    ReservedResources: { Cpu: { CpuShares: 0, ReservedCpuCores: null }, Memory: { MemoryMB: 0 }, Disk: { DiskMB: 0 }, Networks: { ReservedHostPorts: '' } },
    Links: null,
    Meta: sortedMap({ ...CLIENT_META, ...spec.meta }),
    NodeClass: spec.nodeClass ?? '',
    NodePool: spec.nodePool,
    ComputedClass: computedClass(spec.datacenter, spec.nodePool, spec.nodeClass ?? ''),
    DrainStrategy: null,
    SchedulingEligibility: 'eligible',
    Status: 'ready',
    StatusDescription: '',
    // The key the servers signed the node's identity with at registration (Node.Register).
    IdentitySigningKeyID: activeRootKeyId(store),
    StatusUpdatedAt: Math.floor(now / 1e9),
    Events: [{ Message: 'Node registered', Subsystem: 'Cluster', Details: null, Timestamp: rfc, CreateIndex: raftIndex }],
    Drivers: drivers,
    CSIControllerPlugins: null,
    CSINodePlugins: null,
    HostVolumes: null,
    GCVolumesOnNodeGC: false,
    HostNetworks: null,
    LastDrain: null,
    NodeMaxAllocs: 0,
    LastMissedHeartbeatIndex: 0,
    LastAllocUpdateIndex: 0,
    CreateIndex: raftIndex,
    ModifyIndex: raftIndex,
    // Not a field of structs.Node: the JSON encoder's node extension appends it (DrainStrategy != nil).
    Drain: false,
  };
}

/** A stand-in for Node.ComputeClass: nodes alike in datacenter, pool and class share one. */
export function computedClass(datacenter: string, pool: string, nodeClass: string): string {
  return `v1:${Math.abs(hash(datacenter + pool + nodeClass))}`;
}

/** A map with its keys in Go's encoding order. */
export function sortedMap<V>(m: Record<string, V>): Record<string, V> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

/** Registers simulated nodes, creating any node pool they name that does not exist yet. */
export function registerNodes(store: Store, specs: NodeSpec[]): void {
  specs.forEach((spec, i) => {
    store.write((tx) => {
      ensurePool(store, tx, spec.nodePool);
      const node = buildNode(store, spec, i, tx.index);
      store.nodes.set(node.ID, node);
      tx.touch('nodes');
      tx.emit('Node', node.ID, '', null, { Node: node }, 'NodeRegistration');
    });
  });
}

/** The short form `GET /v1/nodes` returns. */
export function nodeStub(node: Obj, opts: { resources?: boolean; os?: boolean } = {}): Obj {
  const drivers: Obj = {};
  for (const [name, d] of Object.entries(node.Drivers as Obj)) drivers[name] = d;
  return {
    Address: String(node.HTTPAddr).split(':')[0],
    ID: node.ID,
    // Node.Stub copies only "os.name" into Attributes when os=true.
    Attributes: opts.os ? { 'os.name': node.Attributes['os.name'] ?? '' } : null,
    Datacenter: node.Datacenter,
    Name: node.Name,
    NodeClass: node.NodeClass,
    NodePool: node.NodePool,
    Version: node.Attributes['nomad.version'],
    Drain: node.DrainStrategy !== null,
    SchedulingEligibility: node.SchedulingEligibility,
    Status: node.Status,
    StatusDescription: node.StatusDescription,
    Drivers: drivers,
    HostVolumes: node.HostVolumes,
    NodeResources: opts.resources ? node.NodeResources : null,
    ReservedResources: opts.resources ? node.ReservedResources : null,
    LastDrain: node.LastDrain,
    CreateIndex: node.CreateIndex,
    ModifyIndex: node.ModifyIndex,
  };
}
