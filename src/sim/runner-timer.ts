// A client runner's timer (alloc-runner.ts): its clock timer's task and its place in the runner's
// list of pending timers, one object for both. What it does when it falls due is a code and the task
// it concerns rather than a closure: a register arms four of these, and each closure (with the
// context it captured) was garbage; so was each runner's Set of them, which the list replaces.
import type { TimerHandle, TimerTask } from '../clock.js';
import type { TaskRun } from './task-runs.js';

/** What a runner's timer does (AllocRunner.run). */
export const PICKUP = 0;
export const START = 1;
export const EXIT = 2;
export const HEALTHY = 3;
export const HEALTH_DEADLINE = 4;
export const KILLED = 5;
export const RESTART_KILLED = 6;
export type RunnerTimerKind = typeof PICKUP | typeof START | typeof EXIT | typeof HEALTHY | typeof HEALTH_DEADLINE | typeof KILLED | typeof RESTART_KILLED;

/** The runner's pending timers, in the order they were armed, linked through the timers themselves. */
export class PendingTimers {
  head: RunnerTimer | null = null;
  tail: RunnerTimer | null = null;
  size = 0;

  add(t: RunnerTimer): void {
    t.prev = this.tail;
    if (this.tail) this.tail.next = t;
    else this.head = t;
    this.tail = t;
    t.pending = true;
    this.size++;
  }

  /** Takes `t` out; a timer already out (fired, cancelled) stays out. */
  delete(t: RunnerTimer): void {
    if (!t.pending) return;
    t.pending = false;
    if (t.prev) t.prev.next = t.next;
    else this.head = t.next;
    if (t.next) t.next.prev = t.prev;
    else this.tail = t.prev;
    t.prev = t.next = null;
    this.size--;
  }

  /** Cancels every pending timer. */
  cancelAll(): void {
    for (let t = this.head; t !== null; ) {
      const next = t.next;
      t.cancel();
      t = next;
    }
  }
}

export interface TimerOwner {
  readonly timers: PendingTimers;
  fire(t: RunnerTimer): void;
}

export class RunnerTimer implements TimerHandle, TimerTask {
  inner: TimerHandle | null = null;
  prev: RunnerTimer | null = null;
  next: RunnerTimer | null = null;
  pending = false;
  constructor(
    private readonly runner: TimerOwner,
    readonly kind: RunnerTimerKind,
    /** The task the timer concerns (KILLED: the tasks being killed, as an array). */
    readonly arg: TaskRun | TaskRun[] | null,
  ) {}

  cancel(): void {
    this.inner?.cancel();
    this.runner.timers.delete(this);
  }

  fire(): void {
    this.runner.fire(this);
  }
}
