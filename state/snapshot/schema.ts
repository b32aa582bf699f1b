// The schema of a snapshot document (/_mock/restore and the data dir's state.json), and the
// cross-record rules a schema cannot say. A document is checked whole before anything is replaced,
// so whatever passes can be served and simulated: every field the store, the routes or the
// simulator dereference has its type here, and every record a job owns points at a stored job.
import { Kind, Type, type TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';

/** Raft indexes are uint64 in Nomad; here they must stay exact JavaScript integers. */
export const MAX_INDEX = Number.MAX_SAFE_INTEGER;
/** A restored Index must leave room for writes after it (each write adds one). */
export const INDEX_HEADROOM = 2 ** 32;

const Str = Type.String();
const Bool = Type.Boolean();
const Num = Type.Number();
const Int = Type.Integer();
const Count = Type.Integer({ minimum: 0 });
const Idx = Type.Integer({ minimum: 0, maximum: MAX_INDEX });
const Any = Type.Object({});
const Null = Type.Null();
const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Null]);
const Opt = <T extends TSchema>(s: T) => Type.Optional(s);
const StrMap = Type.Record(Type.String(), Type.String());
const Strs = Type.Array(Str);
const Objs = Type.Array(Any);
const Indexed = { CreateIndex: Idx, ModifyIndex: Idx };
const oneOf = (...xs: string[]) => Type.Union(xs.map((x) => Type.Literal(x)));

const RestartPolicy = Type.Object({ Attempts: Int, Interval: Num, Delay: Num, Mode: Str });

const Task = Type.Object({
  Name: Str,
  Driver: Str,
  Config: Nullable(Any),
  Env: Opt(Nullable(StrMap)),
  Services: Opt(Nullable(Objs)),
  Constraints: Opt(Nullable(Objs)),
  Affinities: Opt(Nullable(Objs)),
  Resources: Nullable(Type.Object({ CPU: Opt(Num), MemoryMB: Opt(Num), MemoryMaxMB: Opt(Num), Cores: Opt(Num), Networks: Opt(Nullable(Objs)) })),
  RestartPolicy: Opt(Nullable(RestartPolicy)),
  Lifecycle: Opt(Nullable(Type.Object({ Hook: Str, Sidecar: Opt(Bool) }))),
  Meta: Opt(Nullable(StrMap)),
  KillTimeout: Opt(Nullable(Num)),
  Leader: Opt(Bool),
  LogConfig: Opt(Nullable(Any)),
  Templates: Opt(Nullable(Objs)),
  Artifacts: Opt(Nullable(Objs)),
});

const TaskGroup = Type.Object({
  Name: Str,
  Count: Count,
  Tasks: Type.Array(Task, { minItems: 1 }),
  Update: Opt(Nullable(Any)),
  Migrate: Opt(Nullable(Any)),
  Constraints: Opt(Nullable(Objs)),
  Affinities: Opt(Nullable(Objs)),
  Spreads: Opt(Nullable(Objs)),
  Scaling: Opt(Nullable(Any)),
  RestartPolicy: Nullable(RestartPolicy),
  ReschedulePolicy: Opt(Nullable(Type.Object({ Attempts: Int, Interval: Num, Delay: Num, DelayFunction: Str, MaxDelay: Num, Unlimited: Bool }))),
  EphemeralDisk: Opt(Nullable(Any)),
  Networks: Opt(Nullable(Objs)),
  Services: Opt(Nullable(Objs)),
  Volumes: Opt(Nullable(Any)),
  Meta: Opt(Nullable(StrMap)),
  Disconnect: Opt(Nullable(Any)),
});

const Job = Type.Object({
  ID: Str,
  Name: Str,
  Namespace: Str,
  Region: Opt(Str),
  ParentID: Opt(Str),
  Type: oneOf('service', 'batch', 'system', 'sysbatch'),
  Priority: Int,
  AllAtOnce: Opt(Bool),
  Datacenters: Strs,
  NodePool: Opt(Str),
  Constraints: Opt(Nullable(Objs)),
  Affinities: Opt(Nullable(Objs)),
  Spreads: Opt(Nullable(Objs)),
  TaskGroups: Type.Array(TaskGroup),
  Update: Opt(Nullable(Any)),
  Multiregion: Opt(Nullable(Any)),
  Periodic: Opt(Nullable(Type.Object({ Enabled: Bool, Spec: Str, SpecType: Str, ProhibitOverlap: Opt(Bool), TimeZone: Opt(Str) }))),
  ParameterizedJob: Opt(Nullable(Type.Object({ Payload: Str, MetaRequired: Nullable(Strs), MetaOptional: Nullable(Strs) }))),
  Dispatched: Opt(Bool),
  Payload: Opt(Nullable(Str)),
  Meta: Opt(Nullable(StrMap)),
  Status: oneOf('pending', 'running', 'dead'),
  StatusDescription: Opt(Str),
  Stop: Bool,
  Stable: Opt(Bool),
  Version: Idx,
  SubmitTime: Num,
  VersionTag: Opt(Nullable(Any)),
  CreateIndex: Idx,
  ModifyIndex: Idx,
  JobModifyIndex: Idx,
});

const Namespace = Type.Object({ Name: Str, Description: Opt(Str), Meta: Opt(Nullable(StrMap)), ...Indexed });
const NodePool = Type.Object({ Name: Str, Description: Opt(Str), Meta: Opt(Nullable(StrMap)), ...Indexed });

const Node = Type.Object({
  ID: Str,
  Name: Str,
  Datacenter: Str,
  NodePool: Str,
  NodeClass: Opt(Str),
  ComputedClass: Opt(Str),
  Status: oneOf('initializing', 'ready', 'down', 'disconnected'),
  SchedulingEligibility: oneOf('eligible', 'ineligible'),
  DrainStrategy: Opt(Nullable(Any)),
  Attributes: StrMap,
  Meta: Nullable(StrMap),
  Drivers: Type.Record(Type.String(), Any),
  NodeResources: Type.Object({
    Cpu: Type.Object({ CpuShares: Num }),
    Memory: Type.Object({ MemoryMB: Num }),
    Disk: Type.Object({ DiskMB: Num }),
    Networks: Opt(Nullable(Objs)),
  }),
  ReservedResources: Type.Object({ Cpu: Type.Object({ CpuShares: Num }), Memory: Type.Object({ MemoryMB: Num }), Disk: Opt(Type.Object({ DiskMB: Num })) }),
  Events: Opt(Nullable(Objs)),
  ...Indexed,
});

const GroupSummary = Type.Object({ Queued: Count, Complete: Count, Failed: Count, Running: Count, Starting: Count, Lost: Count, Unknown: Count });
const Summary = Type.Object({
  JobID: Str,
  Namespace: Str,
  Summary: Type.Record(Type.String(), GroupSummary),
  Children: Nullable(Type.Object({ Pending: Count, Running: Count, Dead: Count })),
  ...Indexed,
});

const Submission = Type.Object({ JobID: Str, Namespace: Str, Version: Idx, Source: Str, Format: Str, VariableFlags: Opt(Nullable(StrMap)), Variables: Opt(Str) });

const Evaluation = Type.Object({
  ID: Str,
  Namespace: Str,
  Priority: Int,
  Type: Str,
  TriggeredBy: Str,
  JobID: Str,
  JobModifyIndex: Opt(Idx),
  NodeID: Opt(Str),
  DeploymentID: Opt(Str),
  Status: oneOf('blocked', 'pending', 'complete', 'failed', 'canceled'),
  StatusDescription: Opt(Str),
  Wait: Opt(Num),
  WaitUntil: Opt(Nullable(Str)),
  NextEval: Opt(Str),
  PreviousEval: Opt(Str),
  BlockedEval: Opt(Str),
  FailedTGAllocs: Opt(Nullable(Type.Record(Type.String(), Any))),
  QueuedAllocations: Opt(Nullable(Type.Record(Type.String(), Count))),
  CreateTime: Num,
  ModifyTime: Num,
  ...Indexed,
});

const TaskState = Type.Object({
  State: oneOf('pending', 'running', 'dead'),
  Failed: Bool,
  Restarts: Count,
  LastRestart: Nullable(Str),
  StartedAt: Nullable(Str),
  FinishedAt: Nullable(Str),
  Events: Nullable(Objs),
});

const Allocation = Type.Object({
  ID: Str,
  Namespace: Str,
  EvalID: Str,
  Name: Str,
  NodeID: Str,
  NodeName: Opt(Str),
  JobID: Str,
  Job,
  TaskGroup: Str,
  AllocatedResources: Opt(Nullable(Any)),
  DesiredStatus: oneOf('run', 'stop', 'evict'),
  DesiredDescription: Opt(Str),
  DesiredTransition: Opt(Nullable(Any)),
  ClientStatus: oneOf('pending', 'running', 'complete', 'failed', 'lost', 'unknown'),
  ClientDescription: Opt(Str),
  TaskStates: Nullable(Type.Record(Type.String(), TaskState)),
  PreviousAllocation: Opt(Str),
  NextAllocation: Opt(Str),
  DeploymentID: Opt(Str),
  DeploymentStatus: Opt(Nullable(Type.Object({ Healthy: Opt(Nullable(Bool)), Canary: Opt(Bool) }))),
  RescheduleTracker: Opt(Nullable(Type.Object({ Events: Nullable(Objs) }))),
  FollowupEvalID: Opt(Str),
  AllocModifyIndex: Idx,
  CreateTime: Num,
  ModifyTime: Num,
  ...Indexed,
});

const DeploymentGroup = Type.Object({
  AutoRevert: Bool,
  AutoPromote: Bool,
  ProgressDeadline: Num,
  RequireProgressBy: Nullable(Str),
  Promoted: Bool,
  PlacedCanaries: Nullable(Strs),
  DesiredCanaries: Count,
  DesiredTotal: Count,
  PlacedAllocs: Count,
  HealthyAllocs: Count,
  UnhealthyAllocs: Count,
});

const Deployment = Type.Object({
  ID: Str,
  Namespace: Str,
  JobID: Str,
  JobVersion: Idx,
  JobModifyIndex: Idx,
  JobSpecModifyIndex: Idx,
  JobCreateIndex: Idx,
  TaskGroups: Type.Record(Type.String(), DeploymentGroup),
  Status: Str,
  StatusDescription: Str,
  CreateTime: Num,
  ModifyTime: Num,
  ...Indexed,
});

const ScalingEvent = Type.Object({ Namespace: Str, JobID: Str, Record: Type.Object({ ScalingEvents: Type.Record(Type.String(), Objs), ModifyIndex: Idx }) });
const PeriodicLaunch = Type.Object({ ID: Str, Namespace: Str, Launch: Str, ...Indexed });

/** The document, with the schemas of the registered parts (ACL…) under `Parts`. */
export function snapshotSchema(parts: Record<string, TSchema>) {
  return Type.Object({
    Format: Str,
    Index: Idx,
    TableIndexes: Type.Record(Type.String(), Idx),
    Namespaces: Type.Array(Namespace),
    NodePools: Type.Array(NodePool),
    Nodes: Type.Array(Node),
    Jobs: Type.Array(Job),
    Versions: Type.Array(Job),
    Summaries: Type.Array(Summary),
    Submissions: Type.Array(Submission),
    Evaluations: Type.Array(Evaluation),
    Allocations: Type.Array(Allocation),
    Deployments: Type.Array(Deployment),
    ScalingEvents: Type.Array(ScalingEvent),
    PeriodicLaunches: Type.Array(PeriodicLaunch),
    Parts: Opt(Type.Object(Object.fromEntries(Object.entries(parts).map(([k, s]) => [k, Opt(s)])))),
  });
}

/** Schema pieces for parts kept outside the core tables. */
export const SchemaTypes = { Str, Bool, Num, Idx, Any, Nullable, Opt, Strs };

let compiled: { key: string; check: TypeCheck<TSchema> } | null = null;

/** The compiled checker for the current set of parts (compiled once; parts register at import). */
export function snapshotChecker(parts: Record<string, TSchema>): TypeCheck<TSchema> {
  const key = Object.keys(parts).sort().join(',');
  if (compiled?.key !== key) compiled = { key, check: TypeCompiler.Compile(snapshotSchema(parts)) };
  return compiled.check;
}

/** `/Jobs/3/TaskGroups` → `Jobs[3].TaskGroups`. */
export function displayPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

const KIND_NAMES: Record<string, string> = {
  String: 'string', Number: 'number', Integer: 'integer', Boolean: 'boolean', Null: 'null',
  Object: 'object', Record: 'object', Array: 'array',
};

function describe(schema: TSchema): string {
  const kind = schema[Kind] as string;
  if (kind === 'Literal') return JSON.stringify(schema.const);
  if (kind === 'Union') {
    const alts = (schema.anyOf as TSchema[]).map(describe);
    return (schema.anyOf as TSchema[]).every((s) => s[Kind] === 'Literal') ? `one of ${alts.join(', ')}` : alts.join(' or ');
  }
  return KIND_NAMES[kind] ?? kind.toLowerCase();
}

/** One readable sentence for TypeBox's first error: `Jobs[3].TaskGroups: expected array`. */
export function explain(e: ValueError): string {
  const path = displayPath(e.path) || 'snapshot';
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${path}: missing (expected ${describe(e.schema)})`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return e.schema.maximum === MAX_INDEX
        ? `${path}: expected an integer from 0 to ${MAX_INDEX}`
        : `${path}: expected an integer of at least ${e.schema.minimum}`;
    case ValueErrorType.ArrayMinItems:
      return `${path}: expected at least ${e.schema.minItems} item(s)`;
    default:
      return `${path}: expected ${describe(e.schema)}`;
  }
}
