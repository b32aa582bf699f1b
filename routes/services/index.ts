// Nomad-native service discovery: `/v1/services`, `/v1/service/:name`, `/v1/service/:name/:id`
// (command/agent/service_registration_endpoint.go, nomad/service_registration_endpoint.go).
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { sendEmpty, sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, writeNamespace, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import { compileListFilter } from '../http/filter.js';
import { ErrorText, ReadQuery } from '../http/schemas.js';
import { authenticatedRule, type AclDecl } from '../acl/rules.js';
import { denied, requestAcl } from '../acl/authorize.js';
import { paginate } from '../../state/paginate.js';
import { deleteRegistration, listRegistrations, serviceStubs } from '../../state/services/registrations.js';
import type { Obj } from '../../state/types.js';

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Unknown(), '4xx': ErrorText, '5xx': ErrorText },
};

const MALFORMED_CHOOSE = "Parameter for choose must be in form '<number>|<key>'";

/** ServiceRegistration.HashWith: md5 over port, alloc, ID, namespace, address, name, tags, key. */
function hashWith(r: Obj, key: string): string {
  const port = Buffer.alloc(8);
  port.writeBigUInt64BE(BigInt.asUintN(64, BigInt(Math.trunc(Number(r.Port) || 0))));
  const h = createHash('md5').update(port);
  for (const part of [r.AllocID, r.ID, r.Namespace, r.Address, r.ServiceName, ...((r.Tags as string[] | null) ?? []), key]) h.update(String(part));
  return h.digest('hex');
}

/** `choose=<n>|<key>`: rendezvous hashing picks a stable subset of n registrations. */
function choose(regs: Obj[], parameter: string): Obj[] {
  const bar = parameter.indexOf('|');
  const fail = (): never => {
    throw new HttpError(400, `failed to choose services: ${MALFORMED_CHOOSE}`);
  };
  if (bar < 0) fail();
  const num = parameter.slice(0, bar);
  const key = parameter.slice(bar + 1);
  if (!/^[+-]?\d+$/.test(num) || key === '') fail();
  const n = Math.min(Number(num), regs.length);
  if (n < 0) fail();
  return regs
    .map((r) => ({ r, h: hashWith(r, key) }))
    .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : 0))
    .slice(0, n)
    .map((x) => x.r);
}

const canRead = (req: FastifyRequest, ns: string): boolean => requestAcl(req)?.allowNs(ns, 'read-job') ?? true;

export function serviceRoutes(app: App, ctx: RouteContext): void {
  const acl: AclDecl = (req) => authenticatedRule(() => void parseQueryOptions(req.query as Query, ctx.config.region));
  const index = (): number => Math.max(1, ctx.store.tableIndex('service_registrations'));

  app.all('/v1/services', { schema, config: { acl } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    const wildcard = opts.namespace === '*';
    if (!wildcard && !canRead(req, opts.namespace)) throw denied();
    const res = await blockingQuery(ctx.store, reply, opts, ['service_registrations'], () => {
      const regs = listRegistrations(ctx.store, wildcard ? null : opts.namespace).filter((r) => !wildcard || canRead(req, r.Namespace));
      return { services: serviceStubs(regs), index: index() };
    });
    setReadMeta(reply, res.index);
    return sendJson(req, reply, res.services);
  });

  app.all('/v1/service/*', { schema, config: { acl } }, async (req, reply) => {
    const parts = decodePath(req.raw.url ?? '').slice('/v1/service/'.length).split('/');
    if (parts.length === 1) {
      if (req.method !== 'GET') throw invalidMethod();
      if (parts[0] === '') throw new HttpError(400, 'missing service name');
      const name = parts[0]!;
      const q = req.query as Query;
      const opts = parseQueryOptions(q, ctx.config.region);
      if (!canRead(req, opts.namespace)) throw denied();
      const filter = compileListFilter(opts.filter, new Set());
      const res = await blockingQuery(ctx.store, reply, opts, ['service_registrations'], () => {
        const regs = listRegistrations(ctx.store, opts.namespace).filter((r) => r.ServiceName === name);
        const { page, nextToken } = paginate(regs, {
          nextToken: opts.nextToken,
          perPage: opts.perPage,
          reverse: false,
          tokenOf: (r: Obj) => `${r.Namespace}.${r.ID}`,
          accept: filter,
        });
        return { page: q.choose ? choose(page, q.choose) : page, nextToken, index: index() };
      });
      setReadMeta(reply, res.index, res.nextToken);
      return sendJson(req, reply, res.page);
    }
    if (parts.length === 2) {
      if (req.method !== 'DELETE') throw invalidMethod();
      if (parts[1] === '') throw new HttpError(400, 'missing service id');
      const ns = writeNamespace(req.query as Query);
      if (requestAcl(req) && !requestAcl(req)!.allowNs(ns, 'submit-job')) throw denied();
      const out = deleteRegistration(ctx.store, ns, parts[1]!);
      setWriteIndex(reply, out.index);
      return sendEmpty(reply);
    }
    throw new HttpError(400, 'invalid URI');
  });
}
