// A runner's tasks (alloc-runner.ts) and what they report: the alloc's client status and its
// TaskStates; and the two halves of parking, whether a stored record holds the tasks' whole state
// and the tasks rebuilt from it.
import type { Obj } from '../../state/types.js';
import type { TimerHandle } from '../clock.js';

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

export function clientStatus(tasks: TaskRun[]): [string, string] {
  if (tasks.some((t) => t.state === 'dead' && t.failed)) return ['failed', 'Failed tasks'];
  if (tasks.some((t) => t.state === 'running')) return ['running', 'Tasks are running'];
  if (tasks.some((t) => t.state === 'pending')) return ['pending', 'No tasks have started'];
  return ['complete', 'All tasks have completed'];
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
  return runs.every((t, i) => {
    const st = states[t.name] as Obj | undefined;
    const events = st?.Events as Obj[] | undefined;
    return st !== undefined && groupTasks[i]?.Name === t.name && t.restartTimes.length === 0 && st.State === t.state && st.Failed === t.failed &&
      st.Restarts === t.restarts && st.LastRestart === t.lastRestart && st.StartedAt === t.startedAt && st.FinishedAt === t.finishedAt &&
      events !== undefined && events.length === t.events.length && events[events.length - 1] === t.events[t.events.length - 1];
  });
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
