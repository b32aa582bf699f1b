// The compact body of GET /v1/jobs as bytes. Each job's stub is rendered once per (job record,
// summary record, meta flag): records are replaced, never changed, on a write, so a new record is a
// cache miss by identity and a reset or restore (new records) needs no invalidation. A list is then
// one copy of the cached stubs into a single buffer: no JSON building and no UTF-8 encoding or
// length scan of a many-megabyte string per request.
import type { Job, Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { buildJobStub } from '../../state/jobs/queries.js';

interface Rendered {
  /** The job's key in the tables, made once per record. */
  key: string;
  summary: Obj | undefined;
  plain: Buffer | null;
  withMeta: Buffer | null;
}

const stubBytes = new WeakMap<Job, Rendered>();

/** The stub of `job` as compact JSON bytes, as JSON.stringify(jobStub(...)) renders it. */
export function stubJson(store: Store, job: Job, withMeta: boolean): Buffer {
  let r = stubBytes.get(job);
  const key = r?.key ?? jobKey(job.Namespace, job.ID);
  const summary = store.summaries.get(key);
  if (!r || r.summary !== summary) stubBytes.set(job, (r = { key, summary, plain: null, withMeta: null }));
  const hit = withMeta ? r.withMeta : r.plain;
  if (hit) return hit;
  const bytes = Buffer.from(JSON.stringify(buildJobStub(job, summary, withMeta)));
  if (withMeta) r.withMeta = bytes;
  else r.plain = bytes;
  return bytes;
}

const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

/** `[stub,stub,…]` of the given jobs in one buffer. */
export function stubListJson(store: Store, jobs: readonly Job[], withMeta: boolean): Buffer {
  const parts = new Array<Buffer>(jobs.length);
  let size = 2 + Math.max(0, jobs.length - 1);
  for (let i = 0; i < jobs.length; i++) size += (parts[i] = stubJson(store, jobs[i]!, withMeta)).length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = OPEN;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = COMMA;
    const part = parts[i]!;
    // TypedArray#set: Buffer#copy's argument handling costs more than a stub's few hundred bytes.
    out.set(part, at);
    at += part.length;
  }
  out[at] = CLOSE;
  return out;
}
