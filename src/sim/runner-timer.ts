// A client runner's timer (alloc-runner.ts): its clock timer's task and its place in the runner's
// set of pending timers, one object for both, so arming one makes no closure for the clock.
import type { TimerHandle, TimerTask } from '../clock.js';

export interface TimerOwner {
  fire(t: RunnerTimer): void;
}

export class RunnerTimer implements TimerHandle, TimerTask {
  inner: TimerHandle | null = null;
  constructor(
    private readonly runner: TimerOwner,
    private readonly owner: Set<TimerHandle>,
    readonly fn: () => void,
  ) {}

  cancel(): void {
    this.inner?.cancel();
    this.owner.delete(this);
  }

  fire(): void {
    this.runner.fire(this);
  }
}
