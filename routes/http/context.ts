import type { FastifyInstance, FastifyBaseLogger, FastifyRequest, RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Store } from '../../state/store.js';
import type { Config } from '../../src/config.js';
import type { Clock } from '../../src/clock.js';
import type { Simulator } from '../../src/sim/index.js';
import type { MockControl } from '../../src/control/mock-control.js';
import type { Limits } from '../../src/limits.js';
import type { LogTap } from '../../src/log-tap.js';

/** What every route plugin is given: the store, the agent configuration, the clock and simulator. */
export interface RouteContext {
  store: Store;
  config: Config;
  clock: Clock;
  sim: Simulator | null;
  control: MockControl;
  limits: Limits;
  /** nomad-mock's own log lines (/v1/agent/monitor). */
  logs: LogTap;
}

export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What Fastify keeps for a request's route: its pattern (`url`), methods and declared `config`. */
export interface RouteConfig {
  url?: string;
  method?: string | string[];
  [key: string]: unknown;
}

// Fastify's symbol for a request's route context (`Symbol('fastify.context')`), found on the first request.
let contextKey: symbol | null | undefined;

/** What is read here of Fastify's route context: the route's config and its onResponse hooks. */
export interface RouteContextView {
  config?: RouteConfig;
  onResponse?: unknown;
}

/** The request's Fastify route context, or undefined when this Fastify keeps it otherwise. */
export function routeContextOf(req: FastifyRequest): RouteContextView | undefined {
  if (contextKey === undefined) contextKey = Object.getOwnPropertySymbols(req).find((s) => s.description === 'fastify.context') ?? null;
  return contextKey === null ? undefined : (req as unknown as Record<symbol, RouteContextView | undefined>)[contextKey];
}

/**
 * The request's route config: what `req.routeOptions.url` and `.config` read, without the object of
 * twelve fields (and a constraint lookup) that the `routeOptions` getter builds on every call.
 */
export function routeConfig(req: FastifyRequest): RouteConfig | undefined {
  const context = routeContextOf(req);
  return context ? context.config : (req.routeOptions.config as RouteConfig | undefined);
}
