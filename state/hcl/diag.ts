// HCL diagnostics in the shape Go's hcl.Diagnostic.Error() prints them:
// `<file>:<line>,<col>-<col>: <summary>; <detail>` (a range over several lines prints
// `<file>:<l1>,<c1>-<l2>,<c2>`, a diagnostic without a subject prints `<nil>`).

/** The file name Nomad's `/v1/jobs/parse` handler gives the jobspec (and the variables file). */
export const FILENAME = 'input.hcl';

export interface Pos {
  /** 1-based line. */
  line: number;
  /** 1-based column (characters). */
  column: number;
  /** Offset into the source string. */
  offset: number;
}

export interface Range {
  filename: string;
  start: Pos;
  end: Pos;
}

export function rangeString(r: Range): string {
  if (r.start.line === r.end.line) return `${r.filename}:${r.start.line},${r.start.column}-${r.end.column}`;
  return `${r.filename}:${r.start.line},${r.start.column}-${r.end.line},${r.end.column}`;
}

export interface Diagnostic {
  summary: string;
  detail: string;
  subject?: Range | undefined;
  /** Warnings never fail a parse (e.g. an unknown name in the variables file). */
  warning?: boolean;
}

export function diagString(d: Diagnostic): string {
  return `${d.subject ? rangeString(d.subject) : '<nil>'}: ${d.summary}; ${d.detail}`;
}

/** A failed parse: one or more error diagnostics, joined with newlines like jobspec2.ParseWithConfig. */
export class HclError extends Error {
  constructor(readonly diags: Diagnostic[]) {
    super(diags.map(diagString).join('\n'));
    this.name = 'HclError';
  }
}

/** Throws when any diagnostic is an error. */
export function check(diags: Diagnostic[]): void {
  const errors = diags.filter((d) => !d.warning);
  if (errors.length > 0) throw new HclError(errors);
}

export function diag(summary: string, detail: string, subject?: Range): Diagnostic {
  return { summary, detail, subject };
}

/** Levenshtein distance, for HCL's "Did you mean …?" suggestions (distance < 3). */
export function nameSuggestion(given: string, options: readonly string[]): string {
  let best = '';
  let bestDist = 3;
  for (const o of options) {
    const d = levenshtein(given, o);
    if (d < bestDist) {
      best = o;
      bestDist = d;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagPrev = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diagPrev + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagPrev = tmp;
    }
  }
  return prev[b.length]!;
}

/** Runs `f`; an HclError's diagnostics are collected into `into` instead of thrown. */
export function collecting<T>(into: Diagnostic[], f: () => T): T | undefined {
  try {
    return f();
  } catch (err) {
    if (err instanceof HclError) {
      into.push(...err.diags);
      return undefined;
    }
    throw err;
  }
}
