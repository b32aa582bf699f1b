// gorilla's CompressHandler wraps Nomad's whole mux: gzip or raw deflate, whichever the client lists
// first, for every response with a body.
import { deflateRawSync, gzipSync } from 'node:zlib';
import type { FastifyRequest } from 'fastify';

export function negotiateEncoding(accept: string): 'gzip' | 'deflate' | null {
  for (const part of accept.split(',')) {
    const name = part.trim().split(';')[0]!.trim().toLowerCase();
    if (name === 'gzip' || name === 'deflate') return name;
  }
  return null;
}

/** The body as the client asked for it; `encoding` is null when it goes out as is. */
export function encodeBody(req: FastifyRequest, body: string | Buffer): { body: string | Buffer; encoding: 'gzip' | 'deflate' | null } {
  const accept = req.headers['accept-encoding'];
  const encoding = accept && body.length > 0 ? negotiateEncoding(accept) : null;
  if (!encoding) return { body, encoding };
  return { body: encoding === 'gzip' ? gzipSync(body) : deflateRawSync(body), encoding };
}
