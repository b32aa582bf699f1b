// Who may use the control API. One gate in front of every /_mock/ path (whoever adds a route there
// is covered without doing anything): `--control false` makes the prefix unknown, `--control-token`
// makes it require a secret. GET /_mock/health stays open so probes need no secret.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { CONTROL_PREFIX } from './hooks.js';

/** The header that carries the control token (`Authorization: Bearer <token>` works too). */
export const CONTROL_TOKEN_HEADER = 'x-nomad-mock-token';

/** The one control path open without the token: a liveness probe that reveals nothing secret. */
export const OPEN_CONTROL_PATH = '/_mock/health';

export function isControlPath(path: string): boolean {
  return path.startsWith(CONTROL_PREFIX) && (path.length === CONTROL_PREFIX.length || path[CONTROL_PREFIX.length] === '/');
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function presented(req: FastifyRequest): string {
  const raw = req.headers[CONTROL_TOKEN_HEADER];
  const own = (Array.isArray(raw) ? raw[0] : raw)?.trim() ?? '';
  if (own !== '') return own;
  const m = /^\s*bearer\s+(\S+)/i.exec(req.headers.authorization ?? '');
  return m ? m[1]! : '';
}

function refuse(reply: FastifyReply, status: 401 | 403, message: string): void {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="nomad-mock control API"');
  reply.code(status).type('application/json').send(JSON.stringify({ Error: message }));
}

/**
 * The gate for the server's onRequest hook: true when it answered the request itself (control API
 * off, or the token missing or wrong), false when the request may go on to its route.
 */
export function controlGate(config: Pick<Config, 'control' | 'controlToken'>): (req: FastifyRequest, reply: FastifyReply, path: string) => boolean {
  const expected = config.controlToken ? digest(config.controlToken) : null;
  return (req, reply, path) => {
    if (!isControlPath(path)) return false;
    if (config.control === false) {
      // A path no route matches is on its way to the not-found handler already.
      if (req.is404) return false;
      reply.callNotFound();
      return true;
    }
    if (!expected || (path === OPEN_CONTROL_PATH && req.method === 'GET')) return false;
    const got = presented(req);
    if (got === '') {
      refuse(reply, 401, `the control API needs its token: send it in the X-Nomad-Mock-Token header (or Authorization: Bearer)`);
      return true;
    }
    // Compared as fixed-size digests, so neither the length nor the content leaks through timing.
    if (!timingSafeEqual(digest(got), expected)) {
      refuse(reply, 403, 'control token does not match');
      return true;
    }
    return false;
  };
}

/** Addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The start-up warning when anyone on the network could drive the control API; null when there is none. */
export function exposureWarning(config: Pick<Config, 'bind' | 'control' | 'controlToken'>): string | null {
  if (!config.control || config.controlToken || isLoopback(config.bind)) return null;
  return (
    `the control API (/_mock/) is open to anyone who can reach ${config.bind}: they can read the request journal, ` +
    `snapshot and restore the state (plant tokens) and reset it. Set --control-token (NOMAD_MOCK_CONTROL_TOKEN), ` +
    `or --control false, or bind to 127.0.0.1`
  );
}
