// `/v1/allocations`, `/v1/allocation/:id` and its `stop`, `services`, `checks` sub-paths.
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { allocJson } from '../http/encode.js';
import { compileListFilter } from '../http/filter.js';
import { sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseBoolParam, parseQueryOptions, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import { ReadQuery } from '../http/schemas.js';
import { allocStub } from '../../state/jobs/children.js';
import { listByCreateIndex } from '../../state/list-queries.js';
import { stopAlloc } from '../../state/allocations/ops.js';
import { allocChecks } from '../../src/sim/checks.js';
import { clientAlloc } from '../../src/sim/client-api.js';
import { WRITE, listRule, nsCheck, queryNamespace, readRule, str, type AclDecl } from '../acl/rules.js';

const schema = { querystring: ReadQuery };

export function allocationRoutes(app: App, ctx: RouteContext): void {
  const list: AclDecl = (req) => (req.method === 'GET' ? listRule(req, ctx) : null);
  app.all('/v1/allocations', { schema, config: { acl: list } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const q = req.query as Query;
    const opts = parseQueryOptions(q, ctx.config.region);
    const resources = parseBoolParam(q, 'resources');
    const taskStates = q.task_states === undefined || q.task_states === '' ? true : parseBoolParam(q, 'task_states');
    const filter = compileListFilter(opts.filter, new Set(['TaskStates']));
    const res = await blockingQuery(ctx.store, reply, opts, ['allocs'], () => ({
      ...listByCreateIndex(ctx.store.allocs.values(), { ...opts, accept: filter }),
      index: ctx.store.tableIndex('allocs'),
    }));
    setReadMeta(reply, res.index, res.nextToken);
    return sendJson(req, reply, res.items.map((a) => {
      const stub = allocStub(a, resources);
      return taskStates ? stub : { ...stub, TaskStates: null };
    }));
  });

  // Capabilities in the allocation's own namespace (the query's when there is no such allocation).
  const one: AclDecl = (req) => {
    const parts = decodePath(req.raw.url ?? '').slice('/v1/allocation/'.length).split('/');
    if (parts.length > 2) return null;
    const allocNs = str(ctx.store.allocs.get(parts[0] ?? '')?.Namespace) || queryNamespace(req);
    if (parts[1] === 'stop') return WRITE.has(req.method) ? { check: nsCheck(['alloc-lifecycle'], allocNs) } : null;
    return req.method === 'GET' ? readRule(req, ctx, ['read-job'], allocNs) : null;
  };
  app.all('/v1/allocation/*', { schema, config: { acl: one } }, async (req, reply) => {
    const rest = decodePath(req.raw.url ?? '').slice('/v1/allocation/'.length);
    const parts = rest.split('/');
    if (parts.length > 2) throw new HttpError(404, 'resource not found');
    const [id = '', sub] = parts;
    if (sub === 'stop') {
      if (req.method !== 'PUT' && req.method !== 'POST') throw invalidMethod();
      const out = stopAlloc(ctx.store, id);
      setWriteIndex(reply, out.Index);
      return sendJson(req, reply, out);
    }
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    if (sub === 'services') {
      const res = await blockingQuery(ctx.store, reply, opts, ['service_registrations'], () => ({ index: Math.max(1, ctx.store.tableIndex('service_registrations')) }));
      setReadMeta(reply, res.index);
      return sendJson(req, reply, []);
    }
    // The same client RPC as /v1/client/allocation/:id/checks (ClientAllocations.Checks).
    if (sub === 'checks') return sendJson(req, reply, allocChecks(clientAlloc(ctx.store, ctx.sim, id), ctx.store.nowNs()));
    if (sub !== undefined) throw new HttpError(404, 'resource not found');
    const res = await blockingQuery(ctx.store, reply, opts, ['allocs'], () => {
      const alloc = ctx.store.allocs.get(id);
      return { alloc, index: alloc ? alloc.ModifyIndex : ctx.store.tableIndex('allocs') };
    });
    setReadMeta(reply, res.index);
    if (!res.alloc) throw new HttpError(404, 'alloc not found');
    return sendJson(req, reply, allocJson(res.alloc));
  });
}
