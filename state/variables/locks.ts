// Variable lock leases (nomad/variables_lock_ttl_timer.go semantics): acquiring a lock arms a timer of
// twice its TTL; renewing re-arms it; when it runs out the lock can no longer be renewed, and after
// the lock delay it is removed from the variable. Timers are runtime state, not stored: after a
// restore or reset they are re-armed from the locks the state holds, as a new Nomad leader does.
import type { Store } from '../store.js';
import { expireLock } from './ops.js';
import { sortedVariables, type VariableRecord } from './table.js';

/** Schedules `fn` after `ms` of simulated time (the server's clock, guarded). */
export type After = (ms: number, fn: () => void) => { cancel(): void };

interface Lease {
  namespace: string;
  path: string;
  ttlNs: number;
  delayNs: number;
  timer: { cancel(): void };
}

export class LockTimers {
  /** TTL timers by lock ID. */
  private readonly leases = new Map<string, Lease>();
  /** Lock-delay timers running after a TTL ran out. */
  private readonly delays = new Set<{ cancel(): void }>();

  constructor(
    private readonly store: Store,
    private readonly after: After,
  ) {}

  /** CreateVariableLockTTLTimer: a lock just acquired (a lock already timed keeps its timer). */
  create(v: VariableRecord): void {
    const lock = v.Lock;
    if (!lock || this.leases.has(lock.ID)) return;
    const lease: Lease = { namespace: v.Namespace, path: v.Path, ttlNs: lock.TTL, delayNs: lock.LockDelay, timer: { cancel: () => undefined } };
    this.leases.set(lock.ID, lease);
    this.arm(lock.ID, lease);
  }

  /** RenewTTLTimer: false when the lock's TTL already ran out (it is waiting for its delay). */
  renew(lockId: string): boolean {
    const lease = this.leases.get(lockId);
    if (!lease) return false;
    lease.timer.cancel();
    this.arm(lockId, lease);
    return true;
  }

  /** RemoveVariableLockTTLTimer: the lock was released. */
  remove(lockId: string): void {
    this.leases.get(lockId)?.timer.cancel();
    this.leases.delete(lockId);
  }

  /** Drops every timer and arms fresh ones for the locks the (new) state holds. */
  rearm(): void {
    this.close();
    for (const v of sortedVariables(this.store)) if (v.Lock) this.create(v);
  }

  close(): void {
    for (const lease of this.leases.values()) lease.timer.cancel();
    for (const d of this.delays) d.cancel();
    this.leases.clear();
    this.delays.clear();
  }

  /** Leases running, for tests of the clean-up. */
  get size(): number {
    return this.leases.size + this.delays.size;
  }

  private arm(lockId: string, lease: Lease): void {
    // Nomad doubles the TTL as a grace period for clients and the network.
    lease.timer = this.after((lease.ttlNs * 2) / 1e6, () => {
      if (this.leases.get(lockId) !== lease) return;
      this.leases.delete(lockId);
      const delay = this.after(lease.delayNs / 1e6, () => {
        this.delays.delete(delay);
        expireLock(this.store, lease.namespace, lease.path, lockId);
      });
      this.delays.add(delay);
    });
  }
}
