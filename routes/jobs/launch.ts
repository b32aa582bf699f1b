// `/v1/job/:id/dispatch`, `/dispatch/payload` and `/periodic/force`: writes that create child jobs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { decodeBody, rawBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { sendJson, setWriteIndex } from '../http/reply.js';
import { writeNamespace, type Query } from '../http/query.js';
import { dispatchJob } from '../../state/jobs/dispatch.js';
import { forcePeriodic } from '../../state/jobs/periodic.js';
import type { Obj } from '../../state/types.js';

export async function handleDispatch(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> {
  const q = req.query as Query;
  const body = (decodeBody(req, 'JobDispatchRequest') as Obj | null) ?? {};
  if (body.JobID && body.JobID !== jobId) throw new HttpError(400, 'Job ID does not match');
  const out = dispatchJob(ctx.store, {
    namespace: writeNamespace(q, body.Namespace),
    parentId: jobId,
    payload: body.Payload ?? null,
    meta: body.Meta ?? null,
    idPrefixTemplate: body.IdPrefixTemplate ?? '',
    priority: body.Priority ?? 0,
    idempotencyToken: q.idempotency_token || body.IdempotencyToken || '',
  });
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out);
}

/** The whole raw body is the payload; everything else comes from the query. */
export async function handleDispatchPayload(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> {
  const q = req.query as Query;
  const raw = rawBody(req);
  const out = dispatchJob(ctx.store, {
    namespace: writeNamespace(q),
    parentId: jobId,
    payload: raw.length > 0 ? raw.toString('base64') : null,
    meta: null,
    idPrefixTemplate: '',
    priority: 0,
    idempotencyToken: q.idempotency_token || '',
  });
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out);
}

export async function handlePeriodicForce(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> {
  const out = forcePeriodic(ctx.store, writeNamespace(req.query as Query), jobId);
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out);
}
