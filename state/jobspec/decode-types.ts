// Type descriptors of the Go structs Nomad's HTTP agent decodes request bodies into, for the
// Go-faithful decoder in decode.ts. The structs are written as Go struct bodies (one field a line:
// `Name Type`, a lone `Name` is an embedded struct, fields tagged `json:"-"` are left out) and compiled
// once at load into descriptors with the exact names Go's reflect prints (`api.Job`, `[]*api.Task`,
// `time.Duration`, `map[string]interface {}`, `[]uint8`).
//
// Sources: api/jobs.go, api/tasks.go, api/resources.go, api/services.go, api/consul.go,
// api/constraint.go, api/scaling.go, api/csi.go, api/namespace.go, api/task_sched.go and
// nomad/structs/structs.go of Nomad 2.0.x, fields in Go declaration order. Every subtree is typed
// (Connect sidecars and gateways included); `interface{}` fields (`Config`, `Meta` of scaling,
// `Policy`) take any JSON and keep its keys verbatim, as Go does.

export const enum Kind {
  String,
  Bool,
  Int,
  Uint,
  Float,
  Any,
  Bytes,
  Ptr,
  Slice,
  Map,
  Struct,
}

export interface GoType {
  // (Built by goType() below so all instances share one shape.)
  readonly kind: Kind;
  /** What Go's reflect.Type.String() prints, e.g. `[]*api.TaskGroup`. */
  readonly goName: string;
  /** Element of a pointer, slice or map. */
  elem?: GoType;
  /** Struct descriptor (Kind.Struct). */
  struct?: StructDesc;
  /** Integer bounds (Kind.Int / Kind.Uint), exact and as JS numbers. */
  readonly min?: bigint;
  readonly max?: bigint;
  readonly minN?: number;
  readonly maxN?: number;
  /** Float width (Kind.Float). */
  readonly bits?: number;
  /** JSON null resets it to nil (pointer, slice, map, interface, []byte). */
  readonly nullable: boolean;
}

export interface FieldDesc {
  /** Canonical Go field name, used as the key of the decoded object. */
  readonly name: string;
  readonly type: GoType;
  /** Names of the embedded structs the field is promoted through (Go ≥ 1.24 prints them in errors). */
  readonly via: readonly string[];
  /** The name's bytes (field names are ASCII): keys are matched on the body's bytes against these. */
  readonly bytes: Uint8Array;
}

export interface StructDesc {
  readonly kind: 'struct';
  readonly pkg: string;
  readonly name: string;
  /** Fields in Go declaration order, embedded structs flattened in place. */
  readonly fields: readonly FieldDesc[];
  /** Exact JSON key → field. */
  readonly exact: ReadonlyMap<string, FieldDesc>;
  /** ASCII-upper-cased key → first field with that folded name (Go: first folded match wins). */
  readonly folded: ReadonlyMap<string, FieldDesc>;
  /** Fields by name length, in declaration order, for matching keys straight from the bytes. */
  readonly byLength: readonly (readonly FieldDesc[] | undefined)[];
}

// ---------------------------------------------------------------------------------------------
// Go struct bodies, per package. Named non-struct types are declared as `type X = base`.

const API = `
type ReconcileOption = string

type SchedulerAlgorithm = string

struct PreemptionConfig
  SystemSchedulerEnabled bool
  SysBatchSchedulerEnabled bool
  BatchSchedulerEnabled bool
  ServiceSchedulerEnabled bool

struct SchedulerConfiguration
  SchedulerAlgorithm SchedulerAlgorithm
  PreemptionConfig PreemptionConfig
  MemoryOversubscriptionEnabled bool
  RejectJobRegistration bool
  PauseEvalBroker bool
  CreateIndex uint64
  ModifyIndex uint64

struct AutopilotConfiguration
  CleanupDeadServers bool
  LastContactThreshold interface{}
  MaxTrailingLogs uint64
  MinQuorum uint
  ServerStabilizationTime interface{}
  EnableRedundancyZones bool
  DisableUpgradeMigration bool
  EnableCustomUpgrades bool
  CreateIndex uint64
  ModifyIndex uint64
type CSIPluginType = string

struct WriteRequest
  Region string
  Namespace string
  SecretID string

struct JobRegisterRequest
  Submission *JobSubmission
  Job *Job
  EnforceIndex bool
  JobModifyIndex uint64
  PolicyOverride bool
  PreserveCounts bool
  PreserveResources bool
  EvalPriority int
  WriteRequest

struct JobPlanRequest
  Job *Job
  Diff bool
  PolicyOverride bool
  WriteRequest

struct JobValidateRequest
  Job *Job
  WriteRequest

struct JobsParseRequest
  JobHCL string
  Variables string
  Canonicalize bool

struct NamespacedID
  Namespace string
  ID string

struct JobStatusesRequest
  Jobs []NamespacedID
  IncludeChildren bool

struct DrainSpec
  Deadline time.Duration
  IgnoreSystemJobs bool

struct NodeUpdateDrainRequest
  NodeID string
  DrainSpec *DrainSpec
  MarkEligible bool
  Meta map[string]string

struct TagVersionRequest
  Version uint64
  Latest bool
  Description string
  WriteRequest

struct ScalingRequest
  Count *int64
  Target map[string]string
  Message string
  Error bool
  Meta map[string]interface{}
  WriteRequest
  PolicyOverride bool
  JobModifyIndex uint64

struct JobSubmission
  Source string
  Format string
  VariableFlags map[string]string
  Variables string

struct Job
  Region *string
  Namespace *string
  ID *string
  Name *string
  Type *string
  Priority *int
  AllAtOnce *bool
  Datacenters []string
  NodePool *string
  Constraints []*Constraint
  Affinities []*Affinity
  TaskGroups []*TaskGroup
  Update *UpdateStrategy
  Multiregion *Multiregion
  Spreads []*Spread
  Periodic *PeriodicConfig
  ParameterizedJob *ParameterizedJobConfig
  Reschedule *ReschedulePolicy
  Migrate *MigrateStrategy
  Meta map[string]string
  UI *JobUIConfig
  Stop *bool
  ParentID *string
  Dispatched bool
  DispatchIdempotencyToken *string
  Payload []byte
  ConsulNamespace *string
  VaultNamespace *string
  NomadTokenID *string
  Status *string
  StatusDescription *string
  Stable *bool
  Version *uint64
  SubmitTime *int64
  CreateIndex *uint64
  ModifyIndex *uint64
  JobModifyIndex *uint64
  VersionTag *JobVersionTag

struct UpdateStrategy
  Stagger *time.Duration
  MaxParallel *int
  HealthCheck *string
  MinHealthyTime *time.Duration
  HealthyDeadline *time.Duration
  ProgressDeadline *time.Duration
  Canary *int
  AutoRevert *bool
  AutoPromote *bool

struct Multiregion
  Strategy *MultiregionStrategy
  Regions []*MultiregionRegion

struct MultiregionStrategy
  MaxParallel *int
  OnFailure *string

struct MultiregionRegion
  Name string
  Count *int
  Datacenters []string
  NodePool string
  Meta map[string]string

struct PeriodicConfig
  Enabled *bool
  Spec *string
  Specs []string
  SpecType *string
  ProhibitOverlap *bool
  TimeZone *string

struct ParameterizedJobConfig
  Payload string
  MetaRequired []string
  MetaOptional []string

struct JobUIConfig
  Description string
  Links []*JobUILink

struct JobUILink
  Label string
  URL string

struct JobVersionTag
  Name string
  Description string
  TaggedTime int64

struct Constraint
  LTarget string
  RTarget string
  Operand string

struct Affinity
  LTarget string
  RTarget string
  Operand string
  Weight *int8

struct Spread
  Attribute string
  Weight *int8
  SpreadTarget []*SpreadTarget

struct SpreadTarget
  Value string
  Percent uint8

struct RestartPolicy
  Interval *time.Duration
  Attempts *int
  Delay *time.Duration
  Mode *string
  RenderTemplates *bool

struct DisconnectStrategy
  LostAfter *time.Duration
  StopOnClientAfter *time.Duration
  Replace *bool
  Reconcile *ReconcileOption

struct ReschedulePolicy
  Attempts *int
  Interval *time.Duration
  Delay *time.Duration
  DelayFunction *string
  MaxDelay *time.Duration
  Unlimited *bool

struct EphemeralDisk
  Sticky *bool
  Migrate *bool
  SizeMB *int

struct MigrateStrategy
  MaxParallel *int
  HealthCheck *string
  MinHealthyTime *time.Duration
  HealthyDeadline *time.Duration

struct CSIMountOptions
  FSType string
  MountFlags []string

struct VolumeRequest
  Name string
  Type string
  Source string
  ReadOnly bool
  Sticky bool
  AccessMode string
  AttachmentMode string
  MountOptions *CSIMountOptions
  PerAlloc bool

struct VolumeMount
  Volume *string
  Destination *string
  ReadOnly *bool
  PropagationMode *string
  SELinuxLabel *string

struct TaskGroup
  Name *string
  Count *int
  Constraints []*Constraint
  Affinities []*Affinity
  Tasks []*Task
  Spreads []*Spread
  Volumes map[string]*VolumeRequest
  RestartPolicy *RestartPolicy
  Disconnect *DisconnectStrategy
  ReschedulePolicy *ReschedulePolicy
  EphemeralDisk *EphemeralDisk
  Update *UpdateStrategy
  Migrate *MigrateStrategy
  Networks []*NetworkResource
  Meta map[string]string
  Services []*Service
  ShutdownDelay *time.Duration
  MaxRunDuration *time.Duration
  StopAfterClientDisconnect *time.Duration
  MaxClientDisconnect *time.Duration
  Scaling *ScalingPolicy
  Consul *Consul
  PreventRescheduleOnLost *bool

struct LogConfig
  MaxFiles *int
  MaxFileSizeMB *int
  Enabled *bool
  Disabled *bool

struct DispatchPayloadConfig
  File string

struct TaskLifecycle
  Hook string
  Sidecar bool

struct Task
  Name string
  Driver string
  User string
  Lifecycle *TaskLifecycle
  Config map[string]interface{}
  Constraints []*Constraint
  Affinities []*Affinity
  Env map[string]string
  Services []*Service
  Resources *Resources
  RestartPolicy *RestartPolicy
  Meta map[string]string
  KillTimeout *time.Duration
  LogConfig *LogConfig
  Artifacts []*TaskArtifact
  Vault *Vault
  Consul *Consul
  Templates []*Template
  DispatchPayload *DispatchPayloadConfig
  VolumeMounts []*VolumeMount
  CSIPluginConfig *TaskCSIPluginConfig
  Leader bool
  ShutdownDelay time.Duration
  KillSignal string
  Kind string
  ScalingPolicies []*ScalingPolicy
  Secrets []*Secret
  Identity *WorkloadIdentity
  Identities []*WorkloadIdentity
  Actions []*Action
  Schedule *TaskSchedule

struct TaskArtifact
  GetterSource *string
  GetterOptions map[string]string
  GetterHeaders map[string]string
  GetterMode *string
  GetterInsecure *bool
  RelativeDest *string
  Chown bool

struct WaitConfig
  Min *time.Duration
  Max *time.Duration

struct ChangeScript
  Command *string
  Args []string
  Timeout *time.Duration
  FailOnError *bool
  RunOnFirstRender *bool

struct Template
  SourcePath *string
  DestPath *string
  EmbeddedTmpl *string
  ChangeMode *string
  ChangeScript *ChangeScript
  ChangeSignal *string
  Once *bool
  Splay *time.Duration
  Perms *string
  Uid *int
  Gid *int
  LeftDelim *string
  RightDelim *string
  Envvars *bool
  VaultGrace *time.Duration
  Wait *WaitConfig
  ErrMissingKey *bool

struct Vault
  Policies []string
  Role string
  Namespace *string
  Cluster string
  Env *bool
  DisableFile *bool
  ChangeMode *string
  ChangeSignal *string
  AllowTokenExpiration *bool

struct Secret
  Name string
  Provider string
  Path string
  Config map[string]interface{}
  Env map[string]string

struct TaskCSIPluginConfig
  ID string
  Type CSIPluginType
  MountDir string
  StagePublishBaseDir string
  HealthTimeout time.Duration

struct WorkloadIdentity
  Name string
  Audience []string
  ChangeMode string
  ChangeSignal string
  Env bool
  File bool
  Filepath string
  ServiceName string
  TTL time.Duration
  ExtraClaims []string

struct Action
  Name string
  Command string
  Args []string

struct TaskSchedule
  Cron *TaskScheduleCron

struct TaskScheduleCron
  Start string
  End string
  Timezone string

struct Resources
  CPU *int
  Cores *int
  MemoryMB *int
  MemoryMaxMB *int
  DiskMB *int
  Networks []*NetworkResource
  Devices []*RequestedDevice
  NUMA *NUMAResource
  SecretsMB *int
  IOPS *int

struct NUMAResource
  Affinity string
  Devices []string

struct Port
  Label string
  Value int
  To int
  HostNetwork string
  IgnoreCollision bool

struct DNSConfig
  Servers []string
  Searches []string
  Options []string

struct CNIConfig
  Args map[string]string

struct NetworkResource
  Mode string
  Device string
  CIDR string
  IP string
  DNS *DNSConfig
  ReservedPorts []Port
  DynamicPorts []Port
  Hostname string
  MBits *int
  CNI *CNIConfig

struct RequestedDevice
  Name string
  Count *uint64
  Constraints []*Constraint
  Affinities []*Affinity

struct ScalingPolicy
  Min *int64
  Max *int64
  Policy map[string]interface{}
  Enabled *bool
  Type string
  ID string
  Namespace string
  Target map[string]string
  CreateIndex uint64
  ModifyIndex uint64

struct CheckRestart
  Limit int
  Grace *time.Duration
  IgnoreWarnings bool

struct ServiceCheck
  Name string
  Type string
  Command string
  Args []string
  Path string
  Protocol string
  PortLabel string
  Expose bool
  AddressMode string
  Advertise string
  Interval time.Duration
  Timeout time.Duration
  InitialStatus string
  Notes string
  TLSServerName string
  TLSSkipVerify bool
  Header map[string][]string
  Method string
  CheckRestart *CheckRestart
  GRPCService string
  GRPCUseTLS bool
  TaskName string
  SuccessBeforePassing int
  FailuresBeforeCritical int
  FailuresBeforeWarning int
  Body string
  OnUpdate string

struct Service
  Name string
  Tags []string
  CanaryTags []string
  EnableTagOverride bool
  PortLabel string
  AddressMode string
  Address string
  Checks []ServiceCheck
  CheckRestart *CheckRestart
  Connect *ConsulConnect
  Meta map[string]string
  CanaryMeta map[string]string
  TaggedAddresses map[string]string
  TaskName string
  OnUpdate string
  Identity *WorkloadIdentity
  Weights *ServiceWeights
  Provider string
  Cluster string
  Kind string

struct ServiceWeights
  Passing int
  Warning int

struct Consul
  Namespace string
  Cluster string
  Partition string

struct ConsulConnect
  Native bool
  Gateway *ConsulGateway
  SidecarService *ConsulSidecarService
  SidecarTask *SidecarTask

struct ConsulSidecarService
  Tags []string
  Port string
  Proxy *ConsulProxy
  DisableDefaultTCPCheck bool
  Meta map[string]string

struct SidecarTask
  Name string
  Driver string
  User string
  Config map[string]interface{}
  Env map[string]string
  Resources *Resources
  Meta map[string]string
  KillTimeout *time.Duration
  LogConfig *LogConfig
  ShutdownDelay *time.Duration
  KillSignal string
  VolumeMounts []*VolumeMount
  Identities []*WorkloadIdentity

struct ConsulProxy
  LocalServiceAddress string
  LocalServicePort int
  Expose *ConsulExposeConfig
  ExposeConfig *ConsulExposeConfig
  Upstreams []*ConsulUpstream
  TransparentProxy *ConsulTransparentProxy
  Config map[string]interface{}

struct ConsulMeshGateway
  Mode string

struct ConsulUpstream
  DestinationName string
  DestinationNamespace string
  DestinationPeer string
  DestinationPartition string
  DestinationType string
  LocalBindPort int
  Datacenter string
  LocalBindAddress string
  LocalBindSocketPath string
  LocalBindSocketMode string
  MeshGateway *ConsulMeshGateway
  Config map[string]interface{}

struct ConsulTransparentProxy
  UID string
  OutboundPort uint16
  ExcludeInboundPorts []string
  ExcludeOutboundPorts []uint16
  ExcludeOutboundCIDRs []string
  ExcludeUIDs []string
  NoDNS bool

struct ConsulExposeConfig
  Paths []*ConsulExposePath
  Path []*ConsulExposePath

struct ConsulExposePath
  Path string
  Protocol string
  LocalPathPort int
  ListenerPort string

struct ConsulGateway
  Proxy *ConsulGatewayProxy
  Ingress *ConsulIngressConfigEntry
  Terminating *ConsulTerminatingConfigEntry
  Mesh *ConsulMeshConfigEntry

struct ConsulGatewayBindAddress
  Name string
  Address string
  Port int

struct ConsulGatewayProxy
  ConnectTimeout *time.Duration
  EnvoyGatewayBindTaggedAddresses bool
  EnvoyGatewayBindAddresses map[string]*ConsulGatewayBindAddress
  EnvoyGatewayNoDefaultBind bool
  EnvoyDNSDiscoveryType string
  Config map[string]interface{}

struct ConsulGatewayTLSSDSConfig
  ClusterName string
  CertResource string

struct ConsulGatewayTLSConfig
  Enabled bool
  TLSMinVersion string
  TLSMaxVersion string
  CipherSuites []string
  SDS *ConsulGatewayTLSSDSConfig

struct ConsulHTTPHeaderModifiers
  Add map[string]string
  Set map[string]string
  Remove []string

struct ConsulIngressService
  Name string
  Hosts []string
  TLS *ConsulGatewayTLSConfig
  RequestHeaders *ConsulHTTPHeaderModifiers
  ResponseHeaders *ConsulHTTPHeaderModifiers
  MaxConnections *uint32
  MaxPendingRequests *uint32
  MaxConcurrentRequests *uint32

struct ConsulIngressListener
  Port int
  Protocol string
  Services []*ConsulIngressService

struct ConsulIngressConfigEntry
  TLS *ConsulGatewayTLSConfig
  Listeners []*ConsulIngressListener

struct ConsulLinkedService
  Name string
  CAFile string
  CertFile string
  KeyFile string
  SNI string

struct ConsulTerminatingConfigEntry
  Services []*ConsulLinkedService

struct ConsulMeshConfigEntry
`;

// Server structs the agent decodes some bodies into directly (nomad/structs/structs.go).
const STRUCTS = `
struct InternalRpcInfo
  Forwarded bool

struct WriteRequest
  Region string
  Namespace string
  AuthToken string
  IdempotencyToken string
  InternalRpcInfo

struct JobDispatchRequest
  JobID string
  Payload []byte
  Meta map[string]string
  WriteRequest
  IdPrefixTemplate string
  Priority int

struct DeploymentPauseRequest
  DeploymentID string
  Pause bool
  WriteRequest

struct DeploymentPromoteRequest
  DeploymentID string
  All bool
  Groups []string
  WriteRequest

struct DeploymentUnblockRequest
  DeploymentID string
  WriteRequest

struct DeploymentAllocHealthRequest
  DeploymentID string
  HealthyAllocationIDs []string
  UnhealthyAllocationIDs []string
  WriteRequest

struct JobRevertRequest
  JobID string
  JobVersion uint64
  EnforcePriorVersion *uint64
  WriteRequest

struct JobStabilityRequest
  JobID string
  JobVersion uint64
  Stable bool
  WriteRequest

struct EvalOptions
  ForceReschedule bool

struct JobEvaluateRequest
  JobID string
  EvalOptions EvalOptions
  WriteRequest

struct VariableMetadata
  Namespace string
  Path string
  Lock interface{}
  CreateIndex uint64
  CreateTime int64
  ModifyIndex uint64
  ModifyTime int64

struct VariableDecrypted
  VariableMetadata
  Items map[string]string

struct Namespace
  Name string
  Description string
  Quota string
  Capabilities *NamespaceCapabilities
  NodePoolConfiguration *NamespaceNodePoolConfiguration
  VaultConfiguration *NamespaceVaultConfiguration
  ConsulConfiguration *NamespaceConsulConfiguration
  Meta map[string]string
  Hash []byte
  CreateIndex uint64
  ModifyIndex uint64
  RequiredExtraClaims map[string]string
  OptionalExtraClaims map[string]string

type SchedulerAlgorithm = string

struct NodePool
  Name string
  Description string
  Meta map[string]string
  SchedulerConfiguration *NodePoolSchedulerConfiguration
  NodeIdentityTTL interface{}
  Hash []byte
  CreateIndex uint64
  ModifyIndex uint64

struct NodePoolSchedulerConfiguration
  SchedulerAlgorithm SchedulerAlgorithm
  MemoryOversubscriptionEnabled *bool

struct NodeEvent
  Message string
  Subsystem string
  Details map[string]string
  Timestamp interface{}
  CreateIndex uint64

struct NodeUpdateEligibilityRequest
  NodeID string
  Eligibility string
  NodeEvent *NodeEvent
  UpdatedAt int64
  WriteRequest

struct EvalDeleteRequest
  EvalIDs []string
  Filter string

struct QueryOptions
  Region string
  Namespace string
  MinQueryIndex uint64
  MaxQueryTime time.Duration
  AllowStale bool
  Prefix string
  AuthToken string
  Filter string
  PerPage int32
  NextToken string
  Reverse bool
  InternalRpcInfo

struct AllocSignalRequest
  AllocID string
  Task string
  Signal string
  QueryOptions

struct AllocRestartBody
  TaskName string
  AllTasks bool

struct NodeMetaApplyRequest
  QueryOptions
  NodeID string
  Meta map[string]*string

struct SearchRequest
  Prefix string
  Context string
  QueryOptions

struct FuzzySearchRequest
  Text string
  Context string
  QueryOptions

struct CSIVolumeCapability
  AttachmentMode string
  AccessMode string

struct CSIVolume
  ID string
  Name string
  ExternalID string
  Namespace string
  PluginID string
  SnapshotID string
  CloneID string
  RequestedCapabilities []*CSIVolumeCapability
  Parameters map[string]string
  Context map[string]string
  Secrets map[string]string

struct CSIVolumeRegisterRequest
  Volumes []*CSIVolume
  WriteRequest

struct HostVolume
  Namespace string
  ID string
  Name string
  PluginID string
  NodePool string
  NodeID string
  HostPath string
  Parameters map[string]string
  RequestedCapacityMinBytes int64
  RequestedCapacityMaxBytes int64

struct HostVolumeCreateRequest
  Volume *HostVolume
  PolicyOverride bool
  WriteRequest

struct NamespaceCapabilities
  EnabledTaskDrivers []string
  DisabledTaskDrivers []string
  EnabledNetworkModes []string
  DisabledNetworkModes []string

struct NamespaceNodePoolConfiguration
  Default string
  Allowed []string
  Denied []string

struct NamespaceVaultConfiguration
  Default string
  Allowed []string
  Denied []string

struct NamespaceConsulConfiguration
  Default string
  Allowed []string
  Denied []string
`;

// ---------------------------------------------------------------------------------------------
// Compiler for the struct bodies above.

/**
 * Go's zero value of `t`. A struct's is the caller's: the JSON decoder fills an empty target,
 * the HCL decoder writes out every field.
 */
export function zeroValue(t: GoType, struct: (t: GoType) => unknown): unknown {
  switch (t.kind) {
    case Kind.String:
      return '';
    case Kind.Bool:
      return false;
    case Kind.Int:
    case Kind.Uint:
    case Kind.Float:
      return 0;
    case Kind.Struct:
      return struct(t);
    default:
      return null;
  }
}

/** Every GoType gets the same properties in the same order (one object shape for the decoder). */
export function goType(kind: Kind, goName: string, nullable: boolean, extra: Partial<GoType> = {}): GoType {
  return {
    kind,
    goName,
    elem: extra.elem,
    struct: extra.struct,
    min: extra.min,
    max: extra.max,
    minN: extra.min === undefined ? undefined : Number(extra.min),
    maxN: extra.max === undefined ? undefined : Number(extra.max),
    bits: extra.bits,
    nullable,
  };
}
function intType(goName: string, bits: number): GoType {
  const half = 2n ** BigInt(bits - 1);
  return goType(Kind.Int, goName, false, { min: -half, max: half - 1n });
}
function uintType(goName: string, bits: number): GoType {
  return goType(Kind.Uint, goName, false, { min: 0n, max: 2n ** BigInt(bits) - 1n });
}

const BASIC: Record<string, GoType> = {
  string: goType(Kind.String, 'string', false),
  bool: goType(Kind.Bool, 'bool', false),
  int: intType('int', 64),
  int8: intType('int8', 8),
  int16: intType('int16', 16),
  int32: intType('int32', 32),
  int64: intType('int64', 64),
  'time.Duration': intType('time.Duration', 64),
  uint: uintType('uint', 64),
  uint8: uintType('uint8', 8),
  byte: uintType('uint8', 8),
  uint16: uintType('uint16', 16),
  uint32: uintType('uint32', 32),
  uint64: uintType('uint64', 64),
  float32: goType(Kind.Float, 'float32', false, { bits: 32 }),
  float64: goType(Kind.Float, 'float64', false, { bits: 64 }),
  'interface{}': goType(Kind.Any, 'interface {}', true),
  any: goType(Kind.Any, 'interface {}', true),
  '[]byte': goType(Kind.Bytes, '[]uint8', true, { elem: uintType('uint8', 8) }),
};

interface Package {
  readonly pkg: string;
  readonly named: Map<string, GoType>;
  readonly structs: Map<string, StructDesc>;
}

interface RawStruct {
  name: string;
  lines: [string, string | null][];
}

function parseBodies(text: string): { named: [string, string][]; structs: RawStruct[] } {
  const named: [string, string][] = [];
  const structs: RawStruct[] = [];
  let current: RawStruct | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const words = line.split(/\s+/);
    if (words[0] === 'type') {
      named.push([words[1]!, words[3]!]);
      current = null;
    } else if (words[0] === 'struct') {
      current = { name: words[1]!, lines: [] };
      structs.push(current);
    } else if (current) {
      current.lines.push([words[0]!, words[1] ?? null]);
    } else {
      throw new Error(`decode-types: field outside a struct: ${line}`);
    }
  }
  return { named, structs };
}

function compilePackage(pkg: string, text: string): Package {
  const { named, structs } = parseBodies(text);
  const p: Package = { pkg, named: new Map(), structs: new Map() };
  for (const [name, base] of named) {
    const b = BASIC[base];
    if (!b) throw new Error(`decode-types: unknown base type ${base}`);
    p.named.set(name, goType(b.kind, `${pkg}.${name}`, b.nullable, b));
  }
  // Two passes so structs may refer to each other in any order.
  const shells = new Map<string, { desc: StructDesc; fields: FieldDesc[] }>();
  for (const s of structs) {
    const fields: FieldDesc[] = [];
    const desc: StructDesc = { kind: 'struct', pkg, name: s.name, fields, exact: new Map(), folded: new Map(), byLength: [] };
    shells.set(s.name, { desc, fields });
    p.structs.set(s.name, desc);
  }
  const resolve = (t: string): GoType => {
    if (t.startsWith('*')) {
      const elem = resolve(t.slice(1));
      return goType(Kind.Ptr, `*${elem.goName}`, true, { elem });
    }
    if (t === '[]byte' || t === '[]uint8') return BASIC['[]byte']!;
    if (t.startsWith('[]')) {
      const elem = resolve(t.slice(2));
      return goType(Kind.Slice, `[]${elem.goName}`, true, { elem });
    }
    if (t.startsWith('map[string]')) {
      const elem = resolve(t.slice('map[string]'.length));
      return goType(Kind.Map, `map[string]${elem.goName}`, true, { elem });
    }
    const basic = BASIC[t];
    if (basic) return basic;
    const n = p.named.get(t);
    if (n) return n;
    const s = shells.get(t);
    if (s) return goType(Kind.Struct, `${pkg}.${t}`, false, { struct: s.desc });
    throw new Error(`decode-types: unknown type ${t} in package ${pkg}`);
  };
  // Embedded structs must be compiled before the structs that embed them: resolve on demand.
  const done = new Set<string>();
  const build = (name: string): void => {
    if (done.has(name)) return;
    done.add(name);
    const raw = structs.find((s) => s.name === name)!;
    const { fields } = shells.get(name)!;
    for (const [fname, ftype] of raw.lines) {
      if (ftype === null) {
        // Embedded struct: its fields are promoted, and Go ≥ 1.24 names the embedded struct in
        // the error path (`JobRegisterRequest.WriteRequest.Region`).
        build(fname);
        for (const f of shells.get(fname)!.fields) fields.push({ name: f.name, type: f.type, via: [fname, ...f.via], bytes: f.bytes });
      } else {
        fields.push({ name: fname, type: resolve(ftype), via: [], bytes: Buffer.from(fname, 'latin1') });
      }
    }
    const desc = shells.get(name)!.desc;
    const exact = desc.exact as Map<string, FieldDesc>;
    const folded = desc.folded as Map<string, FieldDesc>;
    for (const f of fields) {
      // Go's dominance rule drops same-named fields at the same depth; none of Nomad's request
      // structs has such a clash, so the shallowest (first) field wins here.
      if (!exact.has(f.name)) exact.set(f.name, f);
      const k = asciiUpper(f.name);
      if (!folded.has(k)) folded.set(k, f);
    }
    const byLength = desc.byLength as FieldDesc[][];
    for (const f of exact.values()) (byLength[f.name.length] ??= []).push(f);
  };
  for (const s of structs) build(s.name);
  return p;
}

function asciiUpper(s: string): string {
  return s.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 32));
}

const apiPkg = compilePackage('api', API);
const structsPkg = compilePackage('structs', STRUCTS);

/** API structs (package `api`), by Go name: `apiTypes.Job.fields` lists the Job's fields in order. */
export const apiTypes: Readonly<Record<string, StructDesc>> = Object.fromEntries(apiPkg.structs);
/** Server structs (package `structs`) decoded directly by some handlers. */
export const serverTypes: Readonly<Record<string, StructDesc>> = Object.fromEntries(structsPkg.structs);

export type RequestRoot =
  | 'JobRegisterRequest'
  | 'JobPlanRequest'
  | 'JobValidateRequest'
  | 'JobsParseRequest'
  | 'JobDispatchRequest'
  | 'JobRevertRequest'
  | 'JobStabilityRequest'
  | 'JobEvaluateRequest'
  | 'ScalingRequest'
  | 'TagVersionRequest'
  | 'JobStatusesRequest'
  | 'DeploymentPauseRequest'
  | 'DeploymentPromoteRequest'
  | 'DeploymentAllocHealthRequest'
  | 'DeploymentUnblockRequest'
  | 'Namespace'
  | 'VariableDecrypted'
  | 'NodePool'
  | 'EvalDeleteRequest'
  | 'SchedulerConfiguration'
  | 'AutopilotConfiguration'
  | 'SearchRequest'
  | 'FuzzySearchRequest'
  | 'CSIVolumeRegisterRequest'
  | 'HostVolumeCreateRequest'
  | 'NodeUpdateDrainRequest'
  | 'NodeUpdateEligibilityRequest'
  | 'AllocSignalRequest'
  | 'AllocRestartBody'
  | 'NodeMetaApplyRequest';

/** The Go type each request body is decoded into by Nomad's HTTP handlers. */
export const ROOT_TYPES: Readonly<Record<RequestRoot, StructDesc>> = {
  JobRegisterRequest: apiTypes.JobRegisterRequest!,
  JobPlanRequest: apiTypes.JobPlanRequest!,
  JobValidateRequest: apiTypes.JobValidateRequest!,
  JobsParseRequest: apiTypes.JobsParseRequest!,
  JobDispatchRequest: serverTypes.JobDispatchRequest!,
  JobRevertRequest: serverTypes.JobRevertRequest!,
  JobStabilityRequest: serverTypes.JobStabilityRequest!,
  JobEvaluateRequest: serverTypes.JobEvaluateRequest!,
  ScalingRequest: apiTypes.ScalingRequest!,
  TagVersionRequest: apiTypes.TagVersionRequest!,
  JobStatusesRequest: apiTypes.JobStatusesRequest!,
  DeploymentPauseRequest: serverTypes.DeploymentPauseRequest!,
  DeploymentPromoteRequest: serverTypes.DeploymentPromoteRequest!,
  DeploymentAllocHealthRequest: serverTypes.DeploymentAllocHealthRequest!,
  DeploymentUnblockRequest: serverTypes.DeploymentUnblockRequest!,
  Namespace: serverTypes.Namespace!,
  // `Lock` has its own UnmarshalJSON (durations as strings); routes/variables decodes it.
  VariableDecrypted: serverTypes.VariableDecrypted!,
  NodePool: serverTypes.NodePool!,
  EvalDeleteRequest: serverTypes.EvalDeleteRequest!,
  SchedulerConfiguration: apiTypes.SchedulerConfiguration!,
  AutopilotConfiguration: apiTypes.AutopilotConfiguration!,
  SearchRequest: serverTypes.SearchRequest!,
  FuzzySearchRequest: serverTypes.FuzzySearchRequest!,
  CSIVolumeRegisterRequest: serverTypes.CSIVolumeRegisterRequest!,
  HostVolumeCreateRequest: serverTypes.HostVolumeCreateRequest!,
  NodeUpdateDrainRequest: apiTypes.NodeUpdateDrainRequest!,
  // NodeEvent.Timestamp is a time.Time in Go; any JSON is taken here (the RPC refuses a set event anyway).
  NodeUpdateEligibilityRequest: serverTypes.NodeUpdateEligibilityRequest!,
  AllocSignalRequest: serverTypes.AllocSignalRequest!,
  // The anonymous `struct { TaskName string; AllTasks bool }` of allocRestart; routes/client names it.
  AllocRestartBody: serverTypes.AllocRestartBody!,
  NodeMetaApplyRequest: serverTypes.NodeMetaApplyRequest!,
};
