// /v1/agent/monitor: nomad-mock's own log lines, streamed in Nomad's frame format (Agent.Monitor
// through a StreamFramer: `{"Data":<base64>,"FileEvent":"log"}` per batch, `{}` heartbeats), or as
// plain text with `plain=true`. Lines are formatted as hclog formats them, or as hclog's JSON with
// `log_json=true`. A client that does not read loses lines instead of growing the server's memory,
// as Nomad's bounded monitor buffer drops them.
import type { ServerResponse } from 'node:http';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { goJson } from '../http/go-json.js';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { ErrorText } from '../http/schemas.js';
import type { AclDecl } from '../acl/rules.js';
import { parseGoBool } from '../../state/godur.js';
import type { LogRecord } from '../../src/log-tap.js';

/** hclog levels a monitor accepts (hclog.LevelFromString), as pino's numbers. */
const HCLOG_LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, off: Infinity };
const BRACKET: Record<number, string> = { 10: '[TRACE]', 20: '[DEBUG]', 30: '[INFO] ', 40: '[WARN] ', 50: '[ERROR]', 60: '[ERROR]' };
const NAME: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'error' };
/** Bytes a monitor may have waiting in its socket before lines are dropped. */
export const MONITOR_MAX_QUEUED_BYTES = 256 * 1024;
const HEARTBEAT_MS = 1000;
const MODULE = 'nomad-mock';
const SKIP = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

interface MonitorArgs {
  level: number;
  json: boolean;
  plain: boolean;
}

const MonitorQuery = Type.Object(
  {
    log_level: Type.Optional(Type.String()),
    log_json: Type.Optional(Type.String()),
    plain: Type.Optional(Type.String()),
    log_include_location: Type.Optional(Type.String()),
    node_id: Type.Optional(Type.String()),
    server_id: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);

function boolParam(q: Query, name: string, label: string): boolean {
  const raw = q[name];
  if (raw === undefined || raw === '') return false;
  const v = parseGoBool(raw);
  if (v === null) throw new HttpError(400, `Unknown option for ${label}: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`);
  return v;
}

/** AgentMonitor's checks, in its order, before anything authenticates. */
function monitorArgs(req: FastifyRequest): MonitorArgs {
  const q = req.query as Query;
  const levelText = q.log_level || 'INFO';
  const level = HCLOG_LEVELS[levelText.trim().toLowerCase()];
  if (level === undefined) throw new HttpError(400, `Unknown log level: ${levelText}`);
  const json = boolParam(q, 'log_json', 'log json');
  const plain = boolParam(q, 'plain', 'plain');
  boolParam(q, 'log_include_location', 'log_include_location');
  if ((q.node_id ?? '') !== '' && (q.server_id ?? '') !== '') throw new HttpError(400, 'Cannot target node and server simultaneously');
  return { level, json, plain };
}

const goTime = (ms: number, micro: boolean): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, micro ? '.$1000Z' : '.$1Z');

/** The record's own fields; nested objects (Fastify's `req`, `res`) flattened to `req.method` etc. */
function fields(rec: LogRecord): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(rec)) {
    if (SKIP.has(k)) continue;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [sk, sv] of Object.entries(v as Record<string, unknown>)) out.push([`${k}.${sk}`, sv]);
    } else out.push([k, v]);
  }
  return out;
}

/** One line as hclog writes it: `<time> [LEVEL] module: message: k=v …`, or its JSON form. */
export function formatLine(rec: LogRecord, json: boolean): string {
  const msg = typeof rec.msg === 'string' ? rec.msg : '';
  if (json) {
    const obj: Record<string, unknown> = { '@level': NAME[rec.level] ?? 'info', '@message': msg, '@module': MODULE, '@timestamp': goTime(rec.time, true) };
    for (const [k, v] of fields(rec)) obj[k] = v;
    return `${goJson(obj)}\n`;
  }
  const kv = fields(rec)
    .map(([k, v]) => {
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}=${/[\s"]/.test(s) ? JSON.stringify(s) : s}`;
    })
    .join(' ');
  return `${goTime(rec.time, false)} ${BRACKET[rec.level] ?? '[INFO] '} ${MODULE}: ${msg}${kv ? `: ${kv}` : ''}\n`;
}

export function monitorRoutes(app: App, ctx: RouteContext): void {
  const open = new Set<() => void>();
  // Streams never end on their own: end them before the server waits for its connections to drain.
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end();
    done();
  });

  // Agent.Monitor wants agent read; the agent's own checks come first.
  const acl: AclDecl = (req) => ({ check: { kind: 'agent-read' }, pre: () => void monitorArgs(req) });
  // Nomad's handler checks no method: every method streams.
  app.all('/v1/agent/monitor', { schema: { querystring: MonitorQuery, response: { '4xx': ErrorText, '5xx': ErrorText } }, config: { acl } }, async (req, reply) => {
    const args = monitorArgs(req);
    parseQueryOptions(req.query as Query, ctx.config.region);

    reply.hijack();
    const res: ServerResponse = reply.raw;
    res.on('error', () => {});
    res.writeHead(200, { Vary: 'Accept-Encoding', 'Content-Type': args.plain ? 'text/plain' : 'application/json' });
    res.flushHeaders();

    let dropped = 0;
    let sentSinceBeat = false;
    const send = (payload: string): void => {
      sentSinceBeat = true;
      if (args.plain) res.write(payload);
      else res.write(JSON.stringify({ Data: Buffer.from(payload).toString('base64'), FileEvent: 'log' }));
    };
    const onLine = (rec: LogRecord): void => {
      if (res.destroyed || res.writableEnded) return;
      if (res.writableLength > MONITOR_MAX_QUEUED_BYTES) {
        dropped++;
        return;
      }
      if (dropped > 0) {
        const notice: LogRecord = { level: 40, time: Date.now(), msg: `Monitor dropped ${dropped} logs during monitor request` };
        dropped = 0;
        send(formatLine(notice, args.json));
      }
      send(formatLine(rec, args.json));
    };
    const unsubscribe = ctx.logs.subscribe(args.level, onLine);
    const heartbeat = setInterval(() => {
      if (!sentSinceBeat && !args.plain && res.writableLength <= MONITOR_MAX_QUEUED_BYTES) res.write('{}');
      sentSinceBeat = false;
    }, HEARTBEAT_MS);
    heartbeat.unref();

    let closed = false;
    const finish = (): void => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(finish);
      if (!res.destroyed && !res.writableEnded) res.end();
    };
    open.add(finish);
    res.on('close', finish);
  });
}
