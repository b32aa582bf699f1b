// Reads of evaluations outside a job: by ID, related chain, and the filtered, paginated list.
import type { Evaluation, Obj } from '../types.js';
import type { Store } from '../store.js';
import { listByCreateIndex, type ListOptions } from '../list-queries.js';

export function getEval(store: Store, id: string): { ev: Evaluation | undefined; index: number } {
  const ev = store.evals.get(id);
  return { ev, index: ev ? ev.ModifyIndex : store.tableIndex('evals') };
}

export function evalStub(e: Evaluation): Obj {
  return {
    ID: e.ID,
    Namespace: e.Namespace,
    Priority: e.Priority,
    Type: e.Type,
    TriggeredBy: e.TriggeredBy,
    JobID: e.JobID,
    NodeID: e.NodeID,
    DeploymentID: e.DeploymentID,
    Status: e.Status,
    StatusDescription: e.StatusDescription,
    WaitUntil: e.WaitUntil,
    NextEval: e.NextEval,
    PreviousEval: e.PreviousEval,
    BlockedEval: e.BlockedEval,
    CreateIndex: e.CreateIndex,
    ModifyIndex: e.ModifyIndex,
    CreateTime: e.CreateTime,
    ModifyTime: e.ModifyTime,
  };
}

/** Every eval reachable through NextEval/PreviousEval/BlockedEval links, as stubs. */
export function relatedEvals(store: Store, ev: Evaluation): Obj[] {
  const seen = new Set([ev.ID]);
  const queue = [ev];
  const out: Obj[] = [];
  while (queue.length > 0) {
    const cur = queue.shift()!;
    for (const id of [cur.NextEval, cur.PreviousEval, cur.BlockedEval]) {
      if (!id || seen.has(id)) continue;
      seen.add(id);
      const next = store.evals.get(id);
      if (next) {
        out.push(evalStub(next));
        queue.push(next);
      }
    }
  }
  return out;
}

export interface EvalListOptions {
  namespace: string;
  prefix: string;
  reverse: boolean;
  perPage: number;
  nextToken: string;
  accept?: (e: Evaluation) => boolean;
}

export function listEvals(store: Store, opts: EvalListOptions): { evals: Evaluation[]; nextToken: string; index: number } {
  const { items, nextToken } = listByCreateIndex(store.evals.values(), opts as ListOptions);
  return { evals: items as Evaluation[], nextToken, index: store.tableIndex('evals') };
}
