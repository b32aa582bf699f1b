// The compact body of GET /v1/jobs as bytes. Each job's stub is rendered once per (job record,
// summary record, meta flag): records are replaced, never changed, on a write, so a new record is a
// cache miss by identity and a reset or restore (new records) needs no invalidation. A list is then
// the cached texts written once into a buffer of the exact size: no JSON building, no joined
// many-megabyte string to scan for its length and encode again. Texts, not a Buffer per stub:
// a small Buffer costs about as much to make as the JSON itself, and more memory.
import type { Job, Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { buildJobStub } from '../../state/jobs/queries.js';

interface Rendered {
  /** The job's key in the tables, made once per record. */
  key: string;
  summary: Obj | undefined;
  plain: Stub | null;
  withMeta: Stub | null;
}

/** A stub's compact JSON and its size in UTF-8 bytes. */
interface Stub {
  text: string;
  bytes: number;
}

const stubText = new WeakMap<Job, Rendered>();

/** The stub of `job` as compact JSON, as JSON.stringify(jobStub(...)) renders it. */
export function stubJson(store: Store, job: Job, withMeta: boolean): Stub {
  let r = stubText.get(job);
  const key = r?.key ?? jobKey(job.Namespace, job.ID);
  const summary = store.summaries.get(key);
  if (!r || r.summary !== summary) stubText.set(job, (r = { key, summary, plain: null, withMeta: null }));
  const hit = withMeta ? r.withMeta : r.plain;
  if (hit) return hit;
  const text = JSON.stringify(buildJobStub(job, summary, withMeta));
  const stub = { text, bytes: Buffer.byteLength(text) };
  if (withMeta) r.withMeta = stub;
  else r.plain = stub;
  return stub;
}

const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

/** `[stub,stub,…]` of the given jobs, written into one buffer of the exact size. */
export function stubListJson(store: Store, jobs: readonly Job[], withMeta: boolean): Buffer {
  const parts = new Array<Stub>(jobs.length);
  let size = 2 + Math.max(0, jobs.length - 1);
  for (let i = 0; i < jobs.length; i++) size += (parts[i] = stubJson(store, jobs[i]!, withMeta)).bytes;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  out[at++] = OPEN;
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) out[at++] = COMMA;
    at += out.write(parts[i]!.text, at);
  }
  out[at] = CLOSE;
  return out;
}
