// Blocking queries (http-semantics §4.1): run once; if the caller asked for an index the result has
// not passed yet, park on the tables the query reads until a write touches them or the deadline
// passes, re-running on every wake-up. A timeout is not an error: the last result is returned.
import type { FastifyReply } from 'fastify';
import type { Store } from '../../state/store.js';
import type { Table } from '../../state/watch.js';

export const MAX_BLOCK_MS = 300_000;
const JITTER_FRACTION = 16;

export interface Indexed {
  index: number;
}

export function blockTimeMs(waitMs: number): number {
  const base = waitMs <= 0 || waitMs > MAX_BLOCK_MS ? MAX_BLOCK_MS : waitMs;
  return base + Math.random() * (base / JITTER_FRACTION);
}

export async function blockingQuery<R extends Indexed>(
  store: Store,
  reply: FastifyReply,
  opts: { minIndex: number; waitMs: number },
  tables: readonly Table[],
  run: () => R,
): Promise<R> {
  let result = run();
  if (opts.minIndex === 0 || result.index > opts.minIndex) return result;

  const deadline = Date.now() + blockTimeMs(opts.waitMs);
  const world = store.replacements;
  const abort = new AbortController();
  const onClose = (): void => abort.abort();
  reply.raw.once('close', onClose);
  try {
    while (result.index <= opts.minIndex) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || abort.signal.aborted) break;
      const changed = await store.watch.wait(tables, remaining, abort.signal);
      if (abort.signal.aborted) break;
      result = run();
      // After a restore or reset the index the caller holds belongs to the old state: answer now.
      if (!changed || store.replacements !== world) break;
    }
  } finally {
    reply.raw.off('close', onClose);
  }
  return result;
}
