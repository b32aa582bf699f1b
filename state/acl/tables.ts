// The ACL token and policy tables (kept per Store in a WeakMap), bootstrap, and the token and policy
// writes of nomad/acl_endpoint.go (nomad/structs/acl.go); they ride along in snapshots.
import { registerSnapshotPart } from '../snapshot/snapshot.js';
import { Type } from '@sinclair/typebox';
import { SchemaTypes as S } from '../snapshot/schema.js';
import { createHash } from 'node:crypto';
import type { Store } from '../store.js';
import type { Obj } from '../types.js';
import { RpcError } from '../errors.js';
import { formatMultiError } from '../jobspec/multierror.js';
import { goDuration, rfc3339 } from '../format.js';
import { parsePolicyRules, rulesJson, type ParsedPolicy } from './policy.js';

export interface TokenRecord {
  /** The ACLToken as Nomad renders it. */
  view: Obj;
  expiresNs: number | null;
}

export interface PolicyRecord {
  view: Obj;
  parsed: ParsedPolicy;
}

interface AclTables {
  tokens: Map<string, TokenRecord>;
  bySecret: Map<string, TokenRecord>;
  policies: Map<string, PolicyRecord>;
  /** Raft index of the bootstrap (Nomad's reset index); 0 before bootstrap. */
  bootstrapIndex: number;
  tokenIndex: number;
  policyIndex: number;
}

const tables = new WeakMap<Store, AclTables>();

export function aclTables(store: Store): AclTables {
  let t = tables.get(store);
  if (!t) {
    t = { tokens: new Map(), bySecret: new Map(), policies: new Map(), bootstrapIndex: 0, tokenIndex: 0, policyIndex: 0 };
    tables.set(store, t);
  }
  return t;
}

export const isUuid = (s: string): boolean => /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(s);

const hash = (...parts: unknown[]): string => createHash('sha256').update(JSON.stringify(parts)).digest('base64');

const MIN_TTL_NS = 60e9;
const MAX_TTL_NS = 24 * 3600e9;

function tokenView(t: {
  AccessorID: string;
  SecretID: string;
  Name: string;
  Type: string;
  Policies: string[] | null;
  Global: boolean;
  CreateNs: number;
  ExpiresNs: number | null;
  TTLNs: number;
  CreateIndex: number;
  ModifyIndex: number;
}): Obj {
  const view: Obj = {
    AccessorID: t.AccessorID,
    SecretID: t.SecretID,
    Name: t.Name,
    Type: t.Type,
    Policies: t.Policies,
    Roles: null,
    Global: t.Global,
    Hash: hash(t.Name, t.Type, t.Policies, t.Global),
    CreateTime: rfc3339(t.CreateNs),
  };
  if (t.ExpiresNs !== null) view.ExpirationTime = rfc3339(t.ExpiresNs);
  view.ExpirationTTL = t.TTLNs ? goDuration(t.TTLNs) : '';
  view.CreateIndex = t.CreateIndex;
  view.ModifyIndex = t.ModifyIndex;
  return view;
}

export function tokenStub(t: Obj): Obj {
  const stub: Obj = {
    AccessorID: t.AccessorID,
    Name: t.Name,
    Type: t.Type,
    Policies: t.Policies,
    Roles: t.Roles,
    Global: t.Global,
    Hash: t.Hash,
    CreateTime: t.CreateTime,
  };
  if (t.ExpirationTime) stub.ExpirationTime = t.ExpirationTime;
  stub.CreateIndex = t.CreateIndex;
  stub.ModifyIndex = t.ModifyIndex;
  return stub;
}

export function policyStub(p: Obj): Obj {
  return { Name: p.Name, Description: p.Description, JobACL: p.JobACL, Hash: p.Hash, CreateIndex: p.CreateIndex, ModifyIndex: p.ModifyIndex };
}

/** POST /v1/acl/bootstrap: the first management token; only once (no reset file in the mock). */
export function bootstrapAcl(store: Store, bootstrapSecret = ''): { token: Obj; index: number } {
  const t = aclTables(store);
  if (t.bootstrapIndex > 0) throw new RpcError(`ACL bootstrap already done (reset index: ${t.bootstrapIndex})`, 400);
  if (bootstrapSecret !== '' && !isUuid(bootstrapSecret)) throw new RpcError('invalid acl token', 400);
  return store.write((tx) => {
    const view = tokenView({
      AccessorID: store.newId(),
      SecretID: bootstrapSecret || store.newId(),
      Name: 'Bootstrap Token',
      Type: 'management',
      Policies: null,
      Global: true,
      CreateNs: store.nowNs(),
      ExpiresNs: null,
      TTLNs: 0,
      CreateIndex: tx.index,
      ModifyIndex: tx.index,
    });
    const rec = { view, expiresNs: null };
    t.tokens.set(view.AccessorID, rec);
    t.bySecret.set(view.SecretID, rec);
    t.bootstrapIndex = tx.index;
    t.tokenIndex = tx.index;
    tx.touch('acl_token');
    return { token: view, index: tx.index };
  });
}

export interface TokenInput {
  AccessorID: string;
  Name: string;
  Type: string;
  Policies: string[];
  Roles: { ID?: string; Name?: string }[];
  Global: boolean;
  /** Nanoseconds; 0 when not given. */
  ExpirationTTL: number;
  /** Unix nanoseconds; null when not given. */
  ExpirationTime: number | null;
}

/** ACL.UpsertTokens for one token: create (no AccessorID) or update. */
export function upsertToken(store: Store, input: TokenInput): { token: Obj; index: number } {
  const t = aclTables(store);
  const existing = input.AccessorID ? t.tokens.get(input.AccessorID) : undefined;
  if (input.AccessorID && !existing) throw new RpcError(`cannot find token ${input.AccessorID}`, 400);
  const now = store.nowNs();
  let expires = input.ExpirationTime;
  if (!existing && expires === null && input.ExpirationTTL !== 0) expires = now + input.ExpirationTTL;

  const errors: string[] = [];
  if (input.Name.length > 256) errors.push('token name too long');
  if (input.Type === 'client') {
    if (input.Policies.length === 0 && input.Roles.length === 0) errors.push('client token missing policies or roles');
  } else if (input.Type === 'management') {
    if (input.Policies.length !== 0 || input.Roles.length !== 0) errors.push('management token cannot be associated with policies or roles');
  } else errors.push('token type must be client or management');
  if (!existing) {
    if (input.ExpirationTTL < 0) errors.push(`token expiration TTL '-${goDuration(-input.ExpirationTTL)}' should not be negative`);
    if (expires !== null) {
      if (now > expires) errors.push('expiration time cannot be before create time');
      const inNs = expires - now;
      const fmt = (ns: number): string => (ns < 0 ? `-${goDuration(-ns)}` : goDuration(ns));
      if (inNs > MAX_TTL_NS) errors.push(`expiration time cannot be more than ${goDuration(MAX_TTL_NS)} in the future (was ${fmt(inNs)})`);
      else if (inNs < MIN_TTL_NS) errors.push(`expiration time cannot be less than ${goDuration(MIN_TTL_NS)} in the future (was ${fmt(inNs)})`);
    }
  } else {
    if (existing.view.Global !== input.Global) errors.push('cannot toggle global mode');
    const oldTtl = existing.view.ExpirationTTL as string;
    if (oldTtl !== (input.ExpirationTTL ? goDuration(input.ExpirationTTL) : '')) errors.push('cannot update expiration TTL');
    // Nomad compares the two *time.Time pointers, so any expiration time on either side differs.
    if (existing.expiresNs !== null || input.ExpirationTime !== null) errors.push('cannot update expiration time');
  }
  if (errors.length > 0) throw new RpcError(`token 0 invalid: ${formatMultiError(errors)}`, 400);
  for (const role of input.Roles) throw new RpcError(`cannot find role ${role.ID || role.Name || ''}`, 400);

  return store.write((tx) => {
    const view = tokenView({
      AccessorID: existing ? (existing.view.AccessorID as string) : store.newId(),
      SecretID: existing ? (existing.view.SecretID as string) : store.newId(),
      Name: input.Name,
      Type: input.Type,
      Policies: input.Policies.length > 0 ? input.Policies : null,
      Global: input.Global,
      CreateNs: existing ? Date.parse(existing.view.CreateTime as string) * 1e6 : now,
      ExpiresNs: existing ? existing.expiresNs : expires,
      TTLNs: existing ? 0 : input.ExpirationTTL,
      CreateIndex: existing ? (existing.view.CreateIndex as number) : tx.index,
      ModifyIndex: tx.index,
    });
    if (existing) {
      view.CreateTime = existing.view.CreateTime;
      view.ExpirationTTL = existing.view.ExpirationTTL;
    }
    const rec = { view, expiresNs: existing ? existing.expiresNs : expires };
    t.tokens.set(view.AccessorID, rec);
    t.bySecret.set(view.SecretID, rec);
    t.tokenIndex = tx.index;
    tx.touch('acl_token');
    return { token: view, index: tx.index };
  });
}

/** ACL.DeleteTokens for one accessor. */
export function deleteToken(store: Store, accessor: string): { index: number } {
  const t = aclTables(store);
  const rec = t.tokens.get(accessor);
  if (!rec) throw new RpcError(`Cannot delete nonexistent tokens: ${accessor}`, 400);
  return store.write((tx) => {
    t.tokens.delete(accessor);
    t.bySecret.delete(rec.view.SecretID as string);
    t.tokenIndex = tx.index;
    tx.touch('acl_token');
    return { index: tx.index };
  });
}

/** Tokens by CreateIndex (then accessor); with a prefix, accessors starting with it, by accessor. */
export function listTokens(store: Store, prefix: string): { tokens: Obj[]; index: number } {
  const t = aclTables(store);
  let list = [...t.tokens.values()].map((r) => r.view);
  if (prefix) list = list.filter((v) => String(v.AccessorID).startsWith(prefix)).sort((a, b) => (a.AccessorID < b.AccessorID ? -1 : 1));
  else list.sort((a, b) => a.CreateIndex - b.CreateIndex || (a.AccessorID < b.AccessorID ? -1 : 1));
  return { tokens: list.map(tokenStub), index: t.tokenIndex };
}

export function tokenByAccessor(store: Store, accessor: string): Obj | undefined {
  return aclTables(store).tokens.get(accessor)?.view;
}

export function tokenBySecret(store: Store, secret: string): TokenRecord | undefined {
  return aclTables(store).bySecret.get(secret);
}

export function tokenTableIndex(store: Store): number {
  return aclTables(store).tokenIndex;
}

export interface PolicyInput {
  Name: string;
  Description: string;
  Rules: string;
  JobACL: { Namespace?: string; JobID?: string; Group?: string; Task?: string } | null;
}

const VALID_POLICY_NAME = /^[a-zA-Z0-9-]{1,128}$/;

/** ACL.UpsertPolicies for one policy (ACLPolicy.Validate, then the write). */
export function upsertPolicy(store: Store, input: PolicyInput): { index: number } {
  const errors: string[] = [];
  let parsed: ParsedPolicy | null = null;
  if (!VALID_POLICY_NAME.test(input.Name)) errors.push(`invalid name '${input.Name}'`);
  try {
    parsed = parsePolicyRules(input.Rules, true);
  } catch (err) {
    errors.push(`failed to parse rules: ${(err as Error).message}`);
  }
  if (input.Description.length > 256) errors.push('description longer than 256');
  const j = input.JobACL;
  if (j) {
    if (j.JobID && !j.Namespace) errors.push('namespace must be set to set job ID');
    if (j.Group && !j.JobID) errors.push('job ID must be set to set group');
    if (j.Task && !j.Group) errors.push('group must be set to set task');
  }
  if (errors.length > 0 || !parsed) throw new RpcError(`policy 0 invalid: ${formatMultiError(errors)}`, 400);
  const t = aclTables(store);
  const existing = t.policies.get(input.Name);
  return store.write((tx) => {
    const view: Obj = {
      Name: input.Name,
      Description: input.Description,
      Rules: input.Rules,
      JobACL: j ? { Namespace: j.Namespace ?? '', JobID: j.JobID ?? '', Group: j.Group ?? '', Task: j.Task ?? '' } : null,
      Hash: hash(input.Name, input.Description, input.Rules, j),
      CreateIndex: existing ? existing.view.CreateIndex : tx.index,
      ModifyIndex: tx.index,
    };
    t.policies.set(input.Name, { view, parsed: parsed! });
    t.policyIndex = tx.index;
    tx.touch('acl_policy');
    return { index: tx.index };
  });
}

export function deletePolicy(store: Store, name: string): { index: number } {
  const t = aclTables(store);
  return store.write((tx) => {
    t.policies.delete(name);
    t.policyIndex = tx.index;
    tx.touch('acl_policy');
    return { index: tx.index };
  });
}

export function listPolicies(store: Store, prefix: string, only: Set<string> | null): { policies: Obj[]; index: number } {
  const t = aclTables(store);
  const list = [...t.policies.values()]
    .map((r) => r.view)
    .filter((v) => String(v.Name).startsWith(prefix) && (!only || only.has(v.Name)))
    .sort((a, b) => (a.Name < b.Name ? -1 : 1));
  return { policies: list.map(policyStub), index: Math.max(1, t.policyIndex) };
}

/** GET /v1/acl/policy/:name: the policy with its parsed rules, and the read index. */
export function getPolicy(store: Store, name: string): { policy: Obj | null; index: number } {
  const t = aclTables(store);
  const rec = t.policies.get(name);
  if (!rec) return { policy: null, index: t.policyIndex };
  const v = rec.view;
  const policy: Obj = {
    Name: v.Name,
    Description: v.Description,
    Rules: v.Rules,
    RulesJSON: rulesJson(parsePolicyRules(v.Rules, false)),
    JobACL: v.JobACL,
    Hash: v.Hash,
    CreateIndex: v.CreateIndex,
    ModifyIndex: v.ModifyIndex,
  };
  return { policy, index: v.ModifyIndex };
}


// ACL tables ride along in snapshots, resets and the data dir like the core tables.
registerSnapshotPart('acl', {
  tables: ['acl_token', 'acl_policy'],
  schema: Type.Object({
    Tokens: Type.Array(
      Type.Object({
        View: Type.Object({
          AccessorID: S.Str, SecretID: S.Str, Name: S.Str, Type: Type.Union([Type.Literal('client'), Type.Literal('management')]),
          Policies: S.Nullable(S.Strs), Global: S.Bool, CreateTime: S.Str, ExpirationTime: S.Opt(S.Str), ExpirationTTL: S.Opt(S.Str),
          CreateIndex: S.Idx, ModifyIndex: S.Idx,
        }),
        ExpiresNs: S.Nullable(S.Num),
      }),
    ),
    Policies: Type.Array(Type.Object({ Name: S.Str, Description: S.Opt(S.Str), Rules: S.Str, CreateIndex: S.Idx, ModifyIndex: S.Idx })),
    BootstrapIndex: S.Idx,
    TokenIndex: S.Idx,
    PolicyIndex: S.Idx,
  }),
  save(store: Store): unknown {
    const t = aclTables(store);
    return {
      Tokens: [...t.tokens.values()].map((r) => ({ View: r.view, ExpiresNs: r.expiresNs })),
      Policies: [...t.policies.values()].map((r) => r.view),
      BootstrapIndex: t.bootstrapIndex,
      TokenIndex: t.tokenIndex,
      PolicyIndex: t.policyIndex,
    };
  },
  load(store: Store, data: unknown): void {
    const d = (data ?? {}) as { Tokens?: { View: Obj; ExpiresNs: number | null }[]; Policies?: Obj[]; BootstrapIndex?: number; TokenIndex?: number; PolicyIndex?: number };
    const t: AclTables = { tokens: new Map(), bySecret: new Map(), policies: new Map(), bootstrapIndex: d.BootstrapIndex ?? 0, tokenIndex: d.TokenIndex ?? 0, policyIndex: d.PolicyIndex ?? 0 };
    for (const tok of d.Tokens ?? []) {
      const rec: TokenRecord = { view: tok.View, expiresNs: tok.ExpiresNs };
      t.tokens.set(tok.View.AccessorID, rec);
      t.bySecret.set(tok.View.SecretID, rec);
    }
    for (const view of d.Policies ?? []) t.policies.set(view.Name, { view, parsed: parsePolicyRules(String(view.Rules ?? ''), false) });
    tables.set(store, t);
  },
});
