// The log's files: the two calls an append makes, the appends on their way, and the log files made
// ahead of need.
import fs from 'node:fs';
import { join } from 'node:path';
import { TMP_SUFFIX } from './recover.js';

/**
 * The calls an append makes; tests replace them to make the disk fail or hold it. With `dsync` the
 * log files are opened with O_DSYNC, so a write returns only once its data is on disk, as
 * fdatasync after it would: one call to the threadpool per append instead of two, with no turn of
 * the event loop between the write and its sync. Without it (a platform with no O_DSYNC), each
 * write is followed by `sync` (fdatasync).
 */
export interface PersistIo {
  /** Open the next log file with O_DSYNC (read when a log file is opened). */
  dsync: boolean;
  /** Writes all of `bufs`, one after the other, from byte `pos` of the file (one writev: the records are not copied into one buffer first). */
  write(fd: number, bufs: Buffer[], pos: number, cb: (err: Error | null) => void): void;
  sync(fd: number, cb: (err: Error | null) => void): void;
  /**
   * The same write on the calling thread, returning once all of `bufs` is written (an append on
   * the event loop, persister.ts; throws on failure). Absent: every append goes through `write`.
   */
  writeSync?: (fd: number, bufs: Buffer[], pos: number) => void;
}

/** O_DSYNC where the platform has it (Linux, macOS; not Windows). */
const O_DSYNC: number | undefined = (fs.constants as { O_DSYNC?: number }).O_DSYNC;

function writeAll(fd: number, bufs: Buffer[], pos: number, cb: (err: Error | null) => void): void {
  fs.writev(fd, bufs, pos, (err, n) => {
    if (err) return cb(err);
    // A short write (or more buffers than one writev takes): the rest from where it stopped.
    let i = 0;
    let skip = n;
    while (i < bufs.length && skip >= bufs[i]!.length) skip -= bufs[i++]!.length;
    if (i === bufs.length) return cb(null);
    writeAll(fd, [bufs[i]!.subarray(skip), ...bufs.slice(i + 1)], pos + n, cb);
  });
}

function writeAllSync(fd: number, bufs: Buffer[], pos: number): void {
  for (;;) {
    const n = fs.writevSync(fd, bufs, pos);
    let i = 0;
    let skip = n;
    while (i < bufs.length && skip >= bufs[i]!.length) skip -= bufs[i++]!.length;
    if (i === bufs.length) return;
    bufs = [bufs[i]!.subarray(skip), ...bufs.slice(i + 1)];
    pos += n;
  }
}

export const nodeIo: PersistIo = { dsync: O_DSYNC !== undefined, write: writeAll, sync: (fd, cb) => fs.fdatasync(fd, cb), writeSync: writeAllSync };

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

/**
 * Appends out at once at most. The next group goes out while the one before is still on its way
 * (two O_DSYNC writes overlap on the disk), so what committed meanwhile does not wait a whole write
 * for its turn; answers still go in the order of the records (an append back early waits for the
 * ones ahead of it).
 */
export const MAX_APPENDS = 2;

/** An append on its way: the groups it holds, and whether it is back. */
export interface Append {
  groups: Group[];
  done: boolean;
}

/**
 * Takes the appends back at the head of `appends` (in file order) and gives their groups, or null.
 * One back before the one ahead of it stays: a crash could tear that one, and a reader stops there.
 */
export function backInOrder(appends: Append[]): Group[] | null {
  let ready: Group[] | null = null;
  while (appends.length > 0 && appends[0]!.done) {
    const first = appends.shift()!.groups;
    ready = ready ? ready.concat(first) : first;
  }
  return ready;
}

/** What the groups of a failed append held, added back to what the next group encodes; true if one held the whole state. */
export function requeue(lost: Group[], dirty: Map<string, Set<string>>, touched: Set<string>): boolean {
  let full = false;
  for (const g of lost) {
    if (g.full) full = true;
    for (const [t, keys] of g.dirty) {
      let mine = dirty.get(t);
      if (!mine) dirty.set(t, (mine = new Set()));
      for (const k of keys) mine.add(k);
    }
    for (const t of g.touched) touched.add(t);
  }
  return full;
}

/** The last append at close, on the loop (nothing may commit in between), then synced. */
export function appendSync(file: LogFile, bufs: Buffer[]): void {
  const buf = Buffer.concat(bufs);
  for (let off = 0; off < buf.length; ) off += fs.writeSync(file.fd, buf, off, buf.length - off, file.pos + off);
  file.pos += buf.length;
  fs.fdatasyncSync(file.fd);
}

/** A spare no longer wanted (close): one still being filled stops at its next piece and removes itself; nobody waits. */
export function dropSpare(spare: Spare): void {
  spare.dropped = true;
  // Its name goes now (a fill still running ends on the unlinked file).
  fs.rmSync(spare.path, { force: true });
  if (!spare.busy) fs.closeSync(spare.fd);
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
  /** When it was encoded (performance.now()): one nobody waits for is written BACKGROUND_MS later. */
  at: number;
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
  /** Opened with O_DSYNC: a completed write is on disk (no sync follows it). */
  dsync: boolean;
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

/**
 * Opens the next log file by its name: the spare if one is ready (filled ahead), else a new empty
 * file; with `dsync`, for writes that return once on disk (O_DSYNC).
 */
export function openLogFile(dir: string, name: string, spare: Spare | null, dsync: boolean): { fd: number; size: number; dsync: boolean } {
  const file = join(dir, name);
  const sync = dsync && O_DSYNC !== undefined ? O_DSYNC : 0;
  const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
  let fd: number;
  let size = 0;
  if (spare) {
    try {
      // A link never replaces a file of that name (rename would), then the temporary name goes.
      fs.linkSync(spare.path, file);
      fs.rmSync(spare.path, { force: true });
      size = spare.size;
      if (sync) {
        // The spare was filled through a descriptor without O_DSYNC; the log writes through its own.
        fd = fs.openSync(file, O_WRONLY | sync);
        fs.close(spare.fd, () => undefined);
      } else fd = spare.fd;
    } catch {
      fs.close(spare.fd, () => undefined);
      size = 0;
      fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | sync);
    }
  } else fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | sync);
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
  return { fd, size, dsync: sync !== 0 };
}
