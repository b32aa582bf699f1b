// ACL mode (`--acl`): one global preHandler authenticates every request and enforces the rule its
// route declared (rules.ts, http-semantics §7), so no table here repeats the routes. Register and
// plan are authorised after job validation, by `authorize()` called from their handlers.
import type { FastifyRequest } from 'fastify';
import { routeConfig, type App, type RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import type { Query } from '../http/query.js';
import { compileListFilter } from '../http/filter.js';
import type { AclDecl, Check, Rule } from './rules.js';
import { formatMultiError } from '../../state/jobspec/multierror.js';
import { prepareJob } from '../../state/jobs/ops.js';
import { RpcError } from '../../state/errors.js';
import type { Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import type { Acl } from '../../state/acl/acl.js';
import { resolveSecret, type Resolution } from '../../state/acl/resolve.js';

const PERMISSION_DENIED = 'Permission denied';
export const denied = (): HttpError => new HttpError(403, PERMISSION_DENIED);

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

/**
 * The ACL the hook resolved for a request, for handlers that authorise (`deferred` rules) or filter
 * what they return by it (variables, node pool lists, search, scaling policies, services); null when ACLs are off or the route needed no
 * token (everything is visible).
 */
export function requestAcl(req: FastifyRequest): Acl | null {
  return resolved.get(req)?.acl ?? null;
}

/** Authentication failures as the agent itself reports them (`/v1/jobs/parse`, `/v1/agent/self`, token reads). */
export function agentAuthError(reason: 'not-found' | 'expired' | 'invalid'): HttpError {
  if (reason === 'not-found') return denied();
  const prefix = 'ACL token not found or invalid workload identity: ';
  if (reason === 'expired') return new HttpError(500, `${prefix}ACL token expired`);
  return new HttpError(500, `${prefix}failed to parse signed token: go-jose/go-jose: compact JWS format must have three parts`);
}

function permits(acl: Acl, c: Check): boolean {
  switch (c.kind) {
    case 'ns':
      return c.caps.some((cap) => acl.allowNs(c.namespace, cap));
    case 'ns-any':
      return acl.allowNamespace(c.namespace);
    case 'agent-read':
      return acl.allowAgentRead();
    case 'agent-write':
      return acl.allowAgentWrite();
    case 'node-read':
      return acl.allowNodeRead();
    case 'node-write':
      return acl.allowNodeWrite();
    case 'operator-read':
      return acl.allowOperatorRead();
    case 'operator-write':
      return acl.allowOperatorWrite();
    case 'node-pool':
      return c.pools().every((p) => acl.allowNodePool(p, c.cap));
    case 'management':
      return acl.management;
    case 'all':
      return c.checks.every((x) => permits(acl, x));
  }
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

/** A route mounted without a declaration (the server refuses those at start-up): management only. */
const UNDECLARED: Rule = { check: { kind: 'management' } };

async function enforce(req: FastifyRequest, ctx: RouteContext): Promise<void> {
  const route = routeConfig(req);
  if (route?.url === undefined) return; // no route matched: the 404 needs no token
  const decl = route.acl as AclDecl | undefined;
  if (decl === 'none' || decl === 'self') return;
  const rule = decl ? decl(req) : UNDECLARED;
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

/**
 * One hook for every route, including those registered before it: Fastify builds each route's hook
 * chain when the server becomes ready (test/acl.test.ts proves it).
 */
export function installAuthorizer(app: App, ctx: RouteContext): void {
  if (!ctx.config.acl) return;
  app.addHook('preHandler', async (req) => {
    await enforce(req, ctx);
  });
}
