// The compiled ACL (acl.ACL): the capability checks a resolved token's policies grant.
import { globMatch } from '../glob.js';
import type { ParsedPolicy } from './policy.js';

const PRIVILEGE = ['deny', 'write', 'read', 'list'];
function maxPrivilege(a: string, b: string): string {
  for (const p of PRIVILEGE) if (a === p || b === p) return p;
  return '';
}

export class Acl {
  readonly namespaces = new Map<string, Set<string>>();
  readonly wildcards = new Map<string, Set<string>>();
  agent = '';
  node = '';
  operator = '';

  constructor(readonly management: boolean) {}

  static compile(policies: ParsedPolicy[]): Acl {
    const acl = new Acl(false);
    for (const policy of policies) {
      for (const ns of policy.namespaces) {
        const table = ns.Name.includes('*') ? acl.wildcards : acl.namespaces;
        let caps = table.get(ns.Name);
        if (!caps) {
          caps = new Set();
          table.set(ns.Name, caps);
        }
        if (caps.has('deny')) continue;
        for (const c of ns.Capabilities ?? []) {
          if (c === 'deny') {
            caps.clear();
            caps.add('deny');
            break;
          }
          caps.add(c);
        }
      }
      if (policy.agent !== null) acl.agent = maxPrivilege(acl.agent, policy.agent);
      if (policy.node !== null) acl.node = maxPrivilege(acl.node, policy.node);
      if (policy.operator !== null) acl.operator = maxPrivilege(acl.operator, policy.operator.Policy);
    }
    return acl;
  }

  /** The concrete capability set of `ns`, else the closest matching glob's. */
  private matching(ns: string): Set<string> | undefined {
    const concrete = this.namespaces.get(ns);
    if (concrete) return concrete;
    let best: { diff: number; caps: Set<string> } | undefined;
    for (const key of [...this.wildcards.keys()].sort()) {
      if (!globMatch(key, ns)) continue;
      const diff = ns.length - key.length + (key.split('*').length - 1);
      if (!best || diff < best.diff) best = { diff, caps: this.wildcards.get(key)! };
    }
    return best?.caps;
  }

  private anyNamespace(cb: (caps: Set<string>) => boolean): boolean {
    for (const caps of this.namespaces.values()) if (cb(caps)) return true;
    for (const caps of this.wildcards.values()) if (cb(caps)) return true;
    return false;
  }

  /** AllowNamespaceOperation; `*` is allowed when any namespace allows the operation. */
  allowNs(ns: string, op: string): boolean {
    if (this.management) return true;
    if (ns === '*' && this.anyNamespace((c) => c.has(op))) return true;
    return this.matching(ns)?.has(op) ?? false;
  }

  /** AllowNamespace: any non-deny capability in the namespace. */
  allowNamespace(ns: string): boolean {
    if (this.management) return true;
    if (ns === '*' && this.anyNamespace((c) => c.size > 0 && !c.has('deny'))) return true;
    const caps = this.matching(ns);
    return !!caps && caps.size > 0 && !caps.has('deny');
  }

  allowAgentRead(): boolean {
    return this.management || this.agent === 'write' || this.agent === 'read';
  }
  allowAgentWrite(): boolean {
    return this.management || this.agent === 'write';
  }
  allowNodeRead(): boolean {
    return this.management || this.node === 'write' || this.node === 'read';
  }
  allowNodeWrite(): boolean {
    return this.management || this.node === 'write';
  }
  allowOperatorRead(): boolean {
    return this.management || this.operator === 'write' || this.operator === 'read';
  }
}

export const MANAGEMENT_ACL = new Acl(true);

/** Whether `acl` grants `capability` in `namespace` (a management ACL grants everything). */
export function allowed(acl: Acl, namespace: string, capability: string): boolean {
  return acl.allowNs(namespace, capability);
}
