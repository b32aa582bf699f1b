// Wake-ups for blocking queries. A reader parks on the tables its query read; a write that touches
// any of them releases it to re-run the query. Parked readers are one-shot and leave every set on
// release, timeout or cancel, so a client that hangs up leaves nothing behind.
//
// Built for many readers at once (issue 16: one write releasing 10,000): a parked reader is one
// small object in one set per table and in one deadline heap shared by all, with one timer armed for
// the earliest deadline (a timer each, all with different jittered durations, cost a Timeout and a
// timer list each and a priority-queue entry in Node). Released readers are woken in one microtask
// after the write, so they see the state once the writer's synchronous work is done (as an awaited
// promise each did before).

export type Table = string;

/** Readers woken per turn; fewer than this (every test, most clients) all wake in the write's turn. */
const WAKE_CHUNK = 256;

/** One parked reader, as `park` takes it. */
export interface Parked {
  /** The tables whose writes release it. */
  readonly tables: readonly Table[];
  /** `performance.now()` at which it is released with `changed` false. */
  deadline: number;
  /** Position in the deadline heap; -1 when not parked. */
  slot: number;
  /** Called once per park: true after a write to one of its tables, false at the deadline. */
  wake(changed: boolean): void;
}

export class Watch {
  private readonly byTable = new Map<Table, Set<Parked>>();
  /** Min-heap on deadline; every parked reader is in it exactly once. */
  private readonly heap: Parked[] = [];
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** Released by writes and not woken yet; `woken` of them are. */
  private released: Parked[] = [];
  private woken = 0;
  /**
   * Wakes released readers, a bounded number per turn: each answer is written before the next
   * chunk is built, so thousands of answers are not all held in memory at once (and GC'd at once).
   */
  private readonly wakeReleased = (): void => {
    const batch = this.released;
    const end = Math.min(batch.length, this.woken + WAKE_CHUNK);
    for (let i = this.woken; i < end; i++) wakeOne(batch[i]!, true);
    if (end < batch.length) {
      this.woken = end;
      setImmediate(this.wakeReleased);
    } else {
      this.released = [];
      this.woken = 0;
    }
  };

  /** Parks `p` until a write touches one of its tables or its deadline passes. */
  park(p: Parked): void {
    if (p.slot >= 0) return;
    for (const t of p.tables) {
      let set = this.byTable.get(t);
      if (!set) this.byTable.set(t, (set = new Set()));
      set.add(p);
    }
    this.heapPush(p);
    if (p.deadline < this.timerAt) this.arm(p.deadline);
  }

  /** Unparks `p` without waking it (its client hung up). */
  cancel(p: Parked): void {
    if (p.slot >= 0) this.unpark(p);
  }

  /** Resolves true when one of `tables` is written, false at the deadline or on abort. */
  wait(tables: readonly Table[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(false);
      const onAbort = (): void => {
        this.cancel(p);
        resolve(false);
      };
      const p: Parked = {
        tables,
        deadline: performance.now() + Math.max(0, timeoutMs),
        slot: -1,
        wake: (changed) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(changed);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.park(p);
    });
  }

  notify(tables: Iterable<Table>): void {
    // Every write comes here; most find nobody parked (no blocking query open).
    if (this.byTable.size === 0) return;
    const released = this.released;
    const first = released.length;
    for (const t of tables) {
      const set = this.byTable.get(t);
      if (!set) continue;
      for (const p of set) {
        this.leaveSets(p);
        // Marked, and taken out of the heap below: all at once when many leave together.
        p.slot = -2 - p.slot;
        released.push(p);
      }
    }
    const n = released.length - first;
    if (n === 0) return;
    if (n * 8 < this.heap.length) {
      for (let i = first; i < released.length; i++) {
        const p = released[i]!;
        p.slot = -2 - p.slot;
        this.heapRemove(p);
      }
    } else this.heapRebuild();
    if (first === 0) queueMicrotask(this.wakeReleased);
  }

  /** Releases every parked reader, whatever it reads (the whole state was replaced). */
  notifyAll(): void {
    this.notify([...this.byTable.keys()]);
  }

  /** Number of parked readers; tests use it to prove disconnects clean up. */
  waiting(): number {
    return this.heap.length;
  }

  private unpark(p: Parked): void {
    this.leaveSets(p);
    this.heapRemove(p);
  }

  private leaveSets(p: Parked): void {
    for (const t of p.tables) {
      const set = this.byTable.get(t);
      if (set && set.delete(p) && set.size === 0) this.byTable.delete(t);
    }
  }

  /** Drops the readers marked as leaving (slot < -1) and restores the heap order in O(n). */
  private heapRebuild(): void {
    const h = this.heap;
    let w = 0;
    for (let i = 0; i < h.length; i++) {
      const p = h[i]!;
      if (p.slot < -1) p.slot = -1;
      else h[w++] = p;
    }
    h.length = w;
    for (let i = 0; i < w; i++) h[i]!.slot = i;
    for (let i = (w >> 1) - 1; i >= 0; i--) this.siftDown(i);
    if (w === 0) this.disarm();
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.expire, Math.max(0, at - performance.now()));
  }

  private readonly expire = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    const now = performance.now();
    const due: Parked[] = [];
    while (this.heap.length > 0 && this.heap[0]!.deadline <= now) {
      const p = this.heap[0]!;
      this.unpark(p);
      due.push(p);
    }
    if (this.heap.length > 0) this.arm(this.heap[0]!.deadline);
    for (const p of due) wakeOne(p, false);
  };

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private heapPush(p: Parked): void {
    const h = this.heap;
    p.slot = h.length;
    h.push(p);
    this.siftUp(p.slot);
  }

  private heapRemove(p: Parked): void {
    const h = this.heap;
    const i = p.slot;
    p.slot = -1;
    const last = h.pop()!;
    if (i < h.length) {
      h[i] = last;
      last.slot = i;
      this.siftDown(i);
      this.siftUp(last.slot);
    }
    // Nobody left to time out: no timer may keep the process alive for them.
    if (h.length === 0) this.disarm();
  }

  private siftUp(i: number): void {
    const h = this.heap;
    const p = h[i]!;
    while (i > 0) {
      const up = (i - 1) >> 1;
      const q = h[up]!;
      if (q.deadline <= p.deadline) break;
      h[i] = q;
      q.slot = i;
      i = up;
    }
    h[i] = p;
    p.slot = i;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const p = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]!.deadline < h[c]!.deadline) c++;
      const q = h[c]!;
      if (q.deadline >= p.deadline) break;
      h[i] = q;
      q.slot = i;
      i = c;
    }
    h[i] = p;
    p.slot = i;
  }
}

/** One reader's wake-up must not keep the others (or the write that released them) from theirs. */
function wakeOne(p: Parked, changed: boolean): void {
  try {
    p.wake(changed);
  } catch {
    // A reader's wake settles its own request and reports its own errors; nothing to add here.
  }
}
