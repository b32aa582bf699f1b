// Runtime configuration: embedded defaults, overridden by NOMAD_MOCK_* env vars, overridden by flags.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { closest, distance } from 'fastest-levenshtein';
import type { NodeSpec } from '../state/nodes/table.js';
import { CONFIG_KEYS, NodeSpecError, readSpec, type SpecInput } from '../state/nodes/spec.js';
import { MAX_SCALE, MAX_SIM_MS, MIN_SCALE } from './clock.js';
import { parseGoDuration } from '../state/hcl/duration.js';
import { DEFAULT_NOMAD_VERSION, parseNomadVersion } from '../state/version.js';

export interface Config {
  port: number;
  bind: string;
  logLevel: string;
  /** `pretty` (one readable line per event), `json` (pino's lines), or `auto`: pretty on a terminal. */
  logFormat: string;
  region: string;
  /** The Nomad release claimed and whose rules apply: 1.11.x or 2.0.x (state/version.ts). */
  nomadVersion: string;
  /** `scaled` (simulated time runs timeScale× faster than the wall clock) or `manual`. */
  clock: string;
  timeScale: number;
  /** RFC 3339 start of simulated time; empty = the wall clock at start-up. */
  clockStart: string;
  /** Cluster preset: `dev` (one node, like `nomad agent -dev`) or `server-only` (no client nodes). */
  cluster: string;
  /** Number of generated nodes; -1 means "as the cluster preset says". */
  nodes: number;
  datacenters: string;
  nodePool: string;
  nodeCpu: number;
  nodeMemory: number;
  /** A JSON file: `{ "nodes": [NodeSpec…] }` replaces the generated nodes. */
  configFile: string;
  /** Makes every generated ID and simulated choice repeatable. */
  seed: string;
  /** Persist the state here (a write-ahead log synced before each answer) and reload it on start. */
  dataDir: string;
  /** Register every job file (JSON or HCL) of this folder at start-up. */
  jobsDir: string;
  /** Run fixtures/scenarios/<name>.json at start-up. */
  scenario: string;
  /** ACL mode: tokens, policies and `403 Permission denied` like an agent with `acl { enabled = true }`. */
  acl: boolean;
  /** Run the lifecycle simulator; false keeps a bare store (no nodes, evals stay pending). */
  simulate: boolean;
  /** Server GC (Nomad's `server` block): Go durations on the simulated clock. */
  jobGcThreshold: string;
  jobGcInterval: string;
  evalGcThreshold: string;
  batchEvalGcThreshold: string;
  evalGcInterval: string;
  deploymentGcThreshold: string;
  deploymentGcInterval: string;
  nodeGcThreshold: string;
  nodeGcInterval: string;
  /** Serve the control API under /_mock/ (false: those paths answer as unknown paths do). */
  control: boolean;
  /** When set, every /_mock/ request but GET /_mock/health must carry it (src/control/access.ts). */
  controlToken: string;
  /** Serve the web UI under /ui/ (false: Nomad's "UI is disabled" page there; the API is the same). */
  ui: boolean;
  /** Filled from configFile; not a flag. */
  nodeSpecs?: NodeSpec[];
}

export const DEFAULTS: Config = {
  port: 4646,
  bind: '127.0.0.1',
  logLevel: 'info',
  logFormat: 'auto',
  region: 'global',
  nomadVersion: DEFAULT_NOMAD_VERSION,
  clock: 'scaled',
  timeScale: 100,
  clockStart: '',
  cluster: 'dev',
  nodes: -1,
  datacenters: 'dc1',
  nodePool: 'default',
  nodeCpu: 10000,
  nodeMemory: 16384,
  configFile: '',
  acl: false,
  simulate: true,
  control: true,
  controlToken: '',
  ui: true,
  seed: '',
  dataDir: '',
  jobsDir: '',
  scenario: '',
  // nomad/config.go DefaultConfig
  jobGcThreshold: '4h',
  jobGcInterval: '5m',
  evalGcThreshold: '1h',
  batchEvalGcThreshold: '24h',
  evalGcInterval: '5m',
  deploymentGcThreshold: '1h',
  deploymentGcInterval: '5m',
  nodeGcThreshold: '24h',
  nodeGcInterval: '5m',
};

/** The GC settings with the names of Nomad's server config, as the config file's `server` block takes them. */
export const GC_KEYS: { key: keyof Config; name: string; interval: boolean }[] = [
  { key: 'jobGcThreshold', name: 'job_gc_threshold', interval: false },
  { key: 'jobGcInterval', name: 'job_gc_interval', interval: true },
  { key: 'evalGcThreshold', name: 'eval_gc_threshold', interval: false },
  { key: 'batchEvalGcThreshold', name: 'batch_eval_gc_threshold', interval: false },
  { key: 'evalGcInterval', name: 'eval_gc_interval', interval: true },
  { key: 'deploymentGcThreshold', name: 'deployment_gc_threshold', interval: false },
  { key: 'deploymentGcInterval', name: 'deployment_gc_interval', interval: true },
  { key: 'nodeGcThreshold', name: 'node_gc_threshold', interval: false },
  { key: 'nodeGcInterval', name: 'node_gc_interval', interval: true },
];

/** A GC interval shorter than this would make a long clock advance run the collectors without end. */
export const MIN_GC_INTERVAL_NS = 1e9;

/** Nanoseconds of a GC setting, or an error text naming what is wrong with it. */
export function gcDurationNs(value: string, interval: boolean): number | string {
  let ns: number;
  try {
    ns = parseGoDuration(value);
  } catch (err) {
    return `${(err as Error).message} (a Go duration such as 4h, 30m or 1h30m)`;
  }
  if (ns > 9223372036854775807) return `time: invalid duration ${JSON.stringify(value)}`;
  if (ns < 0) return `negative duration ${JSON.stringify(value)}`;
  if (interval && ns < MIN_GC_INTERVAL_NS) return `interval ${JSON.stringify(value)} is shorter than 1s`;
  return ns;
}

const NUMERIC: (keyof Config)[] = ['timeScale', 'nodes', 'nodeCpu', 'nodeMemory'];

/** Node count of each `--cluster` preset. */
export const CLUSTER_PRESETS: Record<string, number> = { dev: 1, 'server-only': 0 };
/** The most nodes one server generates: each is a store record and a scheduler candidate. */
export const MAX_NODES = 10_000;
const BOOLEAN: (keyof Config)[] = ['acl', 'simulate', 'control', 'ui'];
/** The boolean spellings a flag or env var may take (any case); a bare boolean flag means true. */
const BOOLEAN_WORDS = new Map([['true', true], ['false', false], ['1', true], ['0', false], ['yes', true], ['no', false], ['on', true], ['off', false]]);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const LOG_FORMATS = ['auto', 'pretty', 'json'];

export const FLAGS: { flag: string; env: string; key: keyof Config; help: string }[] = [
  { flag: '--port', env: 'NOMAD_MOCK_PORT', key: 'port', help: 'TCP port to listen on; 0 picks a free one' },
  { flag: '--bind', env: 'NOMAD_MOCK_BIND', key: 'bind', help: 'address to bind' },
  { flag: '--log-level', env: 'NOMAD_MOCK_LOG_LEVEL', key: 'logLevel', help: `one of ${LOG_LEVELS.join(', ')}` },
  { flag: '--log-format', env: 'NOMAD_MOCK_LOG_FORMAT', key: 'logFormat', help: 'pretty (one readable line per event), json (pino JSON lines) or auto (pretty on a terminal, json otherwise)' },
  { flag: '--region', env: 'NOMAD_MOCK_REGION', key: 'region', help: "the agent's region" },
  { flag: '--nomad-version', env: 'NOMAD_MOCK_NOMAD_VERSION', key: 'nomadVersion', help: `the Nomad release to claim and whose rules to apply: 1.11, 2.0 or a full 1.11.x / 2.0.x` },
  { flag: '--clock', env: 'NOMAD_MOCK_CLOCK', key: 'clock', help: 'scaled (simulated time runs --time-scale times faster) or manual (moves only when told)' },
  { flag: '--time-scale', env: 'NOMAD_MOCK_TIME_SCALE', key: 'timeScale', help: 'simulated milliseconds per wall-clock millisecond in scaled mode' },
  { flag: '--clock-start', env: 'NOMAD_MOCK_CLOCK_START', key: 'clockStart', help: 'RFC 3339 time the simulated clock starts at (default: now)' },
  { flag: '--cluster', env: 'NOMAD_MOCK_CLUSTER', key: 'cluster', help: 'cluster preset: dev (one client node, like nomad agent -dev) or server-only (no client nodes: evaluations block, jobs stay pending until a node is added); --nodes or the config file\'s node list, when given, set the node count instead' },
  { flag: '--nodes', env: 'NOMAD_MOCK_NODES', key: 'nodes', help: 'number of simulated client nodes, 0 to ' + MAX_NODES + ' (overrides the --cluster preset)' },
  { flag: '--datacenters', env: 'NOMAD_MOCK_DATACENTERS', key: 'datacenters', help: 'comma-separated datacenters the nodes are spread over' },
  { flag: '--node-pool', env: 'NOMAD_MOCK_NODE_POOL', key: 'nodePool', help: 'node pool of the simulated nodes' },
  { flag: '--node-cpu', env: 'NOMAD_MOCK_NODE_CPU', key: 'nodeCpu', help: 'CPU of each node in MHz' },
  { flag: '--node-memory', env: 'NOMAD_MOCK_NODE_MEMORY', key: 'nodeMemory', help: 'memory of each node in MB' },
  { flag: '--seed', env: 'NOMAD_MOCK_SEED', key: 'seed', help: 'make every generated ID and simulated choice repeatable (with --clock manual, bodies are byte-identical across runs)' },
  { flag: '--data-dir', env: 'NOMAD_MOCK_DATA_DIR', key: 'dataDir', help: 'persist the state in this folder (every acknowledged write survives a crash) and reload it on start' },
  { flag: '--jobs-dir', env: 'NOMAD_MOCK_JOBS_DIR', key: 'jobsDir', help: 'register every job file (*.json, *.hcl, *.nomad) of this folder at start-up' },
  { flag: '--scenario', env: 'NOMAD_MOCK_SCENARIO', key: 'scenario', help: 'run a named scenario from fixtures/scenarios at start-up (empty, busy)' },
  { flag: '--simulate', env: 'NOMAD_MOCK_SIMULATE', key: 'simulate', help: 'run the lifecycle simulator (false: a bare store with no nodes, where evaluations stay pending)' },
  { flag: '--acl', env: 'NOMAD_MOCK_ACL', key: 'acl', help: 'ACL mode (true/false/1/0; a bare --acl means true): POST /v1/acl/bootstrap, tokens via X-Nomad-Token or Authorization: Bearer, 403 Permission denied' },
  { flag: '--control', env: 'NOMAD_MOCK_CONTROL', key: 'control', help: 'serve the control API under /_mock/ (false: those paths answer 404 like any unknown path; the in-process control handle still works)' },
  { flag: '--control-token', env: 'NOMAD_MOCK_CONTROL_TOKEN', key: 'controlToken', help: 'require this secret on every /_mock/ request (X-Nomad-Mock-Token header or Authorization: Bearer) except GET /_mock/health' },
  { flag: '--ui', env: 'NOMAD_MOCK_UI', key: 'ui', help: 'serve the web UI under /ui/ (false: /ui/ answers Nomad\'s "Nomad UI is disabled" page; API answers are the same either way)' },
  { flag: '--job-gc-threshold', env: 'NOMAD_MOCK_JOB_GC_THRESHOLD', key: 'jobGcThreshold', help: 'simulated age a stopped or dead job must reach before the GC deletes it' },
  { flag: '--job-gc-interval', env: 'NOMAD_MOCK_JOB_GC_INTERVAL', key: 'jobGcInterval', help: 'simulated time between job GC passes (at least 1s)' },
  { flag: '--eval-gc-threshold', env: 'NOMAD_MOCK_EVAL_GC_THRESHOLD', key: 'evalGcThreshold', help: 'simulated age a terminal evaluation (and its allocations) must reach before the GC deletes it' },
  { flag: '--batch-eval-gc-threshold', env: 'NOMAD_MOCK_BATCH_EVAL_GC_THRESHOLD', key: 'batchEvalGcThreshold', help: 'the same for evaluations of batch jobs' },
  { flag: '--eval-gc-interval', env: 'NOMAD_MOCK_EVAL_GC_INTERVAL', key: 'evalGcInterval', help: 'simulated time between evaluation GC passes (at least 1s)' },
  { flag: '--deployment-gc-threshold', env: 'NOMAD_MOCK_DEPLOYMENT_GC_THRESHOLD', key: 'deploymentGcThreshold', help: 'simulated age a terminal deployment must reach before the GC deletes it' },
  { flag: '--deployment-gc-interval', env: 'NOMAD_MOCK_DEPLOYMENT_GC_INTERVAL', key: 'deploymentGcInterval', help: 'simulated time between deployment GC passes (at least 1s)' },
  { flag: '--node-gc-threshold', env: 'NOMAD_MOCK_NODE_GC_THRESHOLD', key: 'nodeGcThreshold', help: 'simulated time a node must have been down before the GC deletes it' },
  { flag: '--node-gc-interval', env: 'NOMAD_MOCK_NODE_GC_INTERVAL', key: 'nodeGcInterval', help: 'simulated time between node GC passes (at least 1s)' },
  { flag: '--config', env: 'NOMAD_MOCK_CONFIG', key: 'configFile', help: 'JSON file with {"nodes": [{name, datacenter, nodePool, nodeClass, cpu, memoryMB, diskMB, attributes, meta, drivers}] (an empty list: no nodes), "server": {"job_gc_threshold": "4h", …}, "control": {"enabled": true, "token": "…"}} (env and flags win over the file)' },
];

export class ConfigError extends Error {}

function assign(cfg: Config, key: keyof Config, value: string, source: string): void {
  if (key === 'port') {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 65535) throw new ConfigError(`${source}: invalid port ${JSON.stringify(value)}`);
    cfg.port = n;
  } else if (BOOLEAN.includes(key)) {
    const word = BOOLEAN_WORDS.get(value.toLowerCase());
    if (word === undefined) throw new ConfigError(`${source}: expected true or false (also 1/0, yes/no, on/off), got ${JSON.stringify(value)}`);
    (cfg[key] as boolean) = word;
  } else if (NUMERIC.includes(key)) {
    const n = Number(value);
    // Zero nodes is a server with no clients; every other number must be positive.
    if (!/^\d+(\.\d+)?$/.test(value) || (n <= 0 && !(key === 'nodes' && n === 0)) || (key !== 'timeScale' && !Number.isInteger(n))) {
      throw new ConfigError(`${source}: invalid number ${JSON.stringify(value)}`);
    }
    if (key === 'nodes' && n > MAX_NODES) throw new ConfigError(`${source}: at most ${MAX_NODES} nodes`);
    if (key === 'timeScale' && !(n >= MIN_SCALE && n <= MAX_SCALE)) {
      throw new ConfigError(`${source}: time scale must be between ${MIN_SCALE} and ${MAX_SCALE}`);
    }
    (cfg[key] as number) = n;
  } else if (key === 'cluster') {
    if (!(value in CLUSTER_PRESETS)) throw new ConfigError(`${source}: cluster must be one of ${Object.keys(CLUSTER_PRESETS).join(', ')}`);
    cfg.cluster = value;
  } else if (key === 'clock') {
    if (value !== 'scaled' && value !== 'manual') throw new ConfigError(`${source}: clock must be scaled or manual`);
    cfg.clock = value;
  } else if (key === 'clockStart') {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new ConfigError(`${source}: invalid time ${JSON.stringify(value)}`);
    if (ms < 0 || ms > MAX_SIM_MS) throw new ConfigError(`${source}: the clock must start between 1970-01-01T00:00:00Z and ${new Date(MAX_SIM_MS).toISOString().replace('.000Z', 'Z')}`);
    cfg.clockStart = value;
  } else if (GC_KEYS.some((g) => g.key === key)) {
    const ns = gcDurationNs(value, GC_KEYS.find((g) => g.key === key)!.interval);
    if (typeof ns === 'string') throw new ConfigError(`${source}: ${ns}`);
    (cfg[key] as string) = value;
  } else if (key === 'nomadVersion') {
    const v = parseNomadVersion(value);
    if (typeof v === 'string') throw new ConfigError(`${source}: ${v}`);
    cfg.nomadVersion = v.version;
  } else if (key === 'logFormat') {
    if (!LOG_FORMATS.includes(value)) throw new ConfigError(`${source}: log format must be one of ${LOG_FORMATS.join(', ')}`);
    cfg.logFormat = value;
  } else if (key === 'logLevel') {
    if (!LOG_LEVELS.includes(value)) throw new ConfigError(`${source}: invalid log level ${JSON.stringify(value)}`);
    cfg.logLevel = value;
  } else {
    if (value === '') throw new ConfigError(`${source}: empty value`);
    (cfg[key] as string) = value;
  }
}

/** How many nodes to generate: --nodes when given, else the --cluster preset's count. */
export function nodeCount(cfg: Pick<Config, 'nodes' | 'cluster'>): number {
  if (cfg.nodes >= 0) return cfg.nodes;
  return CLUSTER_PRESETS[cfg.cluster] ?? 1;
}

/** The simulated nodes: the config file's list if it has one (even empty), else generated from the flags. */
export function nodeSpecs(cfg: Config): NodeSpec[] {
  if (cfg.nodeSpecs) return cfg.nodeSpecs;
  const dcs = cfg.datacenters.split(',').map((d) => d.trim()).filter(Boolean);
  return Array.from({ length: nodeCount(cfg) }, (_, i) => ({
    name: `mock-node-${i + 1}`,
    datacenter: dcs[i % dcs.length] ?? 'dc1',
    nodePool: cfg.nodePool,
    cpu: cfg.nodeCpu,
    memoryMB: cfg.nodeMemory,
    diskMB: 100 * 1024,
  }));
}

/** The config file's `control` block: `{"enabled": false}`, `{"token": "…"}` (a file keeps the token out of `ps`). */
function loadControlBlock(cfg: Config, file: string, block: unknown, setByEnvOrFlag: Set<keyof Config>): void {
  if (block === undefined) return;
  if (block === null || typeof block !== 'object' || Array.isArray(block)) throw new ConfigError(`${file}: "control" must be an object`);
  for (const [name, value] of Object.entries(block)) {
    if (name === 'enabled') {
      if (typeof value !== 'boolean') throw new ConfigError(`${file}: control.enabled must be true or false`);
      if (!setByEnvOrFlag.has('control')) cfg.control = value;
    } else if (name === 'token') {
      if (typeof value !== 'string' || value === '') throw new ConfigError(`${file}: control.token must be a non-empty string`);
      if (!setByEnvOrFlag.has('controlToken')) cfg.controlToken = value;
    } else throw new ConfigError(`${file}: unknown control setting ${JSON.stringify(name)} (known: enabled, token)`);
  }
}

function loadConfigFile(cfg: Config, setByEnvOrFlag: Set<keyof Config>): void {
  if (!cfg.configFile) return;
  let parsed: { nodes?: unknown[]; server?: Record<string, unknown>; control?: unknown };
  try {
    parsed = JSON.parse(readFileSync(cfg.configFile, 'utf8')) as typeof parsed;
  } catch (err) {
    throw new ConfigError(`${cfg.configFile}: ${(err as Error).message}`);
  }
  if (parsed.server !== undefined) {
    if (parsed.server === null || typeof parsed.server !== 'object' || Array.isArray(parsed.server)) {
      throw new ConfigError(`${cfg.configFile}: "server" must be an object`);
    }
    for (const [name, value] of Object.entries(parsed.server)) {
      const g = GC_KEYS.find((x) => x.name === name);
      if (!g) throw new ConfigError(`${cfg.configFile}: unknown server setting ${JSON.stringify(name)} (known: ${GC_KEYS.map((x) => x.name).join(', ')})`);
      if (typeof value !== 'string') throw new ConfigError(`${cfg.configFile}: server.${name} must be a duration string`);
      // Env vars and flags override the file.
      if (setByEnvOrFlag.has(g.key)) continue;
      assign(cfg, g.key, value, `${cfg.configFile}: server.${name}`);
    }
  }
  loadControlBlock(cfg, cfg.configFile, parsed.control, setByEnvOrFlag);
  if (parsed.nodes !== undefined) {
    // An empty list is a server with no client nodes (as --cluster server-only).
    if (!Array.isArray(parsed.nodes)) throw new ConfigError(`${cfg.configFile}: "nodes" must be an array`);
    if (parsed.nodes.length > MAX_NODES) throw new ConfigError(`${cfg.configFile}: at most ${MAX_NODES} nodes`);
    const names = new Set<string>();
    const ids = new Set<string>();
    cfg.nodeSpecs = parsed.nodes.map((raw, i) => {
      let n: SpecInput;
      try {
        n = readSpec(raw, CONFIG_KEYS, `nodes[${i}]`);
      } catch (err) {
        if (err instanceof NodeSpecError) throw new ConfigError(`${cfg.configFile}: nodes[${i}]: ${err.message.replace(`nodes[${i}]: `, '')}`);
        throw err;
      }
      const name = n.name ?? `mock-node-${i + 1}`;
      if (names.has(name)) throw new ConfigError(`${cfg.configFile}: nodes[${i}]: a node named ${JSON.stringify(name)} is listed twice`);
      names.add(name);
      if (n.id !== undefined && ids.has(n.id)) throw new ConfigError(`${cfg.configFile}: nodes[${i}]: node ID ${n.id} is listed twice`);
      if (n.id !== undefined) ids.add(n.id);
      return {
        id: n.id,
        name,
        datacenter: n.datacenter ?? 'dc1',
        nodePool: n.nodePool ?? 'default',
        nodeClass: n.nodeClass,
        cpu: n.cpu ?? cfg.nodeCpu,
        memoryMB: n.memoryMB ?? cfg.nodeMemory,
        diskMB: n.diskMB ?? 100 * 1024,
        attributes: n.attributes as Record<string, string> | undefined,
        meta: n.meta as Record<string, string> | undefined,
        drivers: n.drivers,
      };
    });
  }
}

/** What a command line asks for besides running the server. */
export type ConfigAction = 'help' | 'version';

const flagName = (f: { flag: string }): string => f.flag.slice(2);

/** The closest known flag to a mistyped one, when it is close enough to be a likely typo. */
export function suggestFlag(name: string): string | null {
  const names = [...FLAGS.map(flagName), 'help', 'version'];
  const bare = name.replace(/^-+/, '');
  const best = closest(bare, names);
  const d = distance(bare, best);
  // Close to the flag, and not a rewrite of most of what was typed (`-x` is not a typo of `--ui`).
  return d <= Math.max(2, Math.floor(best.length / 3)) && d < bare.length - 1 ? `--${best}` : null;
}

function unknownFlag(raw: string): ConfigError {
  const hint = suggestFlag(raw);
  return new ConfigError(`unknown flag ${raw}${hint ? ` (did you mean ${hint}?)` : ''}`);
}

/** Flags as `node:util` parseArgs reads them (`--flag value` and `--flag=value`), then each checked. */
function parseFlags(argv: string[]): { values: [keyof Config, string, string][]; action: ConfigAction | null } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean' } };
  for (const f of FLAGS) options[flagName(f)] = { type: BOOLEAN.includes(f.key) ? 'boolean' : 'string' };
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  // --help and --version win over anything else on the line, mistakes included.
  for (const t of tokens) if (t.kind === 'option' && (t.name === 'help' || t.name === 'version')) return { values: [], action: t.name };
  const values: [keyof Config, string, string][] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'option-terminator') throw new ConfigError('nomad-mock takes no arguments after --');
    if (t.kind === 'positional') throw new ConfigError(`unexpected argument ${JSON.stringify(t.value)}`);
    const f = FLAGS.find((x) => flagName(x) === t.name && x.flag === t.rawName);
    if (!f) throw unknownFlag(t.rawName);
    if (BOOLEAN.includes(f.key)) {
      // `--acl false`: parseArgs leaves the word as a positional; it belongs to the flag.
      const next = tokens[i + 1];
      if (t.value !== undefined) values.push([f.key, t.value, t.rawName]);
      else if (next?.kind === 'positional' && BOOLEAN_WORDS.has(next.value.toLowerCase())) {
        values.push([f.key, next.value, t.rawName]);
        i++;
      } else values.push([f.key, 'true', t.rawName]);
      continue;
    }
    // parseArgs hands a string flag the next argument even when it is another flag.
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('--'))) throw new ConfigError(`${t.rawName} needs a value`);
    values.push([f.key, t.value, t.rawName]);
  }
  return { values, action: null };
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config | ConfigAction {
  const { values, action } = parseFlags(argv);
  if (action) return action;
  const cfg: Config = { ...DEFAULTS };
  const set = new Set<keyof Config>();
  for (const f of FLAGS) {
    const v = env[f.env];
    if (v !== undefined && v !== '') {
      assign(cfg, f.key, v, f.env);
      set.add(f.key);
    }
  }
  for (const [key, value, name] of values) {
    assign(cfg, key, value, name);
    set.add(key);
  }
  loadConfigFile(cfg, set);
  return cfg;
}

export function helpText(): string {
  const usage = (f: (typeof FLAGS)[number]): string => (BOOLEAN.includes(f.key) ? `${f.flag} [true|false]` : `${f.flag} <value>`);
  const width = Math.max(...FLAGS.map((f) => usage(f).length));
  const defaultOf = (key: keyof Config): string => (key === 'nodes' ? "the --cluster preset's count" : String(DEFAULTS[key]));
  const rows = FLAGS.map((f) => {
    const dflt = defaultOf(f.key);
    return `  ${usage(f).padEnd(width)}  ${f.help} (env ${f.env}${dflt === '' ? '' : `; default ${dflt}`})`;
  });
  return [
    'Usage: nomad-mock [flags]',
    '',
    "A stateful emulator of HashiCorp Nomad's HTTP API, for tests, development and CI.",
    'Flags take --flag value or --flag=value; env vars are overridden by flags.',
    '',
    'Flags:',
    ...rows,
    `  ${'--version'.padEnd(width)}  print the version of nomad-mock`,
    `  ${'-h, --help'.padEnd(width)}  show this help`,
    '',
  ].join('\n');
}
