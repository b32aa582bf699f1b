// The request generator: every route the README lists, `/_mock/*` included, with valid and
// hostile bodies, wrong methods and content types, hostile query parameters, gzip and malformed
// bodies, raw HTTP the Node client would refuse to write, and (in ACL mode) tokens or none.
// A generated value is a plan: given what the run has learnt (World), it yields the request.
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { writeJson } from './json.js';
import type { FuzzRequest } from './transport.js';
import type { World } from './world.js';
import { FIXTURE_HCL, clean, filterExpr, hostileString, hostileValue, job, jobId, mutate, namespace } from './values.js';

export type Plan = (w: World) => FuzzRequest;
type Obj = Record<string, unknown>;

/** encodeURIComponent that also takes lone surrogates (as the UTF-8 replacement character). */
export const wellFormed = (s: string): string => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
export const enc = (s: string): string => encodeURIComponent(wellFormed(s));

const pick = <T>(list: readonly T[], n: number, fallback: T): T => (list.length === 0 ? fallback : list[n % list.length]!);
const FAKE_UUID = '00000000-0000-4000-8000-000000000000';

/** How an ID lands in a path: escaped as clients do, raw, double-escaped, or broken. */
const pathId = fc.tuple(jobId, fc.nat(19)).map(([id, how]) => {
  if (how < 15) return enc(id);
  if (how < 17) return wellFormed(id).replace(/[\s?#%]/g, encodeURIComponent);
  if (how < 18) return enc(enc(id));
  return `${enc(id)}%zz`;
});

// ---- query parameters ----

const tinyWait = fc.constantFrom('1ms', '2ms', '5ms', '10ms', '20ms');
const badWait = fc.constantFrom('abc', '1x', '5', '1e3s', '9999999999999999h', '1.5.5s', 'h');
const indexValue = fc.oneof(fc.constantFrom('0', '1', '2', '10', '999999999', '9007199254740991', '9007199254740993', '18446744073709551615', '18446744073709551616', '-1', 'abc', '1e3', '0x10', ' 1', '1.0', ''), fc.nat(500).map(String));
const perPage = fc.constantFrom('0', '1', '2', '3', '-1', '-2147483649', '2147483648', 'x', '1e20', '100000', '');
const shortString = hostileString.filter((x) => x.length < 300);
const nextToken = fc.oneof(fc.constantFrom('fz-a', 'fz-b', 'web', 'default.fz-a', '9', '100.x', 'fz-ns.fz-c', ''), hostileString);

/** Parameters a well-behaved client sends, so reads also reach their handlers' normal paths. */
const plainReadParams = fc.record(
  {
    blocking: fc.tuple(fc.nat(300).map(String), tinyWait),
    per_page: fc.constantFrom('1', '2', '5'),
    next_token: fc.constantFrom('fz-a', 'fz-b', 'web'),
    filter: fc.constantFrom('Type == "batch"', 'Status != "dead"', 'ID matches "^fz"', 'Meta.owner == "a"', 'Priority == 50'),
    prefix: fc.constantFrom('fz', 'w', 'fz-a'),
    namespace: fc.constantFrom('default', 'fz-ns', '*'),
    reverse: fc.constantFrom('true', 'false'),
  },
  { requiredKeys: [] },
);

const hostileReadParams = fc.record(
  {
    blocking: fc.oneof(fc.tuple(indexValue, tinyWait), fc.tuple(indexValue, badWait), fc.tuple(fc.constant(undefined), badWait)),
    per_page: perPage,
    next_token: nextToken,
    filter: filterExpr,
    prefix: fc.oneof(fc.constantFrom('fz', 'w', 'fz-a', ''), hostileString),
    namespace,
    reverse: fc.constantFrom('true', 'false', 'x'),
    meta: fc.constantFrom('true', 'false'),
    pretty: fc.constantFrom('', 'true', '0'),
    region: fc.constantFrom('global', 'mars', ''),
    stale: fc.constantFrom('', 'true', 'nope'),
    junk: fc.tuple(shortString, shortString),
  },
  { requiredKeys: [] },
);

const readParams = fc.oneof({ weight: 3, arbitrary: plainReadParams }, { weight: 2, arbitrary: hostileReadParams });

function query(p: Partial<{ blocking: [string | undefined, string]; junk: [string, string] } & Record<string, string>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(p)) {
    if (k === 'blocking') {
      const [i, w] = v as [string | undefined, string];
      if (i !== undefined) parts.push(`index=${enc(i)}`);
      parts.push(`wait=${enc(w)}`);
    } else if (k === 'junk') {
      const [a, b] = v as [string, string];
      parts.push(`${enc(a)}=${enc(b)}`);
    } else if (k === 'region' && v === 'mars') {
      // a foreign region is forwarded by Nomad; not emulated, so rarely useful
      continue;
    } else {
      parts.push(`${k}=${enc(v as string)}`);
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

// ---- bodies ----

interface BodySpec {
  /** The JSON document (or a raw text). */
  doc: unknown;
}

const register = fc.record(
  {
    Job: job,
    EnforceIndex: fc.boolean(),
    JobModifyIndex: fc.oneof(fc.nat(300), hostileValue),
    PreserveCounts: fc.boolean(),
    EvalPriority: fc.oneof(fc.integer({ min: 0, max: 101 }), hostileValue),
    PolicyOverride: fc.boolean(),
    Submission: fc.record({ Source: fc.constantFrom('job "x" {}', ''), Format: fc.constantFrom('hcl2', 'json', 'x'), VariableFlags: fc.constant({ a: 'b' }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['Job'] },
);
const plan = fc.record({ Job: job, Diff: fc.boolean(), PolicyOverride: fc.boolean() }, { requiredKeys: ['Job'] });
const validate = fc.record({ Job: job }, { requiredKeys: [] });
const parse = fc.record(
  {
    JobHCL: fc.oneof(
      fc.constantFrom(...FIXTURE_HCL),
      fc.tuple(fc.constantFrom(...FIXTURE_HCL), fc.nat(), fc.nat(40)).map(([t, at, n]) => t.slice(0, at % t.length) + t.slice((at % t.length) + n)),
      fc.constantFrom('', 'job "x" {', 'job "x" { group "g" { task "t" { driver = "docker" } } }', `job "x" { meta { a = "${'${'.repeat(200)}" } }`, 'job "x" { datacenters = [regex_replace("aaaa", "a+", "b")] }'),
    ),
    Canonicalize: fc.boolean(),
    Variables: fc.constantFrom('', 'a = 1', 'x = ', '}}}'),
    HCLv1: fc.boolean(),
  },
  { requiredKeys: ['JobHCL'] },
);
const revert = fc.record({ JobID: jobId, JobVersion: fc.oneof(fc.nat(8), hostileValue), EnforcePriorVersion: fc.option(fc.nat(8), { nil: undefined }) }, { requiredKeys: ['JobVersion'] });
const stable = fc.record({ JobID: jobId, JobVersion: fc.nat(8), Stable: fc.boolean() }, { requiredKeys: [] });
const scale = fc.record(
  {
    Count: fc.oneof(fc.integer({ min: 0, max: 4 }), hostileValue),
    Target: fc.oneof(fc.record({ Group: fc.constantFrom('g1', 'g2', 'web', 'encode', 'nope') }), hostileValue),
    Message: fc.constantFrom('scale', ''),
    Error: fc.boolean(),
    Meta: fc.constant({ a: 1 }),
    PolicyOverride: fc.boolean(),
    EnforceIndex: fc.boolean(),
    JobModifyIndex: fc.nat(300),
  },
  { requiredKeys: ['Target'] },
);
const dispatch = fc.record(
  {
    Payload: fc.constantFrom('aGVsbG8=', '', '!!notbase64', Buffer.alloc(20_000).toString('base64')),
    Meta: fc.oneof(fc.constant({ in: 'a' }), fc.constant({ in: 'a', o: 'b' }), fc.constant({ bad: 'x' }), hostileValue),
    IdPrefixTemplate: fc.constantFrom('', 'run', 'x/y'),
    IdempotencyToken: fc.constantFrom('tok', ''),
    Priority: fc.integer({ min: -1, max: 101 }),
  },
  { requiredKeys: [] },
);
const evaluate = fc.record({ JobID: jobId, EvalOptions: fc.record({ ForceReschedule: fc.boolean() }) }, { requiredKeys: [] });
const tag = fc.record({ Name: fc.constantFrom('v1', 'prod', ''), Description: fc.constant('d'), Version: fc.oneof(fc.nat(6), hostileValue) }, { requiredKeys: [] });
const statuses = fc.record({ Jobs: fc.oneof(fc.array(fc.record({ ID: jobId, Namespace: namespace }), { maxLength: 4 }), hostileValue), IncludeChildren: fc.boolean() }, { requiredKeys: [] });
const namespaceBody = fc.record({ Name: namespace, Description: fc.constantFrom('', 'd'), Meta: fc.constant({ a: 'b' }) }, { requiredKeys: [] });
const aclToken = fc.record({ Name: fc.constantFrom('ci', ''), Type: fc.constantFrom('client', 'management', 'bogus'), Policies: fc.constantFrom(['readonly'], ['fz-write'], [], ['nope']), Global: fc.boolean(), ExpirationTTL: fc.constantFrom(undefined, '1h', '1ms', 'x') }, { requiredKeys: [] });
const aclPolicy = fc.record(
  {
    Name: fc.constantFrom('readonly', 'fz-write', 'anonymous', 'bad name!'),
    Description: fc.constant('d'),
    Rules: fc.constantFrom('namespace "default" { policy = "read" }', 'namespace "*" { policy = "write" }', 'namespace "default" { capabilities = ["list-jobs", "read-job"] }', 'bogus {', 'namespace "default" { policy = "nope" }', '{"namespace":{"default":{"policy":"read"}}}', ''),
  },
  { requiredKeys: [] },
);
const aclRole = fc.record(
  {
    ID: fc.constantFrom(undefined, FAKE_UUID, ''),
    Name: fc.constantFrom('fz-readers', 'bad name!', ''),
    Description: fc.constantFrom('', 'd', 'd'.repeat(300)),
    Policies: fc.oneof(fc.constant([{ Name: 'readonly' }]), fc.constant([]), fc.constant([{ Name: 'nope' }]), fc.constant([null]), hostileValue),
  },
  { requiredKeys: [] },
);
const aclAuthMethod = fc.record(
  {
    Name: fc.constantFrom('fz-oidc', 'fz-jwt', 'bad name!'),
    Type: fc.constantFrom('OIDC', 'JWT', 'x', ''),
    TokenLocality: fc.constantFrom('local', 'global', ''),
    MaxTokenTTL: fc.constantFrom<unknown>('1h', '1s', '', 'x', 3600e9, true),
    Default: fc.boolean(),
    Config: fc.oneof(fc.constant({ OIDCClientSecret: 's', OIDCScopes: ['a'], ClaimMappings: { a: 'b' } }), fc.constant({ ExpirationLeeway: true }), fc.constant({ NotBeforeLeeway: '5s', ClaimMappings: { a: 1 } }), hostileValue),
  },
  { requiredKeys: [] },
);
const aclBindingRule = fc.record(
  {
    ID: fc.constantFrom(undefined, FAKE_UUID),
    AuthMethod: fc.constantFrom('fz-oidc', 'nope', ''),
    BindType: fc.constantFrom('role', 'policy', 'management', 'x', ''),
    BindName: fc.constantFrom('fz-readers', ''),
    Selector: fc.constantFrom('', 'value.a == "b"', '(((', `${'('.repeat(3000)}a == "b"${')'.repeat(3000)}`),
    Description: fc.constant('d'),
  },
  { requiredKeys: [] },
);
const aclLogin = fc.record(
  { AuthMethodName: fc.constantFrom('fz-oidc', 'fz-jwt', 'nope', ''), LoginToken: fc.constantFrom('a.b.c', ''), ClientNonce: fc.constantFrom('n', ''), RedirectURI: fc.constantFrom('http://x/cb', ''), State: fc.constant('s'), Code: fc.constant('c') },
  { requiredKeys: [] },
);
const oneTimeExchange = fc.record({ OneTimeSecretID: fc.constantFrom(FAKE_UUID, '', 'x') }, { requiredKeys: [] });
const deploymentBody = fc.record(
  { DeploymentID: fc.constant(FAKE_UUID), Pause: fc.boolean(), All: fc.boolean(), Groups: fc.constantFrom(['g1'], ['web'], []), HealthyAllocationIDs: fc.constant([FAKE_UUID]), UnhealthyAllocationIDs: fc.constant([]) },
  { requiredKeys: [] },
);
const varItems = fc.oneof(
  fc.dictionary(fc.constantFrom('k', 'user', 'pass', ''), fc.constantFrom('v', '', 'x'.repeat(300)), { maxKeys: 3 }),
  fc.constant({ big: 'x'.repeat(70_000) }),
  hostileValue,
);
const varLock = fc.oneof(
  fc.constant({}),
  fc.record({ ID: fc.constantFrom('', FAKE_UUID, 'x'), TTL: fc.constantFrom('15s', '5s', '25h', 'soon', 10e9, '-1s'), LockDelay: fc.constantFrom('1s', '-1s', 0, 'x') }, { requiredKeys: [] }),
  hostileValue,
);
const variableBody = fc.record({ Namespace: namespace, Items: varItems, Lock: varLock }, { requiredKeys: [] });
const variableParams = fc.record(
  {
    namespace,
    cas: fc.constantFrom('0', '1', '5', 'x', '-1', '18446744073709551616', ''),
    'lock-acquire': fc.constant(''),
    'lock-renew': fc.constant(''),
    'lock-release': fc.constant(''),
    junk: fc.tuple(shortString, shortString),
  },
  { requiredKeys: [] },
);
const searchContext = fc.constantFrom('all', 'jobs', 'evals', 'allocs', 'nodes', 'node_pools', 'deployment', 'plugins', 'volumes', 'scaling_policy', 'vars', 'namespaces', 'host_volumes', 'groups', 'bogus', '');
const searchBody = fc.record({ Prefix: fc.oneof(fc.constantFrom('', 'fz', 'w', 'a1', 'abc', '0000-0', 'zz'), hostileValue), Context: fc.oneof(searchContext, hostileValue), Namespace: fc.oneof(namespace, fc.constant('*')) }, { requiredKeys: [] });
const fuzzyBody = fc.record({ Text: fc.oneof(fc.constantFrom('', 'f', 'fz', 'web', 'SERVER', 'nginx'), hostileValue), Context: fc.oneof(searchContext, hostileValue), Namespace: fc.oneof(namespace, fc.constant('*')), Prefix: fc.constantFrom('', '00', 'a') }, { requiredKeys: [] });
const csiBody = fc.record({ Volumes: fc.oneof(fc.constant([{ ID: 'v', PluginID: 'p', RequestedCapabilities: [{ AccessMode: 'single-node-writer', AttachmentMode: 'file-system' }] }]), fc.constant([]), fc.constant([null]), hostileValue) }, { requiredKeys: [] });
const hostVolumeBody = fc.record({ Volume: fc.oneof(fc.record({ Name: fc.constantFrom('d', ''), PluginID: fc.constantFrom('mkdir', ''), NodeID: fc.constantFrom('', FAKE_UUID), HostPath: fc.constantFrom('', '/x'), NodePool: fc.constantFrom('', 'default', 'nope') }, { requiredKeys: [] }), hostileValue) }, { requiredKeys: [] });
const resetBody = fc.record({ Namespace: fc.constantFrom('fz-ns', 'default', 'nope') }, { requiredKeys: [] });
const schedulerConfigBody = fc.record(
  { num_schedulers: fc.oneof(fc.integer({ min: -2, max: 8 }), hostileValue), enabled_schedulers: fc.oneof(fc.constant(['batch', '_core']), fc.constant(['bogus']), hostileValue) },
  { requiredKeys: [] },
);
const clockBody = fc.record({ Mode: fc.constantFrom('manual', 'manual', 'scaled', 'x'), Scale: hostileValue }, { requiredKeys: [] });
const advanceBody = fc.oneof(
  fc.record({ Duration: fc.constantFrom('1s', '10s', '1m', '100ms', '1h', 'x', '-1s', '') }),
  fc.record({ Milliseconds: hostileValue }),
  fc.constant({}),
);
const allocStateBody = fc.record({ State: fc.constantFrom('running', 'failed', 'complete', 'lost', 'x'), ExitCode: fc.integer({ min: -1, max: 3 }), Task: fc.constantFrom('t1', 'server', 'nope') }, { requiredKeys: ['State'] });
const driverList = fc.oneof(
  fc.subarray(['docker', 'exec', 'raw_exec', 'java', 'podman']),
  fc.dictionary(fc.constantFrom('docker', 'exec', 'x y', ''), fc.record({ Detected: hostileValue, Healthy: fc.boolean() }, { requiredKeys: [] }), { maxKeys: 3 }),
  hostileValue,
);
/** POST /v1/client/metadata: valid and invalid keys, null values (unset), hostile shapes. */
const nodeMetaBody = fc.record(
  {
    NodeID: fc.oneof(fc.constantFrom('', FAKE_UUID), hostileValue),
    Meta: fc.oneof(
      fc.dictionary(fc.constantFrom('rack', 'a.b', 'x-y', '_u', '__proto__', 'constructor', 'bad.', '.bad', '', 'some/path', 'é'), fc.oneof(fc.constantFrom('r1', ''), fc.constant(null)), { maxKeys: 4 }),
      hostileValue,
    ),
  },
  { requiredKeys: [] },
);

/** A node for /_mock/nodes: names from a small set (so duplicates happen), hostile values for every field. */
/** api.NodeUpdateDrainRequest: a drain now, later, forever or cancelled, and hostile values. */
const drainBody = fc.record(
  {
    DrainSpec: fc.oneof(
      fc.constant(null),
      fc.record({ Deadline: fc.oneof(fc.constantFrom(-1, 0, 1e9, 60e9, 3600e9, 1.5, 2 ** 63), hostileValue), IgnoreSystemJobs: fc.oneof(fc.boolean(), hostileValue) }, { requiredKeys: [] }),
      hostileValue,
    ),
    MarkEligible: fc.oneof(fc.boolean(), hostileValue),
    Meta: fc.oneof(fc.dictionary(fc.constantFrom('reason', 'ticket', ''), fc.constantFrom('kernel', 'x')), hostileValue),
    NodeID: fc.oneof(fc.constantFrom(FAKE_UUID, ''), hostileValue),
  },
  { requiredKeys: [] },
);

/** structs.NodeUpdateEligibilityRequest. */
const eligibilityBody = fc.record(
  {
    Eligibility: fc.oneof(fc.constantFrom('eligible', 'ineligible', 'Eligible', ''), hostileValue),
    NodeID: fc.oneof(fc.constantFrom(FAKE_UUID, ''), hostileValue),
    NodeEvent: fc.oneof(fc.constant(null), fc.record({ Message: fc.constant('x'), Timestamp: hostileValue }, { requiredKeys: [] })),
  },
  { requiredKeys: [] },
);

const nodeBody = fc.record(
  {
    Name: fc.oneof(fc.constantFrom('fz-node-a', 'fz-node-b', 'mock-node-1', ''), hostileValue),
    Datacenter: fc.oneof(fc.constantFrom('dc1', 'dc2', ''), hostileValue),
    NodePool: fc.oneof(fc.constantFrom('default', 'fz-pool', 'all', 'bad pool'), hostileValue),
    NodeClass: fc.constantFrom('small', ''),
    Resources: fc.oneof(fc.record({ CPU: fc.oneof(fc.constantFrom(100, 4000, 0, -1, 1e12), hostileValue), MemoryMB: fc.constantFrom(64, 8192, 1.5), DiskMB: fc.constantFrom(1024, 0) }, { requiredKeys: [] }), hostileValue),
    Attributes: fc.oneof(fc.dictionary(fc.constantFrom('kernel.name', 'gpu', 'driver.docker', ''), fc.oneof(fc.constantFrom('linux', '1', '0'), fc.constant(null))), hostileValue),
    Meta: fc.oneof(fc.dictionary(fc.constantFrom('rack', 'zone'), fc.oneof(fc.constantFrom('r1', 'a'), fc.constant(null))), hostileValue),
    Drivers: driverList,
    ID: fc.constantFrom('6a0b9d7e-8f00-4c1a-9a5e-2b7f6d1c3e40', 'nope'),
    Extra: hostileValue,
  },
  { requiredKeys: [] },
);
const faultBody = fc.record(
  {
    Method: fc.constantFrom('GET', 'PUT', '*', 'get'),
    Path: fc.constantFrom('/v1/jobs', '/v1/job/*', '/v1/job/**', '/v1/job/fz-a/summary', '/v1/nodes', '/nope', '/^\\/v1\\/allocations$/', '/[/', '/(/', '/v1/\u0000', '/v1/job/\t*'),
    Status: fc.constantFrom(500, 503, 429, 404, 0, 600),
    Body: fc.constantFrom('fz-fault-a', 'fz-fault-b'),
    Probability: fc.constantFrom(1, 0.5, 0, 2),
    LatencyMs: fc.constantFrom(0, 1, 5),
    Connection: fc.constantFrom('reset', 'empty', 'x'),
    Times: fc.constantFrom(1, 2, 3, 0),
  },
  { requiredKeys: ['Path'] },
).map((f) => {
  // Faults are short-lived (Times) so they cannot swallow the rest of the run.
  const out: Obj = { ...f, Times: f.Times ?? 1 };
  return out;
});

/** The body text as sent: JSON (maybe with duplicate or re-cased keys), or broken. */
const bodyText = (doc: fc.Arbitrary<unknown>): fc.Arbitrary<{ text: string | Buffer; gzip: boolean }> =>
  fc.tuple(fc.oneof({ weight: 4, arbitrary: doc }, { weight: 1, arbitrary: mutate(doc) }), fc.nat(149), fc.integer()).map(([d, how, seed]) => {
    const text = writeJson(d, { duplicate: how < 10 ? 0.2 : 0, recase: how >= 10 && how < 15 ? 0.3 : 0, seed });
    if (how < 70 || how >= 100) return { text, gzip: false };
    if (how < 74) return { text: gzipSync(text), gzip: true };
    if (how < 78) return { text: text.slice(0, Math.max(0, text.length - 1 - (seed & 15))), gzip: false };
    if (how < 81) return { text: `${text} trailing`, gzip: false };
    if (how < 84) return { text: `\ufeff${text}`, gzip: false };
    if (how < 86) return { text: Buffer.concat([Buffer.from(text.slice(0, 5)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(text.slice(5))]), gzip: false };
    if (how < 88) return { text: '', gzip: false };
    if (how < 90) return { text: 'null', gzip: false };
    if (how < 92) return { text: '[]', gzip: false };
    if (how < 94) return { text: text.replace(/"/, "'"), gzip: false };
    if (how < 96) return { text: `${text}${text}`, gzip: false };
    return { text: clean(String(seed)), gzip: false };
  });

/** /v1/client/fs parameters: paths inside, outside and across the alloc dir, Go-parsed numbers and bools. */
const fsParams = fc.record(
  {
    path: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom('/', 'alloc', 'alloc/logs', 'alloc/logs/server.stdout.0', 'alloc/logs/server.stderr.0', 'alloc/logs/t1.stdout.0', 'server/local', '../x', 'alloc/../..', '..x', 'alloc/logs/server.stdout.0/x', '') },
      { weight: 1, arbitrary: shortString },
    ),
    offset: fc.constantFrom('0', '3', '100', '-1', '-99', 'x', '99999999999999999999', ''),
    limit: fc.constantFrom('1', '10', '0', '-5', 'z', ''),
    origin: fc.constantFrom('start', 'end', 'end', 'middle', ''),
    plain: fc.constantFrom('true', 'false', 'x', ''),
    task: fc.constantFrom('server', 't1', 'web', 'nope', ''),
    type: fc.constantFrom('stdout', 'stdout', 'stderr', 'stdin', ''),
  },
  { requiredKeys: [] },
);

// ---- routes ----

interface Route {
  methods: string[];
  /** The path; `{job}`, `{alloc}`… are filled from the World. */
  path: string;
  body?: fc.Arbitrary<unknown>;
  read?: boolean;
  stream?: boolean;
  /** Query parameters of its own (instead of the generic read or write ones). */
  params?: fc.Arbitrary<Record<string, unknown>>;
  weight: number;
}

const nodePoolBody = fc.record(
  {
    Name: fc.constantFrom('fz-pool', 'fz-pool2', 'default', 'all', 'bad name', ''),
    Description: fc.constantFrom('', 'd', 'x'.repeat(300)),
    Meta: fc.oneof(fc.constant({ a: 'b' }), fc.constant(null), hostileValue),
    SchedulerConfiguration: fc.oneof(fc.constant(null), fc.constant({ SchedulerAlgorithm: 'spread' }), hostileValue),
    NodeIdentityTTL: fc.constantFrom('1h', 5e9, 'soon', true, -1),
  },
  { requiredKeys: [] },
);
// Pausing the broker stays rare: a paused run schedules nothing until something unpauses it.
const schedulerBody = fc.record(
  {
    SchedulerAlgorithm: fc.constantFrom('binpack', 'spread', '', 'random'),
    PauseEvalBroker: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: hostileValue }),
    MemoryOversubscriptionEnabled: fc.boolean(),
    RejectJobRegistration: fc.constant(false),
    PreemptionConfig: fc.oneof(fc.record({ SystemSchedulerEnabled: fc.boolean(), ServiceSchedulerEnabled: fc.boolean() }), hostileValue),
  },
  { requiredKeys: [] },
);
const autopilotBody = fc.record(
  {
    CleanupDeadServers: fc.oneof(fc.boolean(), hostileValue),
    LastContactThreshold: fc.constantFrom('200ms', '1s', 'soon', 5e8, null),
    ServerStabilizationTime: fc.constantFrom('10s', 1e10, 'x'),
    MaxTrailingLogs: fc.oneof(fc.nat(1000), hostileValue),
  },
  { requiredKeys: [] },
);
const evalDeleteBody = fc.record(
  {
    EvalIDs: fc.oneof(fc.constant([FAKE_UUID]), fc.constant([]), hostileValue),
    Filter: fc.constantFrom('', 'Status == "complete"', 'Status == "pending"', 'Status ==', 'JobID matches "("'),
  },
  { requiredKeys: [] },
);

const signalBody = fc.record(
  {
    Signal: fc.oneof(fc.constantFrom('SIGHUP', 'SIGUSR1', 'sigterm', 'SIGBOGUS', '', 'KILL'), hostileValue),
    Task: fc.oneof(fc.constantFrom('server', 'web', 'nope', ''), hostileValue),
  },
  { requiredKeys: [] },
);
const restartBody = fc.record(
  { TaskName: fc.oneof(fc.constantFrom('server', 'web', 'nope', ''), hostileValue), AllTasks: fc.oneof(fc.boolean(), hostileValue) },
  { requiredKeys: [] },
);

const W = ['PUT', 'POST'];
const ROUTES: Route[] = [
  { methods: ['GET'], path: '/v1/jobs', read: true, weight: 8 },
  { methods: W, path: '/v1/jobs', body: register, weight: 14 },
  { methods: ['GET'], path: '/v1/job/{job}', read: true, weight: 6 },
  { methods: W, path: '/v1/job/{job}', body: register, weight: 5 },
  { methods: ['DELETE'], path: '/v1/job/{job}', weight: 4 },
  { methods: ['GET'], path: '/v1/job/{job}/versions', read: true, weight: 3 },
  { methods: ['GET'], path: '/v1/job/{job}/submission', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/job/{job}/summary', read: true, weight: 2 },
  { methods: W, path: '/v1/job/{job}/stable', body: stable, weight: 1 },
  { methods: W, path: '/v1/job/{job}/revert', body: revert, weight: 3 },
  { methods: W, path: '/v1/job/{job}/evaluate', body: evaluate, weight: 1 },
  { methods: ['GET'], path: '/v1/job/{job}/evaluations', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/job/{job}/allocations', read: true, weight: 2 },
  { methods: ['GET'], path: '/v1/job/{job}/deployments', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/job/{job}/deployment', read: true, weight: 1 },
  { methods: W, path: '/v1/job/{job}/plan', body: plan, weight: 4 },
  { methods: ['GET'], path: '/v1/job/{job}/scale', read: true, weight: 1 },
  { methods: W, path: '/v1/job/{job}/scale', body: scale, weight: 3 },
  { methods: ['GET'], path: '/v1/job/{job}/services', read: true, weight: 1 },
  { methods: W, path: '/v1/job/{job}/dispatch', body: dispatch, weight: 2 },
  { methods: W, path: '/v1/job/{job}/dispatch/payload', body: dispatch, weight: 0.5 },
  { methods: W, path: '/v1/job/{job}/periodic/force', weight: 1 },
  { methods: ['PUT', 'POST', 'DELETE'], path: '/v1/job/{job}/versions/{tag}/tag', body: tag, weight: 1 },
  { methods: ['GET'], path: '/v1/job/{job}/actions', read: true, weight: 1 },
  { methods: W, path: '/v1/validate/job', body: validate, weight: 4 },
  { methods: W, path: '/v1/jobs/parse', body: parse, weight: 2 },
  { methods: ['GET'], path: '/v1/jobs/statuses', read: true, weight: 1 },
  { methods: ['POST'], path: '/v1/jobs/statuses', body: statuses, weight: 1 },
  { methods: ['GET'], path: '/v1/evaluations', read: true, weight: 2 },
  { methods: ['GET'], path: '/v1/evaluations/count', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/evaluation/{eval}', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/evaluation/{eval}/allocations', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/allocations', read: true, weight: 2 },
  { methods: ['GET'], path: '/v1/allocation/{alloc}', read: true, weight: 2 },
  { methods: W, path: '/v1/allocation/{alloc}/stop', weight: 1 },
  { methods: ['GET'], path: '/v1/client/allocation/{alloc}/stats', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/client/allocation/{alloc}/checks', read: true, weight: 0.5 },
  { methods: W, path: '/v1/client/allocation/{alloc}/signal', body: signalBody, weight: 1 },
  { methods: [...W, 'GET'], path: '/v1/client/allocation/{alloc}/restart', body: restartBody, weight: 1 },
  { methods: ['GET', ...W], path: '/v1/client/allocation/{alloc}/gc', weight: 0.5 },
  { methods: ['GET'], path: '/v1/client/stats', read: true, weight: 0.5 },
  { methods: ['GET', ...W], path: '/v1/client/gc', weight: 0.3 },
  { methods: ['GET'], path: '/v1/deployments', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/deployment/{deployment}', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/deployment/allocations/{deployment}', read: true, weight: 1 },
  { methods: W, path: '/v1/deployment/fail/{deployment}', body: deploymentBody, weight: 1 },
  { methods: W, path: '/v1/deployment/pause/{deployment}', body: deploymentBody, weight: 1 },
  { methods: W, path: '/v1/deployment/promote/{deployment}', body: deploymentBody, weight: 1 },
  { methods: W, path: '/v1/deployment/allocation-health/{deployment}', body: deploymentBody, weight: 1 },
  { methods: ['GET'], path: '/v1/nodes', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/node/{node}', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/node/{node}/allocations', read: true, weight: 1 },
  { methods: [...W, 'GET'], path: '/v1/node/{node}/evaluate', weight: 0.5 },
  { methods: [...W, 'DELETE'], path: '/v1/node/{node}/purge', weight: 0.15 },
  { methods: ['GET'], path: '/v1/client/metadata', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/client/metadata?node_id={node}', weight: 0.3 },
  { methods: ['POST', 'PUT'], path: '/v1/client/metadata', body: nodeMetaBody, weight: 0.5 },
  { methods: ['POST'], path: '/v1/client/metadata?node_id={node}', body: nodeMetaBody, weight: 0.3 },
  { methods: ['GET'], path: '/v1/event/stream', read: true, stream: true, weight: 1 },
  { methods: ['GET'], path: '/v1/node/pools', read: true, weight: 1 },
  { methods: W, path: '/v1/node/pools', body: nodePoolBody, weight: 1 },
  { methods: ['GET'], path: '/v1/node/pool/{pool}', read: true, weight: 1 },
  { methods: [...W, 'DELETE'], path: '/v1/node/pool/{pool}', body: nodePoolBody, weight: 1 },
  { methods: ['GET'], path: '/v1/node/pool/{pool}/nodes', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/node/pool/{pool}/jobs', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/node/pool', weight: 0.1 },
  { methods: ['GET'], path: '/v1/operator/raft/configuration', read: true, weight: 0.3 },
  { methods: ['DELETE'], path: '/v1/operator/raft/peer', weight: 0.3 },
  { methods: W, path: '/v1/operator/raft/transfer-leadership', weight: 0.3 },
  { methods: ['GET', 'PUT'], path: '/v1/operator/autopilot/configuration', body: autopilotBody, weight: 0.5 },
  { methods: ['GET'], path: '/v1/operator/autopilot/health', read: true, weight: 0.3 },
  { methods: ['GET'], path: '/v1/operator/scheduler/configuration', read: true, weight: 0.5 },
  { methods: W, path: '/v1/operator/scheduler/configuration', body: schedulerBody, weight: 0.5 },
  { methods: ['DELETE'], path: '/v1/evaluations', body: evalDeleteBody, weight: 0.5 },
  { methods: ['GET'], path: '/v1/operator/keyring/keys', read: true, weight: 0.3 },
  { methods: W, path: '/v1/operator/keyring/rotate', weight: 0.2 },
  { methods: ['DELETE'], path: '/v1/operator/keyring/key/{key}', weight: 0.2 },
  { methods: ['GET'], path: '/v1/operator/snapshot', read: true, weight: 0.1 },
  { methods: W, path: '/v1/operator/snapshot', weight: 0.1 },
  { methods: ['GET', 'PUT'], path: '/v1/operator/license', weight: 0.2 },
  { methods: ['GET'], path: '/v1/operator/upgrade-check/vault-workload-identity', read: true, weight: 0.2 },
  { methods: ['GET'], path: '/v1/namespaces', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/namespace/{ns}', read: true, weight: 1 },
  { methods: W, path: '/v1/namespace/{ns}', body: namespaceBody, weight: 1 },
  { methods: ['DELETE'], path: '/v1/namespace/{ns}', weight: 0.3 },
  { methods: ['GET'], path: '/v1/vars', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/var/{var}', read: true, weight: 1 },
  { methods: W, path: '/v1/var/{var}', body: variableBody, params: variableParams, weight: 3 },
  { methods: ['DELETE'], path: '/v1/var/{var}', params: variableParams, weight: 1 },
  { methods: ['GET'], path: '/v1/agent/self', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/agent/health', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/status/leader', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/status/peers', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/agent/members', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/regions', read: true, weight: 0.3 },
  { methods: ['GET', 'PUT', 'POST'], path: '/v1/agent/servers', weight: 0.3 },
  { methods: W, path: '/v1/agent/servers?address=127.0.0.1:4647&address=x', weight: 0.2 },
  { methods: W, path: '/v1/agent/join?address=127.0.0.1&address=10.1.1.1:4648', weight: 0.3 },
  { methods: W, path: '/v1/agent/force-leave?node=x&prune=maybe', weight: 0.2 },
  { methods: ['GET'], path: '/v1/agent/schedulers', read: true, weight: 0.3 },
  { methods: ['GET', 'PUT'], path: '/v1/agent/schedulers/config', body: schedulerConfigBody, weight: 0.5 },
  { methods: ['GET', 'PUT'], path: '/v1/agent/keyring/{keyop}', body: fc.record({ Key: fc.oneof(shortString, hostileValue) }), weight: 0.3 },
  { methods: ['GET'], path: '/v1/agent/host?node_id={node}', read: true, weight: 0.3 },
  { methods: ['GET'], path: '/v1/agent/pprof/{profile}', read: true, weight: 0.3 },
  { methods: ['GET'], path: '/v1/agent/monitor?log_level={loglevel}&log_json={bool}&plain={bool}', stream: true, weight: 0.3 },
  // Exec as plain HTTP (never upgraded here): the agent's command/tty checks, then its refusal of a non-websocket request.
  { methods: ['GET', 'POST'], path: '/v1/client/allocation/{alloc}/exec?task=server&command={command}&tty={bool}', weight: 0.3 },
  // Job actions as plain HTTP too: the tty check, then the same refusal; any method.
  { methods: ['GET', 'POST', 'DELETE'], path: '/v1/job/{job}/action?task=server&action=restart&allocID={alloc}&tty={bool}', weight: 0.3 },
  // Nomad routes nomad-mock does not emulate (501), enterprise-only ones, and subtree roots (301).
  // Client files and logs; the follow forms are streams the transport hangs up on.
  { methods: ['GET', 'PUT'], path: '/v1/client/fs/ls/{alloc}', params: fsParams, weight: 0.4 },
  { methods: ['GET'], path: '/v1/client/fs/stat/{alloc}', params: fsParams, weight: 0.4 },
  { methods: ['GET'], path: '/v1/client/fs/cat/{alloc}', params: fsParams, weight: 0.4 },
  { methods: ['GET'], path: '/v1/client/fs/readat/{alloc}', params: fsParams, weight: 0.4 },
  { methods: ['GET'], path: '/v1/client/fs/stream/{alloc}?follow=false', params: fsParams, weight: 0.3 },
  { methods: ['GET'], path: '/v1/client/fs/logs/{alloc}?follow=false', params: fsParams, weight: 0.5 },
  { methods: ['GET'], path: '/v1/client/fs/stream/{alloc}?follow=true', params: fsParams, stream: true, weight: 0.1 },
  { methods: ['GET'], path: '/v1/client/fs/logs/{alloc}?follow=true', params: fsParams, stream: true, weight: 0.2 },
  { methods: ['GET', 'DELETE'], path: '/v1/client/fs/{alloc}', weight: 0.1 },
  { methods: ['GET', 'PUT', 'DELETE'], path: '/v1/quota/{ns}', weight: 0.2 },
  { methods: ['GET', 'PUT'], path: '/v1/recommendations', weight: 0.1 },
  { methods: ['GET'], path: '/v1/agent/keyring', weight: 0.1 },
  { methods: ['POST'], path: '/v1/acl/bootstrap', weight: 0.3 },
  { methods: ['GET'], path: '/v1/acl/token/self', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/acl/tokens', read: true, weight: 0.5 },
  { methods: W, path: '/v1/acl/token', body: aclToken, weight: 1 },
  { methods: ['GET', 'DELETE'], path: '/v1/acl/token/{accessor}', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/acl/policies', read: true, weight: 0.5 },
  { methods: W, path: '/v1/acl/policy/{policy}', body: aclPolicy, weight: 1 },
  { methods: ['GET', 'DELETE'], path: '/v1/acl/policy/{policy}', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/acl/roles', read: true, weight: 0.3 },
  { methods: W, path: '/v1/acl/role', body: aclRole, weight: 0.5 },
  { methods: ['GET', 'DELETE', 'PUT'], path: '/v1/acl/role/{role}', body: aclRole, read: true, weight: 0.3 },
  { methods: ['GET'], path: '/v1/acl/role/name/{roleName}', read: true, weight: 0.2 },
  { methods: ['GET'], path: '/v1/acl/auth-methods', read: true, weight: 0.2 },
  { methods: W, path: '/v1/acl/auth-method', body: aclAuthMethod, weight: 0.4 },
  { methods: ['GET', 'DELETE', 'PUT'], path: '/v1/acl/auth-method/{authMethod}', body: aclAuthMethod, read: true, weight: 0.3 },
  { methods: ['GET'], path: '/v1/acl/binding-rules', read: true, weight: 0.2 },
  { methods: W, path: '/v1/acl/binding-rule', body: aclBindingRule, weight: 0.4 },
  { methods: ['GET', 'DELETE', 'PUT'], path: '/v1/acl/binding-rule/{rule}', body: aclBindingRule, read: true, weight: 0.2 },
  { methods: W, path: '/v1/acl/token/onetime', weight: 0.3 },
  { methods: W, path: '/v1/acl/token/onetime/exchange', body: oneTimeExchange, weight: 0.3 },
  { methods: W, path: '/v1/acl/login', body: aclLogin, weight: 0.2 },
  { methods: W, path: '/v1/acl/oidc/auth-url', body: aclLogin, weight: 0.2 },
  { methods: W, path: '/v1/acl/oidc/complete-auth', body: aclLogin, weight: 0.2 },
  { methods: W, path: '/v1/search', body: searchBody, weight: 1.5 },
  { methods: W, path: '/v1/search/fuzzy', body: fuzzyBody, weight: 1.5 },
  { methods: ['GET'], path: '/v1/scaling/policies', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/scaling/policy/{eval}', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/services', read: true, weight: 1 },
  { methods: ['GET'], path: '/v1/service/{job}', read: true, weight: 1 },
  { methods: ['DELETE'], path: '/v1/service/{job}/{alloc}', weight: 0.3 },
  { methods: ['GET'], path: '/v1/metrics', read: true, weight: 0.5 },
  { methods: ['GET'], path: '/v1/volumes', read: true, weight: 0.5 },
  { methods: W, path: '/v1/volumes', body: csiBody, weight: 0.3 },
  { methods: ['GET', 'PUT', 'DELETE'], path: '/v1/volume/csi/{job}', body: csiBody, read: true, weight: 0.5 },
  { methods: ['PUT', 'DELETE'], path: '/v1/volume/csi/{job}/create', body: csiBody, weight: 0.2 },
  { methods: ['GET', 'PUT', 'POST', 'DELETE'], path: '/v1/volume/host/{job}', body: hostVolumeBody, read: true, weight: 0.5 },
  { methods: W, path: '/v1/volume/host/create', body: hostVolumeBody, weight: 0.3 },
  { methods: ['GET'], path: '/v1/plugins', read: true, weight: 0.3 },
  { methods: ['GET'], path: '/v1/plugin/csi/{job}', read: true, weight: 0.3 },
  { methods: ['GET'], path: '/_mock/health', weight: 0.5 },
  { methods: ['GET'], path: '/_mock/ready', weight: 0.3 },
  { methods: ['POST'], path: '/_mock/reset', body: resetBody, weight: 0.1 },
  { methods: ['GET'], path: '/_mock/snapshot', weight: 0.3 },
  { methods: ['PUT', 'POST'], path: '/_mock/restore', weight: 0.1 },
  { methods: ['GET'], path: '/_mock/clock', weight: 0.3 },
  { methods: ['PUT'], path: '/_mock/clock', body: clockBody, weight: 0.3 },
  { methods: ['POST'], path: '/_mock/clock/advance', body: advanceBody, weight: 4 },
  { methods: ['POST'], path: '/_mock/allocation/{alloc}/state', body: allocStateBody, weight: 2 },
  { methods: ['POST'], path: '/_mock/nodes', body: nodeBody, weight: 0.4 },
  { methods: ['PUT', 'POST', 'DELETE'], path: '/_mock/node/{node}', body: nodeBody, weight: 0.3 },
  { methods: ['PUT', 'POST'], path: '/_mock/node/{node}/down', weight: 0.3 },
  { methods: ['PUT', 'POST'], path: '/_mock/node/{node}/up', weight: 0.3 },
  { methods: ['GET', 'DELETE'], path: '/_mock/faults', weight: 0.5 },
  { methods: ['POST'], path: '/_mock/faults', body: faultBody, weight: 0.5 },
  { methods: ['DELETE'], path: '/_mock/faults/{fault}', weight: 0.2 },
  { methods: ['GET', 'PUT'], path: '/_mock/leader', body: fc.record({ Leader: fc.oneof(fc.constant(true), fc.constant(false), hostileValue) }), weight: 0.2 },
  { methods: ['GET', 'DELETE'], path: '/_mock/requests', weight: 0.3 },
  { methods: ['GET', 'POST'], path: '/_mock/scenario', body: fc.record({ Name: fc.oneof(fc.constantFrom('empty', 'busy', 'nope', '../x', ''), hostileValue) }), weight: 0.05 },
  { methods: ['GET', 'HEAD', 'POST'], path: '/ui/', weight: 0.1 },
  { methods: ['GET'], path: '/ui/jobs/{job}', weight: 0.1 },
  { methods: ['GET'], path: '/ui/assets/{job}.js', weight: 0.05 },
  { methods: ['GET', 'PUT'], path: '/v1/nodes/{node}/nope', weight: 0.2 },
  { methods: ['GET'], path: '/v1/node/{node}/drain', weight: 0.2 },
  { methods: W, path: '/v1/node/{node}/drain', body: drainBody, weight: 1 },
  { methods: W, path: '/v1/node/{node}/eligibility', body: eligibilityBody, weight: 0.8 },
  { methods: ['GET', 'DELETE'], path: '/v1/node/{node}/eligibility', weight: 0.1 },
  { methods: ['GET'], path: '/', weight: 0.1 },
  { methods: ['GET'], path: '/v1/', weight: 0.1 },
  { methods: ['GET'], path: '/v1/job', weight: 0.1 },
  { methods: ['GET'], path: '/v1//jobs/./x', weight: 0.1 },
];

const OTHER_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];
const CONTENT_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/octet-stream', '', 'garbage/;;;'];

function fill(path: string, w: World, n: number[], id: string): string {
  return path
    .replace('{job}', () => (n[0]! % 9 === 0 && w.children.length ? enc(pick(w.children, n[1]!, 'fz-a')) : id))
    .replace('{alloc}', () => enc(n[2]! % 7 === 0 ? FAKE_UUID.slice(0, (n[3]! % 30) + 1) : pick(w.allocs, n[3]!, FAKE_UUID)))
    .replace('{eval}', () => enc(n[2]! % 7 === 0 ? 'short' : pick(w.evals, n[3]!, FAKE_UUID)))
    .replace('{deployment}', () => enc(n[2]! % 7 === 0 ? '' : pick(w.deployments, n[3]!, FAKE_UUID)))
    .replace('{node}', () => enc(pick(w.nodes, n[3]!, FAKE_UUID)))
    .replace('{ns}', () => enc(pick(['fz-ns', 'default', 'nope', 'a b', 'x'.repeat(200)], n[3]!, 'fz-ns')))
    .replace('{var}', () => pick(['fz/a', 'fz/b', 'fz/lock', 'nomad', 'nomad/jobs/web', 'a.b', '', enc('sp ace'), 'x'.repeat(200)], n[3]!, 'fz/a'))
    .replace('{tag}', () => enc(pick(['v1', 'prod', 'nope', ''], n[3]!, 'v1')))
    // The management token the run works with is never deleted (it could not be made again).
    .replace('{accessor}', () => enc(pick(w.tokens.filter((t) => t.SecretID !== w.management).map((t) => t.AccessorID), n[3]!, FAKE_UUID)))
    .replace('{policy}', () => enc(pick(['readonly', 'fz-write', 'anonymous', 'nope'], n[3]!, 'readonly')))
    .replace('{role}', () => enc(pick([FAKE_UUID, '', 'a/b', 'name/fz-readers', 'x'.repeat(40)], n[3]!, FAKE_UUID)))
    .replace('{roleName}', () => enc(pick(['fz-readers', 'nope', ''], n[3]!, 'fz-readers')))
    .replace('{authMethod}', () => enc(pick(['fz-oidc', 'fz-jwt', 'nope'], n[3]!, 'fz-oidc')))
    .replace('{rule}', () => enc(pick([FAKE_UUID, 'x', ''], n[3]!, FAKE_UUID)))
    .replace('{fault}', () => enc(pick(w.faults, n[3]!, '999')))
    .replace('{pool}', () => enc(pick(['fz-pool', 'fz-pool2', 'default', 'all', 'nope', 'a b', ''], n[3]!, 'fz-pool')))
    .replace('{key}', () => enc(pick([FAKE_UUID, '', 'x'], n[3]!, FAKE_UUID)))
    .replace('{keyop}', () => pick(['list', 'install', 'use', 'remove', 'rotate', ''], n[3]!, 'list'))
    .replace('{profile}', () => pick(['heap', 'goroutine', 'cmdline', 'profile', 'trace', ''], n[3]!, 'heap'))
    .replace('{loglevel}', () => pick(['info', 'TRACE', 'off', 'loud', ''], n[2]!, 'info'))
    .replace('{command}', () => enc(pick(['["ls","/"]', '[]', 'null', 'ls', '', '[1]', '{"a":1}', '["sh","-c","echo hi"] x'], n[2]!, '["ls"]')))
    .replace(/\{bool\}/g, () => pick(['true', 'false', 'x', ''], n[1]!, 'false'));
}

/** Bodies that point at IDs the run has seen (deployment and alloc-state calls). */
function aimBody(route: Route, doc: unknown, w: World, n: number): unknown {
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const d = doc as Obj;
    if (route.path.startsWith('/v1/deployment/') && d.DeploymentID === FAKE_UUID) d.DeploymentID = pick(w.deployments, n, FAKE_UUID);
    if (Array.isArray(d.HealthyAllocationIDs) && d.HealthyAllocationIDs[0] === FAKE_UUID) d.HealthyAllocationIDs = [pick(w.allocs, n, FAKE_UUID)];
  }
  return doc;
}

const writeParams = fc.record(
  { namespace, purge: fc.constantFrom('true', 'false', 'x'), global: fc.constantFrom('true', 'x'), eval_priority: fc.constantFrom('50', '0', 'x'), junk: fc.tuple(shortString, shortString) },
  { requiredKeys: [] },
);
const strayBody = fc.option(bodyText(hostileValue), { freq: 2, nil: undefined });

const routePlan = (route: Route): fc.Arbitrary<Plan> =>
  fc
    .record({
      method: fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...route.methods) }, { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) }),
      id: pathId,
      picks: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      params: route.params ?? (route.read ? readParams : writeParams),
      body: route.body ? fc.option(bodyText(route.body), { freq: 12, nil: undefined }) : strayBody,
      contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 3, nil: undefined }),
      acceptEncoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'gzip;q=0, identity', '*'), { freq: 4, nil: undefined }),
      token: fc.nat(9),
      bigHeader: fc.nat(199),
    })
    .map((g): Plan => (w) => {
      const headers: Record<string, string> = {};
      const filled = fill(route.path, w, g.picks, g.id);
      const q = query(g.params as never);
      let path = filled + (filled.includes('?') && q ? `&${q.slice(1)}` : q);
      if (route.path.startsWith('/_mock/requests')) path = `/_mock/requests?limit=${pick(['5', '0', '-1', 'x', '100'], g.picks[0]!, '5')}&path=${encodeURIComponent('/v1/job/*')}`;
      let body: string | Buffer | undefined;
      if (route.path === '/_mock/restore' || (route.path === '/v1/operator/snapshot' && g.method !== 'GET')) {
        body = w.snapshot || '{}';
        if (g.picks[0]! % 4 === 0) body = writeJson(mutateSnapshot(body, g.picks[1]!));
      } else if (g.body) {
        body = g.body.text;
        if (route.path.startsWith('/v1/deployment/') && typeof g.body.text === 'string' && g.body.text.startsWith('{')) {
          try {
            body = writeJson(aimBody(route, JSON.parse(g.body.text), w, g.picks[2]!));
          } catch {
            /* keep the broken text */
          }
        }
        if (g.body.gzip) headers['Content-Encoding'] = 'gzip';
      }
      if (g.contentType !== undefined) headers['Content-Type'] = g.contentType;
      if (g.acceptEncoding !== undefined) headers['Accept-Encoding'] = g.acceptEncoding;
      if (w.acl) {
        // Mostly the management token, sometimes another token, a bad one or none.
        const t = g.token;
        if (t < 6 && w.management) headers['X-Nomad-Token'] = w.management;
        else if (t < 7 && w.tokens.length) headers['X-Nomad-Token'] = pick(w.tokens, g.picks[3]!, w.tokens[0]!).SecretID;
        else if (t < 8) headers.Authorization = `Bearer ${t % 2 ? w.management : 'not-a-token'}`;
        else if (t < 9) headers['X-Nomad-Token'] = pick(['', 'x', '00000000-0000-0000-0000-000000000000', 'a.b.c', 'x'.repeat(5000)], g.picks[3]!, 'x');
      }
      if (g.bigHeader === 0) headers['X-Fuzz'] = 'h'.repeat(20_000);
      if (body === undefined && (g.method === 'PUT' || g.method === 'POST') && route.body === undefined && g.picks[0]! % 3 === 0) body = '';
      return { method: g.method, path, headers, body, stream: route.stream };
    });

const apiPlan: fc.Arbitrary<Plan> = fc.oneof(...ROUTES.map((r) => ({ weight: Math.max(1, Math.round(r.weight * 10)), arbitrary: routePlan(r) })));

/** A snapshot with one entry broken (a field dropped or retyped), for restore validation. */
function mutateSnapshot(text: string, n: number): unknown {
  let doc: Obj;
  try {
    doc = JSON.parse(text) as Obj;
  } catch {
    return {};
  }
  const keys = ['Index', 'Jobs', 'Allocations', 'Versions', 'Summaries', 'Format', 'TableIndexes', 'Evaluations'];
  const k = keys[n % keys.length]!;
  const v = doc[k];
  if (Array.isArray(v) && v.length) {
    const e = v[n % v.length] as Obj;
    if (n % 3 === 0) v[n % v.length] = null;
    else if (e && typeof e === 'object') for (const f of Object.keys(e).slice(2)) delete e[f];
  } else {
    doc[k] = [null, 'x', -1, 1e300, {}][n % 5];
  }
  return doc;
}

// ---- raw HTTP ----

const crlf = (lines: string[], body = ''): Buffer => Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
const rawPlan: fc.Arbitrary<Plan> = fc.tuple(fc.nat(10), jobId).map(([k, id]): Plan => () => {
  const host = 'Host: 127.0.0.1';
  const raws: Buffer[] = [
    crlf(['BREW /v1/jobs HTTP/1.1', host, 'Connection: close']),
    crlf([`GET /v1/job/a b HTTP/1.1`, host, 'Connection: close']),
    Buffer.concat([Buffer.from('GET /v1/job/'), Buffer.from('ジョブ', 'utf8'), Buffer.from(` HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`)]),
    crlf(['PUT /v1/jobs HTTP/1.1', host, 'Connection: close', 'Transfer-Encoding: chunked', 'Content-Length: 3'], '3\r\nabc\r\n0\r\n\r\n'),
    crlf([`GET /v1/job/${'x'.repeat(20_000)} HTTP/1.1`, host, 'Connection: close']),
    crlf(['GET /v1/job/%zz HTTP/1.1', host, 'Connection: close']),
    crlf([`GET /v1/job/${enc(id)} HTTP/1.0`]),
    crlf(['GET http://127.0.0.1/v1/jobs HTTP/1.1', host, 'Connection: close']),
    crlf(['GET /v1/jobs HTTP/1.1', host, 'Connection: close', 'Bad Header Line']),
    crlf(['GET /v1/jobs HTTP/1.1', 'Connection: close']),
    crlf(['GET /v1/jobs HTTP/1.1', host, 'Connection: close', `X-Big: ${'y'.repeat(70_000)}`]),
  ];
  return { method: 'RAW', path: '', raw: raws[k] };
});

export const requestPlan: fc.Arbitrary<Plan> = fc.oneof({ weight: 97, arbitrary: apiPlan }, { weight: 3, arbitrary: rawPlan });
