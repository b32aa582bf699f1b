import type { FastifyInstance, FastifyBaseLogger, RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression } from 'fastify';
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
