// The stream's ndjson lines: the subscription filter (topics, keys, namespace) and each event's
// encoding, cached per event, so a line is built once per batch and filter.
import { HttpError } from '../http/errors.js';
import { allocJson, omitEmpty } from '../http/encode.js';
import { goJson } from '../http/go-json.js';
import type { EventBatch } from '../../state/events/buffer.js';
import type { StoreEvent } from '../../state/store.js';

export type Topics = Map<string, string[]>;

/** `parseEventTopics`: no `topic` → `*:*`; bare `Topic` → key `*`; more than one `:` → 400. */
export function parseEventTopics(raw: string[] | undefined): Topics {
  const topics: Topics = new Map();
  if (raw === undefined) {
    topics.set('*', ['*']);
    return topics;
  }
  for (const t of raw) {
    const parts = t.split(':');
    let k: string;
    let v: string;
    if (parts.length === 1) {
      k = t;
      v = '*';
    } else if (parts.length !== 2) {
      throw new HttpError(400, `Invalid topic query: error parsing topics: Invalid key value pair for topic, topic: ${t}`);
    } else {
      k = parts[0]!;
      v = parts[1]!;
    }
    const list = topics.get(k);
    if (list) list.push(v);
    else topics.set(k, [v]);
  }
  return topics;
}

const matchesKey = (e: StoreEvent, key: string): boolean => e.Key === key || (e.FilterKeys?.includes(key) ?? false);

/**
 * The subscription filter (nomad/stream/subscription.go `filter`), quirks included: a `*` key is a
 * wildcard only when it is the sole key for the event's topic, and an event matching several keys
 * is repeated once per key.
 */
export function filterEvents(topics: Topics, namespace: string, events: readonly StoreEvent[]): StoreEvent[] {
  if (events.length === 0) return [];
  const allTopicKeys = topics.get('*') ?? [];
  const everything = allTopicKeys.length === 1 && allTopicKeys[0] === '*';
  if (namespace === '*' && everything) return events.slice();
  const out: StoreEvent[] = [];
  for (const e of events) {
    if (namespace !== '*' && e.Namespace !== '' && e.Namespace !== namespace) continue;
    if (everything) {
      out.push(e);
      continue;
    }
    const keys = [...allTopicKeys, ...(topics.get(e.Topic) ?? [])];
    if (keys.length === 1 && keys[0] === '*') {
      out.push(e);
      continue;
    }
    for (const k of keys) if (matchesKey(e, k)) out.push(e);
  }
  return out;
}

const eventJson = new WeakMap<StoreEvent, string>();

/** One event on the wire; Evaluation and Allocation payloads use their structs' omitempty encoding. */
function encodeEvent(e: StoreEvent): string {
  let text = eventJson.get(e);
  if (text === undefined) {
    const p = e.Payload;
    const payload =
      e.Topic === 'Evaluation' && p.Evaluation
        ? { ...p, Evaluation: omitEmpty(p.Evaluation) }
        : e.Topic === 'Allocation' && p.Allocation
          ? // Nomad drops the embedded job to keep alloc events small; the store keeps it.
            { ...p, Allocation: allocJson({ ...p.Allocation, Job: null }) }
          : p;
    text = goJson({ Topic: e.Topic, Type: e.Type, Key: e.Key, Namespace: e.Namespace, FilterKeys: e.FilterKeys, Index: e.Index, Payload: payload });
    eventJson.set(e, text);
  }
  return text;
}

/** The ndjson line of a batch through one filter, or null when none of its events pass. */
export function batchLine(batch: EventBatch, topics: Topics, namespace: string): string | null {
  const events = filterEvents(topics, namespace, batch.Events);
  return events.length === 0 ? null : `{"Index":${batch.Index},"Events":[${events.map(encodeEvent).join(',')}]}\n`;
}

export const filterShape = (topics: Topics, namespace: string): string =>
  JSON.stringify([namespace, [...topics.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))]);
