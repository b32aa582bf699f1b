// Start-up from a data dir: the newest complete checkpoint (or a state.json from before the log),
// then every log generation from that one on, in order. A torn last record of a log (a crash
// mid-append) is dropped; anything else that cannot be read stops start-up naming the file.
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateSnapshot, type Snapshot } from '../../state/snapshot/snapshot.js';
import { readFrames, FrameError } from './frame.js';
import { apply, fromSnapshot, toSnapshot, ImageError, type Image, type LogRecord } from './image.js';
import { RefReader } from './refs.js';

/** The snapshot format of before the log: still read at start (and then superseded by a checkpoint). */
export const STATE_FILE = 'state.json';
const LEGACY_TMP_PREFIX = `${STATE_FILE}.tmp-`;
export const TMP_SUFFIX = '.tmp';

const pad = (g: number): string => String(g).padStart(8, '0');
export const walName = (g: number): string => `wal-${pad(g)}.log`;
export const checkpointName = (g: number): string => `checkpoint-${pad(g)}.ckpt`;
const WAL = /^wal-(\d{8})\.log$/;
const CHECKPOINT = /^checkpoint-(\d{8})\.ckpt$/;

/** The data dir or a file in it cannot be used; the message names the path and the cause. */
export class PersistError extends Error {}

/** `EACCES: permission denied, open '/x/state.json'` → `permission denied (EACCES)`. */
export function cause(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.message === 'string') {
    const text = e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2).replace(/, \w+ '.*'$/, '') : e.message;
    return `${text} (${e.code})`;
  }
  return e instanceof Error ? e.message : String(err);
}

export interface DataDirFiles {
  /** Generations of complete checkpoints and of logs, ascending. */
  checkpoints: number[];
  wals: number[];
  legacy: boolean;
}

export function listDataDir(dir: string): DataDirFiles {
  const checkpoints: number[] = [];
  const wals: number[] = [];
  let legacy = false;
  for (const f of readdirSync(dir)) {
    let m: RegExpExecArray | null;
    if ((m = CHECKPOINT.exec(f))) checkpoints.push(Number(m[1]));
    else if ((m = WAL.exec(f))) wals.push(Number(m[1]));
    else if (f === STATE_FILE) legacy = true;
  }
  const asc = (a: number, b: number): number => a - b;
  return { checkpoints: checkpoints.sort(asc), wals: wals.sort(asc), legacy };
}

export interface Recovered {
  /** The state to load, checked; null when the data dir holds none yet. */
  snapshot: Snapshot | null;
  /** The newest generation seen (checkpoint or log); the next log is one above it. */
  generation: number;
  /** The checkpoint the state started from (0: none). */
  base: number;
  /** Bytes of log replayed over the base: what the first checkpoint after start compacts. */
  logBytes: number;
  /** Built on a state.json of before the log. */
  legacy: boolean;
}

/** Reads a regular file; a directory, FIFO or device stops start-up rather than blocking it. */
function readRegular(file: string, what: string): Buffer | null {
  try {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) return null;
    if (!st.isFile()) throw new PersistError(`cannot read ${what} ${file}: not a regular file (${st.isDirectory() ? 'a directory' : 'a special file'})`);
    return readFileSync(file);
  } catch (err) {
    if (err instanceof PersistError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PersistError(`cannot read ${what} ${file}: ${cause(err)}`);
  }
}

/** The state.json of before the log, with the messages it always had. */
function loadLegacy(file: string): Snapshot | null {
  const buf = readRegular(file, 'state file');
  if (!buf) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new PersistError(`state file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  try {
    return validateSnapshot(doc);
  } catch (err) {
    throw new PersistError(`state file ${file} is not a valid snapshot: ${(err as Error).message}`);
  }
}

/** A checkpoint is renamed into place only once complete, so it must read whole and end with its end record. */
function loadCheckpoint(file: string): Image {
  const buf = readRegular(file, 'checkpoint file');
  if (!buf) throw new PersistError(`cannot read checkpoint file ${file}: it disappeared during start-up`);
  let img: Image | null = null;
  try {
    const { records, tornTail } = readFrames(buf);
    const last = records[records.length - 1] as LogRecord | undefined;
    if (tornTail || !last?.end) throw new ImageError('it is incomplete (no end record)');
    if (!(records[0] as LogRecord).full) throw new ImageError('it does not start with a header record');
    const refs = new RefReader();
    for (const r of records) img = apply(img!, r, refs);
  } catch (err) {
    if (err instanceof FrameError || err instanceof ImageError) throw new PersistError(`checkpoint file ${file} is corrupt: ${err.message}`);
    throw err;
  }
  return img!;
}

/** Replays one log over `img`; returns the new image and the bytes read. */
function replayLog(file: string, img: Image | null): { img: Image | null; bytes: number } {
  const buf = readRegular(file, 'log file');
  if (!buf) return { img, bytes: 0 };
  try {
    const { records, goodBytes } = readFrames(buf);
    const refs = new RefReader();
    for (const r of records) {
      if (!img && !(r as LogRecord).full) throw new ImageError('its first record needs a base state, and there is no checkpoint or state.json');
      img = apply(img!, r, refs);
    }
    return { img, bytes: goodBytes };
  } catch (err) {
    if (err instanceof FrameError || err instanceof ImageError) throw new PersistError(`log file ${file} is corrupt: ${err.message}`);
    throw err;
  }
}

/**
 * The state the data dir holds. Leftovers of interrupted checkpoints (and of the old whole-file
 * saves) are removed first, unless `clean` is false (a look at a folder a live server writes).
 */
export function recover(dir: string, opts: { clean?: boolean } = {}): Recovered {
  try {
    if (opts.clean !== false) for (const f of readdirSync(dir)) if (f.endsWith(TMP_SUFFIX) || f.startsWith(LEGACY_TMP_PREFIX)) rmSync(join(dir, f), { force: true, recursive: true });
  } catch (err) {
    throw new PersistError(`cannot read data dir ${dir}: ${cause(err)}`);
  }
  const files = listDataDir(dir);
  const base = files.checkpoints[files.checkpoints.length - 1] ?? 0;
  let img: Image | null = null;
  let legacy = false;
  if (base > 0) img = loadCheckpoint(join(dir, checkpointName(base)));
  else {
    const snap = loadLegacy(join(dir, STATE_FILE));
    if (snap) {
      img = fromSnapshot(snap);
      legacy = true;
    }
  }
  let logBytes = 0;
  const replayed: string[] = [];
  for (const g of files.wals) {
    if (g < base) continue;
    const r = replayLog(join(dir, walName(g)), img);
    img = r.img;
    logBytes += r.bytes;
    if (r.bytes > 0) replayed.push(walName(g));
  }
  const generation = Math.max(base, files.wals[files.wals.length - 1] ?? 0);
  if (!img) return { snapshot: null, generation, base, logBytes, legacy };
  let snapshot: Snapshot;
  try {
    snapshot = validateSnapshot(toSnapshot(img));
  } catch (err) {
    const from = [base > 0 ? checkpointName(base) : legacy ? STATE_FILE : '', ...replayed].filter(Boolean).join(' + ');
    throw new PersistError(`state in data dir ${dir} (${from}) is not a valid snapshot: ${(err as Error).message}`);
  }
  return { snapshot, generation, base, logBytes, legacy };
}
