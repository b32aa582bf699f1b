// Schemas of job objects and job-route payloads (Nomad's server structs, declaration order).
import { Type } from '@sinclair/typebox';
import { ErrorText, Index, Nullable, QueryMeta, ReadQuery, StringMap } from '../http/schemas.js';

const Obj = Type.Object({}, { additionalProperties: true });

export const TaskGroup = Type.Object(
  {
    Name: Type.String(),
    Count: Type.Integer(),
    Update: Nullable(Obj),
    Migrate: Nullable(Obj),
    Constraints: Nullable(Type.Array(Obj)),
    Scaling: Nullable(Obj),
    RestartPolicy: Nullable(Obj),
    Tasks: Type.Array(Obj),
    EphemeralDisk: Nullable(Obj),
    Meta: StringMap,
    ReschedulePolicy: Nullable(Obj),
  },
  { additionalProperties: true },
);

export const Job = Type.Object(
  {
    Stop: Type.Boolean(),
    Region: Type.String(),
    Namespace: Type.String(),
    ID: Type.String(),
    ParentID: Type.String(),
    Name: Type.String(),
    Type: Type.String(),
    Priority: Type.Integer(),
    AllAtOnce: Type.Boolean(),
    Datacenters: Type.Array(Type.String()),
    NodePool: Type.String(),
    Constraints: Nullable(Type.Array(Obj)),
    Affinities: Nullable(Type.Array(Obj)),
    Spreads: Nullable(Type.Array(Obj)),
    TaskGroups: Type.Array(TaskGroup),
    Update: Obj,
    Multiregion: Nullable(Obj),
    Periodic: Nullable(Obj),
    ParameterizedJob: Nullable(Obj),
    Dispatched: Type.Boolean(),
    DispatchIdempotencyToken: Type.String(),
    Payload: Nullable(Type.String()),
    Meta: StringMap,
    ConsulNamespace: Type.String(),
    VaultNamespace: Type.String(),
    NomadTokenID: Type.String(),
    Status: Type.Union([Type.Literal('pending'), Type.Literal('running'), Type.Literal('dead')]),
    StatusDescription: Type.String(),
    Stable: Type.Boolean(),
    Version: Type.Integer({ minimum: 0 }),
    SubmitTime: Type.Integer(),
    CreateIndex: Index,
    ModifyIndex: Index,
    JobModifyIndex: Index,
    UI: Nullable(Obj),
    VersionTag: Nullable(Obj),
  },
  { additionalProperties: false },
);

export const JobSummary = Type.Object(
  {
    JobID: Type.String(),
    Namespace: Type.String(),
    Summary: Type.Record(
      Type.String(),
      Type.Object({
        Queued: Type.Integer(),
        Complete: Type.Integer(),
        Failed: Type.Integer(),
        Running: Type.Integer(),
        Starting: Type.Integer(),
        Lost: Type.Integer(),
        Unknown: Type.Integer(),
      }),
    ),
    Children: Type.Object({ Pending: Type.Integer(), Running: Type.Integer(), Dead: Type.Integer() }),
    CreateIndex: Index,
    ModifyIndex: Index,
  },
  { additionalProperties: false },
);

export const JobListStub = Type.Object(
  {
    ID: Type.String(),
    ParentID: Type.String(),
    Name: Type.String(),
    Namespace: Type.String(),
    Datacenters: Type.Array(Type.String()),
    NodePool: Type.String(),
    Multiregion: Nullable(Obj),
    Type: Type.String(),
    Priority: Type.Integer(),
    Periodic: Type.Boolean(),
    ParameterizedJob: Type.Boolean(),
    Stop: Type.Boolean(),
    Status: Type.String(),
    StatusDescription: Type.String(),
    JobSummary,
    CreateIndex: Index,
    ModifyIndex: Index,
    JobModifyIndex: Index,
    SubmitTime: Type.Integer(),
    Meta: StringMap,
  },
  { additionalProperties: false },
);

export const JobRegisterResponse = Type.Object(
  {
    EvalID: Type.String(),
    EvalCreateIndex: Index,
    JobModifyIndex: Index,
    Warnings: Type.String(),
    ...QueryMeta,
  },
  { additionalProperties: false },
);

export const JobDeregisterResponse = Type.Object(
  {
    EvalID: Type.String(),
    EvalCreateIndex: Index,
    JobModifyIndex: Index,
    VolumeEvalID: Type.String(),
    VolumeEvalIndex: Index,
    ...QueryMeta,
  },
  { additionalProperties: false },
);

export const JobVersionsResponse = Type.Object(
  { Versions: Type.Array(Job), Diffs: Nullable(Type.Array(Obj)), ...QueryMeta },
  { additionalProperties: false },
);

export const JobSubmission = Type.Object(
  {
    Source: Type.String(),
    Format: Type.String(),
    VariableFlags: StringMap,
    Variables: Type.String(),
    Namespace: Type.String(),
    JobID: Type.String(),
    Version: Type.Integer(),
    JobModifyIndex: Index,
  },
  { additionalProperties: false },
);

export const Evaluation = Type.Object(
  {
    ID: Type.String(),
    Namespace: Type.String(),
    Priority: Type.Integer(),
    Type: Type.String(),
    TriggeredBy: Type.String(),
    JobID: Type.String(),
    Status: Type.String(),
    CreateIndex: Index,
    ModifyIndex: Index,
    CreateTime: Type.Integer(),
    ModifyTime: Type.Integer(),
  },
  { additionalProperties: true },
);

export const StableResponse = Type.Object({ Index }, { additionalProperties: false });

/** The wildcard job route: its response depends on the sub-resource resolved from the path. */
export const jobPathSchema = {
  querystring: ReadQuery,
  response: {
    200: Type.Union([
      Job,
      JobRegisterResponse,
      JobDeregisterResponse,
      JobVersionsResponse,
      JobSummary,
      JobSubmission,
      StableResponse,
      Type.Array(Type.Unknown()),
      Type.Null(),
      Obj,
    ]),
    '4xx': ErrorText,
    '5xx': ErrorText,
  },
};

export const jobsListSchema = {
  querystring: ReadQuery,
  response: {
    200: Type.Union([Type.Array(JobListStub), JobRegisterResponse]),
    '4xx': ErrorText,
    '5xx': ErrorText,
  },
};
