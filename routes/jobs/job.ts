// `/v1/job/*`: one wildcard route whose handler resolves the sub-resource like Nomad's
// JobSpecificRequest and applies each sub-resource's method rules (http-semantics §1.3).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { parseJobPath, type SubResource } from './path.js';
import { handleDeregister, handleJobRead, handleRegister } from './crud.js';
import { handleRevert, handleStable, handleSubmission, handleVersions } from './history.js';
import { handleTag } from './tag.js';
import {
  handleActions,
  handleAllocations,
  handleDeployments,
  handleEvaluate,
  handleEvaluations,
  handleLatestDeployment,
  handleServices,
  handleSummary,
} from './children.js';
import { jobPathSchema } from './schemas.js';
import { handlePlan, handleScale } from './scale.js';
import { handleDispatch, handleDispatchPayload, handlePeriodicForce } from './launch.js';

type Handler = (ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string, tag?: string) => Promise<FastifyReply> | FastifyReply;

const WRITE = ['PUT', 'POST'];
const GET = ['GET'];
const ANY = null;

/** Sub-resource → accepted methods (null: Nomad does not check) → handler. */
const TABLE: Partial<Record<SubResource, [string[] | null, Handler]>> = {
  evaluate: [WRITE, handleEvaluate],
  allocations: [GET, handleAllocations],
  evaluations: [GET, handleEvaluations],
  summary: [ANY, handleSummary],
  versions: [ANY, handleVersions],
  revert: [WRITE, handleRevert],
  deployments: [GET, handleDeployments],
  deployment: [GET, handleLatestDeployment],
  stable: [WRITE, handleStable],
  services: [GET, handleServices],
  // The submission route parses `version` before it checks the method, so it checks it itself.
  submission: [ANY, handleSubmission],
  actions: [GET, handleActions],
  plan: [WRITE, handlePlan],
  scale: [ANY, handleScale],
  'periodic-force': [WRITE, handlePeriodicForce],
  dispatch: [WRITE, handleDispatch],
  'dispatch-payload': [WRITE, handleDispatchPayload],
  tag: [['PUT', 'POST', 'DELETE'], (ctx, req, reply, jobId, tag) => handleTag(ctx, req, reply, jobId, tag!)],
};

function handleJob(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> | FastifyReply {
  switch (req.method) {
    case 'GET':
      return handleJobRead(ctx, req, reply, jobId);
    case 'PUT':
    case 'POST':
      return handleRegister(ctx, req, reply, jobId);
    case 'DELETE':
      return handleDeregister(ctx, req, reply, jobId);
    default:
      throw invalidMethod();
  }
}

export function jobRoutes(app: App, ctx: RouteContext): void {
  app.all('/v1/job/*', { schema: jobPathSchema }, async (req, reply) => {
    const path = parseJobPath(req.raw.url ?? '');
    if (path.resource === 'job') return handleJob(ctx, req, reply, path.jobId);
    const entry = TABLE[path.resource];
    if (!entry) {
      throw new HttpError(501, `nomad-mock does not implement /v1/job/:id/${path.resource.replace('-', '/')} yet`);
    }
    const [methods, handler] = entry;
    if (methods && !methods.includes(req.method)) throw invalidMethod();
    return handler(ctx, req, reply, path.jobId, path.tagName);
  });

  // Go's ServeMux redirects a subtree root without its slash.
  app.all('/v1/job', async (req, reply) => {
    const url = req.raw.url ?? '';
    const q = url.indexOf('?');
    return reply.code(301).header('location', `/v1/job/${q < 0 ? '' : url.slice(q)}`).send();
  });
}
