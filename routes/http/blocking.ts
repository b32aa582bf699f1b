// Blocking queries (http-semantics §4.1): run once; if the caller asked for an index the result has
// not passed yet, park on the tables the query reads until a write touches them or the deadline
// passes, re-running on every wake-up. A timeout is not an error: the last result is returned.
import type { FastifyReply } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Store } from '../../state/store.js';
import type { Parked, Table } from '../../state/watch.js';
import { markReleased } from './shared-answer.js';
import { readerParked, readerSettled } from './young-generation.js';
import { dropIdleResponseListener } from './response-listener.js';

export const MAX_BLOCK_MS = 300_000;
const JITTER_FRACTION = 16;

export interface Indexed {
  index: number;
}

export function blockTimeMs(waitMs: number): number {
  const base = waitMs <= 0 || waitMs > MAX_BLOCK_MS ? MAX_BLOCK_MS : waitMs;
  return base + Math.random() * (base / JITTER_FRACTION);
}

export function blockingQuery<R extends Indexed>(
  store: Store,
  reply: FastifyReply,
  opts: { minIndex: number; waitMs: number },
  tables: readonly Table[],
  run: () => R,
): Promise<R> {
  let result: R;
  try {
    result = run();
  } catch (err) {
    return Promise.reject(err);
  }
  if (opts.minIndex === 0 || result.index > opts.minIndex) return Promise.resolve(result);
  // A client already gone is answered (into the void) now rather than held to its deadline.
  if (reply.raw.destroyed) return Promise.resolve(result);
  dropIdleResponseListener(reply);
  return new Promise<R>((resolve) => {
    new HeldQuery(store, reply.raw, opts.minIndex, Math.ceil(performance.now() + blockTimeMs(opts.waitMs)), tableList(tables), run, resolve);
  });
}

/**
 * The one copy of each list of tables readers park on. Routes pass array literals (`['jobs']`), a
 * new array per request; thousands of parked readers need not keep one each. The lists are the
 * routes' constants, so this holds a few dozen at most.
 */
const TABLE_LISTS = new Map<string, readonly Table[]>();

function tableList(tables: readonly Table[]): readonly Table[] {
  const key = tables.length === 1 ? tables[0]! : tables.join('\0');
  let list = TABLE_LISTS.get(key);
  if (list === undefined) TABLE_LISTS.set(key, (list = Object.freeze([...tables])));
  return list;
}

/**
 * A parked GET without a body has nothing more to read from its request: it is read to its end
 * now, as Node would do (req._dump) once the answer is finished. Done at release, that is a resume,
 * a read, an 'end' and a 'close' per reader in the write's turn, for thousands of readers at once.
 */
function consumeRequest(res: ServerResponse): void {
  const req = (res as ServerResponse & { req?: IncomingMessage }).req;
  if (req === undefined || req.method !== 'GET' || req.readableFlowing !== null) return;
  const h = req.headers;
  if (h['content-length'] !== undefined || h['transfer-encoding'] !== undefined) return;
  req.resume();
}

/**
 * One parked reader: a single object, since thousands may wait at once (issue 16: each field is
 * kept by every one of them). It keeps no result: every wake-up runs the query again, and a
 * reader whose client hung up is answered (into the void) with a fresh run. Its deadline is whole
 * milliseconds (a small integer, where a fraction would be a number boxed on the heap), its
 * 'close' listener a bound method (no closure and context of its own), and an error settles
 * through `resolve` (a rejected promise), so it keeps one resolving function, not two.
 */
class HeldQuery<R extends Indexed> implements Parked {
  slot = -1;
  private readonly world: number;
  /** Its listener on the response's 'close'; null once settled. */
  private onClose: (() => void) | null;

  constructor(
    private readonly store: Store,
    private readonly res: ServerResponse,
    private readonly minIndex: number,
    readonly deadline: number,
    readonly tables: readonly Table[],
    private readonly run: () => R,
    private readonly resolve: (r: R | Promise<never>) => void,
  ) {
    this.world = store.replacements;
    this.onClose = this.closed.bind(this);
    consumeRequest(res);
    res.on('close', this.onClose);
    readerParked();
    store.watch.park(this);
  }

  wake(changed: boolean): void {
    // Released by a write, then hung up before its turn to wake came.
    if (this.onClose === null) return;
    let result: R;
    try {
      result = this.run();
    } catch (err) {
      this.settle(Promise.reject(err));
      return;
    }
    // After a restore or reset the index the caller holds belongs to the old state: answer now.
    if (changed && result.index <= this.minIndex && this.store.replacements === this.world && this.deadline > performance.now()) {
      this.store.watch.park(this);
      return;
    }
    // Readers released together mostly get the same bytes (routes/http/shared-answer.ts).
    if (!this.res.destroyed) markReleased(this.res);
    this.settle(result);
  }

  private closed(): void {
    this.store.watch.cancel(this);
    if (this.onClose === null) return;
    let result: R | Promise<never>;
    try {
      result = this.run();
    } catch (err) {
      result = Promise.reject(err);
    }
    this.settle(result);
  }

  private settle(result: R | Promise<never>): void {
    this.res.off('close', this.onClose!);
    this.onClose = null;
    readerSettled();
    this.resolve(result);
  }
}
