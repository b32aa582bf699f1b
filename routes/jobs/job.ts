// `/v1/job/*`: one wildcard route whose handler resolves the sub-resource like Nomad's
// JobSpecificRequest and applies each sub-resource's method rules (http-semantics §1.3). Each
// sub-resource declares its ACL capability (and the agent's checks that precede it) in its row.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { decodeBody } from '../http/body.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { parseBoolParam, writeNamespace, type Query } from '../http/query.js';
import { parseJobPath, type JobPath, type SubResource } from './path.js';
import { handleDeregister, handleJobRead, handleRegister, registerRequest } from './crud.js';
import { handleRevert, handleStable, handleSubmission, handleVersions, requireJobId } from './history.js';
import { handleTag } from './tag.js';
import {
  evaluateRequest,
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
import { handlePlan, handleScale, planRequest } from './scale.js';
import { handleDispatch, handleDispatchPayload, handlePeriodicForce } from './launch.js';
import { handleRunAction } from './action.js';
import { WRITE as WRITES, bodyWriteRule, nsCheck, queryNamespace, readQuery, readRule, registerRule, type AclDecl, type Rule } from '../acl/rules.js';
import { parseGoBool, parseGoUint } from '../../state/godur.js';
import type { RequestRoot } from '../../state/jobspec/decode.js';
import type { Obj } from '../../state/types.js';

type Handler = (ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string, tag?: string) => Promise<FastifyReply> | FastifyReply;

const WRITE = ['PUT', 'POST'];
const GET = ['GET'];
const ANY = null;

/** The rule of a sub-resource request whose method the row accepts. */
type JobAcl = (req: FastifyRequest, ctx: RouteContext, jp: JobPath) => Rule | null;

interface Row {
  /** Accepted methods (null: Nomad does not check). */
  methods: string[] | null;
  handler: Handler;
  acl: JobAcl;
}

/** Any of `caps` in the query's namespace, after the agent's own `pre` checks. */
const caps = (list: string[], pre?: (req: FastifyRequest, ctx: RouteContext, jp: JobPath) => void): JobAcl => (req, ctx, jp) => ({
  check: nsCheck(list, queryNamespace(req)),
  pre: pre && (() => pre(req, ctx, jp)),
});
const readJob: JobAcl = (req, ctx) => readRule(req, ctx);
/** Revert and stable: the body's JobID must match the path's. */
const jobIdBody = (root: RequestRoot, list: string[]): JobAcl => (req, _ctx, jp) =>
  bodyWriteRule(req, root, list, () => void requireJobId(decodeBody(req, root) as Obj | null, jp.jobId));

/** Sub-resource → accepted methods → handler → ACL rule. */
const TABLE: Record<Exclude<SubResource, 'job'>, Row> = {
  evaluate: {
    methods: WRITE,
    handler: handleEvaluate,
    acl: (req, _ctx, jp) => bodyWriteRule(req, 'JobEvaluateRequest', ['submit-job', 'evaluate-job'], () => void evaluateRequest(req, jp.jobId)),
  },
  allocations: { methods: GET, handler: handleAllocations, acl: readJob },
  evaluations: { methods: GET, handler: handleEvaluations, acl: readJob },
  summary: { methods: ANY, handler: handleSummary, acl: readJob },
  versions: { methods: ANY, handler: handleVersions, acl: readJob },
  revert: { methods: WRITE, handler: handleRevert, acl: jobIdBody('JobRevertRequest', ['submit-job', 'revert-job']) },
  deployments: { methods: GET, handler: handleDeployments, acl: readJob },
  deployment: { methods: GET, handler: handleLatestDeployment, acl: readJob },
  stable: { methods: WRITE, handler: handleStable, acl: jobIdBody('JobStabilityRequest', ['submit-job', 'stable-job']) },
  services: { methods: GET, handler: handleServices, acl: readJob },
  // The submission route parses `version` before it checks the method, so it checks it itself.
  submission: {
    methods: ANY,
    handler: handleSubmission,
    acl: (req, ctx, jp) =>
      req.method !== 'GET'
        ? null
        : caps(['read-job'], () => {
            const q = req.query as Query;
            if (q.version === undefined || parseGoUint(q.version) === null) throw new HttpError(400, 'Unable to parse job submission version parameter');
            readQuery(req, ctx)();
          })(req, ctx, jp),
  },
  actions: { methods: GET, handler: handleActions, acl: readJob },
  // Authenticated inside the stream, after the upgrade (action.ts); this row answers non-upgrades.
  action: { methods: ANY, handler: handleRunAction, acl: () => null },
  plan: {
    methods: WRITE,
    handler: handlePlan,
    acl: (req, _ctx, jp) => registerRule(req, 'JobPlanRequest', () => void planRequest(req, jp.jobId)),
  },
  scale: {
    methods: ANY,
    handler: handleScale,
    acl: (req, ctx, jp) => {
      if (req.method === 'GET') return readRule(req, ctx, ['read-job', 'read-job-scaling']);
      if (!WRITES.has(req.method)) return null;
      return caps(['scale-job', 'submit-job'], () => {
        const body = (decodeBody(req, 'ScalingRequest') as Obj | null) ?? {};
        const target = (body.Target as Record<string, string> | null) ?? {};
        if (target.Job && target.Job !== jp.jobId) throw new HttpError(400, 'job ID in payload did not match URL');
        if (target.Namespace && target.Namespace !== writeNamespace(req.query as Query)) throw new HttpError(400, 'namespace in payload did not match header');
      })(req, ctx, jp);
    },
  },
  'periodic-force': { methods: WRITE, handler: handlePeriodicForce, acl: caps(['dispatch-job', 'submit-job', 'force-periodic-job']) },
  dispatch: {
    methods: WRITE,
    handler: handleDispatch,
    acl: (req, _ctx, jp) =>
      bodyWriteRule(req, 'JobDispatchRequest', ['dispatch-job'], () => {
        const body = (decodeBody(req, 'JobDispatchRequest') as Obj | null) ?? {};
        if (body.JobID && body.JobID !== jp.jobId) throw new HttpError(400, 'Job ID does not match');
      }),
  },
  'dispatch-payload': { methods: WRITE, handler: handleDispatchPayload, acl: caps(['dispatch-job']) },
  tag: {
    methods: ['PUT', 'POST', 'DELETE'],
    handler: (ctx, req, reply, jobId, tag) => handleTag(ctx, req, reply, jobId, tag!),
    acl: (req, ctx, jp) =>
      req.method === 'DELETE'
        ? caps(['submit-job', 'tag-job-version'])(req, ctx, jp)
        : caps(['submit-job', 'tag-job-version'], () => void decodeBody(req, 'TagVersionRequest'))(req, ctx, jp),
  },
};

/** The job itself: read, register (authorised by the handler after validation), deregister. */
const jobAcl: JobAcl = (req, ctx, jp) => {
  const q = req.query as Query;
  if (req.method === 'GET') return readRule(req, ctx);
  if (WRITES.has(req.method)) return registerRule(req, 'JobRegisterRequest', () => void registerRequest(req, jp.jobId));
  if (req.method === 'DELETE') {
    const purge = q.purge !== undefined && q.purge !== '' && parseGoBool(q.purge) === true;
    return caps(purge ? ['submit-job', 'purge-job'] : ['submit-job', 'purge-job', 'deregister-job'], () => {
      parseBoolParam(q, 'purge');
      parseBoolParam(q, 'global');
    })(req, ctx, jp);
  }
  return null;
};

function ruleOf(req: FastifyRequest, ctx: RouteContext): Rule | null {
  let jp: JobPath;
  try {
    jp = parseJobPath(req.raw.url ?? '/');
  } catch {
    return null; // the handler answers the bad path itself
  }
  if (jp.resource === 'job') return jobAcl(req, ctx, jp);
  const row = TABLE[jp.resource];
  if (!row || (row.methods && !row.methods.includes(req.method))) return null;
  return row.acl(req, ctx, jp);
}

function handleJob(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, jobId: string): Promise<FastifyReply> | FastifyReply {
  switch (req.method) {
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
  const acl: AclDecl = (req) => ruleOf(req, ctx);
  app.all('/v1/job/*', { schema: jobPathSchema, config: { acl } }, (req, reply) => {
    const path = parseJobPath(req.raw.url ?? '');
    // The busiest read answers without a promise when it does not block (handleJobRead).
    if (path.resource === 'job' && req.method === 'GET') return handleJobRead(ctx, req, reply, path.jobId);
    // A register is answered as soon as its write is done (no promise either).
    if (path.resource === 'job' && (req.method === 'PUT' || req.method === 'POST')) {
      handleRegister(ctx, req, reply, path.jobId);
      return undefined;
    }
    return jobRoute(ctx, req, reply, path);
  });
}

async function jobRoute(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, path: JobPath): Promise<FastifyReply> {
  if (path.resource === 'job') return handleJob(ctx, req, reply, path.jobId);
  const entry = TABLE[path.resource];
  if (entry.methods && !entry.methods.includes(req.method)) throw invalidMethod();
  return entry.handler(ctx, req, reply, path.jobId, path.tagName);
}
