// Agent and status endpoints (command/agent/agent_endpoint.go, status_endpoint.go,
// region_endpoint.go): the one dev agent nomad-mock is, a server that also runs a client.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { sendEmpty, sendError, sendJson } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { ErrorText, ReadQuery } from '../http/schemas.js';
import { goQueryValues } from '../events/index.js';
import { WRITE, readQuery, type AclDecl } from '../acl/rules.js';
import { parseGoBool } from '../../state/godur.js';
import { RPC_ADDR, agentName, hasClient, localMember } from './member.js';
import { schedulerRoutes } from './schedulers.js';
import { keyringRoutes } from './keyring.js';
import { debugRoutes } from './debug.js';
import { monitorRoutes } from './monitor.js';

export const LEADER_ADDR = RPC_ADDR;

const HealthPart = Type.Object({ ok: Type.Boolean(), message: Type.Optional(Type.String()) });
const Health = Type.Object({ client: Type.Optional(HealthPart), server: Type.Optional(HealthPart) });
const Member = Type.Object({}, { additionalProperties: true });
const Members = Type.Object({ ServerName: Type.String(), ServerRegion: Type.String(), ServerDC: Type.String(), Members: Type.Array(Member) });
const JoinResult = Type.Object({ num_joined: Type.Integer(), error: Type.String() });
const AddressQuery = Type.Object({ address: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])) }, { additionalProperties: true });

const errors = { '4xx': ErrorText, '5xx': ErrorText };
const values = (req: FastifyRequest, key: string): string[] => goQueryValues(req.raw.url ?? '').get(key) ?? [];
/** Nomad's Serf port, for what a join would dial. */
const SERF_ADDR = '127.0.0.1:4648';

export function agentRoutes(app: App, ctx: RouteContext): void {
  const { config } = ctx;
  const read = (req: FastifyRequest): void => void parseQueryOptions(req.query as Query, config.region);

  app.all('/v1/status/leader', { schema: { querystring: ReadQuery, response: { 200: Type.String() } }, config: { acl: 'none' } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    return sendJson(req, reply, LEADER_ADDR);
  });
  app.all('/v1/status/peers', { schema: { querystring: ReadQuery, response: { 200: Type.Array(Type.String()) } }, config: { acl: 'none' } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    return sendJson(req, reply, [LEADER_ADDR]);
  });

  // Region.List reads the gossip pool: no ACL, no index headers.
  app.all('/v1/regions', { schema: { querystring: ReadQuery, response: { 200: Type.Array(Type.String()), ...errors } }, config: { acl: 'none' } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    read(req);
    return sendJson(req, reply, [config.region]);
  });

  // HealthRequest: `type` narrows the check to client and/or server; a part asked for that this agent
  // does not run fails ("… not enabled"), and any failing part makes the answer a 500 carrying the JSON.
  app.all('/v1/agent/health', { schema: { querystring: ReadQuery, response: { 200: Health, ...errors } }, config: { acl: 'none' } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    read(req);
    const health: { client?: { ok: boolean; message: string }; server?: { ok: boolean; message: string } } = {};
    const types = goQueryValues(req.raw.url ?? '').get('type');
    let getClient = true;
    let getServer = true;
    if (types) {
      getClient = getServer = false;
      for (const ty of types) {
        if (ty === 'client') {
          getClient = true;
          health.client = { ok: false, message: 'client not enabled' };
        } else if (ty === 'server') {
          getServer = true;
          health.server = { ok: false, message: 'server not enabled' };
        }
      }
    }
    if (getClient && hasClient(ctx)) health.client = { ok: true, message: 'ok' };
    if (getServer) health.server = { ok: true, message: 'ok' };
    const ok = health.client?.ok !== false && health.server?.ok !== false;
    if (ok) return sendJson(req, reply, health);
    return sendError(reply, 500, JSON.stringify(health));
  });

  // Status.Members: node read; the query is parsed before the RPC authenticates.
  const membersAcl: AclDecl = (req) => (req.method === 'GET' ? { check: { kind: 'node-read' }, pre: readQuery(req, ctx) } : null);
  app.all('/v1/agent/members', { schema: { querystring: ReadQuery, response: { 200: Members, ...errors } }, config: { acl: membersAcl } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    read(req);
    const { nodeName, dc } = agentName(ctx);
    return sendJson(req, reply, { ServerName: nodeName, ServerRegion: config.region, ServerDC: dc, Members: [localMember(ctx)] });
  });

  // The client's server list: GET lists it (agent read), PUT/POST replaces it (agent write) — only
  // on an agent that runs a client.
  const serversAcl: AclDecl = (req) => {
    if (req.method === 'GET') return hasClient(ctx) ? { check: { kind: 'agent-read' } } : null;
    if (!WRITE.has(req.method) || !hasClient(ctx)) return null;
    return { check: { kind: 'agent-write' }, pre: () => requireServers(req) };
  };
  app.all('/v1/agent/servers', { schema: { querystring: AddressQuery, response: { 200: Type.Array(Type.String()), ...errors } }, config: { acl: serversAcl } }, async (req, reply) => {
    if (req.method !== 'GET' && !WRITE.has(req.method)) throw invalidMethod();
    if (!hasClient(ctx)) throw new HttpError(501, 'Invalid method');
    if (req.method === 'GET') return sendJson(req, reply, [RPC_ADDR]);
    requireServers(req);
    return sendEmpty(reply);
  });

  // Serf join: no ACL. The gossip pool holds only this server; joining it again counts, any other
  // address cannot be reached.
  app.all('/v1/agent/join', { schema: { querystring: AddressQuery, response: { 200: JoinResult, ...errors } }, config: { acl: 'none' } }, async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    const addrs = values(req, 'address');
    if (addrs.length === 0) throw new HttpError(400, 'missing address to join');
    const failed = addrs.filter((a) => !isSelf(a));
    const error = failed.length === 0 ? '' : `${failed.length} error${failed.length === 1 ? '' : 's'} occurred:\n${failed.map((a) => `\t* Failed to join ${dialAddr(a)}: dial tcp ${dialAddr(a)}: connect: connection refused`).join('\n')}\n\n`;
    return sendJson(req, reply, { num_joined: addrs.length - failed.length, error });
  });

  // Serf force-leave: agent write; an unknown node is no error (serf only broadcasts the intent).
  const leaveAcl: AclDecl = (req) => (WRITE.has(req.method) ? { check: { kind: 'agent-write' } } : null);
  app.all('/v1/agent/force-leave', { schema: { querystring: Type.Object({ node: Type.Optional(Type.String()), prune: Type.Optional(Type.String()) }, { additionalProperties: true }), response: errors }, config: { acl: leaveAcl } }, async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    const q = req.query as Query;
    if (!q.node) throw new HttpError(400, 'missing node to force leave');
    if (q.prune !== undefined && parseGoBool(q.prune) === null) throw new HttpError(400, 'invalid prune value');
    return sendEmpty(reply);
  });

  schedulerRoutes(app, ctx);
  keyringRoutes(app, ctx);
  debugRoutes(app, ctx);
  monitorRoutes(app, ctx);
}

function requireServers(req: FastifyRequest): void {
  if (values(req, 'address').length === 0) throw new HttpError(400, 'missing server address');
}

/** Serf's default port when an address names none. */
function dialAddr(addr: string): string {
  return /:\d+$/.test(addr) ? addr : `${addr}:4648`;
}

function isSelf(addr: string): boolean {
  const a = dialAddr(addr);
  return a === SERF_ADDR || a === 'localhost:4648';
}
