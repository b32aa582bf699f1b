// ACL mode (`--acl`): the /v1/acl endpoints clients use (bootstrap, tokens, policies) and one global
// preHandler that authenticates every request and enforces the namespace capability of its route
// from a central table (http-semantics §7), so the route files stay free of ACL logic. Register and
// plan are authorised after job validation, by `authorize()` called from their handlers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { registerRequest } from '../jobs/crud.js';
import { planRequest } from '../jobs/scale.js';
import { requireJobId } from '../jobs/history.js';
import { evaluateRequest } from '../jobs/children.js';
import { validateRequest } from '../jobs/validate.js';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { decodeBody, parseGoJson, rawBody } from '../http/body.js';
import { GoSyntaxError } from '../../state/jobspec/decode-scanner.js';
import { sendEmpty, sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseBoolParam, parseQueryOptions, writeNamespace, type Query } from '../http/query.js';
import { parseGoBool, parseGoDuration, parseGoUint } from '../../state/godur.js';
import { compileListFilter } from '../http/filter.js';
import { decodePath, parseJobPath, type JobPath } from '../jobs/path.js';
import { goQueryValues, parseEventTopics } from '../events/index.js';
import { decodeRequest, type RequestRoot } from '../../state/jobspec/decode.js';
import { formatMultiError } from '../../state/jobspec/multierror.js';
import { prepareJob } from '../../state/jobs/ops.js';
import { RpcError } from '../../state/errors.js';
import type { Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import {
  Acl,
  bootstrapAcl,
  deletePolicy,
  deleteToken,
  getPolicy,
  listPolicies,
  listTokens,
  resolveSecret,
  tokenByAccessor,
  tokenBySecret,
  tokenTableIndex,
  upsertPolicy,
  upsertToken,
  type Resolution,
} from '../../state/acl/acl.js';

const PERMISSION_DENIED = 'Permission denied';
const denied = (): HttpError => new HttpError(403, PERMISSION_DENIED);

// ---------------------------------------------------------------------------------------------
// Tokens on the request

/** `X-Nomad-Token` (trimmed), else the first word after `Authorization: Bearer` (http-semantics §7.1). */
export function headerToken(req: FastifyRequest): string {
  const raw = req.headers['x-nomad-token'];
  const x = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
  if (x !== '') return x;
  const auth = req.headers.authorization;
  if (auth) {
    const parts = auth.split(' ');
    if (parts.length >= 2 && parts[0]!.toLowerCase() === 'bearer') return parts[1]!;
  }
  return '';
}

/** What the hook learnt about a request, for `authorize()` in the register and plan handlers. */
const resolved = new WeakMap<FastifyRequest, { store: Store; acl: Acl }>();

/**
 * Register/plan authorisation, called by the handler once the request passed the agent's checks and
 * before the write: a token without any of `capability` gets the job's validation error first (as
 * Nomad validates before it authorises), else `403 Permission denied`. A no-op when ACLs are off.
 */
export function authorize(req: FastifyRequest, namespace: string, capability: string | string[], job?: Obj): void {
  const state = resolved.get(req);
  if (!state) return;
  const caps = Array.isArray(capability) ? capability : [capability];
  if (caps.some((c) => state.acl.allowNs(namespace, c))) return;
  if (job) {
    const { errors } = prepareJob(state.store, job);
    if (errors.length > 0) throw new RpcError(formatMultiError(errors));
  }
  throw denied();
}

/** Authentication failures as the agent itself reports them (`/v1/jobs/parse`, `/v1/agent/self`, token reads). */
function agentAuthError(reason: 'not-found' | 'expired' | 'invalid'): HttpError {
  if (reason === 'not-found') return denied();
  const prefix = 'ACL token not found or invalid workload identity: ';
  if (reason === 'expired') return new HttpError(500, `${prefix}ACL token expired`);
  return new HttpError(500, `${prefix}failed to parse signed token: go-jose/go-jose: compact JWS format must have three parts`);
}

// ---------------------------------------------------------------------------------------------
// The capability table

type Check =
  | { kind: 'ns'; caps: string[]; namespace: string }
  | { kind: 'ns-any'; namespace: string }
  | { kind: 'agent-read' | 'node-read' | 'node-write' | 'management' }
  | { kind: 'all'; checks: Check[] };

interface Rule {
  check: Check;
  /** The agent's own checks that run before authentication (query parsing, body decoding, ID matches). */
  pre?: () => void;
  /** Register/plan: only authenticate here; the handler authorises after validation. */
  deferred?: boolean;
  /** A token carried in the body when no header carries one (`AuthToken`, or `SecretID` on register/plan). */
  bodyToken?: () => string;
  /** Resolved by the agent itself (parse, agent/self): its own texts for authentication failures. */
  agentResolves?: boolean;
  /** On `namespace=*` lists, only namespaces granting this capability are returned. */
  listFilter?: string;
}

function permits(acl: Acl, c: Check): boolean {
  switch (c.kind) {
    case 'ns':
      return c.caps.some((cap) => acl.allowNs(c.namespace, cap));
    case 'ns-any':
      return acl.allowNamespace(c.namespace);
    case 'agent-read':
      return acl.allowAgentRead();
    case 'node-read':
      return acl.allowNodeRead();
    case 'node-write':
      return acl.allowNodeWrite();
    case 'management':
      return acl.management;
    case 'all':
      return c.checks.every((x) => permits(acl, x));
  }
}

const WRITE = new Set(['PUT', 'POST']);

/** A request body decoded once, as the handler will decode it (null when absent or undecodable). */
function lazyBody(req: FastifyRequest, root: RequestRoot): () => Obj | null {
  let done = false;
  let value: Obj | null = null;
  return () => {
    if (!done) {
      done = true;
      const raw = rawBody(req);
      if (raw.length > 0) {
        const res = decodeRequest(root, raw);
        if (res.ok && res.value && typeof res.value === 'object') value = res.value as Obj;
      }
    }
    return value;
  };
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The register and plan checks that come before authentication (§5.3), shared with the handlers. */
function registerPre(req: FastifyRequest, pathId: string | null, plan: boolean): void {
  if (plan) planRequest(req, pathId ?? '');
  else registerRequest(req, pathId);
}

/** The route's ACL rule, or null for routes without one (and for requests the route itself rejects first). */
function ruleFor(req: FastifyRequest, ctx: RouteContext): Rule | null {
  const url = req.raw.url ?? '/';
  const qpos = url.indexOf('?');
  const path = qpos < 0 ? url : url.slice(0, qpos);
  const m = req.method;
  const q = req.query as Query;
  const qns = q.namespace || 'default';
  const read = (): void => {
    parseQueryOptions(q, ctx.config.region);
  };
  const ns = (caps: string[], namespace = qns): Check => ({ kind: 'ns', caps, namespace });
  const readRule = (caps = ['read-job'], namespace = qns): Rule => ({ check: ns(caps, namespace), pre: read });

  if (path === '/v1/jobs') {
    if (m === 'GET') return { ...readRule(['list-jobs']), listFilter: 'list-jobs' };
    if (WRITE.has(m)) return registerRule(req, null, false);
    return null;
  }
  if (path === '/v1/jobs/parse') return WRITE.has(m) ? { check: ns(['parse-job', 'submit-job']), agentResolves: true } : null;
  if (path === '/v1/jobs/statuses') return m === 'GET' || m === 'POST' ? readRule() : null;
  if (path.startsWith('/v1/job/')) {
    let jp: JobPath;
    try {
      jp = parseJobPath(url);
    } catch {
      return null;
    }
    return jobRule(req, ctx, jp);
  }
  if (path === '/v1/validate/job') {
    if (!WRITE.has(m)) return null;
    const body = lazyBody(req, 'JobValidateRequest');
    return {
      check: ns(['read-job'], str((body()?.Job as Obj | undefined)?.Namespace) || 'default'),
      pre: () => void validateRequest(req),
    };
  }
  if (path === '/v1/evaluations') return m === 'GET' ? { ...readRule(), listFilter: 'read-job' } : null;
  if (path === '/v1/evaluations/count') return m === 'GET' ? readRule() : null;
  if (path.startsWith('/v1/evaluation/')) {
    if (m !== 'GET') return null;
    const rest = decodePath(url).slice('/v1/evaluation/'.length);
    const id = rest.endsWith('/allocations') ? rest.slice(0, -'/allocations'.length) : rest;
    return readRule(['read-job'], str(ctx.store.evals.get(id)?.Namespace) || qns);
  }
  if (path === '/v1/allocations') return m === 'GET' ? { ...readRule(), listFilter: 'read-job' } : null;
  if (path.startsWith('/v1/allocation/')) {
    const parts = decodePath(url).slice('/v1/allocation/'.length).split('/');
    if (parts.length > 2) return null;
    const allocNs = str(ctx.store.allocs.get(parts[0] ?? '')?.Namespace) || qns;
    if (parts[1] === 'stop') return WRITE.has(m) ? { check: ns(['alloc-lifecycle'], allocNs) } : null;
    return m === 'GET' ? readRule(['read-job'], allocNs) : null;
  }
  if (path === '/v1/deployments') return m === 'GET' ? { ...readRule(), listFilter: 'read-job' } : null;
  if (path.startsWith('/v1/deployment/')) return deploymentRule(req, ctx, decodePath(url).slice('/v1/deployment/'.length));
  if (path === '/v1/namespace') return WRITE.has(m) ? { check: { kind: 'management' } } : null;
  if (path.startsWith('/v1/namespace/')) {
    const name = decodePath(url).slice('/v1/namespace/'.length);
    if (name === '') return null;
    if (m === 'GET') return { check: { kind: 'ns-any', namespace: name }, pre: read };
    return WRITE.has(m) || m === 'DELETE' ? { check: { kind: 'management' } } : null;
  }
  if (path === '/v1/nodes') return m === 'GET' ? { check: { kind: 'node-read' }, pre: read } : null;
  if (path.startsWith('/v1/node/')) {
    const rest = decodePath(url).slice('/v1/node/'.length);
    if (['/evaluate', '/drain', '/eligibility', '/purge'].some((s) => rest.endsWith(s))) return WRITE.has(m) ? { check: { kind: 'node-write' } } : null;
    return m === 'GET' ? { check: { kind: 'node-read' }, pre: read } : null;
  }
  if (path === '/v1/agent/self') return m === 'GET' ? { check: { kind: 'agent-read' }, agentResolves: true } : null;
  if (path === '/v1/event/stream') return eventRule(url);
  // System.GarbageCollect and System.ReconcileJobSummaries: management only, after the agent's
  // method check and query parsing.
  if (path === '/v1/system/gc' || path === '/v1/system/reconcile/summaries') {
    return m === 'PUT' ? { check: { kind: 'management' }, pre: read } : null;
  }
  return null;
}

function registerRule(req: FastifyRequest, pathId: string | null, plan: boolean): Rule {
  const body = lazyBody(req, plan ? 'JobPlanRequest' : 'JobRegisterRequest');
  return {
    check: { kind: 'management' },
    deferred: true,
    bodyToken: () => str(body()?.SecretID),
    pre: () => registerPre(req, pathId, plan),
  };
}

/** Write routes whose body (a server struct) may carry `AuthToken` and `Namespace`. */
function bodyWriteRule(req: FastifyRequest, root: RequestRoot, caps: string[], pre: () => void): Rule {
  const body = lazyBody(req, root);
  return {
    check: { kind: 'ns', caps, namespace: writeNamespace(req.query as Query, str(body()?.Namespace) || undefined) },
    bodyToken: () => str(body()?.AuthToken),
    pre,
  };
}

function jobRule(req: FastifyRequest, ctx: RouteContext, jp: JobPath): Rule | null {
  const m = req.method;
  const q = req.query as Query;
  const qns = q.namespace || 'default';
  const read = (): void => {
    parseQueryOptions(q, ctx.config.region);
  };
  const rule = (caps: string[], pre?: () => void): Rule => ({ check: { kind: 'ns', caps, namespace: qns }, pre });
  const id = jp.jobId;
  const jobIdBody = (root: RequestRoot) => (): void => void requireJobId(decodeBody(req, root) as Obj | null, id);

  switch (jp.resource) {
    case 'job':
      if (m === 'GET') return rule(['read-job'], read);
      if (WRITE.has(m)) return registerRule(req, id, false);
      if (m === 'DELETE') {
        const purge = q.purge !== undefined && q.purge !== '' && parseGoBool(q.purge) === true;
        return rule(purge ? ['submit-job', 'purge-job'] : ['submit-job', 'purge-job', 'deregister-job'], () => {
          parseBoolParam(q, 'purge');
          parseBoolParam(q, 'global');
        });
      }
      return null;
    case 'evaluate':
      if (!WRITE.has(m)) return null;
      return bodyWriteRule(req, 'JobEvaluateRequest', ['submit-job', 'evaluate-job'], () => void evaluateRequest(req, id));
    case 'allocations':
    case 'evaluations':
    case 'deployments':
    case 'deployment':
    case 'services':
    case 'actions':
      return m === 'GET' ? rule(['read-job'], read) : null;
    case 'summary':
    case 'versions':
      return rule(['read-job'], read);
    case 'submission':
      return m === 'GET'
        ? rule(['read-job'], () => {
            if (q.version === undefined || parseGoUint(q.version) === null) throw new HttpError(400, 'Unable to parse job submission version parameter');
            read();
          })
        : null;
    case 'periodic-force':
      return WRITE.has(m) ? rule(['dispatch-job', 'submit-job', 'force-periodic-job']) : null;
    case 'plan':
      return WRITE.has(m) ? registerRule(req, id, true) : null;
    case 'dispatch':
      if (!WRITE.has(m)) return null;
      return bodyWriteRule(req, 'JobDispatchRequest', ['dispatch-job'], () => {
        const body = (decodeBody(req, 'JobDispatchRequest') as Obj | null) ?? {};
        if (body.JobID && body.JobID !== id) throw new HttpError(400, 'Job ID does not match');
      });
    case 'dispatch-payload':
      return WRITE.has(m) ? rule(['dispatch-job']) : null;
    case 'revert':
      return WRITE.has(m) ? bodyWriteRule(req, 'JobRevertRequest', ['submit-job', 'revert-job'], jobIdBody('JobRevertRequest')) : null;
    case 'stable':
      return WRITE.has(m) ? bodyWriteRule(req, 'JobStabilityRequest', ['submit-job', 'stable-job'], jobIdBody('JobStabilityRequest')) : null;
    case 'scale':
      if (m === 'GET') return rule(['read-job', 'read-job-scaling'], read);
      if (!WRITE.has(m)) return null;
      return rule(['scale-job', 'submit-job'], () => {
        const body = (decodeBody(req, 'ScalingRequest') as Obj | null) ?? {};
        const target = (body.Target as Record<string, string> | null) ?? {};
        if (target.Job && target.Job !== id) throw new HttpError(400, 'job ID in payload did not match URL');
        if (target.Namespace && target.Namespace !== writeNamespace(q)) throw new HttpError(400, 'namespace in payload did not match header');
      });
    case 'tag':
      if (m === 'DELETE') return rule(['submit-job', 'tag-job-version']);
      return WRITE.has(m) ? rule(['submit-job', 'tag-job-version'], () => void decodeBody(req, 'TagVersionRequest')) : null;
    default:
      return null;
  }
}

const DEPLOYMENT_ACTIONS: Record<string, [string, RequestRoot | null]> = {
  fail: ['fail-deployment', null],
  pause: ['pause-deployment', 'DeploymentPauseRequest'],
  promote: ['promote-deployment', 'DeploymentPromoteRequest'],
  'allocation-health': ['set-alloc-health-deployment', 'DeploymentAllocHealthRequest'],
  unblock: ['unblock-deployment', null],
};

function deploymentRule(req: FastifyRequest, ctx: RouteContext, rest: string): Rule | null {
  const m = req.method;
  const q = req.query as Query;
  const slash = rest.indexOf('/');
  const action = slash < 0 ? '' : rest.slice(0, slash);
  const id = slash < 0 ? rest : rest.slice(slash + 1);
  const depNs = str(ctx.store.deployments.get(id)?.Namespace) || q.namespace || 'default';
  const read = (): void => {
    parseQueryOptions(q, ctx.config.region);
  };
  const act = DEPLOYMENT_ACTIONS[action];
  if (act) {
    if (!WRITE.has(m)) return null;
    const [cap, root] = act;
    return {
      check: { kind: 'ns', caps: ['submit-job', cap], namespace: depNs },
      pre: () => {
        if (!root) return;
        const body = (decodeBody(req, root) as Obj | null) ?? {};
        if (!body.DeploymentID) throw new HttpError(400, 'DeploymentID must be specified');
        if (body.DeploymentID !== id) throw new HttpError(400, 'Deployment ID does not match');
      },
    };
  }
  if (m !== 'GET') return null;
  return { check: { kind: 'ns', caps: ['read-job'], namespace: action === 'allocations' ? depNs : str(ctx.store.deployments.get(rest)?.Namespace) || q.namespace || 'default' }, pre: read };
}

/** The event stream: job-ish topics need read-job, node topics node read, `*` or others management. */
function eventRule(url: string): Rule | null {
  let topics: Map<string, string[]>;
  const values = goQueryValues(url);
  try {
    topics = parseEventTopics(values.get('topic'));
  } catch {
    return null;
  }
  const namespace = values.get('namespace')?.[0] || 'default';
  const checks: Check[] = [];
  for (const topic of topics.keys()) {
    if (['Deployment', 'Evaluation', 'Allocation', 'Job', 'Service'].includes(topic)) checks.push({ kind: 'ns', caps: ['read-job'], namespace });
    else if (topic === 'Node' || topic === 'NodePool') checks.push({ kind: 'node-read' });
    else checks.push({ kind: 'management' });
  }
  return { check: { kind: 'all', checks } };
}

/**
 * `namespace=*` lists: keep only the namespaces the token may see by folding a namespace condition
 * into the request's `filter` (Nomad filters before its ACL selector, so paging is unaffected).
 */
function restrictList(req: FastifyRequest, store: Store, acl: Acl, cap: string): void {
  const q = req.query as Query;
  if (q.namespace !== '*' || acl.management) return;
  const names = [...store.namespaces.keys()].filter((n) => acl.allowNs(n, cap)).sort();
  let expr = names.length > 0 ? names.map((n) => `Namespace == ${JSON.stringify(n)}`).join(' or ') : 'Namespace == ""';
  const path = (req.raw.url ?? '').split('?')[0];
  if (path === '/v1/evaluations' && !q.filter && (q.status || q.job)) {
    // /v1/evaluations refuses `filter` next to `status`/`job`, so those become part of the filter.
    if (q.status) expr = `(${expr}) and Status == ${JSON.stringify(q.status)}`;
    if (q.job) expr = `(${expr}) and JobID == ${JSON.stringify(q.job)}`;
    delete q.status;
    delete q.job;
  }
  if (q.filter) {
    try {
      compileListFilter(q.filter, new Set());
    } catch {
      return; // the route answers the syntax error itself
    }
    expr = `(${q.filter}) and (${expr})`;
  }
  q.filter = expr;
}

async function enforce(req: FastifyRequest, ctx: RouteContext): Promise<void> {
  const url = req.raw.url ?? '/';
  if (url.startsWith('/_mock/') || url.startsWith('/v1/acl/') || url === '/v1/acl') return;
  const rule = ruleFor(req, ctx);
  if (!rule) return;
  let secret = headerToken(req);
  if (secret === '' && rule.bodyToken) secret = rule.bodyToken();
  const res: Resolution = resolveSecret(ctx.store, secret);
  if (!res.ok) {
    if (rule.agentResolves) throw agentAuthError(res.reason);
    rule.pre?.();
    throw denied();
  }
  if (rule.deferred) {
    resolved.set(req, { store: ctx.store, acl: res.acl });
    return;
  }
  if (!permits(res.acl, rule.check)) {
    if (!rule.agentResolves) rule.pre?.();
    throw denied();
  }
  resolved.set(req, { store: ctx.store, acl: res.acl });
  if (rule.listFilter) restrictList(req, ctx.store, res.acl, rule.listFilter);
}

// ---------------------------------------------------------------------------------------------
// /v1/acl endpoints

/** ACL RPCs refuse to run when ACLs are off. */
function requireEnabled(ctx: RouteContext): void {
  if (!ctx.config.acl) throw new RpcError('ACL support disabled', 400);
}

/** The caller of an ACL RPC; most collapse authentication failures into `Permission denied`. */
function caller(req: FastifyRequest, ctx: RouteContext): { acl: Acl; token: Obj | null; secret: string } {
  const secret = headerToken(req);
  const res = resolveSecret(ctx.store, secret);
  if (!res.ok) throw denied();
  return { acl: res.acl, token: res.token, secret };
}

function requireManagement(req: FastifyRequest, ctx: RouteContext): void {
  if (!caller(req, ctx).acl.management) throw denied();
}

/** Go encoding/json into an ACL struct: case-insensitive keys; empty body and bad JSON are 400s. */
function decodeAclBody(req: FastifyRequest, struct: string): Obj {
  const raw = rawBody(req);
  if (raw.length === 0) throw new HttpError(400, 'Request body is empty');
  let value: unknown;
  try {
    value = parseGoJson(raw);
  } catch (err) {
    if (err instanceof GoSyntaxError) throw new HttpError(400, err.message);
    throw err;
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, `json: cannot unmarshal ${jsonKind(value)} into Go value of type structs.${struct}`);
  }
  return value as Obj;
}

const jsonKind = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v);

/** A field looked up the way encoding/json matches keys (exact first, then case-insensitively). */
function field(obj: Obj, name: string): unknown {
  if (name in obj) return obj[name];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

function typed<T>(obj: Obj, struct: string, name: string, kind: 'string' | 'boolean' | 'strings' | 'object' | 'array', goType: string): T | undefined {
  const v = field(obj, name);
  if (v === undefined || v === null) return undefined;
  const ok =
    kind === 'strings'
      ? Array.isArray(v) && v.every((x) => typeof x === 'string')
      : kind === 'array'
        ? Array.isArray(v)
        : kind === 'object'
          ? typeof v === 'object' && !Array.isArray(v)
          : typeof v === kind;
  if (!ok) {
    const got = kind === 'strings' && Array.isArray(v) ? jsonKind(v.find((x) => typeof x !== 'string')) : jsonKind(v);
    throw new HttpError(400, `json: cannot unmarshal ${got === 'boolean' ? 'bool' : got} into Go struct field ${struct}.${name} of type ${goType}`);
  }
  return v as T;
}

/** ExpirationTTL: a Go duration string or nanoseconds (ACLToken.UnmarshalJSON). */
function ttlField(obj: Obj): number {
  const v = field(obj, 'ExpirationTTL');
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string' && v !== '') {
    const ns = parseGoDuration(v);
    if (ns === null) throw new HttpError(400, `time: invalid duration ${JSON.stringify(v)}`);
    return ns;
  }
  return 0;
}

function timeField(obj: Obj): number | null {
  const v = typed<string>(obj, 'ACLToken', 'ExpirationTime', 'string', 'time.Time');
  if (v === undefined || v === '' || v.startsWith('0001-01-01')) return null;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new HttpError(400, `parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  return ms * 1e6;
}

function sendToken(req: FastifyRequest, reply: FastifyReply, token: Obj, index: number): FastifyReply {
  setWriteIndex(reply, index);
  return sendJson(req, reply, token);
}

function tokenUpdate(req: FastifyRequest, reply: FastifyReply, ctx: RouteContext, accessor: string): FastifyReply {
  const body = decodeAclBody(req, 'ACLToken');
  const bodyAccessor = typed<string>(body, 'ACLToken', 'AccessorID', 'string', 'string') ?? '';
  if (accessor !== '' && bodyAccessor !== accessor) throw new HttpError(400, 'ACL token accessor does not match request path');
  const input = {
    AccessorID: bodyAccessor,
    Name: typed<string>(body, 'ACLToken', 'Name', 'string', 'string') ?? '',
    Type: typed<string>(body, 'ACLToken', 'Type', 'string', 'string') ?? '',
    Policies: typed<string[]>(body, 'ACLToken', 'Policies', 'strings', '[]string') ?? [],
    Roles: (typed<Obj[]>(body, 'ACLToken', 'Roles', 'array', '[]*structs.ACLTokenRoleLink') ?? []).map((r) => ({ ID: str(field(r ?? {}, 'ID')), Name: str(field(r ?? {}, 'Name')) })),
    Global: typed<boolean>(body, 'ACLToken', 'Global', 'boolean', 'bool') ?? false,
    ExpirationTTL: ttlField(body),
    ExpirationTime: timeField(body),
  };
  requireEnabled(ctx);
  requireManagement(req, ctx);
  const out = upsertToken(ctx.store, input);
  return sendToken(req, reply, out.token, out.index);
}

export function aclRoutes(app: App, ctx: RouteContext): void {
  const { store } = ctx;

  app.all('/v1/acl/bootstrap', async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    let secret = '';
    if (rawBody(req).length > 0) {
      let body: Obj;
      try {
        body = decodeAclBody(req, 'ACLTokenBootstrapRequest');
      } catch (err) {
        throw new HttpError(400, `failed to decode request body: ${(err as Error).message}`);
      }
      secret = str(field(body, 'BootstrapSecret'));
    }
    requireEnabled(ctx);
    const out = bootstrapAcl(store, secret);
    return sendToken(req, reply, out.token, out.index);
  });

  app.all('/v1/acl/tokens', async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    requireEnabled(ctx);
    requireManagement(req, ctx);
    const out = listTokens(store, opts.prefix);
    setReadMeta(reply, out.index);
    return sendJson(req, reply, out.tokens);
  });

  app.all('/v1/acl/token', async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    return tokenUpdate(req, reply, ctx, '');
  });

  app.all('/v1/acl/token/*', async (req, reply) => {
    const rest = decodePath(req.raw.url ?? '').slice('/v1/acl/token/'.length);
    if (rest === 'self') {
      if (req.method !== 'GET') throw invalidMethod();
      parseQueryOptions(req.query as Query, ctx.config.region);
      requireEnabled(ctx);
      const rec = tokenBySecret(store, headerToken(req));
      setReadMeta(reply, rec ? (rec.view.ModifyIndex as number) : tokenTableIndex(store));
      if (!rec) throw new HttpError(404, 'ACL token not found');
      return sendJson(req, reply, rec.view);
    }
    if (rest === '') throw new HttpError(400, 'Missing Token Accessor');
    switch (req.method) {
      case 'GET': {
        parseQueryOptions(req.query as Query, ctx.config.region);
        requireEnabled(ctx);
        const res = resolveSecret(store, headerToken(req));
        if (!res.ok) throw agentAuthError(res.reason);
        const token = tokenByAccessor(store, rest);
        if (!res.acl.management && (!token || token.SecretID !== headerToken(req))) throw denied();
        setReadMeta(reply, token ? (token.ModifyIndex as number) : tokenTableIndex(store));
        if (!token) throw new HttpError(404, 'ACL token not found');
        return sendJson(req, reply, token);
      }
      case 'PUT':
      case 'POST':
        return tokenUpdate(req, reply, ctx, rest);
      case 'DELETE': {
        requireEnabled(ctx);
        requireManagement(req, ctx);
        const out = deleteToken(store, rest);
        setWriteIndex(reply, out.index);
        return sendEmpty(reply);
      }
      default:
        throw invalidMethod();
    }
  });

  app.all('/v1/acl/policies', async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    requireEnabled(ctx);
    const who = caller(req, ctx);
    const only = who.acl.management ? null : new Set((who.token?.Policies as string[] | null) ?? (who.token ? [] : ['anonymous']));
    const out = listPolicies(store, opts.prefix, only);
    setReadMeta(reply, out.index);
    return sendJson(req, reply, out.policies);
  });

  // Go's ServeMux redirects the subtree root without its slash.
  app.all('/v1/acl/policy', async (req, reply) => {
    const url = req.raw.url ?? '';
    const q = url.indexOf('?');
    return reply.code(301).header('location', `/v1/acl/policy/${q < 0 ? '' : url.slice(q)}`).send();
  });

  app.all('/v1/acl/policy/*', async (req, reply) => {
    const name = decodePath(req.raw.url ?? '').slice('/v1/acl/policy/'.length);
    if (name === '') throw new HttpError(400, 'Missing Policy Name');
    switch (req.method) {
      case 'GET': {
        parseQueryOptions(req.query as Query, ctx.config.region);
        requireEnabled(ctx);
        const who = caller(req, ctx);
        if (!who.acl.management && name !== 'anonymous' && !((who.token?.Policies as string[] | null) ?? []).includes(name)) throw denied();
        const out = getPolicy(store, name);
        setReadMeta(reply, out.index);
        if (!out.policy) throw new HttpError(404, 'ACL policy not found');
        return sendJson(req, reply, out.policy);
      }
      case 'PUT':
      case 'POST': {
        const body = decodeAclBody(req, 'ACLPolicy');
        const input = {
          Name: typed<string>(body, 'ACLPolicy', 'Name', 'string', 'string') ?? '',
          Description: typed<string>(body, 'ACLPolicy', 'Description', 'string', 'string') ?? '',
          Rules: typed<string>(body, 'ACLPolicy', 'Rules', 'string', 'string') ?? '',
          JobACL: (typed<Obj>(body, 'ACLPolicy', 'JobACL', 'object', 'structs.JobACL') ?? null) as Obj | null,
        };
        if (input.Name !== name) throw new HttpError(400, 'ACL policy name does not match request path');
        requireEnabled(ctx);
        requireManagement(req, ctx);
        const j = input.JobACL;
        const out = upsertPolicy(store, {
          ...input,
          JobACL: j ? { Namespace: str(field(j, 'Namespace')), JobID: str(field(j, 'JobID')), Group: str(field(j, 'Group')), Task: str(field(j, 'Task')) } : null,
        });
        setWriteIndex(reply, out.index);
        return sendEmpty(reply);
      }
      case 'DELETE': {
        requireEnabled(ctx);
        requireManagement(req, ctx);
        const out = deletePolicy(store, name);
        setWriteIndex(reply, out.index);
        return sendEmpty(reply);
      }
      default:
        throw invalidMethod();
    }
  });

  // One hook for every route, including those registered before this plugin: Fastify builds each
  // route's hook chain when the server becomes ready (test/acl.test.ts proves it).
  if (ctx.config.acl) {
    app.addHook('preHandler', async (req) => {
      await enforce(req, ctx);
    });
  }
}
