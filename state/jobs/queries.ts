// Read-side views of jobs: the sorted job list, list stubs, and the index each read reports.
import type { Job, Obj } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { paginate } from '../paginate.js';
import { RpcError } from '../errors.js';
import { diffJobs } from './diff.js';

// Per store; the table index alone is not enough: a reset or restore may take it back to a value
// that named other contents, so the count of replacements is part of the key.
const sortCache = new WeakMap<Store, { index: number; world: number; jobs: Job[] }>();

/** All jobs ordered by namespace then ID (memdb's id index), cached until the jobs table moves. */
export function jobsInOrder(store: Store): Job[] {
  const index = store.tableIndex('jobs');
  const hit = sortCache.get(store);
  if (hit && hit.index === index && hit.world === store.replacements) return hit.jobs;
  const jobs = [...store.jobs.values()].sort((a, b) =>
    a.Namespace === b.Namespace ? cmp(a.ID, b.ID) : cmp(a.Namespace, b.Namespace),
  );
  sortCache.set(store, { index, world: store.replacements, jobs });
  return jobs;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The jobs of one namespace whose ID starts with `prefix`: a contiguous run of the sorted list,
 * found by binary search rather than a scan of every job.
 */
function namespaceRange(sorted: Job[], namespace: string, prefix: string): Job[] {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const j = sorted[mid]!;
    if (j.Namespace < namespace || (j.Namespace === namespace && j.ID < prefix)) lo = mid + 1;
    else hi = mid;
  }
  let end = lo;
  while (end < sorted.length && sorted[end]!.Namespace === namespace && sorted[end]!.ID.startsWith(prefix)) end++;
  return sorted.slice(lo, end);
}

export interface JobListOptions {
  namespace: string;
  prefix: string;
  reverse: boolean;
  perPage: number;
  nextToken: string;
  accept?: (job: Job) => boolean;
}

export function listJobs(store: Store, opts: JobListOptions): { jobs: Job[]; nextToken: string; index: number } {
  let jobs =
    opts.namespace === '*'
      ? jobsInOrder(store).filter((j) => opts.prefix === '' || j.ID.startsWith(opts.prefix))
      : namespaceRange(jobsInOrder(store), opts.namespace, opts.prefix);
  // Nomad ignores `reverse` for the scan order of namespace=* with a prefix (http-semantics §8.2).
  if (opts.reverse && !(opts.namespace === '*' && opts.prefix !== '')) jobs = jobs.reverse();
  const index = Math.max(store.tableIndex('jobs'), store.tableIndex('job_summary'));
  // The whole list, unfiltered: `jobs` is already this call's own array.
  if (opts.perPage === 0 && opts.nextToken === '' && !opts.accept) return { jobs, nextToken: '', index };
  const { page, nextToken } = paginate(jobs, {
    perPage: opts.perPage,
    nextToken: opts.nextToken,
    reverse: opts.reverse,
    tokenOf: (j) => `${j.Namespace}.${j.ID}`,
    accept: opts.accept,
  });
  return { jobs: page, nextToken, index };
}

const stubCache = new WeakMap<Job, { summary: Obj | undefined; withMeta: boolean; stub: Obj }>();

/** JobListStub in declaration order; memoised per (job, summary) so list reads stay cheap. */
export function jobStub(store: Store, job: Job, withMeta: boolean): Obj {
  const summary = store.summaries.get(jobKey(job.Namespace, job.ID));
  const hit = stubCache.get(job);
  if (hit && hit.summary === summary && hit.withMeta === withMeta) return hit.stub;
  const stub = buildJobStub(job, summary, withMeta);
  stubCache.set(job, { summary, withMeta, stub });
  return stub;
}

/** JobListStub of a job and its summary, uncached (callers that cache its rendering need no copy kept). */
export function buildJobStub(job: Job, summary: Obj | undefined, withMeta: boolean): Obj {
  return {
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
