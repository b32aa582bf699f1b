// `filter=` on list endpoints: go-bexpr compiled once per request, errors wrapped the way Nomad's
// paginator wraps them (400 on /v1/jobs).
import { compileFilter } from '../../state/filter/index.js';
import { HttpError } from './errors.js';

/** Fields of a Job whose values are string-keyed maps rather than structs. */
export const JOB_MAP_FIELDS = new Set(['Meta', 'Env', 'Config', 'Summary', 'Variables', 'ExtraClaims', 'Tags']);

export const compileJobFilter = (expr: string): ((obj: object) => boolean) | undefined =>
  compileListFilter(expr, JOB_MAP_FIELDS);

export function compileListFilter(expr: string, mapFields: Set<string>): ((obj: object) => boolean) | undefined {
  if (expr === '') return undefined;
  let compiled: ReturnType<typeof compileFilter>;
  try {
    compiled = compileFilter(expr, { mapFields });
  } catch (err) {
    throw new HttpError(400, `failed to create result paginator: failed to read filter expression: ${(err as Error).message}`);
  }
  return (obj) => {
    try {
      return compiled.matches(obj);
    } catch (err) {
      throw new HttpError(400, `failed to read result page: ${(err as Error).message}`);
    }
  };
}
