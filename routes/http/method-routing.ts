// Which router tree a request is looked up in. Go hands every method to Nomad's handlers, so every
// route here is mounted for all 34 methods Node parses but CONNECT (serveLikeGo adds the 25 beyond
// Fastify's nine). Fastify's router keeps one tree per method and inserts a route into the tree of
// each of its methods, compiling matcher functions for the nodes of every tree: filling 34 trees
// with ~120 routes (nine trees at the last stop) was most of the cost of creating a server. No
// route treats a method apart in its path, so every request is looked up in GET's tree, and
// carries its own method again before any hook, handler or log line sees it.
//
// A route mounted for only some methods (a test's or an embedder's `app.get(...)`) goes into the
// same tree, constrained to its methods with the router's own constraint machinery: where it does
// not match, the lookup goes on to the next candidate, as it would in a tree per method.
import { METHODS, type IncomingMessage } from 'node:http';
import { errorCodes, type FastifyInstance, type RouteOptions } from 'fastify';

/** The one tree every route is mounted in, and every request looked up in. */
export const ROUTED_AS = 'GET';

/** The methods Node's parser accepts (CONNECT is answered apart, before any routing). */
export const ROUTED_METHODS: ReadonlySet<string> = new Set(METHODS.filter((m) => m !== 'CONNECT'));

const own = Symbol('nomad-mock.method');
const oneTree = Symbol('nomad-mock.one-tree');
/** On the options of a route `app.all` mounts: the methods it stands for. */
const everyMethod = Symbol('nomad-mock.every-method');
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

/** The router constraint of a route mounted for some methods only: the methods, comma-separated. */
const METHODS_CONSTRAINT = 'nomadMockMethods';

/**
 * find-my-way's constraint strategy for those routes: a request matches a route whose methods
 * include its own. Only in use once such a route is mounted (the router derives nothing before).
 */
const methodsStrategy = {
  name: METHODS_CONSTRAINT,
  // Called with a route's value ("PUT,POST") while the router builds a node's store, and with a
  // request's method when it looks one up: either way, the handlers that take that method.
  storage() {
    const byValue = new Map<string, number>();
    const byMethod = new Map<string, number>();
    return {
      get: (value: string): number | null => (value.includes(',') ? byValue.get(value) : byMethod.get(value)) ?? null,
      set: (value: string, handlers: number): void => {
        byValue.set(value, handlers);
        for (const m of value.split(',')) byMethod.set(m, (byMethod.get(m) ?? 0) | handlers);
      },
    };
  },
  deriveConstraint: (req: IncomingMessage): string => (req as Routed)[own] ?? req.method ?? '',
  mustMatchWhenDerived: false,
};

/** The methods each route was declared with, before it was mounted in ROUTED_AS's tree. */
const declared = new WeakMap<RouteOptions, string[]>();

/** The methods a route was declared with (Fastify's `route.method` names only the tree). */
export function declaredMethods(route: RouteOptions): string[] {
  return declared.get(route) ?? (Array.isArray(route.method) ? route.method : [route.method]);
}

/**
 * Mounts each route in ROUTED_AS's tree only, a route for some methods with a constraint to them.
 * Call before any route is added, with the server's rewriteUrl set to methodForLookup and
 * ownMethod run first after routing.
 */
export function lookUpEveryMethodAsGet(app: FastifyInstance): void {
  (app as FastifyInstance & { [oneTree]?: boolean })[oneTree] = true;
  app.addConstraintStrategy(methodsStrategy as unknown as Parameters<FastifyInstance['addConstraintStrategy']>[0]);
  // Nearly every route is mounted with `app.all`, for all 34 methods: Fastify would normalize and
  // check each method of each route, and the hook below record each, only to mount it in one tree.
  // Such a route is handed to Fastify as ROUTED_AS's, with the methods it stands for beside it.
  // Calls of another shape go to Fastify's own `all`, with its own errors.
  const all = app.all;
  app.all = function (this: FastifyInstance, url: string, options: unknown, handler?: unknown) {
    const methods = this.supportedMethods;
    if (handler === undefined && typeof options === 'function') return this.route({ method: ROUTED_AS, url, handler: options, [everyMethod]: methods } as unknown as RouteOptions);
    if (typeof handler === 'function' && Object.prototype.toString.call(options) === '[object Object]' && (options as { handler?: unknown }).handler === undefined) {
      return this.route({ ...(options as object), method: ROUTED_AS, url, handler, [everyMethod]: methods } as unknown as RouteOptions);
    }
    return (all as (...a: unknown[]) => FastifyInstance).call(this, url, options, handler);
  } as FastifyInstance['all'];
  // Per URL, the methods mounted so far (EVERY once a route for every method is): a method mounted
  // twice is refused as Fastify refuses it.
  const mounted = new Map<string, Set<string> | typeof EVERY>();
  app.addHook('onRoute', (route: RouteOptions) => {
    const every = (route as RouteOptions & { [everyMethod]?: string[] })[everyMethod];
    const methods = every ?? [...new Set(Array.isArray(route.method) ? route.method : [route.method])];
    declared.set(route, methods);
    const taken = mounted.get(route.url);
    const again = taken === undefined ? undefined : taken === EVERY ? methods[0] : methods.find((m) => taken.has(m));
    if (again !== undefined && !route.constraints) throw new errorCodes.FST_ERR_DUPLICATED_ROUTE(again, route.url);
    if (every !== undefined || taken === EVERY) {
      mounted.set(route.url, EVERY);
    } else {
      const set = taken ?? new Set<string>();
      for (const m of methods) set.add(m);
      mounted.set(route.url, set);
    }
    if (every === undefined && !(methods.length === ROUTED_METHODS.size && methods.every((m) => ROUTED_METHODS.has(m)))) {
      route.constraints = { ...route.constraints, [METHODS_CONSTRAINT]: methods.sort().join(',') };
    }
    route.method = ROUTED_AS;
  });
}

/** What `mounted` holds for a URL once a route for every method is mounted there. */
const EVERY = 'every' as const;

/**
 * Whether `app` (or the server it is a scope of) mounts every route in one tree: a route that
 * treats GET apart (the websocket one) is then mounted once, for every method.
 */
export function everyMethodInOneTree(app: FastifyInstance): boolean {
  return (app as FastifyInstance & { [oneTree]?: boolean })[oneTree] === true;
}
