// A light check of cron specs so register can reject what Nomad's cron parser rejects; the
// scheduling itself belongs to the periodic launcher.
const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);
const FIELD = /^(\*|\?|L|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;

/** null when the spec parses, else the parser's complaint. */
export function cronError(spec: string): string | null {
  const s = spec.trim();
  if (MACROS.has(s) || s.startsWith('@every ')) return null;
  const fields = s.split(/\s+/);
  if (fields.length < 5 || fields.length > 7) return `expected 5 to 7 fields, found ${fields.length}: ${s}`;
  for (const f of fields) if (!FIELD.test(f)) return `failed to parse field: ${f}`;
  return null;
}
