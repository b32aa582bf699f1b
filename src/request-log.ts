// One log line per answered request: method, path (never the query: it may carry a token), status
// and duration; a 5xx is logged at error with the text it answered.
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import { levelEnabled } from './log-tap.js';

/** The text of an error answer, bounded (a body may be large). */
export function errorTextOf(payload: unknown): string | undefined {
  if (typeof payload === 'string') return payload.slice(0, 500).trim();
  if (Buffer.isBuffer(payload)) return payload.subarray(0, 500).toString('utf8').trim();
  return undefined;
}

export function logRequest(log: FastifyBaseLogger, req: FastifyRequest, status: number, ms: number | undefined, errorText?: string): void {
  const level = status >= 500 ? 'error' : 'info';
  if (!levelEnabled(log.level, level)) return;
  const url = req.raw.url ?? req.url;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const took = ms === undefined ? '' : ` ${ms < 10 ? ms.toFixed(2) : Math.round(ms)}ms`;
  const fields = { method: req.method, path, status, ms: ms === undefined ? undefined : Math.round(ms * 1000) / 1000 };
  if (level === 'error') log.error({ ...fields, error: errorText }, `${req.method} ${path} ${status}${took}${errorText ? `: ${errorText}` : ''}`);
  else log.info(fields, `${req.method} ${path} ${status}${took}`);
}
