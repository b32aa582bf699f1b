// Websockets, for the one Nomad route nomad-mock serves over them (`/v1/client/allocation/:id/exec`).
//
// Go's server ignores `Connection: Upgrade` unless a handler hijacks the connection, so every other
// route answers an upgrade request as plain HTTP and keeps the connection. Node instead hands every
// upgrade request to the server's `upgrade` listeners once there is one. The gate below keeps Go's
// behaviour: the server is built with an IncomingMessage whose `upgrade` flag stays true only for a
// GET on a websocket path, so everything else is parsed, routed and kept alive as before.
//
// @fastify/websocket (on `ws`) does the handshake and framing: it dispatches the upgrade through
// Fastify's router and hooks (the journal, faults and the ACL hook see it like any request) and runs
// the route's `wsHandler` with the socket. It is registered inside its own encapsulated scope, with
// the websocket routes only: at the root its hooks would run, and its wrapper wrap the handler, on
// every request of every route.
import { IncomingMessage } from 'node:http';
import fastifyWebsocket, { type WebsocketPluginOptions } from '@fastify/websocket';
import type { App } from './context.js';

/** Paths a websocket may be opened on: Go's clean paths only, an ID free of escapes. */
const WEBSOCKET_PATH = /^\/v1\/client\/allocation\/(?!\.\.?\/)[^/%]+\/exec(\?|$)/;

/** Largest message a websocket client may send (`ws` closes with 1009 beyond it). */
export const WS_MAX_MESSAGE_BYTES = 1024 * 1024;

const WANTS = Symbol('nomad-mock.wants-upgrade');

/**
 * The server's request class: only a GET on a websocket path can be an upgrade. CONNECT keeps the
 * parser's flag: Node hands it to the server's `connect` listener (routes/http/client-errors.ts).
 */
export class UpgradeGate extends IncomingMessage {
  declare [WANTS]: boolean;
}
Object.defineProperty(UpgradeGate.prototype, 'upgrade', {
  configurable: true,
  get(this: UpgradeGate): boolean {
    if (this.method === 'CONNECT') return this[WANTS] === true;
    return this[WANTS] === true && this.method === 'GET' && WEBSOCKET_PATH.test(this.url ?? '');
  },
  set(this: UpgradeGate, v: boolean) {
    this[WANTS] = v;
  },
});

/** Mounts `routes` in a scope that has the websocket plugin, configured as Nomad's upgrader is. */
export function websocketScope(app: App, routes: (scope: App) => void): void {
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
    routes(scope as unknown as App);
  });
}
