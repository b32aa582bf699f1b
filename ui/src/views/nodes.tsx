// Clients (nodes): status and scheduling eligibility, and drain fields where the server has them;
// one client's page drains it (with a deadline), cancels the drain and toggles its eligibility.
import { useState } from 'preact/hooks';
import { api, useLive } from '../api';
import { Badge, Empty, ErrorBanner, Loading, Note, Section, Title, shortId, time, useAction } from '../components';
import { BASE, Link, nodeHref } from '../router';
import { AllocTable } from './job';

type Obj = Record<string, any>;

function drainText(n: Obj): string {
  if (n.DrainStrategy) {
    const deadline = n.DrainStrategy.ForceDeadline;
    return `draining${deadline && !String(deadline).startsWith('0001') ? ` until ${time(deadline)}` : ''}`;
  }
  return n.Drain ? 'draining' : 'no';
}

export function NodesView() {
  const nodes = useLive<Obj[]>('/v1/nodes');
  const list = nodes.data ?? [];
  const hasDrain = list.some((n) => 'Drain' in n || 'DrainStrategy' in n);
  return (
    <>
      <Title>Clients</Title>
      <ErrorBanner error={nodes.error} what="Listing clients" />
      {nodes.loading ? <Loading what="clients" /> : null}
      {nodes.data && list.length === 0 ? <Empty text="No client nodes (a server-only cluster): jobs stay pending until one is added." /> : null}
      {list.length ? (
        <table aria-label="Clients">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Name</th>
              <th scope="col">Datacenter</th>
              <th scope="col">Node Pool</th>
              <th scope="col">Class</th>
              <th scope="col">Status</th>
              <th scope="col">Eligibility</th>
              {hasDrain ? <th scope="col">Drain</th> : null}
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {list.map((n) => (
              <tr key={n.ID} data-node={n.Name}>
                <td>
                  <Link href={nodeHref(n.ID)} aria-label={`Client ${n.Name}`}>
                    <code>{shortId(n.ID)}</code>
                  </Link>
                </td>
                <td>{n.Name}</td>
                <td>{n.Datacenter}</td>
                <td>{n.NodePool}</td>
                <td>{n.NodeClass || '—'}</td>
                <td>
                  <Badge status={n.Status} />
                </td>
                <td>{n.SchedulingEligibility}</td>
                {hasDrain ? <td>{drainText(n)}</td> : null}
                <td>{n.Version}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

export function NodeView({ id }: { id: string }) {
  const node = useLive<Obj>(`/v1/node/${encodeURIComponent(id)}`);
  const allocs = useLive<Obj[]>(`/v1/node/${encodeURIComponent(id)}/allocations`);
  const n = node.data;
  return (
    <>
      <p class="crumbs">
        <Link href={`${BASE}/clients`}>Clients</Link> / {n?.Name ?? shortId(id)}
      </p>
      <Title>
        Client {n?.Name ?? shortId(id)} {n ? <Badge status={n.Status} /> : null}
      </Title>
      <ErrorBanner error={node.error} what="Reading the client" />
      {n ? (
        <dl class="facts">
          <dt>ID</dt>
          <dd>
            <code>{n.ID}</code>
          </dd>
          <dt>Datacenter</dt>
          <dd>{n.Datacenter}</dd>
          <dt>Node pool</dt>
          <dd>{n.NodePool}</dd>
          <dt>Eligibility</dt>
          <dd>{n.SchedulingEligibility}</dd>
          {'Drain' in n || 'DrainStrategy' in n ? (
            <>
              <dt>Drain</dt>
              <dd>{drainText(n)}</dd>
            </>
          ) : null}
          <dt>Address</dt>
          <dd>{n.HTTPAddr}</dd>
          <dt>Status updated</dt>
          <dd>{time((n.StatusUpdatedAt ?? 0) * 1e9)}</dd>
          <dt>Drivers</dt>
          <dd>
            {Object.entries((n.Drivers ?? {}) as Record<string, Obj>)
              .map(([d, s]) => `${d}${s.Healthy ? '' : ' (unhealthy)'}`)
              .join(', ')}
          </dd>
        </dl>
      ) : null}
      {n ? <NodeActions node={n} /> : null}
      <Section title="Allocations">
        <ErrorBanner error={allocs.error} />
        <AllocTable allocs={allocs.data} showJob />
      </Section>
    </>
  );
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** A Go duration (`1h30m`, `90s`, `0`) in nanoseconds, or null when it is not one. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s === '0') return 0;
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) return null;
  let ns = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ns += Number(m[1]) * UNIT_NS[m[2]!]!;
  return Math.round(ns);
}

/** Drain (with a deadline), cancel the drain, and eligibility: Nomad's own answers shown as they come. */
function NodeActions({ node }: { node: Obj }) {
  const [deadline, setDeadline] = useState('1h');
  const action = useAction();
  const id = encodeURIComponent(node.ID);
  const draining = Boolean(node.DrainStrategy);
  const eligible = node.SchedulingEligibility === 'eligible';
  const deadlineNs = parseDuration(deadline);
  const drain = (body: unknown, done: string) => action.run(() => api('POST', `/v1/node/${id}/drain`, body), done);
  const eligibility = (to: 'eligible' | 'ineligible') =>
    action.run(() => api('POST', `/v1/node/${id}/eligibility`, { Eligibility: to }), `Marked ${to}.`);
  return (
    <Section title="Drain and eligibility">
      <div class="toolbar">
        {draining ? (
          <button type="button" onClick={() => drain({ DrainSpec: null, MarkEligible: true }, 'Drain cancelled; the client is eligible again.')}>
            Cancel drain
          </button>
        ) : (
          <form
            class="row"
            aria-label="Drain the client"
            onSubmit={(e) => {
              e.preventDefault();
              if (deadlineNs === null) return;
              void drain({ DrainSpec: { Deadline: deadlineNs, IgnoreSystemJobs: false }, MarkEligible: false }, 'Drain started.');
            }}
          >
            <label>
              Drain deadline
              <input
                value={deadline}
                size={8}
                aria-invalid={deadlineNs === null}
                aria-describedby="drain-deadline-help"
                onInput={(e) => setDeadline((e.target as HTMLInputElement).value)}
              />
            </label>
            <button type="submit" class="danger" disabled={deadlineNs === null}>
              Drain
            </button>
          </form>
        )}
        <button type="button" onClick={() => eligibility(eligible ? 'ineligible' : 'eligible')}>
          {eligible ? 'Make ineligible' : 'Make eligible'}
        </button>
      </div>
      {!draining ? (
        <p id="drain-deadline-help" class="muted">
          A Go duration (<code>1h</code>, <code>30m</code>); allocations still running then are stopped. <code>0</code>: no deadline.
        </p>
      ) : null}
      <ErrorBanner error={action.error} />
      <Note text={action.note} />
    </Section>
  );
}
