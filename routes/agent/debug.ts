// The debugging endpoints of an agent without `enable_debug` (nomad-mock's agent reports
// EnableDebug false): with ACLs off Nomad refuses them (`Permission denied`); with ACLs on,
// /v1/agent/host answers agent:read tokens and /v1/agent/pprof/* agent:write tokens.
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { sendJson } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { ErrorText } from '../http/schemas.js';
import { denied } from '../acl/authorize.js';
import type { AclDecl } from '../acl/rules.js';
import { notImplementedText } from '../http/fallback.js';
import { localMember } from './member.js';
import { hostData } from './host.js';

const errors = { '4xx': ErrorText, '5xx': ErrorText };
const TargetQuery = Type.Object({ node_id: Type.Optional(Type.String()), server_id: Type.Optional(Type.String()) }, { additionalProperties: true });

export function debugRoutes(app: App, ctx: RouteContext): void {
  const q = (req: FastifyRequest): Query => req.query as Query;

  // AgentHostRequest: AllowAgentDebug(enable_debug) — agent read with ACLs, enable_debug without.
  const hostAcl: AclDecl = (req) => (req.method === 'GET' ? { check: { kind: 'agent-read' }, agentResolves: true } : null);
  app.all('/v1/agent/host', { schema: { querystring: TargetQuery, response: { 200: Type.Object({}, { additionalProperties: true }), ...errors } }, config: { acl: hostAcl } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    if (!ctx.config.acl) throw denied();
    const serverId = q(req).server_id ?? '';
    const nodeId = q(req).node_id ?? '';
    if (serverId !== '' && nodeId !== '') throw new HttpError(400, 'Can only forward to either client node or server');
    if (serverId === '' && nodeId === '') return sendJson(req, reply, await hostData());
    parseQueryOptions(q(req), ctx.config.region);
    // Agent.Host, forwarded to the named client or server: all of them run on this one machine.
    if (nodeId !== '') {
      if (!ctx.store.nodes.has(nodeId)) throw new HttpError(404, `Unknown node "${nodeId}"`);
      return sendJson(req, reply, { AgentID: nodeId, HostData: await hostData() });
    }
    const name = String(localMember(ctx).Name);
    if (serverId !== 'leader' && serverId !== name) throw new HttpError(500, `unknown nomad server ${serverId}`);
    return sendJson(req, reply, { AgentID: name, HostData: await hostData() });
  });

  // AgentPprofRequest (wrapNonJSON): no index route; both targets at once is refused before the RPC,
  // whose Agent.Profile wants agent write, or enable_debug when ACLs are off.
  const pprofAcl: AclDecl = (req) => (profileName(req) === '' ? null : { check: { kind: 'agent-write' }, pre: () => checkTargets(req) });
  app.all('/v1/agent/pprof/*', { schema: { querystring: TargetQuery, response: errors }, config: { acl: pprofAcl } }, async (req) => {
    if (profileName(req) === '') throw new HttpError(404, 'Invalid method');
    checkTargets(req);
    parseQueryOptions(q(req), ctx.config.region);
    if (!ctx.config.acl) throw denied();
    // A token allowed to profile would get a Go runtime profile, which nomad-mock cannot produce.
    throw new HttpError(501, notImplementedText(req.method, '/v1/agent/pprof/'));
  });
}

function profileName(req: FastifyRequest): string {
  return (req.raw.url ?? '').split('?')[0]!.slice('/v1/agent/pprof/'.length);
}

function checkTargets(req: FastifyRequest): void {
  const query = req.query as Query;
  if ((query.node_id ?? '') !== '' && (query.server_id ?? '') !== '') throw new HttpError(400, 'Cannot target node and server simultaneously');
}
