// `/v1/namespaces` and `/v1/namespace/:name`.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { sendEmpty, sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { decodeBody } from '../http/body.js';
import { decodePath } from '../http/path.js';
import { ErrorText, Index, Nullable, ReadQuery, StringMap } from '../http/schemas.js';
import { deleteNamespace, listNamespaces, namespacesIndex, upsertNamespace } from '../../state/namespaces/table.js';
import type { Obj } from '../../state/types.js';
import { WRITE, readQuery, type AclDecl } from '../acl/rules.js';
import { requestAcl } from '../acl/authorize.js';

export const Namespace = Type.Object(
  {
    Name: Type.String(),
    Description: Type.String(),
    Quota: Type.String(),
    Capabilities: Nullable(Type.Object({}, { additionalProperties: true })),
    NodePoolConfiguration: Nullable(Type.Object({}, { additionalProperties: true })),
    VaultConfiguration: Nullable(Type.Object({}, { additionalProperties: true })),
    ConsulConfiguration: Nullable(Type.Object({}, { additionalProperties: true })),
    Meta: StringMap,
    Hash: Nullable(Type.String()),
    CreateIndex: Index,
    ModifyIndex: Index,
  },
  { additionalProperties: false },
);

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Union([Namespace, Type.Array(Namespace), Type.Null()]), '4xx': ErrorText, '5xx': ErrorText },
};

function update(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, pathName: string): FastifyReply {
  const body = (decodeBody(req, 'Namespace') as Obj | null) ?? {};
  if (pathName !== '' && body.Name !== pathName) throw new HttpError(400, 'Namespace name does not match request path');
  const out = upsertNamespace(ctx.store, body);
  setWriteIndex(reply, out.Index);
  return sendEmpty(reply);
}

export function namespaceRoutes(app: App, ctx: RouteContext): void {
  // Namespace.ListNamespaces: any valid token (anonymous too) may list, and sees the namespaces it
  // has any capability in; an unknown token is refused. The authorizer only authenticates.
  const list: AclDecl = (req) => (req.method === 'GET' ? { check: { kind: 'management' }, deferred: true, pre: readQuery(req, ctx) } : null);
  app.all('/v1/namespaces', { schema, config: { acl: list } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    const acl = requestAcl(req);
    const res = await blockingQuery(ctx.store, reply, opts, ['namespaces'], () => ({
      namespaces: acl ? listNamespaces(ctx.store, opts.prefix).filter((ns) => acl.allowNamespace(ns.Name)) : listNamespaces(ctx.store, opts.prefix),
      index: namespacesIndex(ctx.store),
    }));
    setReadMeta(reply, res.index);
    return sendJson(req, reply, res.namespaces);
  });

  const create: AclDecl = (req) => (WRITE.has(req.method) ? { check: { kind: 'management' } } : null);
  app.all('/v1/namespace', { schema, config: { acl: create } }, async (req, reply) => {
    if (req.method !== 'PUT' && req.method !== 'POST') throw invalidMethod();
    return update(ctx, req, reply, '');
  });

  const one: AclDecl = (req) => {
    const name = decodePath(req.raw.url ?? '').slice('/v1/namespace/'.length);
    if (name === '') return null;
    if (req.method === 'GET') return { check: { kind: 'ns-any', namespace: name }, pre: readQuery(req, ctx) };
    return WRITE.has(req.method) || req.method === 'DELETE' ? { check: { kind: 'management' } } : null;
  };
  app.all('/v1/namespace/*', { schema, config: { acl: one } }, async (req, reply) => {
    const name = decodePath(req.raw.url ?? '').slice('/v1/namespace/'.length);
    if (name === '') throw new HttpError(400, 'Missing Namespace Name');
    switch (req.method) {
      case 'GET': {
        const opts = parseQueryOptions(req.query as Query, ctx.config.region);
        const res = await blockingQuery(ctx.store, reply, opts, ['namespaces'], () => {
          const ns = ctx.store.namespaces.get(name);
          return { ns, index: ns ? ns.ModifyIndex : namespacesIndex(ctx.store) };
        });
        setReadMeta(reply, res.index);
        if (!res.ns) throw new HttpError(404, 'Namespace not found');
        return sendJson(req, reply, res.ns);
      }
      case 'PUT':
      case 'POST':
        return update(ctx, req, reply, name);
      case 'DELETE': {
        const out = deleteNamespace(ctx.store, name);
        setWriteIndex(reply, out.Index);
        return sendEmpty(reply);
      }
      default:
        throw invalidMethod();
    }
  });
}
