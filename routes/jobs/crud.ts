// Register, read and deregister a job (`/v1/jobs` PUT/POST and `/v1/job/:id`).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { decodeBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { cachedJson, sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseBoolParam, parseQueryOptions, type Query } from '../http/query.js';
import { parseGoInt } from '../../state/godur.js';
import { registerJob, deregisterJob } from '../../state/jobs/ops.js';
import { getJob } from '../../state/jobs/queries.js';
import type { Obj } from '../../state/types.js';
import { authorize } from '../acl/authorize.js';
import { writeReplyJson } from './write-reply.js';

export function checkEvalPriority(priority: number): void {
  if (priority !== 0 && (priority < 1 || priority > 100)) {
    throw new HttpError(400, 'Eval priority must be between 1 and 100 inclusively');
  }
}

/**
 * Namespace precedence of register and plan (http-semantics §2.4): query, then the request's
 * top-level Namespace, then the job's own; the winner is written into the job.
 */
export function jobRequestNamespace(q: Query, body: Obj, job: Obj): string {
  return q.namespace || body.Namespace || job.Namespace || 'default';
}

export function jobRequestRegion(q: Query, body: Obj, job: Obj): string {
  return body.Region || q.region || job.Region || '';
}

/** The agent's own checks of a register body, before any RPC (and before ACL authorisation). */
export function registerRequest(req: FastifyRequest, pathId: string | null): { body: Obj; job: Obj } {
  const body = decodeBody(req, 'JobRegisterRequest') as Obj | null;
  const job = body?.Job as Obj | null | undefined;
  if (!body || !job) throw new HttpError(400, 'Job must be specified');
  if (job.ID === undefined || job.ID === null) throw new HttpError(400, "Job ID hasn't been provided");
  if (pathId && job.ID !== pathId) throw new HttpError(400, 'Job ID does not match name');
  if (job.Type === 'system' && ((job.TaskGroups as Obj[] | null) ?? []).some((tg) => tg?.Scaling)) {
    throw new HttpError(400, 'Task groups with job type system do not support scaling blocks');
  }
  checkEvalPriority(body.EvalPriority ?? 0);
  return { body, job };
}

/** PUT|POST /v1/jobs and /v1/job/:id. `pathId` is null for /v1/jobs. */
export function handleRegister(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, pathId: string | null): FastifyReply {
  const q = req.query as Query;
  const { body, job: apiJob } = registerRequest(req, pathId);
  // The decoded job belongs to this request, so the winning namespace and region are written into it.
  const namespace = jobRequestNamespace(q, body, apiJob);
  apiJob.Region = jobRequestRegion(q, body, apiJob);
  apiJob.Namespace = namespace;
  authorize(req, apiJob.Namespace, ['submit-job', 'register-job'], apiJob);
  const out = registerJob(ctx.store, {
    job: apiJob,
    enforceIndex: Boolean(body.EnforceIndex),
    jobModifyIndex: body.JobModifyIndex ?? 0,
    preserveCounts: Boolean(body.PreserveCounts),
    preserveResources: Boolean(body.PreserveResources),
    evalPriority: body.EvalPriority ?? 0,
    submission: body.Submission ?? null,
  });
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out, writeReplyJson(out));
}

/**
 * GET /v1/job/:id. A read that does not block answers at once and returns nothing (no promise for
 * Fastify to wait on: the answer is written); a blocking one returns the promise of its answer.
 */
export function handleJobRead(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> | undefined {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  if (opts.minIndex === 0) {
    answerJob(req, reply, getJob(ctx.store, opts.namespace, jobId));
    return undefined;
  }
  // The re-run reads the namespace alone: `opts` (a dozen parsed query fields) captured by it would
  // be kept by every parked reader (issue 16).
  const namespace = opts.namespace;
  return blockingQuery(ctx.store, reply, opts, ['jobs'], () => getJob(ctx.store, namespace, jobId)).then((res) => answerJob(req, reply, res));
}

function answerJob(req: FastifyRequest, reply: FastifyReply, res: ReturnType<typeof getJob>): FastifyReply {
  setReadMeta(reply, res.index);
  if (!res.job) throw new HttpError(404, 'job not found');
  return sendJson(req, reply, res.job, cachedJson(res.job));
}

export function handleDeregister(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): FastifyReply {
  const q = req.query as Query;
  const purge = parseBoolParam(q, 'purge');
  parseBoolParam(q, 'global');
  let evalPriority = 0;
  if (q.eval_priority !== undefined && q.eval_priority !== '') {
    const n = parseGoInt(q.eval_priority);
    if (n === null) {
      throw new HttpError(
        500,
        `Failed to parse value of "eval_priority" (${q.eval_priority}) as a int: strconv.Atoi: parsing ${JSON.stringify(q.eval_priority)}: invalid syntax`,
      );
    }
    if (n > 0) checkEvalPriority(n);
    evalPriority = n;
  }
  parseBoolParam(q, 'no_shutdown_delay', 'q');
  const out = deregisterJob(ctx.store, { namespace: q.namespace || 'default', jobId, purge, evalPriority });
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out);
}
