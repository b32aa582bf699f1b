// Node records from snapshots written before nomad-mock spoke Nomad 1.11.
import type { Obj } from '../types.js';
import { processorResources } from './resources.js';

/** structs.Node's fields in declaration order (Nomad 1.11). */
const NODE_FIELDS = [
  'ID', 'SecretID', 'Datacenter', 'Name', 'CgroupParent', 'HTTPAddr', 'TLSEnabled', 'Attributes', 'NodeResources',
  'ReservedResources', 'Links', 'Meta', 'NodeClass', 'NodePool', 'ComputedClass', 'DrainStrategy', 'SchedulingEligibility',
  'Status', 'StatusDescription', 'IdentitySigningKeyID', 'StatusUpdatedAt', 'Events', 'Drivers', 'CSIControllerPlugins',
  'CSINodePlugins', 'HostVolumes', 'GCVolumesOnNodeGC', 'HostNetworks', 'LastDrain', 'NodeMaxAllocs',
  'LastMissedHeartbeatIndex', 'LastAllocUpdateIndex', 'CreateIndex', 'ModifyIndex',
  // Not a structs.Node field: Nomad's JSON encoder extension appends it.
  'Drain',
];

/**
 * A node record saved before nomad-mock spoke 1.11 (it still has the legacy `Resources`/`Reserved`):
 * the same node with those dropped, the 1.11 fields added with their defaults, the processor
 * topology derived from its CPU and the empty network fields left out. Other records are kept as
 * they are.
 */
export function upgradedNode(n: Obj): Obj {
  if (!('Resources' in n) && !('Reserved' in n)) return n;
  const { Resources: _r, Reserved: _rv, ...rest } = n;
  const added: Obj = { CgroupParent: 'nomad.slice', IdentitySigningKeyID: '', GCVolumesOnNodeGC: false, NodeMaxAllocs: 0, LastMissedHeartbeatIndex: 0, LastAllocUpdateIndex: 0, Drain: n.DrainStrategy !== null && n.DrainStrategy !== undefined };
  const merged: Obj = { ...added, ...rest };
  const out: Obj = {};
  for (const k of NODE_FIELDS) if (k in merged) out[k] = merged[k];
  for (const [k, v] of Object.entries(merged)) if (!(k in out)) out[k] = v;
  const res = n.NodeResources as Obj | undefined;
  if (res && !res.Processors && typeof res.Cpu?.CpuShares === 'number') {
    const nets = Array.isArray(res.Networks) ? (res.Networks as Obj[]).map((net) => Object.fromEntries(Object.entries(net).filter(([, v]) => v !== '' && v !== null && v !== 0))) : res.Networks;
    out.NodeResources = { ...processorResources(res.Cpu.CpuShares), Memory: res.Memory, Disk: res.Disk, Devices: res.Devices ?? null, NodeNetworks: res.NodeNetworks ?? null, Networks: nets ?? null, MinDynamicPort: res.MinDynamicPort ?? 0, MaxDynamicPort: res.MaxDynamicPort ?? 0 };
  }
  return out;
}
