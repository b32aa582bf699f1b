// `/v1/operator/snapshot`: save and restore — of nomad-mock's own state (the `/_mock/snapshot`
// document, gzipped), not Nomad's Raft archive. A saved snapshot restores into any nomad-mock; Nomad's
// own `.snap` files are refused.
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { rawBody, parseGoJson } from '../http/body.js';
import { sendEmpty } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import type { AclDecl } from '../acl/rules.js';
import { WRITE } from '../acl/rules.js';
import { SnapshotError } from '../../state/snapshot/snapshot.js';
import { ControlError } from '../../src/control/mock-control.js';

/** Bounds what a gzipped body may expand to (the largest plain body accepted is 64 MiB). */
const MAX_EXPANDED = 256 * 1024 * 1024;

export function snapshotRoutes(app: App, ctx: RouteContext): void {
  const acl: AclDecl = (req) => {
    if (req.method === 'GET') return { check: { kind: 'management' }, pre: () => void parseQueryOptions(req.query as Query, ctx.config.region) };
    return WRITE.has(req.method) ? { check: { kind: 'management' } } : null;
  };
  app.all('/v1/operator/snapshot', { config: { acl } }, async (req, reply) => {
    if (req.method === 'GET') {
      parseQueryOptions(req.query as Query, ctx.config.region);
      const archive = gzipSync(JSON.stringify(ctx.control.snapshot()));
      const digest = createHash('sha256').update(archive).digest('base64');
      return reply.code(200).header('Digest', `sha-256=${digest}`).type('application/x-gzip').send(archive);
    }
    if (!WRITE.has(req.method)) throw new HttpError(405, 'Invalid method');
    let raw = rawBody(req);
    if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
      try {
        raw = gunzipSync(raw, { maxOutputLength: MAX_EXPANDED });
      } catch {
        throw new HttpError(500, 'failed to restore snapshot: the archive is not a readable gzip stream');
      }
    }
    if (raw.length === 0) throw new HttpError(500, 'failed to restore snapshot: the snapshot is empty');
    let doc: unknown;
    try {
      doc = parseGoJson(raw);
    } catch (err) {
      throw new HttpError(500, `failed to restore snapshot: not a nomad-mock snapshot: ${(err as Error).message}`);
    }
    try {
      ctx.control.restore(doc);
    } catch (err) {
      if (err instanceof SnapshotError || err instanceof ControlError) throw new HttpError(500, `failed to restore snapshot: ${err.message}`);
      throw err;
    }
    return sendEmpty(reply);
  });
}
