// The parsed policy (acl.Policy) and its validation (acl.Parse): the policy-rule parser clients meet
// through /v1/acl/policy, and the rules JSON Nomad renders back.
import type { Obj } from '../types.js';
import { HOST_VOLUME_CAPABILITIES, NAMESPACE_CAPABILITIES, VARIABLE_CAPABILITIES, expandVariableCapabilities, NODE_POOL_CAPABILITIES, OPERATOR_CAPABILITIES, PLUGIN_POLICIES, POLICIES, expandHostVolumePolicy, expandNamespacePolicy, expandNodePoolPolicy, expandOperatorPolicy, impliedCapabilities } from './capabilities.js';
import { HclError, HclParser, jsonToItems, tokenize, type HclItem } from './rules-syntax.js';

export interface LabelledPolicy {
  Name: string;
  Policy: string;
  Capabilities: string[] | null;
  /** Namespace blocks only: whether a `variables` block was given. */
  hasVariables?: boolean;
  /** Namespace blocks only: the `variables { path "…" { capabilities } }` rules, in order. */
  variablePaths?: VariablePathPolicy[];
}

/** acl.VariablesPathPolicy: one `path` block of a namespace's `variables` block. */
export interface VariablePathPolicy {
  PathSpec: string;
  Capabilities: string[] | null;
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
  const variables = body.filter((b) => b.key.toLowerCase() === 'variables');
  return {
    Name: item.labels[0] ?? '',
    Policy: strField(body, 'policy'),
    Capabilities: listField(body, 'capabilities'),
    hasVariables: variables.length > 0,
    variablePaths: variables.flatMap(variablePathsOf),
  };
}

/**
 * The `path` blocks of one `variables` block. A labelled `variables "x" { … }` decodes into no
 * paths at all in Nomad's HCL1 decoder (its label is not a path), which Parse then refuses.
 */
function variablePathsOf(block: HclItem): VariablePathPolicy[] {
  if (!block.object || block.labels.length > 0) return [];
  const out: VariablePathPolicy[] = [];
  for (const it of block.value as HclItem[]) {
    if (it.key.toLowerCase() !== 'path') continue;
    const body = it.object ? (it.value as HclItem[]) : [];
    out.push({ PathSpec: it.labels[0] ?? '', Capabilities: listField(body, 'capabilities') });
  }
  return out;
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
    if (ns.hasVariables) checkVariablePaths(ns);
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

/** The `variables` block's checks of acl.Parse, and the `read` ⇒ `list` expansion. */
function checkVariablePaths(ns: LabelledPolicy): void {
  const paths = ns.variablePaths ?? [];
  if (paths.length === 0) throw new Error(`Invalid variable policy: no variable paths in namespace ${ns.Name}`);
  for (const path of paths) {
    if (path.PathSpec === '') throw new Error(`Invalid missing variable path in namespace ${ns.Name}`);
    // Nomad's format string really ends with a stray backtick.
    if (path.PathSpec.startsWith('/')) throw new Error(`Invalid variable path ${goQuote(path.PathSpec)} in namespace ${ns.Name}: cannot start with a leading '/'\``);
    for (const c of path.Capabilities ?? []) {
      if (!VARIABLE_CAPABILITIES.has(c)) throw new Error(`Invalid variable capability '${c}' in namespace ${ns.Name}`);
    }
    path.Capabilities = expandVariableCapabilities(path.Capabilities);
  }
}

/** The `RulesJSON` rendering of a parsed policy (acl.Policy with Go field names). */
export function rulesJson(p: ParsedPolicy): Obj {
  const lab = (l: LabelledPolicy[]): Obj[] | null => (l.length === 0 ? null : l.map((x) => ({ Name: x.Name, Policy: x.Policy, Capabilities: x.Capabilities })));
  const pol = (s: string | null): Obj | null => (s === null ? null : { Policy: s });
  return {
    Namespaces:
      p.namespaces.length === 0
        ? null
        : p.namespaces.map((x) => ({
            Name: x.Name,
            Policy: x.Policy,
            Capabilities: x.Capabilities,
            Variables: x.hasVariables ? { Paths: (x.variablePaths ?? []).map((v) => ({ PathSpec: v.PathSpec, Capabilities: v.Capabilities })) } : null,
          })),
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
