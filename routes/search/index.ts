// `/v1/search` and `/v1/search/fuzzy` (command/agent/search_endpoint.go): PUT or POST, the body
// decoded as structs.SearchRequest / FuzzySearchRequest, then the query string's options over it.
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { invalidMethod } from '../http/errors.js';
import { sendJson, setReadMeta } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { decodeBody } from '../http/body.js';
import { ErrorText, ReadQuery } from '../http/schemas.js';
import { authenticatedRule, lazyBody, str, type AclDecl } from '../acl/rules.js';
import { requestAcl } from '../acl/authorize.js';
import { fuzzySearch, prefixSearch } from '../../state/search/search.js';
import type { Obj } from '../../state/types.js';

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Unknown(), '4xx': ErrorText, '5xx': ErrorText },
};

const WRITE = new Set(['PUT', 'POST']);

/** s.parse over the decoded body: the query's namespace and prefix win, else the body's, else defaults. */
function options(ctx: RouteContext, req: FastifyRequest, body: Obj) {
  const q = req.query as Query;
  parseQueryOptions(q, ctx.config.region);
  return { namespace: q.namespace || str(body.Namespace) || 'default' };
}

export function searchRoutes(app: App, ctx: RouteContext): void {
  const acl = (root: 'SearchRequest' | 'FuzzySearchRequest'): AclDecl => (req) => {
    if (!WRITE.has(req.method)) return null;
    const body = lazyBody(req, root);
    return {
      ...authenticatedRule(() => {
        decodeBody(req, root);
        parseQueryOptions(req.query as Query, ctx.config.region);
      }),
      bodyToken: () => str(body()?.AuthToken),
    };
  };

  app.all('/v1/search', { schema, config: { acl: acl('SearchRequest') } }, async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    const body = (decodeBody(req, 'SearchRequest') as Obj | null) ?? {};
    const { namespace } = options(ctx, req, body);
    const out = prefixSearch(ctx.store, { namespace, context: str(body.Context), prefix: str(body.Prefix), acl: requestAcl(req) });
    setReadMeta(reply, out.index);
    return sendJson(req, reply, { Matches: out.Matches, Truncations: out.Truncations, Index: out.index, LastContact: 0, KnownLeader: true, NextToken: '' });
  });

  app.all('/v1/search/fuzzy', { schema, config: { acl: acl('FuzzySearchRequest') } }, async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    const body = (decodeBody(req, 'FuzzySearchRequest') as Obj | null) ?? {};
    const { namespace } = options(ctx, req, body);
    // The request's own Prefix is QueryOptions.Prefix (the body's, or ?prefix=): the UUID contexts use it, not Text.
    const prefix = (req.query as Query).prefix || str(body.Prefix);
    const out = fuzzySearch(ctx.store, { namespace, context: str(body.Context), text: str(body.Text), prefix, acl: requestAcl(req) });
    setReadMeta(reply, out.index);
    return sendJson(req, reply, { Matches: out.Matches, Truncations: out.Truncations, Index: out.index, LastContact: 0, KnownLeader: true, NextToken: '' });
  });
}
