// The agent's in-memory telemetry sink (go-metrics InmemSink, as Nomad configures it: 10 s
// intervals kept for one minute) for what nomad-mock measures itself: HTTP request timings per
// route and the simulated scheduler's timings. Process-level, like Nomad's: a state restore or
// reset does not clear it. Label sets are bounded by route patterns and scheduler types.
import type { Store } from '../state/store.js';

export const INTERVAL_MS = 10_000;
export const RETAIN_MS = 60_000;

export interface Aggregate {
  Count: number;
  Rate: number;
  Sum: number;
  SumSq: number;
  Min: number;
  Max: number;
}

export interface Series {
  name: string;
  labels: Record<string, string>;
  agg: Aggregate;
  /** Retained values, for the Prometheus summary's quantiles. */
  values: number[];
}

interface Interval {
  start: number;
  counters: Map<string, Series>;
  samples: Map<string, Series>;
}

/** Lifetime totals, for Prometheus counters and summaries (which never reset). */
interface Total {
  name: string;
  labels: Record<string, string>;
  count: number;
  sum: number;
}

const MAX_VALUES = 1024;

/** Adds one value to an interval's series (go-metrics AggregateSample.Ingest). */
function fold(s: Series, value: number): void {
  const a = s.agg;
  a.Count++;
  a.Sum += value;
  a.SumSq += value * value;
  a.Min = Math.min(a.Min, value);
  a.Max = Math.max(a.Max, value);
  a.Rate = a.Sum / (INTERVAL_MS / 1000);
  if (s.values.length < MAX_VALUES) s.values.push(value);
}

/** Shared by every unlabeled series; never written to. */
const NO_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class MetricsSink {
  private intervals: Interval[] = [];
  readonly counterTotals = new Map<string, Total>();
  readonly sampleTotals = new Map<string, Total>();

  constructor(private readonly now: () => number = Date.now) {}

  private current(t = this.now()): Interval {
    const start = t - (t % INTERVAL_MS);
    const last = this.intervals[this.intervals.length - 1];
    if (last && last.start === start) return last;
    const iv: Interval = { start, counters: new Map(), samples: new Map() };
    this.intervals.push(iv);
    const keep = RETAIN_MS / INTERVAL_MS;
    if (this.intervals.length > keep) this.intervals.splice(0, this.intervals.length - keep);
    return iv;
  }

  /** Keys of unlabeled series by name (request timings): no key text built per sample. */
  private readonly plainKeys = new Map<string, string>();

  private add(kind: 'counters' | 'samples', name: string, labels: Record<string, string> | undefined, value: number): void {
    let key: string;
    if (labels === undefined) {
      let k = this.plainKeys.get(name);
      if (k === undefined) this.plainKeys.set(name, (k = seriesKey(name, NO_LABELS)));
      key = k;
      labels = NO_LABELS;
    } else key = seriesKey(name, labels);
    const iv = this.current()[kind];
    let s = iv.get(key);
    if (!s) iv.set(key, (s = { name, labels, agg: { Count: 0, Rate: 0, Sum: 0, SumSq: 0, Min: value, Max: value }, values: [] }));
    fold(s, value);
    const totals = kind === 'counters' ? this.counterTotals : this.sampleTotals;
    let tot = totals.get(key);
    if (!tot) totals.set(key, (tot = { name, labels, count: 0, sum: 0 }));
    tot.count++;
    tot.sum += value;
  }

  /** Per request timing name: its key, totals and the series it wrote last, with that series' interval. */
  private readonly requestSeries = new Map<string, { key: string; total: Total; iv: Interval | null; series: Series | null }>();

  /**
   * `sample(name, ms)` for an unlabeled timing taken at `at` (the caller's clock reading, shared
   * with the journal): every request records one, so its series and totals are found once per
   * interval rather than looked up by key each time. The same figures as `sample`.
   */
  sampleRequest(name: string, ms: number, at: number): void {
    let h = this.requestSeries.get(name);
    if (h === undefined) {
      const key = seriesKey(name, NO_LABELS);
      let total = this.sampleTotals.get(key);
      // Created where `add` creates it: the totals' order (the Prometheus listing's) is the same.
      if (total === undefined) total = { name, labels: NO_LABELS, count: 0, sum: 0 };
      this.requestSeries.set(name, (h = { key, total, iv: null, series: null }));
    }
    const iv = this.current(at);
    let s: Series | null | undefined = h.series;
    if (h.iv !== iv || s === null) {
      s = iv.samples.get(h.key);
      if (!s) iv.samples.set(h.key, (s = { name, labels: NO_LABELS, agg: { Count: 0, Rate: 0, Sum: 0, SumSq: 0, Min: ms, Max: ms }, values: [] }));
      h.iv = iv;
      h.series = s;
    }
    fold(s, ms);
    const tot = h.total;
    if (tot.count === 0 && !this.sampleTotals.has(h.key)) this.sampleTotals.set(h.key, tot);
    tot.count++;
    tot.sum += ms;
  }

  incr(name: string, value = 1, labels?: Record<string, string>): void {
    this.add('counters', name, labels, value);
  }

  /** A timing in milliseconds (MeasureSince). */
  sample(name: string, ms: number, labels?: Record<string, string>): void {
    this.add('samples', name, labels, ms);
  }

  /** DisplayMetrics' interval: the last finished one when there is one, else the current. */
  shown(): Interval {
    this.current();
    const n = this.intervals.length;
    return n === 1 ? this.intervals[0]! : this.intervals[n - 2]!;
  }

  /** All values of a series over the retained intervals (Prometheus quantiles). */
  retained(kind: 'counters' | 'samples', key: string): number[] {
    const out: number[] = [];
    for (const iv of this.intervals) out.push(...(iv[kind].get(key)?.values ?? []));
    return out;
  }
}

export function seriesKey(name: string, labels: Record<string, string>): string {
  // Request timings carry no labels: their key needs no sorting.
  for (const _ in labels) return labeledKey(name, labels);
  return `${name}\u0000`;
}

function labeledKey(name: string, labels: Record<string, string>): string {
  return `${name}\u0000${Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`).join('\u0000')}`;
}

const sinks = new WeakMap<Store, MetricsSink>();

/** The sink of the agent serving `store` (one per server). */
export function metricsFor(store: Store): MetricsSink {
  let s = sinks.get(store);
  if (!s) sinks.set(store, (s = new MetricsSink()));
  return s;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH']);

/**
 * The name of a request's timing: `nomad.http.<METHOD>.<route parts>` with the route's pattern
 * (never the raw path, so names stay bounded), `*` written `_`; unmatched paths share one name.
 */
export function httpMetricName(method: string, routeUrl: string | undefined): string {
  // Bounded like the names themselves: one per method and route pattern.
  const byRoute = metricNames.get(method);
  const hit = byRoute?.get(routeUrl);
  if (hit !== undefined) return hit;
  const name = metricName(method, routeUrl);
  if (METHODS.has(method)) {
    if (byRoute) byRoute.set(routeUrl, name);
    else metricNames.set(method, new Map([[routeUrl, name]]));
  }
  return name;
}

const metricNames = new Map<string, Map<string | undefined, string>>();

function metricName(method: string, routeUrl: string | undefined): string {
  const m = METHODS.has(method) ? method : 'OTHER';
  if (!routeUrl) return `nomad.http.${m}.unmatched`;
  const parts = routeUrl.split('/').filter((p) => p !== '').map((p) => (p === '*' ? '_' : p.replace(/[^A-Za-z0-9_-]/g, '_')));
  return `nomad.http.${m}.${parts.join('.')}`;
}
