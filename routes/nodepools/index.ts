// `/v1/node/pools` and `/v1/node/pool/:name` (+ `/nodes`, `/jobs`): command/agent/node_pool_endpoint.go
// over nomad/node_pool_endpoint.go. Pools are looked up through state/nodepools/table.ts only.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { compileJobFilter, compileListFilter } from '../http/filter.js';
import { sendEmpty, sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseBoolParam, parseQueryOptions, type Query } from '../http/query.js';
import { decodeBody } from '../http/body.js';
import { decodePath } from '../http/path.js';
import { goRedirect } from '../http/fallback.js';
import { ErrorText, Index, Nullable, ReadQuery, StringMap } from '../http/schemas.js';
import { lazyBody, readQuery, str, WRITE, type AclDecl, type Rule } from '../acl/rules.js';
import { requestAcl } from '../acl/authorize.js';
import { NODE_MAP_FIELDS } from '../nodes/index.js';
import { paginate } from '../../state/paginate.js';
import { jobStub, jobsInOrder } from '../../state/jobs/queries.js';
import { nodeStub } from '../../state/nodes/table.js';
import { deleteNodePool, nodePoolsIndex, nodesInPool, poolByName, poolsInOrder, upsertNodePool } from '../../state/nodepools/table.js';
import { parseGoDuration } from '../../state/godur.js';
import type { Job, Obj } from '../../state/types.js';

export const NodePool = Type.Object({
  Name: Type.String(),
  Description: Type.String(),
  Meta: StringMap,
  SchedulerConfiguration: Nullable(Type.Object({ SchedulerAlgorithm: Type.String(), MemoryOversubscriptionEnabled: Nullable(Type.Boolean()) })),
  NodeIdentityTTL: Type.Integer(),
  Hash: Nullable(Type.String()),
  CreateIndex: Index,
  ModifyIndex: Index,
});

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Union([NodePool, Type.Array(Type.Unknown()), Type.Null()]), '4xx': ErrorText, '5xx': ErrorText },
};

const POOL_MAP_FIELDS = new Set(['Meta']);
const PREFIX = '/v1/node/pool/';

type Sub = { kind: 'crud' | 'nodes' | 'jobs'; name: string };

/** NodePoolSpecificRequest's routing: a `/nodes` or `/jobs` suffix, else the pool itself. */
function subResource(req: FastifyRequest): Sub {
  const rest = decodePath(req.raw.url ?? '').slice(PREFIX.length);
  if (rest.endsWith('/nodes')) return { kind: 'nodes', name: rest.slice(0, -'/nodes'.length) };
  if (rest.endsWith('/jobs')) return { kind: 'jobs', name: rest.slice(0, -'/jobs'.length) };
  return { kind: 'crud', name: rest };
}

/** The body as the agent decodes it into structs.NodePool (its UnmarshalJSON reads a TTL string or number). */
function decodePool(req: FastifyRequest): Obj {
  const body = (decodeBody(req, 'NodePool') as Obj | null) ?? {};
  const ttl = body.NodeIdentityTTL;
  if (typeof ttl === 'string') {
    if (ttl === '') delete body.NodeIdentityTTL;
    else {
      const ns = parseGoDuration(ttl);
      if (ns === null) throw new HttpError(400, `time: invalid duration ${JSON.stringify(ttl)}`);
      body.NodeIdentityTTL = ns;
    }
  } else if (typeof ttl === 'number') body.NodeIdentityTTL = Math.trunc(ttl);
  else delete body.NodeIdentityTTL;
  return body;
}

function checkPathName(body: Obj, pathName: string): void {
  if (pathName !== '' && body.Name !== pathName) throw new HttpError(400, 'Node pool name does not match request path');
}

/** The bool fields of the node stub: a bad value is a 400 here (parseNodeListStubFields). */
function nodeFields(q: Query): { resources: boolean; os: boolean } {
  try {
    return { resources: parseBoolParam(q, 'resources'), os: parseBoolParam(q, 'os') };
  } catch (err) {
    if (err instanceof HttpError) throw new HttpError(400, `Failed to parse node list fields: ${err.message}`);
    throw err;
  }
}

function noPrefix(q: Query): void {
  if (q.prefix) throw new HttpError(400, 'prefix argument not allowed');
}

export function nodePoolRoutes(app: App, ctx: RouteContext): void {
  const { store } = ctx;

  const upsertRule = (req: FastifyRequest, pathName: string): Rule => {
    const body = lazyBody(req, 'NodePool');
    return {
      check: { kind: 'node-pool', cap: 'write', pools: () => [str(body()?.Name)] },
      pre: () => checkPathName(decodePool(req), pathName),
    };
  };
  const upsert = (req: FastifyRequest, reply: FastifyReply, pathName: string): FastifyReply => {
    const body = decodePool(req);
    checkPathName(body, pathName);
    setWriteIndex(reply, upsertNodePool(store, body));
    return sendEmpty(reply);
  };

  // Any authenticated caller may list; the answer holds only the pools the token may read.
  const list: AclDecl = (req) => {
    if (req.method === 'GET') return { check: { kind: 'all', checks: [] }, pre: readQuery(req, ctx) };
    return WRITE.has(req.method) ? upsertRule(req, '') : null;
  };
  app.all('/v1/node/pools', { schema, config: { acl: list } }, async (req, reply) => {
    if (WRITE.has(req.method)) return upsert(req, reply, '');
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    const filter = compileListFilter(opts.filter, POOL_MAP_FIELDS);
    const acl = requestAcl(req);
    const accept = (p: Obj): boolean => (!acl || acl.allowNodePool(p.Name, 'read')) && (!filter || filter(p));
    const res = await blockingQuery(store, reply, opts, ['node_pools'], () => {
      const pools = poolsInOrder(store, opts.prefix, opts.reverse);
      const page = paginate(pools, { perPage: opts.perPage, nextToken: opts.nextToken, reverse: opts.reverse, tokenOf: (p) => p.Name, accept });
      return { ...page, index: nodePoolsIndex(store) };
    });
    setReadMeta(reply, res.index, res.nextToken);
    return sendJson(req, reply, res.page);
  });

  // Go's ServeMux redirects the subtree root without its slash; without this route the node
  // read (/v1/node/:id) would take it.
  app.all('/v1/node/pool', { config: { acl: 'none' } }, async (req, reply) => {
    const url = req.raw.url ?? '';
    const q = url.indexOf('?');
    return goRedirect(req, reply, 301, `${PREFIX}${q < 0 ? '' : url.slice(q)}`);
  });

  const one: AclDecl = (req) => {
    const sub = subResource(req);
    const q = req.query as Query;
    const read = (cap: 'read', extra: Rule['check'][] = [], pre?: () => void): Rule => ({
      check: { kind: 'all', checks: [{ kind: 'node-pool', cap, pools: () => [sub.name] }, ...extra] },
      pre: () => {
        parseQueryOptions(q, ctx.config.region);
        pre?.();
      },
    });
    if (sub.kind === 'nodes') return req.method === 'GET' ? read('read', [{ kind: 'node-read' }], () => (nodeFields(q), noPrefix(q))) : null;
    if (sub.kind === 'jobs') return req.method === 'GET' ? read('read', [], () => (noPrefix(q), parseBoolParam(q, 'meta'))) : null;
    if (req.method === 'GET') return read('read');
    if (WRITE.has(req.method)) return upsertRule(req, sub.name);
    if (req.method === 'DELETE') return { check: { kind: 'node-pool', cap: 'delete', pools: () => [sub.name] } };
    return null;
  };
  app.all(`${PREFIX}*`, { schema, config: { acl: one } }, async (req, reply) => {
    const sub = subResource(req);
    const q = req.query as Query;
    if (sub.kind === 'nodes') {
      if (req.method !== 'GET') throw invalidMethod();
      const opts = parseQueryOptions(q, ctx.config.region);
      const fields = nodeFields(q);
      noPrefix(q);
      const filter = compileListFilter(opts.filter, NODE_MAP_FIELDS);
      const res = await blockingQuery(store, reply, opts, ['node_pools', 'nodes'], () => {
        if (!poolByName(store, sub.name)) return { page: [] as Obj[], nextToken: '', index: 0 };
        const nodes = nodesInPool(store, sub.name);
        const page = paginate(nodes, { perPage: opts.perPage, nextToken: opts.nextToken, reverse: opts.reverse, tokenOf: (n) => n.ID, accept: filter });
        return { ...page, index: Math.max(1, store.tableIndex('nodes')) };
      });
      setReadMeta(reply, res.index, res.nextToken);
      return sendJson(req, reply, res.page.map((n) => nodeStub(n, fields)));
    }
    if (sub.kind === 'jobs') {
      if (req.method !== 'GET') throw invalidMethod();
      const opts = parseQueryOptions(q, ctx.config.region);
      noPrefix(q);
      const meta = parseBoolParam(q, 'meta');
      const filter = compileJobFilter(opts.filter);
      const acl = requestAcl(req);
      const accept = (j: Job): boolean => (!acl || acl.allowNs(j.Namespace, 'list-jobs')) && (!filter || filter(j));
      const res = await blockingQuery(store, reply, opts, ['node_pools', 'jobs', 'job_summary'], () => {
        if (!poolByName(store, sub.name)) return { page: [] as Job[], nextToken: '', index: 0 };
        const jobs = opts.namespace === '*' ? jobsInOrder(store).filter((j) => j.NodePool === sub.name) : jobsInOrder(store).filter((j) => j.Namespace === opts.namespace && j.NodePool === sub.name);
        const ordered = opts.reverse ? [...jobs].reverse() : jobs;
        const page = paginate(ordered, { perPage: opts.perPage, nextToken: opts.nextToken, reverse: opts.reverse, tokenOf: (j) => `${j.Namespace}.${j.ID}`, accept });
        return { ...page, index: Math.max(store.tableIndex('jobs'), store.tableIndex('job_summary')) };
      });
      setReadMeta(reply, res.index, res.nextToken);
      return sendJson(req, reply, res.page.map((j) => jobStub(store, j, meta)));
    }
    switch (req.method) {
      case 'GET': {
        const opts = parseQueryOptions(q, ctx.config.region);
        const res = await blockingQuery(store, reply, opts, ['node_pools'], () => {
          const pool = poolByName(store, sub.name);
          return { pool, index: pool ? (pool.ModifyIndex as number) : nodePoolsIndex(store) };
        });
        setReadMeta(reply, res.index);
        if (!res.pool) throw new HttpError(404, 'node pool not found');
        return sendJson(req, reply, res.pool);
      }
      case 'PUT':
      case 'POST':
        return upsert(req, reply, sub.name);
      case 'DELETE':
        setWriteIndex(reply, deleteNodePool(store, sub.name));
        return sendEmpty(reply);
      default:
        throw invalidMethod();
    }
  });
}
