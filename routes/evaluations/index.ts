// `/v1/evaluation/:id` (+ `/allocations`), `/v1/evaluations` and `/v1/evaluations/count`.
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { omitEmpty } from '../http/encode.js';
import { compileListFilter as compileFilter } from '../http/filter.js';
import { sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { decodeBody } from '../http/body.js';
import type { FastifyRequest } from 'fastify';
import type { Obj } from '../../state/types.js';
import { RpcError } from '../../state/errors.js';
import { schedulerConfig } from '../../state/operator/config.js';
import { deleteEvalsByFilter, deleteEvalsById, MAX_UUIDS_PER_WRITE } from '../../state/evaluations/delete.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import { ErrorText, ReadQuery } from '../http/schemas.js';
import { Evaluation } from '../jobs/schemas.js';
import { getEval, listEvals, relatedEvals } from '../../state/evaluations/queries.js';
import { allocStub } from '../../state/jobs/children.js';
import type { Evaluation as Ev } from '../../state/types.js';
import { listRule, queryNamespace, readRule, str, type AclDecl } from '../acl/rules.js';

const EVAL_MAP_FIELDS = new Set(['FailedTGAllocs', 'QueuedAllocations', 'ClassEligibility']);

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Union([Evaluation, Type.Array(Type.Unknown()), Type.Object({}, { additionalProperties: true })]), '4xx': ErrorText, '5xx': ErrorText },
};

/** evalsDeleteRequest's own checks of the body, before the server sees it. */
function deleteRequest(req: FastifyRequest): { ids: string[]; filter: string } {
  const body = (decodeBody(req, 'EvalDeleteRequest') as Obj | null) ?? {};
  const ids = ((body.EvalIDs as string[] | null) ?? []).map(String);
  const filter = String(body.Filter ?? '');
  if (filter !== '' && ids.length > 0) throw new HttpError(400, 'evals cannot be deleted by both ID and filter');
  if (filter === '' && ids.length === 0) throw new HttpError(400, 'evals must be deleted by either ID or filter');
  if (ids.length > MAX_UUIDS_PER_WRITE) throw new HttpError(400, `request includes ${ids.length} evaluation IDs, must be ${MAX_UUIDS_PER_WRITE} or fewer`);
  return { ids, filter };
}

export function evaluationRoutes(app: App, ctx: RouteContext): void {
  const list: AclDecl = (req) => {
    if (req.method === 'DELETE') return { check: { kind: 'management' }, pre: () => void deleteRequest(req) };
    return req.method === 'GET' ? listRule(req, ctx) : null;
  };
  app.all('/v1/evaluations', { schema, config: { acl: list } }, async (req, reply) => {
    if (req.method === 'DELETE') {
      const { ids, filter } = deleteRequest(req);
      // Eval.Delete: only while the eval broker is paused (scheduler configuration PauseEvalBroker).
      if (!schedulerConfig(ctx.store).PauseEvalBroker) throw new RpcError('eval broker is enabled; eval broker must be paused to delete evals');
      const out = filter !== '' ? deleteEvalsByFilter(ctx.store, compileFilter(filter, EVAL_MAP_FIELDS) ?? (() => true)) : deleteEvalsById(ctx.store, ids);
      setWriteIndex(reply, out.Index);
      return sendJson(req, reply, out);
    }
    if (req.method !== 'GET') throw invalidMethod();
    const q = req.query as Query;
    const opts = parseQueryOptions(q, ctx.config.region);
    if (opts.filter !== '' && (q.status || q.job)) {
      throw new HttpError(400, 'Filter expression cannot be used with other filter parameters');
    }
    const filter = compileFilter(opts.filter, EVAL_MAP_FIELDS);
    const accept = (e: Ev): boolean =>
      (!q.status || e.Status === q.status) && (!q.job || e.JobID === q.job) && (!filter || filter(e));
    const res = await blockingQuery(ctx.store, reply, opts, ['evals'], () => listEvals(ctx.store, { ...opts, accept }));
    setReadMeta(reply, res.index, res.nextToken);
    return sendJson(req, reply, res.evals.map((e) => omitEmpty(e)));
  });

  const count: AclDecl = (req) => (req.method === 'GET' ? readRule(req, ctx) : null);
  app.all('/v1/evaluations/count', { schema, config: { acl: count } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    const filter = compileFilter(opts.filter, EVAL_MAP_FIELDS);
    const res = await blockingQuery(ctx.store, reply, opts, ['evals'], () =>
      listEvals(ctx.store, { ...opts, perPage: 0, nextToken: '', accept: filter }),
    );
    setReadMeta(reply, res.index);
    return sendJson(req, reply, { Count: res.evals.length, Index: res.index, LastContact: 0, KnownLeader: true, NextToken: '' });
  });

  // Read access in the evaluation's own namespace (the query's when there is no such evaluation).
  const one: AclDecl = (req) => {
    if (req.method !== 'GET') return null;
    const rest = decodePath(req.raw.url ?? '').slice('/v1/evaluation/'.length);
    const id = rest.endsWith('/allocations') ? rest.slice(0, -'/allocations'.length) : rest;
    return readRule(req, ctx, ['read-job'], str(ctx.store.evals.get(id)?.Namespace) || queryNamespace(req));
  };
  app.all('/v1/evaluation/*', { schema, config: { acl: one } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const rest = decodePath(req.raw.url ?? '').slice('/v1/evaluation/'.length);
    const q = req.query as Query;
    const opts = parseQueryOptions(q, ctx.config.region);
    if (rest.endsWith('/allocations')) {
      const id = rest.slice(0, -'/allocations'.length);
      const res = await blockingQuery(ctx.store, reply, opts, ['allocs'], () => ({
        allocs: [...ctx.store.allocs.values()].filter((a) => a.EvalID === id).sort((a, b) => (a.ID < b.ID ? -1 : 1)),
        index: ctx.store.tableIndex('allocs'),
      }));
      setReadMeta(reply, res.index);
      return sendJson(req, reply, res.allocs.map((a) => allocStub(a)));
    }
    const res = await blockingQuery(ctx.store, reply, opts, ['evals'], () => getEval(ctx.store, rest));
    setReadMeta(reply, res.index);
    if (!res.ev) throw new HttpError(404, 'eval not found');
    const related = q.related === 'true' ? relatedEvals(ctx.store, res.ev) : [];
    const body = related.length > 0 ? { ...omitEmpty(res.ev), RelatedEvals: related } : omitEmpty(res.ev);
    return sendJson(req, reply, body);
  });
}
