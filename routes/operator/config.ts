// `/v1/operator/scheduler/configuration` and `/v1/operator/autopilot/configuration` (+ `/health`):
// command/agent/operator_endpoint.go over nomad/operator_endpoint.go.
import type { FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { WRITE, type AclDecl } from '../acl/rules.js';
import { RPC_ADDR as SERVER_RAFT_ADDRESS, SERVER_ID, serverName } from '../agent/member.js';
import { casParam, decodePrefixed } from './common.js';
import { autopilotConfig, schedulerConfig, setAutopilotConfig, setSchedulerConfig } from '../../state/operator/config.js';
import { goDuration } from '../../state/format.js';
import { parseGoDuration } from '../../state/godur.js';
import type { Obj } from '../../state/types.js';

const ALGORITHMS = new Set(['', 'binpack', 'spread']);

/** The agent's part of a scheduler update: decode, SchedulerConfiguration.Validate, then `cas`. */
function schedulerUpdate(req: FastifyRequest): { input: Parameters<typeof setSchedulerConfig>[1]; cas: number | null } {
  const body = (decodePrefixed(req, 'SchedulerConfiguration', 'Error parsing scheduler config') as Obj | null) ?? {};
  const p = (body.PreemptionConfig ?? {}) as Obj;
  const input = {
    SchedulerAlgorithm: String(body.SchedulerAlgorithm ?? ''),
    PreemptionConfig: {
      SystemSchedulerEnabled: p.SystemSchedulerEnabled === true,
      SysBatchSchedulerEnabled: p.SysBatchSchedulerEnabled === true,
      BatchSchedulerEnabled: p.BatchSchedulerEnabled === true,
      ServiceSchedulerEnabled: p.ServiceSchedulerEnabled === true,
    },
    MemoryOversubscriptionEnabled: body.MemoryOversubscriptionEnabled === true,
    RejectJobRegistration: body.RejectJobRegistration === true,
    PauseEvalBroker: body.PauseEvalBroker === true,
  };
  if (!ALGORITHMS.has(input.SchedulerAlgorithm)) throw new HttpError(400, `invalid scheduler algorithm: ${input.SchedulerAlgorithm}`);
  return { input, cas: casParam(req) };
}

/** api.AutopilotConfiguration's UnmarshalJSON: durations as Go duration strings or nanoseconds. */
function duration(v: unknown): number {
  if (typeof v === 'string') {
    const ns = parseGoDuration(v);
    if (ns === null) throw new HttpError(400, `Error parsing autopilot config: time: invalid duration ${JSON.stringify(v)}`);
    return ns;
  }
  return typeof v === 'number' ? Math.trunc(v) : 0;
}

function autopilotUpdate(req: FastifyRequest): { input: Parameters<typeof setAutopilotConfig>[1]; cas: number | null } {
  const body = (decodePrefixed(req, 'AutopilotConfiguration', 'Error parsing autopilot config') as Obj | null) ?? {};
  const input = {
    CleanupDeadServers: body.CleanupDeadServers === true,
    LastContactThreshold: duration(body.LastContactThreshold),
    MaxTrailingLogs: Number(body.MaxTrailingLogs ?? 0),
    MinQuorum: Number(body.MinQuorum ?? 0),
    ServerStabilizationTime: duration(body.ServerStabilizationTime),
    EnableRedundancyZones: body.EnableRedundancyZones === true,
    DisableUpgradeMigration: body.DisableUpgradeMigration === true,
    EnableCustomUpgrades: body.EnableCustomUpgrades === true,
  };
  return { input, cas: casParam(req) };
}

export function operatorConfigRoutes(app: App, ctx: RouteContext): void {
  const { store } = ctx;
  const readQuery = (req: FastifyRequest) => (): void => void parseQueryOptions(req.query as Query, ctx.config.region);
  const startedAt = new Date(Math.round(ctx.clock.nowMs() / 1000) * 1000).toISOString().replace('.000Z', 'Z');

  const scheduler: AclDecl = (req) => {
    if (req.method === 'GET') return { check: { kind: 'operator-read' }, pre: readQuery(req) };
    return WRITE.has(req.method) ? { check: { kind: 'operator-write' }, pre: () => void schedulerUpdate(req) } : null;
  };
  app.all('/v1/operator/scheduler/configuration', { config: { acl: scheduler } }, async (req, reply) => {
    if (req.method === 'GET') {
      parseQueryOptions(req.query as Query, ctx.config.region);
      const cfg = schedulerConfig(store);
      setReadMeta(reply, cfg.ModifyIndex);
      return sendJson(req, reply, { SchedulerConfig: cfg, Index: cfg.ModifyIndex, LastContact: 0, KnownLeader: true, NextToken: '' });
    }
    if (!WRITE.has(req.method)) throw new HttpError(405, 'Invalid method');
    const { input, cas } = schedulerUpdate(req);
    const out = setSchedulerConfig(store, input, cas);
    setWriteIndex(reply, out.Index);
    return sendJson(req, reply, out);
  });

  // Other methods get 404 `Invalid method` here (the handler's default case).
  const autopilot: AclDecl = (req) => {
    if (req.method === 'GET') return { check: { kind: 'operator-read' }, pre: readQuery(req) };
    return req.method === 'PUT' ? { check: { kind: 'operator-write' }, pre: () => void autopilotUpdate(req) } : null;
  };
  app.all('/v1/operator/autopilot/configuration', { config: { acl: autopilot } }, async (req, reply) => {
    if (req.method === 'GET') {
      parseQueryOptions(req.query as Query, ctx.config.region);
      const c = autopilotConfig(store);
      // api.AutopilotConfiguration.MarshalJSON: the two durations as strings, ahead of the rest.
      return sendJson(req, reply, {
        LastContactThreshold: goDuration(c.LastContactThreshold),
        ServerStabilizationTime: goDuration(c.ServerStabilizationTime),
        CleanupDeadServers: c.CleanupDeadServers,
        MaxTrailingLogs: c.MaxTrailingLogs,
        MinQuorum: c.MinQuorum,
        EnableRedundancyZones: c.EnableRedundancyZones,
        DisableUpgradeMigration: c.DisableUpgradeMigration,
        EnableCustomUpgrades: c.EnableCustomUpgrades,
        CreateIndex: c.CreateIndex,
        ModifyIndex: c.ModifyIndex,
      });
    }
    if (req.method !== 'PUT') throw new HttpError(404, 'Invalid method');
    const { input, cas } = autopilotUpdate(req);
    const applied = setAutopilotConfig(store, input, cas);
    return sendJson(req, reply, cas === null ? true : applied);
  });

  const health: AclDecl = (req) => (req.method === 'GET' ? { check: { kind: 'operator-read' }, pre: readQuery(req) } : null);
  app.all('/v1/operator/autopilot/health', { config: { acl: health } }, async (req, reply) => {
    if (req.method !== 'GET') throw new HttpError(404, 'Invalid method');
    parseQueryOptions(req.query as Query, ctx.config.region);
    // One healthy voter that leads: nothing can fail without an outage.
    return sendJson(req, reply, {
      Healthy: true,
      FailureTolerance: 0,
      Servers: [
        {
          LastContact: '0s',
          ID: SERVER_ID,
          Name: serverName(ctx),
          Address: SERVER_RAFT_ADDRESS,
          SerfStatus: 'alive',
          Version: ctx.store.nomad.version,
          Leader: true,
          LastTerm: 2,
          LastIndex: store.index,
          Healthy: true,
          Voter: true,
          StableSince: startedAt,
        },
      ],
      Leader: SERVER_ID,
      Voters: [SERVER_ID],
    });
  });
}
