// What every /v1/acl handler does first: refuse when ACLs are off, resolve the caller (RPCs collapse
// authentication failures into `Permission denied`), and decode the body as Go's encoding/json would.
import type { FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { parseGoJson, rawBody } from '../http/body.js';
import { GoSyntaxError } from '../../state/jobspec/decode-scanner.js';
import { RpcError } from '../../state/errors.js';
import type { Obj } from '../../state/types.js';
import type { Acl } from '../../state/acl/acl.js';
import { resolveSecret } from '../../state/acl/resolve.js';
import { denied, headerToken } from './authorize.js';

/** ACL RPCs refuse to run when ACLs are off. */
export function requireEnabled(ctx: RouteContext): void {
  if (!ctx.config.acl) throw new RpcError('ACL support disabled', 400);
}

/** The caller of an ACL RPC; most collapse authentication failures into `Permission denied`. */
export function caller(req: FastifyRequest, ctx: RouteContext): { acl: Acl; token: Obj | null; secret: string } {
  const secret = headerToken(req);
  const res = resolveSecret(ctx.store, secret);
  if (!res.ok) throw denied();
  return { acl: res.acl, token: res.token, secret };
}

export function requireManagement(req: FastifyRequest, ctx: RouteContext): void {
  if (!caller(req, ctx).acl.management) throw denied();
}

/** Go encoding/json into an ACL struct: case-insensitive keys; empty body and bad JSON are 400s. */
export function decodeAclBody(req: FastifyRequest, struct: string): Obj {
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

export const jsonKind = (v: unknown): string => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : typeof v);

/** A field looked up the way encoding/json matches keys (exact first, then case-insensitively). */
export function field(obj: Obj, name: string): unknown {
  if (name in obj) return obj[name];
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

export function typed<T>(obj: Obj, struct: string, name: string, kind: 'string' | 'boolean' | 'strings' | 'object' | 'array', goType: string): T | undefined {
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

