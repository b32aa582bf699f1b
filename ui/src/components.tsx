// Small pieces every view uses: errors, status badges, allocation bars, two-step buttons, times.
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from './api';

export function ErrorBanner({ error, what }: { error: Error | null | undefined; what?: string }) {
  if (!error) return null;
  const text = error instanceof ApiError ? `Error ${error.status}${error.body ? `: ${error.body}` : ''}` : `Error: ${error.message}`;
  return (
    <p role="alert" class="error">
      {what ? `${what}: ` : ''}
      {text}
    </p>
  );
}

export function Loading({ what }: { what: string }) {
  return <p aria-live="polite" class="muted">Loading {what}…</p>;
}

export function Badge({ status }: { status: string | undefined }) {
  const s = status ?? 'unknown';
  return <span class={`badge st-${s.replace(/[^a-z-]/gi, '')}`}>{s}</span>;
}

/** Nomad's allocation summary states, in the order its bars draw them. */
export const SUMMARY_STATES = ['Queued', 'Starting', 'Running', 'Complete', 'Failed', 'Lost', 'Unknown'] as const;
export type Counts = Partial<Record<(typeof SUMMARY_STATES)[number], number>>;

export function AllocBar({ counts, label }: { counts: Counts; label?: string }) {
  const total = SUMMARY_STATES.reduce((n, k) => n + (counts[k] ?? 0), 0);
  const text = SUMMARY_STATES.filter((k) => counts[k]).map((k) => `${counts[k]} ${k.toLowerCase()}`).join(', ') || 'no allocations';
  return (
    <div class="allocbar" role="img" aria-label={`${label ? `${label}: ` : ''}${text}`} title={text}>
      {total === 0 ? <span class="seg empty" style={{ flexGrow: 1 }} /> : null}
      {SUMMARY_STATES.filter((k) => counts[k]).map((k) => (
        <span key={k} class={`seg s-${k.toLowerCase()}`} style={{ flexGrow: counts[k] }} />
      ))}
    </div>
  );
}

/** Adds the per-group summaries of a JobSummary. */
export function sumGroups(summary: Record<string, Counts> | null | undefined): Counts {
  const out: Counts = {};
  for (const g of Object.values(summary ?? {})) for (const k of SUMMARY_STATES) out[k] = (out[k] ?? 0) + (g[k] ?? 0);
  return out;
}

/** A destructive action asks once more, inline (no modal): first press arms, second confirms. */
export function ConfirmButton(props: { label: string; confirm: string; onConfirm: () => Promise<unknown> | void; danger?: boolean; disabled?: boolean }) {
  const [armed, setArmed] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!armed) {
    return (
      <button type="button" class={props.danger ? 'danger' : ''} disabled={props.disabled} onClick={() => setArmed(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={`Confirm ${props.label}`}>
      <button
        type="button"
        class="danger"
        disabled={busy}
        autoFocus
        onClick={async () => {
          setBusy(true);
          try {
            await props.onConfirm();
          } finally {
            setBusy(false);
            setArmed(false);
          }
        }}
      >
        {props.confirm}
      </button>
      <button type="button" onClick={() => setArmed(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Runs an action, keeping its error (or a success note) for display. */
export function useAction(): { run: (fn: () => Promise<unknown>, done?: string) => Promise<void>; error: Error | null; note: string } {
  const [error, setError] = useState<Error | null>(null);
  const [note, setNote] = useState('');
  return {
    error,
    note,
    run: async (fn, done = '') => {
      setError(null);
      setNote('');
      try {
        await fn();
        setNote(done);
      } catch (err) {
        setError(err as Error);
      }
    },
  };
}

export function Note({ text }: { text: string }) {
  return text ? (
    <p role="status" class="note">
      {text}
    </p>
  ) : null;
}

export const shortId = (id: string | undefined): string => (id ?? '').slice(0, 8);

/** Nomad's times: Unix nanoseconds (numbers) or RFC 3339 strings. */
export function time(v: number | string | null | undefined): string {
  if (v === null || v === undefined || v === 0 || v === '') return '—';
  const d = typeof v === 'number' ? new Date(v / 1e6) : new Date(v);
  if (Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1971) return '—';
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  const hid = id ?? `s-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <section aria-labelledby={hid}>
      <h2 id={hid}>{title}</h2>
      {children}
    </section>
  );
}

export function Empty({ text }: { text: string }) {
  return <p class="muted">{text}</p>;
}

/** The page heading; focusable so navigation can move focus to it. */
export function Title({ children }: { children: ComponentChildren }) {
  return <h1 tabIndex={-1}>{children}</h1>;
}
