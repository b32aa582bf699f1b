// `PUT|POST /v1/validate/job`: the register validators without a write; always 200 with a report.
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { decodeBody } from '../http/body.js';
import { sendJson } from '../http/reply.js';
import { ErrorText, Nullable, WriteQuery } from '../http/schemas.js';
import { prepareJob } from '../../state/jobs/ops.js';
import { formatItem, formatMultiError, formatWarnings } from '../../state/jobspec/multierror.js';
import type { Obj } from '../../state/types.js';
import { WRITE, lazyBody, nsCheck, str, type AclDecl } from '../acl/rules.js';

export const JobValidateResponse = Type.Object(
  {
    DriverConfigValidated: Type.Boolean(),
    ValidationErrors: Nullable(Type.Array(Type.String())),
    Error: Type.String(),
    Warnings: Type.String(),
  },
  { additionalProperties: false },
);

/** The body check of validate, before any RPC (and before ACL authorisation). */
export function validateRequest(req: FastifyRequest): Obj {
  const body = decodeBody(req, 'JobValidateRequest') as Obj | null;
  if (!body?.Job) throw new HttpError(400, 'Job must be specified');
  return body;
}

export function validateRoutes(app: App, ctx: RouteContext): void {
  const schema = { querystring: WriteQuery, response: { 200: JobValidateResponse, '4xx': ErrorText, '5xx': ErrorText } };
  const acl: AclDecl = (req) => {
    if (!WRITE.has(req.method)) return null;
    const body = lazyBody(req, 'JobValidateRequest');
    return {
      check: nsCheck(['read-job'], str((body()?.Job as Obj | undefined)?.Namespace) || 'default'),
      pre: () => void validateRequest(req),
    };
  };
  app.all('/v1/validate/job', { schema, config: { acl } }, async (req, reply) => {
    if (req.method !== 'PUT' && req.method !== 'POST') throw invalidMethod();
    const body = validateRequest(req);
    // The request namespace is forced to the job's own (after API canonicalisation).
    const apiJob = { ...body.Job, Namespace: body.Job.Namespace || 'default', Region: body.Region || body.Job.Region || '' };
    const { errors, warnings } = prepareJob(ctx.store, apiJob);
    return sendJson(req, reply, {
      DriverConfigValidated: true,
      ValidationErrors: errors.length > 0 ? errors.map(formatItem) : null,
      Error: errors.length > 0 ? formatMultiError(errors) : '',
      Warnings: formatWarnings(warnings),
    });
  });
}
