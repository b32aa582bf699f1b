// `/v1/scaling/policies` and `/v1/scaling/policy/:id` (command/agent/scaling_endpoint.go,
// nomad/scaling_endpoint.go): the policies the jobs' `scaling` blocks stored (state/scaling/).
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { sendJson, setReadMeta } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import { ErrorText, ReadQuery } from '../http/schemas.js';
import { authenticatedRule, type AclDecl } from '../acl/rules.js';
import { denied, requestAcl } from '../acl/authorize.js';
import { listPolicies, scalingPolicies } from '../../state/scaling/policies.js';

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Unknown(), '4xx': ErrorText, '5xx': ErrorText },
};

/** `cap`, or list-jobs together with read-job (Nomad's fallback for both scaling reads). */
function allowed(req: FastifyRequest, ns: string, cap: string): boolean {
  const acl = requestAcl(req);
  return !acl || acl.allowNs(ns, cap) || (acl.allowNs(ns, 'list-jobs') && acl.allowNs(ns, 'read-job'));
}

export function scalingRoutes(app: App, ctx: RouteContext): void {
  const acl: AclDecl = (req) => (req.method === 'GET' ? authenticatedRule(() => void parseQueryOptions(req.query as Query, ctx.config.region)) : null);
  const index = (): number => Math.max(1, ctx.store.tableIndex('scaling_policy'));

  app.all('/v1/scaling/policies', { schema, config: { acl } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const q = req.query as Query;
    const opts = parseQueryOptions(q, ctx.config.region);
    const caller = requestAcl(req);
    if (opts.namespace !== '*' && !allowed(req, opts.namespace, 'list-scaling-policies')) throw denied();
    const res = await blockingQuery(ctx.store, reply, opts, ['scaling_policy'], () => ({
      policies: listPolicies(ctx.store, {
        namespace: opts.namespace,
        job: q.job ?? '',
        type: q.type ?? '',
        prefix: opts.prefix,
        allowed: caller && !caller.management ? (ns: string) => allowed(req, ns, 'list-scaling-policies') : null,
      }),
      index: index(),
    }));
    setReadMeta(reply, res.index);
    return sendJson(req, reply, res.policies);
  });

  app.all('/v1/scaling/policy/*', { schema, config: { acl } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const id = decodePath(req.raw.url ?? '').slice('/v1/scaling/policy/'.length);
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    if (!allowed(req, opts.namespace, 'read-scaling-policy')) throw denied();
    const res = await blockingQuery(ctx.store, reply, opts, ['scaling_policy'], () => {
      const policy = scalingPolicies(ctx.store).get(id);
      return { policy, index: policy ? policy.ModifyIndex : index() };
    });
    setReadMeta(reply, res.index);
    if (!res.policy) throw new HttpError(404, 'policy not found');
    return sendJson(req, reply, res.policy);
  });
}
