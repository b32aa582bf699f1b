// `/v1/system/gc` and `/v1/system/reconcile/summaries` (command/agent/system_endpoint.go): PUT only,
// Nomad's query parsing, then the System RPC; both answer 200 with an empty body.
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { invalidMethod } from '../http/errors.js';
import { sendEmpty } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { ErrorText, ReadQuery } from '../http/schemas.js';
import { forceGC } from '../../state/gc/gc.js';
import { reconcileSummaries } from '../../state/gc/summary-reconcile.js';
import { readQuery, type AclDecl } from '../acl/rules.js';

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Null(), '4xx': ErrorText, '5xx': ErrorText },
};

export function systemRoutes(app: App, ctx: RouteContext): void {
  // System.GarbageCollect and System.ReconcileJobSummaries: management only, after the agent's
  // method check and query parsing.
  const acl: AclDecl = (req) => (req.method === 'PUT' ? { check: { kind: 'management' }, pre: readQuery(req, ctx) } : null);
  app.all('/v1/system/gc', { schema, config: { acl } }, async (req, reply) => {
    if (req.method !== 'PUT') throw invalidMethod();
    parseQueryOptions(req.query as Query, ctx.config.region);
    // Nomad enqueues a core eval and answers at once; here the forced GC has run when the answer
    // goes out, so a client sees its effect on the next read.
    if (ctx.sim) ctx.sim.gc.force();
    else forceGC(ctx.store);
    return sendEmpty(reply);
  });

  app.all('/v1/system/reconcile/summaries', { schema, config: { acl } }, async (req, reply) => {
    if (req.method !== 'PUT') throw invalidMethod();
    parseQueryOptions(req.query as Query, ctx.config.region);
    reconcileSummaries(ctx.store);
    return sendEmpty(reply);
  });
}
