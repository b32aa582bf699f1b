// What every `/v1/client/allocation/:id/*` route shares: the alloc ID from the path and the ACL rule
// of Nomad's ClientAllocations RPCs, which look the alloc up before they resolve the token (an
// unknown alloc is a 404 whatever the token) and then check a capability in the alloc's namespace.
import type { FastifyRequest } from 'fastify';
import type { RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { nsCheck, queryNamespace, readQuery, str, type Rule } from '../acl/rules.js';
import { allocForRpc } from '../../src/sim/client-api.js';

/**
 * The alloc ID of the path. Nomad splits the decoded path on `/`: an ID holding an encoded slash
 * gives it too many parts, which is its `resource not found`.
 */
export function pathAllocId(req: FastifyRequest): string {
  const id = (req.params as { id?: string }).id ?? '';
  if (id.includes('/')) throw new HttpError(404, 'resource not found');
  return id;
}

/** The rule: query parsing and `before` (body decoding) first, then the alloc lookup, then `caps`. */
export function allocRule(ctx: RouteContext, caps: string[], before?: (req: FastifyRequest) => void): (req: FastifyRequest) => Rule {
  return (req) => {
    const alloc = ctx.store.allocs.get((req.params as { id?: string }).id ?? '');
    return {
      check: nsCheck(caps, str(alloc?.Namespace) || queryNamespace(req)),
      pre: () => {
        readQuery(req, ctx)();
        const id = pathAllocId(req);
        before?.(req);
        allocForRpc(ctx.store, id);
      },
    };
  };
}
