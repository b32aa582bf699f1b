// CSI volumes and plugins, dynamic host volumes (command/agent/csi_endpoint.go,
// host_volume_endpoint.go, volumes_endpoint.go; nomad/csi_endpoint.go, host_volume_endpoint.go).
// nomad-mock's clients run no CSI or host-volume plugin, so these answer as such a cluster does:
// empty lists, Nomad's 404 texts, and Nomad's error for the missing plugin on register/create.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { App, RouteContext } from '../http/context.js';
import { HttpError, invalidMethod } from '../http/errors.js';
import { blockingQuery } from '../http/blocking.js';
import { sendJson, setReadMeta } from '../http/reply.js';
import { parseQueryOptions, writeNamespace, type Query } from '../http/query.js';
import { decodeBody } from '../http/body.js';
import { decodePath } from '../http/path.js';
import { ErrorText, ReadQuery } from '../http/schemas.js';
import { authenticatedRule, type AclDecl } from '../acl/rules.js';
import { denied, requestAcl } from '../acl/authorize.js';
import { RpcError } from '../../state/errors.js';
import { NOT_EMULATED, csiVolumeValidationErrors, hostVolumePlacementError } from '../../state/volumes/volumes.js';
import type { Obj } from '../../state/types.js';

const RESOURCE_NOT_FOUND = 'Resource not found';
const notFound = (): HttpError => new HttpError(404, RESOURCE_NOT_FOUND);

const schema = {
  querystring: ReadQuery,
  response: { 200: Type.Unknown(), '4xx': ErrorText, '5xx': ErrorText },
};

/** The caller's ACL grants one of `caps` in `ns` (NamespaceValidator); always true with ACLs off. */
function allowNs(req: FastifyRequest, ns: string, caps: string[]): boolean {
  const acl = requestAcl(req);
  return !acl || caps.some((c) => acl.allowNs(ns, c));
}
const pluginRead = (req: FastifyRequest): boolean => requestAcl(req)?.allowPluginRead() ?? true;
const pluginList = (req: FastifyRequest): boolean => requestAcl(req)?.allowPluginList() ?? true;

const tokens = (req: FastifyRequest, prefix: string): string[] => decodePath(req.raw.url ?? '').slice(prefix.length).split('/');

/** An empty table read the way Nomad's blocking RPC reads it (index floored at 1 where Nomad floors it). */
async function emptyRead(ctx: RouteContext, req: FastifyRequest, reply: FastifyReply, table: string, floor: number): Promise<void> {
  const opts = parseQueryOptions(req.query as Query, ctx.config.region);
  const res = await blockingQuery(ctx.store, reply, opts, [table], () => ({ index: Math.max(floor, ctx.store.tableIndex(table)) }));
  setReadMeta(reply, res.index);
}

function csiRegister(ctx: RouteContext, req: FastifyRequest, create: boolean): never {
  if (req.method !== 'PUT' && req.method !== 'POST') throw invalidMethod();
  const body = (decodeBody(req, 'CSIVolumeRegisterRequest') as Obj | null) ?? {};
  const ns = writeNamespace(req.query as Query, typeof body.Namespace === 'string' ? body.Namespace : undefined);
  if (!allowNs(req, ns, ['csi-write-volume']) || !pluginRead(req)) throw denied();
  const vols = Array.isArray(body.Volumes) ? (body.Volumes as (Obj | null)[]) : [];
  if (vols.length === 0) throw new RpcError('missing volume definition');
  for (const v of vols) {
    const vol = v ?? {};
    const errs = csiVolumeValidationErrors(vol, ns, create);
    if (errs.length > 0) throw new RpcError(`validation: ${errs.join(', ')}`);
    // No client fingerprints a CSI plugin, so the plugin lookup is where every volume stops.
    throw new RpcError(`no CSI plugin named: ${String(vol.PluginID ?? '')} could be found`);
  }
  throw new RpcError('missing volume definition');
}

function hostWrite(ctx: RouteContext, req: FastifyRequest, op: 'create' | 'register'): never {
  const body = (decodeBody(req, 'HostVolumeCreateRequest') as Obj | null) ?? {};
  const vol = body.Volume as Obj | null | undefined;
  if (!vol) throw new RpcError('missing volume definition');
  const ns = (vol.Namespace as string) || writeNamespace(req.query as Query, typeof body.Namespace === 'string' ? body.Namespace : undefined);
  if (!allowNs(req, ns, [op === 'create' ? 'host-volume-create' : 'host-volume-register'])) throw denied();
  if (op === 'register') {
    if (!vol.NodeID) throw new RpcError('cannot register volume: node ID is required');
    if (!vol.HostPath) throw new RpcError('cannot register volume: host path is required');
  }
  const message = hostVolumePlacementError(ctx.store, vol, op);
  if (message === NOT_EMULATED) throw new HttpError(501, message);
  throw new RpcError(message);
}

export function volumeRoutes(app: App, ctx: RouteContext): void {
  const any: AclDecl = (req) => authenticatedRule(() => void parseQueryOptions(req.query as Query, ctx.config.region));

  // ListVolumesRequest dispatches on `type`; without one Nomad answers an empty list and no meta.
  app.all('/v1/volumes', { schema, config: { acl: any } }, async (req, reply) => {
    const q = req.query as Query;
    if (q.type === undefined) return sendJson(req, reply, []);
    if (q.type === 'host') {
      await emptyRead(ctx, req, reply, 'host_volumes', 1);
      return sendJson(req, reply, null);
    }
    if (q.type !== 'csi') throw notFound();
    if (req.method === 'PUT' || req.method === 'POST') csiRegister(ctx, req, false);
    if (req.method !== 'GET') throw invalidMethod();
    const ns = parseQueryOptions(q, ctx.config.region).namespace;
    if (!allowNs(req, ns, ['csi-list-volume', 'csi-read-volume', 'csi-mount-volume', 'list-jobs'])) throw denied();
    await emptyRead(ctx, req, reply, 'csi_volumes', 0);
    return sendJson(req, reply, []);
  });

  app.all('/v1/volume/csi/*', { schema, config: { acl: any } }, async (req, reply) => {
    const parts = tokens(req, '/v1/volume/csi/');
    const id = parts[0]!;
    if (parts.length === 1) {
      switch (req.method) {
        case 'GET': {
          parseQueryOptions(req.query as Query, ctx.config.region);
          const ns = parseQueryOptions(req.query as Query, ctx.config.region).namespace;
          if (!allowNs(req, ns, ['csi-read-volume', 'csi-mount-volume', 'read-job'])) throw denied();
          if (id === '') throw new RpcError('missing volume ID');
          await emptyRead(ctx, req, reply, 'csi_volumes', 0);
          throw new HttpError(404, 'volume not found');
        }
        case 'PUT':
          return csiRegister(ctx, req, false);
        case 'DELETE': {
          const force = (req.query as Query).force;
          if (force !== undefined && force !== '' && !/^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(force)) {
            throw new HttpError(400, 'invalid force value');
          }
          const ns = writeNamespace(req.query as Query);
          if (!allowNs(req, ns, ['csi-write-volume'])) throw denied();
          throw new RpcError(`volume not found: ${id}`);
        }
        default:
          throw invalidMethod();
      }
    }
    if (parts.length === 2) {
      if (req.method === 'PUT' && parts[1] === 'create') return csiRegister(ctx, req, true);
      if (req.method === 'DELETE' && parts[1] === 'detach') {
        if (!(req.query as Query).node) throw new HttpError(400, 'detach requires node ID');
        const ns = writeNamespace(req.query as Query);
        if (!allowNs(req, ns, ['csi-mount-volume']) || !pluginRead(req)) throw denied();
        throw new RpcError('no such volume');
      }
      if (req.method !== 'PUT' && req.method !== 'DELETE') throw invalidMethod();
    }
    throw notFound();
  });

  app.all('/v1/volume/host/*', { schema, config: { acl: any } }, async (req, reply) => {
    const parts = tokens(req, '/v1/volume/host/').filter((p) => p !== '');
    if (parts.length === 0) throw notFound();
    switch (req.method) {
      case 'PUT':
      case 'POST':
        if (parts[0] === 'create') return hostWrite(ctx, req, 'create');
        if (parts[0] === 'register') return hostWrite(ctx, req, 'register');
        throw notFound();
      case 'DELETE': {
        const ns = writeNamespace(req.query as Query);
        if (!allowNs(req, ns, ['host-volume-delete'])) throw denied();
        throw new RpcError(`no such volume: ${parts[0]}`);
      }
      case 'GET': {
        const ns = parseQueryOptions(req.query as Query, ctx.config.region).namespace;
        if (!allowNs(req, ns, ['host-volume-read'])) throw denied();
        await emptyRead(ctx, req, reply, 'host_volumes', 1);
        throw new HttpError(404, 'volume not found');
      }
      default:
        throw notFound();
    }
  });

  app.all('/v1/plugins', { schema, config: { acl: any } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const q = req.query as Query;
    if (q.type === undefined) return sendJson(req, reply, []);
    if (q.type !== 'csi') return sendJson(req, reply, null);
    parseQueryOptions(q, ctx.config.region);
    if (!pluginList(req)) throw denied();
    await emptyRead(ctx, req, reply, 'csi_plugins', 0);
    return sendJson(req, reply, []);
  });

  app.all('/v1/plugin/csi/*', { schema, config: { acl: any } }, async (req, reply) => {
    if (req.method !== 'GET') throw invalidMethod();
    const parts = tokens(req, '/v1/plugin/csi/');
    if (parts.length > 2) throw notFound();
    parseQueryOptions(req.query as Query, ctx.config.region);
    if (!pluginRead(req)) throw denied();
    if (parts[0] === '') throw new RpcError('missing plugin ID');
    await emptyRead(ctx, req, reply, 'csi_plugins', 0);
    throw new HttpError(404, 'plugin not found');
  });
}

