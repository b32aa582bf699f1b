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

/** An answer's body: text, bytes, or bytes in parts sent one after the other (a big list's slices). */
export type Body = string | Buffer | readonly Buffer[];

/** Bytes of a body as it goes out (a string as UTF-8). */
export function bodyLength(body: Body): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (Buffer.isBuffer(body)) return body.length;
  let n = 0;
  for (const part of body) n += part.length;
  return n;
}

/** The body as the client asked for it; `encoding` is null when it goes out as is. */
export function encodeBody<B extends Body>(req: FastifyRequest, body: B): { body: B | Buffer; encoding: 'gzip' | 'deflate' | null } {
  const accept = req.headers['accept-encoding'];
  const encoding = accept && (typeof body === 'string' || Buffer.isBuffer(body) ? body.length : bodyLength(body)) > 0 ? negotiateEncoding(accept) : null;
  if (!encoding) return { body, encoding };
  // Parts are compressed as the one text they make: the same bytes as the whole body compressed.
  const whole = typeof body === 'string' || Buffer.isBuffer(body) ? body : Buffer.concat(body as Buffer[]);
  return { body: encoding === 'gzip' ? gzipSync(whole) : deflateRawSync(whole), encoding };
}
