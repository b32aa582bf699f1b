// What a task has written to stdout or stderr, as a pure function of its allocation and the
// simulated clock: nothing is stored, so the output survives snapshot, restore and reset as the
// allocation does, and any byte range is computed on demand (a task repeating a line a billion
// times costs no memory). The mock driver's `stdout_string`, `stdout_repeat` and
// `stdout_repeat_duration` (and the stderr trio) mean what drivers/mock/handle.go makes of them: the
// string is written once when the task starts, then `repeat` more times, one every duration, until
// the task stops. Other drivers print one short line per start on stdout.
import type { Obj } from '../types.js';
import { parseGoDuration } from '../godur.js';

export type LogType = 'stdout' | 'stderr';

/** One run of a task's process: from a `Started` event to the event that ended it (null: still running). */
export interface Run {
  startNs: number;
  endNs: number | null;
}

/** What one run writes: `chunk`, `repeat` more times, one every `everyNs` (all at once when 0). */
export interface OutputSpec {
  chunk: Buffer;
  repeat: number;
  everyNs: number;
}

/** Events after which a task's process no longer writes. */
const RUN_ENDS = new Set(['Terminated', 'Killed', 'Restarting', 'Not Restarting', 'Sibling Task Failed']);

const timeNs = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

const parseRfc3339Ns = (v: unknown): number => {
  if (typeof v !== 'string' || v === '') return 0;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms * 1e6 : 0;
};

/** The runs recorded in a task's state (its events), oldest first. */
export function taskRuns(state: Obj | null | undefined): Run[] {
  const runs: Run[] = [];
  if (!state) return runs;
  let open: Run | null = null;
  for (const ev of (state.Events as Obj[] | null) ?? []) {
    const at = timeNs(ev?.Time);
    if (ev?.Type === 'Started') {
      if (open) open.endNs = Math.max(open.startNs, at);
      open = { startNs: at, endNs: null };
      runs.push(open);
    } else if (open && RUN_ENDS.has(ev?.Type)) {
      open.endNs = Math.max(open.startNs, at);
      open = null;
    }
  }
  // A dead task whose last run saw no ending event stopped when it finished.
  if (open && state.State === 'dead') open.endNs = Math.max(open.startNs, parseRfc3339Ns(state.FinishedAt) || open.startNs);
  return runs;
}

function durationNs(v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.max(0, v);
  if (typeof v !== 'string' || v === '') return 0;
  return Math.max(0, parseGoDuration(v) ?? 0);
}

function count(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : 0;
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** What each run of `task` writes to `type`, or null when it writes nothing there. */
export function outputSpec(task: Obj, type: LogType): OutputSpec | null {
  if (task.Driver === 'mock_driver') {
    const cfg = (task.Config as Obj | null) ?? {};
    const s = cfg[`${type}_string`];
    if (typeof s !== 'string' || s === '') return null;
    return { chunk: Buffer.from(s, 'utf8'), repeat: count(cfg[`${type}_repeat`]), everyNs: durationNs(cfg[`${type}_repeat_duration`]) };
  }
  if (type === 'stderr') return null;
  const line = `nomad-mock: task ${JSON.stringify(String(task.Name ?? ''))} started (driver ${String(task.Driver ?? '')})\n`;
  return { chunk: Buffer.from(line, 'utf8'), repeat: 0, everyNs: 0 };
}

/** One output stream (a task's stdout or stderr) at one instant: its runs and their write counts. */
export class OutputStream {
  /** Writes made by each run up to `nowNs`. */
  private readonly writes: number[];
  readonly size: number;

  constructor(
    private readonly spec: OutputSpec | null,
    private readonly runs: readonly Run[],
    private readonly nowNs: number,
  ) {
    this.writes = runs.map((r) => this.writesOf(r));
    const len = spec?.chunk.length ?? 0;
    this.size = this.writes.reduce((sum, n) => sum + n * len, 0);
  }

  private writesOf(r: Run): number {
    const spec = this.spec;
    if (!spec || r.startNs > this.nowNs) return 0;
    if (spec.everyNs <= 0) return 1 + spec.repeat;
    const stopped = r.endNs !== null && r.endNs <= this.nowNs;
    const until = stopped ? r.endNs! : this.nowNs;
    const at = (k: number): number => r.startNs + k * spec.everyNs;
    let more = Math.floor((until - r.startNs) / spec.everyNs);
    // Settle float rounding with the same sum nextWriteNs uses, so the next write is always after now.
    while (more < spec.repeat && at(more + 1) <= until) more++;
    while (more > 0 && at(more) > until) more--;
    // A repeat due the instant the task stopped is not written: it stopped first.
    if (stopped && more > 0 && at(more) >= until) more--;
    return 1 + Math.min(spec.repeat, Math.max(0, more));
  }

  /** When the last byte was written (0: never). */
  lastWriteNs(): number {
    const spec = this.spec;
    if (!spec) return 0;
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const n = this.writes[i]!;
      if (n > 0) return this.runs[i]!.startNs + (n - 1) * spec.everyNs;
    }
    return 0;
  }

  /** When byte `pos` of the stream was written (0 when it has not been). */
  writtenAtNs(pos: number): number {
    const spec = this.spec;
    if (!spec || pos < 0 || pos >= this.size) return 0;
    let k = Math.floor(pos / spec.chunk.length);
    for (let i = 0; i < this.runs.length; i++) {
      const n = this.writes[i]!;
      if (k < n) return this.runs[i]!.startNs + k * spec.everyNs;
      k -= n;
    }
    return 0;
  }

  /** When the next write falls due after now, or null when no run will write again without a new start. */
  nextWriteNs(): number | null {
    const spec = this.spec;
    const i = this.runs.length - 1;
    if (!spec || i < 0) return null;
    const r = this.runs[i]!;
    const n = this.writes[i]!;
    if (r.endNs !== null || spec.everyNs <= 0 || n >= spec.repeat + 1) return null;
    return r.startNs + n * spec.everyNs;
  }

  /** Bytes [from, from + len) of the stream, clipped to its size. */
  read(from: number, len: number): Buffer {
    const spec = this.spec;
    const end = Math.min(this.size, from + Math.max(0, len));
    if (!spec || from >= end) return Buffer.alloc(0);
    const chunk = spec.chunk;
    const out = Buffer.alloc(end - from);
    // Every run is the chunk repeated, so the stream is the chunk repeated: fill from the right phase.
    const phase = from % chunk.length;
    const rotated = phase === 0 ? chunk : Buffer.concat([chunk.subarray(phase), chunk.subarray(0, phase)]);
    out.fill(rotated);
    return out;
  }
}
