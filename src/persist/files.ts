// The log's files: the two calls an append makes, and the log files made ahead of need.
import fs from 'node:fs';
import { join } from 'node:path';
import { TMP_SUFFIX } from './recover.js';

/** The two calls an append makes; tests replace them to make the disk fail. */
export interface PersistIo {
  /** Writes all of `buf` at byte `pos` of the file. */
  write(fd: number, buf: Buffer, pos: number, cb: (err: Error | null) => void): void;
  sync(fd: number, cb: (err: Error | null) => void): void;
}

function writeAll(fd: number, buf: Buffer, pos: number, cb: (err: Error | null) => void, off = 0): void {
  fs.write(fd, buf, off, buf.length - off, pos + off, (err, n) => {
    if (err) return cb(err);
    if (off + n < buf.length) return writeAll(fd, buf, pos, cb, off + n);
    cb(null);
  });
}

export const nodeIo: PersistIo = { write: writeAll, sync: (fd, cb) => fs.fdatasync(fd, cb) };

/**
 * Log files are made ahead of need, filled with zeros and synced (preallocated, as SQLite and etcd
 * do): a sync of a write into them has no file size or block allocation to commit, only the data,
 * which makes it cheaper. The log ends at the first header of zeros (frame.ts).
 */
export const SEGMENT_BYTES = 8 * 1024 * 1024;
let spareCount = 0;
const ZEROS = Buffer.alloc(1024 * 1024);

/** The next log file, being filled with zeros in the background, then ready to take the log. */
export interface Spare {
  /** A name of its own (a temporary file, removed at start-up if a crash leaves it). */
  path: string;
  fd: number;
  size: number;
  ready: boolean;
  /** The fill is running (the descriptor is closed only once it is back). */
  busy: boolean;
  dropped: boolean;
}

/** An answer waiting for `seq`, the group whose sync answers it. */
export interface Waiter {
  seq: number;
  resolve(): void;
  reject(err: Error): void;
}

/** One record (a group of commits) on its way to the disk. */
export interface Group {
  seq: number;
  buf: Buffer;
  /** The store's index when it was encoded: what it makes durable. */
  label: number;
  epoch: number;
  full: boolean;
  /** What it holds, to encode again into a new file should its append fail. */
  dirty: Map<string, Set<string>>;
  touched: Set<string>;
}

export interface LogFile {
  fd: number;
  /** Where the next write goes, and the bytes made ahead (0: a file that grows with each write). */
  pos: number;
  size: number;
  /** Writes and syncs outstanding on it: it is closed only once they are back (a reused fd number would take them). */
  ops: number;
  /** Syncs outstanding (at most one: a sync covers every write that finished before it started). */
  syncing: number;
  /** The groups the outstanding sync covers. */
  covering: Group[];
  retired: boolean;
}

/** Starts filling a spare; `done` is told when it is ready, failed, or dropped. */
export function makeSpare(dir: string, size: number, done: (spare: Spare) => void): Spare | null {
  const path = join(dir, `wal-next-${process.pid}-${++spareCount}${TMP_SUFFIX}`);
  let fd: number;
  try {
    fd = fs.openSync(path, 'w');
  } catch {
    return null; // the log works without one
  }
  const spare: Spare = { path, fd, size, ready: false, busy: true, dropped: false };
  const end = (err: Error | null): void => {
    spare.busy = false;
    if (err || spare.dropped) {
      fs.close(fd, () => undefined);
      fs.rm(path, { force: true }, () => undefined);
    } else spare.ready = true;
    done(spare);
  };
  const fill = (pos: number): void => {
    if (spare.dropped) return end(null);
    if (pos >= spare.size) return fs.fsync(fd, end);
    fs.write(fd, ZEROS, 0, Math.min(ZEROS.length, spare.size - pos), pos, (err) => (err ? end(err) : fill(pos + ZEROS.length)));
  };
  fill(0);
  return spare;
}

/** Opens the next log file by its name: the spare if one is ready (filled ahead), else a new empty file. */
export function openLogFile(dir: string, name: string, spare: Spare | null): { fd: number; size: number } {
  const file = join(dir, name);
  let fd: number;
  let size = 0;
  if (spare) {
    try {
      // A link never replaces a file of that name (rename would), then the temporary name goes.
      fs.linkSync(spare.path, file);
      fs.rmSync(spare.path, { force: true });
      fd = spare.fd;
      size = spare.size;
    } catch {
      fs.close(spare.fd, () => undefined);
      fd = fs.openSync(file, 'wx');
    }
  } else fd = fs.openSync(file, 'wx');
  try {
    // The new file's name must survive a crash before anything acknowledged is in it.
    const dfd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(dfd);
    } finally {
      fs.closeSync(dfd);
    }
  } catch {
    // Not every file system syncs a directory.
  }
  return { fd, size };
}
