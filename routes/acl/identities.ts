// ACL identities: roles (/v1/acl/roles, /v1/acl/role[/:id | /name/:name]), auth methods
// (/v1/acl/auth-methods, /v1/acl/auth-method[/:name]), binding rules (/v1/acl/binding-rules,
// /v1/acl/binding-rule[/:id]), and the logins that would use them (/v1/acl/login,
// /v1/acl/oidc/auth-url, /v1/acl/oidc/complete-auth). Handlers follow command/agent/acl_endpoint.go:
// method check, body decoding and path checks first, then the RPC's own order (ACLs enabled,
// authentication, capability, validation).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { sendEmpty, sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import { RpcError } from '../../state/errors.js';
import type { Obj } from '../../state/types.js';
import { parseGoDuration } from '../../state/godur.js';
import { goValue } from '../../state/format.js';
import { formatMultiError } from '../../state/jobspec/multierror.js';
import { AUTH_METHOD_TABLE, BINDING_RULE_TABLE, identityIndex, identityTables, liveRoleLinks, roleByName, ROLE_TABLE } from '../../state/acl/identity-tables.js';
import { deleteRole, listRoles, upsertRole } from '../../state/acl/roles.js';
import {
  CONFIG_DURATIONS,
  CONFIG_LISTS,
  CONFIG_MAPS,
  CONFIG_STRINGS,
  authMethodView,
  deleteAuthMethod,
  deleteBindingRule,
  listAuthMethods,
  listBindingRules,
  upsertAuthMethod,
  upsertBindingRule,
} from '../../state/acl/auth-methods.js';
import { denied } from './authorize.js';
import { WRITE } from './rules.js';
import { caller, decodeAclBody, field, jsonKind, requireEnabled, requireManagement, typed } from './request.js';

const SELF = { config: { acl: 'self' as const } };

const strField = (body: Obj, struct: string, name: string): string => typed<string>(body, struct, name, 'string', 'string') ?? '';

/** A Go duration field as the struct's UnmarshalJSON takes it: a duration string, or nanoseconds. */
function durationField(body: Obj, name: string, emptyOk: boolean, onOther: (v: unknown) => void): number {
  const v = field(body, name);
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string') {
    if (v === '' && emptyOk) return 0;
    const ns = parseGoDuration(v);
    if (ns === null) throw new HttpError(400, `time: invalid duration ${JSON.stringify(v)}`);
    return ns;
  }
  if (v !== undefined && v !== null) onOther(v);
  return 0;
}

function sendRead(req: FastifyRequest, reply: FastifyReply, index: number, value: unknown, missing: string): FastifyReply {
  setReadMeta(reply, index);
  if (value === undefined || value === null) throw new HttpError(404, missing);
  return sendJson(req, reply, value);
}

function sendWritten(req: FastifyRequest, reply: FastifyReply, index: number, value: unknown): FastifyReply {
  setWriteIndex(reply, index);
  return sendJson(req, reply, value);
}

// ---------------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------------

function roleUpsert(req: FastifyRequest, reply: FastifyReply, ctx: RouteContext, pathId: string): FastifyReply {
  const body = decodeAclBody(req, 'ACLRole');
  const id = strField(body, 'ACLRole', 'ID');
  const links = typed<unknown[]>(body, 'ACLRole', 'Policies', 'array', '[]*structs.ACLRolePolicyLink') ?? [];
  const policies = links.map((l) => {
    if (l === null) return { Name: '' };
    if (typeof l !== 'object' || Array.isArray(l)) throw new HttpError(400, `json: cannot unmarshal ${jsonKind(l)} into Go struct field ACLRole.Policies of type structs.ACLRolePolicyLink`);
    return { Name: typed<string>(l as Obj, 'ACLRolePolicyLink', 'Name', 'string', 'string') ?? '' };
  });
  const input = { ID: id, Name: strField(body, 'ACLRole', 'Name'), Description: strField(body, 'ACLRole', 'Description'), Policies: policies };
  if (pathId !== '' && pathId !== id) throw new HttpError(400, 'ACL role ID does not match request path');
  requireEnabled(ctx);
  requireManagement(req, ctx);
  const out = upsertRole(ctx.store, input);
  return sendWritten(req, reply, out.index, out.role);
}

/** Management reads any role; other tokens only the roles linked to them. */
async function roleRead(req: FastifyRequest, reply: FastifyReply, ctx: RouteContext, by: 'ID' | 'Name', key: string): Promise<FastifyReply> {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  requireEnabled(ctx);
  const who = caller(req, ctx);
  if (!who.acl.management && !(liveRoleLinks(ctx.store, who.token?.Roles) ?? []).some((l) => l[by] === key)) throw denied();
  const res = await blockingQuery(ctx.store, reply, opts, [ROLE_TABLE], () => {
    const role = by === 'ID' ? identityTables(ctx.store).roles.get(key) : roleByName(ctx.store, key);
    return { role, index: role ? (role.ModifyIndex as number) : identityIndex(ctx.store, ROLE_TABLE) };
  });
  return sendRead(req, reply, res.index, res.role, 'ACL role not found');
}

function roleRoutes(app: App, ctx: RouteContext): void {
  app.all('/v1/acl/roles', SELF, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    requireEnabled(ctx);
    const who = caller(req, ctx);
    const only = who.acl.management ? null : new Set((liveRoleLinks(ctx.store, who.token?.Roles) ?? []).map((l) => l.ID as string));
    const res = await blockingQuery(ctx.store, reply, opts, [ROLE_TABLE], () => ({ roles: listRoles(ctx.store, opts.prefix, only), index: identityIndex(ctx.store, ROLE_TABLE) }));
    setReadMeta(reply, res.index);
    return sendJson(req, reply, res.roles);
  });

  app.all('/v1/acl/role', SELF, async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    return roleUpsert(req, reply, ctx, '');
  });

  app.all('/v1/acl/role/*', SELF, async (req, reply) => {
    const parts = decodePath(req.raw.url ?? '').slice('/v1/acl/role/'.length).split('/');
    if (parts.length === 2) {
      if (req.method !== 'GET') throw invalidMethod();
      if (parts[0] !== 'name') throw new HttpError(400, 'invalid URI');
      if (parts[1] === '') throw new HttpError(400, 'missing ACL role name');
      return roleRead(req, reply, ctx, 'Name', parts[1]!);
    }
    if (parts.length > 2) throw new HttpError(400, 'invalid URI');
    const id = parts[0]!;
    if (id === '') throw new HttpError(400, 'missing ACL role ID');
    switch (req.method) {
      case 'GET':
        return roleRead(req, reply, ctx, 'ID', id);
      case 'DELETE': {
        requireEnabled(ctx);
        requireManagement(req, ctx);
        setWriteIndex(reply, deleteRole(ctx.store, id).index);
        return sendEmpty(reply);
      }
      case 'PUT':
      case 'POST':
        return roleUpsert(req, reply, ctx, id);
      default:
        throw invalidMethod();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Auth methods
// ---------------------------------------------------------------------------------------------

function decodeConfig(body: Obj): Obj | null {
  const raw = typed<Obj>(body, 'ACLAuthMethod', 'Config', 'object', 'structs.ACLAuthMethodConfig');
  if (raw === undefined) return null;
  const c: Obj = {};
  const S = 'ACLAuthMethodConfig';
  for (const k of CONFIG_DURATIONS) {
    c[k] = durationField(raw, k, true, (v) => {
      throw new HttpError(400, `unexpected ${k} type: ${goValue(v)}`);
    });
  }
  for (const k of CONFIG_STRINGS) c[k] = typed<string>(raw, S, k, 'string', 'string') ?? '';
  for (const k of CONFIG_LISTS) c[k] = typed<string[]>(raw, S, k, 'strings', '[]string') ?? null;
  for (const k of CONFIG_MAPS) {
    const m = typed<Obj>(raw, S, k, 'object', 'map[string]string');
    if (m && Object.values(m).some((v) => typeof v !== 'string')) throw new HttpError(400, `json: cannot unmarshal ${jsonKind(Object.values(m).find((v) => typeof v !== 'string'))} into Go struct field ${S}.${k} of type string`);
    c[k] = m ?? null;
  }
  return c;
}

function methodUpsert(req: FastifyRequest, reply: FastifyReply, ctx: RouteContext, pathName: string): FastifyReply {
  const body = decodeAclBody(req, 'ACLAuthMethod');
  const input = {
    Name: strField(body, 'ACLAuthMethod', 'Name'),
    Type: strField(body, 'ACLAuthMethod', 'Type'),
    TokenLocality: strField(body, 'ACLAuthMethod', 'TokenLocality'),
    TokenNameFormat: strField(body, 'ACLAuthMethod', 'TokenNameFormat'),
    MaxTokenTTL: durationField(body, 'MaxTokenTTL', false, () => undefined),
    Default: typed<boolean>(body, 'ACLAuthMethod', 'Default', 'boolean', 'bool') ?? false,
    Config: decodeConfig(body),
  };
  if (pathName !== '' && pathName !== input.Name) throw new HttpError(400, 'ACL auth-method name does not match request path');
  requireEnabled(ctx);
  requireManagement(req, ctx);
  const out = upsertAuthMethod(ctx.store, input);
  return sendWritten(req, reply, out.index, out.method);
}

function authMethodRoutes(app: App, ctx: RouteContext): void {
  // Anyone may list auth methods (the login page needs them): ACL.ListAuthMethods authenticates nobody.
  app.all('/v1/acl/auth-methods', SELF, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    requireEnabled(ctx);
    const res = await blockingQuery(ctx.store, reply, opts, [AUTH_METHOD_TABLE], () => ({ methods: listAuthMethods(ctx.store), index: identityIndex(ctx.store, AUTH_METHOD_TABLE) }));
    setReadMeta(reply, res.index);
    return sendJson(req, reply, res.methods);
  });

  app.all('/v1/acl/auth-method', SELF, async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    return methodUpsert(req, reply, ctx, '');
  });

  app.all('/v1/acl/auth-method/*', SELF, async (req, reply) => {
    const name = decodePath(req.raw.url ?? '').slice('/v1/acl/auth-method/'.length);
    if (name === '') throw new HttpError(400, 'missing ACL auth-method name');
    switch (req.method) {
      case 'GET': {
        const opts = parseQueryOptions(req.query as Query, ctx.config.region);
        requireEnabled(ctx);
        requireManagement(req, ctx);
        const res = await blockingQuery(ctx.store, reply, opts, [AUTH_METHOD_TABLE], () => {
          const m = identityTables(ctx.store).authMethods.get(name);
          return { method: m && authMethodView(m), index: m ? (m.ModifyIndex as number) : identityIndex(ctx.store, AUTH_METHOD_TABLE) };
        });
        return sendRead(req, reply, res.index, res.method, 'ACL auth-method not found');
      }
      case 'DELETE':
        requireEnabled(ctx);
        requireManagement(req, ctx);
        setWriteIndex(reply, deleteAuthMethod(ctx.store, name).index);
        return sendEmpty(reply);
      case 'PUT':
      case 'POST':
        return methodUpsert(req, reply, ctx, name);
      default:
        throw invalidMethod();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Binding rules
// ---------------------------------------------------------------------------------------------

function ruleUpsert(req: FastifyRequest, reply: FastifyReply, ctx: RouteContext, pathId: string): FastifyReply {
  const body = decodeAclBody(req, 'ACLBindingRule');
  const s = (name: string): string => strField(body, 'ACLBindingRule', name);
  const input = { ID: s('ID'), Description: s('Description'), AuthMethod: s('AuthMethod'), Selector: s('Selector'), BindType: s('BindType'), BindName: s('BindName') };
  if (pathId !== '' && input.ID === '') input.ID = pathId;
  if (pathId !== '' && pathId !== input.ID) throw new HttpError(400, 'ACL binding rule ID does not match request path');
  requireEnabled(ctx);
  requireManagement(req, ctx);
  const out = upsertBindingRule(ctx.store, input);
  return sendWritten(req, reply, out.index, out.rule);
}

function bindingRuleRoutes(app: App, ctx: RouteContext): void {
  app.all('/v1/acl/binding-rules', SELF, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    requireEnabled(ctx);
    requireManagement(req, ctx);
    const res = await blockingQuery(ctx.store, reply, opts, [BINDING_RULE_TABLE], () => ({ rules: listBindingRules(ctx.store), index: identityIndex(ctx.store, BINDING_RULE_TABLE) }));
    setReadMeta(reply, res.index);
    return sendJson(req, reply, res.rules);
  });

  app.all('/v1/acl/binding-rule', SELF, async (req, reply) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    return ruleUpsert(req, reply, ctx, '');
  });

  app.all('/v1/acl/binding-rule/*', SELF, async (req, reply) => {
    const id = decodePath(req.raw.url ?? '').slice('/v1/acl/binding-rule/'.length);
    if (id === '') throw new HttpError(400, 'missing ACL binding rule ID');
    switch (req.method) {
      case 'GET': {
        const opts = parseQueryOptions(req.query as Query, ctx.config.region);
        requireEnabled(ctx);
        requireManagement(req, ctx);
        const res = await blockingQuery(ctx.store, reply, opts, [BINDING_RULE_TABLE], () => {
          const r = identityTables(ctx.store).bindingRules.get(id);
          return { rule: r, index: r ? (r.ModifyIndex as number) : identityIndex(ctx.store, BINDING_RULE_TABLE) };
        });
        return sendRead(req, reply, res.index, res.rule, 'ACL binding rule not found');
      }
      case 'DELETE':
        requireEnabled(ctx);
        requireManagement(req, ctx);
        setWriteIndex(reply, deleteBindingRule(ctx.store, id).index);
        return sendEmpty(reply);
      case 'PUT':
      case 'POST':
        return ruleUpsert(req, reply, ctx, id);
      default:
        throw invalidMethod();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Login and OIDC: nomad-mock verifies no JWT and reaches no OIDC provider, so a login gets Nomad's
// answer up to the point where it would need one.
// ---------------------------------------------------------------------------------------------

const NO_PROVIDER = 'nomad-mock does not contact OIDC providers';
const NO_JWT = 'nomad-mock does not verify JWTs';

function loginRoute(app: App, ctx: RouteContext, url: string, struct: string, what: string, fields: string[], finish: (method: Obj) => never): void {
  app.all(url, SELF, async (req) => {
    if (!WRITE.has(req.method)) throw invalidMethod();
    const body = decodeAclBody(req, struct);
    const values = Object.fromEntries(fields.map((f) => [f, strField(body, struct, f)]));
    requireEnabled(ctx);
    const missing: Record<string, string> = { AuthMethodName: 'missing auth method name', LoginToken: 'missing login token', ClientNonce: 'missing client nonce', State: 'missing state', Code: 'missing code', RedirectURI: 'missing redirect URI' };
    const errors = fields.filter((f) => values[f] === '').map((f) => missing[f]!);
    if (errors.length > 0) throw new RpcError(`invalid ${what} request: ${formatMultiError(errors)}`, 400);
    const method = identityTables(ctx.store).authMethods.get(values.AuthMethodName!);
    if (!method) throw new RpcError(`auth-method ${JSON.stringify(values.AuthMethodName)} not found`, 400);
    finish(method);
  });
}

function loginRoutes(app: App, ctx: RouteContext): void {
  loginRoute(app, ctx, '/v1/acl/login', 'ACLLoginRequest', 'login', ['AuthMethodName', 'LoginToken'], (m) => {
    if (m.Type !== 'JWT') throw new RpcError(`unsupported auth-method type: ${m.Type as string}`, 400);
    throw new RpcError(`unable to validate provided token: ${NO_JWT}`, 401);
  });
  const oidc = (): never => {
    throw new RpcError(`failed to generate OIDC provider: ${NO_PROVIDER}`, 500);
  };
  loginRoute(app, ctx, '/v1/acl/oidc/auth-url', 'ACLOIDCAuthURLRequest', 'OIDC auth-url', ['AuthMethodName', 'ClientNonce', 'RedirectURI'], oidc);
  loginRoute(app, ctx, '/v1/acl/oidc/complete-auth', 'ACLOIDCCompleteAuthRequest', 'OIDC complete-auth', ['AuthMethodName', 'ClientNonce', 'State', 'Code', 'RedirectURI'], oidc);
}

export function identityRoutes(app: App, ctx: RouteContext): void {
  roleRoutes(app, ctx);
  authMethodRoutes(app, ctx);
  bindingRuleRoutes(app, ctx);
  loginRoutes(app, ctx);
}
