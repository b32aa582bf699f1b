// A task's stdout or stderr, read as plain text from the start through the client's logs endpoint
// (/v1/client/fs/logs): again when the allocation changes and on "Refresh". Nomad's 404s (the task
// has not started, no such log yet) are ordinary moments in a task's life: shown quietly, not as errors.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, epoch, getText } from '../api';
import { ErrorBanner } from '../components';

/** The most a panel reads (the first bytes; a task repeating a line forever has no end). */
const LIMIT = 256 * 1024;

type LogType = 'stdout' | 'stderr';

interface Logs {
  loading: boolean;
  text?: string;
  truncated?: boolean;
  /** Nomad's 404 text: nothing to show yet. */
  quiet?: string;
  error?: Error;
}

export const logsPath = (allocId: string, task: string, type: LogType): string =>
  `/v1/client/fs/logs/${encodeURIComponent(allocId)}?task=${encodeURIComponent(task)}&type=${type}&plain=true&origin=start`;

/** `version` changes whenever the allocation does (its ModifyIndex): the logs are read again. */
export function TaskLogs({ allocId, task, version }: { allocId: string; task: string; version: number }) {
  const [type, setType] = useState<LogType>('stdout');
  const [tick, setTick] = useState(0);
  const [logs, setLogs] = useState<Logs>({ loading: true });
  const gen = epoch.use();
  useEffect(() => {
    const ctl = new AbortController();
    setLogs((l) => ({ ...l, loading: true }));
    getText(logsPath(allocId, task, type), LIMIT, ctl.signal).then(
      ({ text, truncated }) => {
        if (!ctl.signal.aborted) setLogs({ loading: false, text, truncated });
      },
      (err: Error) => {
        if (ctl.signal.aborted) return;
        if (err instanceof ApiError && err.status === 404) setLogs({ loading: false, quiet: err.body || 'No logs available' });
        else setLogs({ loading: false, error: err });
      },
    );
    return () => ctl.abort();
  }, [allocId, task, type, version, tick, gen]);

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
        <span class="muted" aria-live="polite">
          {logs.loading ? 'Loading…' : ''}
        </span>
      </div>
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
    </section>
  );
}
