// `GET|POST /v1/jobs/statuses` (command/agent/job_endpoint_statuses.go + Job.Statuses): the query
// parser first, then the method check, `include_children`, the optional body naming jobs, and a
// blocking read whose index is the highest one seen among the page's jobs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { sendJson, setReadMeta } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { parseGoBool } from '../../state/godur.js';
import { compileJobFilter } from '../http/filter.js';
import { decodeRequest } from '../../state/jobspec/decode.js';
import { jobStatuses } from '../../state/jobs/statuses.js';
import type { Job } from '../../state/types.js';
import { readRule, type AclDecl } from '../acl/rules.js';

export function statusesRoutes(app: App, ctx: RouteContext): void {
  const acl: AclDecl = (req) => (req.method === 'GET' || req.method === 'POST' ? readRule(req, ctx) : null);
  app.all('/v1/jobs/statuses', { config: { acl } }, async (req, reply) => handleStatuses(ctx, req, reply));
}

/** `parseBool` of the agent: an empty value counts as absent; a bad one is a 400 here. */
function includeChildrenParam(q: Query): boolean {
  const raw = q.include_children;
  if (raw === undefined || raw === '') return false;
  const v = parseGoBool(raw);
  if (v === null) {
    throw new HttpError(
      400,
      `Failed to parse value of "include_children" (${raw}) as a bool: strconv.ParseBool: parsing ${JSON.stringify(raw)}: invalid syntax`,
    );
  }
  return v;
}

/**
 * The request body as Go's server sees it: null for http.NoBody (no Content-Length or 0, not
 * chunked), else the bytes. Fastify does not read GET bodies, so those are read from the socket here.
 */
async function requestBody(req: FastifyRequest): Promise<Buffer | null> {
  const te = req.headers['transfer-encoding'];
  const cl = req.headers['content-length'];
  const present = te !== undefined || (cl !== undefined && cl !== '0');
  if (!present) return null;
  if (Buffer.isBuffer(req.body)) return req.body;
  if (req.body !== undefined && req.body !== null) return Buffer.from(String(req.body));
  const chunks: Buffer[] = [];
  for await (const chunk of req.raw) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

interface StatusesBody {
  jobs: { ID: string; Namespace: string }[];
  includeChildren: boolean;
}

/** Decodes `{"Jobs":[{"ID","Namespace"}…],"IncludeChildren":bool}`; an io.EOF (blank body) is ignored. */
function decodeStatusesBody(raw: Buffer): StatusesBody {
  const res = decodeRequest('JobStatusesRequest', raw);
  if (!res.ok && res.error !== 'EOF') throw new HttpError(400, `error decoding request: ${res.error}`);
  const value = (res.ok ? res.value : null) as { Jobs?: { ID?: string; Namespace?: string }[] | null; IncludeChildren?: boolean | null } | null;
  const jobs = value?.Jobs ?? [];
  if (jobs.length === 0) throw new HttpError(400, 'no jobs in request');
  return {
    jobs: jobs.map((j) => ({ ID: j?.ID ?? '', Namespace: j?.Namespace || 'default' })),
    includeChildren: value?.IncludeChildren === true,
  };
}

/** Statuses wraps paginator errors as coded 500s (unlike `/v1/jobs`, which answers 400). */
function as500<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HttpError && err.status === 400) throw new HttpError(500, err.message);
    throw err;
  }
}

export async function handleStatuses(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const q = req.query as Query;
  const opts = parseQueryOptions(q, ctx.config.region);
  if (req.method !== 'GET' && req.method !== 'POST') throw invalidMethod();
  let includeChildren = includeChildrenParam(q);

  let namespace = opts.namespace;
  let jobs: StatusesBody['jobs'] | null = null;
  const raw = await requestBody(req);
  if (raw !== null) {
    const body = decodeStatusesBody(raw);
    jobs = body.jobs;
    // Jobs may come from several namespaces: the agent widens `default` to all of them …
    if (namespace === 'default') namespace = '*';
    // … and the server narrows it again when every listed job shares one namespace.
    const nses = new Set(jobs.map((j) => j.Namespace));
    if (nses.size === 1) namespace = [...nses][0]!;
    // A body `IncludeChildren:false` never turns the query parameter off.
    if (body.includeChildren) includeChildren = true;
  }

  // From here on this is the RPC: its errors carry no query-meta headers.
  const compiled = as500(() => compileJobFilter(opts.filter));
  const filter = compiled ? (job: Job): boolean => as500(() => compiled(job)) : undefined;

  let prevKeys: Set<string> | null = null;
  let index = 0;
  const res = await blockingQuery(ctx.store, reply, opts, ['jobs', 'allocs', 'deployment'], () => {
    const page = jobStatuses(ctx.store, {
      namespace,
      includeChildren,
      jobs,
      perPage: opts.perPage,
      nextToken: opts.nextToken,
      reverse: opts.reverse,
      filter,
    });
    // The reply index only grows across re-runs of a blocking query; if the page's set of jobs
    // changed since the previous run, it becomes the jobs table index.
    if (page.index > index) index = page.index;
    if (prevKeys !== null && prevKeys.size > 0 && !sameSet(prevKeys, page.keys)) index = ctx.store.tableIndex('jobs');
    prevKeys = page.keys;
    return { jobs: page.jobs, nextToken: page.nextToken, index };
  });
  setReadMeta(reply, res.index, res.nextToken);
  return sendJson(req, reply, res.jobs);
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a) if (!b.has(k)) return false;
  return true;
}
