// Nomad's read-side query parser (`parse` in command/agent/http.go): the same parameters, defaults,
// order of checks and 400 texts.
import { HttpError } from './errors.js';
import { parseGoBool, parseGoDuration, parseGoInt, parseGoUint } from '../../state/godur.js';

export type Query = Record<string, string | undefined>;

export interface QueryOptions {
  region: string;
  stale: boolean;
  prefix: string;
  namespace: string;
  perPage: number;
  nextToken: string;
  filter: string;
  reverse: boolean;
  /** Requested block time in ms; 0 when absent. */
  waitMs: number;
  minIndex: number;
}

export function parseQueryOptions(q: Query, defaultRegion: string): QueryOptions {
  const opts: QueryOptions = {
    region: q.region || defaultRegion,
    stale: false,
    prefix: q.prefix ?? '',
    namespace: q.namespace || 'default',
    perPage: 0,
    nextToken: q.next_token ?? '',
    filter: q.filter ?? '',
    reverse: q.reverse === 'true',
    waitMs: 0,
    minIndex: 0,
  };
  if (q.stale !== undefined) {
    const v = q.stale === '' ? true : parseGoBool(q.stale);
    if (v === null) throw new HttpError(400, 'Expect `true` or `false` for `stale` query string parameter');
    opts.stale = v;
  }
  if (q.per_page !== undefined && q.per_page !== '') {
    const n = parseGoInt(q.per_page, 32);
    if (n === null) throw new HttpError(400, 'Expect a number for `per_page` query string parameter');
    opts.perPage = n;
  }
  if (q.wait !== undefined && q.wait !== '') {
    const ns = parseGoDuration(q.wait);
    if (ns === null) throw new HttpError(400, 'Invalid wait time');
    opts.waitMs = ns / 1e6;
  }
  if (q.index !== undefined && q.index !== '') {
    const n = parseGoUint(q.index);
    if (n === null) throw new HttpError(400, 'Invalid index');
    opts.minIndex = n;
  }
  return opts;
}

/** Write-side namespace/region (`parseWriteRequest`): query wins, then body, then defaults. */
export function writeNamespace(q: Query, bodyValue?: string): string {
  return q.namespace || bodyValue || 'default';
}

/**
 * Route-specific bool params whose bad values Nomad reports as a 500 (`Failed to parse value of …`).
 * `afterQuote` reproduces the stray character Nomad prints after one parameter's name.
 */
export function parseBoolParam(q: Query, name: string, afterQuote = ''): boolean {
  const raw = q[name];
  if (raw === undefined || raw === '') return false;
  const v = parseGoBool(raw);
  if (v === null) {
    throw new HttpError(
      500,
      `Failed to parse value of "${name}"${afterQuote} (${raw}) as a bool: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`,
    );
  }
  return v;
}
