// Nomad-native service registrations (the service_registrations table). A simulated client
// registers an allocation's `provider = "nomad"` services when the allocation runs and removes them
// when it stops, as the client's service hooks do through ServiceRegistration.Upsert and
// DeleteByID; the registration rides on the allocation's own write here. An operator may delete one
// (DELETE /v1/service/:name/:id); it stays gone for the allocation's life, as on a real client that
// only registers again on restart.
import { Type } from '@sinclair/typebox';
import { registerSnapshotPart } from '../snapshot/snapshot.js';
import { SchemaTypes as S } from '../snapshot/schema.js';
import type { Store, Txn } from '../store.js';
import type { Obj } from '../types.js';
import { RpcError } from '../errors.js';
import { portFor } from '../jobs/children.js';

interface Registrations {
  byId: Map<string, Obj>;
  /** Allocations whose services were registered (their rows may since have been deleted). */
  byAlloc: Map<string, Set<string>>;
}

const tables = new WeakMap<Store, Registrations>();

export function registrations(store: Store): Registrations {
  let t = tables.get(store);
  if (!t) tables.set(store, (t = { byId: new Map(), byAlloc: new Map() }));
  return t;
}

const isLive = (a: Obj): boolean => a.ClientStatus === 'running' && a.DesiredStatus === 'run';

/** client/serviceregistration MakeAllocServiceID: group services use the task name `group-<name>`. */
export const serviceId = (allocId: string, task: string, service: Obj): string => `_nomad-task-${allocId}-${task}-${service.Name ?? ''}-${service.PortLabel ?? ''}`;

/**
 * GetAddress in host/auto mode: the node's address, and for a port label the reserved port or the
 * dynamic port the simulated client picked (the same pick `/v1/job/:id/services` always reported).
 */
function address(store: Store, alloc: Obj, tg: Obj, portLabel: string): { Address: string; Port: number } {
  const node = store.nodes.get(alloc.NodeID);
  const ip = String(node?.Attributes?.['unique.network.ip-address'] ?? '127.0.0.1');
  return { Address: ip, Port: portLabel ? portFor(tg, alloc.ID, portLabel) : 0 };
}

function build(store: Store, tx: Txn, alloc: Obj): Obj[] {
  const job = alloc.Job as Obj | undefined;
  const tg = (job?.TaskGroups as Obj[] | undefined)?.find((g) => g.Name === alloc.TaskGroup);
  if (!tg) return [];
  const canary = alloc.DeploymentStatus?.Canary === true;
  const node = store.nodes.get(alloc.NodeID);
  const out: Obj[] = [];
  const add = (task: string, s: Obj): void => {
    if (s?.Provider !== 'nomad') return;
    const tags = canary && Array.isArray(s.CanaryTags) && s.CanaryTags.length > 0 ? s.CanaryTags : (s.Tags ?? null);
    out.push({
      ID: serviceId(alloc.ID, task, s),
      ServiceName: String(s.Name ?? ''),
      Namespace: alloc.Namespace,
      NodeID: alloc.NodeID,
      Datacenter: String(node?.Datacenter ?? ''),
      JobID: alloc.JobID,
      AllocID: alloc.ID,
      Tags: tags,
      ...address(store, alloc, tg, String(s.PortLabel ?? '')),
      CreateIndex: tx.index,
      ModifyIndex: tx.index,
    });
  };
  for (const s of (tg.Services as Obj[] | null) ?? []) add(`group-${tg.Name}`, s);
  for (const t of (tg.Tasks as Obj[] | null) ?? []) for (const s of (t.Services as Obj[] | null) ?? []) add(t.Name, s);
  return out;
}

const emit = (tx: Txn, reg: Obj, type: string): void =>
  tx.emit('Service', reg.ID, reg.Namespace, [reg.JobID, reg.ServiceName], { Service: reg }, type);

function deregister(tx: Txn, t: Registrations, allocId: string): void {
  const ids = t.byAlloc.get(allocId);
  if (!ids) return;
  t.byAlloc.delete(allocId);
  for (const id of ids) {
    const reg = t.byId.get(id);
    if (!reg) continue;
    t.byId.delete(id);
    emit(tx, reg, 'ServiceDeregistration');
  }
  tx.touch('service_registrations');
}

/** Called with every allocation a write stores: registers on running, deregisters on stop. */
export function syncAllocServices(store: Store, tx: Txn, alloc: Obj): void {
  const t = registrations(store);
  const known = t.byAlloc.has(alloc.ID);
  if (isLive(alloc)) {
    if (known) return;
    const regs = build(store, tx, alloc);
    if (regs.length === 0) return;
    t.byAlloc.set(alloc.ID, new Set(regs.map((r) => r.ID)));
    for (const r of regs) {
      t.byId.set(r.ID, r);
      emit(tx, r, 'ServiceRegistration');
    }
    tx.touch('service_registrations');
  } else if (known) {
    deregister(tx, t, alloc.ID);
  }
}

/** An allocation deleted from the store (job purge) takes its registrations with it. */
export function dropAllocServices(store: Store, tx: Txn, allocId: string): void {
  deregister(tx, registrations(store), allocId);
}

/** ServiceRegistration.DeleteByID: in the request's namespace; Nomad's error when absent. */
export function deleteRegistration(store: Store, namespace: string, id: string): { index: number } {
  const t = registrations(store);
  const reg = t.byId.get(id);
  if (!reg || reg.Namespace !== namespace) throw new RpcError('service registration not found');
  return store.write((tx) => {
    t.byId.delete(id);
    t.byAlloc.get(reg.AllocID)?.delete(id);
    tx.touch('service_registrations');
    emit(tx, reg, 'ServiceDeregistration');
    return { index: tx.index };
  });
}

const byNsId = (a: Obj, b: Obj): number => (a.Namespace < b.Namespace ? -1 : a.Namespace > b.Namespace ? 1 : a.ID < b.ID ? -1 : a.ID > b.ID ? 1 : 0);

/** All registrations in memdb's id order (Namespace, ID), optionally of one namespace. */
export function listRegistrations(store: Store, namespace: string | null): Obj[] {
  return [...registrations(store).byId.values()].filter((r) => namespace === null || r.Namespace === namespace).sort(byNsId);
}

/**
 * ServiceRegistration.List: per namespace, each service name with the union of its tags. Nomad
 * builds both from Go maps (unordered); here namespaces, services and tags are sorted.
 */
export function serviceStubs(regs: Obj[]): Obj[] {
  const byNs = new Map<string, Map<string, Set<string>>>();
  for (const r of regs) {
    let names = byNs.get(r.Namespace);
    if (!names) byNs.set(r.Namespace, (names = new Map()));
    let tags = names.get(r.ServiceName);
    if (!tags) names.set(r.ServiceName, (tags = new Set()));
    for (const tag of (r.Tags as string[] | null) ?? []) tags.add(tag);
  }
  return [...byNs.keys()].sort().map((ns) => ({
    Namespace: ns,
    Services: [...byNs.get(ns)!.keys()].sort().map((name) => ({ ServiceName: name, Tags: [...byNs.get(ns)!.get(name)!].sort() })),
  }));
}

const Reg = Type.Object({
  ID: S.Str,
  ServiceName: S.Str,
  Namespace: S.Str,
  NodeID: S.Str,
  Datacenter: S.Str,
  JobID: S.Str,
  AllocID: S.Str,
  Tags: S.Nullable(S.Strs),
  Address: S.Str,
  Port: S.Num,
  CreateIndex: S.Idx,
  ModifyIndex: S.Idx,
});

registerSnapshotPart('service_registrations', {
  schema: Type.Object({ Registrations: Type.Array(Reg), Allocs: S.Strs }),
  tables: ['service_registrations'],
  save(store: Store): unknown {
    const t = registrations(store);
    return { Registrations: [...t.byId.values()], Allocs: [...t.byAlloc.keys()] };
  },
  load(store: Store, data: unknown): void {
    const t: Registrations = { byId: new Map(), byAlloc: new Map() };
    const d = data as { Registrations: Obj[]; Allocs: string[] } | undefined;
    if (d) {
      for (const a of d.Allocs) t.byAlloc.set(a, new Set());
      for (const r of d.Registrations) {
        t.byId.set(r.ID, r);
        let ids = t.byAlloc.get(r.AllocID);
        if (!ids) t.byAlloc.set(r.AllocID, (ids = new Set()));
        ids.add(r.ID);
      }
    } else {
      // A document without the part: what the running allocations it holds would have registered.
      for (const a of store.allocs.values()) {
        if (!isLive(a)) continue;
        const fake = { index: a.ModifyIndex, touch() {}, emit() {} } as unknown as Txn;
        const regs = build(store, fake, a);
        if (regs.length === 0) continue;
        t.byAlloc.set(a.ID, new Set(regs.map((r) => r.ID)));
        for (const r of regs) t.byId.set(r.ID, r);
      }
    }
    tables.set(store, t);
  },
  replaceNamespace(store: Store, current: unknown, initial: unknown, ns: string): unknown {
    type Saved = { Registrations: Obj[]; Allocs: string[] };
    const cur = current as Saved;
    const init = (initial as Saved | undefined) ?? { Registrations: [], Allocs: [] };
    // The tracked allocs carry no namespace: the store (already back to ns's start-up rows) says.
    const nsOf = (id: string): string | undefined => store.allocs.get(id)?.Namespace;
    return {
      Registrations: [...cur.Registrations.filter((r) => r.Namespace !== ns), ...init.Registrations.filter((r) => r.Namespace === ns)],
      Allocs: [...cur.Allocs.filter((id) => nsOf(id) !== undefined && nsOf(id) !== ns), ...init.Allocs.filter((id) => nsOf(id) === ns)],
    };
  },
});
