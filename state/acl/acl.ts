// ACL mode: the token and policy tables (kept per Store in a WeakMap), bootstrap, the policy-rule
// parser for the subset clients use (namespace / node_pool / host_volume blocks with `policy` and
// `capabilities`, plus agent / node / operator / quota / plugin), and the compiled capability checks
// of Nomad's `acl` package (acl/policy.go, acl/acl.go, nomad/acl_endpoint.go, nomad/structs/acl.go).
import { registerSnapshotPart } from '../snapshot/snapshot.js';
import { Type } from '@sinclair/typebox';
import { SchemaTypes as S } from '../snapshot/schema.js';
import { createHash } from 'node:crypto';
import type { Store } from '../store.js';
import type { Obj } from '../types.js';
import { RpcError } from '../errors.js';
import { formatMultiError } from '../jobspec/multierror.js';
import { goDuration, rfc3339 } from '../format.js';
import { globMatch } from '../glob.js';

// ---------------------------------------------------------------------------------------------
// Capabilities and policy dispositions (acl/policy.go)

const POLICIES = new Set(['deny', 'read', 'write', 'scale']);

const NAMESPACE_CAPABILITIES = new Set([
  'deny', 'list-jobs', 'parse-job', 'read-job', 'submit-job', 'dispatch-job', 'read-logs', 'read-fs',
  'alloc-exec', 'alloc-node-exec', 'alloc-lifecycle', 'csi-register-plugin', 'csi-write-volume',
  'csi-read-volume', 'csi-list-volume', 'csi-mount-volume', 'host-volume-create', 'host-volume-register',
  'host-volume-read', 'host-volume-write', 'host-volume-delete', 'list-scaling-policies',
  'read-scaling-policy', 'read-job-scaling', 'scale-job', 'register-job', 'revert-job', 'deregister-job',
  'purge-job', 'evaluate-job', 'plan-job', 'tag-job-version', 'stable-job', 'fail-deployment',
  'pause-deployment', 'promote-deployment', 'unblock-deployment', 'cancel-deployment',
  'set-alloc-health-deployment', 'gc-allocation', 'pause-allocation', 'force-periodic-job',
  'delete-service-registration', 'sentinel-override', 'submit-recommendation',
]);

const READ_CAPS = [
  'list-jobs', 'parse-job', 'read-job', 'csi-list-volume', 'csi-read-volume', 'read-job-scaling',
  'list-scaling-policies', 'read-scaling-policy', 'host-volume-read',
];
const WRITE_CAPS = [
  ...READ_CAPS, 'scale-job', 'submit-job', 'dispatch-job', 'read-logs', 'read-fs', 'alloc-exec',
  'alloc-lifecycle', 'csi-mount-volume', 'csi-write-volume', 'submit-recommendation', 'host-volume-create',
];
const SCALE_CAPS = ['list-scaling-policies', 'read-scaling-policy', 'read-job-scaling', 'scale-job', 'read-job', 'submit-recommendation'];

export function expandNamespacePolicy(policy: string): string[] {
  switch (policy) {
    case 'deny':
      return ['deny'];
    case 'read':
      return [...READ_CAPS];
    case 'write':
      return [...WRITE_CAPS];
    case 'scale':
      return [...SCALE_CAPS];
    default:
      return [];
  }
}

/** Capabilities implied by fine-grained host-volume capabilities (expandNamespaceCapabilities). */
function impliedCapabilities(caps: string[]): string[] {
  const extra: string[] = [];
  for (const c of caps) {
    if (c === 'host-volume-write') extra.push('host-volume-register', 'host-volume-create', 'host-volume-delete', 'host-volume-read');
    else if (c === 'host-volume-register') extra.push('host-volume-create', 'host-volume-read');
    else if (c === 'host-volume-create') extra.push('host-volume-read');
  }
  return extra;
}

const NODE_POOL_CAPABILITIES = new Set(['delete', 'deny', 'read', 'write']);
const HOST_VOLUME_CAPABILITIES = new Set(['deny', 'mount-readonly', 'mount-readwrite']);
const OPERATOR_CAPABILITIES = new Set(['deny', 'snapshot-save', 'license-read']);
const PLUGIN_POLICIES = new Set(['deny', 'read', 'list', 'write']);

function expandNodePoolPolicy(p: string): string[] {
  return p === 'deny' ? ['deny'] : p === 'read' ? ['read'] : p === 'write' ? ['delete', 'read', 'write'] : [];
}
function expandHostVolumePolicy(p: string): string[] {
  return p === 'deny' ? ['deny'] : p === 'read' ? ['mount-readonly'] : p === 'write' ? ['mount-readonly', 'mount-readwrite'] : [];
}
function expandOperatorPolicy(p: string): string[] {
  return p === 'deny' ? ['deny'] : p === 'read' ? ['license-read'] : p === 'write' ? ['snapshot-save', 'license-read'] : [];
}

// ---------------------------------------------------------------------------------------------
// Policy rules: a small parser for the HCL1 (or JSON) subset ACL policies use

type HclValue = string | number | boolean | HclValue[] | HclItem[];
interface HclItem {
  key: string;
  labels: string[];
  value: HclValue;
  /** True for `key { … }` / `key "label" { … }` blocks and `key = { … }` objects. */
  object: boolean;
}

class HclError extends Error {}

interface Tok {
  t: 'ident' | 'string' | 'number' | 'punct' | 'eof';
  v: string;
  line: number;
  col: number;
}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  const adv = (n: number): void => {
    for (let k = 0; k < n; k++) {
      if (src[i] === '\n') {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      adv(1);
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      while (i < src.length && src[i] !== '\n') adv(1);
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new HclError(`At ${line}:${col}: comment not terminated`);
      adv(end + 2 - i);
      continue;
    }
    const start = { line, col };
    if ('{}[]=,'.includes(c)) {
      out.push({ t: 'punct', v: c, ...start });
      adv(1);
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== '"') {
        if (src[j] === '\n') throw new HclError(`At ${start.line}:${start.col}: literal not terminated`);
        if (src[j] === '\\') {
          const e = src[j + 1];
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : (e ?? '');
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new HclError(`At ${start.line}:${start.col}: literal not terminated`);
      out.push({ t: 'string', v: s, ...start });
      adv(j + 1 - i);
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_.\-:]*/.exec(src.slice(i));
    if (word) {
      out.push({ t: 'ident', v: word[0], ...start });
      adv(word[0].length);
      continue;
    }
    const num = /^-?[0-9]+(\.[0-9]+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'number', v: num[0], ...start });
      adv(num[0].length);
      continue;
    }
    throw new HclError(`At ${line}:${col}: illegal char`);
  }
  out.push({ t: 'eof', v: '', line, col });
  return out;
}

class HclParser {
  private p = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.p]!;
  }
  private next(): Tok {
    return this.toks[this.p++]!;
  }
  private fail(tok: Tok, expected: string): never {
    const got = tok.t === 'eof' ? 'EOF' : tok.t === 'punct' ? tok.v : `${tok.t.toUpperCase()} ${tok.v}`;
    throw new HclError(`At ${tok.line}:${tok.col}: expected: ${expected} got: ${got}`);
  }

  body(closing: boolean): HclItem[] {
    const items: HclItem[] = [];
    for (;;) {
      const tok = this.peek();
      if (closing && tok.t === 'punct' && tok.v === '}') return items;
      if (tok.t === 'eof') {
        if (closing) this.fail(tok, 'RBRACE');
        return items;
      }
      items.push(this.item());
      const after = this.peek();
      if (after.t === 'punct' && after.v === ',') this.next();
    }
  }

  private item(): HclItem {
    const keyTok = this.next();
    if (keyTok.t !== 'ident' && keyTok.t !== 'string') this.fail(keyTok, 'IDENT | STRING');
    const labels: string[] = [];
    for (;;) {
      const tok = this.peek();
      if (tok.t === 'string' || tok.t === 'ident') {
        labels.push(this.next().v);
        continue;
      }
      break;
    }
    const tok = this.next();
    if (tok.t === 'punct' && tok.v === '=') {
      if (labels.length > 0) this.fail(tok, 'LBRACE');
      const next = this.peek();
      if (next.t === 'punct' && next.v === '{') {
        this.next();
        const value = this.body(true);
        this.next();
        return { key: keyTok.v, labels, value, object: true };
      }
      return { key: keyTok.v, labels, value: this.value(), object: false };
    }
    if (tok.t === 'punct' && tok.v === '{') {
      const value = this.body(true);
      this.next();
      return { key: keyTok.v, labels, value, object: true };
    }
    return this.fail(tok, 'ASSIGN | LBRACE');
  }

  private value(): HclValue {
    const tok = this.next();
    if (tok.t === 'string') return tok.v;
    if (tok.t === 'number') return Number(tok.v);
    if (tok.t === 'ident' && (tok.v === 'true' || tok.v === 'false')) return tok.v === 'true';
    if (tok.t === 'punct' && tok.v === '{') {
      const items = this.body(true);
      this.next();
      return items;
    }
    if (tok.t === 'punct' && tok.v === '[') {
      const list: HclValue[] = [];
      for (;;) {
        const t = this.peek();
        if (t.t === 'punct' && t.v === ']') {
          this.next();
          return list;
        }
        list.push(this.value());
        const sep = this.peek();
        if (sep.t === 'punct' && sep.v === ',') this.next();
        else if (!(sep.t === 'punct' && sep.v === ']')) this.fail(sep, 'COMMA | RBRACK');
      }
    }
    return this.fail(tok, 'IDENT | NUMBER | STRING | LBRACE | LBRACK');
  }
}

/** HCL1's JSON form: objects become blocks; `"namespace": {"x": {…}}` becomes a labelled block. */
function jsonToItems(obj: Record<string, unknown>): HclItem[] {
  const items: HclItem[] = [];
  for (const [key, raw] of Object.entries(obj)) {
    const values = Array.isArray(raw) && raw.every((r) => r && typeof r === 'object' && !Array.isArray(r)) && raw.length > 0 ? raw : [raw];
    for (const v of values) {
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        const nested = Object.values(o);
        // A labelled block is an object whose values are all objects (`{"default": {"policy": …}}`).
        if (LABELLED.has(key.toLowerCase()) && nested.length > 0 && nested.every((n) => n && typeof n === 'object' && !Array.isArray(n))) {
          for (const [label, body] of Object.entries(o)) items.push({ key, labels: [label], value: jsonToItems(body as Record<string, unknown>), object: true });
        } else items.push({ key, labels: [], value: jsonToItems(o), object: true });
      } else items.push({ key, labels: [], value: jsonValue(v), object: false });
    }
  }
  return items;
}

function jsonValue(v: unknown): HclValue {
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return '';
}

const LABELLED = new Set(['namespace', 'node_pool', 'host_volume', 'path']);

// ---------------------------------------------------------------------------------------------
// The parsed policy (acl.Policy) and its validation (acl.Parse)

export interface LabelledPolicy {
  Name: string;
  Policy: string;
  Capabilities: string[] | null;
  /** Namespace blocks only: whether a `variables` block was given. */
  hasVariables?: boolean;
}

export interface ParsedPolicy {
  namespaces: LabelledPolicy[];
  nodePools: LabelledPolicy[];
  hostVolumes: LabelledPolicy[];
  agent: string | null;
  node: string | null;
  operator: { Policy: string; Capabilities: string[] | null } | null;
  quota: string | null;
  plugin: string | null;
  raw: string;
}

const goQuote = (s: string): string => JSON.stringify(s);
const goStrings = (l: string[] | null): string => (l === null ? '[]string(nil)' : `[]string{${l.map(goQuote).join(', ')}}`);

function fmtNs(p: LabelledPolicy): string {
  const vars = p.hasVariables ? '(*acl.VariablesPolicy)(0xc000120000)' : '(*acl.VariablesPolicy)(nil)';
  return `&acl.NamespacePolicy{Name:${goQuote(p.Name)}, Policy:${goQuote(p.Policy)}, Capabilities:${goStrings(p.Capabilities)}, Variables:${vars}}`;
}
const fmtHv = (p: LabelledPolicy): string =>
  `&acl.HostVolumePolicy{Name:${goQuote(p.Name)}, Policy:${goQuote(p.Policy)}, Capabilities:${goStrings(p.Capabilities)}}`;

function strField(items: HclItem[], name: string): string {
  let out = '';
  for (const it of items) if (it.key.toLowerCase() === name && typeof it.value === 'string') out = it.value;
  return out;
}

function listField(items: HclItem[], name: string): string[] | null {
  let out: string[] | null = null;
  for (const it of items) {
    if (it.key.toLowerCase() !== name) continue;
    if (Array.isArray(it.value) && !it.object) out = [...(out ?? []), ...it.value.map((v) => String(v))];
    else if (typeof it.value === 'string') out = [...(out ?? []), it.value];
  }
  return out;
}

function labelled(item: HclItem): LabelledPolicy {
  const body = item.object ? (item.value as HclItem[]) : [];
  return {
    Name: item.labels[0] ?? '',
    Policy: strField(body, 'policy'),
    Capabilities: listField(body, 'capabilities'),
    hasVariables: body.some((b) => b.key.toLowerCase() === 'variables'),
  };
}

const VALID_NAME = /^[a-zA-Z0-9\-*]{1,128}$/;
const VALID_NODE_POOL = /^[a-zA-Z0-9\-_*]{1,128}$/;
const TOP_LEVEL = new Set(['namespace', 'node_pool', 'host_volume', 'agent', 'node', 'operator', 'quota', 'plugin']);

/**
 * acl.Parse: decodes the rules (HCL, or JSON when they start with `{`), validates every block and
 * expands `policy` shorthands into capabilities. Errors carry Nomad's texts.
 */
export function parsePolicyRules(rules: string, strict: boolean): ParsedPolicy {
  const p: ParsedPolicy = { namespaces: [], nodePools: [], hostVolumes: [], agent: null, node: null, operator: null, quota: null, plugin: null, raw: rules };
  if (rules === '') return p;
  let items: HclItem[];
  try {
    if (rules.trimStart().startsWith('{')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(rules);
      } catch (err) {
        throw new HclError(`At 1:1: ${(err as Error).message}`);
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new HclError('At 1:1: root should be an object');
      items = jsonToItems(parsed as Record<string, unknown>);
    } else {
      items = new HclParser(tokenize(rules)).body(false);
    }
  } catch (err) {
    if (err instanceof HclError) throw new Error(`Failed to parse ACL Policy: ${err.message}`);
    throw err;
  }

  const extra: string[] = [];
  for (const it of items) {
    const key = it.key.toLowerCase();
    if (!TOP_LEVEL.has(key)) {
      extra.push(it.key);
      continue;
    }
    const body = it.object ? (it.value as HclItem[]) : [];
    switch (key) {
      case 'namespace':
        p.namespaces.push(labelled(it));
        break;
      case 'node_pool':
        p.nodePools.push(labelled(it));
        break;
      case 'host_volume':
        p.hostVolumes.push(labelled(it));
        break;
      case 'agent':
        p.agent = strField(body, 'policy');
        break;
      case 'node':
        p.node = strField(body, 'policy');
        break;
      case 'operator':
        p.operator = { Policy: strField(body, 'policy'), Capabilities: listField(body, 'capabilities') };
        break;
      case 'quota':
        p.quota = strField(body, 'policy');
        break;
      case 'plugin':
        p.plugin = strField(body, 'policy');
        break;
    }
  }

  const empty = !p.namespaces.length && !p.nodePools.length && !p.hostVolumes.length && p.agent === null && p.node === null && p.operator === null && p.quota === null && p.plugin === null;
  if (empty) throw new Error(`Invalid policy: ${rules}`);

  for (const ns of p.namespaces) {
    if (!VALID_NAME.test(ns.Name)) throw new Error(`Invalid namespace name: ${fmtNs(ns)}`);
    if (ns.Policy !== '' && !POLICIES.has(ns.Policy)) throw new Error(`Invalid namespace policy: ${fmtNs(ns)}`);
    for (const c of ns.Capabilities ?? []) {
      if (!NAMESPACE_CAPABILITIES.has(c)) throw new Error(`Invalid namespace capability '${c}': ${fmtNs(ns)}`);
    }
    const caps = [...(ns.Capabilities ?? []), ...(ns.Policy !== '' ? expandNamespacePolicy(ns.Policy) : [])];
    ns.Capabilities = [...caps, ...impliedCapabilities(caps)];
  }
  for (const np of p.nodePools) {
    if (!VALID_NODE_POOL.test(np.Name)) throw new Error(`Invalid node pool name '${np.Name}'`);
    if (np.Policy !== '' && !POLICIES.has(np.Policy)) throw new Error(`Invalid node pool policy '${np.Policy}' for '${np.Name}'`);
    for (const c of np.Capabilities ?? []) {
      if (!NODE_POOL_CAPABILITIES.has(c)) throw new Error(`Invalid node pool capability '${c}' for '${np.Name}'`);
    }
    if (np.Policy !== '') np.Capabilities = [...(np.Capabilities ?? []), ...expandNodePoolPolicy(np.Policy)];
  }
  for (const hv of p.hostVolumes) {
    if (!VALID_NAME.test(hv.Name)) throw new Error(`Invalid host volume name: ${fmtHv(hv)}`);
    if (hv.Policy !== '' && !POLICIES.has(hv.Policy)) throw new Error(`Invalid host volume policy: ${fmtHv(hv)}`);
    for (const c of hv.Capabilities ?? []) {
      if (!HOST_VOLUME_CAPABILITIES.has(c)) throw new Error(`Invalid host volume capability '${c}': ${fmtHv(hv)}`);
    }
    if (hv.Policy !== '') hv.Capabilities = [...(hv.Capabilities ?? []), ...expandHostVolumePolicy(hv.Policy)];
  }
  if (extra.length > 0 && strict) throw new Error(`Invalid or duplicate policy keys: ${extra.join(', ')}`);
  if (p.agent !== null && !POLICIES.has(p.agent)) throw new Error(`Invalid agent policy: &acl.AgentPolicy{Policy:${goQuote(p.agent)}}`);
  if (p.node !== null && !POLICIES.has(p.node)) throw new Error(`Invalid node policy: &acl.NodePolicy{Policy:${goQuote(p.node)}}`);
  if (p.operator !== null) {
    const op = p.operator;
    if (op.Policy !== '' && !POLICIES.has(op.Policy)) {
      throw new Error(`Invalid operator policy: &acl.OperatorPolicy{Policy:${goQuote(op.Policy)}, Capabilities:${goStrings(op.Capabilities)}}`);
    }
    for (const c of op.Capabilities ?? []) if (!OPERATOR_CAPABILITIES.has(c)) throw new Error(`Invalid operator capability '${c}'`);
    if (op.Policy !== '') op.Capabilities = [...(op.Capabilities ?? []), ...expandOperatorPolicy(op.Policy)];
  }
  if (p.quota !== null && !POLICIES.has(p.quota)) throw new Error(`Invalid quota policy: &acl.QuotaPolicy{Policy:${goQuote(p.quota)}}`);
  if (p.plugin !== null && !PLUGIN_POLICIES.has(p.plugin)) throw new Error(`Invalid plugin policy: &acl.PluginPolicy{Policy:${goQuote(p.plugin)}}`);
  return p;
}

/** The `RulesJSON` rendering of a parsed policy (acl.Policy with Go field names). */
export function rulesJson(p: ParsedPolicy): Obj {
  const lab = (l: LabelledPolicy[]): Obj[] | null => (l.length === 0 ? null : l.map((x) => ({ Name: x.Name, Policy: x.Policy, Capabilities: x.Capabilities })));
  const pol = (s: string | null): Obj | null => (s === null ? null : { Policy: s });
  return {
    Namespaces: p.namespaces.length === 0 ? null : p.namespaces.map((x) => ({ Name: x.Name, Policy: x.Policy, Capabilities: x.Capabilities, Variables: null })),
    NodePools: lab(p.nodePools),
    HostVolumes: lab(p.hostVolumes),
    Agent: pol(p.agent),
    Node: pol(p.node),
    Operator: p.operator,
    Quota: pol(p.quota),
    Plugin: pol(p.plugin),
    Raw: p.raw,
    ExtraKeysHCL: null,
  };
}

// ---------------------------------------------------------------------------------------------
// The compiled ACL (acl.ACL)

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

// ---------------------------------------------------------------------------------------------
// The tables

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

function aclTables(store: Store): AclTables {
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
    return { index: tx.index };
  });
}

export function deletePolicy(store: Store, name: string): { index: number } {
  const t = aclTables(store);
  return store.write((tx) => {
    t.policies.delete(name);
    t.policyIndex = tx.index;
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
  return { ok: true, acl: compileAcl(store, (v.Policies as string[] | null) ?? []), token: v };
}

// ACL tables ride along in snapshots, resets and the data dir like the core tables.
registerSnapshotPart('acl', {
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
