// `/v1/job/<rest>`: Nomad takes the percent-decoded path and picks the sub-resource by testing
// suffixes in a fixed order (http-semantics §1.2); whatever precedes the suffix is the job ID, so
// IDs such as `parent/dispatch-…` work when the client escapes the slash.
import { HttpError } from '../http/errors.js';
import { decodePath } from '../http/path.js';

export type SubResource =
  | 'evaluate' | 'allocations' | 'evaluations' | 'periodic-force' | 'plan' | 'summary' | 'dispatch'
  | 'dispatch-payload' | 'versions' | 'revert' | 'deployments' | 'deployment' | 'stable' | 'scale'
  | 'services' | 'submission' | 'actions' | 'action' | 'tag' | 'job';

const SUFFIXES: [string, SubResource][] = [
  ['/evaluate', 'evaluate'],
  ['/allocations', 'allocations'],
  ['/evaluations', 'evaluations'],
  ['/periodic/force', 'periodic-force'],
  ['/plan', 'plan'],
  ['/summary', 'summary'],
  ['/dispatch', 'dispatch'],
  ['/dispatch/payload', 'dispatch-payload'],
  ['/versions', 'versions'],
  ['/revert', 'revert'],
  ['/deployments', 'deployments'],
  ['/deployment', 'deployment'],
  ['/stable', 'stable'],
  ['/scale', 'scale'],
  ['/services', 'services'],
  ['/submission', 'submission'],
  ['/actions', 'actions'],
  ['/action', 'action'],
];

export interface JobPath {
  resource: SubResource;
  jobId: string;
  /** Only for `tag`: the version tag name. */
  tagName?: string;
}

const PREFIX = '/v1/job/';

// Clients poll the same URL over and over (and in ACL mode the rule and the handler both parse it):
// the last answer of this pure function is kept, frozen so no caller can change it for the next.
let last: { url: string; path: JobPath } | null = null;

export function parseJobPath(rawUrl: string): JobPath {
  if (last !== null && last.url === rawUrl) return last.path;
  const path = Object.freeze(parseUncached(rawUrl));
  last = { url: rawUrl, path };
  return path;
}

function parseUncached(rawUrl: string): JobPath {
  const rest = decodePath(rawUrl).slice(PREFIX.length);
  for (const [suffix, resource] of SUFFIXES) {
    if (rest.endsWith(suffix)) return { resource, jobId: rest.slice(0, rest.length - suffix.length) };
  }
  if (rest.endsWith('/tag')) {
    const parts = rest.split('/');
    if (parts.length !== 4) throw new HttpError(404, 'invalid job tag endpoint');
    return { resource: 'tag', jobId: parts[0]!, tagName: parts[2]! };
  }
  return { resource: 'job', jobId: rest };
}
