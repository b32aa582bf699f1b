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
  /** Variable path rules keyed `<namespace>\0<path spec>`; those with a `*` in either part are globs. */
  readonly variables = new Map<string, Set<string>>();
  readonly variableGlobs = new Map<string, Set<string>>();
  /** node_pool blocks, exact names and globs, as namespaces are kept. */
  readonly nodePools = new Map<string, Set<string>>();
  readonly nodePoolWildcards = new Map<string, Set<string>>();
  agent = '';
  node = '';
  operator = '';
  plugin = '';

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
        mergeCapabilities(caps, ns.Capabilities);
        for (const path of ns.variablePaths ?? []) {
          const key = `${ns.Name}\u0000${path.PathSpec}`;
          const vtable = key.includes('*') ? acl.variableGlobs : acl.variables;
          let vcaps = vtable.get(key);
          if (!vcaps) vtable.set(key, (vcaps = new Set()));
          mergeCapabilities(vcaps, path.Capabilities);
        }
      }
      for (const np of policy.nodePools) {
        const table = np.Name.includes('*') ? acl.nodePoolWildcards : acl.nodePools;
        let caps = table.get(np.Name);
        if (!caps) table.set(np.Name, (caps = new Set()));
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
      if (policy.agent !== null) acl.agent = maxPrivilege(acl.agent, policy.agent);
      if (policy.node !== null) acl.node = maxPrivilege(acl.node, policy.node);
      if (policy.operator !== null) acl.operator = maxPrivilege(acl.operator, policy.operator.Policy);
      if (policy.plugin !== null) acl.plugin = maxPrivilege(acl.plugin, policy.plugin);
    }
    return acl;
  }

  /** The concrete capability set of `ns`, else the closest matching glob's. */
  private matching(ns: string, concrete = this.namespaces, wildcards = this.wildcards): Set<string> | undefined {
    return concrete.get(ns) ?? closestGlob(wildcards, ns);
  }

  /**
   * AllowVariableOperation for a token (workload identities are not emulated): the rule for the
   * exact namespace and path, else the closest glob over `<namespace>\0<path>`; deny wins.
   */
  allowVariable(ns: string, path: string, op: string): boolean {
    if (this.management) return true;
    const key = `${ns}\u0000${path}`;
    const caps = this.variables.get(key) ?? closestGlob(this.variableGlobs, key);
    return !!caps && !caps.has('deny') && caps.has(op);
  }

  /** AllowVariableSearch: any non-deny `variables` rule whose namespace (or glob) covers `ns`. */
  allowVariableSearch(ns: string): boolean {
    if (this.management) return true;
    for (const rules of [this.variables, this.variableGlobs]) {
      for (const [key, caps] of rules) {
        const ruleNs = key.slice(0, key.indexOf('\u0000'));
        if ((ruleNs === ns || globMatch(ruleNs, ns)) && caps.size > 0 && !caps.has('deny')) return true;
      }
    }
    return false;
  }

  /** AllowNodePoolOperation: the pool's (or closest glob's) capability set grants `op`. */
  allowNodePool(pool: string, op: string): boolean {
    if (this.management) return true;
    const caps = this.matching(pool, this.nodePools, this.nodePoolWildcards);
    return !!caps && !caps.has('deny') && caps.has(op);
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
  /** AllowPluginRead: `plugin` read or write. */
  allowPluginRead(): boolean {
    return this.management || this.plugin === 'read' || this.plugin === 'write';
  }
  /** AllowPluginList: `plugin` list, read or write. */
  allowPluginList(): boolean {
    return this.management || this.plugin === 'list' || this.plugin === 'read' || this.plugin === 'write';
  }

  /** AllowNodePoolSearch: any node pool block granting something other than deny. */
  allowNodePoolSearch(): boolean {
    if (this.management) return true;
    for (const rules of [this.nodePools, this.nodePoolWildcards]) for (const caps of rules.values()) if (caps.size > 0 && !caps.has('deny')) return true;
    return false;
  }

  allowOperatorRead(): boolean {
    return this.management || this.operator === 'write' || this.operator === 'read';
  }
  allowOperatorWrite(): boolean {
    return this.management || this.operator === 'write';
  }
}

/** Adds a rule's capabilities to a set: deny already there wins, a new deny replaces the rest. */
function mergeCapabilities(caps: Set<string>, add: string[] | null): void {
  if (caps.has('deny')) return;
  for (const c of add ?? []) {
    if (c === 'deny') {
      caps.clear();
      caps.add('deny');
      return;
    }
    caps.add(c);
  }
}

/** findClosestMatchingGlob: of the globs matching `input`, the one leaving the fewest characters to `*`. */
function closestGlob(globs: Map<string, Set<string>>, input: string): Set<string> | undefined {
  let best: { diff: number; caps: Set<string> } | undefined;
  for (const key of [...globs.keys()].sort()) {
    if (!globMatch(key, input)) continue;
    const diff = input.length - key.length + (key.split('*').length - 1);
    if (!best || diff < best.diff) best = { diff, caps: globs.get(key)! };
  }
  return best?.caps;
}

export const MANAGEMENT_ACL = new Acl(true);

/** Whether `acl` grants `capability` in `namespace` (a management ACL grants everything). */
export function allowed(acl: Acl, namespace: string, capability: string): boolean {
  return acl.allowNs(namespace, capability);
}
