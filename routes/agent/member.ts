// The one Nomad agent nomad-mock is: a server (leader of a one-server cluster) that also runs the
// client of the first simulated node, as `nomad agent -dev` does. Its gossip member is what
// /v1/agent/self, /v1/agent/members and the scheduler endpoints report.
import type { RouteContext } from '../http/context.js';
import type { Store } from '../../state/store.js';
import type { Obj } from '../../state/types.js';

export const SERVER_ID = '6f3e1b7a-2c4d-4e8f-9a0b-1c2d3e4f5a6b';
export const REVISION = 'mock';
export const RPC_ADDR = '127.0.0.1:4647';

/** The node the agent's own client registered (the oldest one), if the simulator runs any. */
export function agentNode(store: Store): Obj | undefined {
  let first: Obj | undefined;
  for (const n of store.nodes.values()) if (!first || n.CreateIndex < first.CreateIndex) first = n;
  return first;
}

/** Whether the agent runs a client: only with the simulator and its nodes. */
export const hasClient = (ctx: RouteContext): boolean => ctx.sim !== null && agentNode(ctx.store) !== undefined;

/** The agent's node name (config NodeName) and datacenter. */
export function agentName(ctx: RouteContext): { nodeName: string; dc: string } {
  const node = agentNode(ctx.store);
  return { nodeName: node?.Name ?? 'mock-node-1', dc: node?.Datacenter ?? (ctx.config.datacenters.split(',')[0]?.trim() || 'dc1') };
}

/** The one server's serf member name (`<node name>.<region>`), as agent/self and the raft endpoints report it. */
export function serverName(ctx: RouteContext): string {
  return `${agentName(ctx).nodeName}.${ctx.config.region}`;
}

/** The server's serf member (serf.Member as Nomad's agent encodes it), with the tags Nomad sets. */
export function localMember(ctx: RouteContext): Obj {
  const { nodeName, dc } = agentName(ctx);
  const region = ctx.config.region;
  return {
    Name: `${nodeName}.${region}`,
    Addr: '127.0.0.1',
    Port: 4648,
    Tags: {
      bootstrap: '1',
      build: ctx.store.nomad.version,
      dc,
      expect: '1',
      id: SERVER_ID,
      mvn: '1',
      port: '4647',
      raft_vsn: '3',
      region,
      revision: REVISION,
      role: 'nomad',
      rpc_addr: '127.0.0.1',
      vsn: '1',
    },
    Status: 'alive',
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}
