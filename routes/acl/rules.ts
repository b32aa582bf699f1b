// The vocabulary a route uses to declare its ACL capability where it is mounted
// (`app.all(url, { config: { acl } }, handler)`); the authorizer (authorize.ts) reads the
// declaration of the route a request matched (http-semantics §7). Nothing here knows any route.
import type { FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { rawBody } from '../http/body.js';
import { parseQueryOptions, writeNamespace, type Query } from '../http/query.js';
import { decodeRequest, type RequestRoot } from '../../state/jobspec/decode.js';
import type { Obj } from '../../state/types.js';

export type Check =
  | { kind: 'ns'; caps: string[]; namespace: string }
  | { kind: 'ns-any'; namespace: string }
  | { kind: 'agent-read' | 'agent-write' | 'node-read' | 'node-write' | 'operator-read' | 'operator-write' | 'management' }
  | { kind: 'node-pool'; cap: string; pools: () => string[] }
  | { kind: 'all'; checks: Check[] };

export interface Rule {
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

/**
 * A route's ACL declaration: the rule for a request (null: this request needs none, e.g. a method
 * the route refuses itself), `'none'` for routes open to anyone (status, health, /_mock), or
 * `'self'` for the /v1/acl endpoints, which authenticate their callers themselves. A route mounted
 * without one is refused at start-up (routes/index.ts).
 */
export type AclDecl = 'none' | 'self' | ((req: FastifyRequest) => Rule | null);

declare module 'fastify' {
  interface FastifyContextConfig {
    acl?: AclDecl;
  }
}

export const WRITE = new Set(['PUT', 'POST']);

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The request's `namespace` query parameter, `default` when absent. */
export const queryNamespace = (req: FastifyRequest): string => (req.query as Query).namespace || 'default';

export const nsCheck = (caps: string[], namespace: string): Check => ({ kind: 'ns', caps, namespace });

/** The agent parses the query options of every read before it authenticates. */
export const readQuery = (req: FastifyRequest, ctx: RouteContext) => (): void => {
  parseQueryOptions(req.query as Query, ctx.config.region);
};

/** A read needing one of `caps` in `namespace` (the query's by default), after query parsing. */
export function readRule(req: FastifyRequest, ctx: RouteContext, caps = ['read-job'], namespace = queryNamespace(req)): Rule {
  return { check: nsCheck(caps, namespace), pre: readQuery(req, ctx) };
}

/**
 * Any valid token (anonymous included) passes; the handler filters or refuses by the ACL it gets
 * from `requestAcl(req)` (Nomad's RPCs that check capabilities per object or per context).
 */
export function authenticatedRule(pre?: () => void): Rule {
  return { check: { kind: 'all', checks: [] }, pre };
}

/** A list whose `namespace=*` form is narrowed to the namespaces granting `cap`. */
export function listRule(req: FastifyRequest, ctx: RouteContext, cap = 'read-job'): Rule {
  return { ...readRule(req, ctx, [cap]), listFilter: cap };
}

/** A request body decoded once, as the handler will decode it (null when absent or undecodable). */
export function lazyBody(req: FastifyRequest, root: RequestRoot): () => Obj | null {
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

/** Register and plan: authenticated here (token from the header or the body's SecretID), authorised by the handler. */
export function registerRule(req: FastifyRequest, root: RequestRoot, pre: () => void): Rule {
  const body = lazyBody(req, root);
  return {
    check: { kind: 'management' },
    deferred: true,
    bodyToken: () => str(body()?.SecretID),
    pre,
  };
}

/** Write routes whose body (a server struct) may carry `AuthToken` and `Namespace`. */
export function bodyWriteRule(req: FastifyRequest, root: RequestRoot, caps: string[], pre: () => void): Rule {
  const body = lazyBody(req, root);
  return {
    check: nsCheck(caps, writeNamespace(req.query as Query, str(body()?.Namespace) || undefined)),
    bodyToken: () => str(body()?.AuthToken),
    pre,
  };
}
