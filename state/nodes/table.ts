// Simulated client nodes as Nomad's Node struct. They are registered at start-up (one write each,
// like a client's Node.Register) and never go down unless told to.
import type { Obj } from '../types.js';
import type { Store } from '../store.js';

export interface NodeSpec {
  name: string;
  datacenter: string;
  nodePool: string;
  nodeClass?: string;
  cpu: number;
  memoryMB: number;
  diskMB: number;
  attributes?: Record<string, string>;
  meta?: Record<string, string>;
}

function nodeAttributes(spec: NodeSpec, index: number, version: string): Record<string, string> {
  const cores = Math.max(1, Math.round(spec.cpu / 2500));
  return {
    'arch': 'x86_64',
    'cpu.arch': 'amd64',
    'cpu.frequency': '2500',
    'cpu.modelname': 'Simulated CPU @ 2.50GHz',
    'cpu.numcores': String(cores),
    'cpu.reservablecores': String(cores),
    'cpu.totalcompute': String(spec.cpu),
    'cpu.usablecompute': String(spec.cpu),
    'driver.docker': '1',
    'driver.docker.version': '27.3.1',
    'driver.exec': '1',
    'driver.java': '1',
    'driver.mock_driver': '1',
    'driver.qemu': '1',
    'driver.raw_exec': '1',
    'kernel.arch': 'x86_64',
    'kernel.name': 'linux',
    'kernel.version': '6.8.0-45-generic',
    'memory.totalbytes': String(spec.memoryMB * 1024 * 1024),
    'nomad.advertise.address': `10.0.0.${10 + index}:4646`,
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
    'unique.network.ip-address': `10.0.0.${10 + index}`,
    'unique.storage.bytesfree': String(spec.diskMB * 1024 * 1024),
    'unique.storage.bytestotal': String(spec.diskMB * 1024 * 1024),
    'unique.storage.volume': '/dev/sda1',
    ...spec.attributes,
  };
}

const DRIVERS = ['docker', 'exec', 'java', 'mock_driver', 'qemu', 'raw_exec'];

export function buildNode(store: Store, spec: NodeSpec, index: number, raftIndex: number): Obj {
  const now = store.nowNs();
  const rfc = new Date(now / 1e6).toISOString();
  const drivers: Obj = {};
  for (const d of DRIVERS) {
    drivers[d] = { Attributes: d === 'docker' ? { 'driver.docker': 'true', 'driver.docker.version': '27.3.1' } : { [`driver.${d}`]: 'true' }, Detected: true, Healthy: true, HealthDescription: 'Healthy', UpdateTime: rfc };
  }
  const ip = `10.0.0.${10 + index}`;
  return {
    ID: store.newId(),
    SecretID: '',
    Datacenter: spec.datacenter,
    Name: spec.name,
    HTTPAddr: `${ip}:4646`,
    TLSEnabled: false,
    Attributes: nodeAttributes(spec, index, store.nomad.version),
    NodeResources: {
      Cpu: { CpuShares: spec.cpu, TotalCpuCores: Math.max(1, Math.round(spec.cpu / 2500)), ReservableCpuCores: null },
      Memory: { MemoryMB: spec.memoryMB },
      Disk: { DiskMB: spec.diskMB },
      Networks: [{ Mode: 'host', Device: 'eth0', CIDR: `${ip}/32`, IP: ip, Hostname: '', MBits: 1000, DNS: null, ReservedPorts: null, DynamicPorts: null }],
      NodeNetworks: [{ Mode: 'host', Device: 'eth0', MacAddress: '02:42:ac:11:00:02', Speed: 1000, Addresses: [{ Family: 'ipv4', Alias: 'default', Address: ip, ReservedPorts: '', Gateway: '' }] }],
      Devices: null,
      MinDynamicPort: 20000,
      MaxDynamicPort: 32000,
    },
    ReservedResources: { Cpu: { CpuShares: 0, ReservedCpuCores: null }, Memory: { MemoryMB: 0 }, Disk: { DiskMB: 0 }, Networks: { ReservedHostPorts: '' } },
    Resources: { CPU: spec.cpu, Cores: 0, MemoryMB: spec.memoryMB, MemoryMaxMB: 0, DiskMB: spec.diskMB, IOPS: 0, Networks: null, Devices: null, NUMA: null, SecretsMB: 0 },
    Reserved: { CPU: 0, Cores: 0, MemoryMB: 0, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null, NUMA: null, SecretsMB: 0 },
    Links: null,
    Meta: { connect_sidecar_image: 'docker.io/envoyproxy/envoy:v${NOMAD_envoy_version}', connect_log_level: 'info', ...spec.meta },
    NodeClass: spec.nodeClass ?? '',
    NodePool: spec.nodePool,
    ComputedClass: `v1:${Math.abs(hash(spec.datacenter + spec.nodePool + (spec.nodeClass ?? '')))}`,
    DrainStrategy: null,
    SchedulingEligibility: 'eligible',
    Status: 'ready',
    StatusDescription: '',
    StatusUpdatedAt: Math.floor(now / 1e9),
    Events: [{ Message: 'Node registered', Subsystem: 'Cluster', Details: null, Timestamp: rfc, CreateIndex: raftIndex }],
    Drivers: drivers,
    CSIControllerPlugins: null,
    CSINodePlugins: null,
    HostVolumes: null,
    HostNetworks: null,
    LastDrain: null,
    CreateIndex: raftIndex,
    ModifyIndex: raftIndex,
  };
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
      if (!store.nodePools.has(spec.nodePool)) {
        store.nodePools.set(spec.nodePool, { Name: spec.nodePool, Description: '', Meta: null, SchedulerConfiguration: null, CreateIndex: tx.index, ModifyIndex: tx.index });
        tx.touch('node_pools');
      }
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
