// Job.Dispatch (state-semantics §10.1): a parameterized parent spawns a child job and its eval in
// one write; validation texts and their order are Nomad's.
import type { Job } from '../types.js';
import { jobKey, type Store } from '../store.js';
import { RpcError } from '../errors.js';
import { newEval } from '../evaluations/table.js';
import { storeJobVersion } from './ops.js';

export const DISPATCH_PAYLOAD_LIMIT = 16 * 1024;

export interface DispatchArgs {
  namespace: string;
  parentId: string;
  /** Standard base64 of the payload bytes, or null/'' for none. */
  payload: string | null;
  meta: Record<string, string> | null;
  idPrefixTemplate: string;
  priority: number;
  idempotencyToken: string;
}

export interface DispatchReply {
  DispatchedJobID: string;
  EvalID: string;
  EvalCreateIndex: number;
  JobCreateIndex: number;
  Index: number;
}

/** Go's fmt of a []string: `[a b c]`. */
const goList = (xs: string[]): string => `[${xs.join(' ')}]`;

export function dispatchJob(store: Store, args: DispatchArgs): DispatchReply {
  if (!args.parentId) throw new RpcError('missing parameterized job ID');
  const parent = store.jobs.get(jobKey(args.namespace, args.parentId));
  if (!parent) throw new RpcError('parameterized job not found');
  if (!parent.ParameterizedJob || parent.Dispatched) throw new RpcError(`Specified job "${args.parentId}" is not a parameterized job`);
  if (parent.Stop) throw new RpcError(`Specified job "${args.parentId}" is stopped`);
  const priority = args.priority === 0 ? parent.Priority : args.priority;

  const payloadBytes = args.payload ? Buffer.from(args.payload, 'base64').length : 0;
  const mode = String(parent.ParameterizedJob.Payload || 'optional');
  if (mode === 'required' && payloadBytes === 0) throw new RpcError('Payload is not provided but required by parameterized job');
  if (mode === 'forbidden' && payloadBytes > 0) throw new RpcError('Payload provided but forbidden by parameterized job');
  if (payloadBytes > DISPATCH_PAYLOAD_LIMIT) throw new RpcError(`Payload exceeds maximum size; ${payloadBytes} > ${DISPATCH_PAYLOAD_LIMIT}`);
  const required: string[] = parent.ParameterizedJob.MetaRequired ?? [];
  const optional: string[] = parent.ParameterizedJob.MetaOptional ?? [];
  const given = Object.keys(args.meta ?? {});
  const unpermitted = given.filter((k) => !required.includes(k) && !optional.includes(k));
  if (unpermitted.length > 0) throw new RpcError(`Dispatch request included unpermitted metadata keys: ${goList(unpermitted)}`);
  const missing = required.filter((k) => !given.includes(k));
  if (missing.length > 0) throw new RpcError(`Dispatch did not provide required meta keys: ${goList(missing)}`);
  if (priority < 1 || priority > 100) throw new RpcError('dispatch job priority must be between [1, 100]');

  if (args.idempotencyToken) {
    for (const job of store.jobs.values()) {
      if (job.Namespace === args.namespace && job.ParentID === parent.ID && job.ID.startsWith(parent.ID) && job.DispatchIdempotencyToken === args.idempotencyToken) {
        return { DispatchedJobID: job.ID, EvalID: '', EvalCreateIndex: 0, JobCreateIndex: job.CreateIndex, Index: job.ModifyIndex };
      }
    }
  }

  const unix = Math.floor(store.nowNs() / 1e9);
  const suffix = store.newId().replace(/-/g, '').slice(0, 8);
  const id = args.idPrefixTemplate ? `${parent.ID}/dispatch-${args.idPrefixTemplate}-${unix}-${suffix}` : `${parent.ID}/dispatch-${unix}-${suffix}`;
  const child: Job = {
    ...parent,
    ID: id,
    Name: id,
    ParentID: parent.ID,
    Dispatched: true,
    DispatchIdempotencyToken: args.idempotencyToken,
    Priority: priority,
    Meta: parent.Meta || args.meta ? { ...(parent.Meta ?? {}), ...(args.meta ?? {}) } : null,
    Payload: payloadBytes > 0 ? args.payload : null,
    VersionTag: null,
  };
  return store.write((tx) => {
    const { job, eval: ev } = storeJobVersion(store, tx, child, {
      evalFor: parent.Periodic ? undefined : (stored) => newEval(store, stored, { triggeredBy: 'job-register', priority, jobModifyIndex: tx.index }),
    });
    return { DispatchedJobID: job.ID, EvalID: ev?.ID ?? '', EvalCreateIndex: ev ? tx.index : 0, JobCreateIndex: job.CreateIndex, Index: tx.index };
  });
}
