// KNOWN FAILURES — the findings of issue 10 that other branches are fixing at the same time.
// Each entry names its finding. The lead deletes an entry (and, for AVOID, the number) once the fix
// is merged; from then on the fuzz oracle treats that failure as a bug again and the generators
// produce the inputs that used to kill or freeze the server.
import type { Failure } from './oracle.js';

export interface Known {
  finding: number;
  what: string;
  matches(f: Failure): boolean;
}

const path = (f: Failure): string => (f.req.raw ? f.req.raw.toString('latin1').split(' ')[1] ?? '' : f.req.path);
const body = (f: Failure): string => f.res?.body ?? '';
const isControl = (f: Failure, p: string): boolean => path(f).startsWith(p);

export const KNOWN: Known[] = [
  {
    finding: 1,
    what: 'a client runner timer fires for an allocation that is gone (purge, reset, restore)',
    matches: (f) =>
      (/Cannot read properties of undefined \(reading '(Job|Type|TaskStates|ClientStatus|DesiredStatus|TaskGroup)'\)/.test(body(f)) && isControl(f, '/_mock/clock/advance')) ||
      (f.kind === 'crash' && /src\/sim\/client\.js/.test(f.detail)) ||
      (f.kind === 'invariant' && f.afterCrash === true),
  },
  {
    finding: 2,
    what: 'user regexes go through JavaScript RegExp: its error texts leak (fault Path, filter matches)',
    matches: (f) => /Invalid regular expression/.test(body(f)),
  },
  {
    finding: 6,
    what: 'null or wrongly typed entries inside job arrays reach canonicalize/validate',
    // register, plan and validate (the job body's decode/canonicalize/validate path)
    matches: (f) =>
      (f.kind === 'js-text' || f.kind === '5xx') &&
      /^(PUT|POST)$/.test(f.req.method) &&
      /^\/v1\/(jobs|validate\/job|job\/[^?]+)(\?|$)/.test(path(f)) &&
      /Cannot read properties of (null|undefined)|is not iterable|is not a function/.test(body(f)),
  },
  {
    finding: 7,
    what: 'Fastify answers instead of Go net/http (bad URL, method, headers, long params) and closes keep-alive sockets without saying so',
    matches: (f) =>
      f.kind === 'framework' ||
      f.kind === 'keepalive-reset' ||
      (f.kind === 'no-answer' && (!!f.req.raw || /HPE_/.test(f.res?.error ?? ''))) ||
      (f.kind === 'js-text' && /FST_ERR|"statusCode":/.test(body(f))) ||
      // a job whose ID needs a URL over Node's 16 KB header limit cannot be read back (Go allows 1 MB)
      (f.kind === 'invariant' && /answered (431|414) \{"/.test(f.detail)),
  },
  {
    finding: 8,
    what: 'restore accepts documents that break invariants (index backwards, bad entries)',
    matches: (f) => f.afterRestore === true || (isControl(f, '/_mock/restore') && f.kind !== 'no-answer'),
  },
  {
    finding: 10,
    what: 'fault Path with control characters',
    matches: (f) => isControl(f, '/_mock/faults') && /[\u0000-\u001f]|\\u00/.test(f.req.body?.toString() ?? ''),
  },
];

/**
 * Inputs not generated while a finding is open because they kill, freeze or wreck the server for
 * the rest of the run (so every later answer would be a false alarm). Delete a number once fixed.
 */
export const AVOID = new Set<number>([
  1, // purge of a job with a running task: the process dies on the scaled clock (churn purges; fuzz switches to it)
  2, // nested quantifiers in filter `matches` / fault paths freeze the event loop
  5, // huge clock Scale / advance: the process dies or the clock breaks for good
  12, // `* * * * * * *` periodic jobs on the scaled clock make children without end
]);
