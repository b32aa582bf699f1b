// Jobs: every job of a namespace (or all), its status, type and allocation summary, with a filter.
import { useState } from 'preact/hooks';
import { nsQuery, useLive } from '../api';
import { AllocBar, Badge, Empty, ErrorBanner, Loading, Title, sumGroups, type Counts } from '../components';
import { Link, jobHref } from '../router';
import { NamespaceSelect, useNamespace } from './namespace-select';

interface JobStub {
  ID: string;
  Name: string;
  Namespace: string;
  Type: string;
  Status: string;
  Priority: number;
  ParentID?: string;
  Periodic?: boolean;
  ParameterizedJob?: boolean;
  Stop?: boolean;
  JobSummary?: { Summary?: Record<string, Counts>; Children?: { Pending: number; Running: number; Dead: number } };
}

export function JobsView() {
  const [ns, setNs] = useNamespace();
  const [filter, setFilter] = useState('');
  const jobs = useLive<JobStub[]>(`/v1/jobs?${nsQuery(ns)}`);
  const f = filter.trim().toLowerCase();
  const rows = (jobs.data ?? []).filter(
    (j) => !f || j.ID.toLowerCase().includes(f) || j.Type.includes(f) || j.Status.includes(f) || j.Namespace.toLowerCase().includes(f),
  );
  return (
    <>
      <Title>Jobs</Title>
      <div class="toolbar">
        <NamespaceSelect value={ns} onChange={setNs} />
        <label>
          Filter
          <input type="search" value={filter} placeholder="name, type or status" aria-label="Filter jobs" onInput={(e) => setFilter(e.currentTarget.value)} />
        </label>
      </div>
      <ErrorBanner error={jobs.error} what="Listing jobs" />
      {jobs.loading ? <Loading what="jobs" /> : null}
      {jobs.data && rows.length === 0 ? <Empty text={f ? 'No job matches the filter.' : 'No jobs in this namespace.'} /> : null}
      {rows.length > 0 ? (
        <table aria-label="Jobs">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Namespace</th>
              <th scope="col">Status</th>
              <th scope="col">Type</th>
              <th scope="col">Priority</th>
              <th scope="col">Summary</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((j) => (
              <tr key={`${j.Namespace}/${j.ID}`} data-job={j.ID}>
                <td>
                  <Link href={jobHref(j.ID, j.Namespace)}>{j.ID}</Link>
                  {j.Periodic ? <span class="tag">periodic</span> : null}
                  {j.ParameterizedJob ? <span class="tag">parameterized</span> : null}
                  {j.ParentID ? <span class="tag">child</span> : null}
                </td>
                <td>{j.Namespace}</td>
                <td>
                  <Badge status={j.Stop && j.Status !== 'dead' ? `${j.Status} (stopped)` : j.Status} />
                </td>
                <td>{j.Type}</td>
                <td>{j.Priority}</td>
                <td class="wide">
                  {j.Periodic || j.ParameterizedJob ? (
                    <span class="muted">
                      children: {j.JobSummary?.Children?.Pending ?? 0} pending, {j.JobSummary?.Children?.Running ?? 0} running, {j.JobSummary?.Children?.Dead ?? 0} dead
                    </span>
                  ) : (
                    <AllocBar counts={sumGroups(j.JobSummary?.Summary)} label={`${j.ID} allocations`} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
