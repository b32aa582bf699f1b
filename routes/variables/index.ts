// `/v1/vars` and `/v1/var/:path` (command/agent/variable_endpoint.go, nomad/variables_endpoint.go).
// The server authorises variables per path (`variables { path "…" }` rules), so the routes only
// authenticate in the hook and check each path's capability themselves; lists drop what the token
// may not list instead of refusing.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { compileListFilter } from '../http/filter.js';
import { sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import { ErrorText, Index, ReadQuery } from '../http/schemas.js';
import { denied, requestAcl } from '../acl/authorize.js';
import { readQuery, type AclDecl, type Rule } from '../acl/rules.js';
import { paginate } from '../../state/paginate.js';
import { applyVariable } from '../../state/variables/ops.js';
import { LockTimers } from '../../state/variables/locks.js';
import { decryptedView, getVariable, metadataView, sortedVariables, variablesIndex } from '../../state/variables/table.js';
import { checkWrite, conflictView, handleWrite, parseCas } from './write.js';

export const VariableLock = Type.Object({ TTL: Type.String(), LockDelay: Type.String(), ID: Type.String() }, { additionalProperties: false });

/** structs.VariableMetadata as the list answers it (VariableDecrypted adds `Items`). */
export const VariableMetadata = Type.Object(
  {
    Namespace: Type.String(),
    Path: Type.String(),
    Lock: Type.Optional(VariableLock),
    CreateIndex: Index,
    CreateTime: Type.Integer(),
    ModifyIndex: Index,
    ModifyTime: Type.Integer(),
    Items: Type.Optional(Type.Record(Type.String(), Type.String())),
  },
  { additionalProperties: false },
);

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Union([VariableMetadata, Type.Array(VariableMetadata)]), '4xx': Type.Union([ErrorText, VariableMetadata]), '5xx': ErrorText },
};

const PREFIX = '/v1/var/';
const pathOf = (req: FastifyRequest): string => decodePath(req.raw.url ?? '').slice(PREFIX.length);

/** Authenticate in the hook, authorise in the handler after the agent's own checks (`pre`). */
const deferred = (pre: () => void): Rule => ({ check: { kind: 'management' }, deferred: true, pre });

/** May the request's token do `cap` on the path? Everything is allowed with ACLs off. */
const allowed = (req: FastifyRequest, ns: string, path: string, cap: string): boolean => {
  const acl = requestAcl(req);
  return !acl || acl.allowVariable(ns, path, cap);
};

/** Non-management tokens never see who holds a lock. */
const seesLocks = (req: FastifyRequest): boolean => {
  const acl = requestAcl(req);
  return !acl || acl.management;
};

export function variableRoutes(app: App, ctx: RouteContext): void {
  const timers = new LockTimers(ctx.store, (ms, fn) => ctx.clock.after(ms, fn, 'variable lock'));
  timers.rearm();
  const off = ctx.store.onReplace(() => timers.rearm());
  app.addHook('onClose', async () => {
    off();
    timers.close();
  });

  const listDecl: AclDecl = (req) => (req.method === 'GET' ? deferred(readQuery(req, ctx)) : null);
  app.all('/v1/vars', { schema, config: { acl: listDecl } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    return list(ctx, req, reply);
  });

  const oneDecl: AclDecl = (req) => {
    if (pathOf(req) === '') return null;
    switch (req.method) {
      case 'GET':
        return deferred(readQuery(req, ctx));
      case 'PUT':
      case 'POST':
        return deferred(() => void checkWrite(req));
      case 'DELETE':
        return deferred(() => void parseCas(req.query as Query));
      default:
        return null;
    }
  };
  app.all(`${PREFIX}*`, { schema, config: { acl: oneDecl } }, async (req, reply) => {
    const path = pathOf(req);
    if (path === '') throw new HttpError(400, 'missing variable path');
    switch (req.method) {
      case 'GET':
        return read(ctx, req, reply, path);
      case 'PUT':
      case 'POST':
        return handleWrite({ ctx, timers }, req, reply, path);
      case 'DELETE':
        return remove(ctx, req, reply, path);
      default:
        // This handler answers a wrong method 400, not 405.
        throw new HttpError(400, 'Invalid method');
    }
  });
}

/** Variables.List: metadata only, paged by `<namespace>.<path>`, each entry checked for `list`. */
async function list(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  const filter = compileListFilter(opts.filter, new Set(['Items']));
  const all = opts.namespace === '*';
  // Nomad's all-namespaces listing does not strip locks (the per-namespace one does).
  const withLock = all || seesLocks(req);
  const res = await blockingQuery(ctx.store, reply, opts, ['variables'], () => {
    const vars = sortedVariables(ctx.store).filter((v) => all || v.Namespace === opts.namespace);
    const { page, nextToken } = paginate(vars, {
      perPage: opts.perPage,
      nextToken: opts.nextToken,
      reverse: false,
      tokenOf: (v) => `${v.Namespace}.${v.Path}`,
      accept: (v) => v.Path.startsWith(opts.prefix) && allowed(req, v.Namespace, v.Path, 'list') && (!filter || filter(metadataView(v))),
    });
    return { items: page.map((v) => metadataView(v, withLock)), nextToken, index: Math.max(1, variablesIndex(ctx.store)) };
  });
  setReadMeta(reply, res.index, res.nextToken);
  return sendJson(req, reply, res.items);
}

/** Variables.Read: `read` on the path, checked before the lookup (so before any 404). */
async function read(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, path: string): Promise<FastifyReply> {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  if (!allowed(req, opts.namespace, path, 'read')) throw denied();
  const res = await blockingQuery(ctx.store, reply, opts, ['variables'], () => {
    const v = getVariable(ctx.store, opts.namespace, path);
    return { v, index: v ? v.ModifyIndex : Math.max(1, variablesIndex(ctx.store)) };
  });
  setReadMeta(reply, res.index);
  if (!res.v) throw new HttpError(404, 'variable not found');
  return sendJson(req, reply, decryptedView(res.v, res.v.Items, seesLocks(req)));
}

/** `DELETE /v1/var/:path`: 204 on success, 409 with the conflicting variable. */
function remove(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, path: string): FastifyReply {
  const q = req.query as Query;
  const cas = parseCas(q);
  const namespace = q.namespace || 'default';
  setWriteIndex(reply, 0);
  if (!allowed(req, namespace, path, 'destroy')) throw denied();
  const res = applyVariable(ctx.store, { op: cas === null ? 'delete' : 'delete-cas', namespace, path, items: null, lock: null, checkIndex: cas ?? 0 });
  if (res.result === 'conflict') {
    setWriteIndex(reply, res.conflict.ModifyIndex);
    return sendJson(req, reply, conflictView(req, res.conflict), undefined, 409);
  }
  setWriteIndex(reply, res.index);
  return reply.code(204).send();
}
