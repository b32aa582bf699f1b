// Reads of what hangs off a job, and the force-evaluate write.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { decodeBody, rawBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { omitEmpty } from '../http/encode.js';
import { sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, writeNamespace, type Query } from '../http/query.js';
import { parseGoBool } from '../../state/godur.js';
import { allocStub, jobActions, jobServices, jobAllocations, jobDeployments, jobEvaluations, latestDeployment } from '../../state/jobs/children.js';
import { evaluateJob } from '../../state/jobs/history.js';
import { jobKey } from '../../state/store.js';
import type { Obj } from '../../state/types.js';

type Handler = (ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string) => Promise<FastifyReply>;

/** `all=` on the job's alloc and deployment lists: parse errors are ignored, as in Nomad. */
const allParam = (q: Query): boolean => parseGoBool(q.all ?? '') === true;

export const handleAllocations: Handler = async (ctx, req, reply, jobId) => {
  const q = req.query as Query;
  const opts = parseQueryOptions(q, ctx.config.region);
  const all = allParam(q);
  const res = await blockingQuery(ctx.store, reply, opts, ['allocs'], () => ({
    allocs: jobAllocations(ctx.store, opts.namespace, jobId, all),
    index: ctx.store.tableIndex('allocs'),
  }));
  setReadMeta(reply, res.index);
  return sendJson(req, reply, res.allocs.map((a) => allocStub(a)));
};

export const handleEvaluations: Handler = async (ctx, req, reply, jobId) => {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  const res = await blockingQuery(ctx.store, reply, opts, ['evals'], () => ({
    evals: jobEvaluations(ctx.store, opts.namespace, jobId),
    index: ctx.store.tableIndex('evals'),
  }));
  setReadMeta(reply, res.index);
  return sendJson(req, reply, res.evals.map((e) => omitEmpty(e)));
};

export const handleDeployments: Handler = async (ctx, req, reply, jobId) => {
  const q = req.query as Query;
  const opts = parseQueryOptions(q, ctx.config.region);
  const all = allParam(q);
  const res = await blockingQuery(ctx.store, reply, opts, ['deployment'], () => ({
    deployments: jobDeployments(ctx.store, opts.namespace, jobId, all),
    index: ctx.store.tableIndex('deployment'),
  }));
  setReadMeta(reply, res.index);
  return sendJson(req, reply, res.deployments);
};

export const handleLatestDeployment: Handler = async (ctx, req, reply, jobId) => {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  const res = await blockingQuery(ctx.store, reply, opts, ['deployment'], () => ({
    deployment: latestDeployment(ctx.store, opts.namespace, jobId),
    index: ctx.store.tableIndex('deployment'),
  }));
  setReadMeta(reply, res.index);
  return sendJson(req, reply, res.deployment);
};

export const handleSummary: Handler = async (ctx, req, reply, jobId) => {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  const res = await blockingQuery(ctx.store, reply, opts, ['job_summary'], () => {
    const summary = ctx.store.summaries.get(jobKey(opts.namespace, jobId));
    return { summary, index: summary ? summary.ModifyIndex : ctx.store.tableIndex('job_summary') };
  });
  setReadMeta(reply, res.index);
  if (!res.summary) throw new HttpError(404, 'job not found');
  return sendJson(req, reply, res.summary);
};

export const handleServices: Handler = async (ctx, req, reply, jobId) => {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  const res = await blockingQuery(ctx.store, reply, opts, ['service_registrations', 'jobs'], () => {
    const job = ctx.store.jobs.get(jobKey(opts.namespace, jobId));
    return { job, index: job ? Math.max(1, ctx.store.tableIndex('service_registrations')) : 0 };
  });
  setReadMeta(reply, res.index);
  if (!res.job) throw new HttpError(404, 'job not found');
  return sendJson(req, reply, jobServices(ctx.store, opts.namespace, jobId));
};

export const handleActions: Handler = async (ctx, req, reply, jobId) => {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  const job = ctx.store.jobs.get(jobKey(opts.namespace, jobId));
  if (!job) throw new HttpError(500, `Unknown job "${jobId}"`);
  // Nomad answers actions with an empty query meta (index 0, no known leader).
  setReadMeta(reply, 0, '', false);
  return sendJson(req, reply, jobActions(job));
};

/** The body checks of evaluate: an empty body is accepted for older clients; else JobID must match. */
export function evaluateRequest(req: FastifyRequest, jobId: string): Obj | null {
  if (rawBody(req).length === 0) return null;
  const body = decodeBody(req, 'JobEvaluateRequest') as Obj | null;
  if (!body?.JobID) throw new HttpError(400, 'Job ID must be specified');
  if (body.JobID !== jobId) throw new HttpError(400, 'JobID not same as job name');
  return body;
}

export const handleEvaluate: Handler = async (ctx, req, reply, jobId) => {
  const body = evaluateRequest(req, jobId);
  const out = evaluateJob(ctx.store, {
    namespace: writeNamespace(req.query as Query, body?.Namespace),
    jobId,
    forceReschedule: Boolean(body?.EvalOptions?.ForceReschedule),
  });
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out);
};
