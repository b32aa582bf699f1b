// Every pattern Nomad CE registers on its ServeMux (command/agent/http.go registerHandlers, plus the
// CE build's http_ce.go registerEnterpriseHandlers), and how Go's mux picks one for a path. The
// not-found handler (routes/http/fallback.ts) answers from it where nomad-mock mounts no route, so a
// client never mistakes a route nomad-mock lacks for an empty "not found".
//
// A pattern ending in `/` is a subtree: it matches every path below it, and Go's mux redirects its
// root without the slash (`/v1/job` → 301 `/v1/job/`) unless that root is registered too. The most
// specific (longest) pattern wins. `/` itself is Nomad's root fallthrough: a 307 to `/ui/` for `/`
// and an empty 404 for every other path. The `/debug/pprof/` patterns exist only with
// `enable_debug`, which nomad-mock's agent does not set.

export interface NomadRoute {
  pattern: string;
  /** Methods the handler accepts, where known (others: 405 `Invalid method`); absent when not listed here. */
  methods?: readonly string[];
  /** The Go handler in command/agent. */
  handler: string;
  /** Registered by http_ce.go: every method answers 501 `Nomad Enterprise only endpoint`. */
  enterprise?: true;
}

const R = (pattern: string, handler: string, methods?: readonly string[]): NomadRoute =>
  methods ? { pattern, handler, methods } : { pattern, handler };
const E = (pattern: string): NomadRoute => ({ pattern, handler: 'entOnly', enterprise: true });

const GET = ['GET'] as const;
const PUT = ['PUT', 'POST'] as const;
const GET_PUT = ['GET', 'PUT', 'POST'] as const;

export const NOMAD_ROUTES: readonly NomadRoute[] = [
  R('/v1/jobs', 'JobsRequest', GET_PUT),
  R('/v1/jobs/parse', 'JobsParseRequest', PUT),
  R('/v1/jobs/statuses', 'JobStatusesRequest', GET_PUT),
  R('/v1/job/', 'JobSpecificRequest'),

  R('/v1/nodes', 'NodesRequest', GET),
  R('/v1/node/', 'NodeSpecificRequest'),
  R('/v1/node/pools', 'NodePoolsRequest', GET_PUT),
  R('/v1/node/pool/', 'NodePoolSpecificRequest'),

  R('/v1/allocations', 'AllocsRequest', GET),
  R('/v1/allocation/', 'AllocSpecificRequest'),

  R('/v1/evaluations', 'EvalsRequest', ['GET', 'DELETE']),
  R('/v1/evaluations/count', 'EvalsCountRequest', GET),
  R('/v1/evaluation/', 'EvalSpecificRequest'),

  R('/v1/deployments', 'DeploymentsRequest', GET),
  R('/v1/deployment/', 'DeploymentSpecificRequest'),

  // `GET /v1/volumes` is ListVolumesRequest (CSI and dynamic host volumes); other methods CSIVolumesRequest.
  R('/v1/volumes', 'ListVolumesRequest'),
  R('/v1/volumes/external', 'CSIExternalVolumesRequest'),
  R('/v1/volumes/snapshot', 'CSISnapshotsRequest'),
  R('/v1/volume/csi/', 'CSIVolumeSpecificRequest'),
  R('/v1/plugins', 'CSIPluginsRequest', GET),
  R('/v1/plugin/csi/', 'CSIPluginSpecificRequest'),
  R('/v1/volume/host/', 'HostVolumeSpecificRequest'),
  R('/v1/volumes/claims', 'TaskGroupHostVolumeClaimListRequest'),
  R('/v1/volumes/claim/', 'TaskGroupHostVolumeClaimRequest'),

  R('/v1/acl/policies', 'ACLPoliciesRequest', GET),
  R('/v1/acl/policy/', 'ACLPolicySpecificRequest'),
  R('/v1/acl/token/onetime', 'UpsertOneTimeToken', PUT),
  R('/v1/acl/token/onetime/exchange', 'ExchangeOneTimeToken', PUT),
  R('/v1/acl/bootstrap', 'ACLTokenBootstrap', PUT),
  R('/v1/acl/tokens', 'ACLTokensRequest', GET),
  R('/v1/acl/token', 'ACLTokenSpecificRequest'),
  R('/v1/acl/token/', 'ACLTokenSpecificRequest'),
  R('/v1/acl/roles', 'ACLRoleListRequest', GET),
  R('/v1/acl/role', 'ACLRoleRequest', PUT),
  R('/v1/acl/role/', 'ACLRoleSpecificRequest'),
  R('/v1/acl/auth-methods', 'ACLAuthMethodListRequest', GET),
  R('/v1/acl/auth-method', 'ACLAuthMethodRequest', PUT),
  R('/v1/acl/auth-method/', 'ACLAuthMethodSpecificRequest'),
  R('/v1/acl/binding-rules', 'ACLBindingRuleListRequest', GET),
  R('/v1/acl/binding-rule', 'ACLBindingRuleRequest', PUT),
  R('/v1/acl/binding-rule/', 'ACLBindingRuleSpecificRequest'),
  R('/v1/acl/oidc/auth-url', 'ACLOIDCAuthURLRequest', PUT),
  R('/v1/acl/oidc/complete-auth', 'ACLOIDCCompleteAuthRequest', PUT),
  R('/v1/acl/login', 'ACLLoginRequest', PUT),
  R('/v1/acl/identity/client-introduction-token', 'ACLCreateClientIntroductionTokenRequest'),

  R('/v1/client/fs/', 'FsRequest'),
  R('/v1/client/gc', 'ClientGCRequest'),
  R('/v1/client/stats', 'ClientStatsRequest'),
  R('/v1/client/allocation/', 'ClientAllocRequest'),
  R('/v1/client/metadata', 'NodeMetaRequest'),
  R('/v1/client/identity', 'NodeIdentityGetRequest'),
  R('/v1/client/identity/renew', 'NodeIdentityRenewRequest'),
  R('/v1/client/allocations/prometheus-sd', 'ClientAllocPromSDRequest'),

  R('/v1/agent/self', 'AgentSelfRequest', GET),
  R('/v1/agent/join', 'AgentJoinRequest', PUT),
  R('/v1/agent/members', 'AgentMembersRequest', GET),
  R('/v1/agent/force-leave', 'AgentForceLeaveRequest', PUT),
  R('/v1/agent/servers', 'AgentServersRequest', GET_PUT),
  R('/v1/agent/schedulers', 'AgentSchedulerWorkerInfoRequest', GET),
  R('/v1/agent/schedulers/config', 'AgentSchedulerWorkerConfigRequest', GET_PUT),
  R('/v1/agent/keyring/', 'KeyringOperationRequest'),
  R('/v1/agent/health', 'HealthRequest', GET),
  R('/v1/agent/host', 'AgentHostRequest', GET),
  R('/v1/agent/reload', 'AgentReloadRequest'),

  R('/v1/services', 'ServiceRegistrationListRequest', GET),
  R('/v1/service/', 'ServiceRegistrationRequest'),

  R('/v1/agent/monitor', 'AgentMonitor'),
  R('/v1/agent/monitor/export', 'AgentMonitorExport'),
  R('/v1/agent/pprof/', 'AgentPprofRequest'),

  R('/v1/metrics', 'MetricsRequest', GET),
  R('/v1/validate/job', 'ValidateJobRequest', PUT),
  R('/v1/regions', 'RegionListRequest', GET),

  R('/v1/scaling/policies', 'ScalingPoliciesRequest', GET),
  R('/v1/scaling/policy/', 'ScalingPolicySpecificRequest'),

  R('/v1/status/leader', 'StatusLeaderRequest', GET),
  R('/v1/status/peers', 'StatusPeersRequest', GET),

  R('/v1/search/fuzzy', 'FuzzySearchRequest', PUT),
  R('/v1/search', 'SearchRequest', PUT),
  R('/v1/operator/license', 'LicenseRequest'),
  R('/v1/operator/raft/', 'OperatorRequest'),
  R('/v1/operator/keyring/', 'KeyringRequest'),
  R('/v1/operator/autopilot/configuration', 'OperatorAutopilotConfiguration', GET_PUT),
  R('/v1/operator/autopilot/health', 'OperatorServerHealth', GET),
  R('/v1/operator/snapshot', 'SnapshotRequest'),
  R('/v1/operator/upgrade-check/', 'UpgradeCheckRequest'),
  R('/v1/operator/utilization', 'OperatorUtilizationRequest'),

  R('/v1/system/gc', 'GarbageCollectRequest', PUT),
  R('/v1/system/reconcile/summaries', 'ReconcileJobSummaries', PUT),

  R('/v1/operator/scheduler/configuration', 'OperatorSchedulerConfiguration', GET_PUT),

  R('/v1/event/stream', 'EventStream', GET),

  R('/v1/namespaces', 'NamespacesRequest', GET),
  R('/v1/namespace', 'NamespaceCreateRequest', PUT),
  R('/v1/namespace/', 'NamespaceSpecificRequest'),

  R('/v1/vars', 'VariablesListRequest', GET),
  R('/v1/var/', 'VariableSpecificRequest', ['GET', 'HEAD', 'PUT', 'DELETE']),

  R('/.well-known/jwks.json', 'JWKSRequest', GET),
  R('/.well-known/openid-configuration', 'OIDCDiscoveryRequest', GET),

  R('/ui/', 'handleUI'),
  R('/', 'handleRootFallthrough'),

  E('/v1/sentinel/policies'),
  E('/v1/sentinel/policy/'),
  E('/v1/quotas'),
  E('/v1/quota-usages'),
  E('/v1/quota/'),
  E('/v1/quota'),
  E('/v1/recommendation'),
  E('/v1/recommendations'),
  E('/v1/recommendations/apply'),
  E('/v1/recommendation/'),
];

/** Nomad's text for the CE build's enterprise routes (http.go ErrEntOnly), always with 501. */
export const ENT_ONLY_TEXT = 'Nomad Enterprise only endpoint';

const EXACT = new Map<string, NomadRoute>();
const SUBTREES: NomadRoute[] = [];
for (const r of NOMAD_ROUTES) {
  if (r.pattern.endsWith('/')) SUBTREES.push(r);
  else EXACT.set(r.pattern, r);
}
SUBTREES.sort((a, b) => b.pattern.length - a.pattern.length);

export type MuxMatch = { kind: 'route'; route: NomadRoute } | { kind: 'redirect'; location: string };

/** What Go's ServeMux does with a clean path: the route it dispatches to, or its subtree-root redirect. */
export function matchNomadRoute(path: string): MuxMatch {
  const exact = EXACT.get(path);
  if (exact) return { kind: 'route', route: exact };
  // No exact pattern: a registered subtree root one slash away wins with a redirect (Go's
  // matchOrRedirect), even over a shorter subtree (`/v1/node/pool` → `/v1/node/pool/`).
  if (!path.endsWith('/') && SUBTREES.some((r) => r.pattern === `${path}/`)) return { kind: 'redirect', location: `${path}/` };
  // A target that is not a path (an authority or absolute form) matches only the root's fallthrough.
  return { kind: 'route', route: SUBTREES.find((r) => path.startsWith(r.pattern)) ?? SUBTREES.find((r) => r.pattern === '/')! };
}

/** The path a table entry is reached by (a subtree gets one segment below it), for tests and fuzzing. */
export function samplePath(route: NomadRoute, leaf = 'example'): string {
  return route.pattern.endsWith('/') && route.pattern !== '/' ? `${route.pattern}${leaf}` : route.pattern;
}
