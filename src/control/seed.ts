// Seeding at start-up: every job file of a folder (JSON, or HCL through the jobspec parser), and
// named scenarios from fixtures/scenarios/ — scripted steps over the fixture jobs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Store } from '../../state/store.js';
import type { Obj } from '../../state/types.js';
import { registerJob, deregisterJob } from '../../state/jobs/ops.js';
import { upsertNamespace } from '../../state/namespaces/table.js';
import { dispatchJob } from '../../state/jobs/dispatch.js';
import { forcePeriodic } from '../../state/jobs/periodic.js';
import { parseGoDuration } from '../../state/godur.js';
import type { Clock } from '../clock.js';

export const FIXTURES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures');

export class SeedError extends Error {}

/** Converts HCL to an API job; provided by the jobspec parser when it is available. */
export type HclParser = (source: string, file: string) => Obj | Promise<Obj>;

function register(store: Store, job: Obj, namespace: string | undefined, where: string): void {
  try {
    registerJob(store, { job: { ...job, Namespace: namespace ?? job.Namespace ?? 'default' } });
  } catch (err) {
    throw new SeedError(`${where}: ${(err as Error).message.trim()}`);
  }
}

/** Registers every `*.json`, `*.hcl` and `*.nomad` file of `dir`, in name order. */
export async function seedFromDir(store: Store, dir: string, parseHcl: HclParser | null): Promise<number> {
  if (!existsSync(dir)) throw new SeedError(`${dir}: no such directory`);
  const files = readdirSync(dir).filter((f) => /\.(json|hcl|nomad)$/.test(f)).sort();
  for (const f of files) {
    const path = join(dir, f);
    const text = readFileSync(path, 'utf8');
    let job: Obj;
    if (f.endsWith('.json')) {
      try {
        const doc = JSON.parse(text) as Obj;
        job = (doc.Job as Obj | undefined) ?? doc;
      } catch (err) {
        throw new SeedError(`${path}: ${(err as Error).message}`);
      }
    } else {
      if (!parseHcl) throw new SeedError(`${path}: HCL job files need the jobspec parser, which is not available`);
      try {
        job = await parseHcl(text, path);
      } catch (err) {
        // HCL diagnostics name the file themselves (`<path>:<line>,<col>-<col>: …`).
        const message = (err as Error).message;
        throw new SeedError(message.startsWith(`${path}:`) ? message : `${path}: ${message}`);
      }
    }
    register(store, job, undefined, path);
  }
  return files.length;
}

export function scenarioNames(): string[] {
  const dir = join(FIXTURES_DIR, 'scenarios');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort() : [];
}

function fixtureJob(name: string): Obj {
  const path = join(FIXTURES_DIR, 'jobs', `${name}.json`);
  if (!existsSync(path)) throw new SeedError(`no fixture job ${JSON.stringify(name)}`);
  return JSON.parse(readFileSync(path, 'utf8')) as Obj;
}

/** Runs a named scenario's steps against the store, moving the clock where it says so. */
export async function runScenario(store: Store, clock: Clock, name: string): Promise<void> {
  const path = join(FIXTURES_DIR, 'scenarios', `${name}.json`);
  if (!/^[\w-]+$/.test(name) || !existsSync(path)) {
    throw new SeedError(`unknown scenario ${JSON.stringify(name)} (known: ${scenarioNames().join(', ')})`);
  }
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { Namespaces?: string[]; Steps?: Obj[] };
  for (const ns of doc.Namespaces ?? []) if (!store.namespaces.has(ns)) upsertNamespace(store, { Name: ns, Description: `${name} scenario` });
  for (const [i, step] of (doc.Steps ?? []).entries()) {
    const where = `${path} step ${i + 1}`;
    const ns = (step.Namespace as string | undefined) ?? 'default';
    try {
      if (step.Register !== undefined) {
        const job = typeof step.Register === 'string' ? fixtureJob(step.Register) : (step.Register as Obj);
        register(store, { ...job, ...(step.ID ? { ID: step.ID, Name: step.ID } : {}) }, ns, where);
      } else if (step.Advance !== undefined) {
        const ns = parseGoDuration(String(step.Advance));
        if (ns === null || ns < 0) throw new SeedError(`bad Advance ${JSON.stringify(step.Advance)}`);
        await clock.advance(ns / 1e6);
      } else if (step.Dispatch !== undefined) {
        dispatchJob(store, { namespace: ns, parentId: String(step.Dispatch), payload: (step.Payload as string) ?? null, meta: (step.Meta as Record<string, string>) ?? null, idPrefixTemplate: '', priority: 0, idempotencyToken: '' });
      } else if (step.Force !== undefined) {
        forcePeriodic(store, ns, String(step.Force));
      } else if (step.Stop !== undefined) {
        deregisterJob(store, { namespace: ns, jobId: String(step.Stop), purge: Boolean(step.Purge) });
      } else {
        throw new SeedError('a step needs Register, Advance, Dispatch, Force or Stop');
      }
    } catch (err) {
      if (err instanceof SeedError && err.message.startsWith(path)) throw err;
      throw new SeedError(`${where}: ${(err as Error).message.trim()}`);
    }
    await clock.settle();
  }
}
