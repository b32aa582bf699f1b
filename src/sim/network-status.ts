// The NetworkStatus a client reports with its first alloc update (allocRunner.clientAlloc): always
// set, empty unless the group's network namespace was built by CNI (bridge or cni/* mode), with the
// group network's DNS block copied in when CNI gave none.
import type { Obj } from '../../state/types.js';

/** The default `nomad` bridge network's subnet (client config bridge_network_subnet). */
const BRIDGE_BASE = (172 << 24) | (26 << 16) | (64 << 8);
const BRIDGE_HOSTS = 4096;

/**
 * host-local IPAM hands out addresses of 172.26.64.0/20 after the gateway (.1); the simulated client
 * picks one from the alloc ID, so the same alloc always gets the same address.
 */
function bridgeAddress(allocId: string): string {
  let h = 0;
  for (const ch of allocId) h = (Math.imul(31, h) + ch.charCodeAt(0)) | 0;
  const ip = BRIDGE_BASE + 2 + (Math.abs(h) % (BRIDGE_HOSTS - 3));
  return [ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].join('.');
}

/** What every alloc outside a CNI network without DNS reports: one object for all (records are immutable). */
const EMPTY: Obj = Object.freeze({ InterfaceName: '', Address: '', AddressIPv6: '', DNS: null });

export function networkStatus(allocId: string, tg: Obj | undefined): Obj {
  const net = ((tg?.Networks as Obj[] | null | undefined) ?? [])[0];
  const mode = String(net?.Mode ?? '');
  const cni = mode === 'bridge' || mode.startsWith('cni/');
  if (!cni && !net?.DNS) return EMPTY;
  return {
    InterfaceName: cni ? 'eth0' : '',
    Address: cni ? bridgeAddress(allocId) : '',
    AddressIPv6: '',
    DNS: net?.DNS ? structuredClone(net.DNS) : null,
  };
}
