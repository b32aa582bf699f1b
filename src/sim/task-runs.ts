// A runner's tasks (alloc-runner.ts) and what they report: the alloc's client status and its
// TaskStates; and the two halves of parking, whether a stored record holds the tasks' whole state
// and the tasks rebuilt from it.
import type { Obj } from '../../state/types.js';
import type { TimerHandle } from '../clock.js';
import { rfc3339 } from '../../state/format.js';
import { duration } from './task-events.js';

/** Simulated milliseconds for the client's own steps. */
export const CLIENT_TIMING = {
  pickup: 50,
  driverStart: 200,
  otherStart: 50,
  kill: 50,
  batchRun: 1000,
};

export interface TaskRun {
  name: string;
  task: Obj;
  state: 'pending' | 'running' | 'dead';
  failed: boolean;
  restarts: number;
  // As the task state shows them (RFC 3339, null for never): formatted once, shared by every
  // TaskStates the runner writes, and exact when a parked runner is revived from them.
  lastRestart: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  events: Obj[];
  restartTimes: number[];
  timer: TimerHandle | null;
}

const FAILED: readonly [string, string] = Object.freeze(['failed', 'Failed tasks']);
const RUNNING: readonly [string, string] = Object.freeze(['running', 'Tasks are running']);
const PENDING: readonly [string, string] = Object.freeze(['pending', 'No tasks have started']);
const COMPLETE: readonly [string, string] = Object.freeze(['complete', 'All tasks have completed']);

/** The alloc's client status and description (one frozen pair each, not a new array per commit). */
export function clientStatus(tasks: TaskRun[]): readonly [string, string] {
  let running = false;
  let pending = false;
  for (const t of tasks) {
    if (t.state === 'dead') {
      if (t.failed) return FAILED;
    } else if (t.state === 'running') running = true;
    else if (t.state === 'pending') pending = true;
  }
  if (running) return RUNNING;
  return pending ? PENDING : COMPLETE;
}

/**
 * Task events a client keeps per task: the newest ten (the task runner's `defaultMaxEvents`, the
 * oldest dropped as each new one comes in, `appendTaskEvent` in Nomad's taskrunner). A task that
 * restarts for ever would otherwise keep every event.
 */
export const MAX_TASK_EVENTS = 10;

/** Appends `ev` to the run's events, dropping the oldest once it holds MAX_TASK_EVENTS. */
export function appendTaskEvent(t: TaskRun, ev: Obj): void {
  const events = t.events;
  if (events.length >= MAX_TASK_EVENTS) events.splice(0, events.length - MAX_TASK_EVENTS + 1);
  events.push(ev);
}

export function taskStates(tasks: TaskRun[]): Obj {
  const out: Obj = {};
  for (const t of tasks) {
    out[t.name] = {
      State: t.state,
      Failed: t.failed,
      Restarts: t.restarts,
      LastRestart: t.lastRestart,
      StartedAt: t.startedAt,
      FinishedAt: t.finishedAt,
      Events: [...t.events],
      Paused: '',
    };
  }
  return out;
}

/**
 * Whether `states` (a stored TaskStates) holds everything of `runs`: the same tasks in the group's
 * order, no restart window to remember, and the last commit's fields and events.
 */
export function recordedIn(runs: TaskRun[], states: Obj | null, groupTasks: Obj[]): boolean {
  if (states === null || groupTasks.length !== runs.length) return false;
  for (let i = 0; i < runs.length; i++) {
    const t = runs[i]!;
    if (groupTasks[i]?.Name !== t.name || t.restartTimes.length !== 0) return false;
  }
  return statesHold(runs, states);
}

/**
 * Whether `states` shows each of `runs` as it is now: its fields, and its events, compared one by
 * one (at most MAX_TASK_EVENTS: once full, a new event shifts the list without changing its length,
 * and identical events of one instant are one pooled object).
 */
export function statesHold(runs: TaskRun[], states: Obj): boolean {
  for (const t of runs) {
    const st = states[t.name] as Obj | undefined;
    if (st === undefined) return false;
    const events = st.Events as Obj[] | undefined;
    if (st.State !== t.state || st.Failed !== t.failed || st.Restarts !== t.restarts || st.LastRestart !== t.lastRestart || st.StartedAt !== t.startedAt ||
      st.FinishedAt !== t.finishedAt || events === undefined || !sameEvents(events, t.events)) {
      return false;
    }
  }
  return true;
}

function sameEvents(a: Obj[], b: Obj[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = a.length - 1; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

/** The runs of `tasks` as `states` recorded them (a parked runner's). */
export function runsFrom(tasks: Obj[], states: Obj): TaskRun[] {
  return tasks.map((task) => {
    const st = states[task.Name] as Obj;
    return {
      name: task.Name, task, state: st.State, failed: st.Failed, restarts: st.Restarts, lastRestart: st.LastRestart,
      startedAt: st.StartedAt, finishedAt: st.FinishedAt, events: [...(st.Events as Obj[])], restartTimes: [], timer: null,
    };
  });
}

/** A task the runner has not started yet. */
export function newRun(task: Obj): TaskRun {
  return {
    name: task.Name, task, state: 'pending', failed: false, restarts: 0, lastRestart: null,
    startedAt: null, finishedAt: null, events: [], restartTimes: [], timer: null,
  };
}

/** The runs of `tasks` as a restarted client reads them from stored TaskStates (adopt after a restore). */
export function runsAdopted(tasks: Obj[], states: Obj): TaskRun[] {
  const parse = (v: string | null): number => (v ? Date.parse(v) * 1e6 : 0);
  return tasks.map((task) => {
    const st = states[task.Name] ?? {};
    return {
      name: task.Name, task, state: st.State ?? 'pending', failed: Boolean(st.Failed), restarts: st.Restarts ?? 0,
      lastRestart: rfc3339(parse(st.LastRestart)), startedAt: rfc3339(parse(st.StartedAt)), finishedAt: rfc3339(parse(st.FinishedAt)),
      events: [...((st.Events as Obj[]) ?? [])], restartTimes: [], timer: null,
    } as TaskRun;
  });
}

/** How long a task takes to start (the mock driver's start_block_for). */
export function startDelay(t: TaskRun): number {
  if (t.task.Driver === 'mock_driver') return duration(t.task.Config?.start_block_for) || CLIENT_TIMING.otherStart;
  return t.task.Driver === 'docker' ? CLIENT_TIMING.driverStart : CLIENT_TIMING.otherStart;
}

export function exitCode(t: TaskRun): number {
  return t.task.Driver === 'mock_driver' ? Number(t.task.Config?.exit_code ?? 0) : 0;
}

/** How long the slowest of `tasks` takes to exit once told to (the mock driver's kill_after). */
export function killWait(tasks: TaskRun[]): number {
  return Math.max(...tasks.map((t) => (t.task.Driver === 'mock_driver' ? duration(t.task.Config?.kill_after) / 1e6 : 0) || CLIENT_TIMING.kill));
}
