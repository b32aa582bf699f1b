// Which router tree a request is looked up in. Go hands every method to Nomad's handlers, so every
// route here is mounted for all 34 methods Node parses (serveLikeGo adds the 25 beyond Fastify's
// nine). Fastify's router keeps one tree per method, and filling 34 trees with ~110 routes was most
// of the cost of creating a server. No route treats those 25 methods (ACL, BIND, …, UNSUBSCRIBE)
// apart from PATCH, which no Nomad endpoint serves either: they are looked up in PATCH's tree, and
// the request carries its own method again before any hook, handler or log line sees it.
import { METHODS, type IncomingMessage } from 'node:http';
import type { FastifyInstance, RouteOptions } from 'fastify';

/** Fastify's own methods: each keeps its tree. */
const OWN_TREE = new Set(['GET', 'HEAD', 'TRACE', 'DELETE', 'OPTIONS', 'PATCH', 'PUT', 'POST', 'QUERY']);

/** The tree the other methods are looked up in. */
export const ROUTED_AS = 'PATCH';

/** The methods Node's parser accepts that are looked up as ROUTED_AS (CONNECT is answered apart). */
export const ROUTED_AS_PATCH: ReadonlySet<string> = new Set(METHODS.filter((m) => m !== 'CONNECT' && !OWN_TREE.has(m)));

const own = Symbol('nomad-mock.method');
type Routed = IncomingMessage & { [own]?: string };

/**
 * Fastify's `rewriteUrl`, which runs just before the router: a method of ROUTED_AS_PATCH is looked
 * up as PATCH. The URL is left as it is.
 */
export function methodForLookup(req: IncomingMessage): string {
  const method = req.method;
  if (method !== undefined && ROUTED_AS_PATCH.has(method)) {
    (req as Routed)[own] = method;
    req.method = ROUTED_AS;
  }
  return req.url ?? '/';
}

/** Gives the request its own method back (once routed; again is harmless). */
export function ownMethod(req: IncomingMessage): void {
  const method = (req as Routed)[own];
  if (method === undefined) return;
  req.method = method;
  (req as Routed)[own] = undefined;
}

/**
 * Mounts each route in ROUTED_AS's tree for the methods of ROUTED_AS_PATCH. A route must answer
 * all of them or none (routes are mounted with app.all): otherwise the lookup would differ from
 * the route's own methods, and mounting it throws. Call before any route is added, with the
 * server's rewriteUrl set to methodForLookup and ownMethod run first after routing.
 */
export function lookUpExtraMethodsAsPatch(app: FastifyInstance): void {
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const routed = methods.filter((m) => ROUTED_AS_PATCH.has(m));
    const patch = methods.includes(ROUTED_AS);
    if (routed.length === 0 && !patch) return;
    if (!patch || routed.length !== ROUTED_AS_PATCH.size) {
      throw new Error(`${route.url}: a route answering any of ${ROUTED_AS}, ${[...ROUTED_AS_PATCH].join(', ')} must answer them all (mount it with app.all)`);
    }
    route.method = methods.filter((m) => !ROUTED_AS_PATCH.has(m));
  });
}
