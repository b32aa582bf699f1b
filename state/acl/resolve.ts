// Resolution: a request's secret → its token and compiled ACL (nomad/acl.go ResolveToken).
import type { Store } from '../store.js';
import type { Obj } from '../types.js';
import type { ParsedPolicy } from './policy.js';
import { Acl, MANAGEMENT_ACL } from './acl.js';
import { aclTables, isUuid, tokenBySecret } from './tables.js';
import { rolePolicyNames } from './identity-tables.js';

/** Every policy name a token holds: its own and those of its roles (ACL.policyNamesFromRoleLinks). */
export function tokenPolicyNames(store: Store, token: Obj): string[] {
  return [...((token.Policies as string[] | null) ?? []), ...rolePolicyNames(store, token.Roles)];
}

/** The ACL of a set of policy names; names without a policy grant nothing. */
export function compileAcl(store: Store, names: string[]): Acl {
  const t = aclTables(store);
  return Acl.compile(names.map((n) => t.policies.get(n)?.parsed).filter((p): p is ParsedPolicy => !!p));
}

export type Resolution =
  | { ok: true; acl: Acl; token: Obj | null }
  | { ok: false; reason: 'not-found' | 'expired' | 'invalid' };

/**
 * Authenticates a secret: no secret is the anonymous token (policy `anonymous`); a known, unexpired
 * secret is its token; an unknown UUID is `not-found`; anything else would have to be a workload
 * identity JWT, which the mock never issues (`invalid`).
 */
export function resolveSecret(store: Store, secret: string): Resolution {
  if (secret === '') return { ok: true, acl: compileAcl(store, ['anonymous']), token: null };
  const rec = tokenBySecret(store, secret);
  if (!rec) return { ok: false, reason: isUuid(secret) ? 'not-found' : 'invalid' };
  if (rec.expiresNs !== null && rec.expiresNs < store.nowNs()) return { ok: false, reason: 'expired' };
  const v = rec.view;
  if (v.Type === 'management') return { ok: true, acl: MANAGEMENT_ACL, token: v };
  return { ok: true, acl: compileAcl(store, tokenPolicyNames(store, v)), token: v };
}
