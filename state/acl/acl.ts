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
  plugin = '';
  /** Node pool blocks by label (globs allowed), with their capabilities. */
  readonly nodePools = new Map<string, Set<string>>();

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
      if (policy.plugin !== null) acl.plugin = maxPrivilege(acl.plugin, policy.plugin);
      for (const np of policy.nodePools) {
        let caps = acl.nodePools.get(np.Name);
        if (!caps) acl.nodePools.set(np.Name, (caps = new Set()));
        if (caps.has('deny')) continue;
        for (const c of np.Capabilities ?? []) {
          if (c === 'deny') {
            caps.clear();
            caps.add('deny');
            break;
          }
          caps.add(c);
        }
      }
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
  allowNodeRead(): boolean {
    return this.management || this.node === 'write' || this.node === 'read';
  }
  allowNodeWrite(): boolean {
    return this.management || this.node === 'write';
  }
  /** AllowPluginRead: `plugin` read or write. */
  allowPluginRead(): boolean {
    return this.management || this.plugin === 'read' || this.plugin === 'write';
  }
  /** AllowPluginList: `plugin` list, read or write. */
  allowPluginList(): boolean {
    return this.management || this.plugin === 'list' || this.plugin === 'read' || this.plugin === 'write';
  }

  /** AllowNodePoolOperation: the exact label's capabilities, else the closest glob's. */
  allowNodePool(pool: string, op: string): boolean {
    if (this.management) return true;
    let caps = this.nodePools.get(pool);
    if (!caps) {
      let best: { diff: number; caps: Set<string> } | undefined;
      for (const key of [...this.nodePools.keys()].sort()) {
        if (!key.includes('*') || !globMatch(key, pool)) continue;
        const diff = pool.length - key.length + (key.split('*').length - 1);
        if (!best || diff < best.diff) best = { diff, caps: this.nodePools.get(key)! };
      }
      caps = best?.caps;
    }
    return !!caps && !caps.has('deny') && caps.has(op);
  }

  /** AllowNodePoolSearch: any node pool block granting something other than deny. */
  allowNodePoolSearch(): boolean {
    if (this.management) return true;
    for (const caps of this.nodePools.values()) if (caps.size > 0 && !caps.has('deny')) return true;
    return false;
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
