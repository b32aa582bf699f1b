// What describes a simulated node, checked once for every way one arrives: the config file
// (camelCase keys) and the control API (Nomad's field names), so both refuse the same things.
import type { DriverState, NodeSpec } from './table.js';

/** Nomad's validNodePoolName. */
const POOL_NAME = /^[a-zA-Z0-9-_]{1,128}$/;
const DRIVER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Far above any real node (MHz, MB) and well inside exact integers once multiplied to bytes. */
const MAX_RESOURCE = 1 << 30;
const MAX_MAP_ENTRIES = 1000;

export class NodeSpecError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(v: unknown, field: string, nullable = false): Record<string, string | null> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new NodeSpecError(`${field} must be an object of strings`);
  const entries = Object.entries(v);
  if (entries.length > MAX_MAP_ENTRIES) throw new NodeSpecError(`${field} has more than ${MAX_MAP_ENTRIES} entries`);
  for (const [k, val] of entries) {
    if (k === '') throw new NodeSpecError(`${field} has an empty key`);
    if (typeof val !== 'string' && !(nullable && val === null)) throw new NodeSpecError(`${field}.${k} must be a string${nullable ? ' (or null to remove it)' : ''}`);
  }
  return { ...(v as Record<string, string | null>) };
}

function resource(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0 || v > MAX_RESOURCE) {
    throw new NodeSpecError(`${field} must be a whole number between 1 and ${MAX_RESOURCE}`);
  }
  return v;
}

function text(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new NodeSpecError(`${field} must be a string`);
  return v;
}

function drivers(v: unknown, field: string): NodeSpec['drivers'] {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) {
    const seen = new Set<string>();
    for (const d of v) {
      if (typeof d !== 'string' || !DRIVER_NAME.test(d)) throw new NodeSpecError(`${field}: driver names are 1 to 64 letters, digits, _, . or -, got ${JSON.stringify(d)}`);
      if (seen.has(d)) throw new NodeSpecError(`${field}: driver ${JSON.stringify(d)} is listed twice`);
      seen.add(d);
    }
    return [...seen];
  }
  if (!isObject(v)) throw new NodeSpecError(`${field} must be a list of driver names or an object of driver name → {Detected, Healthy}`);
  const out: Record<string, DriverState> = {};
  for (const [d, st] of Object.entries(v)) {
    if (!DRIVER_NAME.test(d)) throw new NodeSpecError(`${field}: driver names are 1 to 64 letters, digits, _, . or -, got ${JSON.stringify(d)}`);
    if (!isObject(st)) throw new NodeSpecError(`${field}.${d} must be an object like {"Detected": true, "Healthy": false}`);
    const state: DriverState = {};
    for (const [k, val] of Object.entries(st)) {
      const key = k.toLowerCase();
      if (key !== 'detected' && key !== 'healthy') throw new NodeSpecError(`${field}.${d}: unknown field ${JSON.stringify(k)} (known: Detected, Healthy)`);
      if (typeof val !== 'boolean') throw new NodeSpecError(`${field}.${d}.${k} must be true or false`);
      state[key] = val;
    }
    out[d] = state;
  }
  if (Object.keys(out).length > MAX_MAP_ENTRIES) throw new NodeSpecError(`${field} has more than ${MAX_MAP_ENTRIES} entries`);
  return out;
}

/** The field names each source uses for the spec's fields. */
export interface SpecKeys {
  id: string;
  name: string;
  datacenter: string;
  nodePool: string;
  nodeClass: string;
  cpu: string;
  memoryMB: string;
  diskMB: string;
  attributes: string;
  meta: string;
  drivers: string;
}

export const CONFIG_KEYS: SpecKeys = {
  id: 'id', name: 'name', datacenter: 'datacenter', nodePool: 'nodePool', nodeClass: 'nodeClass', cpu: 'cpu',
  memoryMB: 'memoryMB', diskMB: 'diskMB', attributes: 'attributes', meta: 'meta', drivers: 'drivers',
};

/** The control API's names: Nomad's Node fields, resources as Nomad's Resources block. */
export const API_KEYS: SpecKeys = {
  id: 'ID', name: 'Name', datacenter: 'Datacenter', nodePool: 'NodePool', nodeClass: 'NodeClass', cpu: 'Resources.CPU',
  memoryMB: 'Resources.MemoryMB', diskMB: 'Resources.DiskMB', attributes: 'Attributes', meta: 'Meta', drivers: 'Drivers',
};

function lookup(doc: Record<string, unknown>, path: string): unknown {
  const [head, tail] = path.split('.');
  const v = doc[head!];
  if (tail === undefined) return v;
  return isObject(v) ? v[tail] : undefined;
}

/** The parts of a spec a document gives; in a change, a null attribute or meta value removes the key. */
export type SpecInput = Partial<Omit<NodeSpec, 'attributes' | 'meta'>> & {
  id?: string;
  attributes?: Record<string, string | null>;
  meta?: Record<string, string | null>;
};

/** Reads and checks a spec document; absent fields stay undefined (a change names only what changes). */
export function readSpec(doc: unknown, keys: SpecKeys, where: string, change = false): SpecInput {
  if (!isObject(doc)) throw new NodeSpecError(`${where} must be an object`);
  const known = new Set(Object.values(keys).map((k) => k.split('.')[0]!));
  for (const k of Object.keys(doc)) if (!known.has(k)) throw new NodeSpecError(`${where}: unknown field ${JSON.stringify(k)} (known: ${[...known].join(', ')})`);
  if (keys === API_KEYS && doc.Resources !== undefined && doc.Resources !== null) {
    if (!isObject(doc.Resources)) throw new NodeSpecError(`${where}: Resources must be an object like {"CPU": 4000, "MemoryMB": 8192, "DiskMB": 102400}`);
    for (const k of Object.keys(doc.Resources)) if (!['CPU', 'MemoryMB', 'DiskMB'].includes(k)) throw new NodeSpecError(`${where}: Resources: unknown field ${JSON.stringify(k)} (known: CPU, MemoryMB, DiskMB)`);
  }
  const field = (k: keyof SpecKeys): string => `${where === '' ? '' : `${where}: `}${keys[k]}`;
  const out: SpecInput = {};
  const id = text(lookup(doc, keys.id), field('id'));
  if (id !== undefined) {
    if (!UUID.test(id)) throw new NodeSpecError(`${field('id')} must be a lowercase UUID, got ${JSON.stringify(id)}`);
    out.id = id;
  }
  const name = text(lookup(doc, keys.name), field('name'));
  if (name !== undefined) {
    if (name === '') throw new NodeSpecError('missing node name for client registration');
    out.name = name;
  }
  const dc = text(lookup(doc, keys.datacenter), field('datacenter'));
  if (dc !== undefined) {
    if (dc === '') throw new NodeSpecError('missing datacenter for client registration');
    out.datacenter = dc;
  }
  const pool = text(lookup(doc, keys.nodePool), field('nodePool'));
  if (pool !== undefined) {
    if (pool === 'all') throw new NodeSpecError('node is not allowed to register in node pool "all"');
    if (pool !== '' && !POOL_NAME.test(pool)) throw new NodeSpecError(`invalid node pool: invalid name ${JSON.stringify(pool)} (1 to 128 letters, digits, - or _)`);
    out.nodePool = pool === '' ? 'default' : pool;
  }
  const cls = text(lookup(doc, keys.nodeClass), field('nodeClass'));
  if (cls !== undefined) out.nodeClass = cls;
  const cpu = resource(lookup(doc, keys.cpu), field('cpu'));
  if (cpu !== undefined) out.cpu = cpu;
  const mem = resource(lookup(doc, keys.memoryMB), field('memoryMB'));
  if (mem !== undefined) out.memoryMB = mem;
  const disk = resource(lookup(doc, keys.diskMB), field('diskMB'));
  if (disk !== undefined) out.diskMB = disk;
  const attrs = stringMap(lookup(doc, keys.attributes), field('attributes'), change);
  if (attrs !== undefined) out.attributes = attrs;
  const meta = stringMap(lookup(doc, keys.meta), field('meta'), change);
  if (meta !== undefined) out.meta = meta;
  const drv = drivers(lookup(doc, keys.drivers), field('drivers'));
  if (drv !== undefined) out.drivers = drv;
  return out;
}
