// The mock panel: what only nomad-mock has, through its control API (/_mock/): the clock, faults,
// the request journal, reset, snapshot and restore, scenarios and the cluster's nodes.
import { useState } from 'preact/hooks';
import { ApiError, api, controlToken, restartLive, usePoll } from '../api';
import { ConfirmButton, ErrorBanner, Note, Section, Title, time, useAction } from '../components';
import { Faults, Journal, MockNodes } from './mock-lists';

interface ClockState {
  Mode: string;
  Scale: number;
  Now: string;
}

export function MockView() {
  const clock = usePoll<ClockState>('/_mock/clock', 1000);
  const locked = clock.error instanceof ApiError && (clock.error.status === 401 || clock.error.status === 403);
  const off = clock.error instanceof ApiError && clock.error.status === 404;
  return (
    <>
      <Title>Mock panel</Title>
      <ControlToken locked={locked} onSaved={clock.refresh} />
      {off ? (
        <p role="alert" class="error">
          The control API is off on this server (<code>--control false</code>).
        </p>
      ) : null}
      {locked || off ? null : (
        <>
          <Clock clock={clock.data} error={clock.error} refresh={clock.refresh} />
          <Faults />
          <Journal />
          <MockNodes />
          <State />
        </>
      )}
    </>
  );
}

function ControlToken({ locked, onSaved }: { locked: boolean; onSaved: () => void }) {
  const current = controlToken.use();
  const [value, setValue] = useState(current);
  if (!locked && !current) return null;
  return (
    <form
      class="stack card"
      aria-label="Control token"
      onSubmit={(e) => {
        e.preventDefault();
        controlToken.set(value.trim());
        onSaved();
      }}
    >
      {locked ? (
        <p role="alert" class="error">
          {current ? 'The control token does not match.' : 'This server guards its control API with a token (--control-token).'}
        </p>
      ) : null}
      <label>
        Control token
        <input type="password" autoComplete="off" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
      </label>
      <button type="submit">Use control token</button>
    </form>
  );
}

function Clock({ clock, error, refresh }: { clock: ClockState | undefined; error: Error | null; refresh: () => void }) {
  const [duration, setDuration] = useState('1m');
  const [mode, setMode] = useState('');
  const [scale, setScale] = useState('');
  const action = useAction();
  const advance = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const r = await api<ClockState>('POST', '/_mock/clock/advance', { Duration: duration.trim() });
      refresh();
      return r;
    }, `Advanced by ${duration.trim()}.`);
  };
  const apply = (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = { Mode: mode || clock?.Mode };
    if (scale.trim() !== '') body.Scale = Number(scale);
    action.run(async () => {
      await api('PUT', '/_mock/clock', body);
      setScale('');
      refresh();
    }, 'Clock changed.');
  };
  return (
    <Section title="Clock">
      <ErrorBanner error={error} />
      <p aria-live="off">
        Simulated time: <strong data-testid="clock-now">{clock ? time(clock.Now) : '…'}</strong> · mode <strong>{clock?.Mode ?? '…'}</strong>
        {clock?.Mode === 'scaled' ? <> · ×{clock.Scale}</> : null}
      </p>
      <form class="row" onSubmit={advance} aria-label="Advance the clock">
        <label>
          Advance by
          <input value={duration} size={8} onInput={(e) => setDuration(e.currentTarget.value)} placeholder="90s, 10m, 1h30m" />
        </label>
        <button type="submit">Advance</button>
      </form>
      <form class="row" onSubmit={apply} aria-label="Clock mode">
        <label>
          Mode
          <select value={mode || clock?.Mode || 'scaled'} onChange={(e) => setMode(e.currentTarget.value)}>
            <option value="scaled">scaled (runs on its own)</option>
            <option value="manual">manual (moves when told)</option>
          </select>
        </label>
        <label>
          Scale
          <input type="number" min="0.000001" step="any" size={8} value={scale} placeholder={String(clock?.Scale ?? '')} onInput={(e) => setScale(e.currentTarget.value)} />
        </label>
        <button type="submit">Apply</button>
      </form>
      <ErrorBanner error={action.error} />
      <Note text={action.note} />
    </Section>
  );
}

function State() {
  const [ns, setNs] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const scenarios = usePoll<{ Scenarios: string[] }>('/_mock/scenario', 60_000);
  const [scenario, setScenario] = useState('busy');
  const action = useAction();
  const reset = () =>
    action.run(async () => {
      await api('POST', '/_mock/reset', ns.trim() ? { Namespace: ns.trim() } : undefined);
      restartLive();
    }, ns.trim() ? `Namespace ${ns.trim()} reset.` : 'Reset to the start-up state.');
  const download = () =>
    action.run(async () => {
      const r = await api<unknown>('GET', '/_mock/snapshot');
      const blob = new Blob([JSON.stringify(r.data)], { type: 'application/json' });
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = `nomad-mock-snapshot-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    }, 'Snapshot downloaded (token secrets left out).');
  const restore = (e: Event) => {
    e.preventDefault();
    if (!file) return;
    action.run(async () => {
      await api('PUT', '/_mock/restore', await file.text());
      restartLive();
    }, `Restored from ${file.name}.`);
  };
  const load = (e: Event) => {
    e.preventDefault();
    action.run(() => api('POST', '/_mock/scenario', { Name: scenario }), `Scenario ${scenario} loaded.`);
  };
  return (
    <Section title="State">
      <div class="row">
        <label>
          Namespace (empty: everything)
          <input value={ns} size={12} onInput={(e) => setNs(e.currentTarget.value)} />
        </label>
        <ConfirmButton label="Reset" confirm="Yes, reset" danger onConfirm={reset} />
      </div>
      <div class="row">
        <button type="button" onClick={download}>
          Download snapshot
        </button>
      </div>
      <form class="row" onSubmit={restore} aria-label="Restore a snapshot">
        <label>
          Snapshot file
          <input type="file" accept="application/json,.json" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
        </label>
        <button type="submit" disabled={!file}>
          Restore
        </button>
      </form>
      <form class="row" onSubmit={load} aria-label="Load a scenario">
        <label>
          Scenario
          <select value={scenario} onChange={(e) => setScenario(e.currentTarget.value)}>
            {(scenarios.data?.Scenarios ?? ['busy', 'empty']).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Load scenario</button>
      </form>
      <ErrorBanner error={action.error} />
      <Note text={action.note} />
    </Section>
  );
}
