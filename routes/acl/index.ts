// The /v1/acl endpoints clients use (bootstrap, tokens, policies); they authenticate their callers
// themselves. Mounting them also installs the authorizer that enforces every other route's declared
// capability (authorize.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { rawBody } from '../http/body.js';
import { sendEmpty, sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { parseGoDuration } from '../../state/godur.js';
import { decodePath } from '../http/path.js';
import { RpcError } from '../../state/errors.js';
import type { Obj } from '../../state/types.js';
import { resolveSecret } from '../../state/acl/resolve.js';
import {
  bootstrapAcl,
  deletePolicy,
  deleteToken,
  getPolicy,
  listPolicies,
  listTokens,
  tokenByAccessor,
  tokenBySecret,
  tokenTableIndex,
  upsertPolicy,
  upsertToken,
} from '../../state/acl/tables.js';
import { agentAuthError, denied, headerToken, installAuthorizer } from './authorize.js';
import { WRITE, str } from './rules.js';
import { caller, decodeAclBody, field, requireEnabled, requireManagement, typed } from './request.js';
import { identityRoutes } from './identities.js';
import { liveToken } from '../../state/acl/identity-tables.js';
import { tokenPolicyNames } from '../../state/acl/resolve.js';
import { createOneTimeToken, exchangeOneTimeToken, oneTimeView } from '../../state/acl/one-time.js';

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
  return sendToken(req, reply, liveToken(ctx.store, out.token), out.index);
}

export function aclRoutes(app: App, ctx: RouteContext): void {
  const { store } = ctx;

  app.all('/v1/acl/bootstrap', { config: { acl: 'self' } }, async (req, reply) => {
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

  app.all('/v1/acl/tokens', { config: { acl: 'self' } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    requireEnabled(ctx);
    requireManagement(req, ctx);
    const out = listTokens(store, opts.prefix);
    setReadMeta(reply, out.index);
    return sendJson(req, reply, out.tokens);
  });

  app.all('/v1/acl/token', { config: { acl: 'self' } }, async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    return tokenUpdate(req, reply, ctx, '');
  });

  app.all('/v1/acl/token/*', { config: { acl: 'self' } }, async (req, reply) => {
    const rest = decodePath(req.raw.url ?? '').slice('/v1/acl/token/'.length);
    if (rest === 'onetime') return oneTimeCreate(req, reply, ctx);
    if (rest === 'onetime/exchange') return oneTimeExchange(req, reply, ctx);
    if (rest === 'self') {
      if (req.method !== 'GET') throw invalidMethod();
      parseQueryOptions(req.query as Query, ctx.config.region);
      requireEnabled(ctx);
      const rec = tokenBySecret(store, headerToken(req));
      setReadMeta(reply, rec ? (rec.view.ModifyIndex as number) : tokenTableIndex(store));
      if (!rec) throw new HttpError(404, 'ACL token not found');
      return sendJson(req, reply, liveToken(store, rec.view));
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
        return sendJson(req, reply, liveToken(store, token));
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

  app.all('/v1/acl/policies', { config: { acl: 'self' } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    requireEnabled(ctx);
    const who = caller(req, ctx);
    const only = who.acl.management ? null : new Set(who.token ? tokenPolicyNames(store, who.token) : ['anonymous']);
    const out = listPolicies(store, opts.prefix, only);
    setReadMeta(reply, out.index);
    return sendJson(req, reply, out.policies);
  });

  // Go's ServeMux redirects the subtree root without its slash.
  app.all('/v1/acl/policy', { config: { acl: 'self' } }, async (req, reply) => {
    const url = req.raw.url ?? '';
    const q = url.indexOf('?');
    return reply.code(301).header('location', `/v1/acl/policy/${q < 0 ? '' : url.slice(q)}`).send();
  });

  app.all('/v1/acl/policy/*', { config: { acl: 'self' } }, async (req, reply) => {
    const name = decodePath(req.raw.url ?? '').slice('/v1/acl/policy/'.length);
    if (name === '') throw new HttpError(400, 'Missing Policy Name');
    switch (req.method) {
      case 'GET': {
        parseQueryOptions(req.query as Query, ctx.config.region);
        requireEnabled(ctx);
        const who = caller(req, ctx);
        if (!who.acl.management && name !== 'anonymous' && !(who.token ? tokenPolicyNames(store, who.token) : []).includes(name)) throw denied();
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

  identityRoutes(app, ctx);
  installAuthorizer(app, ctx);
}

/** POST /v1/acl/token/onetime: the body is not read; the header token is the one handed out. */
function oneTimeCreate(req: FastifyRequest, reply: FastifyReply, ctx: RouteContext): FastifyReply {
  if (!WRITE.has(req.method)) throw invalidMethod();
  requireEnabled(ctx);
  const out = createOneTimeToken(ctx.store, headerToken(req));
  setWriteIndex(reply, out.index);
  return sendJson(req, reply, { OneTimeToken: oneTimeView(out.oneTime), Index: out.index });
}

/** POST /v1/acl/token/onetime/exchange: no token needed, the one-time secret is the credential. */
function oneTimeExchange(req: FastifyRequest, reply: FastifyReply, ctx: RouteContext): FastifyReply {
  if (!WRITE.has(req.method)) throw invalidMethod();
  const body = decodeAclBody(req, 'OneTimeTokenExchangeRequest');
  const secret = typed<string>(body, 'OneTimeTokenExchangeRequest', 'OneTimeSecretID', 'string', 'string') ?? '';
  requireEnabled(ctx);
  const out = exchangeOneTimeToken(ctx.store, secret);
  setWriteIndex(reply, out.index);
  return sendJson(req, reply, { Token: out.token, Index: out.index });
}
