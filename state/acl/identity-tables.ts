// The ACL identity tables (nomad/state/state_store_acl*.go): roles, auth methods, binding rules and
// one-time tokens, kept per Store in a WeakMap and riding along in snapshots as the part
// `acl-identities`. Records are replaced, never changed in place, once stored.
import { Type } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { registerSnapshotPart } from '../snapshot/snapshot.js';
import { SchemaTypes as S } from '../snapshot/schema.js';
import type { Store } from '../store.js';
import type { Obj } from '../types.js';
import { RpcError } from '../errors.js';

/** Nomad's memdb table names; writes touch them so blocking queries and the write-ahead log see them. */
export const ROLE_TABLE = 'acl_roles';
export const AUTH_METHOD_TABLE = 'acl_auth_methods';
export const BINDING_RULE_TABLE = 'acl_binding_rules';
export const ONE_TIME_TABLE = 'one_time_token';
export const IDENTITY_TABLES = [ROLE_TABLE, AUTH_METHOD_TABLE, BINDING_RULE_TABLE, ONE_TIME_TABLE] as const;

export interface OneTimeRecord {
  OneTimeSecretID: string;
  AccessorID: string;
  /** Unix nanoseconds. */
  ExpiresNs: number;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface IdentityTables {
  /** ACLRole by ID. */
  roles: Map<string, Obj>;
  /** ACLAuthMethod by name. */
  authMethods: Map<string, Obj>;
  /** ACLBindingRule by ID. */
  bindingRules: Map<string, Obj>;
  /** One-time tokens by secret. */
  oneTime: Map<string, OneTimeRecord>;
  /** Last write index of each table (Nomad's `index` table rows). */
  indexes: Record<string, number>;
}

const tables = new WeakMap<Store, IdentityTables>();

const empty = (): IdentityTables => ({ roles: new Map(), authMethods: new Map(), bindingRules: new Map(), oneTime: new Map(), indexes: {} });

export function identityTables(store: Store): IdentityTables {
  let t = tables.get(store);
  if (!t) tables.set(store, (t = empty()));
  return t;
}

/** A table's last write index, floored at 1 as Nomad's setReplyQueryMeta does. */
export function identityIndex(store: Store, table: string): number {
  return Math.max(1, identityTables(store).indexes[table] ?? 0);
}

/** Go's []byte hash rendered as JSON: base64 of a 256-bit digest over the user-set fields. */
export const hashOf = (...parts: unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('base64');

export function roleByName(store: Store, name: string): Obj | undefined {
  for (const r of identityTables(store).roles.values()) if (r.Name === name) return r;
  return undefined;
}

/**
 * A token's role links as Nomad reads them (state store fixTokenRoleLinks): links to deleted roles
 * are dropped and each link carries the role's current name.
 */
export function liveRoleLinks(store: Store, links: unknown): Obj[] | null {
  if (!Array.isArray(links)) return null;
  const roles = identityTables(store).roles;
  const out: Obj[] = [];
  for (const l of links as unknown[]) {
    // A restored document may hold anything here; only links to stored roles count.
    if (!l || typeof l !== 'object' || typeof (l as Obj).ID !== 'string') continue;
    const role = roles.get((l as Obj).ID);
    if (role) out.push({ ID: role.ID, Name: role.Name });
  }
  return out;
}

/** The token view as read now: role links fixed up. */
export function liveToken(store: Store, view: Obj): Obj {
  if (!Array.isArray(view.Roles)) return view;
  return { ...view, Roles: liveRoleLinks(store, view.Roles) };
}

/** Policy names a token holds through its roles (roles or policies that no longer exist grant nothing). */
export function rolePolicyNames(store: Store, links: unknown): string[] {
  const names: string[] = [];
  for (const l of liveRoleLinks(store, links) ?? []) {
    for (const p of (identityTables(store).roles.get(l.ID)!.Policies as Obj[] | null) ?? []) names.push(p.Name as string);
  }
  return names;
}

/**
 * A token's role links as stored: each given by ID or name, resolved to the role's ID (the name is
 * left out, reads fill in the current one), duplicates dropped (ACL.UpsertTokens).
 */
export function resolveRoleLinks(store: Store, links: { ID?: string; Name?: string }[]): Obj[] {
  const out: Obj[] = [];
  for (const l of links) {
    const ident = l.ID ? l.ID : (l.Name ?? '');
    const role = l.ID ? identityTables(store).roles.get(l.ID) : roleByName(store, ident);
    if (!role) throw new RpcError(`cannot find role ${ident}`, 400);
    if (!out.some((x) => x.ID === role.ID)) out.push({ ID: role.ID, Name: '' });
  }
  return out;
}

const withoutClientSecret = (c: Obj | null | undefined): Obj | null | undefined => (c && c.OIDCClientSecret ? { ...c, OIDCClientSecret: '' } : c);

const StrOrNull = S.Nullable(S.Str);

registerSnapshotPart('acl-identities', {
  tables: IDENTITY_TABLES,
  schema: Type.Object({
    Roles: Type.Array(Type.Object({ ID: S.Str, Name: S.Str, Policies: S.Nullable(Type.Array(Type.Object({ Name: S.Str }))), CreateIndex: S.Idx, ModifyIndex: S.Idx })),
    AuthMethods: Type.Array(Type.Object({ Name: S.Str, Type: S.Str, Config: S.Nullable(Type.Object({ OIDCClientSecret: S.Opt(StrOrNull) })), CreateIndex: S.Idx, ModifyIndex: S.Idx })),
    BindingRules: Type.Array(Type.Object({ ID: S.Str, AuthMethod: S.Str, BindType: S.Str, BindName: S.Str, CreateIndex: S.Idx, ModifyIndex: S.Idx })),
    OneTimeTokens: Type.Array(Type.Object({ OneTimeSecretID: S.Opt(S.Str), AccessorID: S.Str, ExpiresNs: S.Num, CreateIndex: S.Idx, ModifyIndex: S.Idx })),
    Indexes: Type.Record(Type.String(), S.Idx),
  }),
  save(store: Store): unknown {
    const t = identityTables(store);
    return {
      Roles: [...t.roles.values()],
      AuthMethods: [...t.authMethods.values()],
      BindingRules: [...t.bindingRules.values()],
      OneTimeTokens: [...t.oneTime.values()],
      Indexes: { ...t.indexes },
    };
  },
  // Secrets: a one-time token's secret and an auth method's OIDC client secret.
  redact(saved: unknown): unknown {
    const d = saved as { AuthMethods: Obj[]; OneTimeTokens: OneTimeRecord[] };
    return {
      ...d,
      AuthMethods: d.AuthMethods.map((m) => ({ ...m, Config: withoutClientSecret(m.Config), ConfigInput: withoutClientSecret(m.ConfigInput) })),
      OneTimeTokens: d.OneTimeTokens.map(({ OneTimeSecretID: _secret, ...rest }) => rest),
    };
  },
  // One-time tokens restored without their secret cannot be exchanged by anyone: they are dropped.
  load(store: Store, data: unknown): void {
    const d = (data ?? {}) as { Roles?: Obj[]; AuthMethods?: Obj[]; BindingRules?: Obj[]; OneTimeTokens?: Partial<OneTimeRecord>[]; Indexes?: Record<string, number> };
    const t = empty();
    for (const r of d.Roles ?? []) t.roles.set(r.ID, r);
    for (const m of d.AuthMethods ?? []) t.authMethods.set(m.Name, m);
    for (const b of d.BindingRules ?? []) t.bindingRules.set(b.ID, b);
    for (const o of d.OneTimeTokens ?? []) if (typeof o.OneTimeSecretID === 'string') t.oneTime.set(o.OneTimeSecretID, o as OneTimeRecord);
    t.indexes = { ...(d.Indexes ?? {}) };
    tables.set(store, t);
  },
});
