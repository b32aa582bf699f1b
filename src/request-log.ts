// One log line per answered request: method, path (never the query: it may carry a token), status
// and duration; a 5xx is logged at error with the text it answered.
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { logsAt } from './log-tap.js';

/** The text of an error answer, bounded (a body may be large). */
export function errorTextOf(payload: unknown): string | undefined {
  if (typeof payload === 'string') return payload.slice(0, 500).trim();
  if (Buffer.isBuffer(payload)) return payload.subarray(0, 500).toString('utf8').trim();
  return undefined;
}

export function logRequest(log: FastifyBaseLogger, req: FastifyRequest, status: number, ms: number | undefined, errorText?: string): void {
  const level = status >= 500 ? 'error' : 'info';
  if (!logsAt(log as FastifyBaseLogger & { levelVal?: unknown }, level)) return;
  const url = req.raw.url ?? req.url;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const took = ms === undefined ? '' : ` ${ms < 10 ? ms.toFixed(2) : Math.round(ms)}ms`;
  const fields = { method: req.method, path, status, ms: ms === undefined ? undefined : Math.round(ms * 1000) / 1000 };
  if (level === 'error') log.error({ ...fields, error: errorText }, `${req.method} ${path} ${status}${took}${errorText ? `: ${errorText}` : ''}`);
  else log.info(fields, `${req.method} ${path} ${status}${took}`);
}

type LogArgs = Parameters<FastifyBaseLogger['info']>;
type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;

/**
 * A request's logger (`req.log`), made only when something logs through it. Fastify gives every
 * request a pino child carrying its reqId, and building one (formatters, bindings text) is a good
 * part of a plain read's cost; almost no request ever logs through it (the request line is written
 * by the server's own logger). The child made on first use is the one Fastify would have made: a
 * pino child takes its level from its parent at the time it logs either way.
 */
class RequestLogger {
  #real: FastifyBaseLogger | null = null;

  constructor(
    private readonly parent: FastifyBaseLogger,
    // Fastify's `{ reqId }` is kept as its id alone, one object fewer per parked request.
    private readonly bindingsGiven: Bindings | string,
    // Fastify passes a fresh `{}` to almost every request; a parked request need not keep it.
    private readonly opts: ChildLoggerOptions | undefined,
  ) {}

  private get real(): FastifyBaseLogger {
    return (this.#real ??= pinoChild!.call(this.parent, typeof this.bindingsGiven === 'string' ? { reqId: this.bindingsGiven } : this.bindingsGiven, this.opts ?? {}));
  }

  get level(): string {
    return (this.#real ?? this.parent).level;
  }

  set level(level: string) {
    this.real.level = level;
  }

  get msgPrefix(): string | undefined {
    return (this.real as unknown as { msgPrefix?: string }).msgPrefix;
  }

  fatal(...args: LogArgs): void {
    this.real.fatal(...args);
  }

  error(...args: LogArgs): void {
    this.real.error(...args);
  }

  warn(...args: LogArgs): void {
    this.real.warn(...args);
  }

  info(...args: LogArgs): void {
    this.real.info(...args);
  }

  debug(...args: LogArgs): void {
    this.real.debug(...args);
  }

  trace(...args: LogArgs): void {
    this.real.trace(...args);
  }

  silent(...args: LogArgs): void {
    this.real.silent(...args);
  }

  child(bindings: Bindings, opts?: ChildLoggerOptions): FastifyBaseLogger {
    return this.real.child(bindings, opts);
  }

  isLevelEnabled(level: string): boolean {
    return (this.real as unknown as { isLevelEnabled(l: string): boolean }).isLevelEnabled(level);
  }

  bindings(): Bindings {
    return (this.real as unknown as { bindings(): Bindings }).bindings();
  }

  setBindings(bindings: Bindings): void {
    (this.real as unknown as { setBindings(b: Bindings): void }).setBindings(bindings);
  }

  flush(cb?: (err?: Error) => void): void {
    (this.real as unknown as { flush(cb?: (err?: Error) => void): void }).flush(cb);
  }
}

function someOption(opts: ChildLoggerOptions | undefined): boolean {
  for (const _ in opts) return true;
  return false;
}

/** pino's own `child` (one method of its prototype, whichever logger); the root's is replaced by `lazy`. */
let pinoChild: FastifyBaseLogger['child'] | undefined;

const lazy = function (this: FastifyBaseLogger, bindings: Bindings, opts?: ChildLoggerOptions): FastifyBaseLogger {
  let keys = 0;
  for (const _ in bindings) keys++;
  const id = keys === 1 ? (bindings as { reqId?: unknown }).reqId : undefined;
  return new RequestLogger(this, typeof id === 'string' ? id : bindings, someOption(opts) ? opts : undefined) as unknown as FastifyBaseLogger;
};

/**
 * Makes `log.child` (and its children's, which inherit it) return the lazy RequestLogger, the
 * child made when first used. This is what the server does instead of a `childLoggerFactory`:
 * Fastify checks every logger a factory of the server's own returns, on every request (seven
 * method names looked up on it through a filter), but not the children its default factory asks
 * `log.child` for. The children are the same either way.
 */
export function lazyChildren(log: FastifyBaseLogger): void {
  if (log.child === lazy) return;
  pinoChild = log.child;
  log.child = lazy as FastifyBaseLogger['child'];
}
