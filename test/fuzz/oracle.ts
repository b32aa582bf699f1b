// The fuzz oracle: what every answer must look like, whatever was asked. It knows nothing about a
// route's meaning, only Nomad's outer contract: an answer arrives, it carries no JavaScript engine
// text and no framework-generic body, a 5xx is one of the 5xx texts Nomad itself gives, and
// X-Nomad-Index is a plain integer that never goes backwards for the same query.
import type { FuzzRequest, FuzzResponse } from './transport.js';

export type FailureKind = 'no-answer' | 'js-text' | 'framework' | '5xx' | 'index' | 'keepalive-reset' | 'invariant' | 'crash';

export interface Failure {
  kind: FailureKind;
  detail: string;
  req: FuzzRequest;
  res?: FuzzResponse;
  /** Request number in the run (for a report and a replay with the same seed). */
  n?: number;
}

/** Message shapes of V8 and Node errors, none of which Nomad (Go) ever writes. */
export const JS_TEXTS: RegExp[] = [
  /Cannot read propert(y|ies) of/,
  /Cannot set propert(y|ies) of/,
  /Cannot destructure/,
  /Cannot convert (undefined|null|a BigInt|a Symbol|object)/,
  /Cannot access '[^']*' before initialization/,
  /Cannot create property/,
  /is not a function/,
  /is not a constructor/,
  /is not iterable/,
  /is not defined\b/,
  /Invalid string length/,
  /Invalid array length/,
  /Invalid time value/,
  /Maximum call stack/,
  /Unexpected token/,
  /Unexpected end of JSON/,
  /is not valid JSON/,
  /Unexpected non-whitespace character/,
  /Bad control character in string literal/,
  /Converting circular structure/,
  /Do not know how to serialize a BigInt/,
  /Invalid regular expression/,
  /JavaScript heap/,
  /\bundefined\b/,
  /\bNaN\b/,
  /\[object Object\]/,
  /\[object [A-Z][a-z]+\]/,
  /\b(Range|Type|Reference|Syntax|Eval|URI|Aggregate)Error\b/,
  /\bat [\w.<>]+ \((file|node):/,
  /\bERR_[A-Z_]{4,}\b/,
];

/** Bodies Fastify or Node write on their own, never Nomad. */
const FRAMEWORK: RegExp[] = [
  /"statusCode"\s*:\s*\d/,
  /FST_ERR_/,
  /^Route [A-Z]+:.* not found$/,
  /^(Unsupported Media Type|Client Error|Request body is too large|Body cannot be empty when content-type is set to)/,
  /"error"\s*:\s*"(Bad Request|Not Found|Internal Server Error|Request Header Fields Too Large|URI Too Long)"/];

/** The 5xx texts Nomad gives (its RPC errors as 500, the agent's coded errors) and the mock's 501s. */
export const NOMAD_5XX: RegExp[] = [
  /^\d+ errors? occurred:\n\t\* /m, // go-multierror: validation on register, plan, validate…
  /\d+ errors? occurred:\n\t\* /,
  /^No cluster leader$/,
  /^failed to (create result paginator|read result page): /, // /v1/jobs/statuses wraps paginator errors as 500s
  /^Failed to parse value of "[^"]*" \([^]*\) as an? (bool|int|uint)/, // parseBool/parseInt in command/agent/http.go
  /^nomad-mock does not implement /,
  // allocExec's checks before it upgrades (command/agent/alloc_endpoint.go).
  /^failed to marshal command into json: /,
  /^tty value is not a boolean: strconv\.ParseBool: /,
  // Variable request validation (nomad/variables_endpoint.go) fails the RPC.
  /^(can not target wildcard \("\*"\)namespace|delete requires a Path|empty variables are invalid|release requires all lock information|variables are limited to 64KiB in total size|missing lock ID|variable doesn't exist|variable doesn't hold a lock|attempting to modify locked variable|multiple lock operations|CAS can't be used with lock operations)$/,
  /^Enforcing job modify index \d+: /,
  /^job "[^]*" (in namespace "[^]*" at version \d+ |version \d+ )?not found$/,
  /^job not found$/,
  /^Unknown job "[^]*"$/,
  /^missing (job ID|deployment ID|node ID|parameterized job ID)\b/,
  // Node drain and eligibility (nomad/node_endpoint.go UpdateDrain, UpdateEligibility).
  /^(node not found|node event must not be set|invalid scheduling eligibility "[^]*"|can not set node's scheduling eligibility to eligible while it is draining)$/,
  /^deployment not found$/,
  /^can't unblock (running|terminal) deployment$/,
  /^can't (fail|pause|resume|promote|set health of allocations for a) terminal deployment$/,
  /^must specify at least one healthy\/unhealthy allocation ID$/,
  /^unknown alloc "[^]*"$/,
  /^alloc "[^]*" is not part of deployment "[^]*"$/,
  /^tag "[^]*" (already exists on a different version of job "[^]*"|not found)$/,
  /^version -?\d+ not found$/,
  /^job can't be submitted with 'Dispatched' set$/,
  /^field 'Dispatched' is read-only$/,
  /^cannot update (job from type "[^]*" to "[^]*"|periodic job to being non-periodic|non-periodic job to being periodic|parameterized job to being non-parameterized|non-parameterized job to being parameterized)$/,
  /^Invalid namespace "[^]*": /,
  /^can not delete default namespace$/,
  /^namespace not found$/,
  /^can't force launch non-periodic job$/,
  /^force launch for job "[^]*" failed: /,
  /^parameterized job not found$/,
  /^Specified job "[^]*" is (not a parameterized job|stopped)$/,
  /^Payload (is not provided but required|provided but forbidden) by parameterized job$/,
  /^Payload exceeds maximum size; /,
  /^Dispatch (request included unpermitted metadata keys|did not provide required meta keys): /,
  /^dispatch job priority must be between \[1, 100\]$/,
  /^can't revert to current version$/,
  /^Current job has version -?\d+; enforcing version -?\d+$/,
  /^can't evaluate (periodic|parameterized) job$/,
  /^(rpc error: )?(ACL token expired|failed to parse signed token: )/,
  /ACL token expired$|failed to parse signed token: go-jose/,
  /^ACL (role|auth method|binding rule) not found$/, // deletes of unknown identities fail the Raft apply
  /^ACL role with name [^]* already exists$/,
  /^failed to generate OIDC provider: /,
  // Node pools and the operator endpoints (nomad/node_pool_endpoint.go, operator_endpoint.go, …).
  /^node pool [^]* not found$/,
  /^deleting node pool "[^]*" is not allowed$/,
  /^(id|address) "[^]*" was not found in the Raft configuration$/,
  /^need at least one voter in configuration: /,
  /^eval broker is enabled; eval broker must be paused to delete evals$/,
  /^eval not found$/,
  /^eval [^ ]+ is not safe to delete$/,
  /^active root key cannot be deleted - call rotate first$/,
  /^root key ID is required$/,
  /^failed to restore snapshot: /,
  /^Nomad Enterprise only endpoint$/,
  /^1\/1 nodes reported failure$/, // the legacy gossip keyring on a Serf pool without encryption
  /^\{"(client|server)":\{"ok":false,/, // /v1/agent/health of a part that does not run
  /^unknown nomad server /, // /v1/agent/host?server_id= of another server
  // search, services, volumes (nomad/search_endpoint.go, service_registration_endpoint.go, csi_endpoint.go, host_volume_endpoint.go)
  /^fuzzy search query must be at least \d+ characters, got \d+$/,
  /^service registration not found$/,
  /^missing (volume definition|volume ID|plugin ID)$/,
  /^validation: /,
  /^no CSI plugin named: [^]* could be found$/,
  /^volume not found: /,
  /^no such volume(: [^]*)?$/,
  /^no such plugin$/,
  /^cannot register volume: (node ID|host path) is required$/,
  /^cannot update volume "[^]*": volume does not exist$/,
  /^validating volume "[^]*" against state failed: /,
  /^could not place volume "[^]*": no node meets constraints: /,
  // client files and logs (command/agent/fs_endpoint.go, client/allocdir)
  /^error parsing (offset|limit): strconv\.ParseInt: parsing "[^]*": (invalid syntax|value out of range)$/,
  /^failed to parse follow field to boolean: strconv\.ParseBool: /,
  /^Path escapes the alloc directory$/,
  /^(readdirent|stat|open) \/opt\/nomad\/data\/alloc\/[^]*: not a directory$/,
  /^can't seek to offset '[^]*': seek [^]*: invalid argument$/,
  // The client alloc endpoints (nomad/client_alloc_endpoint.go, client/alloc_endpoint.go, allocrunner).
  /^Unknown node /,
  /^Task (not found|not running)$/,
  /^failed to parse signal: invalid signal /,
  /^Could not find task runner for task: /,
  /^task name cannot be set when restarting all tasks$/,
  /^restart of an alloc that should not run$/,
  /^No such allocation on client, or allocation not eligible for GC$/,
  // allocRestart returns its body's decoding error as it is.
  /^(json: cannot unmarshal |invalid character |unexpected EOF$)/,
  // Node purge and evaluate (Node.Deregister, Node.Evaluate) and client RPCs to a node the server does not know.
  /^node not found$/,
  /^Unknown node [^]*$/,
];

export interface OracleState {
  /** Highest X-Nomad-Index seen per GET query (path and query minus index/wait). */
  readIndex: Map<string, number>;
  /** Bodies of faults the run armed: 5xx answers with them are the fault, not the server. */
  faultBodies: Set<string>;
  /** A connection fault (reset/empty) was armed and may still be pending. */
  connectionFaults: boolean;
  /** A latency fault may delay an answer. */
}

export function newOracleState(): OracleState {
  return { readIndex: new Map(), faultBodies: new Set(), connectionFaults: false };
}

function requestText(req: FuzzRequest): string {
  const b = req.body === undefined ? '' : req.body.toString();
  return `${req.raw ? req.raw.toString('latin1') : ''}${safeDecode(req.path)}\n${req.path}\n${JSON.stringify(req.headers ?? {})}\n${b}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** The GET query an index belongs to: blocking parameters and output options do not change it. */
function queryKey(req: FuzzRequest): string {
  const q = req.path.indexOf('?');
  if (q < 0) return req.path;
  const params = req.path
    .slice(q + 1)
    .split('&')
    .filter((p) => !/^(index|wait|pretty|stale)(=|$)/.test(p))
    .sort();
  return params.length ? `${req.path.slice(0, q)}?${params.join('&')}` : req.path.slice(0, q);
}

/** Everything wrong with one answer (empty when it is fine). */
export function judge(req: FuzzRequest, res: FuzzResponse, st: OracleState, n: number): Failure[] {
  const out: Failure[] = [];
  const fail = (kind: FailureKind, detail: string, extra: Partial<Failure> = {}): void => {
    out.push({ kind, detail, req, res, n, ...extra });
  };
  // A connection fault armed by the run resets or closes connections by design.
  if (res.retried && !st.connectionFaults) fail('keepalive-reset', `the server closed a keep-alive connection under the request (${res.retried})`);
  if (res.error || res.status <= 0) {
    // Go answers a request it cannot parse with raw bytes that include a body whatever the method, so
    // a HEAD client's parser sees data after `Connection: close`: that is Go's answer, not a missing one.
    const goRawHead = req.method === 'HEAD' && /Data after `Connection: close`/.test(res.error ?? '');
    if (!st.connectionFaults && !goRawHead && !/client refused/.test(res.error ?? '')) fail('no-answer', res.error ?? 'no status');
    return out;
  }
  const body = res.body;
  const asked = requestText(req);
  for (const re of JS_TEXTS) {
    const m = re.exec(body);
    // An input echoed back (a job named "undefined") is not a leak.
    if (m && !asked.includes(m[0])) {
      fail('js-text', `answer carries JavaScript text ${JSON.stringify(m[0])}`);
      break;
    }
  }
  for (const re of FRAMEWORK) {
    if (re.test(body) && !asked.includes(body.slice(0, 40))) {
      fail('framework', `framework-generic body (${re})`);
      break;
    }
  }
  // A HEAD answer carries no body to judge.
  const judgeBody = req.method !== 'HEAD';
  if (judgeBody && res.status >= 500 && res.status !== 501 && !st.faultBodies.has(body)) {
    const text = body.trim() === body ? body : body;
    if (!NOMAD_5XX.some((re) => re.test(text))) fail('5xx', `${res.status} that Nomad does not give`);
  }
  // 501: a Nomad route nomad-mock lacks, Nomad CE's enterprise-only routes, or a client-only route on an agent without a client.
  if (judgeBody && res.status === 501 && !/^(nomad-mock does not implement |Nomad Enterprise only endpoint$|Invalid method$)/.test(body) && !st.faultBodies.has(body)) fail('5xx', '501 without the mock\'s "does not implement" text');
  const idx = res.headers['x-nomad-index'];
  if (idx !== undefined) {
    const text = String(idx);
    const v = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(v)) fail('index', `X-Nomad-Index ${JSON.stringify(text)} is not an integer ≤ 2^53-1`);
    else if (req.method === 'GET' && res.status === 200) {
      const key = queryKey(req);
      const before = st.readIndex.get(key) ?? 0;
      if (v < before) fail('index', `X-Nomad-Index went from ${before} to ${v} for ${key}`);
      st.readIndex.set(key, Math.max(v, before));
    }
  }
  return out;
}
