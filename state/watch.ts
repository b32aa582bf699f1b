// Wake-ups for blocking queries. A reader parks on the tables its query read; a write that touches
// any of them releases it to re-run the query. Waiters are one-shot and remove themselves from every
// set on release, timeout or abort, so a client that hangs up leaves nothing behind.

export type Table = string;

interface Waiter {
  release(): void;
}

export class Watch {
  private readonly byTable = new Map<Table, Set<Waiter>>();

  /** Resolves true when one of `tables` is written, false at the deadline or on abort. */
  wait(tables: readonly Table[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(false);
      let done = false;
      const finish = (changed: boolean): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        for (const t of tables) {
          const set = this.byTable.get(t);
          if (set) {
            set.delete(waiter);
            if (set.size === 0) this.byTable.delete(t);
          }
        }
        resolve(changed);
      };
      const waiter: Waiter = { release: () => finish(true) };
      const onAbort = (): void => finish(false);
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      for (const t of tables) {
        let set = this.byTable.get(t);
        if (!set) this.byTable.set(t, (set = new Set()));
        set.add(waiter);
      }
    });
  }

  notify(tables: Iterable<Table>): void {
    const woken: Waiter[] = [];
    for (const t of tables) {
      const set = this.byTable.get(t);
      if (set) for (const w of set) woken.push(w);
    }
    for (const w of woken) w.release();
  }

  /** Releases every parked reader, whatever it reads (the whole state was replaced). */
  notifyAll(): void {
    this.notify([...this.byTable.keys()]);
  }

  /** Number of parked readers; tests use it to prove disconnects clean up. */
  waiting(): number {
    const all = new Set<Waiter>();
    for (const set of this.byTable.values()) for (const w of set) all.add(w);
    return all.size;
  }
}
