// Version tags (`PUT|POST|DELETE /v1/job/:id/versions/:name/tag`): a named, described version that
// is never pruned. Tagging the current version rewrites the job row without moving the jobs index.
import type { Job, Obj } from '../types.js';
import { jobKey, type Store, type Txn } from '../store.js';
import { RpcError } from '../errors.js';

export interface TagReply {
  Name: string;
  Description: string;
  TaggedTime: number;
  Index: number;
  LastContact: number;
  KnownLeader: boolean;
  NextToken: string;
}

function replaceVersion(store: Store, tx: Txn, key: string, old: Job, updated: Job): void {
  const versions = store.versions.get(key)!;
  store.versions.set(key, versions.map((v) => (v === old ? updated : v)));
  const cur = store.jobs.get(key);
  if (cur && cur.Version === old.Version) store.jobs.set(key, { ...updated, ModifyIndex: tx.index });
  tx.touch('job_version');
}

export function tagVersion(store: Store, ns: string, jobId: string, name: string, version: number, description: string): TagReply {
  const key = jobKey(ns, jobId);
  const versions = store.versions.get(key);
  if (!versions) throw new RpcError(`job "${jobId}" not found`);
  const target = versions.find((v) => v.Version === version);
  if (!target) throw new RpcError(`job "${jobId}" version ${version} not found`);
  const holder = versions.find((v) => v.VersionTag?.Name === name);
  if (holder && holder !== target) {
    throw new RpcError(`tag "${name}" already exists on a different version of job "${jobId}"`);
  }
  return store.write((tx) => {
    const tag: Obj = { Name: name, Description: description, TaggedTime: store.nowNs() };
    replaceVersion(store, tx, key, target, { ...target, VersionTag: tag });
    return { ...(tag as { Name: string; Description: string; TaggedTime: number }), Index: tx.index, LastContact: 0, KnownLeader: false, NextToken: '' };
  });
}

export function untagVersion(store: Store, ns: string, jobId: string, name: string): TagReply {
  const key = jobKey(ns, jobId);
  const versions = store.versions.get(key);
  if (!versions) throw new RpcError(`job "${jobId}" not found`);
  const holder = versions.find((v) => v.VersionTag?.Name === name);
  if (!holder) throw new RpcError(`tag "${name}" not found`);
  return store.write((tx) => {
    replaceVersion(store, tx, key, holder, { ...holder, VersionTag: null });
    return { Name: '', Description: '', TaggedTime: 0, Index: tx.index, LastContact: 0, KnownLeader: false, NextToken: '' };
  });
}
