// Shapes of the objects the store keeps. They mirror Nomad's *server* structs field for field and
// are serialised as-is, so key order is declaration order; objects are replaced, never mutated, once
// stored (the HTTP layer caches their serialisation by identity).

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

export interface Job extends Obj {
  Stop: boolean;
  Region: string;
  Namespace: string;
  ID: string;
  ParentID: string;
  Name: string;
  Type: string;
  Priority: number;
  Datacenters: string[];
  NodePool: string;
  TaskGroups: Obj[];
  Periodic: Obj | null;
  ParameterizedJob: Obj | null;
  Dispatched: boolean;
  Meta: Record<string, string> | null;
  Status: string;
  StatusDescription: string;
  Stable: boolean;
  Version: number;
  SubmitTime: number;
  CreateIndex: number;
  ModifyIndex: number;
  JobModifyIndex: number;
  VersionTag: Obj | null;
}

export interface Evaluation extends Obj {
  ID: string;
  Namespace: string;
  Priority: number;
  Type: string;
  TriggeredBy: string;
  JobID: string;
  Status: string;
  CreateIndex: number;
  ModifyIndex: number;
}
