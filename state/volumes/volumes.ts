// What Nomad's CSI and host-volume RPCs decide before they would talk to a plugin
// (nomad/structs/csi.go CSIVolume.Validate, nomad/host_volume_endpoint.go). nomad-mock's clients
// run no such plugin, so every register/create ends at the plugin lookup or placement.
import type { Store } from '../store.js';
import type { Obj } from '../types.js';

/** CSIVolume.Validate's complaints, in Nomad's order (joined as `validation: a, b`). */
export function csiVolumeValidationErrors(vol: Obj, namespace: string, _create: boolean): string[] {
  const errs: string[] = [];
  if (!vol.ID) errs.push('missing volume id');
  if (!vol.PluginID) errs.push('missing plugin id');
  if (!(vol.Namespace || namespace)) errs.push('missing namespace');
  if (vol.SnapshotID && vol.CloneID) errs.push('only one of snapshot_id and clone_id is allowed');
  if (!Array.isArray(vol.RequestedCapabilities) || vol.RequestedCapabilities.length === 0) errs.push('must include at least one capability block');
  return errs;
}

/** Marks an answer nomad-mock cannot give truthfully (a plugin-less client asked to register a path). */
export const NOT_EMULATED = 'nomad-mock does not implement PUT /v1/volume/host/register';

/**
 * The error HostVolume.Create/Register ends with: the state checks (node, node pool), then placement
 * on a node fingerprinting the plugin, which no simulated node does.
 */
export function hostVolumePlacementError(store: Store, vol: Obj, op: 'create' | 'register'): string {
  const name = String(vol.Name ?? '');
  const id = String(vol.ID ?? '');
  if (id !== '') return `cannot update volume ${JSON.stringify(id)}: volume does not exist`;
  // Register names the volume by ID, which CanonicalizeForRegister has just generated.
  const label = op === 'create' ? name : store.newId();
  const nodeId = String(vol.NodeID ?? '');
  let nodePool = '';
  if (nodeId !== '') {
    const node = store.nodes.get(nodeId);
    if (!node) return `validating volume ${JSON.stringify(label)} against state failed: node ${JSON.stringify(nodeId)} does not exist`;
    nodePool = String(node.NodePool ?? '');
  }
  const pool = String(vol.NodePool ?? '');
  if (pool !== '') {
    if (!store.nodePools.has(pool)) return `validating volume ${JSON.stringify(label)} against state failed: node pool ${JSON.stringify(pool)} does not exist`;
    if (nodePool !== '' && nodePool !== pool) return `validating volume ${JSON.stringify(label)} against state failed: node ID ${JSON.stringify(nodeId)} is not in pool ${JSON.stringify(pool)}`;
  }
  if (op === 'register') return NOT_EMULATED;
  // The client's host-volume manager has no plugin by that ID.
  if (nodeId !== '') return 'no such plugin';
  let infeasible = 0;
  for (const n of store.nodes.values()) if (pool === '' || n.NodePool === pool) infeasible++;
  return `could not place volume ${JSON.stringify(name)}: no node meets constraints: 0 nodes had existing volume, 0 nodes filtered by node pool governance, ${infeasible} nodes were infeasible`;
}
