// Nomad's event broker buffer (nomad/stream/event_buffer.go): the most recent committed writes that
// carried events, one batch per write, bounded by count as Nomad's is, and also by bytes (see
// `DEFAULT_EVENT_BUFFER_BYTES`). A subscriber holds a cursor into it and
// pulls at its own pace; one whose last batch has left the buffer has fallen behind and is told so
// (Nomad's "event dropped from buffer"). Subscribers never hold batches themselves, so a stalled
// one pins nothing beyond the buffer.
import type { Store, StoreEvent } from '../store.js';

/** The events of one committed write, as `{"Index":N,"Events":[…]}` on the stream. */
export interface EventBatch {
  readonly Index: number;
  readonly Events: readonly StoreEvent[];
}

/** Called after every appended batch, and with null when the buffer restarts (the cursor then reads ENDED). */
export type BatchListener = (batch: EventBatch | null) => void;

/** Nomad's `event_buffer_size` default (number of batches, not events). */
export const DEFAULT_EVENT_BUFFER_SIZE = 100;

/**
 * The most bytes of encoded batches kept (a batch weighs its longest stream line, once a stream has
 * needed it): each stream filter holds the batches' lines once more, so without it a hundred very
 * large writes (big job specs, big plans) would pin a hundred times their size per filter. Nomad
 * bounds by count only; at normal sizes (a register's three batches are about 10 KB) the count
 * bounds first, so replay is Nomad's. Past it, the oldest batches leave as if the count had moved.
 */
export const DEFAULT_EVENT_BUFFER_BYTES = 64 * 1024 * 1024;

export interface EventBufferOptions {
  /** Batches kept for replay. */
  size?: number;
  /** Bytes of encoded batches kept for replay (the newest batch always stays). */
  maxBytes?: number;
}

/** What a cursor returns when the subscriber has fallen more than the buffer behind. */
export const DROPPED = Symbol('event dropped from buffer');
/** What a cursor returns once the state it followed was replaced (restore, reset): the stream ends. */
export const ENDED = Symbol('state replaced');

export interface EventCursor {
  /**
   * The next batch to send; null when caught up; DROPPED when the buffer has moved past it; ENDED
   * when the state was replaced (the subscriber's indexes belong to a world that is gone).
   */
  peek(): EventBatch | null | typeof DROPPED | typeof ENDED;
  /** Moves past the batch `peek` returned. */
  advance(): void;
  /** Batches committed that this cursor has not passed yet (it is dropped past `size`). */
  behind(): number;
  /**
   * Whether it is within half the buffer (by count or by bytes) of being dropped; while kept, within
   * a quarter of the retained batches of leaving them.
   */
  nearDrop(): boolean;
  /**
   * Whether the subscriber is taking what it is sent. While kept, it is never dropped for batches
   * that left the buffer but are still retained (see `RETAINED`): a subscriber that reads is not
   * dropped because the server has not got round to writing to it. Once not kept, it is dropped when
   * the buffer moves past the batches it was due when it stopped taking bytes, as Nomad drops a
   * subscriber that does not read. A new cursor is not kept.
   */
  keep(on: boolean): void;
  unsubscribe(): void;
}

/**
 * Batches held, in buffer sizes: beyond the buffer, the oldest batches are kept for cursors that
 * are kept (their subscribers read; the server is behind). They go a buffer's worth at a time
 * (amortized O(1) per write), or sooner when they weigh more than `maxBytes`.
 */
export const RETAINED = 2;

export class EventBuffer {
  readonly size: number;
  /** Read when a batch is charged: tests lower it on a running server. */
  maxBytes: number;
  /** Newest `size` entries are the buffer; older ones are retained (`RETAINED`), then dropped in bulk. */
  private batches: EventBatch[] = [];
  /** Sequence number of batches[0]; every appended batch gets the next one. */
  private base = 0;
  /** Sequence number before which batches have left for the byte bound. */
  private byteFloor = 0;
  /** Each charged batch's sequence number and weight. */
  private weights = new WeakMap<EventBatch, { seq: number; bytes: number }>();
  /** Weight of the batches in the buffer. */
  private weighed = 0;
  /** Weight of the batches retained beyond it: bounded by `maxBytes` too. */
  private retainedWeight = 0;
  /** Called after every batch: per-cursor listeners and `watch`ers alike. */
  private readonly listeners = new Set<BatchListener>();
  /** Open cursors (a cursor need not have a listener of its own). */
  private readonly cursors = new Set<object>();
  /** Bumped when the state is replaced; a cursor opened before then reads ENDED. */
  private generation = 0;
  /** The store's replacement count this buffer's contents belong to. */
  private world: number;
  private unsubscribeStore: (() => void) | null;
  private refs = 0;

  constructor(
    readonly store: Store,
    opts: EventBufferOptions = {},
  ) {
    this.size = Math.max(1, Math.floor(opts.size ?? DEFAULT_EVENT_BUFFER_SIZE));
    this.maxBytes = opts.maxBytes ?? DEFAULT_EVENT_BUFFER_BYTES;
    this.world = store.replacements;
    const off = [
      store.subscribe((index, events) => this.append({ Index: index, Events: events })),
      // A restore starts a new world: its events must not be replayed to new subscribers, as
      // Nomad's abandoned state store takes its event broker with it. (A reset has already put the
      // start-up batches in with `restart`.)
      store.onReplace(() => {
        if (this.world !== store.replacements) this.restart();
      }),
    ];
    this.unsubscribeStore = () => off.forEach((f) => f());
  }

  private get end(): number {
    return this.base + this.batches.length;
  }

  /** Sequence number of the oldest batch still in the buffer. */
  private get first(): number {
    return Math.max(this.base, this.end - this.size, this.byteFloor);
  }

  /** The weight of the batch at `seq`, which is leaving the buffer for the retained batches. */
  private unweigh(seq: number): void {
    const w = this.weights.get(this.batches[seq - this.base]!);
    if (w !== undefined) {
      this.weighed -= w.bytes;
      this.retainedWeight += w.bytes;
    }
  }

  /** Lets the oldest retained batches go while they weigh more than `maxBytes`. */
  private trimRetained(): void {
    if (this.retainedWeight <= this.maxBytes) return;
    const first = this.first;
    let n = 0;
    while (this.retainedWeight > this.maxBytes && this.base + n < first) {
      this.retainedWeight -= this.weights.get(this.batches[n]!)?.bytes ?? 0;
      n++;
    }
    this.batches = this.batches.slice(n);
    this.base += n;
  }

  /**
   * Records that `batch` takes `bytes` as one stream's line; its weight is its longest line. Over
   * `maxBytes`, the oldest batches leave (never the newest), and streams that had not passed them
   * are dropped as behind.
   */
  charge(batch: EventBatch, bytes: number): void {
    let w = this.weights.get(batch);
    if (w === undefined) {
      // Only a batch still held is charged: its sequence number is found from the newest.
      let seq = -1;
      for (let s = this.end - 1; s >= this.base; s--) {
        if (this.batches[s - this.base] === batch) {
          seq = s;
          break;
        }
      }
      if (seq < 0) return;
      w = { seq, bytes: 0 };
      this.weights.set(batch, w);
    } else if (w.seq < this.base) {
      return;
    }
    if (bytes <= w.bytes) return;
    if (w.seq < this.first) {
      // A retained batch whose line a stream that is behind has just built.
      this.retainedWeight += bytes - w.bytes;
      w.bytes = bytes;
      this.trimRetained();
      return;
    }
    this.weighed += bytes - w.bytes;
    w.bytes = bytes;
    while (this.weighed > this.maxBytes && this.first < this.end - 1) {
      const s = this.first;
      this.unweigh(s);
      this.byteFloor = s + 1;
    }
    this.trimRetained();
  }

  private append(batch: EventBatch): void {
    // The batch the count pushes out takes its weight with it.
    if (this.end - this.size >= this.first) {
      this.unweigh(this.end - this.size);
      this.trimRetained();
    }
    this.batches.push(batch);
    if (this.batches.length >= (RETAINED + 1) * this.size) {
      const drop = this.batches.length - RETAINED * this.size;
      for (let i = 0; i < drop; i++) this.retainedWeight -= this.weights.get(this.batches[i]!)?.bytes ?? 0;
      this.batches = this.batches.slice(drop);
      this.base += drop;
    }
    if (this.listeners.size === 0) return;
    // A listener may unsubscribe (or subscribe) while we deliver; one that throws must not fail the
    // write that produced the events.
    for (const l of [...this.listeners]) {
      try {
        l(batch);
      } catch {
        // the stream's own close path cleans up
      }
    }
  }

  /**
   * Starts the buffer over for a replaced state, holding `batches` (a reset's start-up events, as
   * `backlog(0)` gave them at start-up). Every open subscription ends: like a restarted agent, the
   * stream closes rather than go on at indexes of the old world.
   */
  restart(batches: readonly EventBatch[] = []): void {
    this.world = this.store.replacements;
    this.base = this.end;
    this.batches = batches.slice(-this.size);
    // The start-up batches come back with new sequence numbers, unweighed.
    this.weights = new WeakMap();
    this.weighed = 0;
    this.retainedWeight = 0;
    this.generation++;
    for (const l of [...this.listeners]) {
      try {
        l(null);
      } catch {
        // the stream's own close path cleans up
      }
    }
  }

  /**
   * Where a subscription starting at `index` begins (`EventBroker.Subscribe` + `StartAtClosest`):
   * index 0 → the whole buffer; otherwise the first batch whose index is ≥ `index`, or — when
   * `index` is past the newest batch — the newest batch alone.
   */
  private startSeq(index: number): number {
    const first = this.first;
    if (first === this.end || index === 0) return first;
    for (let s = first; s < this.end; s++) if (this.batches[s - this.base]!.Index >= index) return s;
    return this.end - 1;
  }

  /** The batches a subscription starting at `index` replays. */
  backlog(index: number): EventBatch[] {
    return this.batches.slice(this.startSeq(index) - this.base, this.end - this.base);
  }

  /**
   * Calls `listener` after every committed batch (null when the buffer restarts), once for all the
   * cursors its owner holds: the event routes pull for every stream from one call, so a write costs
   * the same whatever the number of subscribers. Returns the unwatch.
   */
  watch(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Opens a cursor at `index`; `onAppend`, if given, is called after every committed batch so the
   * subscriber can pull (without it, whoever holds the cursor `watch`es the buffer). As in Nomad, a
   * subscriber is behind when the last batch it passed has left the buffer.
   */
  subscribe(index: number, onAppend?: BatchListener): EventCursor {
    let seq = this.startSeq(index);
    let passed = false;
    const token = {};
    this.cursors.add(token);
    if (onAppend) this.listeners.add(onAppend);
    let done = false;
    const generation = this.generation;
    let kept = false;
    // Where the drop is measured from while not kept: its own place, unless the server's lag had
    // left it more than half the buffer behind when it stopped taking bytes.
    let line = seq;
    let linePassed = false;
    let dropped = false;
    const pastLine = (): boolean => {
      if (!dropped) {
        const first = this.first;
        dropped = linePassed ? line - 1 < first : line < first;
      }
      return dropped;
    };
    return {
      peek: () => {
        if (done) return null;
        if (generation !== this.generation) return ENDED;
        if (seq < this.base || (!kept && pastLine())) return DROPPED;
        if (seq >= this.end) return null;
        return this.batches[seq - this.base]!;
      },
      advance: () => {
        if (done || generation !== this.generation || seq >= this.end) return;
        seq++;
        passed = true;
        if (!kept) {
          line = Math.max(line, seq);
          linePassed = true;
        }
      },
      behind: () => (done || generation !== this.generation ? 0 : Math.max(0, this.end - seq)),
      nearDrop: () => {
        if (done || generation !== this.generation || seq >= this.end) return false;
        // Retained batches leave in bulk once RETAINED + 1 sizes are held, so at least RETAINED sizes stay.
        if (kept) return (this.end - seq) * 4 >= 3 * RETAINED * this.size || (seq < this.first && this.retainedWeight * 4 >= 3 * this.maxBytes);
        if ((this.end - seq) * 2 >= this.size) return true;
        // It leaves once the batches from it on weigh more than maxBytes; only worth adding up
        // when the whole buffer is past half of that.
        if (this.weighed * 2 < this.maxBytes) return false;
        let ahead = 0;
        for (let s = Math.max(seq, this.first); s < this.end; s++) ahead += this.weights.get(this.batches[s - this.base]!)?.bytes ?? 0;
        return ahead * 2 >= this.maxBytes;
      },
      keep: (on) => {
        if (on === kept || dropped) return;
        // Taking bytes again after falling out of the buffer does not undo the drop.
        if (on && pastLine()) return;
        kept = on;
        if (on) return;
        // At most half the buffer behind, as a reader was kept before retention; usually its own place.
        line = Math.max(seq, this.end - Math.floor(this.size / 2));
        linePassed = passed || line > seq;
      },
      unsubscribe: () => {
        if (done) return;
        done = true;
        this.cursors.delete(token);
        if (onAppend) this.listeners.delete(onAppend);
      },
    };
  }

  /** Open subscriptions (for tests: closed streams must leave none behind). */
  get subscriberCount(): number {
    return this.cursors.size;
  }

  /** Batches currently buffered. */
  get length(): number {
    return this.end - this.first;
  }

  /** Weight of the buffered batches (see `charge`). */
  get bytes(): number {
    return this.weighed;
  }

  get closed(): boolean {
    return this.unsubscribeStore === null;
  }

  /** Servers sharing one store share its buffer; the last one to release it closes it. */
  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs <= 0) this.close();
  }

  close(): void {
    this.unsubscribeStore?.();
    this.unsubscribeStore = null;
    this.listeners.clear();
    this.cursors.clear();
    this.base += this.batches.length;
    this.batches = [];
    this.weighed = 0;
    this.retainedWeight = 0;
    if (buffers.get(this.store) === this) buffers.delete(this.store);
  }
}

const buffers = new WeakMap<Store, EventBuffer>();

/** The store's event buffer, created on first use (the event routes create it when registered). */
export function eventBuffer(store: Store): EventBuffer {
  let b = buffers.get(store);
  if (!b) {
    b = new EventBuffer(store);
    buffers.set(store, b);
  }
  return b;
}
