// The legacy gossip keyring (KeyringOperationRequest, still registered): list/install/use/remove on
// Serf's key manager, agent write for every method. nomad-mock's Serf pool runs without gossip
// encryption, so every operation fails on its one member the way Serf reports it.
import type { App, RouteContext } from '../http/context.js';
import { HttpError } from '../http/errors.js';
import { parseGoJson, rawBody } from '../http/body.js';
import { ErrorText } from '../http/schemas.js';
import type { AclDecl } from '../acl/rules.js';

const BODY_OPS = new Set(['install', 'use', 'remove']);

export function keyringRoutes(app: App, _ctx: RouteContext): void {
  const acl: AclDecl = () => ({ check: { kind: 'agent-write' } });
  app.all('/v1/agent/keyring/*', { schema: { response: { '4xx': ErrorText, '5xx': ErrorText } }, config: { acl } }, async (req) => {
    const url = req.raw.url ?? '';
    const op = url.slice('/v1/agent/keyring/'.length).split('?')[0]!;
    if (op !== 'list' && !BODY_OPS.has(op)) throw new HttpError(404, 'resource not found');
    if (op !== 'list') decodeKeyringRequest(rawBody(req));
    throw new HttpError(500, '1/1 nodes reported failure');
  });
}

/** structs.KeyringRequest ({Key string}) as encoding/json decodes it. */
function decodeKeyringRequest(raw: Buffer): void {
  if (raw.length === 0) throw new HttpError(400, 'Request body is empty');
  let body: unknown;
  try {
    body = parseGoJson(raw);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  if (body === null) return;
  if (typeof body !== 'object' || Array.isArray(body)) {
    const kind = Array.isArray(body) ? 'array' : typeof body === 'boolean' ? 'bool' : typeof body;
    throw new HttpError(400, `json: cannot unmarshal ${kind} into Go value of type structs.KeyringRequest`);
  }
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (k.toLowerCase() !== 'key' || v === null || typeof v === 'string') continue;
    const kind = Array.isArray(v) ? 'array' : typeof v === 'boolean' ? 'bool' : typeof v === 'object' ? 'object' : typeof v;
    throw new HttpError(400, `json: cannot unmarshal ${kind} into Go struct field KeyringRequest.Key of type string`);
  }
}
