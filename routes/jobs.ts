// `/v1/jobs`: list (GET) and register (PUT/POST).
import type { App, RouteContext } from './context.js';
import { invalidMethod, HttpError } from './http/errors.js';
import { blockingQuery } from './http/blocking.js';
import { cachedJson, sendJson, setReadMeta } from './http/reply.js';
import { parseBoolParam, parseQueryOptions, type Query } from './http/query.js';
import { handleRegister } from './job/crud.js';
import { jobsListSchema } from './schemas/job.js';
import { jobStub, listJobs } from '../state/job-queries.js';
import { compileJobFilter } from './http/filter.js';

export function jobsRoutes(app: App, ctx: RouteContext): void {
  app.all('/v1/jobs', { schema: jobsListSchema }, async (req, reply) => {
    if (req.method === 'PUT' || req.method === 'POST') return handleRegister(ctx, req, reply, null);
    if (req.method !== 'GET') throw invalidMethod();
    const q = req.query as Query;
    const opts = parseQueryOptions(q, ctx.config.region);
    const meta = parseBoolParam(q, 'meta');
    const accept = compileJobFilter(opts.filter);
    const res = await blockingQuery(ctx.store, reply, opts, ['jobs', 'job_summary'], () =>
      listJobs(ctx.store, { ...opts, accept }),
    );
    setReadMeta(reply, res.index, res.nextToken);
    const stubs = res.jobs.map((j) => jobStub(ctx.store, j, meta));
    const compact = `[${stubs.map((s) => cachedJson(s)).join(',')}]`;
    return sendJson(req, reply, stubs, compact);
  });

  for (const path of ['/v1/jobs/parse', '/v1/jobs/statuses']) {
    app.all(path, async () => {
      throw new HttpError(501, `nomad-mock does not implement ${path} yet`);
    });
  }
}
