// The cluster-wide operator settings Nomad keeps in Raft: the scheduler configuration
// (nomad/state SchedulerConfig, table scheduler_config) and the autopilot configuration (table
// autopilot-config). Kept per Store; they ride along in snapshots, resets and the data dir.
import { Type } from '@sinclair/typebox';
import type { Store } from '../store.js';
import type { Obj } from '../types.js';
import { registerSnapshotPart } from '../snapshot/snapshot.js';
import { SchemaTypes as S } from '../snapshot/schema.js';

/** The index of the store's bootstrap write, at which the dev agent's leader writes its defaults. */
const BOOTSTRAP_INDEX = 1;

export interface SchedulerConfig {
  SchedulerAlgorithm: string;
  PreemptionConfig: { SystemSchedulerEnabled: boolean; SysBatchSchedulerEnabled: boolean; BatchSchedulerEnabled: boolean; ServiceSchedulerEnabled: boolean };
  MemoryOversubscriptionEnabled: boolean;
  RejectJobRegistration: boolean;
  PauseEvalBroker: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface AutopilotConfig {
  CleanupDeadServers: boolean;
  /** Nanoseconds. */
  LastContactThreshold: number;
  MaxTrailingLogs: number;
  MinQuorum: number;
  /** Nanoseconds. */
  ServerStabilizationTime: number;
  EnableRedundancyZones: boolean;
  DisableUpgradeMigration: boolean;
  EnableCustomUpgrades: boolean;
  CreateIndex: number;
  ModifyIndex: number;
}

interface OperatorState {
  scheduler: SchedulerConfig;
  autopilot: AutopilotConfig;
}

/** The server's default_scheduler_config (binpack, system preemption only). */
export function defaultSchedulerConfig(index = BOOTSTRAP_INDEX): SchedulerConfig {
  return {
    SchedulerAlgorithm: 'binpack',
    PreemptionConfig: { SystemSchedulerEnabled: true, SysBatchSchedulerEnabled: false, BatchSchedulerEnabled: false, ServiceSchedulerEnabled: false },
    MemoryOversubscriptionEnabled: false,
    RejectJobRegistration: false,
    PauseEvalBroker: false,
    CreateIndex: index,
    ModifyIndex: index,
  };
}

/** The agent's default autopilot block (agent/self reports the same values). */
export function defaultAutopilotConfig(index = BOOTSTRAP_INDEX): AutopilotConfig {
  return {
    CleanupDeadServers: true,
    LastContactThreshold: 200_000_000,
    MaxTrailingLogs: 250,
    MinQuorum: 0,
    ServerStabilizationTime: 10_000_000_000,
    EnableRedundancyZones: false,
    DisableUpgradeMigration: false,
    EnableCustomUpgrades: false,
    CreateIndex: index,
    ModifyIndex: index,
  };
}

const states = new WeakMap<Store, OperatorState>();

function state(store: Store): OperatorState {
  let s = states.get(store);
  if (!s) {
    s = { scheduler: defaultSchedulerConfig(), autopilot: defaultAutopilotConfig() };
    states.set(store, s);
  }
  return s;
}

export const schedulerConfig = (store: Store): SchedulerConfig => state(store).scheduler;
export const autopilotConfig = (store: Store): AutopilotConfig => state(store).autopilot;

/** Listeners told after a scheduler configuration write or replacement (the simulator's eval broker). */
const listeners = new WeakMap<Store, Set<(cfg: SchedulerConfig) => void>>();

export function onSchedulerConfig(store: Store, fn: (cfg: SchedulerConfig) => void): () => void {
  let set = listeners.get(store);
  if (!set) listeners.set(store, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

function announce(store: Store): void {
  const cfg = schedulerConfig(store);
  for (const fn of listeners.get(store) ?? []) fn(cfg);
}

type SchedulerInput = Omit<SchedulerConfig, 'CreateIndex' | 'ModifyIndex'>;

/**
 * SchedulerSetConfiguration: one Raft write either way. With `cas`, the write applies only when it
 * matches the stored ModifyIndex (`Updated: false` otherwise, the index still consumed).
 */
export function setSchedulerConfig(store: Store, input: SchedulerInput, cas: number | null): { Updated: boolean; Index: number } {
  const out = store.write((tx) => {
    const cur = schedulerConfig(store);
    if (cas !== null && cur.ModifyIndex !== cas) return { Updated: false, Index: tx.index };
    state(store).scheduler = { ...input, PreemptionConfig: { ...input.PreemptionConfig }, CreateIndex: cur.CreateIndex, ModifyIndex: tx.index };
    tx.touch('scheduler_config');
    return { Updated: true, Index: tx.index };
  });
  if (out.Updated) announce(store);
  return out;
}

type AutopilotInput = Omit<AutopilotConfig, 'CreateIndex' | 'ModifyIndex'>;

/** AutopilotSetConfiguration: like the scheduler's, and the answer is only whether it applied. */
export function setAutopilotConfig(store: Store, input: AutopilotInput, cas: number | null): boolean {
  return store.write((tx) => {
    const cur = autopilotConfig(store);
    if (cas !== null && cur.ModifyIndex !== cas) return false;
    state(store).autopilot = { ...input, CreateIndex: cur.CreateIndex, ModifyIndex: tx.index };
    tx.touch('autopilot_config');
    return true;
  });
}

const Preemption = Type.Object({ SystemSchedulerEnabled: S.Bool, SysBatchSchedulerEnabled: S.Bool, BatchSchedulerEnabled: S.Bool, ServiceSchedulerEnabled: S.Bool });

registerSnapshotPart('operator', {
  tables: ['scheduler_config', 'autopilot_config'],
  schema: Type.Object({
    SchedulerConfig: Type.Object({
      SchedulerAlgorithm: Type.Union([Type.Literal('binpack'), Type.Literal('spread'), Type.Literal('')]),
      PreemptionConfig: Preemption,
      MemoryOversubscriptionEnabled: S.Bool,
      RejectJobRegistration: S.Bool,
      PauseEvalBroker: S.Bool,
      CreateIndex: S.Idx,
      ModifyIndex: S.Idx,
    }),
    AutopilotConfig: Type.Object({
      CleanupDeadServers: S.Bool,
      LastContactThreshold: S.Idx,
      MaxTrailingLogs: S.Idx,
      MinQuorum: S.Idx,
      ServerStabilizationTime: S.Idx,
      EnableRedundancyZones: S.Bool,
      DisableUpgradeMigration: S.Bool,
      EnableCustomUpgrades: S.Bool,
      CreateIndex: S.Idx,
      ModifyIndex: S.Idx,
    }),
  }),
  save(store: Store): unknown {
    const s = state(store);
    return { SchedulerConfig: s.scheduler, AutopilotConfig: s.autopilot };
  },
  load(store: Store, data: unknown): void {
    // A document from before these settings existed gets the defaults.
    const d = (data ?? {}) as { SchedulerConfig?: Obj; AutopilotConfig?: Obj };
    states.set(store, {
      scheduler: d.SchedulerConfig ? (structuredClone(d.SchedulerConfig) as SchedulerConfig) : defaultSchedulerConfig(),
      autopilot: d.AutopilotConfig ? (structuredClone(d.AutopilotConfig) as AutopilotConfig) : defaultAutopilotConfig(),
    });
    announce(store);
  },
});
