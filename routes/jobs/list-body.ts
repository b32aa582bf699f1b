// The compact body of GET /v1/jobs as bytes. Each job's stub is rendered once per (job record,
// summary record, meta flag): records are replaced, never changed, on a write, so a new record is a
// cache miss by identity and a reset or restore (new records) needs no invalidation. A list is then
// the cached texts written once into a buffer of the exact size: no JSON building, no joined
// many-megabyte string to scan for its length and encode again. Texts, not a Buffer per stub:
// a small Buffer costs about as much to make as the JSON itself, and more memory.
//
// After a write most of a big list is unchanged (a register changes one job and its summary), so a
// list is kept as it was last written, with where each stub starts, and the next one reuses the
// runs of stubs whose job and summary records are the same objects as then and writes only the
// others: 100,000 jobs are ~62 MB, and encoding 100,000 texts again costs many times the copy.
// A long run is not even copied: the new list is sent as slices of the old one's buffers around
// one small new buffer (the answer goes out as one writev of the parts), since faulting in 62 MB of
// fresh memory costs more than everything else the list does. No buffer is written to after its
// list is made, so a slow reader still being sent an older list is sent what it was answered.
import type { Job, Obj } from '../../state/types.js';
import { jobKey, type Store } from '../../state/store.js';
import { buildJobStub } from '../../state/jobs/queries.js';
import { goJson } from '../http/go-json.js';

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
  const text = goJson(buildJobStub(job, r.summary, withMeta));
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
  return writeList(store, jobs, withMeta, null).parts[0]!;
}

/**
 * A list as written: its jobs, the summary record each stub was rendered with, where each starts,
 * and its bytes as the parts it is sent as. Parts are never written to once made, so a reader still
 * being sent an older list that shares them gets its bytes intact.
 */
interface Written {
  jobs: readonly Job[];
  /** Each job's key in the tables, and its summary record when the stub was rendered. */
  keys: string[];
  summaries: (Obj | undefined)[];
  /** Offset of each stub's first byte in the whole body; [n] is the closing bracket's. */
  starts: Uint32Array;
  parts: Buffer[];
  /** Offset in the whole body where each part ends. */
  ends: Float64Array;
  size: number;
  /** Bytes of memory the parts keep alive (whole allocations, not only the bytes they show). */
  held: number;
  /** 1 when the jobs are in ascending (namespace, ID) order, -1 when descending. */
  order: 1 | -1;
}

/**
 * Runs of unchanged stubs at least this long are sent as slices of the list before, not copied:
 * a 62 MB list copied is 62 MB of fresh memory to fault in, which costs several times the copy.
 * Shorter runs are copied next to the new stubs, so a list has at most about 2 × size ÷ this parts.
 */
export const MIN_SLICE = 16 * 1024;
/** Beyond this share of dead bytes kept alive by slices (plus the slack), a list is written whole. */
const MAX_HELD_RATIO = 2;
const HELD_SLACK = 1024 * 1024;

const byKey = (a: Job, b: Job): number =>
  a.Namespace === b.Namespace ? (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0) : a.Namespace < b.Namespace ? -1 : 1;

/**
 * Writes the list, reusing from `base` the bytes of every stub whose job and summary records are
 * the ones `base` was written with. Which stubs are reused never depends on the order assumed:
 * `order` only helps find them (a job that sorts before the next one wanted was deleted), and a
 * stub that is not found is rendered. Long runs of reused stubs are slices of the base's parts;
 * everything else (brackets, commas, new stubs, short runs) is written into one new buffer.
 */
function writeList(store: Store, jobs: readonly Job[], withMeta: boolean, base: Written | null): Written {
  const n = jobs.length;
  const keys = new Array<string>(n);
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
    let src = -1;
    if (p < baseN) {
      if (baseJobs[p] !== job) while (p < baseN && base!.order * byKey(baseJobs[p]!, job) < 0) p++;
      if (p < baseN) {
        const b = baseJobs[p]!;
        if (b === job) {
          // The same job record: reused when its summary record is the same too (no stub cache lookup).
          const summary = store.summaries.get(base!.keys[p]!);
          if (base!.summaries[p] === summary) {
            src = p;
            keys[i] = base!.keys[p]!;
            summaries[i] = summary;
          }
          p++;
        } else if (byKey(b, job) === 0) p++; // the same job, a new record
      }
    }
    from[i] = src;
    if (src >= 0) {
      size += stubEnd(base!, src) - base!.starts[src]!;
      fresh[i] = null;
    } else {
      const r = renderedOf(store, job);
      keys[i] = r.key;
      summaries[i] = r.summary;
      const stub = stubOf(r, job, withMeta);
      fresh[i] = stub;
      size += stub.bytes;
    }
  }
  // Which runs of reused stubs become slices, and how many bytes the new buffer takes.
  let sliced = 0;
  let runs = 0;
  if (base) {
    for (let i = 0; i < n; ) {
      const src = from[i]!;
      if (src < 0) {
        i++;
        continue;
      }
      const j = runEnd(from, i);
      const bytes = stubEnd(base, src + (j - i) - 1) - base.starts[src]!;
      if (bytes >= MIN_SLICE) {
        sliced += bytes;
        runs++;
      } else for (let k = i; k < j; k++) from[k] = -2 - from[k]!; // copied: -2 - src
      i = j;
    }
    // Slices keep whole allocations alive; once they hold too much that is no longer listed, write it whole.
    if (runs > 0 && base.held + (size - sliced) > MAX_HELD_RATIO * size + HELD_SLACK) {
      sliced = 0;
      runs = 0;
      for (let i = 0; i < n; i++) if (from[i]! >= 0) from[i] = -2 - from[i]!;
    }
  }
  // Its own memory, not a slice of Buffer's shared pool that would keep a whole slab alive.
  const out = Buffer.allocUnsafeSlow(size - sliced);
  const parts: Buffer[] = [];
  const starts = new Uint32Array(n + 1);
  let at = 0; // offset in the whole body
  let w = 0; // offset in `out`
  let open = 0; // where the part of `out` not yet listed in `parts` starts
  out[w++] = OPEN;
  at++;
  for (let i = 0; i < n; ) {
    if (i > 0) {
      out[w++] = COMMA;
      at++;
    }
    const src = from[i]!;
    if (src === -1) {
      starts[i] = at;
      const bytes = out.write(fresh[i]!.text, w);
      w += bytes;
      at += bytes;
      i++;
      continue;
    }
    // A run of stubs that follow each other in the base too: its bytes at once, commas included.
    const first = src >= 0 ? src : -2 - src;
    const j = runEnd(from, i);
    const shift = at - base!.starts[first]!;
    for (let k = i; k < j; k++) starts[k] = base!.starts[first + (k - i)]! + shift;
    const a = base!.starts[first]!;
    const b = stubEnd(base!, first + (j - i) - 1);
    if (src >= 0) {
      if (w > open) parts.push(out.subarray(open, w));
      open = w;
      sliceRange(base!, a, b, parts);
    } else w += copyRange(base!, a, b, out, w);
    at += b - a;
    i = j;
  }
  starts[n] = at;
  out[w++] = CLOSE;
  parts.push(open === 0 ? out : out.subarray(open, w));
  const ends = new Float64Array(parts.length);
  let end = 0;
  for (let k = 0; k < parts.length; k++) ends[k] = end += parts[k]!.length;
  return { jobs, keys, summaries, starts, parts, ends, size, held: heldBy(parts), order: n >= 2 && byKey(jobs[0]!, jobs[n - 1]!) > 0 ? -1 : 1 };
}

/** The end of the run of stubs from `i` on that follow each other in the base (both encodings of `from`). */
function runEnd(from: Int32Array, i: number): number {
  const src = from[i]!;
  const step = src >= 0 ? 1 : -1;
  let j = i + 1;
  while (j < from.length && from[j] === src + step * (j - i)) j++;
  return j;
}

/** Where stub `k` of `w` ends (its comma or the closing bracket). */
function stubEnd(w: Written, k: number): number {
  return k + 1 < w.jobs.length ? w.starts[k + 1]! - 1 : w.starts[w.jobs.length]!;
}

/** The first part of `w` holding body offset `a`. */
function partAt(w: Written, a: number): number {
  let lo = 0;
  let hi = w.parts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (w.ends[mid]! > a) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Appends to `parts` the slices of `w`'s parts that hold its body bytes [a, b). */
function sliceRange(w: Written, a: number, b: number, parts: Buffer[]): void {
  for (let k = partAt(w, a); a < b; k++) {
    const part = w.parts[k]!;
    const from = w.ends[k]! - part.length;
    const to = Math.min(b, w.ends[k]!);
    parts.push(from === a && to === w.ends[k] ? part : part.subarray(a - from, to - from));
    a = to;
  }
}

/** Copies `w`'s body bytes [a, b) into `out` at `at`; returns how many. */
function copyRange(w: Written, a: number, b: number, out: Buffer, at: number): number {
  const start = at;
  for (let k = partAt(w, a); a < b; k++) {
    const from = w.ends[k]! - w.parts[k]!.length;
    const to = Math.min(b, w.ends[k]!);
    at += w.parts[k]!.copy(out, at, a - from, to - from);
    a = to;
  }
  return at - start;
}

/** Bytes of the allocations `parts` are slices of. */
function heldBy(parts: readonly Buffer[]): number {
  if (parts.length === 1) return parts[0]!.buffer.byteLength;
  const seen = new Set<ArrayBufferLike>();
  let held = 0;
  for (const part of parts) {
    if (seen.has(part.buffer)) continue;
    seen.add(part.buffer);
    held += part.buffer.byteLength;
  }
  return held;
}

/** Lists kept as the base of the next one: by query, at most this many and this many bytes. */
const MAX_BASES = 4;
const MAX_BASE_BYTES = 128 * 1024 * 1024;
/** Smaller lists are written whole: keeping them would save less than it costs. */
const MIN_BASE_JOBS = 256;

/** A list's body: one buffer, or the buffers it is sent as, in order (never written to again). */
export type ListBody = Buffer | readonly Buffer[];

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
  render(key: string, jobs: readonly Job[], withMeta: boolean): ListBody {
    if (this.world !== this.store.replacements) {
      this.bases.clear();
      this.held = 0;
      this.world = this.store.replacements;
    }
    const base = this.bases.get(key) ?? null;
    if (base) {
      this.bases.delete(key);
      this.held -= base.held;
    }
    if (jobs.length < MIN_BASE_JOBS) return writeList(this.store, jobs, withMeta, null).parts[0]!;
    const written = writeList(this.store, jobs, withMeta, base);
    if (written.held <= MAX_BASE_BYTES) {
      for (const [k, w] of this.bases) {
        if (this.bases.size < MAX_BASES && this.held + written.held <= MAX_BASE_BYTES) break;
        this.bases.delete(k);
        this.held -= w.held;
      }
      this.bases.set(key, written);
      this.held += written.held;
    }
    return written.parts.length === 1 ? written.parts[0]! : written.parts;
  }
}
