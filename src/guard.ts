// The simulator's safety net. Everything the mock does on its own, outside a request (clock timers,
// scheduler passes, watcher batches, periodic launches, persistence saves, reactions to committed
// writes), runs inside `run`: a bug there is logged with its stack and counted instead of killing
// the process or leaking into whichever HTTP answer happened to trigger it. The count and the last
// error are on `GET /_mock/health`, and the test helpers fail any test that leaves the count above 0.
// An exception no route anticipated while answering a request is recorded here too: the client gets
// a generic 500, and the count says the mock has a bug.

export interface GuardLogger {
  error(obj: object, msg: string): void;
}

export interface GuardError {
  Source: string;
  Message: string;
  /** Wall-clock time of the failure, RFC 3339. */
  Time: string;
}

export class Guard {
  count = 0;
  last: GuardError | null = null;

  /** Replaced by the server's own logger (Fastify's app.log) once it exists. */
  constructor(public logger: GuardLogger | null = null) {}

  /** Runs `fn`; an exception (or a rejected promise it returns) is logged and counted, never thrown. */
  run<T>(source: string, fn: () => T): T | undefined {
    try {
      const out = fn();
      if (out instanceof Promise) out.catch((err: unknown) => this.caught(source, err));
      return out;
    } catch (err) {
      this.caught(source, err);
      return undefined;
    }
  }

  reset(): void {
    this.count = 0;
    this.last = null;
  }

  /** Counts and logs an exception caught elsewhere (the server's error handler). */
  caught(source: string, err: unknown): void {
    this.count++;
    const message = err instanceof Error ? err.message : String(err);
    this.last = { Source: source, Message: message, Time: new Date().toISOString() };
    try {
      this.logger?.error({ err, source }, `exception caught in ${source}: ${message}`);
    } catch {
      // A logger that throws must not undo the guard.
    }
  }
}
