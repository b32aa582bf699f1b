// The job_version table and per-version submissions (state-semantics §4.2, §4.5).
import type { Job, Obj } from '../types.js';
import type { Store, Txn } from '../store.js';

export const TRACKED_VERSIONS = 6;
export const MAX_SOURCE_SIZE = 1024 * 1024;

/** Inserts or replaces the row for `job.Version` and prunes to the tracked count. */
export function putVersion(store: Store, tx: Txn, key: string, job: Job): void {
  const old = store.versions.get(key);
  let list: Job[];
  if (old === undefined) {
    list = [job];
  } else {
    list = old.filter((v) => v.Version !== job.Version);
    list.push(job);
    list.sort((a, b) => b.Version - a.Version);
    pruneVersions(list);
  }
  store.versions.set(key, list);
  tx.touch('job_version');
}

/**
 * Nomad deletes exactly one untagged version once there are more than the tracked count: the
 * oldest beyond the limit, unless that is the newest stable version, which survives.
 */
function pruneVersions(list: Job[]): void {
  const untagged = list.filter((v) => !v.VersionTag);
  if (untagged.length <= TRACKED_VERSIONS) return;
  let victim = untagged[TRACKED_VERSIONS]!;
  const newestStable = list.find((v) => v.Stable);
  if (newestStable && victim === newestStable) victim = untagged[TRACKED_VERSIONS - 1]!;
  list.splice(list.indexOf(victim), 1);
}

export function submissionSize(sub: Obj): number {
  let size = String(sub.Source ?? '').length + String(sub.Variables ?? '').length;
  for (const [k, v] of Object.entries((sub.VariableFlags as Record<string, string> | null) ?? {})) {
    size += k.length + String(v).length;
  }
  return size;
}

/**
 * Stores the source that came with a write, or carries an earlier version's source forward the way
 * Nomad's state store does when a write has none and the incoming version is not newer.
 */
export function putSubmission(
  store: Store,
  key: string,
  job: Job,
  submission: Obj | null,
  incomingVersion: number,
  storedVersion: number | null,
): void {
  const stored = store.submissions.get(key);
  let source: Obj | null = null;
  if (submission) {
    source = submission;
  } else if (storedVersion !== null && incomingVersion <= storedVersion) {
    source = stored?.get(incomingVersion) ?? null;
  }
  if (!source) return;
  // A copy, stored whole: a committed row is never changed in place (readers, the write-ahead log).
  const perVersion = new Map(stored ?? []);
  perVersion.set(job.Version, {
    Source: source.Source ?? '',
    Format: source.Format ?? '',
    VariableFlags: source.VariableFlags ?? null,
    Variables: source.Variables ?? '',
    Namespace: job.Namespace,
    JobID: job.ID,
    Version: job.Version,
    JobModifyIndex: job.JobModifyIndex,
  });
  if (perVersion.size > TRACKED_VERSIONS) {
    const oldest = [...perVersion.values()].sort((a, b) => a.JobModifyIndex - b.JobModifyIndex)[0]!;
    perVersion.delete(oldest.Version);
  }
  store.submissions.set(key, perVersion);
}
