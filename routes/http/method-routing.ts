// Which router tree a request is looked up in. Go hands every method to Nomad's handlers, so every
// route here is mounted for all 33 methods Node parses but CONNECT (serveLikeGo adds the 24 beyond
// Fastify's nine). Fastify's router keeps one tree per method and inserts a route into each of its
// methods' trees, compiling matcher functions for every node of every tree: filling 34 trees
// with ~110 routes, and still nine at the last stop, was most of the cost of creating a server.
// No route treats a method apart in its path, so all of them are looked up in GET's tree, and the
// request carries its own method again before any hook, handler or log line sees it.
import { METHODS, type IncomingMessage } from 'node:http';
import type { FastifyInstance, RouteOptions } from 'fastify';

/** The one tree every route is mounted in, and every request looked up in. */
export const ROUTED_AS = 'GET';

/** The methods Node's parser accepts (CONNECT is answered apart, before any routing). */
export const ROUTED_METHODS: ReadonlySet<string> = new Set(METHODS.filter((m) => m !== 'CONNECT'));

const own = Symbol('nomad-mock.method');
const oneTree = Symbol('nomad-mock.one-tree');
type Routed = IncomingMessage & { [own]?: string };

/**
 * Fastify's `rewriteUrl`, which runs just before the router: the request is looked up as
 * ROUTED_AS. The URL is left as it is.
 */
export function methodForLookup(req: IncomingMessage): string {
  const method = req.method;
  if (method !== ROUTED_AS && method !== undefined) {
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
 * Mounts each route in ROUTED_AS's tree only. A route must answer every method (routes are
 * mounted with app.all): otherwise the lookup would differ from the route's own methods, and
 * mounting it throws. Call before any route is added, with the server's rewriteUrl set to
 * methodForLookup and ownMethod run first after routing.
 */
export function lookUpEveryMethodAsGet(app: FastifyInstance): void {
  (app as FastifyInstance & { [oneTree]?: boolean })[oneTree] = true;
  app.addHook('onRoute', (route: RouteOptions) => {
    const methods = new Set(Array.isArray(route.method) ? route.method : [route.method]);
    if (methods.size !== ROUTED_METHODS.size || ![...ROUTED_METHODS].every((m) => methods.has(m))) {
      throw new Error(`${route.url}: every route must answer every method (mount it with app.all)`);
    }
    route.method = ROUTED_AS;
  });
}

/**
 * Whether `app` (or the server it is a scope of) mounts every route in one tree: a route that
 * treats GET apart (the websocket one) is then mounted once, for every method.
 */
export function everyMethodInOneTree(app: FastifyInstance): boolean {
  return (app as FastifyInstance & { [oneTree]?: boolean })[oneTree] === true;
}
