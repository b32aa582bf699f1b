// Read side of `/v1/jobs/statuses` (Nomad's Job.Statuses RPC, nomad/job_endpoint_statuses.go): jobs
// in ModifyIndex order with their allocations, latest deployment and child statuses, plus the
// "highest index seen on the page" that the endpoint reports instead of a table index.
import type { Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { paginate } from '../paginate.js';
import { isActiveDeployment } from '../deployments/table.js';

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

let orderCache: { store: Store; index: number; jobs: Job[]; children: Map<string, Job[]> } | null = null;

/**
 * All jobs in memdb's `modify_index` order (ModifyIndex ascending; ties by the primary key, i.e.
 * namespace then ID), and each parent's children by ID (what JobsByIDPrefix + the ParentID check
 * yields). Cached until the jobs table moves.
 */
function jobsByModifyIndex(store: Store): { jobs: Job[]; children: Map<string, Job[]> } {
  const index = store.tableIndex('jobs');
  if (orderCache && orderCache.store === store && orderCache.index === index) return orderCache;
  const jobs = [...store.jobs.values()].sort(
    (a, b) => a.ModifyIndex - b.ModifyIndex || cmp(a.Namespace, b.Namespace) || cmp(a.ID, b.ID),
  );
  const children = new Map<string, Job[]>();
  for (const j of jobs) {
    if (!j.ParentID) continue;
    const key = jobKey(j.Namespace, j.ParentID);
    let list = children.get(key);
    if (!list) children.set(key, (list = []));
    list.push(j);
  }
  for (const list of children.values()) list.sort((a, b) => cmp(a.ID, b.ID));
  orderCache = { store, index, jobs, children };
  return orderCache;
}

export interface JobStatusesOptions {
  /** Namespace after the endpoint's own rules (`*` = all namespaces). */
  namespace: string;
  includeChildren: boolean;
  /** Jobs named in the request body; null when the body listed none. */
  jobs: { ID: string; Namespace: string }[] | null;
  perPage: number;
  nextToken: string;
  /** The caller's `reverse`: false = newest ModifyIndex first. */
  reverse: boolean;
  /** The `filter=` expression, evaluated against the stored Job before the other selectors. */
  filter?: (job: Job) => boolean;
}

export interface JobStatusesPage {
  jobs: Obj[];
  nextToken: string;
  /** Highest job/child/alloc/deployment ModifyIndex among the page's jobs (0 for an empty page). */
  index: number;
  /** `namespace\0id` of every job on the page, to notice a page whose membership changed. */
  keys: Set<string>;
}

/** ModifyIndex tokens compare numerically; a token that is not a uint64 counts as 0 (as in Nomad). */
function modifyIndexOrder(a: string, b: string): number {
  const target = /^\d+$/.test(b) ? Number(b) : 0;
  return Number(a) - target;
}

export function jobStatuses(store: Store, opts: JobStatusesOptions): JobStatusesPage {
  const { jobs, children } = jobsByModifyIndex(store);
  const wanted = opts.jobs ? new Set(opts.jobs.map((j) => jobKey(j.Namespace, j.ID))) : null;
  const select = (j: Job): boolean =>
    (opts.filter ? opts.filter(j) : true) &&
    (opts.namespace === '*' || j.Namespace === opts.namespace) &&
    (opts.includeChildren || j.ParentID === '') &&
    (wanted === null || wanted.has(jobKey(j.Namespace, j.ID)));
  // Nomad flips `reverse` so that the default shows the most recently modified job first.
  const internalReverse = !opts.reverse;
  const ordered = internalReverse ? reversed(jobs) : jobs;
  const { page, nextToken } = paginate(ordered, {
    // A body job list forces the page size to its length.
    perPage: opts.jobs ? opts.jobs.length : opts.perPage,
    nextToken: opts.nextToken,
    reverse: internalReverse,
    tokenOf: (j) => String(j.ModifyIndex),
    compare: modifyIndexOrder,
    accept: select,
  });
  let index = 0;
  const keys = new Set<string>();
  const out: Obj[] = [];
  for (const job of page) {
    const { status, highest } = jobStatusesJob(store, job, children.get(jobKey(job.Namespace, job.ID)) ?? []);
    out.push(status);
    keys.add(jobKey(job.Namespace, job.ID));
    if (highest > index) index = highest;
  }
  return { jobs: out, nextToken, index, keys };
}

function* reversed<T>(items: readonly T[]): Iterable<T> {
  for (let i = items.length - 1; i >= 0; i--) yield items[i]!;
}

const isParameterized = (j: Job): boolean => Boolean(j.ParameterizedJob) && !j.Dispatched;
const isPeriodic = (j: Job): boolean => Boolean(j.Periodic);

/** Nomad's TaskScheduleState.Stop(): the Enterprise task-schedule pause states. */
const PAUSED = new Set(['force_pause', 'scheduled_pause']);

function hasPausedTask(alloc: Obj): boolean {
  for (const ts of Object.values((alloc.TaskStates as Record<string, Obj> | null) ?? {})) {
    if (ts && PAUSED.has(ts.Paused)) return true;
  }
  return false;
}

/**
 * One JobStatusesJob (jobStatusesJobFromJob) and the highest index it saw: the job's ModifyIndex,
 * its children's (periodic/parameterized parents), its allocations' and its latest deployment's.
 */
export function jobStatusesJob(store: Store, job: Job, children: readonly Job[]): { status: Obj; highest: number } {
  let highest = job.ModifyIndex;
  let groupCountSum = 0;
  for (const tg of job.TaskGroups ?? []) groupCountSum += Number(tg.Count ?? 0);

  let allocs: Obj[] | null = null;
  let childStatuses: string[] | null = null;
  let latest: Obj | null = null;

  if (isParameterized(job) || isPeriodic(job)) {
    // Parents have no allocations or deployments of their own; children are listed by ID.
    childStatuses = [];
    for (const child of children) {
      if (child.ModifyIndex > highest) highest = child.ModifyIndex;
      childStatuses.push(child.Status);
    }
  } else {
    // AllocsByJob(…, anyCreateIndex=true): every alloc with this job ID, earlier instances included,
    // in alloc ID order (the memdb `job` index appends the primary key).
    const key = jobKey(job.Namespace, job.ID);
    const rows: Obj[] = [];
    for (const id of store.allocsByJob.get(key) ?? []) {
      const a = store.allocs.get(id);
      if (a) rows.push(a);
    }
    rows.sort((a, b) => cmp(a.ID, b.ID));
    for (const a of rows) {
      const ds = a.DeploymentStatus as Obj | null | undefined;
      (allocs ??= []).push({
        ID: a.ID,
        Group: a.TaskGroup,
        ClientStatus: a.ClientStatus,
        NodeID: a.NodeID ?? '',
        DeploymentStatus: { Canary: Boolean(ds?.Canary), Healthy: ds?.Healthy ?? null },
        JobVersion: (a.Job as Job | undefined)?.Version ?? 0,
        FollowupEvalID: a.FollowupEvalID ?? '',
        HasPausedTask: hasPausedTask(a),
      });
      if (a.ModifyIndex > highest) highest = a.ModifyIndex;
    }
    // LatestDeploymentByJobID: highest CreateIndex among all deployments of this job ID.
    let dep: Obj | null = null;
    for (const id of store.deploymentsByJob.get(key) ?? []) {
      const d = store.deployments.get(id);
      if (d && (!dep || d.CreateIndex > dep.CreateIndex)) dep = d;
    }
    if (dep) {
      latest = {
        ID: dep.ID,
        IsActive: isActiveDeployment(dep),
        JobVersion: dep.JobVersion,
        Status: dep.Status,
        StatusDescription: dep.StatusDescription,
        AllAutoPromote: hasAutoPromote(dep),
        RequiresPromotion: requiresPromotion(dep),
      };
      if (dep.ModifyIndex > highest) highest = dep.ModifyIndex;
    }
  }

  const status = {
    ID: job.ID,
    Namespace: job.Namespace,
    Name: job.Name,
    Type: job.Type,
    NodePool: job.NodePool,
    Datacenters: job.Datacenters ?? null,
    Priority: job.Priority,
    Version: job.Version,
    SubmitTime: job.SubmitTime,
    ModifyIndex: job.ModifyIndex,
    Allocs: allocs,
    GroupCountSum: groupCountSum,
    ChildStatuses: childStatuses,
    ParentID: job.ParentID,
    LatestDeployment: latest,
    Stop: job.Stop,
    IsPack: job.Meta !== null && job.Meta !== undefined && Object.prototype.hasOwnProperty.call(job.Meta, 'pack.name'),
    Status: job.Status,
  };
  return { status, highest };
}

const deploymentGroups = (d: Obj): Obj[] => Object.values((d.TaskGroups as Record<string, Obj> | null) ?? {});

/** Deployment.HasAutoPromote: running, and every group wanting canaries auto-promotes. */
function hasAutoPromote(d: Obj): boolean {
  const groups = deploymentGroups(d);
  if (groups.length === 0 || d.Status !== 'running') return false;
  return groups.every((g) => !(g.DesiredCanaries > 0) || Boolean(g.AutoPromote));
}

/** Deployment.RequiresPromotion: running, and some group wanting canaries is not promoted yet. */
function requiresPromotion(d: Obj): boolean {
  const groups = deploymentGroups(d);
  if (groups.length === 0 || d.Status !== 'running') return false;
  return groups.some((g) => g.DesiredCanaries > 0 && !g.Promoted);
}
