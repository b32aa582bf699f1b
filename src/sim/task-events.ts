// Task events as Nomad's client records them (structs.TaskEvent with its DisplayMessage filled in),
// and the Go durations the mock driver's config keys carry.
import type { Obj } from '../../state/types.js';
import { parseGoDuration } from '../../state/godur.js';
import { SharePool } from '../../state/share.js';

/** An event's `Details` when it has none: one object for all (stored records are never changed). */
export const NO_DETAILS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_EXTRA: Obj = Object.freeze({});
/** Details and extra fields of the runner's fixed events: constants, not objects made per event. */
export const SETUP_DETAILS: Record<string, string> = Object.freeze({ message: 'Building Task Directory' });
export const SETUP_EXTRA: Obj = Object.freeze({ Message: 'Building Task Directory' });
export const DOWNLOAD_EXTRA: Obj = Object.freeze({ DriverMessage: 'Downloading image' });
/** Equal Details (the same image downloaded, the same setup message) are one object for all events. */
const detailsPool = new SharePool();

/**
 * Equal events (the same step of allocs that reach it at the same instant: a batch of placements
 * received, set up and started together) are one frozen object. Only events of one instant can be
 * equal (the time is a field), and runners make events at the current time only, so the pool holds
 * the current instant's events, by type and display message, each with its Details and extra fields
 * (compared field by field, in order, as JSON would write them). Content-addressed like the
 * SharePools, so nothing a reset must clear. A string key built per event (with the Details' JSON)
 * and hashed cost more than the event.
 */
interface Pooled {
  details: Record<string, string>;
  detailKeys: string[];
  extra: Obj;
  extraKeys: string[];
  ev: Obj;
}
let poolNow = Number.NaN;
let eventPool = new Map<string, Map<string, Pooled[]>>();
let pooled = 0;
/** Distinct events of one type and message kept per instant (each lookup compares them all). */
const POOL_BUCKET_LIMIT = 16;
/** Events kept in all: an instant of the manual clock may see any number of API-made events. */
const EVENT_POOL_LIMIT = 4096;

/** Whether every field of `extra` is a plain primitive (the only events pooled). */
function plainExtra(extra: Obj): boolean {
  for (const k in extra) {
    const v = extra[k];
    if (v === undefined || (typeof v === 'object' && v !== null) || Object.is(v, -0)) return false;
  }
  return true;
}

/** Whether `o` has exactly the fields `keys`, in that order, with the values of `like` (Object.is). */
function sameFields(o: Obj, keys: string[], like: Obj): boolean {
  let i = 0;
  for (const k in o) {
    if (keys[i] !== k || !Object.is(o[k], like[k])) return false;
    i++;
  }
  return i === keys.length;
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
  const d = empty ? NO_DETAILS : details;
  if (!SharePool.enabled || !plainExtra(extra)) return buildEvent(type, now, display, d === NO_DETAILS ? d : detailsPool.share(d), extra);
  if (now !== poolNow || pooled >= EVENT_POOL_LIMIT) {
    poolNow = now;
    eventPool = new Map();
    pooled = 0;
  }
  let byDisplay = eventPool.get(type);
  if (!byDisplay) eventPool.set(type, (byDisplay = new Map()));
  let bucket = byDisplay.get(display);
  if (!bucket) byDisplay.set(display, (bucket = []));
  for (const p of bucket) {
    if ((p.details === d || sameFields(d, p.detailKeys, p.details)) && (p.extra === extra || sameFields(extra, p.extraKeys, p.extra))) return p.ev;
  }
  const ev = Object.freeze(buildEvent(type, now, display, d === NO_DETAILS ? d : detailsPool.share(d), extra));
  if (bucket.length < POOL_BUCKET_LIMIT) {
    pooled++;
    bucket.push({ details: d, detailKeys: Object.keys(d), extra, extraKeys: Object.keys(extra), ev });
  }
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
