// A task's stdout or stderr, read as plain text from the start through the client's logs endpoint
// (/v1/client/fs/logs): again when the allocation changes and on "Refresh". With "Follow", the
// framed stream instead (`follow=true`): the last bytes, then each write as the task makes it.
// Nomad's 404s (the task has not started, no such log yet) are ordinary moments in a task's life:
// shown quietly, not as errors.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, epoch, followFrames, getText } from '../api';
import { ErrorBanner } from '../components';

/** The most a panel reads (the first bytes; a task repeating a line forever has no end). */
const LIMIT = 256 * 1024;

type LogType = 'stdout' | 'stderr';

interface Logs {
  loading: boolean;
  /** The stream `text` was read from (the switch may already show the other). */
  type?: LogType;
  text?: string;
  truncated?: boolean;
  /** Nomad's 404 text: nothing to show yet. */
  quiet?: string;
  error?: Error;
  /** A followed stream that has ended (the task is dead, or the allocation gone). */
  ended?: boolean;
}

const base64Bytes = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));

export const logsPath = (allocId: string, task: string, type: LogType): string =>
  `/v1/client/fs/logs/${encodeURIComponent(allocId)}?task=${encodeURIComponent(task)}&type=${type}&plain=true&origin=start`;

/** The framed stream, from LIMIT bytes before the end. */
const followPath = (allocId: string, task: string, type: LogType): string =>
  `/v1/client/fs/logs/${encodeURIComponent(allocId)}?task=${encodeURIComponent(task)}&type=${type}&follow=true&origin=end&offset=${LIMIT}`;

function onFailure(ctl: AbortController, type: LogType, set: (l: Logs) => void) {
  return (err: Error) => {
    if (ctl.signal.aborted) return;
    if (err instanceof ApiError && err.status === 404) set({ loading: false, type, quiet: err.body || 'No logs available' });
    else set({ loading: false, type, error: err });
  };
}

/** `version` changes whenever the allocation does (its ModifyIndex): the logs are read again. */
export function TaskLogs({ allocId, task, version }: { allocId: string; task: string; version: number }) {
  const [type, setType] = useState<LogType>('stdout');
  const [tick, setTick] = useState(0);
  const [follow, setFollow] = useState(false);
  const [logs, setLogs] = useState<Logs>({ loading: true });
  const gen = epoch.use();
  useEffect(() => {
    const ctl = new AbortController();
    setLogs((l) => ({ ...l, loading: true }));
    if (!follow) {
      getText(logsPath(allocId, task, type), LIMIT, ctl.signal).then(({ text, truncated }) => {
        if (!ctl.signal.aborted) setLogs({ loading: false, type, text, truncated });
      }, onFailure(ctl, type, setLogs));
    } else {
      const utf8 = new TextDecoder();
      let text = '';
      const open = () => {
        if (!ctl.signal.aborted) setLogs({ loading: false, type, text: '' });
      };
      followFrames(followPath(allocId, task, type), ctl.signal, open, (frame) => {
        if (ctl.signal.aborted || !frame.Data) return;
        text += utf8.decode(base64Bytes(frame.Data), { stream: true });
        if (text.length > LIMIT) text = text.slice(text.length - LIMIT);
        setLogs({ loading: false, type, text });
      }).then(() => {
        if (!ctl.signal.aborted) setLogs({ loading: false, type, text, ended: true });
      }, onFailure(ctl, type, setLogs));
    }
    return () => ctl.abort();
    // A followed stream brings the changes itself: the allocation's changes do not restart it.
  }, [allocId, task, type, follow ? -1 : version, follow, tick, gen]);

  return (
    <section class="logs" aria-label={`Logs of task ${task}`}>
      <div class="toolbar">
        <h3>Logs</h3>
        <span role="group" aria-label="Log stream" class="seg-buttons">
          {(['stdout', 'stderr'] as const).map((t) => (
            <button key={t} type="button" aria-pressed={type === t} onClick={() => setType(t)}>
              {t}
            </button>
          ))}
        </span>
        <button type="button" onClick={() => setTick((n) => n + 1)} disabled={logs.loading}>
          Refresh
        </button>
        <label class="inline">
          <input type="checkbox" checked={follow} onChange={(e) => setFollow((e.target as HTMLInputElement).checked)} /> Follow
        </label>
        <span class="muted" aria-live="polite">
          {logs.loading ? 'Loading…' : ''}
        </span>
      </div>
      {logs.type === type ? <LogsBody logs={logs} type={type} task={task} /> : null}
    </section>
  );
}

function LogsBody({ logs, type, task }: { logs: Logs; type: LogType; task: string }) {
  return (
    <>
      <ErrorBanner error={logs.error} what={`Reading the ${type} of ${task}`} />
      {logs.quiet !== undefined ? <p class="muted">{logs.quiet}</p> : null}
      {logs.text !== undefined ? (
        logs.text === '' ? (
          <p class="muted">Nothing written to {type} yet.</p>
        ) : (
          <pre class="log" tabIndex={0} aria-label={`${type} of task ${task}`}>
            {logs.text}
          </pre>
        )
      ) : null}
      {logs.truncated ? <p class="muted">Showing the first {LIMIT / 1024} KiB.</p> : null}
      {logs.ended ? <p class="muted">The stream has ended: the task writes no more.</p> : null}
    </>
  );
}
