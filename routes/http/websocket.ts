// Websockets, for the Nomad routes nomad-mock serves over them: `/v1/client/allocation/:id/exec`
// and `/v1/job/:id/action`.
//
// Go's server ignores `Connection: Upgrade` unless a handler hijacks the connection, so every other
// route answers an upgrade request as plain HTTP and keeps the connection. Node instead hands every
// upgrade request to the server's `upgrade` listeners once there is one. The gate below keeps Go's
// behaviour: the server is built with an IncomingMessage whose `upgrade` flag stays true only for a
// GET on a websocket path, so everything else is parsed, routed and kept alive as before.
//
// @fastify/websocket (on `ws`) does the handshake and framing: it dispatches the upgrade through
// Fastify's router and hooks (the journal, faults and the ACL hook see it like any request) and runs
// the route's `wsHandler` with the socket. It is registered once, inside its own encapsulated scope,
// with the websocket routes only: at the root its hooks would run, and its wrapper wrap the handler,
// on every request of every route.
//
// The job action's path is `/v1/job/*`'s too, whose plain route lives outside that scope: the
// websocket route there is constrained to requests that came as upgrades (UPGRADE_ONLY), so the
// router hands it those and the plain route everything else.
import { IncomingMessage } from 'node:http';
import fastifyWebsocket, { type WebsocketPluginOptions } from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { App } from './context.js';

/** `/v1/client/allocation/<id>/exec`: Go's clean paths only, an ID free of escapes. */
const EXEC_PATH = /^\/v1\/client\/allocation\/(?!\.\.?\/)[^/%]+\/exec(\?|$)/;
/**
 * `/v1/job/<id>/action`: Nomad takes the job ID as whatever precedes the suffix, slashes and escapes
 * included; Go redirects a path with an empty, `.` or `..` segment before any handler sees it.
 */
const JOB_ACTION_PATH = /^\/v1\/job\/(?:(?!\.\.?\/)[^/?]+\/)+action(\?|$)/;

/** Paths a websocket may be opened on. */
const isWebsocketPath = (url: string): boolean => EXEC_PATH.test(url) || JOB_ACTION_PATH.test(url);

/** Largest message a websocket client may send (`ws` closes with 1009 beyond it). */
export const WS_MAX_MESSAGE_BYTES = 1024 * 1024;

const WANTS = Symbol('nomad-mock.wants-upgrade');
/** Set on a request Node handed to the `upgrade` listeners (rather than to `request`). */
const UPGRADED = Symbol('nomad-mock.upgraded');

/**
 * The server's request class: only a GET on a websocket path can be an upgrade. CONNECT keeps the
 * parser's flag: Node hands it to the server's `connect` listener (routes/http/client-errors.ts).
 */
export class UpgradeGate extends IncomingMessage {
  declare [WANTS]: boolean;
  declare [UPGRADED]: boolean | undefined;
}
Object.defineProperty(UpgradeGate.prototype, 'upgrade', {
  configurable: true,
  get(this: UpgradeGate): boolean {
    if (this.method === 'CONNECT') return this[WANTS] === true;
    return this[WANTS] === true && this.method === 'GET' && isWebsocketPath(this.url ?? '');
  },
  set(this: UpgradeGate, v: boolean) {
    this[WANTS] = v;
  },
});

const UPGRADE_CONSTRAINT = 'nomadMockUpgrade';
const UPGRADE_VALUE = 'websocket';

/** Route constraints: only a request that came as an upgrade matches. */
export const UPGRADE_ONLY: Readonly<Record<string, string>> = Object.freeze({ [UPGRADE_CONSTRAINT]: UPGRADE_VALUE });

/**
 * find-my-way's strategy for UPGRADE_ONLY. Once a route uses it the router derives it for every
 * request: a property read, no more.
 */
const upgradeStrategy = {
  name: UPGRADE_CONSTRAINT,
  storage() {
    const handlers = new Map<string, number>();
    return {
      get: (value: string): number | null => handlers.get(value) ?? null,
      set: (value: string, h: number): void => void handlers.set(value, h),
    };
  },
  deriveConstraint: (req: IncomingMessage): string | undefined => ((req as UpgradeGate)[UPGRADED] === true ? UPGRADE_VALUE : undefined),
  mustMatchWhenDerived: false,
};

const scopes = new WeakMap<object, { routes: ((scope: App) => void)[]; mounted: boolean }>();

/**
 * Mounts `routes` in the server's one scope that has the websocket plugin, configured as Nomad's
 * upgrader is (every caller shares it: a second plugin would route each upgrade twice).
 */
export function websocketScope(app: App, routes: (scope: App) => void): void {
  const known = scopes.get(app);
  if (known) {
    if (known.mounted) throw new Error('websocket routes must be added before the server starts');
    known.routes.push(routes);
    return;
  }
  const entry = { routes: [routes], mounted: false };
  scopes.set(app, entry);
  const root = app as unknown as FastifyInstance;
  if (!root.hasConstraintStrategy(UPGRADE_CONSTRAINT)) root.addConstraintStrategy(upgradeStrategy as unknown as Parameters<FastifyInstance['addConstraintStrategy']>[0]);
  // Before the plugin's own listener, which routes the request at once.
  const mark = (req: IncomingMessage): void => {
    (req as UpgradeGate)[UPGRADED] = true;
  };
  app.server.on('upgrade', mark);
  app.addHook('onClose', (_instance, done) => {
    app.server.off('upgrade', mark);
    done();
  });
  const opts: WebsocketPluginOptions = {
    options: {
      maxPayload: WS_MAX_MESSAGE_BYTES,
      // Nomad's upgrader offers no subprotocol and no compression.
      handleProtocols: () => false,
      perMessageDeflate: false,
    },
    // A socket error (a reset, a protocol violation) ends the session; `ws` has already sent the
    // close frame it owes (1002, 1007, 1009) and emits `close`, which the route handles.
    errorHandler: (err, _socket, req) => req.log.debug({ err }, 'websocket error'),
  };
  void app.register(async (scope) => {
    await scope.register(fastifyWebsocket, opts);
    entry.mounted = true;
    for (const r of entry.routes) r(scope as unknown as App);
  });
}
