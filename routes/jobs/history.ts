// Versions, revert, stable and submissions of a job.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { decodeBody } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseBoolParam, parseQueryOptions, writeNamespace, type Query } from '../http/query.js';
import { parseGoUint } from '../../state/godur.js';
import { revertJob, setJobStability } from '../../state/jobs/history.js';
import { jobVersions } from '../../state/jobs/queries.js';
import { jobKey } from '../../state/store.js';
import type { Obj } from '../../state/types.js';

/** Body `JobID` of revert/stable: always required and always compared with the path. */
/** The body checks of revert and stable (JobID required and equal to the path). */
export function requireJobId(body: Obj | null, jobId: string): Obj {
  if (!body || !body.JobID) throw new HttpError(400, 'JobID must be specified');
  if (body.JobID !== jobId) throw new HttpError(400, 'Job ID does not match');
  return body;
}

export async function handleVersions(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> {
  const q = req.query as Query;
  const opts = parseQueryOptions(q, ctx.config.region);
  const diffs = parseBoolParam(q, 'diffs');
  let diffVersion: number | null = null;
  if (q.diff_version !== undefined && q.diff_version !== '') {
    diffVersion = parseGoUint(q.diff_version);
    if (diffVersion === null) {
      throw new HttpError(
        500,
        `Failed to parse value of "diff_version" (${q.diff_version}) as a uint64: strconv.ParseUint: parsing ${JSON.stringify(q.diff_version)}: invalid syntax`,
      );
    }
  }
  const diffTag = q.diff_tag ?? '';
  const res = await blockingQuery(ctx.store, reply, opts, ['job_version'], () =>
    jobVersions(ctx.store, opts.namespace, jobId, { diffs, diffVersion, diffTag }),
  );
  setReadMeta(reply, res.index);
  if (res.versions.length === 0) throw new HttpError(404, 'job versions not found');
  return sendJson(req, reply, {
    Versions: res.versions,
    Diffs: res.diffs,
    Index: res.index,
    LastContact: 0,
    KnownLeader: true,
    NextToken: '',
  });
}

export function handleRevert(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): FastifyReply {
  const body = requireJobId(decodeBody(req, 'JobRevertRequest') as Obj | null, jobId);
  const out = revertJob(ctx.store, {
    namespace: writeNamespace(req.query as Query, body.Namespace),
    jobId,
    jobVersion: body.JobVersion ?? 0,
    enforcePriorVersion: body.EnforcePriorVersion ?? null,
  });
  // Revert answers through setMeta with the register reply, which never fills leader info.
  setReadMeta(reply, out.Index, '', false);
  return sendJson(req, reply, out);
}

export function handleStable(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): FastifyReply {
  const body = requireJobId(decodeBody(req, 'JobStabilityRequest') as Obj | null, jobId);
  const out = setJobStability(ctx.store, {
    namespace: writeNamespace(req.query as Query, body.Namespace),
    jobId,
    jobVersion: body.JobVersion ?? 0,
    stable: Boolean(body.Stable),
  });
  setWriteIndex(reply, out.Index);
  return sendJson(req, reply, out);
}

export async function handleSubmission(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> {
  const q = req.query as Query;
  const version = q.version === undefined ? null : parseGoUint(q.version);
  if (version === null) throw new HttpError(400, 'Unable to parse job submission version parameter');
  if (req.method !== 'GET') throw new HttpError(405, 'Invalid method');
  const opts = parseQueryOptions(q, ctx.config.region);
  const res = await blockingQuery(ctx.store, reply, opts, ['jobs', 'job_version'], () => {
    const sub = ctx.store.submissions.get(jobKey(opts.namespace, jobId))?.get(version);
    return { sub, index: sub ? sub.JobModifyIndex : 0 };
  });
  setReadMeta(reply, res.index);
  if (!res.sub) throw new HttpError(404, 'job source not found');
  return sendJson(req, reply, res.sub);
}

