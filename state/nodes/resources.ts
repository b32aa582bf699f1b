// A simulated node's CPU as a Nomad 1.7+ client fingerprints it. It imports nothing at run time, so
// the snapshot loader can use it too (upgrade.ts).
import type { Obj } from '../types.js';

/**
 * NodeResources.Processors as a 1.7+ client fingerprints it (numalib.Topology): one NUMA node, the
 * node's cores at equal speed, and the legacy `Cpu` block derived from it (NodeResources.Compatibility).
 * `Nodes` and each `Distances` row are `[]uint8`, which Nomad's JSON encoder writes as base64.
 * When the CPU total does not split evenly over the cores it is the configured override.
 */
export function processorResources(cpu: number): { Cpu: Obj; Processors: Obj } {
  const cores = coreCount(cpu);
  const speed = Math.floor(cpu / cores);
  const ids = Array.from({ length: cores }, (_, i) => i);
  return {
    Cpu: { CpuShares: cpu, TotalCpuCores: cores, ReservableCpuCores: ids },
    Processors: {
      Topology: {
        Nodes: 'AA==',
        Distances: ['Cg=='],
        Cores: ids.map((id) => ({ SocketID: 0, NodeID: 0, ID: id, Grade: true, Disable: false, BaseSpeed: speed, MaxSpeed: speed, GuessSpeed: 0 })),
        BusAssociativity: {},
        OverrideTotalCompute: speed * cores === cpu ? 0 : cpu,
        OverrideWitholdCompute: 0,
      },
    },
  };
}

/** Past this the cores get faster instead of more numerous (a node's topology stays small). */
const MAX_CORES = 256;

/** Logical cores of a simulated node: one per 2.5 GHz of compute, at most MAX_CORES. */
export const coreCount = (cpu: number): number => Math.min(MAX_CORES, Math.max(1, Math.round(cpu / 2500)));

