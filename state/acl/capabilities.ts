// Capabilities and policy dispositions of Nomad's acl/policy.go: what `policy = "read"` and the
// other shorthands expand to, and which capability names each block accepts.

export const POLICIES = new Set(['deny', 'read', 'write', 'scale']);

export const NAMESPACE_CAPABILITIES = new Set([
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
export function impliedCapabilities(caps: string[]): string[] {
  const extra: string[] = [];
  for (const c of caps) {
    if (c === 'host-volume-write') extra.push('host-volume-register', 'host-volume-create', 'host-volume-delete', 'host-volume-read');
    else if (c === 'host-volume-register') extra.push('host-volume-create', 'host-volume-read');
    else if (c === 'host-volume-create') extra.push('host-volume-read');
  }
  return extra;
}

export const NODE_POOL_CAPABILITIES = new Set(['delete', 'deny', 'read', 'write']);
export const HOST_VOLUME_CAPABILITIES = new Set(['deny', 'mount-readonly', 'mount-readwrite']);
export const OPERATOR_CAPABILITIES = new Set(['deny', 'snapshot-save', 'license-read']);
export const PLUGIN_POLICIES = new Set(['deny', 'read', 'list', 'write']);

export function expandNodePoolPolicy(p: string): string[] {
  return p === 'deny' ? ['deny'] : p === 'read' ? ['read'] : p === 'write' ? ['delete', 'read', 'write'] : [];
}
export function expandHostVolumePolicy(p: string): string[] {
  return p === 'deny' ? ['deny'] : p === 'read' ? ['mount-readonly'] : p === 'write' ? ['mount-readonly', 'mount-readwrite'] : [];
}
export function expandOperatorPolicy(p: string): string[] {
  return p === 'deny' ? ['deny'] : p === 'read' ? ['license-read'] : p === 'write' ? ['snapshot-save', 'license-read'] : [];
}

/** Capabilities of a `variables { path "…" { … } }` rule (isPathCapabilityValid). */
export const VARIABLE_CAPABILITIES = new Set(['list', 'read', 'write', 'destroy', 'deny']);

/** expandVariablesCapabilities: `deny` alone wins; `read` implies `list`. */
export function expandVariableCapabilities(caps: string[] | null): string[] | null {
  if (caps === null) return null;
  if (caps.includes('deny')) return ['deny'];
  return caps.includes('read') && !caps.includes('list') ? [...caps, 'list'] : caps;
}
