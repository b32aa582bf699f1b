// `/v1/operator/keyring/*` (command/agent/keyring_endpoint.go, nomad/keyring_endpoint.go): root key
// metadata list, rotate and delete; management tokens only.
import type { FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { sendJson, setReadMeta, setWriteIndex } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import type { AclDecl } from '../acl/rules.js';
import { RpcError } from '../../state/errors.js';
import { deleteRootKey, listRootKeys, rootKeysIndex, rotateRootKey } from '../../state/operator/keyring.js';

const PREFIX = '/v1/operator/keyring/';

/** KeyringRequest's dispatch: `keys`, then `key`, then `rotate`, by prefix. */
function route(req: FastifyRequest): 'keys' | 'key' | 'rotate' | null {
  const path = decodePath(req.raw.url ?? '').slice(PREFIX.length);
  if (path.startsWith('keys')) return 'keys';
  if (path.startsWith('key')) return 'key';
  if (path.startsWith('rotate')) return 'rotate';
  return null;
}

export function keyringRoutes(app: App, ctx: RouteContext): void {
  const { store } = ctx;
  const acl: AclDecl = (req) => {
    const r = route(req);
    const ok = (r === 'keys' && req.method === 'GET') || (r === 'key' && req.method === 'DELETE') || (r === 'rotate' && (req.method === 'PUT' || req.method === 'POST'));
    if (!ok) return null;
    return { check: { kind: 'management' }, pre: r === 'keys' ? () => void parseQueryOptions(req.query as Query, ctx.config.region) : undefined };
  };
  app.all(`${PREFIX}*`, { config: { acl } }, async (req, reply) => {
    const r = route(req);
    if (r === 'keys' && req.method === 'GET') {
      const opts = parseQueryOptions(req.query as Query, ctx.config.region);
      const res = await blockingQuery(store, reply, opts, ['root_keys'], () => ({ keys: listRootKeys(store), index: rootKeysIndex(store) }));
      setReadMeta(reply, res.index);
      return sendJson(req, reply, res.keys);
    }
    if (r === 'key' && req.method === 'DELETE') {
      const path = decodePath(req.raw.url ?? '');
      const keyId = path.startsWith(`${PREFIX}key/`) ? path.slice(`${PREFIX}key/`.length) : path;
      if (keyId === '') throw new RpcError('root key ID is required');
      const index = deleteRootKey(store, keyId);
      setWriteIndex(reply, index);
      return sendJson(req, reply, { Index: index });
    }
    if (r === 'rotate' && (req.method === 'PUT' || req.method === 'POST')) {
      const out = rotateRootKey(store);
      setWriteIndex(reply, out.Index);
      return sendJson(req, reply, out);
    }
    throw new HttpError(405, 'Invalid method');
  });
}
