// `/v1/nodes`, `/v1/node/:id` (+ `/allocations`) and `/v1/agent/self`: the simulated client nodes
// and the dev agent that hosts them (command/agent/node_endpoint.go, nomad/node_endpoint.go,
// command/agent/agent_endpoint.go).
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { allocJson } from '../http/encode.js';
import { compileListFilter } from '../http/filter.js';
import { sendJson, setReadMeta } from '../http/reply.js';
import { parseBoolParam, parseQueryOptions, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import { ErrorText, Index, Nullable, ReadQuery, StringMap } from '../http/schemas.js';
import { paginate } from '../../state/paginate.js';
import { nodeStub } from '../../state/nodes/table.js';
import type { Store } from '../../state/store.js';
import { REVISION, SERVER_ID, agentNode, localMember } from '../agent/member.js';
import type { Obj } from '../../state/types.js';
import { WRITE, readQuery, type AclDecl } from '../acl/rules.js';
import { nodeSpecs } from '../../src/config.js';
import { drainRoutes, toggleDrain, toggleEligibility } from './drain.js';
import { NODE_LIFECYCLE } from './lifecycle.js';

/** Fields of a Node whose values are string-keyed maps (bexpr treats missing keys as absent, not errors). */
export const NODE_MAP_FIELDS = new Set([
  'Attributes', 'Meta', 'Links', 'Drivers', 'HostVolumes', 'HostNetworks', 'CSIControllerPlugins', 'CSINodePlugins',
]);

/** NodeListStub (nomad/structs), in declaration order. */
export const NodeListStub = Type.Object({
  Address: Type.String(),
  ID: Type.String(),
  Attributes: StringMap,
  Datacenter: Type.String(),
  Name: Type.String(),
  NodeClass: Type.String(),
  NodePool: Type.String(),
  Version: Type.String(),
  Drain: Type.Boolean(),
  SchedulingEligibility: Type.String(),
  Status: Type.String(),
  StatusDescription: Type.String(),
  Drivers: Nullable(Type.Record(Type.String(), Type.Unknown())),
  HostVolumes: Nullable(Type.Record(Type.String(), Type.Unknown())),
  NodeResources: Nullable(Type.Object({}, { additionalProperties: true })),
  ReservedResources: Nullable(Type.Object({}, { additionalProperties: true })),
  LastDrain: Nullable(Type.Object({}, { additionalProperties: true })),
  CreateIndex: Index,
  ModifyIndex: Index,
});

/** The `/v1/agent/self` wrapper: lowercase json-tagged keys (http-semantics §1.4, §6.1). */
export const AgentSelf = Type.Object({
  config: Type.Object(
    {
      Datacenter: Type.String(),
      NodeName: Type.String(),
      Region: Type.String(),
      Version: Type.Object({ Version: Type.String() }, { additionalProperties: true }),
      Server: Type.Object({ Enabled: Type.Boolean() }, { additionalProperties: true }),
      Client: Type.Object({ Enabled: Type.Boolean() }, { additionalProperties: true }),
    },
    { additionalProperties: true },
  ),
  member: Type.Object({
    Name: Type.String(),
    Addr: Type.String(),
    Port: Type.Integer(),
    Tags: Type.Record(Type.String(), Type.String()),
    Status: Type.String(),
    ProtocolMin: Type.Integer(),
    ProtocolMax: Type.Integer(),
    ProtocolCur: Type.Integer(),
    DelegateMin: Type.Integer(),
    DelegateMax: Type.Integer(),
    DelegateCur: Type.Integer(),
  }),
  stats: Type.Record(Type.String(), Type.Record(Type.String(), Type.String())),
});

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Unknown(), '4xx': ErrorText, '5xx': ErrorText },
};

/** Write sub-paths of `/v1/node/:id` the mock recognises (for Nomad's 405s) but does not implement. */
const WRITE_SUFFIXES = ['/evaluate', '/purge'];

const byId = (a: Obj, b: Obj): number => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0);

/** Allocation.TerminalStatus: server-terminal (stop/evict) or client-terminal (complete/failed/lost). */
const terminal = (a: Obj): boolean =>
  a.DesiredStatus === 'stop' || a.DesiredStatus === 'evict' || ['complete', 'failed', 'lost'].includes(a.ClientStatus);

/** The allocs table's `node` index: NodeID, then terminal status (live first), then alloc ID. */
function allocsOnNode(store: Store, nodeId: string): Obj[] {
  const live: Obj[] = [];
  const done: Obj[] = [];
  for (const a of store.allocs.values()) if (a.NodeID === nodeId) (terminal(a) ? done : live).push(a);
  return [...live.sort(byId), ...done.sort(byId)];
}

/** The node the dev agent's own client runs as: the first one registered. */

export function nodeRoutes(app: App, ctx: RouteContext): void {
  const { store } = ctx;

  const list: AclDecl = (req) => (req.method === 'GET' ? { check: { kind: 'node-read' }, pre: readQuery(req, ctx) } : null);
  app.all('/v1/nodes', { schema, config: { acl: list } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const q = req.query as Query;
    const opts = parseQueryOptions(q, ctx.config.region);
    // Bad values are plain errors in NodesRequest, hence 500 (http-semantics §5.1).
    const resources = parseBoolParam(q, 'resources');
    const os = parseBoolParam(q, 'os');
    const filter = compileListFilter(opts.filter, NODE_MAP_FIELDS);
    const res = await blockingQuery(store, reply, opts, ['nodes'], () => {
      const nodes = [...store.nodes.values()].filter((n) => String(n.ID).startsWith(opts.prefix)).sort(byId);
      // Node.List pages by node ID; the filter sees the full Node, not the stub.
      const page = paginate(nodes, { perPage: opts.perPage, nextToken: opts.nextToken, reverse: opts.reverse, tokenOf: (n) => n.ID, accept: filter });
      return { ...page, index: store.tableIndex('nodes') };
    });
    setReadMeta(reply, res.index, res.nextToken);
    return sendJson(req, reply, res.page.map((n) => {
      return nodeStub(n, { resources, os });
    }));
  });

  const one: AclDecl = (req) => {
    const rest = decodePath(req.raw.url ?? '').slice('/v1/node/'.length);
    if (['/evaluate', '/drain', '/eligibility', '/purge'].some((s) => rest.endsWith(s))) return WRITE.has(req.method) ? { check: { kind: 'node-write' } } : null;
    return req.method === 'GET' ? { check: { kind: 'node-read' }, pre: readQuery(req, ctx) } : null;
  };
  drainRoutes(app, ctx);
  app.all('/v1/node/*', { schema, config: { acl: one } }, async (req, reply) => {
    const rest = decodePath(req.raw.url ?? '').slice('/v1/node/'.length);
    // IDs the `:id` routes cannot take (empty, or with a slash) still end in Nomad's handlers.
    if (rest.endsWith('/drain')) return toggleDrain(ctx, req, reply, rest.slice(0, -'/drain'.length));
    if (rest.endsWith('/eligibility')) return toggleEligibility(ctx, req, reply, rest.slice(0, -'/eligibility'.length));
    const write = WRITE_SUFFIXES.find((s) => rest.endsWith(s));
    if (write) {
      if (req.method !== 'PUT' && req.method !== 'POST') throw invalidMethod();
      const lifecycle = NODE_LIFECYCLE[write];
      if (lifecycle) return lifecycle(ctx, req, reply, rest.slice(0, -write.length));
      throw new HttpError(501, `nomad-mock does not implement /v1/node/:id${write} yet`);
    }
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);

    if (rest.endsWith('/allocations')) {
      const nodeId = rest.slice(0, -'/allocations'.length);
      if (nodeId === '') throw new HttpError(500, 'missing node ID');
      // Index: the highest ModifyIndex of the node's allocs, else the allocs table (never 0).
      const res = await blockingQuery(store, reply, opts, ['allocs'], () => {
        const allocs = allocsOnNode(store, nodeId);
        const index = allocs.length > 0 ? Math.max(...allocs.map((a) => a.ModifyIndex as number)) : Math.max(1, store.tableIndex('allocs'));
        return { allocs, index };
      });
      setReadMeta(reply, res.index);
      // Node.GetAllocs returns full Allocations (struct-wide omitempty), not stubs.
      return sendJson(req, reply, res.allocs.map((a) => allocJson(a)));
    }

    const res = await blockingQuery(store, reply, opts, ['nodes'], () => {
      if (rest === '') throw new HttpError(500, 'missing node ID');
      const node = store.nodes.get(rest);
      return { node, index: node ? (node.ModifyIndex as number) : store.tableIndex('nodes') };
    });
    setReadMeta(reply, res.index);
    if (!res.node) throw new HttpError(404, 'node not found');
    return sendJson(req, reply, res.node.SecretID === '' ? res.node : { ...res.node, SecretID: '' });
  });


  // No query parsing, no index headers: the agent answers from its own config (agent_endpoint.go).
  const self: AclDecl = (req) => (req.method === 'GET' ? { check: { kind: 'agent-read' }, agentResolves: true } : null);
  const selfSchema = { querystring: ReadQuery, response: { 200: AgentSelf, '4xx': ErrorText } };
  app.all('/v1/agent/self', { schema: selfSchema, config: { acl: self } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    return sendJson(req, reply, agentSelf(ctx));
  });
}

const GO_VERSION = 'go1.25.3';

function agentSelf(ctx: RouteContext): { config: unknown; member: Obj; stats: Record<string, Record<string, string>> } {
  const { store, config } = ctx;
  const node = agentNode(store);
  const nodeName = node?.Name ?? 'mock-node-1';
  const dc = node?.Datacenter ?? 'dc1';
  const region = config.region;
  const bind = config.bind || '127.0.0.1';
  const httpPort = config.port || 4646;
  const index = String(store.latestIndex());
  // A server started without client nodes (--cluster server-only) runs no client of its own.
  const clientEnabled = nodeSpecs(config).length > 0;
  const numAllocs = node ? [...store.allocs.values()].filter((a) => a.NodeID === node.ID && !terminal(a)).length : 0;

  // Reflection-encoded (not codecgen): keys come out sorted, nested structs included (§6.1).
  const cfg: Obj = {
    ACL: { Enabled: ctx.config.acl, PolicyTTL: 30_000_000_000, ReplicationToken: '', RoleTTL: 30_000_000_000, TokenMaxExpirationTTL: 0, TokenMinExpirationTTL: 0, TokenTTL: 30_000_000_000 },
    Addresses: { HTTP: bind, RPC: '127.0.0.1', Serf: '127.0.0.1' },
    AdvertiseAddrs: { HTTP: `127.0.0.1:${httpPort}`, RPC: '127.0.0.1:4647', Serf: '127.0.0.1:4648' },
    Audit: { Enabled: null, Filters: null, Sinks: null },
    Autopilot: { CleanupDeadServers: true, DisableUpgradeMigration: false, EnableCustomUpgrades: false, EnableRedundancyZones: false, LastContactThreshold: 200_000_000, MaxTrailingLogs: 250, MinQuorum: 0, ServerStabilizationTime: 10_000_000_000 },
    BindAddr: bind,
    Client: {
      AllocDir: '',
      CNIConfigDir: '/opt/cni/config',
      CNIPath: '/opt/cni/bin',
      ClientMaxPort: 14512,
      ClientMinPort: 14000,
      CpuCompute: 0,
      DisableRemoteExec: false,
      Enabled: clientEnabled,
      GCDiskUsageThreshold: 99,
      GCInodeUsageThreshold: 99,
      GCInterval: 600_000_000_000,
      GCMaxAllocs: 50,
      GCParallelDestroys: 2,
      MaxKillTimeout: '30s',
      MemoryMB: 0,
      Meta: {},
      NetworkInterface: 'lo',
      NodeClass: node?.NodeClass ?? '',
      NodePool: node?.NodePool ?? config.nodePool,
      Options: { 'driver.docker.volumes': 'true', 'driver.raw_exec.enable': 'true', 'test.tighten_network_timeouts': 'true' },
      Reserved: { CPU: 0, Cores: '', DiskMB: 0, MemoryMB: 0, ReservedPorts: '' },
      Servers: null,
      StateDir: '',
    },
    Consuls: [{ Address: '127.0.0.1:8500', Addr: '127.0.0.1:8500', AllowUnauthenticated: true, AutoAdvertise: true, ChecksUseAdvertise: false, ClientAutoJoin: true, Name: 'default', ServerAutoJoin: true, ServerServiceName: 'nomad', ClientServiceName: 'nomad-client', Token: '' }],
    DataDir: '',
    Datacenter: dc,
    DevMode: true,
    DisableAnonymousSignature: false,
    DisableUpdateCheck: false,
    EnableDebug: false,
    EnableSyslog: false,
    Files: null,
    HTTPAPIResponseHeaders: {},
    LeaveOnInt: false,
    LeaveOnTerm: false,
    Limits: { HTTPMaxConnsPerClient: 100, HTTPSHandshakeTimeout: '5s', RPCHandshakeTimeout: '5s', RPCMaxConnsPerClient: 100 },
    LogFile: '',
    LogIncludeLocation: false,
    LogJson: false,
    LogLevel: 'DEBUG',
    NodeName: nodeName,
    PluginDir: '',
    Plugins: [],
    Ports: { HTTP: httpPort, RPC: 4647, Serf: 4648 },
    Region: region,
    Server: {
      AuthoritativeRegion: '',
      BootstrapExpect: 1,
      DataDir: '',
      DefaultSchedulerConfig: null,
      Enabled: true,
      EnabledSchedulers: null,
      EvalGCThreshold: '',
      HeartbeatGrace: 0,
      JobGCThreshold: '',
      MaxHeartbeatsPerSecond: 0,
      MinHeartbeatTTL: 0,
      NodeGCThreshold: '',
      NonVotingServer: false,
      NumSchedulers: null,
      RaftProtocol: 3,
      RedundancyZone: '',
      RejoinAfterLeave: false,
      ServerJoin: { RetryInterval: 30_000_000_000, RetryJoin: [], RetryMaxAttempts: 0, StartJoin: [] },
      UpgradeVersion: '',
    },
    TLSConfig: { CAFile: '', CertFile: '', EnableHTTP: false, EnableRPC: false, KeyFile: '', RPCUpgradeMode: false, TLSCipherSuites: '', TLSMinVersion: '', TLSPreferServerCipherSuites: false, VerifyHTTPSClient: false, VerifyServerHostname: false },
    Telemetry: { CollectionInterval: '1s', DisableHostname: false, PrometheusMetrics: false, PublishAllocationMetrics: false, PublishNodeMetrics: false, UseNodeName: false },
    UI: { Enabled: true },
    Vaults: [{ Addr: 'https://vault.service.consul:8200', Enabled: null, Name: 'default', Role: '', Token: '' }],
    Version: { BuildDate: '2025-10-01T00:00:00Z', Revision: REVISION, Version: store.nomad.version, VersionMetadata: '', VersionPrerelease: '' },
  };

  const member = localMember(ctx);

  const stats: Record<string, Record<string, string>> = {
    client: {
      heartbeat_ttl: '17.892315412s',
      known_servers: '127.0.0.1:4647',
      last_heartbeat: '5.329817512s',
      node_id: node?.ID ?? '',
      num_allocations: String(numAllocs),
    },
    nomad: {
      bootstrap: 'true',
      known_regions: '1',
      leader: 'true',
      leader_addr: '127.0.0.1:4647',
      server: 'true',
    },
    raft: {
      applied_index: index,
      commit_index: index,
      fsm_pending: '0',
      last_contact: '0',
      last_log_index: index,
      last_log_term: '2',
      last_snapshot_index: '0',
      last_snapshot_term: '0',
      latest_configuration: `[{Suffrage:Voter ID:${SERVER_ID} Address:127.0.0.1:4647}]`,
      latest_configuration_index: '0',
      num_peers: '0',
      protocol_version: '3',
      protocol_version_max: '3',
      protocol_version_min: '0',
      snapshot_version_max: '1',
      snapshot_version_min: '0',
      state: 'Leader',
      term: '2',
    },
    runtime: {
      arch: 'amd64',
      cpu_count: '4',
      goroutines: '187',
      'kernel.name': 'linux',
      max_procs: '4',
      version: GO_VERSION,
    },
    serf: {
      coordinate_resets: '0',
      encrypted: 'false',
      event_queue: '0',
      event_time: '1',
      failed: '0',
      health_score: '0',
      intent_queue: '0',
      left: '0',
      member_time: '1',
      members: '1',
      query_queue: '0',
      query_time: '1',
    },
    vault: {
      tracked_for_revoked: '0',
      token_expire_time: '',
      token_last_renewal_time: '',
      token_next_renewal_time: '',
      token_ttl: '0s',
    },
  };

  if (!clientEnabled) delete stats.client;
  return { config: sortKeys(cfg), member, stats };
}

/** Go's reflection encoder writes struct keys in byte order; applied recursively to plain objects. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Obj = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Obj)[k]);
  return out;
}
