// What every figure group hands the runner: one row per figure, and the small statistics they share.

export interface Figure {
  /** What was measured, with its size (e.g. "GET /v1/job/:id, ratio to bare Fastify"). */
  figure: string;
  /** The measured value, formatted with its unit. */
  value: string;
  /** The same work on the yardstick in the same run, or "" when the target is absolute. */
  baseline: string;
  /** The target, e.g. ">= 0.85" or "<= 500 ms". */
  target: string;
  /** null: a figure shown for reading only (no target). */
  ok: boolean | null;
}

export interface Context {
  /** `--quick`: fewer rounds and smaller sizes, about a minute in all. */
  quick: boolean;
  /** `--scale f`: multiplies the big sizes (100,000 jobs, 10,000 readers…) to check the bench on a busy machine. */
  scale: number;
  /** A fresh TCP port for a server (below Linux's ephemeral range, so no client socket holds one). */
  port(): number;
}

export interface Group {
  name: string;
  /** Part of `--quick`. */
  quick: boolean;
  run(ctx: Context): Promise<Figure[]>;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export const fmt = (n: number, d = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : String(n));

/** A size from an env var, else the full or quick default, times `--scale`. */
export function size(ctx: Context, env: string, full: number, quick: number): number {
  const fromEnv = process.env[env];
  if (fromEnv !== undefined && fromEnv !== '') return Math.max(1, Math.round(Number(fromEnv)));
  return Math.max(1, Math.round((ctx.quick ? quick : full) * ctx.scale));
}

/** Rounds or seconds from an env var, else the full or quick default (not scaled). */
export function count(env: string, full: number, quick: number, ctx: Context): number {
  const fromEnv = process.env[env];
  return fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : ctx.quick ? quick : full;
}

/** Logs one progress line of a group (the table at the end repeats the figures). */
export function note(line: string): void {
  console.log(`  ${line}`);
}

export function printTable(rows: Figure[]): void {
  const head = ['figure', 'value', 'baseline', 'target', ''];
  const cells = rows.map((r) => [r.figure, r.value, r.baseline, r.target, r.ok === null ? '' : r.ok ? 'ok' : 'MISSED']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(line(c));
}
