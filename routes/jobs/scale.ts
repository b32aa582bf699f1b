// `/v1/job/:id/scale` (GET status, PUT|POST scale) and `/v1/job/:id/plan`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { decodeBody } from '../http/body.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { omitEmpty } from '../http/encode.js';
import { sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, writeNamespace, type Query } from '../http/query.js';
import { jobRequestNamespace, jobRequestRegion } from './crud.js';
import { scaleJob, scaleStatus } from '../../state/jobs/scale.js';
import { planJob } from '../../src/sim/plan.js';
import type { Obj } from '../../state/types.js';
import { authorize } from '../acl/authorize.js';

export async function handleScale(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> {
  const q = req.query as Query;
  if (req.method === 'GET') {
    const opts = parseQueryOptions(q, ctx.config.region);
    const res = await blockingQuery(ctx.store, reply, opts, ['jobs', 'scaling_event', 'allocs'], () => scaleStatus(ctx.store, opts.namespace, jobId));
    setReadMeta(reply, res.index);
    if (!res.status) throw new HttpError(404, 'job not found');
    return sendJson(req, reply, res.status);
  }
  if (req.method !== 'PUT' && req.method !== 'POST') throw invalidMethod();
  const body = (decodeBody(req, 'ScalingRequest') as Obj | null) ?? {};
  const namespace = writeNamespace(q);
  const target = (body.Target as Record<string, string> | null) ?? {};
  if (target.Job && target.Job !== jobId) throw new HttpError(400, 'job ID in payload did not match URL');
  if (target.Namespace && target.Namespace !== namespace) throw new HttpError(400, 'namespace in payload did not match header');
  const out = scaleJob(ctx.store, {
    namespace,
    jobId,
    group: target.Group ?? '',
    count: body.Count ?? null,
    message: body.Message ?? '',
    error: Boolean(body.Error),
    meta: body.Meta ?? null,
    jobModifyIndex: body.JobModifyIndex ?? 0,
  });
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out);
}

/** The agent's own checks of a plan body, before any RPC (and before ACL authorisation). */
export function planRequest(req: FastifyRequest, jobId: string): { body: Obj; job: Obj } {
  const body = decodeBody(req, 'JobPlanRequest') as Obj | null;
  const job = body?.Job as Obj | null | undefined;
  if (!body || !job) throw new HttpError(400, 'Job must be specified');
  if (job.ID === undefined || job.ID === null) throw new HttpError(400, 'Job must have a valid ID');
  if (job.ID !== jobId) throw new HttpError(400, 'Job ID does not match');
  return { body, job };
}

export async function handlePlan(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> {
  const q = req.query as Query;
  const { body, job } = planRequest(req, jobId);
  const apiJob = { ...job, Namespace: jobRequestNamespace(q, body, job), Region: jobRequestRegion(q, body, job) };
  authorize(req, apiJob.Namespace, ['submit-job', 'plan-job'], apiJob);
  const out = planJob(ctx.store, apiJob, Boolean(body.Diff));
  if (out.CreatedEvals) out.CreatedEvals = (out.CreatedEvals as Obj[]).map((e) => omitEmpty(e));
  setWriteIndex(reply, out.Index as number);
  return sendJson(req, reply, out);
}
