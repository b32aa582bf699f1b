// Field lists and Go types of the API structs Nomad's agent decodes request bodies into
// (api/jobs.go, api/tasks.go, api/resources.go, api/services.go, …), in declaration order.
// Type strings: Go scalar names, `time.Duration`, `[]byte`, `interface{}`, `[]T`, `map[string]T`,
// or the name of another struct below. Connect/gateway sub-trees are taken as `interface{}`.

export type Fields = Record<string, string>;

const constraint: Fields = { LTarget: 'string', RTarget: 'string', Operand: 'string' };
const affinity: Fields = { LTarget: 'string', RTarget: 'string', Operand: 'string', Weight: 'int8' };

export const STRUCTS: Record<string, Fields> = {
  Constraint: constraint,
  Affinity: affinity,
  Spread: { Attribute: 'string', Weight: 'int8', SpreadTarget: '[]SpreadTarget' },
  SpreadTarget: { Value: 'string', Percent: 'uint8' },
  UpdateStrategy: {
    Stagger: 'time.Duration', MaxParallel: 'int', HealthCheck: 'string', MinHealthyTime: 'time.Duration',
    HealthyDeadline: 'time.Duration', ProgressDeadline: 'time.Duration', Canary: 'int', AutoRevert: 'bool', AutoPromote: 'bool',
  },
  MigrateStrategy: { MaxParallel: 'int', HealthCheck: 'string', MinHealthyTime: 'time.Duration', HealthyDeadline: 'time.Duration' },
  RestartPolicy: { Interval: 'time.Duration', Attempts: 'int', Delay: 'time.Duration', Mode: 'string', RenderTemplates: 'bool' },
  ReschedulePolicy: {
    Attempts: 'int', Interval: 'time.Duration', Delay: 'time.Duration', DelayFunction: 'string',
    MaxDelay: 'time.Duration', Unlimited: 'bool',
  },
  DisconnectStrategy: { LostAfter: 'time.Duration', Replace: 'bool', Reconcile: 'string', StopOnClientAfter: 'time.Duration' },
  EphemeralDisk: { Sticky: 'bool', Migrate: 'bool', SizeMB: 'int' },
  PeriodicConfig: { Enabled: 'bool', Spec: 'string', Specs: '[]string', SpecType: 'string', ProhibitOverlap: 'bool', TimeZone: 'string' },
  ParameterizedJobConfig: { Payload: 'string', MetaRequired: '[]string', MetaOptional: '[]string' },
  MultiregionStrategy: { MaxParallel: 'int', OnFailure: 'string' },
  MultiregionRegion: { Name: 'string', Count: 'int', Datacenters: '[]string', NodePool: 'string', Meta: 'map[string]string' },
  Multiregion: { Strategy: 'MultiregionStrategy', Regions: '[]MultiregionRegion' },
  JobUILink: { Label: 'string', Url: 'string' },
  JobUIConfig: { Description: 'string', Links: '[]JobUILink' },
  JobVersionTag: { Name: 'string', Description: 'string', TaggedTime: 'int64' },
  ScalingPolicy: {
    ID: 'string', Namespace: 'string', Type: 'string', Target: 'map[string]string', Min: 'int64', Max: 'int64',
    Policy: 'map[string]interface{}', Enabled: 'bool', CreateIndex: 'uint64', ModifyIndex: 'uint64',
  },
  Port: { Label: 'string', Value: 'int', To: 'int', HostNetwork: 'string', IgnoreCollision: 'bool' },
  DNSConfig: { Servers: '[]string', Searches: '[]string', Options: '[]string' },
  CNIConfig: { Args: 'map[string]string' },
  NetworkResource: {
    Mode: 'string', Device: 'string', CIDR: 'string', IP: 'string', DNS: 'DNSConfig', ReservedPorts: '[]Port',
    DynamicPorts: '[]Port', Hostname: 'string', MBits: 'int', CNI: 'CNIConfig',
  },
  RequestedDevice: { Name: 'string', Count: 'uint64', Constraints: '[]Constraint', Affinities: '[]Affinity' },
  NUMAResource: { Affinity: 'string', Devices: '[]string' },
  Resources: {
    CPU: 'int', Cores: 'int', MemoryMB: 'int', MemoryMaxMB: 'int', DiskMB: 'int', Networks: '[]NetworkResource',
    Devices: '[]RequestedDevice', NUMA: 'NUMAResource', SecretsMB: 'int', IOPS: 'int',
  },
  CheckRestart: { Limit: 'int', Grace: 'time.Duration', IgnoreWarnings: 'bool' },
  ServiceCheck: {
    Name: 'string', Type: 'string', Command: 'string', Args: '[]string', Path: 'string', Protocol: 'string',
    PortLabel: 'string', Expose: 'bool', AddressMode: 'string', Interval: 'time.Duration', Timeout: 'time.Duration',
    InitialStatus: 'string', Notes: 'string', TLSServerName: 'string', TLSSkipVerify: 'bool',
    Header: 'map[string][]string', Method: 'string', CheckRestart: 'CheckRestart', GRPCService: 'string',
    GRPCUseTLS: 'bool', TaskName: 'string', SuccessBeforePassing: 'int', FailuresBeforeCritical: 'int',
    FailuresBeforeWarning: 'int', Body: 'string', OnUpdate: 'string',
  },
  ServiceWeights: { Passing: 'int', Warning: 'int' },
  Service: {
    Name: 'string', Tags: '[]string', CanaryTags: '[]string', EnableTagOverride: 'bool', PortLabel: 'string',
    AddressMode: 'string', Address: 'string', Checks: '[]ServiceCheck', CheckRestart: 'CheckRestart',
    Connect: 'interface{}', Meta: 'map[string]string', CanaryMeta: 'map[string]string',
    TaggedAddresses: 'map[string]string', TaskName: 'string', OnUpdate: 'string', Identity: 'WorkloadIdentity',
    Weights: 'ServiceWeights', Provider: 'string', Cluster: 'string', Kind: 'string',
  },
  WorkloadIdentity: {
    Name: 'string', Audience: '[]string', ChangeMode: 'string', ChangeSignal: 'string', Env: 'bool', File: 'bool',
    Filepath: 'string', ServiceName: 'string', TTL: 'time.Duration', ExtraClaims: 'map[string]string',
  },
  ChangeScript: { Command: 'string', Args: '[]string', Timeout: 'time.Duration', FailOnError: 'bool' },
  WaitConfig: { Min: 'time.Duration', Max: 'time.Duration' },
  Template: {
    SourcePath: 'string', DestPath: 'string', EmbeddedTmpl: 'string', ChangeMode: 'string', ChangeScript: 'ChangeScript',
    ChangeSignal: 'string', Splay: 'time.Duration', Perms: 'string', Uid: 'int', Gid: 'int', LeftDelim: 'string',
    RightDelim: 'string', Envvars: 'bool', VaultGrace: 'time.Duration', Wait: 'WaitConfig', ErrMissingKey: 'bool', Once: 'bool',
  },
  TaskArtifact: {
    GetterSource: 'string', GetterOptions: 'map[string]string', GetterHeaders: 'map[string]string', GetterMode: 'string',
    GetterInsecure: 'bool', RelativeDest: 'string', Chown: 'bool',
  },
  Vault: {
    Policies: '[]string', Role: 'string', Namespace: 'string', Cluster: 'string', Env: 'bool', DisableFile: 'bool',
    ChangeMode: 'string', ChangeSignal: 'string', AllowTokenExpiration: 'bool',
  },
  Consul: { Namespace: 'string', Cluster: 'string', Partition: 'string' },
  TaskLifecycle: { Hook: 'string', Sidecar: 'bool' },
  LogConfig: { MaxFiles: 'int', MaxFileSizeMB: 'int', Enabled: 'bool', Disabled: 'bool' },
  CSIMountOptions: { FSType: 'string', MountFlags: '[]string' },
  VolumeRequest: {
    Name: 'string', Type: 'string', Source: 'string', ReadOnly: 'bool', Sticky: 'bool', AccessMode: 'string',
    AttachmentMode: 'string', MountOptions: 'CSIMountOptions', PerAlloc: 'bool',
  },
  VolumeMount: { Volume: 'string', Destination: 'string', ReadOnly: 'bool', PropagationMode: 'string', SELinuxLabel: 'string' },
  DispatchPayloadConfig: { File: 'string' },
  TaskCSIPluginConfig: { ID: 'string', Type: 'string', MountDir: 'string', StagePublishBaseDir: 'string', HealthTimeout: 'time.Duration' },
  Action: { Name: 'string', Command: 'string', Args: '[]string' },
  Secret: { Name: 'string', Provider: 'string', Path: 'string', Config: 'map[string]interface{}', Env: 'map[string]string' },
  Task: {
    Name: 'string', Driver: 'string', User: 'string', Lifecycle: 'TaskLifecycle', Config: 'map[string]interface{}',
    Constraints: '[]Constraint', Affinities: '[]Affinity', Env: 'map[string]string', Services: '[]Service',
    Resources: 'Resources', RestartPolicy: 'RestartPolicy', Meta: 'map[string]string', KillTimeout: 'time.Duration',
    LogConfig: 'LogConfig', Artifacts: '[]TaskArtifact', Vault: 'Vault', Consul: 'Consul', Templates: '[]Template',
    DispatchPayload: 'DispatchPayloadConfig', VolumeMounts: '[]VolumeMount', CSIPluginConfig: 'TaskCSIPluginConfig',
    Leader: 'bool', ShutdownDelay: 'time.Duration', KillSignal: 'string', Kind: 'string',
    ScalingPolicies: '[]ScalingPolicy', Identity: 'WorkloadIdentity', Identities: '[]WorkloadIdentity',
    Actions: '[]Action', Schedule: 'interface{}', Secrets: '[]Secret',
  },
  TaskGroup: {
    Name: 'string', Count: 'int', Constraints: '[]Constraint', Affinities: '[]Affinity', Tasks: '[]Task',
    Spreads: '[]Spread', Volumes: 'map[string]VolumeRequest', RestartPolicy: 'RestartPolicy',
    Disconnect: 'DisconnectStrategy', ReschedulePolicy: 'ReschedulePolicy', EphemeralDisk: 'EphemeralDisk',
    Update: 'UpdateStrategy', Migrate: 'MigrateStrategy', Networks: '[]NetworkResource', Meta: 'map[string]string',
    Services: '[]Service', ShutdownDelay: 'time.Duration', StopAfterClientDisconnect: 'time.Duration',
    MaxClientDisconnect: 'time.Duration', Scaling: 'ScalingPolicy', Consul: 'Consul', PreventRescheduleOnLost: 'bool',
  },
  Job: {
    Region: 'string', Namespace: 'string', ID: 'string', Name: 'string', Type: 'string', Priority: 'int',
    AllAtOnce: 'bool', Datacenters: '[]string', NodePool: 'string', Constraints: '[]Constraint',
    Affinities: '[]Affinity', TaskGroups: '[]TaskGroup', Update: 'UpdateStrategy', Multiregion: 'Multiregion',
    Spreads: '[]Spread', Periodic: 'PeriodicConfig', ParameterizedJob: 'ParameterizedJobConfig',
    Reschedule: 'ReschedulePolicy', Migrate: 'MigrateStrategy', Meta: 'map[string]string', UI: 'JobUIConfig',
    ConsulToken: 'string', VaultToken: 'string', Stop: 'bool', ParentID: 'string', Dispatched: 'bool',
    DispatchIdempotencyToken: 'string', Payload: '[]byte', ConsulNamespace: 'string', VaultNamespace: 'string',
    NomadTokenID: 'string', Status: 'string', StatusDescription: 'string', Stable: 'bool', Version: 'uint64',
    SubmitTime: 'int64', CreateIndex: 'uint64', ModifyIndex: 'uint64', JobModifyIndex: 'uint64',
    VersionTag: 'JobVersionTag',
  },
  JobSubmission: { Source: 'string', Format: 'string', VariableFlags: 'map[string]string', Variables: 'string' },
  EvalOptions: { ForceReschedule: 'bool' },
  JobStatusesQueryJob: { ID: 'string', Namespace: 'string' },
  Capabilities: { EnabledTaskDrivers: '[]string', DisabledTaskDrivers: '[]string', EnabledNetworkModes: '[]string', DisabledNetworkModes: '[]string' },
  NamespaceNodePoolConfiguration: { Default: 'string', Allowed: '[]string', Denied: '[]string' },
  NamespaceVaultConfiguration: { Default: 'string', Allowed: '[]string', Denied: '[]string' },
  NamespaceConsulConfiguration: { Default: 'string', Allowed: '[]string', Denied: '[]string' },
};

const writeRequest: Fields = { Region: 'string', Namespace: 'string', SecretID: 'string' };
const serverWrite: Fields = { Region: 'string', Namespace: 'string', AuthToken: 'string', IdempotencyToken: 'string' };

/** Request roots: the Go type named in decode errors, and its fields (embedded structs promoted). */
export const ROOTS: Record<string, { goType: string; fields: Fields }> = {
  JobRegisterRequest: {
    goType: 'api.JobRegisterRequest',
    fields: {
      Submission: 'JobSubmission', Job: 'Job', EnforceIndex: 'bool', JobModifyIndex: 'uint64', PolicyOverride: 'bool',
      PreserveCounts: 'bool', PreserveResources: 'bool', EvalPriority: 'int', ...writeRequest,
    },
  },
  JobPlanRequest: { goType: 'api.JobPlanRequest', fields: { Job: 'Job', Diff: 'bool', PolicyOverride: 'bool', ...writeRequest } },
  JobValidateRequest: { goType: 'api.JobValidateRequest', fields: { Job: 'Job', ...writeRequest } },
  JobsParseRequest: { goType: 'api.JobsParseRequest', fields: { JobHCL: 'string', HCLv1: 'bool', Variables: 'string', Canonicalize: 'bool' } },
  JobDispatchRequest: {
    goType: 'structs.JobDispatchRequest',
    fields: { JobID: 'string', Payload: '[]byte', Meta: 'map[string]string', IdPrefixTemplate: 'string', Priority: 'int', ...serverWrite },
  },
  JobRevertRequest: {
    goType: 'structs.JobRevertRequest',
    fields: { JobID: 'string', JobVersion: 'uint64', EnforcePriorVersion: 'uint64', ConsulToken: 'string', VaultToken: 'string', ...serverWrite },
  },
  JobStabilityRequest: { goType: 'structs.JobStabilityRequest', fields: { JobID: 'string', JobVersion: 'uint64', Stable: 'bool', ...serverWrite } },
  JobEvaluateRequest: { goType: 'structs.JobEvaluateRequest', fields: { JobID: 'string', EvalOptions: 'EvalOptions', ...serverWrite } },
  ScalingRequest: {
    goType: 'api.ScalingRequest',
    fields: {
      Count: 'int64', Target: 'map[string]string', Error: 'bool', Message: 'string', Meta: 'map[string]interface{}',
      PolicyOverride: 'bool', JobModifyIndex: 'uint64', ...writeRequest,
    },
  },
  TagVersionRequest: { goType: 'api.TagVersionRequest', fields: { Version: 'uint64', Description: 'string', ...writeRequest } },
  JobStatusesRequest: { goType: 'api.JobStatusesRequest', fields: { Jobs: '[]JobStatusesQueryJob', IncludeChildren: 'bool' } },
  Namespace: {
    goType: 'structs.Namespace',
    fields: {
      Name: 'string', Description: 'string', Quota: 'string', Capabilities: 'Capabilities',
      NodePoolConfiguration: 'NamespaceNodePoolConfiguration', VaultConfiguration: 'NamespaceVaultConfiguration',
      ConsulConfiguration: 'NamespaceConsulConfiguration', Meta: 'map[string]string', Hash: '[]byte',
      CreateIndex: 'uint64', ModifyIndex: 'uint64',
    },
  },
};
