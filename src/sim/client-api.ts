// What a simulated client answers to the alloc endpoints the HTTP API forwards to it (Nomad's
// client/alloc_endpoint.go, client.go and allocrunner): signal, restart and GC, after the checks the
// server makes before it forwards (nomad/client_alloc_endpoint.go: the alloc, then its node's
// connection). The agent is a dev agent: the allocs of its own node need no forwarding.
import type { Obj } from '../../state/types.js';
import type { Store } from '../../state/store.js';
import { RpcError } from '../../state/errors.js';
import { goQuote } from '../../state/format.js';
import { formatMultiError } from '../../state/jobspec/multierror.js';
import type { Simulator } from './index.js';

/** structs.NewErrUnknownAllocation; the agent answers it with 404. */
export const unknownAllocation = (id: string): RpcError => new RpcError(`Unknown allocation ${goQuote(id)}`, 404);

/** getAlloc on the server: the first check of every ClientAllocations RPC, before the ACL. */
export function allocForRpc(store: Store, allocId: string): Obj {
  const alloc = store.allocs.get(allocId);
  if (!alloc) throw unknownAllocation(allocId);
  return alloc;
}

/** The node the dev agent's own client registered (the oldest), if the simulator runs clients. */
export function localNodeId(store: Store, sim: Simulator | null): string | null {
  if (!sim) return null;
  let first: Obj | undefined;
  for (const n of store.nodes.values()) if (!first || n.CreateIndex < first.CreateIndex) first = n;
  return first?.ID ?? null;
}

/**
 * getNodeForRpc and the node's connection: a node the state lacks is `Unknown node <id>`, one that is
 * down (no connection to any server) `No path to node` (the agent answers that with 404).
 */
export function reachNode(store: Store, sim: Simulator | null, nodeId: string): void {
  const node = store.nodes.get(nodeId);
  if (!node) throw new RpcError(`Unknown node ${nodeId}`);
  if (nodeId === localNodeId(store, sim)) return;
  if (!sim || (node.Status !== 'ready' && node.Status !== 'initializing')) throw new RpcError('No path to node', 404);
}

/** The client's alloc (client.GetAlloc): one its node has received, reached through the server. */
export function clientAlloc(store: Store, sim: Simulator | null, allocId: string): Obj {
  const alloc = allocForRpc(store, allocId);
  reachNode(store, sim, alloc.NodeID);
  // The client's own view: its newest update may not have reached the server yet (alloc-sync.ts).
  const seen = sim ? sim.client.view(alloc) : alloc;
  if (seen.TaskStates === null || seen.TaskStates === undefined) throw unknownAllocation(allocId);
  return seen;
}

/** The tasks of the alloc's group, from the job version it runs. */
export function groupTasks(alloc: Obj): Obj[] {
  const tg = ((alloc.Job?.TaskGroups as Obj[] | undefined) ?? []).find((g) => g.Name === alloc.TaskGroup);
  return (tg?.Tasks as Obj[] | undefined) ?? [];
}

/** A task's state as the client sees it: its runner's when it runs, else what it last reported. */
function taskState(sim: Simulator | null, alloc: Obj, name: string): { state: string; failed: boolean } {
  const live = sim?.client.runner(alloc.ID)?.taskState(name);
  if (live) return live;
  const st = (alloc.TaskStates as Obj | null)?.[name] as Obj | undefined;
  // Without a runner nothing runs any more (a terminal alloc keeps its runner only to be read).
  return { state: st?.State === 'pending' ? 'pending' : 'dead', failed: Boolean(st?.Failed) };
}

const TASK_NOT_RUNNING = 'Task not running';

/** consul-template's signal table, which the docker driver parses signal names with. */
const VALID_SIGNALS = [
  'SIGABRT', 'SIGALRM', 'SIGBUS', 'SIGCONT', 'SIGFPE', 'SIGHUP', 'SIGILL', 'SIGINT', 'SIGIO', 'SIGIOT', 'SIGKILL', 'SIGNULL',
  'SIGPIPE', 'SIGPROF', 'SIGQUIT', 'SIGSEGV', 'SIGSTOP', 'SIGSYS', 'SIGTERM', 'SIGTRAP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU',
  'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGXCPU', 'SIGXFSZ',
];

/**
 * What the task's driver answers to SignalTask: the mock driver its `signal_error` config key; docker
 * refuses a name outside the signal table (signals.Parse formats the nil signal it found, hence
 * `%!q(<nil>)`); exec, raw_exec and java send SIGINT for a name they do not know.
 */
function driverSignalError(task: Obj, signal: string): string | null {
  const cfg = (task.Config as Obj | null) ?? {};
  if (task.Driver === 'mock_driver') return typeof cfg.signal_error === 'string' && cfg.signal_error !== '' ? cfg.signal_error : null;
  if (task.Driver === 'docker' && !VALID_SIGNALS.includes(signal.toUpperCase())) {
    return `failed to parse signal: invalid signal %!q(<nil>) - valid signals are [${VALID_SIGNALS.map((s) => `"${s}"`).join(' ')}]`;
  }
  return null;
}

/**
 * allocRunner.Signal: one named task, or every task (each failure collected as Nomad's multierror).
 * A running task records "Signaling" before its driver answers, so a refused signal still shows.
 */
export function signalAlloc(store: Store, sim: Simulator | null, allocId: string, taskName: string, signal: string): void {
  const alloc = clientAlloc(store, sim, allocId);
  const tasks = groupTasks(alloc);
  const targets = taskName === '' ? tasks : tasks.filter((t) => t.Name === taskName);
  if (taskName !== '' && targets.length === 0) throw new RpcError('Task not found');
  const signaled: Obj[] = [];
  const errors: string[] = [];
  for (const t of targets) {
    if (taskState(sim, alloc, t.Name).state !== 'running') {
      errors.push(taskName === '' ? `Failed to signal task: ${t.Name}, err: ${TASK_NOT_RUNNING}` : TASK_NOT_RUNNING);
      continue;
    }
    signaled.push(t);
    const err = driverSignalError(t, signal);
    if (err !== null) errors.push(taskName === '' ? `Failed to signal task: ${t.Name}, err: ${err}` : err);
  }
  if (signaled.length > 0) sim!.client.runner(allocId)!.signaled(signaled.map((t) => t.Name), signal);
  if (errors.length === 0) return;
  throw new RpcError(taskName === '' ? formatMultiError(errors) : errors[0]!);
}

/**
 * client.RestartAllocation: one task (it must be running), the running tasks, or with `allTasks`
 * every task that is not failed, dead ones included; never an alloc that should no longer run.
 */
export function restartAlloc(store: Store, sim: Simulator | null, allocId: string, taskName: string, allTasks: boolean): void {
  const alloc = clientAlloc(store, sim, allocId);
  if (allTasks && taskName !== '') throw new RpcError('task name cannot be set when restarting all tasks');
  const runner = sim?.client.runner(allocId);
  const tasks = groupTasks(alloc);
  if (taskName !== '') {
    if (!tasks.some((t) => t.Name === taskName)) throw new RpcError(`Could not find task runner for task: ${taskName}`);
    if (!runner || taskState(sim, alloc, taskName).state !== 'running') throw new RpcError(TASK_NOT_RUNNING);
    runner.restart([taskName], 'User requested task to restart');
    return;
  }
  if (!runner?.shouldRun) throw new RpcError('restart of an alloc that should not run');
  // Tasks that cannot restart (pending, or failed) are skipped without an error, as Nomad does.
  const names = tasks
    .map((t) => ({ name: t.Name as string, ...taskState(sim, alloc, t.Name) }))
    .filter((t) => t.state === 'running' || (allTasks && t.state === 'dead' && !t.failed))
    .map((t) => t.name);
  runner.restart(names, allTasks ? 'User requested all tasks to restart' : 'User requested running tasks to restart');
}

/** Allocations.GarbageCollect: the client destroys a terminal alloc's runner and directory, once. */
export function collectAlloc(store: Store, sim: Simulator | null, allocId: string): void {
  clientAlloc(store, sim, allocId);
  if (!sim?.client.collect(allocId)) throw new RpcError('No such allocation on client, or allocation not eligible for GC');
}

/** Allocations.GarbageCollectAll: every terminal alloc on the node the client has not collected yet. */
export function collectNode(store: Store, sim: Simulator | null, nodeId: string): void {
  reachNode(store, sim, nodeId);
  for (const a of store.allocs.values()) if (a.NodeID === nodeId) sim?.client.collect(a.ID);
}
