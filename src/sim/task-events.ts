// Task events as Nomad's client records them (structs.TaskEvent with its DisplayMessage filled in),
// and the Go durations the mock driver's config keys carry.
import type { Obj } from '../../state/types.js';
import { parseGoDuration } from '../../state/godur.js';
import { SharePool } from '../../state/share.js';

/** An event's `Details` when it has none: one object for all (stored records are never changed). */
const NO_DETAILS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_EXTRA: Obj = Object.freeze({});
/** Equal Details (the same image downloaded, the same setup message) are one object for all events. */
const detailsPool = new SharePool();

/**
 * Equal events (the same step of allocs that reach it at the same instant: a batch of placements
 * received, set up and started together) are one frozen object, keyed by everything that makes
 * them differ. Content-addressed like the SharePools, so nothing a reset must clear.
 */
const eventPool = new Map<string, Obj>();
const EVENT_POOL_LIMIT = 4096;

/** The pool key of an event, or null when a field of `extra` is not a plain primitive. */
function eventKey(type: string, now: number, display: string, details: Record<string, string>, extra: Obj): string | null {
  let key = `${type}\u0000${now}\u0000${display}\u0000${details === NO_DETAILS ? '' : JSON.stringify(details)}`;
  for (const k in extra) {
    const v = extra[k];
    if (v === undefined || (typeof v === 'object' && v !== null) || Object.is(v, -0)) return null;
    key += `\u0000${k}\u0001${typeof v}\u0001${String(v)}`;
  }
  return key;
}

/**
 * One literal with every field in Nomad's order: each event then sits on a single hidden class with
 * its fields in the object itself (a spread of the defaults would push them out to a property array).
 */
export function taskEvent(type: string, now: number, display: string, details: Record<string, string>, extra: Obj = NO_EXTRA): Obj {
  let empty = true;
  for (const _ in details) {
    empty = false;
    break;
  }
  const key = SharePool.enabled ? eventKey(type, now, display, empty ? NO_DETAILS : details, extra) : null;
  if (key !== null) {
    const hit = eventPool.get(key);
    if (hit) return hit;
  }
  const ev = buildEvent(type, now, display, empty ? NO_DETAILS : detailsPool.share(details), extra);
  if (key === null) return ev;
  if (eventPool.size >= EVENT_POOL_LIMIT) eventPool.clear();
  eventPool.set(key, Object.freeze(ev));
  return ev;
}

function buildEvent(type: string, now: number, display: string, details: Record<string, string>, extra: Obj): Obj {
  const ev: Obj = {
    Type: type, Time: now, Message: extra.Message ?? '', DisplayMessage: display, Details: details,
    FailsTask: false, RestartReason: '', SetupError: '', DriverError: '', ExitCode: 0, Signal: 0,
    KillTimeout: 0, KillError: '', KillReason: '', StartDelay: 0, DownloadError: '', ValidationError: '',
    DiskLimit: 0, FailedSibling: '', VaultError: '', TaskSignalReason: '', TaskSignal: '', DriverMessage: '', GenericSource: '',
  };
  return extra === NO_EXTRA ? ev : Object.assign(ev, extra);
}

/** A mock driver duration key: a Go duration string, or nanoseconds; anything else is 0. */
export const duration = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v === '') return 0;
  return parseGoDuration(v) ?? 0;
};
