// `/v1/job/:id/versions/:name/tag`: PUT/POST tag a version, DELETE remove the tag.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { decodeBody } from '../http/body.js';
import { sendJson } from '../http/reply.js';
import { writeNamespace, type Query } from '../http/query.js';
import { tagVersion, untagVersion } from '../../state/jobs/tags.js';
import type { Obj } from '../../state/types.js';

export function handleTag(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string, name: string): FastifyReply {
  const namespace = writeNamespace(req.query as Query);
  if (req.method === 'DELETE') return sendJson(req, reply, untagVersion(ctx.store, namespace, jobId, name));
  const body = (decodeBody(req, 'TagVersionRequest') as Obj | null) ?? {};
  return sendJson(req, reply, tagVersion(ctx.store, namespace, jobId, name, body.Version ?? 0, body.Description ?? ''));
}
