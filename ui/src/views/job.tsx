// One job: its status and actions (stop, start, purge, dispatch, force launch), task groups,
// allocations, evaluations, deployments and versions, all live.
import { api, nsQuery, useLive, ApiError } from '../api';
import { Badge, ConfirmButton, Empty, ErrorBanner, Loading, Note, Section, Title, shortId, time, useAction } from '../components';
import { BASE, Link, allocHref, jobHref, navigate, nodeHref } from '../router';
import { Deployments, Dispatch, Versions } from './job-more';

type Job = Record<string, any>;
type Alloc = Record<string, any>;

export function JobView({ id, ns }: { id: string; ns: string }) {
  const base = `/v1/job/${encodeURIComponent(id)}`;
  const q = nsQuery(ns);
  const job = useLive<Job>(`${base}?${q}`);
  const allocs = useLive<Alloc[]>(`${base}/allocations?${q}`);
  const evals = useLive<Alloc[]>(`${base}/evaluations?${q}`);
  const action = useAction();
  const j = job.data;
  if (job.error instanceof ApiError && job.error.status === 404) {
    return (
      <>
        <Title>Job {id}</Title>
        <p role="alert" class="error">
          Job “{id}” not found in namespace {ns}.
        </p>
        <Link href={`${BASE}/jobs`}>Back to the jobs</Link>
      </>
    );
  }
  const stop = () => action.run(() => api('DELETE', `${base}?${q}`), 'Job stopped.');
  const purge = () =>
    action.run(async () => {
      await api('DELETE', `${base}?${q}&purge=true`);
      navigate(`${BASE}/jobs`);
    });
  // Start: register the stopped job again with Stop false, as Nomad's UI does.
  const start = () => action.run(() => api('POST', `${base}?${q}`, { Job: { ...j, Stop: false } }), 'Job started.');
  const force = () => action.run(() => api('POST', `${base}/periodic/force?${q}`), 'Periodic launch forced.');
  const parent = j?.ParentID as string | undefined;
  return (
    <>
      <p class="crumbs">
        <Link href={`${BASE}/jobs`}>Jobs</Link>
        {parent ? (
          <>
            {' / '}
            <Link href={jobHref(parent, ns)}>{parent}</Link>
          </>
        ) : null}
        {' / '}
        {id}
      </p>
      <Title>
        {id} <Badge status={j?.Status} />
        {j?.Stop ? <span class="tag">stopped</span> : null}
      </Title>
      <ErrorBanner error={job.error} what="Reading the job" />
      {!j ? <Loading what="the job" /> : null}
      {j ? (
        <>
          <dl class="facts">
            <dt>Type</dt>
            <dd>{j.Type}</dd>
            <dt>Namespace</dt>
            <dd>{j.Namespace}</dd>
            <dt>Version</dt>
            <dd>{j.Version}</dd>
            <dt>Priority</dt>
            <dd>{j.Priority}</dd>
            <dt>Datacenters</dt>
            <dd>{(j.Datacenters ?? []).join(', ')}</dd>
            <dt>Node pool</dt>
            <dd>{j.NodePool}</dd>
            <dt>Submitted</dt>
            <dd>{time(j.SubmitTime)}</dd>
            {j.Periodic ? (
              <>
                <dt>Cron</dt>
                <dd>{j.Periodic.Spec ?? (j.Periodic.Specs ?? []).join(', ')}</dd>
              </>
            ) : null}
          </dl>
          <div class="actions" role="group" aria-label="Job actions">
            {j.Stop ? (
              <button type="button" onClick={start}>
                Start
              </button>
            ) : (
              <ConfirmButton label="Stop" confirm="Yes, stop the job" onConfirm={stop} danger />
            )}
            <ConfirmButton label="Purge" confirm="Yes, purge the job" onConfirm={purge} danger />
            {j.Periodic && !j.ParentID ? (
              <button type="button" onClick={force}>
                Force launch
              </button>
            ) : null}
          </div>
          <ErrorBanner error={action.error} />
          <Note text={action.note} />
          {j.ParameterizedJob && !j.Dispatched ? <Dispatch base={base} q={q} ns={ns} /> : null}
          <Groups job={j} allocs={allocs.data ?? []} />
        </>
      ) : null}
      <Section title="Allocations">
        <ErrorBanner error={allocs.error} />
        <AllocTable allocs={allocs.data} />
      </Section>
      <Section title="Evaluations">
        <ErrorBanner error={evals.error} />
        <EvalTable evals={evals.data} />
      </Section>
      {j && j.Type === 'service' ? <Deployments base={base} q={q} /> : null}
      {j ? <Versions base={base} q={q} version={j.Version as number} modifyIndex={j.JobModifyIndex as number} /> : null}
    </>
  );
}

function Groups({ job, allocs }: { job: Job; allocs: Alloc[] }) {
  return (
    <Section title="Task Groups">
      <table aria-label="Task groups">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Count</th>
            <th scope="col">Tasks</th>
            <th scope="col">Pending</th>
            <th scope="col">Running</th>
            <th scope="col">Complete</th>
            <th scope="col">Failed</th>
            <th scope="col">Lost</th>
          </tr>
        </thead>
        <tbody>
          {(job.TaskGroups ?? []).map((g: Job) => {
            const mine = allocs.filter((a) => a.TaskGroup === g.Name);
            const n = (s: string) => mine.filter((a) => a.ClientStatus === s).length;
            return (
              <tr key={g.Name}>
                <td>{g.Name}</td>
                <td>{g.Count}</td>
                <td>{(g.Tasks ?? []).map((t: Job) => `${t.Name} (${t.Driver})`).join(', ')}</td>
                <td>{n('pending')}</td>
                <td>{n('running')}</td>
                <td>{n('complete')}</td>
                <td>{n('failed')}</td>
                <td>{n('lost')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </Section>
  );
}

export function AllocTable({ allocs, showJob }: { allocs: Alloc[] | undefined; showJob?: boolean }) {
  if (!allocs) return <Loading what="allocations" />;
  if (allocs.length === 0) return <Empty text="No allocations." />;
  const sorted = [...allocs].sort((a, b) => (b.CreateIndex ?? 0) - (a.CreateIndex ?? 0));
  return (
    <table aria-label="Allocations">
      <thead>
        <tr>
          <th scope="col">ID</th>
          {showJob ? <th scope="col">Job</th> : null}
          <th scope="col">Task Group</th>
          <th scope="col">Client</th>
          <th scope="col">Status</th>
          <th scope="col">Desired</th>
          <th scope="col">Version</th>
          <th scope="col">Created</th>
          <th scope="col">Modified</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((a) => (
          <tr key={a.ID} data-alloc={a.ID}>
            <td>
              <Link href={allocHref(a.ID)} aria-label={`Allocation ${a.ID}`}>
                <code>{shortId(a.ID)}</code>
              </Link>
            </td>
            {showJob ? (
              <td>
                <Link href={jobHref(a.JobID, a.Namespace)}>{a.JobID}</Link>
              </td>
            ) : null}
            <td>{a.TaskGroup}</td>
            <td>{a.NodeID ? <Link href={nodeHref(a.NodeID)}>{a.NodeName || shortId(a.NodeID)}</Link> : '—'}</td>
            <td>
              <Badge status={a.ClientStatus} />
            </td>
            <td>{a.DesiredStatus}</td>
            <td>{a.JobVersion}</td>
            <td>{time(a.CreateTime)}</td>
            <td>{time(a.ModifyTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function EvalTable({ evals, showJob }: { evals: Alloc[] | undefined; showJob?: boolean }) {
  if (!evals) return <Loading what="evaluations" />;
  if (evals.length === 0) return <Empty text="No evaluations." />;
  const sorted = [...evals].sort((a, b) => (b.CreateIndex ?? 0) - (a.CreateIndex ?? 0));
  return (
    <table aria-label="Evaluations">
      <thead>
        <tr>
          <th scope="col">ID</th>
          {showJob ? <th scope="col">Job</th> : null}
          <th scope="col">Triggered By</th>
          <th scope="col">Status</th>
          <th scope="col">Description</th>
          <th scope="col">Priority</th>
          <th scope="col">Placement Failures</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((e) => (
          <tr key={e.ID}>
            <td>
              <code title={e.ID}>{shortId(e.ID)}</code>
            </td>
            {showJob ? (
              <td>
                <Link href={jobHref(e.JobID, e.Namespace)}>{e.JobID}</Link>
              </td>
            ) : null}
            <td>{e.TriggeredBy}</td>
            <td>
              <Badge status={e.Status} />
            </td>
            <td>{e.StatusDescription || '—'}</td>
            <td>{e.Priority}</td>
            <td>{e.FailedTGAllocs && Object.keys(e.FailedTGAllocs).length ? `yes (${Object.keys(e.FailedTGAllocs).join(', ')})` : 'no'}</td>
            <td>{time(e.CreateTime)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
