// A simulated allocation directory (client/allocdir): `alloc/` (`data/`, `logs/`, `tmp/`) and one
// directory per task (`local/`, `secrets/`, `tmp/`), derived from the allocation and the clock, never
// stored. Task output lands in `alloc/logs/<task>.<stdout|stderr>.<n>`, rotated the way logmon does
// at the task's `LogConfig.MaxFileSizeMB`, keeping `MaxFiles` (split at the byte, where logmon
// prefers a line boundary). Errors carry the texts Go's os package and allocdir give.
import type { Obj } from '../types.js';
import { rfc3339 } from '../format.js';
import { OutputStream, outputSpec, taskRuns, type LogType } from './output.js';

/** Where the simulated clients keep allocation directories (a client's `data_dir` + `/alloc`). */
export const ALLOC_DIR_ROOT = '/opt/nomad/data/alloc';
const MiB = 1024 * 1024;
const DIR_SIZE = 4096;
const DIR_MODE = 'drwxrwxrwx';
const FILE_MODE = '-rw-r--r--';
const OCTET = 'application/octet-stream';

/** Nomad's AllocFileInfo; `ContentType` only from stat. */
export interface FileInfo {
  Name: string;
  IsDir: boolean;
  Size: number;
  FileMode: string;
  ModTime: string;
  ContentType?: string;
}

/** A filesystem error with Go's text; `missing` is what Nomad maps to 404 on ls and stat. */
export class FsError extends Error {
  constructor(
    message: string,
    readonly missing = false,
  ) {
    super(message);
    this.name = 'FsError';
  }
}

/** One rotated log file: bytes [start, start + size) of its task's output stream. */
export interface LogFile {
  name: string;
  task: string;
  type: LogType;
  index: number;
  start: number;
  size: number;
  stream: OutputStream;
}

interface Node {
  name: string;
  dir: boolean;
  size: number;
  mtimeNs: number;
  children?: () => Node[];
  log?: LogFile;
}

/** A file opened for reading. */
export interface OpenFile {
  /** The cleaned path relative to the alloc dir. */
  rel: string;
  abs: string;
  size: number;
  read(from: number, len: number): Buffer;
  log: LogFile;
}

/**
 * Go's filepath.Join(allocDir, path) as segments, or null when the path climbs out of it (allocdir's
 * PathEscapesAllocDir: the relative path starts with `..`, which includes a first name like `..x`).
 */
export function cleanPath(path: string): string[] | null {
  const out: string[] = [];
  for (const seg of path.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(seg);
  }
  if (out.length > 0 && out[0]!.startsWith('..')) return null;
  return out;
}

const ESCAPES = 'Path escapes the alloc directory';

/** The HTML and other signatures Go's http.DetectContentType checks before calling text plain. */
const SNIFF_HTML = ['<!DOCTYPE HTML', '<HTML', '<HEAD', '<SCRIPT', '<IFRAME', '<H1', '<DIV', '<FONT', '<TABLE', '<A', '<STYLE', '<TITLE', '<B', '<BODY', '<BR', '<P', '<!--'];

/** http.DetectContentType for the kinds of bytes a simulated file holds (text, or not). */
export function detectContentType(head: Buffer): string {
  let i = 0;
  while (i < head.length && ' \t\n\x0c\r'.includes(String.fromCharCode(head[i]!))) i++;
  const rest = head.subarray(i).toString('latin1');
  for (const sig of SNIFF_HTML) {
    if (rest.length > sig.length && rest.slice(0, sig.length).toUpperCase() === sig && (rest[sig.length] === ' ' || rest[sig.length] === '>')) {
      return 'text/html; charset=utf-8';
    }
  }
  if (rest.startsWith('<?xml')) return 'text/xml; charset=utf-8';
  const raw = head.toString('latin1');
  if (raw.startsWith('%PDF-')) return 'application/pdf';
  if (raw.startsWith('%!PS-Adobe-')) return 'application/postscript';
  for (const b of head) {
    if (b <= 0x08 || b === 0x0b || (b >= 0x0e && b <= 0x1a) || (b >= 0x1c && b <= 0x1f)) return OCTET;
  }
  return 'text/plain; charset=utf-8';
}

const positive = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : dflt);

/** One allocation's directory at one simulated instant. */
export class AllocDir {
  readonly path: string;
  private readonly createdNs: number;
  private readonly tasks: Obj[];

  constructor(
    private readonly alloc: Obj,
    private readonly nowNs: number,
  ) {
    this.path = `${ALLOC_DIR_ROOT}/${String(alloc.ID)}`;
    const group = ((alloc.Job as Obj | null)?.TaskGroups as Obj[] | undefined)?.find((g) => g.Name === alloc.TaskGroup);
    this.tasks = ((group?.Tasks as Obj[] | null) ?? []).filter((t) => typeof t?.Name === 'string');
    let first = Infinity;
    for (const st of Object.values((alloc.TaskStates as Obj | null) ?? {})) {
      const t = (st as Obj)?.Events?.[0]?.Time;
      if (typeof t === 'number' && t > 0 && t < first) first = t;
    }
    this.createdNs = Number.isFinite(first) ? first : Number(alloc.CreateTime) || nowNs;
  }

  /** filepath.Join(allocDir, segments…). */
  abs(segs: readonly string[]): string {
    return segs.length === 0 ? this.path : `${this.path}/${segs.join('/')}`;
  }

  private dir(name: string, children: () => Node[] = () => []): Node {
    return { name, dir: true, size: DIR_SIZE, mtimeNs: this.createdNs, children };
  }

  /** The task's rotated output files that exist now (none before the client set the task up, or with logging disabled). */
  logFiles(task: string, type: LogType): LogFile[] {
    const t = this.tasks.find((x) => x.Name === task);
    const state = (this.alloc.TaskStates as Obj | null)?.[task] as Obj | undefined;
    if (!t || !state) return [];
    const cfg = (t.LogConfig as Obj | null) ?? {};
    if (cfg.Disabled === true) return [];
    const max = positive(cfg.MaxFileSizeMB, 10) * MiB;
    const keep = positive(cfg.MaxFiles, 10);
    const stream = new OutputStream(outputSpec(t, type), taskRuns(state), this.nowNs);
    const last = stream.size === 0 ? 0 : Math.floor((stream.size - 1) / max);
    const out: LogFile[] = [];
    for (let i = Math.max(0, last - keep + 1); i <= last; i++) {
      const start = i * max;
      out.push({ name: `${task}.${type}.${i}`, task, type, index: i, start, size: Math.min(stream.size, start + max) - start, stream });
    }
    return out;
  }

  private logNodes(): Node[] {
    const nodes: Node[] = [];
    for (const t of this.tasks) {
      for (const type of ['stderr', 'stdout'] as const) {
        for (const f of this.logFiles(t.Name, type)) {
          const mtime = f.size === 0 ? this.createdNs : f.stream.writtenAtNs(f.start + f.size - 1) || this.createdNs;
          nodes.push({ name: f.name, dir: false, size: f.size, mtimeNs: mtime, log: f });
        }
      }
    }
    return nodes;
  }

  private root(): Node {
    const shared = this.dir('alloc', () => [this.dir('data'), this.dir('logs', () => this.logNodes()), this.dir('tmp')]);
    const taskDirs = this.tasks.map((t) => this.dir(t.Name, () => [this.dir('local'), this.dir('secrets'), this.dir('tmp')]));
    return this.dir('', () => [shared, ...taskDirs]);
  }

  private children(n: Node): Node[] {
    return (n.children?.() ?? []).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Walks to `segs`; `op` names the failing call in the error (`stat`, `open`). */
  private walk(segs: readonly string[], op: string): Node {
    let node = this.root();
    for (const seg of segs) {
      if (!node.dir) throw new FsError(`${op} ${this.abs(segs)}: not a directory`);
      const next = this.children(node).find((c) => c.name === seg);
      if (!next) throw new FsError(`${op} ${this.abs(segs)}: no such file or directory`, true);
      node = next;
    }
    return node;
  }

  private info(n: Node, withType: boolean, rel: string): FileInfo {
    const base: FileInfo = {
      Name: n.name === '' ? String(this.alloc.ID) : n.name,
      IsDir: n.dir,
      Size: n.size,
      FileMode: n.dir ? DIR_MODE : FILE_MODE,
      // Whole microseconds: simulated instants carry float noise below that.
      ModTime: rfc3339(Math.round((n.mtimeNs || this.nowNs) / 1e3) * 1e3) ?? '0001-01-01T00:00:00Z',
    };
    if (!withType) return base;
    let type = OCTET;
    if (!n.dir && n.log && n.size > 0) type = detectContentType(n.log.stream.read(n.log.start, Math.min(512, n.size)));
    if (rel.endsWith('.json')) type = 'application/json';
    return { ...base, ContentType: type };
  }

  /** `AllocDir.List`: the entries of a directory, sorted by name. */
  list(path: string): FileInfo[] {
    const segs = cleanPath(path);
    if (!segs) throw new FsError(ESCAPES);
    const node = this.walk(segs, 'open');
    if (!node.dir) throw new FsError(`readdirent ${this.abs(segs)}: not a directory`);
    return this.children(node).map((c) => this.info(c, false, ''));
  }

  /** `AllocDir.Stat`. */
  stat(path: string): FileInfo {
    const segs = cleanPath(path);
    if (!segs) throw new FsError(ESCAPES);
    return this.info(this.walk(segs, 'stat'), true, this.abs(segs));
  }

  /** A file to read (callers stat first, so a directory here is an error of theirs). */
  open(path: string): OpenFile {
    const segs = cleanPath(path);
    if (!segs) throw new FsError(ESCAPES);
    const node = this.walk(segs, 'open');
    if (node.dir || !node.log) throw new FsError(`read ${this.abs(segs)}: is a directory`);
    const f = node.log;
    return {
      rel: segs.join('/'),
      abs: this.abs(segs),
      size: f.size,
      read: (from, len) => f.stream.read(f.start + from, Math.max(0, Math.min(len, f.size - from))),
      log: f,
    };
  }

  /** Whether the task is dead (its output will not grow again). */
  taskDead(task: string): boolean {
    return ((this.alloc.TaskStates as Obj | null)?.[task] as Obj | undefined)?.State === 'dead';
  }

  /** The task's state, as the client reports it (null when the task is unknown). */
  taskState(task: string): Obj | null {
    return ((this.alloc.TaskStates as Obj | null)?.[task] as Obj | undefined) ?? null;
  }

  /** When the task's output next grows, if it will without a new start. */
  nextWriteNs(): number | null {
    let next: number | null = null;
    for (const t of this.tasks) {
      const state = (this.alloc.TaskStates as Obj | null)?.[t.Name] as Obj | undefined;
      if (!state) continue;
      for (const type of ['stdout', 'stderr'] as const) {
        const n = new OutputStream(outputSpec(t, type), taskRuns(state), this.nowNs).nextWriteNs();
        if (n !== null && (next === null || n < next)) next = n;
      }
    }
    return next;
  }
}
