// The server factory: one Fastify instance configured to answer like Nomad's HTTP agent, with the
// store and one plugin per resource.
import Fastify, { type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Store } from '../state/store.js';
import { DEFAULTS, type Config } from './config.js';
import { registerRoutes } from '../routes/index.js';
import { sendError } from '../routes/http/reply.js';
import { HttpError } from '../routes/http/errors.js';
import { RpcError } from '../state/errors.js';

export interface NomadMock {
  app: FastifyInstance;
  store: Store;
  config: Config;
}

/** Go's url.Values.Get: only the first value of a repeated parameter counts. */
function firstValueQuery(qs: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (qs === '') return out;
  for (const part of qs.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawVal = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let val: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      val = decodeURIComponent(rawVal.replace(/\+/g, ' '));
    } catch {
      continue; // Go drops pairs it cannot unescape
    }
    if (!(key in out)) out[key] = val;
  }
  return out;
}

/** Go's ServeMux redirects paths that are not clean (`//`, `/./`, `/../`) before any handler runs. */
export function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  let out = `/${parts.join('/')}`;
  if (p.endsWith('/') && out !== '/') out += '/';
  return out;
}

export function createServer(overrides: Partial<Config> = {}, store?: Store): NomadMock {
  const config: Config = { ...DEFAULTS, ...overrides };
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    exposeHeadRoutes: false,
    bodyLimit: 64 * 1024 * 1024,
    routerOptions: { querystringParser: firstValueQuery, maxParamLength: 4096 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  const st = store ?? new Store({ region: config.region });

  // Nomad never inspects the request Content-Type: every body is raw bytes decoded by the route.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // Routes parse their own input with Nomad's rules and messages; schemas document and type it.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.addHook('onRequest', (req, reply, done) => {
    reply.raw.setHeader('Vary', 'Accept-Encoding');
    const url = req.raw.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path.includes('//') || path.includes('/.')) {
      const clean = cleanPath(path);
      if (clean !== path) {
        reply.code(301).header('location', clean + (q < 0 ? '' : url.slice(q))).send();
        return;
      }
    }
    done();
  });

  app.setNotFoundHandler((_req, reply) => {
    reply.code(404).send();
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    if (err instanceof HttpError) return sendError(reply, err.status, err.message);
    if (err instanceof RpcError) return sendError(reply, err.code, err.message);
    if (err.statusCode && err.statusCode < 500) return sendError(reply, err.statusCode, err.message);
    app.log.error(err);
    return sendError(reply, 500, err.message);
  });

  registerRoutes(app, { store: st, config });
  return { app, store: st, config };
}
