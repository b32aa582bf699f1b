// `/v1/jobs`: list (GET) and register (PUT/POST).
import type { App, RouteContext } from '../http/context.js';
import { invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { isPretty, sendJson, setReadMeta } from '../http/reply.js';
import { parseBoolParam, parseQueryOptions, type Query } from '../http/query.js';
import { handleRegister, registerRequest } from './crud.js';
import { jobsListSchema } from './schemas.js';
import { jobStub, listJobs } from '../../state/jobs/queries.js';
import type { Job } from '../../state/types.js';
import { ListBodies, type ListBody } from './list-body.js';
import { compileJobFilter } from '../http/filter.js';
import { bodyLength } from '../http/compress.js';
import { RenderCache } from '../http/memo.js';
import { statusesRoutes } from './statuses.js';
import { parseRoutes } from './parse.js';
import { WRITE, listRule, registerRule, type AclDecl } from '../acl/rules.js';

export function jobsRoutes(app: App, ctx: RouteContext): void {
  const rendered = new RenderCache<{ jobs: Job[]; bytes: ListBody; nextToken: string; index: number }>(ctx.store, (v) => bodyLength(v.bytes) + 8 * v.jobs.length);
  const bodies = new ListBodies(ctx.store);
  const acl: AclDecl = (req) => {
    if (req.method === 'GET') return listRule(req, ctx, 'list-jobs');
    if (WRITE.has(req.method)) return registerRule(req, 'JobRegisterRequest', () => void registerRequest(req, null));
    return null;
  };
  app.all('/v1/jobs', { schema: jobsListSchema, config: { acl } }, (req, reply) => {
    if (req.method === 'PUT' || req.method === 'POST') {
      // A register is answered as soon as its write is done: no promise for Fastify to wait on.
      handleRegister(ctx, req, reply, null);
      return undefined;
    }
    return (async () => {
      if (req.method !== 'GET') throw invalidMethod();
      const q = req.query as Query;
      const opts = parseQueryOptions(q, ctx.config.region);
      const meta = parseBoolParam(q, 'meta');
      const accept = compileJobFilter(opts.filter);
      const key = [opts.namespace, opts.prefix, opts.reverse, opts.perPage, opts.nextToken, opts.filter, meta].join('\u0000');
      const run = (): { jobs: Job[]; bytes: ListBody; nextToken: string; index: number } => {
        const hit = rendered.get(key);
        if (hit) return hit;
        const page = listJobs(ctx.store, { ...opts, accept });
        const out = { jobs: page.jobs, bytes: bodies.render(key, page.jobs, meta), nextToken: page.nextToken, index: page.index };
        rendered.set(key, out);
        return out;
      };
      // A read that does not block answers at once, without the blocking machinery's promise.
      const res = opts.minIndex === 0 ? run() : await blockingQuery(ctx.store, reply, opts, ['jobs', 'job_summary'], run);
      setReadMeta(reply, res.index, res.nextToken);
      if (isPretty(req)) return sendJson(req, reply, res.jobs.map((j) => jobStub(ctx.store, j, meta)));
      return sendJson(req, reply, undefined, res.bytes);
    })();
  });

  statusesRoutes(app, ctx);

  parseRoutes(app, ctx);
}
