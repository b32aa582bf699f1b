// Pieces the operator routes share: the raw query as Go's url.Values sees it (repeated keys kept),
// `cas` parsing, and the body decoder whose errors the operator handlers prefix with their own text.
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../http/errors.js';
import { decodeBody } from '../http/body.js';
import type { RequestRoot } from '../../state/jobspec/decode.js';

/** The query string with every value of every key, as `req.URL.Query()` gives it. */
export function rawParams(req: FastifyRequest): URLSearchParams {
  const url = req.raw.url ?? '';
  const q = url.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
}

/** strconv.ParseUint(s, 10, 64)'s error text, or the value. */
function parseUint64(s: string): number | string {
  if (!/^[0-9]+$/.test(s)) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = BigInt(s);
  if (n > 18446744073709551615n) return `strconv.ParseUint: parsing ${JSON.stringify(s)}: value out of range`;
  return Number(n);
}

/** `?cas=N`: null when absent; Nomad's 400 when not an unsigned integer. */
export function casParam(req: FastifyRequest): number | null {
  const params = rawParams(req);
  if (!params.has('cas')) return null;
  const v = parseUint64(params.get('cas') ?? '');
  if (typeof v === 'string') throw new HttpError(400, `Error parsing cas value: ${v}`);
  return v;
}

/** decodeBody with the handler's prefix on every decoding error (`Error parsing scheduler config: …`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function decodePrefixed(req: FastifyRequest, root: RequestRoot, prefix: string): any {
  try {
    return decodeBody(req, root);
  } catch (err) {
    if (err instanceof HttpError) throw new HttpError(400, `${prefix}: ${err.message}`);
    throw err;
  }
}
