// Request bodies, decoded the way Nomad's agent does (Go encoding/json into the API structs).
import type { FastifyRequest } from 'fastify';
import { decodeRequest, type RequestRoot } from '../../state/jobspec/decode.js';
import { GoSyntaxError, scanFirstValue } from '../../state/jobspec/decode-scanner.js';
import { HttpError } from './errors.js';

export function rawBody(req: FastifyRequest): Buffer {
  const body = req.body;
  return Buffer.isBuffer(body) ? body : Buffer.alloc(0);
}

/** Decodes a JSON body; an empty body is `Request body is empty`, bad JSON the decoder's message. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function decodeBody(req: FastifyRequest, root: RequestRoot): any {
  const raw = rawBody(req);
  if (raw.length === 0) throw new HttpError(400, 'Request body is empty');
  const result = decodeRequest(root, raw);
  if (!result.ok) throw new HttpError(400, result.error);
  return result.value;
}

/**
 * The first JSON value of `raw` as Go's json.Decoder reads it (bytes after it are ignored), or a
 * GoSyntaxError with Go's message (never JSON.parse's, whose text is the JavaScript engine's).
 */
export function parseGoJson(raw: Buffer): unknown {
  const end = scanFirstValue(raw);
  try {
    return JSON.parse(raw.toString('utf8', 0, end));
  } catch {
    // The scanner accepted it, so only an engine limit is left (e.g. nesting beyond V8's stack).
    throw new GoSyntaxError('exceeded max depth');
  }
}
