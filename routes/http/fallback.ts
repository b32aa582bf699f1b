// What answers a request no mounted route matched: Nomad's own mux, read from the route table.
// A Nomad route nomad-mock does not emulate says so with a 501 (never an empty 404, which a client
// would take for "object not found"); anything else gets exactly what Nomad's mux gives it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ENT_ONLY_TEXT, matchNomadRoute } from './nomad-routes.js';
import { sendError } from './reply.js';

/** The 501 text for a Nomad route nomad-mock does not emulate (`pattern` as Nomad registers it). */
export const notImplementedText = (method: string, pattern: string): string => `nomad-mock does not implement ${method} ${pattern}`;

function decoded(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };

/** Go's http.Redirect: a GET gets a one-line HTML body, a HEAD only its Content-Type. */
export function goRedirect(req: FastifyRequest, reply: FastifyReply, code: 301 | 307, location: string): FastifyReply {
  reply.code(code).header('location', location);
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply.send();
  reply.type('text/html; charset=utf-8');
  if (req.method === 'HEAD') return reply.send();
  const text = code === 301 ? 'Moved Permanently' : 'Temporary Redirect';
  return reply.send(`<a href="${location.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!)}">${text}</a>.\n\n`);
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const path = decoded(q < 0 ? url : url.slice(0, q));
  const query = q < 0 ? '' : url.slice(q);
  const m = matchNomadRoute(path);
  if (m.kind === 'redirect') return goRedirect(req, reply, 301, m.location + query);
  const { route } = m;
  if (route.pattern === '/') {
    // Nomad's root fallthrough redirects only "/" itself, to the web UI; everything else is an empty 404.
    if (path === '/') return goRedirect(req, reply, 307, `/ui/${query}`);
    return reply.code(404).send();
  }
  if (route.enterprise) return sendError(reply, 501, ENT_ONLY_TEXT);
  return sendError(reply, 501, notImplementedText(req.method, route.pattern));
}
