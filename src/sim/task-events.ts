// Task events as Nomad's client records them (structs.TaskEvent with its DisplayMessage filled in),
// and the Go durations the mock driver's config keys carry.
import type { Obj } from '../../state/types.js';
import { parseGoDuration } from '../../state/godur.js';

const EVENT_FIELDS = {
  FailsTask: false, RestartReason: '', SetupError: '', DriverError: '', ExitCode: 0, Signal: 0,
  KillTimeout: 0, KillError: '', KillReason: '', StartDelay: 0, DownloadError: '', ValidationError: '',
  DiskLimit: 0, FailedSibling: '', VaultError: '', TaskSignalReason: '', TaskSignal: '', DriverMessage: '', GenericSource: '',
};

export function taskEvent(type: string, now: number, display: string, details: Record<string, string>, extra: Obj = {}): Obj {
  return { Type: type, Time: now, Message: extra.Message ?? '', DisplayMessage: display, Details: details, ...EVENT_FIELDS, ...extra };
}

/** A mock driver duration key: a Go duration string, or nanoseconds; anything else is 0. */
export const duration = (v: unknown): number => {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v === '') return 0;
  return parseGoDuration(v) ?? 0;
};
