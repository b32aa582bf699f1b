// One allocation on a simulated client: moves its tasks through Nomad's task states and events
// (state-semantics §8.4–8.5), reports health for deployments, and obeys the server's stop. Task
// fates follow the mock driver's Config keys; other drivers run forever (service, system) or exit 0
// after a short run (batch, sysbatch).
import type { Job, Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import type { TimerHandle } from '../clock.js';
import { EXIT, HEALTH_DEADLINE, HEALTHY, KILLED, PendingTimers, PICKUP, RESTART_KILLED, RunnerTimer, START, type RunnerTimerKind } from './runner-timer.js';
import { goDuration, rfc3339 } from '../../state/format.js';
import type { ClientSim } from './client.js';
import { DOWNLOAD_EXTRA, duration, NO_DETAILS, SETUP_DETAILS, SETUP_EXTRA, taskEvent } from './task-events.js';
import { healthSettings, parseTime, type HealthSettings } from './health-settings.js';
import { groupNamed } from './alloc-sync.js';
import { networkStatus } from './network-status.js';
import { appendTaskEvent, CLIENT_TIMING, clientStatus, exitCode, killWait, newRun, recordedIn, runsAdopted, runsFrom, startDelay, statesHold, taskStates, type TaskRun } from './task-runs.js';

export { CLIENT_TIMING };

export class AllocRunner {
  private tasks: TaskRun[] = [];
  private killing = false;
  private done = false;
  private health: boolean | null = null;
  /** When the client set `health`, in ns (the DeploymentStatus Timestamp it reports). */
  private healthAt: number | null = null;
  private healthTimer: TimerHandle | null = null;
  private deadlineTimer: TimerHandle | null = null;
  /** Every pending timer of this runner: they belong to the alloc and die with it. */
  readonly timers = new PendingTimers();
  private jobModifyIndex = 0;
  /** The job `group` last looked in and the group it found there (records are immutable). */
  private groupJob: Job | null = null;
  private groupFound: Obj | undefined = undefined;
  /** The TaskStates of the last commit: the next one shares it when no task changed since. */
  private lastStates: Obj | null = null;

  constructor(
    private readonly sim: ClientSim,
    readonly allocId: string,
    readonly jobKey: string,
  ) {}

  private get store(): Store {
    return this.sim.store;
  }

  private get now(): number {
    return this.store.nowNs();
  }

  private alloc(): Obj | undefined {
    return this.store.allocs.get(this.allocId);
  }

  private group(alloc: Obj): Obj {
    const job = alloc.Job as Job;
    if (job !== this.groupJob) {
      this.groupJob = job;
      this.groupFound = groupNamed(job, alloc.TaskGroup);
    }
    return this.groupFound!;
  }

  /**
   * A timer owned by this runner. It re-checks on firing that the alloc still exists: whatever
   * removed it (a GC, a node's removal) may not have told the client.
   */
  private after(ms: number, kind: RunnerTimerKind, arg: TaskRun | TaskRun[] | null = null): TimerHandle {
    const t = new RunnerTimer(this, kind, arg);
    t.inner = this.sim.clock.afterTask(ms, t, 'client runner');
    this.timers.add(t);
    return t;
  }

  /** A RunnerTimer falls due. */
  fire(t: RunnerTimer): void {
    this.timers.delete(t);
    if (this.done) return;
    if (!this.alloc()) return this.sim.gone(this.allocId);
    this.run(t);
    this.settle();
  }

  /** What each kind of timer does. */
  private run(timer: RunnerTimer): void {
    const arg = timer.arg;
    switch (timer.kind) {
      case PICKUP: return this.pickedUp();
      case START: return this.startTask(arg as TaskRun);
      case EXIT: return this.exited(arg as TaskRun, exitCode(arg as TaskRun));
      case HEALTHY: return this.healthyDue();
      case HEALTH_DEADLINE: return this.healthDeadlineDue();
      case KILLED: return this.killed(arg as TaskRun[]);
      case RESTART_KILLED: return this.restartKilled(arg as TaskRun);
    }
  }

  start(): void {
    const alloc = this.alloc()!;
    this.jobModifyIndex = (alloc.Job as Job).JobModifyIndex;
    const tg = this.group(alloc);
    this.tasks = ((tg.Tasks as Obj[]) ?? []).map(newRun);
    this.after(CLIENT_TIMING.pickup, PICKUP);
  }

  /** The client picked the alloc up: task directories, then each task's start. */
  private pickedUp(): void {
    const now = this.now;
    for (const t of this.tasks) {
      appendTaskEvent(t, taskEvent('Received', now, 'Task received by client', NO_DETAILS));
      appendTaskEvent(t, taskEvent('Task Setup', now, 'Building Task Directory', SETUP_DETAILS, SETUP_EXTRA));
      if (t.task.Driver === 'docker') {
        const image = String(t.task.Config?.image ?? '');
        appendTaskEvent(t, taskEvent('Driver', now, 'Downloading image', { image }, DOWNLOAD_EXTRA));
      }
    }
    this.commit();
    for (const t of this.tasks) this.scheduleStart(t, startDelay(t));
    this.armHealthDeadline();
  }

  /**
   * With no timer pending, the runner has nothing to do until the server or the API turns to it
   * again; the client may then park it (ClientSim.idle), keeping only the alloc record it wrote last.
   */
  settle(): void {
    if (!this.done && this.timers.size === 0) this.sim.idle(this);
  }

  /**
   * Whether `alloc` (the stored record) holds all of this runner's state, so `revive(alloc, tasks)`
   * gives the same runner back: nothing pending or stopping, no restart window to remember, and the
   * last commit's task states and health. The task objects are `ownTasks`.
   */
  parkable(alloc: Obj): boolean {
    if (this.killing || this.done || this.timers.size > 0 || alloc.DesiredStatus !== 'run') return false;
    if (alloc.ClientStatus !== 'running' && alloc.ClientStatus !== 'pending') return false;
    if ((alloc.Job as Job).JobModifyIndex !== this.jobModifyIndex || (alloc.DeploymentStatus?.Healthy ?? null) !== this.health) return false;
    const tasks = (this.group(alloc).Tasks as Obj[] | null) ?? [];
    return recordedIn(this.tasks, alloc.TaskStates as Obj | null, tasks);
  }

  /**
   * The task objects this runner works from, when they are not those of `alloc`'s job: after an
   * in-place update a runner keeps the tasks it started with. Null when they are the job's own.
   */
  ownTasks(alloc: Obj): Obj[] | null {
    const tasks = (this.group(alloc).Tasks as Obj[] | null) ?? [];
    const runs = this.tasks;
    for (let i = 0; i < runs.length; i++) if (tasks[i] !== runs[i]!.task) return runs.map((t) => t.task);
    return null;
  }

  /** The runner a parked alloc had: `parked` is the record it was parked with, `tasks` its `ownTasks`. */
  revive(parked: Obj, tasks: Obj[] | null): void {
    this.jobModifyIndex = (parked.Job as Job).JobModifyIndex;
    this.health = parked.DeploymentStatus?.Healthy ?? null;
    this.healthAt = parseTime(parked.DeploymentStatus?.Timestamp);
    this.tasks = runsFrom(tasks ?? (this.group(parked).Tasks as Obj[]) ?? [], parked.TaskStates as Obj);
  }

  /** Picks up an alloc from its stored client state (after a restore), as a restarted client would. */
  adopt(): void {
    const alloc = this.alloc()!;
    if (alloc.TaskStates === null) {
      this.start();
      return;
    }
    this.jobModifyIndex = (alloc.Job as Job).JobModifyIndex;
    this.health = alloc.DeploymentStatus?.Healthy ?? null;
    this.healthAt = parseTime(alloc.DeploymentStatus?.Timestamp);
    const tg = this.group(alloc);
    this.tasks = runsAdopted((tg.Tasks as Obj[]) ?? [], alloc.TaskStates as Obj);
    if (alloc.DesiredStatus !== 'run') {
      this.kill();
      return;
    }
    for (const t of this.tasks) {
      if (t.state === 'pending') this.scheduleStart(t, startDelay(t));
      else if (t.state === 'running') {
        const run = this.runTime(t);
        if (run !== null) t.timer = this.after(run, EXIT, t);
      }
    }
    this.maybeArmHealth();
  }

  force(state: 'running' | 'failed' | 'complete', opts: { exitCode?: number; task?: string }): void {
    const targets = this.tasks.filter((t) => t.state !== 'dead' && (opts.task === undefined || t.name === opts.task));
    for (const t of targets) {
      t.timer?.cancel();
      t.timer = null;
    }
    if (state === 'running') {
      for (const t of targets) if (t.state === 'pending') this.startTask(t);
      return;
    }
    const now = this.now;
    const code = opts.exitCode ?? (state === 'failed' ? 1 : 0);
    for (const t of targets) {
      if (t.state === 'running') {
        appendTaskEvent(t, taskEvent('Terminated', now, `Exit Code: ${code}`, { exit_code: String(code), signal: '0', oom_killed: 'false' }, { ExitCode: code }));
      }
      if (state === 'failed') {
        this.failTask(t, 'Error was unrecoverable');
        return;
      }
      t.state = 'dead';
      t.finishedAt = rfc3339(now);
    }
    this.commit();
  }

  private scheduleStart(t: TaskRun, delayMs: number): void {
    t.timer = this.after(delayMs, START, t);
  }

  private startTask(t: TaskRun): void {
    if (this.killing) return;
    const now = this.now;
    const cfg = (t.task.Config as Obj | null) ?? {};
    if (t.task.Driver === 'mock_driver' && cfg.start_error) {
      const msg = String(cfg.start_error);
      appendTaskEvent(t, taskEvent('Driver Failure', now, `failed to start task: ${msg}`, { driver_error: `failed to start task: ${msg}` }, { DriverError: `failed to start task: ${msg}` }));
      if (cfg.start_error_recoverable) this.exited(t, null);
      else this.failTask(t, 'Error was unrecoverable');
      return;
    }
    t.state = 'running';
    t.startedAt = rfc3339(now);
    appendTaskEvent(t, taskEvent('Started', now, 'Task started by client', NO_DETAILS));
    this.commit();
    this.maybeArmHealth();
    const run = this.runTime(t);
    if (run !== null) t.timer = this.after(run, EXIT, t);
  }

  /** How long the task runs before exiting on its own; null = until killed. */
  private runTime(t: TaskRun): number | null {
    const job = this.alloc()?.Job as Job | undefined;
    if (t.task.Driver === 'mock_driver') return duration(t.task.Config?.run_for) / 1e6;
    if (job?.Type === 'batch' || job?.Type === 'sysbatch') return CLIENT_TIMING.batchRun;
    return null;
  }

  /** A task process ended with `code` (null: it never started). Applies the restart policy. */
  private exited(t: TaskRun, code: number | null): void {
    const alloc = this.alloc();
    if (!alloc) return;
    const now = this.now;
    const job = alloc.Job as Job;
    const batch = job.Type === 'batch' || job.Type === 'sysbatch';
    if (code !== null) {
      const signal = Number(t.task.Config?.exit_signal ?? 0);
      const msg = t.task.Config?.exit_err_msg ? `, Exit Message: ${JSON.stringify(String(t.task.Config.exit_err_msg))}` : '';
      const details: Record<string, string> = { exit_code: String(code), signal: String(signal), oom_killed: 'false' };
      if (msg) details.exit_message = String(t.task.Config.exit_err_msg);
      appendTaskEvent(t, taskEvent('Terminated', now, `Exit Code: ${code}${signal ? `, Signal: ${signal}` : ''}${msg}`, details, { ExitCode: code, Signal: signal }));
      if (code === 0 && batch) {
        t.state = 'dead';
        t.finishedAt = rfc3339(now);
        this.commit();
        return;
      }
    }
    const policy = this.group(alloc).RestartPolicy as Obj;
    const interval = Number(policy?.Interval ?? 0);
    t.restartTimes = t.restartTimes.filter((x) => x > now - interval);
    if (!policy || policy.Attempts === 0 && policy.Mode === 'fail') {
      this.failTask(t, 'Policy allows no restarts');
      return;
    }
    let delay = Number(policy.Delay ?? 0);
    let reason = 'Restart within policy';
    if (t.restartTimes.length >= policy.Attempts) {
      if (policy.Mode !== 'delay') {
        this.failTask(t, `Exceeded allowed attempts ${policy.Attempts} in interval ${goDuration(interval)} and mode is "fail"`);
        return;
      }
      reason = 'Exceeded allowed attempts, applying a delay';
      delay = Math.max(delay, t.restartTimes[0]! + interval - now);
    }
    t.restartTimes.push(now);
    t.restarts++;
    t.lastRestart = rfc3339(now);
    t.state = 'pending';
    const display = reason === 'Restart within policy' ? `Task restarting in ${goDuration(delay)}` : `${reason} - Task restarting in ${goDuration(delay)}`;
    appendTaskEvent(t, taskEvent('Restarting', now, display, { restart_reason: reason, start_delay: String(delay) }, { RestartReason: reason, StartDelay: delay }));
    this.commit();
    this.scheduleStart(t, delay / 1e6);
  }

  private failTask(t: TaskRun, reason: string): void {
    const now = this.now;
    appendTaskEvent(t, taskEvent('Not Restarting', now, reason, { restart_reason: reason, fails_task: 'true' }, { RestartReason: reason, FailsTask: true }));
    t.state = 'dead';
    t.failed = true;
    t.finishedAt = rfc3339(now);
    // Siblings are killed when a task fails.
    for (const o of this.tasks) {
      if (o === t || o.state === 'dead') continue;
      o.timer?.cancel();
      appendTaskEvent(o, taskEvent('Sibling Task Failed', now, `Task's sibling "${t.name}" failed`, { failed_sibling: t.name }, { FailedSibling: t.name }));
      appendTaskEvent(o, taskEvent('Killed', now, 'Task successfully killed', {}));
      o.state = 'dead';
      o.finishedAt = rfc3339(now);
    }
    if (this.health === null && this.tracksHealth()) this.setHealth(false);
    this.commit();
  }

  private setHealth(healthy: boolean | null): void {
    this.health = healthy;
    this.healthAt = healthy === null ? null : this.now;
  }

  private tracksHealth(): boolean {
    const alloc = this.alloc();
    if (!alloc) return false;
    const job = alloc.Job as Job;
    if (job.Type !== 'service' && job.Type !== 'system') return false;
    return this.healthSettings().check !== 'manual';
  }

  private healthSettings(): HealthSettings {
    const alloc = this.alloc()!;
    return healthSettings(this.group(alloc), Boolean(alloc.DeploymentID));
  }

  private allRunning(): boolean {
    for (const t of this.tasks) if (t.state !== 'running') return false;
    return true;
  }

  private maybeArmHealth(): void {
    if (this.health !== null || this.healthTimer || !this.tracksHealth()) return;
    if (!this.allRunning()) return;
    this.healthTimer = this.after(this.healthSettings().minHealthy, HEALTHY);
  }

  /** min_healthy_time has passed since every task ran. */
  private healthyDue(): void {
    this.healthTimer = null;
    if (this.health !== null || this.killing) return;
    if (!this.allRunning()) return;
    this.setHealth(true);
    this.deadlineTimer?.cancel();
    this.commit();
  }

  private armHealthDeadline(): void {
    if (!this.tracksHealth()) return;
    this.deadlineTimer = this.after(this.healthSettings().deadline, HEALTH_DEADLINE);
  }

  /** healthy_deadline passed: unhealthy unless health was set already. */
  private healthDeadlineDue(): void {
    if (this.health !== null || this.killing) return;
    this.setHealth(false);
    this.commit();
  }

  /** In-place updates restart health tracking for the new deployment. */
  maybeUpdated(alloc: Obj): void {
    const jmi = (alloc.Job as Job).JobModifyIndex;
    if (jmi === this.jobModifyIndex) return;
    this.jobModifyIndex = jmi;
    if (alloc.DeploymentStatus === null && this.health !== null) {
      this.setHealth(null);
      this.healthTimer?.cancel();
      this.healthTimer = null;
      this.deadlineTimer?.cancel();
      this.armHealthDeadline();
      this.maybeArmHealth();
    }
  }

  kill(): void {
    if (this.killing || this.done) return;
    this.killing = true;
    this.healthTimer?.cancel();
    this.deadlineTimer?.cancel();
    const live = this.tasks.filter((t) => t.state !== 'dead');
    if (live.length === 0) return;
    const now = this.now;
    for (const t of live) {
      t.timer?.cancel();
      const kt = Number(t.task.KillTimeout ?? 5e9);
      appendTaskEvent(t, taskEvent('Killing', now, `Sent interrupt. Waiting ${goDuration(kt)} before force killing`, { kill_timeout: goDuration(kt) }, { KillTimeout: kt }));
    }
    this.commit();
    this.after(killWait(live), KILLED, live);
  }

  /** The tasks a kill stopped have exited. */
  private killed(live: TaskRun[]): void {
    const at = this.now;
    for (const t of live) {
      if (t.state === 'running') {
        appendTaskEvent(t, taskEvent('Terminated', at, 'Exit Code: 0', { exit_code: '0', signal: '0', oom_killed: 'false' }));
      }
      appendTaskEvent(t, taskEvent('Killed', at, 'Task successfully killed', {}));
      t.state = 'dead';
      t.finishedAt = rfc3339(at);
    }
    this.commit();
  }

  /** The client's view of one task (the signal and restart endpoints check it). */
  taskState(name: string): { state: 'pending' | 'running' | 'dead'; failed: boolean } | undefined {
    const t = this.tasks.find((x) => x.name === name);
    if (!t) return undefined;
    // A task being killed has no handle left to signal or restart.
    return { state: this.killing && t.state === 'running' ? 'dead' : t.state, failed: t.failed };
  }

  /** allocRunner.shouldRun: the alloc is neither stopping nor terminal. */
  get shouldRun(): boolean {
    return !this.killing && !this.done && this.alloc()?.DesiredStatus === 'run';
  }

  /** The "Signaling" events of a signal sent through the API; what the driver answers is the caller's. */
  signaled(names: string[], signal: string): void {
    const now = this.now;
    for (const t of this.tasks) if (names.includes(t.name)) appendTaskEvent(t, taskEvent('Signaling', now, 'Task being sent a signal', { signal }));
    this.commit();
    this.settle();
  }

  /**
   * A restart the API asked for (TaskRunner.Restart, ForceRestart for AllTasks): "Restart Signaled"
   * now; a running task is killed, reports "Terminated" and "Restarting" with no delay (a user restart
   * is not counted against the restart policy) and starts again; a dead one runs again.
   */
  restart(names: string[], reason: string): void {
    const now = this.now;
    const targets = this.tasks.filter((t) => names.includes(t.name));
    for (const t of targets) appendTaskEvent(t, taskEvent('Restart Signaled', now, reason, { restart_reason: reason }, { RestartReason: reason }));
    this.commit();
    for (const t of targets) {
      t.timer?.cancel();
      if (t.state !== 'running') {
        this.scheduleStart(t, startDelay(t));
        continue;
      }
      t.timer = this.after(killWait([t]), RESTART_KILLED, t);
    }
  }

  /** A task the API restarted has exited: it starts again. */
  private restartKilled(t: TaskRun): void {
    const at = this.now;
    appendTaskEvent(t, taskEvent('Terminated', at, 'Exit Code: 0', { exit_code: '0', oom_killed: 'false', signal: '0' }));
    appendTaskEvent(t, taskEvent('Restarting', at, 'Task restarting in 0s', { restart_reason: '', start_delay: '0' }));
    t.restarts++;
    t.lastRestart = rfc3339(at);
    t.state = 'pending';
    this.commit();
    this.scheduleStart(t, startDelay(t));
  }

  abandon(): void {
    this.done = true;
    this.timers.cancelAll();
  }

  /**
   * One client update (Client.AllocStateUpdated): queued for the client's next sync (alloc-sync.ts),
   * which the server applies with the deployment health counters, failure eval and job status.
   */
  private commit(): void {
    const alloc = this.alloc();
    if (!alloc || this.done) return;
    // Read by index: destructuring would walk the pair with an iterator.
    const cs = clientStatus(this.tasks);
    const status = cs[0];
    const description = cs[1];
    const states = this.lastStates !== null && statesHold(this.tasks, this.lastStates) ? this.lastStates : taskStates(this.tasks);
    this.lastStates = states;
    this.sim.sync.queue({
      ID: alloc.ID,
      NodeID: alloc.NodeID,
      ClientStatus: status,
      ClientDescription: description,
      TaskStates: states,
      NetworkStatus: alloc.NetworkStatus ?? networkStatus(alloc.ID, this.group(alloc)),
      Healthy: this.health,
      HealthAt: this.healthAt,
      JobModifyIndex: this.jobModifyIndex,
      madeAt: this.sim.clock.nowMs(),
      modifyTime: 0,
    });
    if (status === 'complete' || status === 'failed') {
      // Nothing is left to do on the client: its pending timers (a health deadline) go now.
      this.abandon();
      this.sim.finished(this.allocId);
    }
  }
}
