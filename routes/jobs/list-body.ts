// The compact body of GET /v1/jobs as bytes. Each job's stub is rendered once per (job record,
// summary record, meta flag): records are replaced, never changed, on a write, so a new record is a
// cache miss by identity and a reset or restore (new records) needs no invalidation. A list is then
// the cached texts written once into a buffer of the exact size: no JSON building, no joined
// many-megabyte string to scan for its length and encode again. Texts, not a Buffer per stub:
// a small Buffer costs about as much to make as the JSON itself, and more memory.
//
// After a write most of a big list is unchanged (a register changes one job and its summary), so a
// list is kept as it was last written, with where each stub starts, and the next one copies the
// runs of stubs whose job and summary records are the same objects as then (one memory copy per
// run) and writes only the others: 100,000 jobs are ~62 MB, and encoding 100,000 texts again costs
// many times the copy.
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

/** The cache entry of `job` for its current summary record. */
function renderedOf(store: Store, job: Job): Rendered {
  let r = stubText.get(job);
  const key = r?.key ?? jobKey(job.Namespace, job.ID);
  const summary = store.summaries.get(key);
  if (!r || r.summary !== summary) stubText.set(job, (r = { key, summary, plain: null, withMeta: null }));
  return r;
}

function stubOf(r: Rendered, job: Job, withMeta: boolean): Stub {
  const hit = withMeta ? r.withMeta : r.plain;
  if (hit) return hit;
  const text = JSON.stringify(buildJobStub(job, r.summary, withMeta));
  const stub = { text, bytes: Buffer.byteLength(text) };
  if (withMeta) r.withMeta = stub;
  else r.plain = stub;
  return stub;
}

/** The stub of `job` as compact JSON, as JSON.stringify(jobStub(...)) renders it. */
export function stubJson(store: Store, job: Job, withMeta: boolean): Stub {
  return stubOf(renderedOf(store, job), job, withMeta);
}

const OPEN = 0x5b; // [
const COMMA = 0x2c;
const CLOSE = 0x5d; // ]

/** `[stub,stub,…]` of the given jobs, written into one buffer of the exact size. */
export function stubListJson(store: Store, jobs: readonly Job[], withMeta: boolean): Buffer {
  return writeList(store, jobs, withMeta, null).bytes;
}

/** A list as written: its jobs, the summary record each stub was rendered with, and where each starts. */
interface Written {
  jobs: readonly Job[];
  summaries: (Obj | undefined)[];
  /** Offset of each stub's first byte; [n] is the closing bracket's. */
  starts: Uint32Array;
  bytes: Buffer;
  /** 1 when the jobs are in ascending (namespace, ID) order, -1 when descending. */
  order: 1 | -1;
}

const byKey = (a: Job, b: Job): number =>
  a.Namespace === b.Namespace ? (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0) : a.Namespace < b.Namespace ? -1 : 1;

/**
 * Writes the list, copying from `base` the bytes of every stub whose job and summary records are
 * the ones `base` was written with. Which stubs are copied never depends on the order assumed:
 * `order` only helps find them (a job that sorts before the next one wanted was deleted), and a
 * stub that is not found is rendered.
 */
function writeList(store: Store, jobs: readonly Job[], withMeta: boolean, base: Written | null): Written {
  const n = jobs.length;
  const summaries = new Array<Obj | undefined>(n);
  // Per stub: the base's stub it is copied from, or -1 and its text in `fresh`.
  const from = new Int32Array(n);
  const fresh = new Array<Stub | null>(n);
  const baseJobs = base?.jobs ?? [];
  const baseN = baseJobs.length;
  let size = 2 + Math.max(0, n - 1);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const job = jobs[i]!;
    const r = renderedOf(store, job);
    summaries[i] = r.summary;
    let src = -1;
    if (p < baseN) {
      if (baseJobs[p] !== job) while (p < baseN && base!.order * byKey(baseJobs[p]!, job) < 0) p++;
      if (p < baseN) {
        const b = baseJobs[p]!;
        if (b === job) {
          if (base!.summaries[p] === r.summary) src = p;
          p++;
        } else if (byKey(b, job) === 0) p++; // the same job, a new record
      }
    }
    from[i] = src;
    if (src >= 0) {
      size += stubEnd(base!, src) - base!.starts[src]!;
      fresh[i] = null;
    } else {
      const stub = stubOf(r, job, withMeta);
      fresh[i] = stub;
      size += stub.bytes;
    }
  }
  const out = Buffer.allocUnsafe(size);
  const starts = new Uint32Array(n + 1);
  let at = 0;
  out[at++] = OPEN;
  for (let i = 0; i < n; ) {
    if (i > 0) out[at++] = COMMA;
    const src = from[i]!;
    if (src < 0) {
      starts[i] = at;
      at += out.write(fresh[i]!.text, at);
      i++;
      continue;
    }
    // A run of stubs that follow each other in the base too: one copy, commas included.
    let j = i + 1;
    while (j < n && from[j] === src + (j - i)) j++;
    const shift = at - base!.starts[src]!;
    for (let k = i; k < j; k++) starts[k] = base!.starts[src + (k - i)]! + shift;
    at += base!.bytes.copy(out, at, base!.starts[src]!, stubEnd(base!, src + (j - i) - 1));
    i = j;
  }
  starts[n] = at;
  out[at] = CLOSE;
  return { jobs, summaries, starts, bytes: out, order: n >= 2 && byKey(jobs[0]!, jobs[n - 1]!) > 0 ? -1 : 1 };
}

/** Where stub `k` of `w` ends (its comma or the closing bracket). */
function stubEnd(w: Written, k: number): number {
  return k + 1 < w.jobs.length ? w.starts[k + 1]! - 1 : w.starts[w.jobs.length]!;
}

/** Lists kept as the base of the next one: by query, at most this many and this many bytes. */
const MAX_BASES = 4;
const MAX_BASE_BYTES = 128 * 1024 * 1024;
/** Smaller lists are written whole: keeping them would save less than it costs. */
const MIN_BASE_JOBS = 256;

/**
 * The list bodies of one route: each query's last list is the base its next list is patched from.
 * Emptied when the state is replaced (reset, restore): no record of the old state can match then,
 * and none is kept alive for nothing.
 */
export class ListBodies {
  private readonly bases = new Map<string, Written>();
  private held = 0;
  private world = -1;

  constructor(private readonly store: Store) {}

  /** The body of the list `jobs` answering query `key`. */
  render(key: string, jobs: readonly Job[], withMeta: boolean): Buffer {
    if (this.world !== this.store.replacements) {
      this.bases.clear();
      this.held = 0;
      this.world = this.store.replacements;
    }
    const base = this.bases.get(key) ?? null;
    if (base) {
      this.bases.delete(key);
      this.held -= base.bytes.length;
    }
    if (jobs.length < MIN_BASE_JOBS) return writeList(this.store, jobs, withMeta, null).bytes;
    const written = writeList(this.store, jobs, withMeta, base);
    if (written.bytes.length <= MAX_BASE_BYTES) {
      for (const [k, w] of this.bases) {
        if (this.bases.size < MAX_BASES && this.held + written.bytes.length <= MAX_BASE_BYTES) break;
        this.bases.delete(k);
        this.held -= w.bytes.length;
      }
      this.bases.set(key, written);
      this.held += written.bytes.length;
    }
    return written.bytes;
  }
}
