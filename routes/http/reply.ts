// How Nomad's HTTP wrapper writes answers: JSON bodies (compact, or indented with ?pretty), plain-text
// errors, and the X-Nomad-* headers in Go's canonical casing (set on the raw response so Node keeps it).
import type { FastifyReply, FastifyRequest } from 'fastify';

const jsonCache = new WeakMap<object, string>();

/** Compact JSON of a stored object; stored objects are immutable, so the text is cached by identity. */
export function cachedJson(value: object): string {
  let text = jsonCache.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    jsonCache.set(value, text);
  }
  return text;
}

export function isPretty(req: FastifyRequest): boolean {
  const v = (req.query as Record<string, string | undefined>).pretty;
  return v !== undefined && v !== '0';
}

/** Query meta of a read: the index plus the leader headers a single-server dev agent reports. */
export function setReadMeta(reply: FastifyReply, index: number, nextToken = '', knownLeader = true): void {
  const raw = reply.raw;
  raw.setHeader('X-Nomad-Index', String(index));
  raw.setHeader('X-Nomad-Knownleader', knownLeader ? 'true' : 'false');
  raw.setHeader('X-Nomad-Lastcontact', '0');
  if (nextToken !== '') raw.setHeader('X-Nomad-Nexttoken', nextToken);
}

export function setWriteIndex(reply: FastifyReply, index: number): void {
  reply.raw.setHeader('X-Nomad-Index', String(index));
}

/**
 * Sends a JSON body. `compact` may be a pre-rendered compact text (from cachedJson) that is reused
 * unless the client asked for ?pretty.
 */
export function sendJson(req: FastifyRequest, reply: FastifyReply, value: unknown, compact?: string): FastifyReply {
  const text = isPretty(req) ? `${JSON.stringify(value, null, 4)}\n` : (compact ?? JSON.stringify(value));
  // Fastify appends "; charset=utf-8" here; the server's onSend hook takes it off again (Nomad sends
  // bare application/json). A string, unlike a Buffer, goes out with its headers in one write.
  return reply.code(200).type('application/json').send(text);
}

export function sendError(reply: FastifyReply, status: number, message: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(message);
}

/** Nomad's answer to a handler that returns no object: 200 with an empty body. */
export function sendEmpty(reply: FastifyReply): FastifyReply {
  return reply.code(200).send();
}
