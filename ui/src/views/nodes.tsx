// Clients (nodes): status and scheduling eligibility, and drain fields where the server has them.
import { useLive } from '../api';
import { Badge, Empty, ErrorBanner, Loading, Section, Title, shortId, time } from '../components';
import { BASE, Link, nodeHref } from '../router';
import { AllocTable } from './job';

type Obj = Record<string, any>;

function drainText(n: Obj): string {
  if (n.DrainStrategy) {
    const deadline = n.DrainStrategy.ForceDeadline;
    return `draining${deadline && !String(deadline).startsWith('0001') ? ` until ${deadline}` : ''}`;
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
      <Section title="Allocations">
        <ErrorBanner error={allocs.error} />
        <AllocTable allocs={allocs.data} showJob />
      </Section>
    </>
  );
}
