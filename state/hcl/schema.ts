// Which jobspec block and argument fills which field of Nomad's API structs: the `hcl:"…"` struct
// tags of api/jobs.go, api/tasks.go, api/resources.go, api/services.go, api/consul.go,
// api/scaling.go and api/task_sched.go, which is the block → field mapping json-jobs.mdx documents.
//
// Notation, one line per field:
//   `name Field type[!]`   an argument (`!` = required); types: string int int8 uint8 int64 uint64
//                          bool duration strings strmap
//   `name{} Field Struct`  at most one block; `name* Field Struct` any number of blocks;
//   `name[] Field Struct`  blocks keyed by their label (a map);
//   `name{} Field strmap|anymap|strlistmap`  a block whose arguments become a map;
//   `@label Field`         the field that receives the block's label.

export type AttrType = 'string' | 'int' | 'int8' | 'uint8' | 'int64' | 'uint64' | 'bool' | 'duration' | 'strings' | 'strmap';
export type MapKind = 'strmap' | 'anymap' | 'strlistmap';

export interface AttrSpec {
  hcl: string;
  field: string;
  type: AttrType;
  required: boolean;
}

export interface BlockSpec {
  hcl: string;
  field: string;
  kind: 'one' | 'list' | 'map' | MapKind;
  struct: string | null;
}

export interface StructSpec {
  name: string;
  label: string | null;
  attrs: AttrSpec[];
  blocks: BlockSpec[];
}

const SPEC = `
Job
  region Region string
  namespace Namespace string
  id ID string
  name Name string
  type Type string
  priority Priority int
  all_at_once AllAtOnce bool
  datacenters Datacenters strings
  node_pool NodePool string
  constraint* Constraints Constraint
  affinity* Affinities Affinity
  group* TaskGroups TaskGroup
  update{} Update UpdateStrategy
  multiregion{} Multiregion Multiregion
  spread* Spreads Spread
  periodic{} Periodic PeriodicConfig
  parameterized{} ParameterizedJob ParameterizedJobConfig
  reschedule{} Reschedule ReschedulePolicy
  migrate{} Migrate MigrateStrategy
  meta{} Meta strmap
  ui{} UI JobUIConfig

UpdateStrategy
  stagger Stagger duration
  max_parallel MaxParallel int
  health_check HealthCheck string
  min_healthy_time MinHealthyTime duration
  healthy_deadline HealthyDeadline duration
  progress_deadline ProgressDeadline duration
  canary Canary int
  auto_revert AutoRevert bool
  auto_promote AutoPromote bool

Multiregion
  strategy{} Strategy MultiregionStrategy
  region* Regions MultiregionRegion

MultiregionStrategy
  max_parallel MaxParallel int
  on_failure OnFailure string

MultiregionRegion
  @label Name
  count Count int
  datacenters Datacenters strings
  node_pool NodePool string
  meta{} Meta strmap

PeriodicConfig
  enabled Enabled bool
  cron Spec string
  crons Specs strings
  prohibit_overlap ProhibitOverlap bool
  time_zone TimeZone string

ParameterizedJobConfig
  payload Payload string
  meta_required MetaRequired strings
  meta_optional MetaOptional strings

JobUIConfig
  description Description string
  link* Links JobUILink

JobUILink
  label Label string
  url URL string

Constraint

Affinity

Spread
  attribute Attribute string
  weight Weight int8
  target* SpreadTarget SpreadTarget

SpreadTarget
  @label Value
  percent Percent uint8

RestartPolicy
  interval Interval duration
  attempts Attempts int
  delay Delay duration
  mode Mode string
  render_templates RenderTemplates bool

DisconnectStrategy
  lost_after LostAfter duration
  stop_on_client_after StopOnClientAfter duration
  replace Replace bool
  reconcile Reconcile string

ReschedulePolicy
  attempts Attempts int
  interval Interval duration
  delay Delay duration
  delay_function DelayFunction string
  max_delay MaxDelay duration
  unlimited Unlimited bool

EphemeralDisk
  sticky Sticky bool
  migrate Migrate bool
  size SizeMB int

MigrateStrategy
  max_parallel MaxParallel int
  health_check HealthCheck string
  min_healthy_time MinHealthyTime duration
  healthy_deadline HealthyDeadline duration

VolumeRequest
  @label Name
  type Type string
  source Source string
  read_only ReadOnly bool
  sticky Sticky bool
  access_mode AccessMode string
  attachment_mode AttachmentMode string
  mount_options{} MountOptions CSIMountOptions
  per_alloc PerAlloc bool

CSIMountOptions
  fs_type FSType string
  mount_flags MountFlags strings

VolumeMount
  volume Volume string
  destination Destination string
  read_only ReadOnly bool
  propagation_mode PropagationMode string
  selinux_label SELinuxLabel string

TaskGroup
  @label Name
  count Count int
  constraint* Constraints Constraint
  affinity* Affinities Affinity
  task* Tasks Task
  spread* Spreads Spread
  volume[] Volumes VolumeRequest
  restart{} RestartPolicy RestartPolicy
  disconnect{} Disconnect DisconnectStrategy
  reschedule{} ReschedulePolicy ReschedulePolicy
  ephemeral_disk{} EphemeralDisk EphemeralDisk
  update{} Update UpdateStrategy
  migrate{} Migrate MigrateStrategy
  network* Networks NetworkResource
  meta{} Meta strmap
  service* Services Service
  shutdown_delay ShutdownDelay duration
  max_run_duration MaxRunDuration duration
  stop_after_client_disconnect StopAfterClientDisconnect duration
  max_client_disconnect MaxClientDisconnect duration
  scaling{} Scaling ScalingPolicy
  consul{} Consul Consul
  prevent_reschedule_on_lost PreventRescheduleOnLost bool

LogConfig
  max_files MaxFiles int
  max_file_size MaxFileSizeMB int
  enabled Enabled bool
  disabled Disabled bool

DispatchPayloadConfig
  file File string

TaskLifecycle
  hook Hook string!
  sidecar Sidecar bool

Task
  @label Name
  driver Driver string
  user User string
  lifecycle{} Lifecycle TaskLifecycle
  config{} Config anymap
  constraint* Constraints Constraint
  affinity* Affinities Affinity
  env{} Env strmap
  service* Services Service
  resources{} Resources Resources
  restart{} RestartPolicy RestartPolicy
  meta{} Meta strmap
  kill_timeout KillTimeout duration
  logs{} LogConfig LogConfig
  artifact* Artifacts TaskArtifact
  vault{} Vault Vault
  consul{} Consul Consul
  template* Templates Template
  dispatch_payload{} DispatchPayload DispatchPayloadConfig
  volume_mount* VolumeMounts VolumeMount
  csi_plugin{} CSIPluginConfig TaskCSIPluginConfig
  leader Leader bool
  shutdown_delay ShutdownDelay duration
  kill_signal KillSignal string
  kind Kind string
  secret* Secrets Secret
  identity* Identities WorkloadIdentity
  action* Actions Action
  schedule{} Schedule TaskSchedule

TaskArtifact
  source GetterSource string
  options{} GetterOptions strmap
  headers{} GetterHeaders strmap
  mode GetterMode string
  insecure GetterInsecure bool
  destination RelativeDest string
  chown Chown bool

WaitConfig
  min Min duration!
  max Max duration!

ChangeScript
  command Command string!
  args Args strings
  timeout Timeout duration
  fail_on_error FailOnError bool!
  run_on_first_render RunOnFirstRender bool

Template
  source SourcePath string
  destination DestPath string
  data EmbeddedTmpl string
  change_mode ChangeMode string
  change_script{} ChangeScript ChangeScript
  change_signal ChangeSignal string
  once Once bool
  splay Splay duration
  perms Perms string
  uid Uid int
  gid Gid int
  left_delimiter LeftDelim string
  right_delimiter RightDelim string
  env Envvars bool
  vault_grace VaultGrace duration
  wait{} Wait WaitConfig
  error_on_missing_key ErrMissingKey bool

Vault
  policies Policies strings
  role Role string
  namespace Namespace string
  cluster Cluster string
  env Env bool
  disable_file DisableFile bool
  change_mode ChangeMode string
  change_signal ChangeSignal string
  allow_token_expiration AllowTokenExpiration bool

Secret
  @label Name
  provider Provider string
  path Path string
  config{} Config anymap
  env{} Env strmap

TaskCSIPluginConfig
  id ID string
  type Type string
  mount_dir MountDir string
  stage_publish_base_dir StagePublishBaseDir string
  health_timeout HealthTimeout duration

WorkloadIdentity
  name Name string
  aud Audience strings
  change_mode ChangeMode string
  change_signal ChangeSignal string
  env Env bool
  file File bool
  filepath Filepath string
  service_name ServiceName string
  ttl TTL duration
  extra_claims ExtraClaims strings

Action
  @label Name
  command Command string!
  args Args strings

TaskSchedule
  cron{} Cron TaskScheduleCron

TaskScheduleCron
  start Start string
  end End string
  timezone Timezone string

Resources
  cpu CPU int
  cores Cores int
  memory MemoryMB int
  memory_max MemoryMaxMB int
  disk DiskMB int
  network* Networks NetworkResource
  device* Devices RequestedDevice
  numa{} NUMA NUMAResource
  secrets SecretsMB int
  iops IOPS int

NUMAResource
  affinity Affinity string
  devices Devices strings

Port
  @label Label
  static Value int
  to To int
  host_network HostNetwork string
  ignore_collision IgnoreCollision bool

DNSConfig
  servers Servers strings
  searches Searches strings
  options Options strings

CNIConfig
  args Args strmap

NetworkResource
  mode Mode string
  device Device string
  cidr CIDR string
  ip IP string
  dns{} DNS DNSConfig
  reserved_ports* ReservedPorts Port
  port* DynamicPorts Port
  hostname Hostname string
  mbits MBits int
  cni{} CNI CNIConfig

RequestedDevice
  @label Name
  count Count uint64
  constraint* Constraints Constraint
  affinity* Affinities Affinity

ScalingPolicy
  min Min int64
  max Max int64
  policy{} Policy anymap
  enabled Enabled bool
  type Type string

CheckRestart
  limit Limit int
  grace Grace duration
  ignore_warnings IgnoreWarnings bool

ServiceCheck
  name Name string
  type Type string
  command Command string
  args Args strings
  path Path string
  protocol Protocol string
  port PortLabel string
  expose Expose bool
  address_mode AddressMode string
  advertise Advertise string
  interval Interval duration
  timeout Timeout duration
  initial_status InitialStatus string
  notes Notes string
  tls_server_name TLSServerName string
  tls_skip_verify TLSSkipVerify bool
  header{} Header strlistmap
  method Method string
  check_restart{} CheckRestart CheckRestart
  grpc_service GRPCService string
  grpc_use_tls GRPCUseTLS bool
  task TaskName string
  success_before_passing SuccessBeforePassing int
  failures_before_critical FailuresBeforeCritical int
  failures_before_warning FailuresBeforeWarning int
  body Body string
  on_update OnUpdate string

Service
  name Name string
  tags Tags strings
  canary_tags CanaryTags strings
  enable_tag_override EnableTagOverride bool
  port PortLabel string
  address_mode AddressMode string
  address Address string
  check* Checks ServiceCheck
  check_restart{} CheckRestart CheckRestart
  connect{} Connect ConsulConnect
  meta{} Meta strmap
  canary_meta{} CanaryMeta strmap
  tagged_addresses{} TaggedAddresses strmap
  task TaskName string
  on_update OnUpdate string
  identity{} Identity WorkloadIdentity
  weights{} Weights ServiceWeights
  provider Provider string
  cluster Cluster string
  kind Kind string

ServiceWeights
  passing Passing int
  warning Warning int

Consul
  namespace Namespace string
  cluster Cluster string
  partition Partition string
`;

function compile(text: string): Map<string, StructSpec> {
  const out = new Map<string, StructSpec>();
  let cur: StructSpec | null = null;
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    if (!raw.startsWith(' ')) {
      cur = { name: raw.trim(), label: null, attrs: [], blocks: [] };
      out.set(cur.name, cur);
      continue;
    }
    const [name, field, type] = raw.trim().split(/\s+/) as [string, string, string | undefined];
    if (name === '@label') {
      cur!.label = field;
    } else if (name.endsWith('{}') || name.endsWith('*') || name.endsWith('[]')) {
      const hcl = name.replace(/(\{\}|\*|\[\])$/, '');
      const mapKind = type === 'strmap' || type === 'anymap' || type === 'strlistmap';
      const kind = mapKind ? (type as MapKind) : name.endsWith('{}') ? 'one' : name.endsWith('*') ? 'list' : 'map';
      cur!.blocks.push({ hcl, field, kind, struct: mapKind ? null : type! });
    } else {
      const required = type!.endsWith('!');
      cur!.attrs.push({ hcl: name, field, type: type!.replace('!', '') as AttrType, required });
    }
  }
  return out;
}

export const STRUCTS: ReadonlyMap<string, StructSpec> = compile(SPEC);

export function spec(name: string): StructSpec {
  const s = STRUCTS.get(name);
  if (!s) throw new Error(`hcl schema: no struct ${name}`);
  return s;
}

/**
 * Blocks Nomad accepts that nomad-mock does not decode. Each fails the parse with a clear 400
 * (README "HCL jobspecs": unsupported features).
 */
export const UNSUPPORTED_BLOCKS: ReadonlyMap<string, string> = new Map([
  ['connect', 'nomad-mock does not support Consul Connect ("connect" blocks: sidecar_service, sidecar_task, gateway, native).'],
]);
