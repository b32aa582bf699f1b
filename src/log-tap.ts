// nomad-mock's own log lines, for /v1/agent/monitor: Fastify's pino logger writes every line to this
// tap, which prints those at the configured level and hands each line to the monitors that want it.
// The logger only produces lines below the configured level while a monitor asks for them.

/** pino's numeric levels by name; `off` (hclog) and `silent` (pino) produce nothing. */
export const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, off: Infinity, silent: Infinity };

/** Whether a logger at level `current` writes lines of `level`. */
export function levelEnabled(current: string, level: string): boolean {
  return (LEVELS[current] ?? Infinity) <= (LEVELS[level] ?? Infinity);
}

/**
 * Whether `log` writes lines of `level`. pino's numeric level is a plain read; its `level` getter
 * looks the name up on every call, and the callers ask on every request or store write.
 */
export function logsAt(log: { readonly level: string; readonly levelVal?: unknown }, level: string): boolean {
  const value = log.levelVal;
  return typeof value === 'number' ? value <= LEVELS[level]! : levelEnabled(log.level, level);
}

/** One pino line, parsed. */
export interface LogRecord {
  level: number;
  time: number;
  msg: string;
  [key: string]: unknown;
}

export type LogSubscriber = (rec: LogRecord) => void;

interface LevelledLogger {
  level: string;
}

export class LogTap {
  private readonly subs = new Map<LogSubscriber, number>();
  private readonly baseLevel: number;
  /** The logger whose level follows the monitors (Fastify's app.log), once it exists. */
  logger: LevelledLogger | null = null;

  constructor(
    private readonly configured: string,
    private readonly print: (line: string) => void = (line) => void process.stdout.write(line),
  ) {
    this.baseLevel = LEVELS[configured] ?? LEVELS.info!;
  }

  /** The destination stream pino writes to. */
  readonly stream = {
    write: (line: string): void => {
      const rec = parse(line);
      if ((rec?.level ?? this.baseLevel) >= this.baseLevel) this.print(line);
      if (!rec) return;
      for (const [fn, min] of this.subs) if (rec.level >= min) fn(rec);
    },
  };

  /** Streams lines at `level` or above to `fn` until the returned function is called. */
  subscribe(level: number, fn: LogSubscriber): () => void {
    this.subs.set(fn, level);
    this.relevel();
    return () => {
      this.subs.delete(fn);
      this.relevel();
    };
  }

  private relevel(): void {
    let min = this.baseLevel;
    for (const l of this.subs.values()) if (l < min) min = l;
    const name = PINO_NAMES.find(([, n]) => n === min)?.[0] ?? 'silent';
    try {
      if (this.logger && this.logger.level !== name) this.logger.level = name;
    } catch {
      // A logger refusing the level keeps its own: monitors then hear less, nothing breaks.
    }
  }
}

/** The level names pino itself knows, lowest first. */
const PINO_NAMES: [string, number][] = [['trace', 10], ['debug', 20], ['info', 30], ['warn', 40], ['error', 50], ['fatal', 60]];

function parse(line: string): LogRecord | null {
  try {
    const v = JSON.parse(line) as LogRecord;
    return typeof v === 'object' && v !== null && typeof v.level === 'number' ? v : null;
  } catch {
    return null;
  }
}
