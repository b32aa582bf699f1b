// Nomad's event broker buffer (nomad/stream/event_buffer.go): the most recent committed writes that
// carried events, one batch per write, bounded by count. A stream first replays from the buffer, then
// follows new batches as they are committed.
import type { Store, StoreEvent } from './store.js';

/** The events of one committed write, as `{"Index":N,"Events":[…]}` on the stream. */
export interface EventBatch {
  readonly Index: number;
  readonly Events: readonly StoreEvent[];
}

export type BatchListener = (batch: EventBatch) => void;

/** Nomad's `event_buffer_size` default (number of batches, not events). */
export const DEFAULT_EVENT_BUFFER_SIZE = 100;

export interface EventBufferOptions {
  /** Batches kept for replay. */
  size?: number;
}

export interface EventSubscription {
  /** Buffered batches the subscriber must send before any live one. */
  backlog: EventBatch[];
  unsubscribe(): void;
}

export class EventBuffer {
  readonly size: number;
  private batches: EventBatch[] = [];
  private readonly listeners = new Set<BatchListener>();
  private unsubscribeStore: (() => void) | null;
  private refs = 0;

  constructor(
    readonly store: Store,
    opts: EventBufferOptions = {},
  ) {
    this.size = Math.max(1, Math.floor(opts.size ?? DEFAULT_EVENT_BUFFER_SIZE));
    const off = [
      store.subscribe((index, events) => this.append({ Index: index, Events: events })),
      // A restore or reset starts a new world: its events must not be replayed to new subscribers,
      // as Nomad's abandoned state store takes its event broker with it.
      store.onReplace(() => {
        this.batches = [];
      }),
    ];
    this.unsubscribeStore = () => off.forEach((f) => f());
  }

  /** The array holds up to twice the buffer and drops the older half at once: O(1) per write. */
  private push(batch: EventBatch): void {
    this.batches.push(batch);
    if (this.batches.length >= 2 * this.size) this.batches = this.batches.slice(-this.size);
  }

  /** The buffered batches: the newest `size` of the array. */
  private get kept(): EventBatch[] {
    return this.batches.length > this.size ? this.batches.slice(-this.size) : this.batches;
  }

  private append(batch: EventBatch): void {
    this.push(batch);
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
   * The batches a subscription starting at `index` replays (`EventBroker.Subscribe` +
   * `StartAtClosest`): index 0 → the whole buffer; otherwise from the first batch whose index is
   * ≥ `index`, or — when `index` is past the newest batch — the newest batch alone.
   */
  backlog(index: number): EventBatch[] {
    const b = this.kept;
    if (b.length === 0) return [];
    if (index === 0) return b.slice();
    const start = b.findIndex((x) => x.Index >= index);
    return b.slice(start < 0 ? b.length - 1 : start);
  }

  /** Registers a live listener and returns the backlog to send first (no gap, no overlap). */
  subscribe(index: number, listener: BatchListener): EventSubscription {
    const backlog = this.backlog(index);
    this.listeners.add(listener);
    let done = false;
    return {
      backlog,
      unsubscribe: () => {
        if (done) return;
        done = true;
        this.listeners.delete(listener);
      },
    };
  }

  /** Open subscriptions (for tests: closed streams must leave none behind). */
  get subscriberCount(): number {
    return this.listeners.size;
  }

  /** Batches currently buffered. */
  get length(): number {
    return Math.min(this.batches.length, this.size);
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
    this.batches = [];
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
