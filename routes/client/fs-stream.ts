// The streaming half of /v1/client/fs (client/fs_endpoint.go `stream`, `logs`, `streamFile`,
// `logsImpl`, and client/lib/streamframer): file bytes in frames of at most 64 KiB,
// `{"Offset":<end of the bytes read>,"Data":<base64>,"File":<path>}` written back to back, `{}`
// heartbeats every second, or the raw bytes with plain text. With follow, new output is delivered
// as simulated time passes (a clock timer at the task's next write, and every committed write of the
// allocations table); the stream ends once the task is dead and all is sent, when the file goes
// away (a `file deleted` frame), on reset or restore, at server close and when the client hangs up.
import type { ServerResponse } from 'node:http';
import type { App, RouteContext } from '../http/context.js';
import type { TimerHandle } from '../../src/clock.js';
import { AllocDir, type LogFile, type OpenFile } from '../../state/allocdir/tree.js';
import type { Obj } from '../../state/types.js';
import { goJson } from '../http/go-json.js';

/** Knobs; tests may shorten the heartbeat. */
export const FS_STREAM = {
  /** streamHeartbeatRate (wall time). */
  heartbeatMs: 1000,
  /** streamFrameSize. */
  frameBytes: 64 * 1024,
  /** Bytes a stream may leave queued in its socket before it waits for the socket to take them. */
  queuedBytes: 256 * 1024,
};

/** What a source has for the stream now. */
export type Pull =
  | { kind: 'data'; file: string; data: Buffer; offset: number }
  | { kind: 'event'; file: string; event: string; offset: number }
  | { kind: 'wait' }
  | { kind: 'end' };

/** Where a stream's bytes come from; `dir` is the allocation directory now (null: the allocation is gone). */
export interface Source {
  pull(dir: AllocDir | null, max: number): Pull;
}

/** `stream`, `cat`, `readat`: one file, from an offset, up to a limit; with follow, as it grows. */
export class FileSource implements Source {
  private remaining: number;
  private done = false;

  constructor(
    /** The path as the request gave it (frames carry it as given). */
    private readonly path: string,
    private readonly file: OpenFile,
    private pos: number,
    limit: number,
    private readonly follow: boolean,
  ) {
    this.remaining = limit > 0 ? limit : Infinity;
  }

  pull(dir: AllocDir | null, max: number): Pull {
    if (this.done || this.remaining <= 0) return { kind: 'end' };
    let file: OpenFile | null = this.file;
    // Without follow the bytes present at the start are read; they never change once written.
    const end = this.follow ? null : this.file.size;
    if (this.follow) {
      try {
        file = dir ? dir.open(this.file.rel) : null;
      } catch {
        file = null;
      }
      if (!file) {
        this.done = true;
        return { kind: 'event', file: this.path, event: 'file deleted', offset: this.pos };
      }
    }
    const size = end ?? file.size;
    if (this.pos < size) {
      const data = file.read(this.pos, Math.min(max, size - this.pos, this.remaining));
      this.pos += data.length;
      this.remaining -= data.length;
      return { kind: 'data', file: this.path, data, offset: this.pos };
    }
    if (!this.follow || !dir || dir.taskDead(file.log.task)) return { kind: 'end' };
    return { kind: 'wait' };
  }
}

/** logsImpl's findClosest: the file and offset to start from (offset < 0 counts back from the end). */
export function findClosest(files: readonly LogFile[], desiredIdx: number, desiredOffset: number): { file: LogFile; offset: number } {
  let i = files.findIndex((f) => f.index >= desiredIdx);
  if (i < 0) i = files.length - 1;
  let offset = desiredOffset;
  for (;;) {
    const s = files[i]!.size;
    if (offset === 0) break;
    if (offset < 0) {
      const next = s + offset;
      if (next >= 0) {
        offset = next;
        break;
      }
      if (i === 0) {
        offset = 0;
        break;
      }
      offset = next;
      i--;
    } else {
      if (offset <= s) break;
      if (i === files.length - 1) {
        offset = s;
        break;
      }
      offset -= s;
      i++;
    }
  }
  return { file: files[i]!, offset };
}

/** `logs`: a task's stdout or stderr across its rotated files, from where findClosest put it. */
export class LogSource implements Source {
  private index: number;
  private pos: number;
  /** Without follow: the files as they were at the start (their bytes never change). */
  private readonly fixed: readonly LogFile[] | null;

  constructor(
    private readonly task: string,
    private readonly type: 'stdout' | 'stderr',
    files: readonly LogFile[],
    start: { file: LogFile; offset: number },
    private readonly follow: boolean,
  ) {
    this.index = start.file.index;
    this.pos = start.offset;
    this.fixed = follow ? null : files;
  }

  pull(dir: AllocDir | null, max: number): Pull {
    const files = this.fixed ?? (dir ? dir.logFiles(this.task, this.type) : []);
    for (;;) {
      // A file rotated out from under the reader: go on with the next one there is.
      const cur = files.find((f) => f.index === this.index) ?? files.find((f) => f.index > this.index);
      if (!cur) return { kind: 'end' };
      if (cur.index !== this.index) {
        this.index = cur.index;
        this.pos = 0;
      }
      if (this.pos < cur.size) {
        const data = cur.stream.read(cur.start + this.pos, Math.min(max, cur.size - this.pos));
        this.pos += data.length;
        return { kind: 'data', file: `alloc/logs/${cur.name}`, data, offset: this.pos };
      }
      const next = files.find((f) => f.index > this.index);
      if (next) {
        this.index = next.index;
        this.pos = 0;
        continue;
      }
      if (!this.follow || !dir || dir.taskDead(this.task)) return { kind: 'end' };
      return { kind: 'wait' };
    }
  }
}

interface Registry {
  open: Set<() => void>;
}

const registries = new WeakMap<App, Registry>();

/** Streams open on `app` (tests prove a hang-up leaves none behind). */
export function openFsStreams(app: App): number {
  return registries.get(app)?.open.size ?? 0;
}

/** Ends every open stream at server close and whenever the state is replaced (reset, restore). */
export function fsStreamLifecycle(app: App, ctx: RouteContext): void {
  const reg: Registry = { open: new Set() };
  registries.set(app, reg);
  const endAll = (): void => {
    for (const end of [...reg.open]) end();
  };
  const offReplace = ctx.store.onReplace(endAll);
  app.addHook('preClose', async () => endAll());
  app.addHook('onClose', async () => {
    endAll();
    offReplace();
  });
}

export interface StreamOptions {
  allocId: string;
  plain: boolean;
  /** Sends `{}` heartbeats (framed streams only). */
  heartbeats: boolean;
  contentType: string | null;
}

const HEARTBEAT = Buffer.from('{}');

const encodeFrame = (p: Exclude<Pull, { kind: 'wait' } | { kind: 'end' }>): string => {
  const f: Obj = {};
  if (p.offset !== 0) f.Offset = p.offset;
  if (p.kind === 'data' && p.data.length > 0) f.Data = p.data.toString('base64');
  if (p.file !== '') f.File = p.file;
  if (p.kind === 'event') f.FileEvent = p.event;
  return goJson(f);
};

/** Answers 200 and pumps `source` into the response until it ends or the client leaves. */
export function runStream(app: App, ctx: RouteContext, res: ServerResponse, source: Source, opts: StreamOptions): void {
  const reg = registries.get(app)!;
  res.on('error', () => {});
  const head: Record<string, string> = { Vary: 'Accept-Encoding' };
  if (opts.contentType) head['Content-Type'] = opts.contentType;
  res.writeHead(200, head);
  res.flushHeaders();

  let closed = false;
  let draining = false;
  let timer: TimerHandle | null = null;
  let timerAt: number | null = null;

  /** Bytes written and not yet taken by the socket: over the budget, reading waits for them. */
  let queued = 0;
  const send = (bytes: Buffer): void => {
    queued += bytes.length;
    res.write(bytes, () => {
      queued -= bytes.length;
      if (draining && queued < FS_STREAM.queuedBytes / 2) {
        draining = false;
        pump();
      }
    });
  };

  const view = (): AllocDir | null => {
    const alloc = ctx.store.allocs.get(opts.allocId);
    return alloc ? new AllocDir(ctx.sim ? ctx.sim.client.view(alloc) : alloc, ctx.store.nowNs()) : null;
  };

  const finish = (): void => {
    if (closed) return;
    closed = true;
    reg.open.delete(finish);
    offCommit();
    timer?.cancel();
    timer = null;
    if (heartbeat) clearInterval(heartbeat);
    if (!res.destroyed && !res.writableEnded) res.end();
  };

  /** Wakes the stream at the next simulated instant its output grows. */
  const arm = (dir: AllocDir | null): void => {
    const at = dir?.nextWriteNs() ?? null;
    if (at === timerAt) return;
    timer?.cancel();
    timer = null;
    timerAt = at;
    if (at === null) return;
    // At least a simulated millisecond apart: a nanosecond repeat must not wake the stream every turn.
    // At the write's own instant, after whatever else happens then: a task that exits at that instant
    // has not written the line (output.ts), and the stream must not have sent it before the exit.
    timer = ctx.clock.atNs(Math.max(at, ctx.store.nowNs() + 1e6), () => {
      timer = null;
      timerAt = null;
      pump();
    }, 'fs stream');
  };

  function pump(): void {
    ctx.clock.guard.run('fs stream', pumpNow);
  }

  function pumpNow(): void {
    if (closed || res.destroyed) return;
    const dir = view();
    while (!closed) {
      if (queued >= FS_STREAM.queuedBytes) {
        draining = true;
        return;
      }
      const p = source.pull(dir, FS_STREAM.frameBytes);
      if (p.kind === 'end') return finish();
      if (p.kind === 'wait') return arm(dir);
      if (opts.plain) {
        if (p.kind === 'data' && p.data.length > 0) send(p.data);
      } else send(Buffer.from(encodeFrame(p)));
    }
  }

  const offCommit = ctx.store.onCommit((_index, touched) => {
    if (touched.has('allocs')) pump();
  });
  const heartbeat = opts.heartbeats && !opts.plain
    ? setInterval(() => {
        if (!closed && queued < FS_STREAM.queuedBytes) send(HEARTBEAT);
      }, FS_STREAM.heartbeatMs)
    : null;
  heartbeat?.unref();
  reg.open.add(finish);
  res.on('close', finish);
  pump();
}
