// Read-side views of jobs: the sorted job list, list stubs, and the index each read reports.
import type { Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { paginate } from '../paginate.js';
import { RpcError } from '../errors.js';
import { diffJobs } from './diff.js';

let sortCache: { store: Store; index: number; keys: Job[] } | null = null;

/** All jobs ordered by namespace then ID (memdb's id index), cached until the jobs table moves. */
export function jobsInOrder(store: Store): Job[] {
  const index = store.tableIndex('jobs');
  if (sortCache && sortCache.store === store && sortCache.index === index) return sortCache.keys;
  const jobs = [...store.jobs.values()].sort((a, b) =>
    a.Namespace === b.Namespace ? cmp(a.ID, b.ID) : cmp(a.Namespace, b.Namespace),
  );
  sortCache = { store, index, keys: jobs };
  return jobs;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export interface JobListOptions {
  namespace: string;
  prefix: string;
  reverse: boolean;
  perPage: number;
  nextToken: string;
  accept?: (job: Job) => boolean;
}

export function listJobs(store: Store, opts: JobListOptions): { jobs: Job[]; nextToken: string; index: number } {
  let jobs = jobsInOrder(store).filter(
    (j) => (opts.namespace === '*' || j.Namespace === opts.namespace) && (opts.prefix === '' || j.ID.startsWith(opts.prefix)),
  );
  // Nomad ignores `reverse` for the scan order of namespace=* with a prefix (http-semantics §8.2).
  if (opts.reverse && !(opts.namespace === '*' && opts.prefix !== '')) jobs = jobs.reverse();
  const { page, nextToken } = paginate(jobs, {
    perPage: opts.perPage,
    nextToken: opts.nextToken,
    reverse: opts.reverse,
    tokenOf: (j) => `${j.Namespace}.${j.ID}`,
    accept: opts.accept,
  });
  return { jobs: page, nextToken, index: Math.max(store.tableIndex('jobs'), store.tableIndex('job_summary')) };
}

const stubCache = new WeakMap<Job, { summary: Obj | undefined; withMeta: boolean; stub: Obj }>();

/** JobListStub in declaration order; memoised per (job, summary) so list reads stay cheap. */
export function jobStub(store: Store, job: Job, withMeta: boolean): Obj {
  const summary = store.summaries.get(jobKey(job.Namespace, job.ID));
  const hit = stubCache.get(job);
  if (hit && hit.summary === summary && hit.withMeta === withMeta) return hit.stub;
  const stub = {
    ID: job.ID,
    ParentID: job.ParentID,
    Name: job.Name,
    Namespace: job.Namespace,
    Datacenters: job.Datacenters,
    NodePool: job.NodePool,
    Multiregion: job.Multiregion ?? null,
    Type: job.Type,
    Priority: job.Priority,
    Periodic: job.Periodic !== null && job.Periodic !== undefined,
    ParameterizedJob: job.ParameterizedJob !== null && job.ParameterizedJob !== undefined,
    Stop: job.Stop,
    Status: job.Status,
    StatusDescription: job.StatusDescription,
    JobSummary: summary ?? null,
    CreateIndex: job.CreateIndex,
    ModifyIndex: job.ModifyIndex,
    JobModifyIndex: job.JobModifyIndex,
    SubmitTime: job.SubmitTime,
    Meta: withMeta ? job.Meta : null,
  };
  stubCache.set(job, { summary, withMeta, stub });
  return stub;
}

export function getJob(store: Store, namespace: string, id: string): { job: Job | undefined; index: number } {
  const job = store.jobs.get(jobKey(namespace, id));
  return { job, index: job ? job.ModifyIndex : store.tableIndex('jobs') };
}

export interface VersionsOptions {
  diffs: boolean;
  diffVersion: number | null;
  diffTag: string;
}

/** GET /v1/job/:id/versions: newest first, with diffs between neighbours or against a target. */
export function jobVersions(
  store: Store,
  namespace: string,
  id: string,
  opts: VersionsOptions,
): { versions: Job[]; diffs: Obj[] | null; index: number } {
  const versions = store.versions.get(jobKey(namespace, id)) ?? [];
  const index = versions.length > 0 ? Math.max(...versions.map((v) => v.ModifyIndex)) : store.tableIndex('job_version');
  if (!opts.diffs || versions.length === 0) return { versions, diffs: null, index };
  let target: Job | undefined;
  if (opts.diffTag !== '') {
    target = versions.find((v) => v.VersionTag?.Name === opts.diffTag);
    if (!target) throw new RpcError(`tag "${opts.diffTag}" not found`);
  } else if (opts.diffVersion !== null) {
    target = versions.find((v) => v.Version === opts.diffVersion);
    if (!target) throw new RpcError(`version ${opts.diffVersion} not found`);
  }
  const diffs = target
    ? versions.map((v) => diffJobs(target, v, true))
    : versions.slice(0, -1).map((v, i) => diffJobs(versions[i + 1]!, v, true));
  return { versions, diffs, index };
}
