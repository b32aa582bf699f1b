// go-multierror's default formatting (http-semantics §5.4) and Nomad's warnings text (§5.6).

/** A validation error: a message, or a nested list under a prefix (task group / task errors). */
export type VError = string | { prefix: string; errors: VError[] };

export function formatItem(e: VError): string {
  return typeof e === 'string' ? e : `${e.prefix}${formatMultiError(e.errors)}`;
}

export function formatMultiError(errors: VError[]): string {
  if (errors.length === 1) return `1 error occurred:\n\t* ${formatItem(errors[0]!)}\n\n`;
  const points = errors.map((e) => `\t* ${formatItem(e)}`);
  return `${errors.length} errors occurred:\n${points.join('\n')}\n\n`;
}

export function formatWarnings(warnings: string[]): string {
  if (warnings.length === 0) return '';
  const head = warnings.length === 1 ? '1 warning:' : `${warnings.length} warnings:`;
  return `${head}\n\n${warnings.map((w) => `* ${w.trim()}`).join('\n')}`;
}
