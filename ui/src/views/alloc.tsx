// One allocation: where it runs, its client status, and each task's state, events and logs.
import { useLive } from '../api';
import { Badge, ErrorBanner, Loading, Section, Title, shortId, time } from '../components';
import { BASE, Link, jobHref, nodeHref } from '../router';
import { TaskLogs } from './logs';

type Obj = Record<string, any>;

export function AllocView({ id }: { id: string }) {
  const alloc = useLive<Obj>(`/v1/allocation/${encodeURIComponent(id)}`);
  const a = alloc.data;
  return (
    <>
      <p class="crumbs">
        <Link href={`${BASE}/jobs`}>Jobs</Link>
        {a ? (
          <>
            {' / '}
            <Link href={jobHref(a.JobID, a.Namespace)}>{a.JobID}</Link>
          </>
        ) : null}
        {' / '}
        {shortId(id)}
      </p>
      <Title>
        Allocation <code>{shortId(id)}</code> {a ? <Badge status={a.ClientStatus} /> : null}
      </Title>
      <ErrorBanner error={alloc.error} what="Reading the allocation" />
      {!a ? <Loading what="the allocation" /> : null}
      {a ? (
        <>
          <dl class="facts">
            <dt>ID</dt>
            <dd>
              <code>{a.ID}</code>
            </dd>
            <dt>Name</dt>
            <dd>{a.Name}</dd>
            <dt>Job</dt>
            <dd>
              <Link href={jobHref(a.JobID, a.Namespace)}>{a.JobID}</Link> (version {a.Job?.Version ?? a.JobVersion})
            </dd>
            <dt>Task group</dt>
            <dd>{a.TaskGroup}</dd>
            <dt>Client</dt>
            <dd>{a.NodeID ? <Link href={nodeHref(a.NodeID)}>{a.NodeName || shortId(a.NodeID)}</Link> : '—'}</dd>
            <dt>Client status</dt>
            <dd>
              <Badge status={a.ClientStatus} /> {a.ClientDescription}
            </dd>
            <dt>Desired status</dt>
            <dd>
              {a.DesiredStatus} {a.DesiredDescription}
            </dd>
            <dt>Created</dt>
            <dd>{time(a.CreateTime)}</dd>
            {a.NextAllocation ? (
              <>
                <dt>Rescheduled as</dt>
                <dd>
                  <Link href={`${BASE}/allocations/${a.NextAllocation}`}>{shortId(a.NextAllocation)}</Link>
                </dd>
              </>
            ) : null}
          </dl>
          {Object.entries((a.TaskStates ?? {}) as Record<string, Obj>).map(([name, ts]) => (
            <Section key={name} title={`Task ${name}`} id={`task-${name}`}>
              <p>
                <Badge status={ts.State} /> {ts.Failed ? <span class="tag bad">failed</span> : null} restarts: {ts.Restarts ?? 0}, started {time(ts.StartedAt)}, finished{' '}
                {time(ts.FinishedAt)}
              </p>
              <table aria-label={`Events of task ${name}`}>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Type</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {[...((ts.Events ?? []) as Obj[])].reverse().map((e, i) => (
                    <tr key={i}>
                      <td>{time(e.Time)}</td>
                      <td>{e.Type}</td>
                      <td>{e.DisplayMessage || e.Message || '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <TaskLogs allocId={a.ID} task={name} version={Number(a.ModifyIndex) || 0} />
            </Section>
          ))}
          {!a.TaskStates || Object.keys(a.TaskStates).length === 0 ? <p class="muted">No task has started yet.</p> : null}
        </>
      ) : null}
    </>
  );
}
