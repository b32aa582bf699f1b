// ACL auth methods and binding rules (ACL.UpsertAuthMethods / UpsertBindingRules and their
// deletes, lists and reads; nomad/structs/acl.go ACLAuthMethod, ACLBindingRule).
import type { Store } from '../store.js';
import type { Obj } from '../types.js';
import { RpcError } from '../errors.js';
import { formatMultiError } from '../jobspec/multierror.js';
import { goDuration, rfc3339 } from '../format.js';
import { compileFilter } from '../filter/index.js';
import { parseGoDuration } from '../godur.js';
import { AUTH_METHOD_TABLE, BINDING_RULE_TABLE, hashOf, identityTables } from './identity-tables.js';

const VALID_METHOD_NAME = /^[a-zA-Z0-9-]{1,128}$/;
export const AUTH_METHOD_TYPES = ['OIDC', 'JWT'];
/** The agent's default `token_min_expiration_ttl` and `token_max_expiration_ttl`. */
const MIN_TTL_NS = 60e9;
const MAX_TTL_NS = 24 * 3600e9;
const MAX_DESCRIPTION = 256;

/** ACLAuthMethodConfig's fields in the order Go encodes them (its MarshalJSON puts the leeways first). */
export const CONFIG_DURATIONS = ['ExpirationLeeway', 'NotBeforeLeeway', 'ClockSkewLeeway'] as const;
export const CONFIG_STRINGS = ['JWKSURL', 'OIDCDiscoveryURL', 'OIDCClientID', 'OIDCClientSecret', 'JWKSCACert'] as const;
export const CONFIG_LISTS = ['JWTValidationPubKeys', 'OIDCScopes', 'BoundAudiences', 'BoundIssuer', 'AllowedRedirectURIs', 'DiscoveryCaPem', 'SigningAlgs'] as const;
export const CONFIG_MAPS = ['ClaimMappings', 'ListClaimMappings'] as const;
const CONFIG_ORDER = [
  ...CONFIG_DURATIONS,
  'JWTValidationPubKeys', 'JWKSURL', 'OIDCDiscoveryURL', 'OIDCClientID', 'OIDCClientSecret', 'OIDCScopes', 'BoundAudiences', 'BoundIssuer',
  'AllowedRedirectURIs', 'DiscoveryCaPem', 'JWKSCACert', 'SigningAlgs', ...CONFIG_MAPS,
];

export interface AuthMethodInput {
  Name: string;
  Type: string;
  TokenLocality: string;
  TokenNameFormat: string;
  /** Nanoseconds. */
  MaxTokenTTL: number;
  Default: boolean;
  /** Decoded config: durations in nanoseconds; null when not given. */
  Config: Obj | null;
}

/** A config with every field, in Go's order; durations as Go prints them ("" when zero). */
function renderConfig(c: Obj): Obj {
  const out: Obj = {};
  for (const k of CONFIG_ORDER) {
    const v = c[k];
    if ((CONFIG_DURATIONS as readonly string[]).includes(k)) out[k] = typeof v === 'number' && v !== 0 ? goDuration(v) : '';
    else if ((CONFIG_STRINGS as readonly string[]).includes(k)) out[k] = typeof v === 'string' ? v : '';
    else out[k] = v ?? null;
  }
  return out;
}

export const authMethodStub = (m: Obj): Obj => ({ Name: m.Name, Type: m.Type, Default: m.Default, Hash: m.Hash, CreateIndex: m.CreateIndex, ModifyIndex: m.ModifyIndex });

/** ACL.UpsertAuthMethods for one method: merged over the stored one of that name, validated, written. */
export function upsertAuthMethod(store: Store, input: AuthMethodInput): { method: Obj; index: number } {
  const t = identityTables(store);
  const existing = t.authMethods.get(input.Name);
  // ACLAuthMethod.Merge: empty fields take the stored method's values (Default and Name excepted).
  const type = input.Type || (existing?.Type as string | undefined) || '';
  const locality = input.TokenLocality || (existing?.TokenLocality as string | undefined) || '';
  const storedTtl = typeof existing?.MaxTokenTTLNs === 'number' ? existing.MaxTokenTTLNs : (parseGoDuration(String(existing?.MaxTokenTTL || '0s')) ?? 0);
  const ttl = input.MaxTokenTTL || storedTtl;
  const config = input.Config ?? (existing?.Config ? (existing.ConfigInput as Obj) : null);
  const errors: string[] = [];
  if (!VALID_METHOD_NAME.test(input.Name)) errors.push(`invalid name '${input.Name}'`);
  if (locality !== 'local' && locality !== 'global') errors.push(`invalid token locality '${locality}'`);
  if (!AUTH_METHOD_TYPES.includes(type)) errors.push(`invalid token type '${type}'`);
  if (ttl < MIN_TTL_NS || ttl > MAX_TTL_NS) errors.push(`invalid MaxTokenTTL value '${goDuration(ttl)}' (should be between ${goDuration(MIN_TTL_NS)} and ${goDuration(MAX_TTL_NS)})`);
  if (errors.length > 0) throw new RpcError(`auth method 0 invalid: ${formatMultiError(errors)}`, 400);
  if (input.Default) {
    for (const m of t.authMethods.values()) if (m.Default && m.Name !== input.Name) throw new RpcError(`default method already exists: ${m.Name}`, 400);
  }
  const now = store.nowNs();
  return store.write((tx) => {
    const method: Obj = {
      MaxTokenTTL: ttl ? goDuration(ttl) : '',
      Name: input.Name,
      Type: type,
      TokenLocality: locality,
      TokenNameFormat: input.TokenNameFormat || (existing?.TokenNameFormat as string | undefined) || '',
      Default: input.Default,
      Config: config ? renderConfig(config) : null,
      Hash: hashOf(input.Name, type, locality, ttl, input.Default, config),
      CreateTime: existing ? existing.CreateTime : rfc3339(now),
      ModifyTime: rfc3339(now),
      CreateIndex: existing ? existing.CreateIndex : tx.index,
      ModifyIndex: tx.index,
    };
    // What the renderings lose, kept beside them for the next merge (left out of every answer).
    const stored = { ...method, MaxTokenTTLNs: ttl, ConfigInput: config };
    t.authMethods.set(input.Name, stored);
    t.indexes[AUTH_METHOD_TABLE] = tx.index;
    tx.touch(AUTH_METHOD_TABLE);
    tx.emit('ACLAuthMethod', method.Name, '', null, { AuthMethod: method }, 'ACLAuthMethodUpserted');
    return { method, index: tx.index };
  });
}

/** The method as answered (without the merge bookkeeping). */
export function authMethodView(m: Obj): Obj {
  const { MaxTokenTTLNs: _ttl, ConfigInput: _config, ...view } = m;
  return view;
}

export function deleteAuthMethod(store: Store, name: string): { index: number } {
  const t = identityTables(store);
  const m = t.authMethods.get(name);
  if (!m) throw new RpcError('ACL auth method not found', 500);
  return store.write((tx) => {
    t.authMethods.delete(name);
    t.indexes[AUTH_METHOD_TABLE] = tx.index;
    tx.touch(AUTH_METHOD_TABLE);
    tx.emit('ACLAuthMethod', name, '', null, { AuthMethod: authMethodView(m) }, 'ACLAuthMethodDeleted');
    return { index: tx.index };
  });
}

export function listAuthMethods(store: Store): Obj[] {
  return [...identityTables(store).authMethods.values()].sort((a, b) => (a.Name < b.Name ? -1 : 1)).map(authMethodStub);
}

export interface BindingRuleInput {
  ID: string;
  Description: string;
  AuthMethod: string;
  Selector: string;
  BindType: string;
  BindName: string;
}

export const bindingRuleStub = (r: Obj): Obj => ({ ID: r.ID, Description: r.Description, AuthMethod: r.AuthMethod, Hash: r.Hash, CreateIndex: r.CreateIndex, ModifyIndex: r.ModifyIndex });

/** ACL.UpsertBindingRules for one rule: existence and merge on update, validation, its auth method, the write. */
export function upsertBindingRule(store: Store, input: BindingRuleInput): { rule: Obj; index: number } {
  const t = identityTables(store);
  const r = { ...input };
  let existing: Obj | undefined;
  if (r.ID !== '') {
    existing = t.bindingRules.get(r.ID);
    if (!existing) throw new RpcError(`cannot find binding rule ${r.ID}`, 400);
    r.BindName ||= existing.BindName;
    r.BindType ||= existing.BindType;
    r.AuthMethod ||= existing.AuthMethod;
    if (r.AuthMethod !== existing.AuthMethod) throw new RpcError('cannot update auth method for binding rule, create a new rule instead', 400);
  }
  const errors: string[] = [];
  if (r.AuthMethod === '') errors.push('auth method is missing');
  if (r.Description.length > MAX_DESCRIPTION) errors.push(`description longer than ${MAX_DESCRIPTION}`);
  if (r.BindType === '') errors.push('bind type is missing');
  else if (r.BindType === 'role' || r.BindType === 'policy') {
    if (r.BindName === '') errors.push('bind name is missing');
  } else if (r.BindType === 'management') {
    if (r.BindName !== '') errors.push('bind name should be empty');
  } else errors.push(`unsupported bind type: ${JSON.stringify(r.BindType)}`);
  if (r.Selector !== '') {
    try {
      compileFilter(r.Selector);
    } catch (err) {
      errors.push(`selector is invalid: ${(err as Error).message}`);
    }
  }
  if (errors.length > 0) throw new RpcError(`binding rule 0 invalid: ${formatMultiError(errors)}`, 400);
  if (!t.authMethods.has(r.AuthMethod)) throw new RpcError(`ACL auth method ${r.AuthMethod} not found`, 400);
  const now = store.nowNs();
  return store.write((tx) => {
    const id = existing ? (existing.ID as string) : store.newId();
    const rule: Obj = {
      ID: id,
      Description: r.Description,
      AuthMethod: r.AuthMethod,
      Selector: r.Selector,
      BindType: r.BindType,
      BindName: r.BindName,
      Hash: hashOf(id, r.Description, r.AuthMethod, r.Selector, r.BindType, r.BindName),
      CreateTime: existing ? existing.CreateTime : rfc3339(now),
      ModifyTime: rfc3339(now),
      CreateIndex: existing ? existing.CreateIndex : tx.index,
      ModifyIndex: tx.index,
    };
    t.bindingRules.set(id, rule);
    t.indexes[BINDING_RULE_TABLE] = tx.index;
    tx.touch(BINDING_RULE_TABLE);
    tx.emit('ACLBindingRule', id, '', [rule.AuthMethod], { ACLBindingRule: rule }, 'ACLBindingRuleUpserted');
    return { rule, index: tx.index };
  });
}

export function deleteBindingRule(store: Store, id: string): { index: number } {
  const t = identityTables(store);
  const rule = t.bindingRules.get(id);
  if (!rule) throw new RpcError('ACL binding rule not found', 500);
  return store.write((tx) => {
    t.bindingRules.delete(id);
    t.indexes[BINDING_RULE_TABLE] = tx.index;
    tx.touch(BINDING_RULE_TABLE);
    tx.emit('ACLBindingRule', id, '', [rule.AuthMethod], { ACLBindingRule: rule }, 'ACLBindingRuleDeleted');
    return { index: tx.index };
  });
}

export function listBindingRules(store: Store): Obj[] {
  return [...identityTables(store).bindingRules.values()].sort((a, b) => (a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0)).map(bindingRuleStub);
}
