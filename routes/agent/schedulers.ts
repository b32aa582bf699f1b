// The server's scheduler workers (AgentSchedulerWorkerInfoRequest / …ConfigRequest): a dev agent
// runs one worker per CPU with every scheduler enabled. PUT changes the pool for this agent's
// lifetime; like any agent setting it is not part of the state, so reset and restore drop it.
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { rawBody, parseGoJson } from '../http/body.js';
import { sendJson } from '../http/reply.js';
import { ErrorText } from '../http/schemas.js';
import { WRITE, type AclDecl } from '../acl/rules.js';
import { blake2b } from '../../state/blake2b.js';
import { localMember } from './member.js';

/** runtime.NumCPU() of the agent /v1/agent/self describes (stats.runtime.cpu_count). */
const NUM_CPU = 4;
const DEFAULT_SCHEDULERS = ['service', 'batch', 'system', 'sysbatch', '_core'];
const BUILTIN = new Set(['service', 'batch', 'system', 'sysbatch']);

const WorkerConfig = Type.Object({ server_id: Type.String(), num_schedulers: Type.Integer(), enabled_schedulers: Type.Array(Type.String()) });
const WorkerInfo = Type.Object({
  server_id: Type.String(),
  schedulers: Type.Array(Type.Object({ id: Type.String(), enabled_schedulers: Type.Array(Type.String()), started: Type.String(), status: Type.String(), workload_status: Type.String() })),
});
const errors = { '4xx': ErrorText, '5xx': ErrorText };

/** A worker's ID: a UUID derived from its slot, so seeded runs stay byte-identical. */
function workerId(slot: number): string {
  const h = blake2b(Buffer.from(`scheduler-worker-${slot}`), 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function schedulerRoutes(app: App, ctx: RouteContext): void {
  const started = new Date(ctx.clock.nowMs()).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
  let pool = { num: NUM_CPU, enabled: DEFAULT_SCHEDULERS };
  ctx.store.onReplace(() => {
    pool = { num: NUM_CPU, enabled: DEFAULT_SCHEDULERS };
  });
  const serverId = (): string => String(localMember(ctx).Name);

  const infoAcl: AclDecl = (req) => (req.method === 'GET' ? { check: { kind: 'agent-read' } } : null);
  app.all('/v1/agent/schedulers', { schema: { response: { 200: WorkerInfo, ...errors } }, config: { acl: infoAcl } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const schedulers = Array.from({ length: pool.num }, (_, i) => ({
      id: workerId(i),
      enabled_schedulers: [...pool.enabled],
      started,
      status: 'Started',
      workload_status: 'WaitingToDequeue',
    }));
    return sendJson(req, reply, { server_id: serverId(), schedulers });
  });

  const configAcl: AclDecl = (req) =>
    req.method === 'GET' ? { check: { kind: 'agent-read' } } : WRITE.has(req.method) ? { check: { kind: 'agent-write' } } : null;
  app.all('/v1/agent/schedulers/config', { schema: { response: { 200: WorkerConfig, ...errors } }, config: { acl: configAcl } }, async (req, reply) => {
    if (req.method === 'GET') return sendJson(req, reply, { server_id: serverId(), num_schedulers: pool.num, enabled_schedulers: pool.enabled });
    if (!WRITE.has(req.method)) throw invalidMethod();
    const args = decodeWorkerConfig(rawBody(req));
    // SchedulerWorkerPoolArgs.IsValid: non-negative, known schedulers only, and _core among them.
    const valid = args.num >= 0 && args.enabled.every((s) => s === '_core' || BUILTIN.has(s)) && args.enabled.includes('_core');
    if (!valid) throw new HttpError(400, 'Invalid request');
    pool = args;
    return sendJson(req, reply, { server_id: serverId(), num_schedulers: pool.num, enabled_schedulers: pool.enabled });
  });
}

/** api.AgentSchedulerWorkerConfigRequest as encoding/json fills it (`Invalid request: <decoder error>`). */
function decodeWorkerConfig(raw: Buffer): { num: number; enabled: string[] } {
  const bad = (msg: string): HttpError => new HttpError(400, `Invalid request: ${msg}`);
  if (raw.length === 0) throw bad('Request body is empty');
  let body: unknown;
  try {
    body = parseGoJson(raw);
  } catch (err) {
    throw bad((err as Error).message);
  }
  const out = { num: 0, enabled: [] as string[] };
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    if (body === null) return out;
    throw bad(`json: cannot unmarshal ${goKind(body)} into Go value of type api.AgentSchedulerWorkerConfigRequest`);
  }
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const key = k.toLowerCase();
    if (key === 'num_schedulers') {
      if (v === null) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > Number.MAX_SAFE_INTEGER) {
        throw bad(`json: cannot unmarshal ${goKind(v)} into Go struct field AgentSchedulerWorkerConfigRequest.num_schedulers of type int`);
      }
      out.num = v;
    } else if (key === 'enabled_schedulers') {
      if (v === null) continue;
      if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
        const what = Array.isArray(v) ? goKind(v.find((s) => typeof s !== 'string')) : goKind(v);
        const type = Array.isArray(v) ? 'string' : '[]string';
        throw bad(`json: cannot unmarshal ${what} into Go struct field AgentSchedulerWorkerConfigRequest.enabled_schedulers of type ${type}`);
      }
      out.enabled = v as string[];
    }
  }
  return out;
}

function goKind(v: unknown): string {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'array';
  return 'object';
}
