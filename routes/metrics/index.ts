// `/v1/metrics` (command/agent/metrics_endpoint.go): the in-memory sink's summary as go-metrics
// DisplayMetrics renders it, or `?format=prometheus` in the text exposition format (a dev agent
// enables Prometheus metrics). Gauges come from the state at the time of the request.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { invalidMethod } from '../http/errors.js';
import { sendJson } from '../http/reply.js';
import { ErrorText } from '../http/schemas.js';
import { metricsFor, seriesKey, type MetricsSink, type Series } from '../../src/metrics.js';
import { stateGauges, type Gauge } from '../../state/metrics/gauges.js';

const schema = {
  querystring: Type.Object({ format: Type.Optional(Type.String()), pretty: Type.Optional(Type.String()) }, { additionalProperties: true }),
  response: { 200: Type.Unknown(), '4xx': ErrorText, '5xx': ErrorText },
};

const byNameThenLabels = (a: { Name: string; Labels: Record<string, string> }, b: { Name: string; Labels: Record<string, string> }): number => {
  const ka = seriesKey(a.Name, a.Labels);
  const kb = seriesKey(b.Name, b.Labels);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
};

/** Go's time.Time.String() of a UTC instant, as DisplayMetrics stamps the interval. */
function goUtc(ms: number): string {
  const d = new Date(Math.round(ms / 1000) * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

/** Go encodes a map with its keys sorted. */
function sortedLabels(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of Object.keys(labels).sort()) out[k] = labels[k]!;
  return out;
}

/** SampledValue: the aggregate with Mean and Stddev as go-metrics computes them. */
function sampled(s: Series): object {
  const a = s.agg;
  const div = a.Count * (a.Count - 1);
  const stddev = div === 0 ? 0 : Math.sqrt(Math.max(0, (a.Count * a.SumSq - a.Sum * a.Sum) / div));
  return { Name: s.name, Count: a.Count, Rate: a.Rate, Sum: a.Sum, Min: a.Min, Max: a.Max, Mean: a.Count === 0 ? 0 : a.Sum / a.Count, Stddev: stddev, Labels: sortedLabels(s.labels) };
}

function summary(sink: MetricsSink, gauges: Gauge[]): object {
  const iv = sink.shown();
  const list = (m: Map<string, Series>): object[] =>
    [...m.values()].map((s) => ({ s, Name: s.name, Labels: s.labels })).sort(byNameThenLabels).map((x) => sampled(x.s));
  return {
    Timestamp: goUtc(iv.start),
    Gauges: [...gauges].sort(byNameThenLabels).map((g) => ({ Name: g.Name, Value: g.Value, Labels: sortedLabels(g.Labels) })),
    Points: [],
    Counters: list(iv.counters),
    Samples: list(iv.samples),
  };
}

const promName = (name: string): string => name.replace(/[^a-zA-Z0-9_:]/g, '_');
const promEscape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
function promLabels(labels: Record<string, string>, extra: [string, string][] = []): string {
  const pairs: [string, string][] = [...Object.entries(labels).map(([k, v]) => [promName(k), v] as [string, string]), ...extra].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${promEscape(v)}"`).join(',')}}`;
}
const promNum = (n: number): string => (Number.isNaN(n) ? 'NaN' : Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : '-Inf');

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** The text exposition format: families sorted by name, one HELP and TYPE line each. */
function prometheus(sink: MetricsSink, gauges: Gauge[]): string {
  const families = new Map<string, { type: string; lines: string[] }>();
  const family = (name: string, type: string): string[] => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { type, lines: [] }));
    return f.lines;
  };
  for (const g of gauges) family(promName(g.Name), 'gauge').push(`${promName(g.Name)}${promLabels(g.Labels)} ${promNum(g.Value)}`);
  for (const [, t] of sink.counterTotals) family(promName(t.name), 'counter').push(`${promName(t.name)}${promLabels(t.labels)} ${promNum(t.sum)}`);
  for (const [key, t] of sink.sampleTotals) {
    const n = promName(t.name);
    const values = sink.retained('samples', key).sort((a, b) => a - b);
    const lines = family(n, 'summary');
    for (const q of [0.5, 0.9, 0.99]) lines.push(`${n}${promLabels(t.labels, [['quantile', String(q)]])} ${promNum(quantile(values, q))}`);
    lines.push(`${n}_sum${promLabels(t.labels)} ${promNum(t.sum)}`, `${n}_count${promLabels(t.labels)} ${t.count}`);
  }
  let text = '';
  for (const name of [...families.keys()].sort()) {
    const f = families.get(name)!;
    // Series of a family in label order; a summary's own lines stay quantiles, _sum, _count.
    const lines = f.type === 'summary' ? f.lines : [...f.lines].sort();
    text += `# HELP ${name} ${name}\n# TYPE ${name} ${f.type}\n${lines.join('\n')}\n`;
  }
  return text;
}

export function metricsRoutes(app: App, ctx: RouteContext): void {
  app.all('/v1/metrics', { schema, config: { acl: 'none' } }, async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const sink = metricsFor(ctx.store);
    const gauges = stateGauges(ctx.store, ctx.store.nowNs());
    if ((req.query as Record<string, string | undefined>).format === 'prometheus') {
      return reply.code(200).type('text/plain; version=0.0.4; charset=utf-8').send(prometheus(sink, gauges));
    }
    return sendJson(req, reply, summary(sink, gauges));
  });
}
