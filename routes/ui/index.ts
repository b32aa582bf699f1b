// `/ui/`: the web UI (sources in ui/, built by Vite into dist/ui/). The built files are read once,
// at the first UI request (start-up pays nothing), and kept with their gzip form, made at its first
// use: they never change while the server runs, and a handful of small files is cheaper to hold
// than to read per request. Hashed assets
// (dist/ui/assets/) are cached for a year; index.html is revalidated, so a new build is picked up.
// Any other path under /ui/ is a deep link of the single-page app and gets index.html, as Nomad's
// own UI handler does. With `--ui false` every /ui/ path answers Nomad's stub page instead.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { negotiateEncoding } from '../http/compress.js';

/** dist/ui, beside dist/routes (this file runs as dist/routes/ui/index.js). */
export const UI_DIR = fileURLToPath(new URL('../../ui/', import.meta.url));

/** command/agent/http.go's stubHTML: what Nomad serves under /ui/ when `ui { enabled = false }`. */
export const UI_DISABLED_HTML = '<html><p>Nomad UI is disabled</p></html>';

/** Like Nomad's default `ui.content_security_policy`: only this origin's scripts and API. */
const CSP =
  "default-src 'none'; connect-src 'self'; img-src 'self' data:; script-src 'self'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

const IMMUTABLE = 'public, max-age=31536000, immutable';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Extensions a browser loads as subresources: a miss is a 404, not the app's page. */
const STATIC_EXT = new Set(['.js', '.mjs', '.css', '.map', '.ico', '.png', '.svg', '.woff2']);

interface UiFile {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  cache: string;
}

/** Whether a request path is the UI's (the server keeps these out of the journal and the faults). */
export function isUiPath(path: string): boolean {
  return path.startsWith('/ui/');
}

// Build output per directory: the same files for every server of the process (tests make many).
const loaded = new Map<string, Map<string, UiFile> | null>();

function walk(dir: string, prefix: string, out: Map<string, UiFile>): void {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const rel = `${prefix}${name}`;
    if (statSync(full).isDirectory()) {
      walk(full, `${rel}/`, out);
      continue;
    }
    const body = readFileSync(full);
    const hashed = rel.startsWith('assets/');
    out.set(rel, {
      body,
      type: TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
      cache: hashed ? IMMUTABLE : 'no-cache',
    });
  }
}

/** The built UI in `dir`, or null when it has not been built (no index.html). */
export function loadUiFiles(dir: string = UI_DIR): Map<string, UiFile> | null {
  if (loaded.has(dir)) return loaded.get(dir)!;
  let files: Map<string, UiFile> | null = null;
  if (existsSync(join(dir, 'index.html'))) {
    files = new Map();
    walk(dir, '', files);
  }
  loaded.set(dir, files);
  return files;
}

const NOT_BUILT =
  '<!doctype html><html lang="en"><title>nomad-mock</title><p>The web UI has not been built. Run <code>npm run build</code> (it builds the server and the UI into dist/).</p></html>';

function send(req: FastifyRequest, reply: FastifyReply, file: UiFile): FastifyReply {
  reply.code(200).header('content-type', file.type).header('cache-control', file.cache);
  reply.header('x-content-type-options', 'nosniff');
  if (file.type.startsWith('text/html')) reply.header('content-security-policy', CSP);
  const accept = req.headers['accept-encoding'];
  // Precompressed once; the server's onSend hook leaves a body with a Content-Encoding alone.
  if (accept && negotiateEncoding(accept) === 'gzip') {
    file.gzip ??= gzipSync(file.body, { level: 9 });
    return reply.header('content-encoding', 'gzip').send(file.gzip);
  }
  return reply.send(file.body);
}

function relativePath(req: FastifyRequest): string {
  const url = req.raw.url ?? '/ui/';
  const q = url.indexOf('?');
  const raw = (q < 0 ? url : url.slice(0, q)).slice('/ui/'.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function uiRoutes(app: App, ctx: RouteContext): void {
  const enabled = ctx.config.ui !== false;
  const handler = (req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    // Nomad's stub handler writes its page for every method, as http.FileServer serves every method.
    if (!enabled) return reply.code(200).type('text/html; charset=utf-8').send(UI_DISABLED_HTML);
    const files = loadUiFiles();
    if (!files) return reply.code(200).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(NOT_BUILT);
    const rel = relativePath(req);
    const file = rel === 'index.html' ? undefined : files.get(rel);
    if (file) return send(req, reply, file);
    // A hashed asset that is not there must not turn into a page the browser would run as a script.
    if (rel.startsWith('assets/') || (STATIC_EXT.has(extname(rel).toLowerCase()) && !rel.includes('@'))) {
      return reply.code(404).type('text/plain; charset=utf-8').send('404 page not found\n');
    }
    return send(req, reply, files.get('index.html')!);
  };
  // The UI is public, as Nomad's is: it asks for a token and sends it with its own API calls.
  app.all('/ui/', { config: { acl: 'none' } }, handler);
  app.all('/ui/*', { config: { acl: 'none' } }, handler);
}
