// `/v1/deployments`, `/v1/deployment/:id` and the prefix-form actions (`allocations/:id`, `fail/:id`,
// `pause/:id`, `promote/:id`, `allocation-health/:id`, `unblock/:id`).
import type { FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { decodeBody } from '../http/body.js';
import { compileListFilter } from '../http/filter.js';
import { sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import { ReadQuery } from '../http/schemas.js';
import { allocStub } from '../../state/jobs/children.js';
import { listByCreateIndex } from '../../state/list-queries.js';
import { failDeployment, pauseDeployment, promoteDeployment, setAllocHealth } from '../../state/deployments/ops.js';
import { isActiveDeployment } from '../../state/deployments/table.js';
import { RpcError } from '../../state/errors.js';
import type { Obj } from '../../state/types.js';
import type { RequestRoot } from '../../state/jobspec/decode.js';
import { WRITE, listRule, nsCheck, queryNamespace, readRule, str, type AclDecl, type Rule } from '../acl/rules.js';

const schema = { querystring: ReadQuery };
const ACTIONS = new Set(['fail', 'pause', 'promote', 'allocation-health', 'unblock']);

/** Each action's capability (besides submit-job) and the body whose DeploymentID must match. */
const ACTION_ACL: Record<string, [string, RequestRoot | null]> = {
  fail: ['fail-deployment', null],
  pause: ['pause-deployment', 'DeploymentPauseRequest'],
  promote: ['promote-deployment', 'DeploymentPromoteRequest'],
  'allocation-health': ['set-alloc-health-deployment', 'DeploymentAllocHealthRequest'],
  unblock: ['unblock-deployment', null],
};

/** The body's DeploymentID must be present and name the path's deployment. */
function deploymentBody(req: FastifyRequest, root: Parameters<typeof decodeBody>[1], id: string): Obj {
  const body = (decodeBody(req, root) as Obj | null) ?? {};
  if (!body.DeploymentID) throw new HttpError(400, 'DeploymentID must be specified');
  if (body.DeploymentID !== id) throw new HttpError(400, 'Deployment ID does not match');
  return body;
}

/** Capabilities in the deployment's own namespace (the query's when there is no such deployment). */
function deploymentRule(req: FastifyRequest, ctx: RouteContext): Rule | null {
  const rest = decodePath(req.raw.url ?? '').slice('/v1/deployment/'.length);
  const slash = rest.indexOf('/');
  const action = slash < 0 ? '' : rest.slice(0, slash);
  const id = slash < 0 ? rest : rest.slice(slash + 1);
  const namespaceOf = (depId: string): string => str(ctx.store.deployments.get(depId)?.Namespace) || queryNamespace(req);
  const act = ACTION_ACL[action];
  if (act) {
    if (!WRITE.has(req.method)) return null;
    const [cap, root] = act;
    return {
      check: nsCheck(['submit-job', cap], namespaceOf(id)),
      pre: () => void (root && deploymentBody(req, root, id)),
    };
  }
  if (req.method !== 'GET') return null;
  return readRule(req, ctx, ['read-job'], namespaceOf(action === 'allocations' ? id : rest));
}

export function deploymentRoutes(app: App, ctx: RouteContext): void {
  const list: AclDecl = (req) => (req.method === 'GET' ? listRule(req, ctx) : null);
  app.all('/v1/deployments', { schema, config: { acl: list } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    const filter = compileListFilter(opts.filter, new Set(['TaskGroups']));
    const res = await blockingQuery(ctx.store, reply, opts, ['deployment'], () => ({
      ...listByCreateIndex(ctx.store.deployments.values(), { ...opts, accept: filter }),
      index: ctx.store.tableIndex('deployment'),
    }));
    setReadMeta(reply, res.index, res.nextToken);
    return sendJson(req, reply, res.items);
  });

  app.all('/v1/deployment/*', { schema, config: { acl: (req) => deploymentRule(req, ctx) } }, async (req, reply) => {
    const rest = decodePath(req.raw.url ?? '').slice('/v1/deployment/'.length);
    const slash = rest.indexOf('/');
    const action = slash < 0 ? '' : rest.slice(0, slash);
    const id = slash < 0 ? rest : rest.slice(slash + 1);

    if (action === 'allocations') {
      if (req.method !== 'GET') throw invalidMethod();
      const opts = parseQueryOptions(req.query as Query, ctx.config.region);
      const res = await blockingQuery(ctx.store, reply, opts, ['allocs'], () => ({
        allocs: [...ctx.store.allocs.values()].filter((a) => a.DeploymentID === id).sort((a, b) => (a.ID < b.ID ? -1 : 1)),
        index: ctx.store.tableIndex('allocs'),
      }));
      setReadMeta(reply, res.index);
      return sendJson(req, reply, res.allocs.map((a) => allocStub(a)));
    }
    if (ACTIONS.has(action)) {
      if (req.method !== 'PUT' && req.method !== 'POST') throw invalidMethod();
      let out;
      switch (action) {
        case 'fail':
          out = failDeployment(ctx.store, id);
          break;
        case 'pause': {
          const body = deploymentBody(req, 'DeploymentPauseRequest', id);
          out = pauseDeployment(ctx.store, id, Boolean(body.Pause));
          break;
        }
        case 'promote': {
          const body = deploymentBody(req, 'DeploymentPromoteRequest', id);
          out = promoteDeployment(ctx.store, id, Boolean(body.All), (body.Groups as string[] | null) ?? null);
          break;
        }
        case 'allocation-health': {
          const body = deploymentBody(req, 'DeploymentAllocHealthRequest', id);
          out = setAllocHealth(ctx.store, id, (body.HealthyAllocationIDs as string[] | null) ?? [], (body.UnhealthyAllocationIDs as string[] | null) ?? []);
          break;
        }
        default: {
          deploymentBody(req, 'DeploymentUnblockRequest', id);
          const dep = ctx.store.deployments.get(id);
          if (!dep) throw new RpcError('deployment not found');
          throw new RpcError(isActiveDeployment(dep) ? "can't unblock running deployment" : "can't unblock terminal deployment");
        }
      }
      setWriteIndex(reply, out.Index);
      return sendJson(req, reply, out);
    }
    if (req.method !== 'GET') throw invalidMethod();
    const opts = parseQueryOptions(req.query as Query, ctx.config.region);
    const res = await blockingQuery(ctx.store, reply, opts, ['deployment'], () => {
      const dep = ctx.store.deployments.get(rest);
      return { dep, index: dep ? dep.ModifyIndex : ctx.store.tableIndex('deployment') };
    });
    setReadMeta(reply, res.index);
    if (!res.dep) throw new HttpError(404, 'deployment not found');
    return sendJson(req, reply, res.dep);
  });
}
