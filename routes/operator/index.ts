// `/v1/operator/*` (command/agent/operator_endpoint.go, operator_endpoint_ce.go, keyring_endpoint.go):
// the one-server Raft configuration, license and upgrade-check answers of Nomad CE, and the mounts of
// the configuration, keyring and snapshot routes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { sendJson, setReadMeta } from '../http/reply.js';
import { parseQueryOptions, type Query } from '../http/query.js';
import { decodePath } from '../http/path.js';
import type { AclDecl } from '../acl/rules.js';
import { RPC_ADDR as SERVER_RAFT_ADDRESS, SERVER_ID, serverName } from '../agent/member.js';
import { rawParams } from './common.js';
import { operatorConfigRoutes } from './config.js';
import { keyringRoutes } from './keyring.js';
import { snapshotRoutes } from './snapshot.js';
import { RpcError } from '../../state/errors.js';
import { jobStub } from '../../state/jobs/queries.js';
import type { Obj } from '../../state/types.js';

const invalid = (status: number): HttpError => new HttpError(status, 'Invalid method');


/** RaftPeerRequest.Validate's checks of an id (a UUID) or an address (host:port). */
function validatePeer(id: string | null, address: string | null): void {
  if (id !== null) {
    if (id.length !== 36) throw new HttpError(400, 'id must be a uuid: uuid string is wrong length');
    if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(id)) throw new HttpError(400, 'id must be a uuid: uuid is improperly formatted');
    return;
  }
  const a = address ?? '';
  const colon = a.lastIndexOf(':');
  let reason = '';
  if (colon < 0) reason = 'missing port in address';
  else if (a.startsWith('[')) {
    if (a.indexOf(']') < 0) reason = "missing ']' in address";
  } else if (a.slice(0, colon).includes(':')) reason = 'too many colons in address';
  if (reason) throw new HttpError(400, `address must be in IP:port format: address ${a}: ${reason}`);
}

export function operatorRoutes(app: App, ctx: RouteContext): void {
  const { store } = ctx;
  const readQuery = (req: FastifyRequest) => (): void => void parseQueryOptions(req.query as Query, ctx.config.region);
  const self = { Address: SERVER_RAFT_ADDRESS, ID: SERVER_ID };

  // OperatorRequest dispatches on the path's prefix: configuration, peer, transfer-leadership.
  const raftPath = (req: FastifyRequest): string => decodePath(req.raw.url ?? '').slice('/v1/operator/raft/'.length);
  const peerParams = (req: FastifyRequest): { id: string | null; address: string | null } => {
    const p = rawParams(req);
    if (!p.has('id') && !p.has('address')) throw new HttpError(400, "Must specify either ?id with the server's ID or ?address with IP:port of peer to remove");
    if (p.has('id') && p.has('address')) throw new HttpError(400, 'Must specify only one of ?id or ?address');
    return { id: p.has('id') ? p.get('id') : null, address: p.has('address') ? p.get('address') : null };
  };
  const transferParams = (req: FastifyRequest): { id: string | null; address: string | null } => {
    const p = rawParams(req);
    const ids = p.getAll('id');
    const addrs = p.getAll('address');
    if (ids.length === 0 && addrs.length === 0) throw new HttpError(400, 'must specify id or address');
    if (ids.length > 0 && addrs.length > 0) throw new HttpError(400, 'must specify either id or address');
    if (ids.length > 0 && ids[0] === '') throw new HttpError(400, 'id must be non-empty');
    if (ids.length > 1) throw new HttpError(400, 'must specify only one id');
    if (addrs.length > 0 && addrs[0] === '') throw new HttpError(400, 'address must be non-empty');
    if (addrs.length > 1) throw new HttpError(400, 'must specify only one address');
    const out = { id: ids[0] ?? null, address: ids.length > 0 ? null : addrs[0]! };
    validatePeer(out.id, out.address);
    return out;
  };
  const raft: AclDecl = (req) => {
    const path = raftPath(req);
    if (path.startsWith('configuration')) return req.method === 'GET' ? { check: { kind: 'management' }, pre: readQuery(req) } : null;
    if (path.startsWith('peer')) return req.method === 'DELETE' ? { check: { kind: 'management' }, pre: () => void peerParams(req) } : null;
    if (path.startsWith('transfer-leadership')) {
      return req.method === 'PUT' || req.method === 'POST' ? { check: { kind: 'management' }, pre: () => void transferParams(req) } : null;
    }
    return null;
  };
  app.all('/v1/operator/raft/*', { config: { acl: raft } }, async (req, reply): Promise<FastifyReply> => {
    const path = raftPath(req);
    if (path.startsWith('configuration')) {
      // The handler writes a bare 405 for other methods.
      if (req.method !== 'GET') return reply.code(405).send();
      parseQueryOptions(req.query as Query, ctx.config.region);
      return sendJson(req, reply, {
        Servers: [{ ID: SERVER_ID, Node: serverName(ctx), Address: SERVER_RAFT_ADDRESS, Leader: true, Voter: true, RaftProtocol: '3' }],
        Index: 0,
      });
    }
    if (path.startsWith('peer')) {
      if (req.method !== 'DELETE') throw invalid(404);
      const { id, address } = peerParams(req);
      const found = id !== null ? id === SERVER_ID : address === SERVER_RAFT_ADDRESS;
      if (!found) {
        throw new RpcError(id !== null ? `id ${JSON.stringify(id)} was not found in the Raft configuration` : `address ${JSON.stringify(address)} was not found in the Raft configuration`);
      }
      // Raft refuses to remove the only voter.
      throw new RpcError('need at least one voter in configuration: {[]}');
    }
    if (path.startsWith('transfer-leadership')) {
      if (req.method !== 'PUT' && req.method !== 'POST') throw invalid(405);
      const { id, address } = transferParams(req);
      const found = id !== null ? id === SERVER_ID : address === SERVER_RAFT_ADDRESS;
      if (!found) {
        const [kind, value] = id !== null ? ['id', id] : ['address', address ?? ''];
        throw new RpcError(`${kind} ${JSON.stringify(value)} was not found in the Raft configuration`, 400);
      }
      // The target is the leader already: a no-op, reported as one.
      return sendJson(req, reply, { From: self, To: self, Noop: true, Err: null, Index: 0 });
    }
    throw invalid(404);
  });

  // Nomad CE's LicenseRequest answers without asking the server, so no ACL applies.
  app.all('/v1/operator/license', { config: { acl: 'none' } }, async (req, reply) => {
    if (req.method === 'GET') return reply.code(204).send();
    if (req.method === 'PUT') throw new HttpError(501, 'Nomad Enterprise only endpoint');
    throw invalid(405);
  });

  const upgrade: AclDecl = (req) =>
    decodePath(req.raw.url ?? '').endsWith('/vault-workload-identity') && req.method === 'GET' ? { check: { kind: 'operator-read' }, pre: readQuery(req) } : null;
  app.all('/v1/operator/upgrade-check/*', { config: { acl: upgrade } }, async (req, reply) => {
    const path = decodePath(req.raw.url ?? '');
    if (!path.endsWith('/vault-workload-identity')) throw new HttpError(404, `Path ${path} not found`);
    if (req.method !== 'GET') throw invalid(405);
    parseQueryOptions(req.query as Query, ctx.config.region);
    // Jobs with a vault block but no Vault identity; every simulated node runs a current version,
    // and the mock hands out no legacy Vault tokens.
    const jobs = [...store.jobs.values()].filter((j) =>
      (j.TaskGroups as Obj[]).some((tg) => ((tg.Tasks as Obj[]) ?? []).some((t) => t.Vault && !((t.Identities as Obj[] | null) ?? []).some((i) => String(i.Name).startsWith('vault_')))),
    );
    const index = Math.max(1, store.tableIndex('jobs'), store.tableIndex('nodes'));
    setReadMeta(reply, index);
    return sendJson(req, reply, {
      JobsWithoutVaultIdentity: jobs.map((j) => ({ ...jobStub(store, j, false), JobSummary: null })),
      OutdatedNodes: [],
      VaultTokens: [],
      Index: index,
      LastContact: 0,
      KnownLeader: true,
      NextToken: '',
    });
  });

  operatorConfigRoutes(app, ctx);
  keyringRoutes(app, ctx);
  snapshotRoutes(app, ctx);
}

