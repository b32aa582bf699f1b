// The job page's deployments (progress, promote, fail), versions (diffs, revert) and dispatch form.
import { useEffect, useState } from 'preact/hooks';
import { api, get, useLive } from '../api';
import { Badge, ConfirmButton, Empty, ErrorBanner, Loading, Note, Section, shortId, time, useAction } from '../components';
import { jobHref, navigate } from '../router';

type Obj = Record<string, any>;

export function Deployments({ base, q }: { base: string; q: string }) {
  const list = useLive<Obj[]>(`${base}/deployments?${q}`);
  const action = useAction();
  const act = (path: string, body: Obj, done: string) => action.run(() => api('POST', path, body), done);
  const deps = [...(list.data ?? [])].sort((a, b) => (b.CreateIndex ?? 0) - (a.CreateIndex ?? 0));
  return (
    <Section title="Deployments">
      <ErrorBanner error={list.error} />
      <ErrorBanner error={action.error} />
      <Note text={action.note} />
      {!list.data ? <Loading what="deployments" /> : deps.length === 0 ? <Empty text="No deployments." /> : null}
      {deps.map((d) => {
        const groups = Object.entries((d.TaskGroups ?? {}) as Record<string, Obj>);
        const desired = groups.reduce((n, [, g]) => n + (g.DesiredTotal ?? 0), 0);
        const healthy = groups.reduce((n, [, g]) => n + (g.HealthyAllocs ?? 0), 0);
        const canPromote = d.Status === 'running' && groups.some(([, g]) => (g.DesiredCanaries ?? 0) > 0 && !g.Promoted);
        const live = d.Status === 'running' || d.Status === 'paused' || d.Status === 'pending';
        return (
          <article class="card" key={d.ID} aria-label={`Deployment ${shortId(d.ID)}`}>
            <h3>
              <code title={d.ID}>{shortId(d.ID)}</code> <Badge status={d.Status} /> <span class="muted">version {d.JobVersion}</span>
            </h3>
            <p>{d.StatusDescription}</p>
            <label class="progress">
              Healthy {healthy} of {desired}
              <progress max={desired || 1} value={healthy} />
            </label>
            <table aria-label="Deployment task groups">
              <thead>
                <tr>
                  <th scope="col">Group</th>
                  <th scope="col">Desired</th>
                  <th scope="col">Placed</th>
                  <th scope="col">Healthy</th>
                  <th scope="col">Unhealthy</th>
                  <th scope="col">Canaries</th>
                  <th scope="col">Promoted</th>
                  <th scope="col">Deadline</th>
                </tr>
              </thead>
              <tbody>
                {groups.map(([name, g]) => (
                  <tr key={name}>
                    <td>{name}</td>
                    <td>{g.DesiredTotal}</td>
                    <td>{g.PlacedAllocs}</td>
                    <td>{g.HealthyAllocs}</td>
                    <td>{g.UnhealthyAllocs}</td>
                    <td>
                      {(g.PlacedCanaries ?? []).length} / {g.DesiredCanaries}
                    </td>
                    <td>{g.Promoted ? 'yes' : 'no'}</td>
                    <td>{time(g.RequireProgressBy)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {live ? (
              <div class="actions" role="group" aria-label="Deployment actions">
                {canPromote ? (
                  <button type="button" onClick={() => act(`/v1/deployment/promote/${d.ID}`, { DeploymentID: d.ID, All: true }, 'Deployment promoted.')}>
                    Promote canaries
                  </button>
                ) : null}
                <ConfirmButton label="Fail deployment" confirm="Yes, fail it" danger onConfirm={() => act(`/v1/deployment/fail/${d.ID}`, { DeploymentID: d.ID }, 'Deployment failed.')} />
              </div>
            ) : null}
          </article>
        );
      })}
    </Section>
  );
}

interface VersionsAnswer {
  Versions: Obj[];
  Diffs: Obj[] | null;
}

export function Versions({ base, q, version, modifyIndex }: { base: string; q: string; version: number; modifyIndex: number }) {
  const [data, setData] = useState<VersionsAnswer | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const action = useAction();
  // Versions change only when the job does: read again whenever its modify index moves.
  useEffect(() => {
    get<VersionsAnswer>(`${base}/versions?diffs=true&${q}`).then(
      (v) => {
        setData(v);
        setError(null);
      },
      (e) => setError(e as Error),
    );
  }, [base, q, modifyIndex]);
  const revert = (v: Obj) =>
    action.run(() => api('POST', `${base}/revert?${q}`, { JobID: v.ID, JobVersion: v.Version }), `Reverted to version ${v.Version}.`);
  return (
    <Section title="Versions">
      <ErrorBanner error={error} />
      <ErrorBanner error={action.error} />
      <Note text={action.note} />
      {!data ? <Loading what="versions" /> : null}
      {(data?.Versions ?? []).map((v, i) => {
        const diff = data?.Diffs?.[i];
        return (
          <article class="card" key={v.Version} aria-label={`Version ${v.Version}`}>
            <h3>
              Version #{v.Version} {v.Stable ? <span class="tag">stable</span> : null}
              {v.Version === version ? <span class="tag">current</span> : null} <span class="muted">{time(v.SubmitTime)}</span>
            </h3>
            {diff ? <Diff diff={diff} /> : <p class="muted">{i === (data?.Versions.length ?? 0) - 1 ? 'The first version.' : 'No changes.'}</p>}
            {v.Version !== version ? (
              <ConfirmButton label={`Revert to version ${v.Version}`} confirm="Yes, revert" onConfirm={() => revert(v)} />
            ) : null}
          </article>
        );
      })}
    </Section>
  );
}

const MARK: Record<string, string> = { Added: '+', Deleted: '-', Edited: '~' };

function Diff({ diff }: { diff: Obj }) {
  const items = (list: Obj[] | null | undefined) => (list ?? []).filter((x) => x.Type && x.Type !== 'None');
  const fields = items(diff.Fields);
  const objects = items(diff.Objects);
  const groups = items(diff.TaskGroups);
  const tasks = items(diff.Tasks);
  if (!fields.length && !objects.length && !groups.length && !tasks.length) return <p class="muted">No changes.</p>;
  return (
    <ul class="diff">
      {fields.map((f) => (
        <li key={`f-${f.Name}`} class={`d-${String(f.Type).toLowerCase()}`}>
          <span class="mark">{MARK[f.Type] ?? ' '}</span> {f.Name}: {f.Type === 'Added' ? <ins>{f.New}</ins> : f.Type === 'Deleted' ? <del>{f.Old}</del> : <>
            <del>{f.Old}</del> → <ins>{f.New}</ins>
          </>}
        </li>
      ))}
      {[...objects, ...groups, ...tasks].map((o, i) => (
        <li key={`o-${o.Name}-${i}`} class={`d-${String(o.Type).toLowerCase()}`}>
          <span class="mark">{MARK[o.Type] ?? ' '}</span> {o.Name} {'{'}
          <Diff diff={o} />
          {'}'}
        </li>
      ))}
    </ul>
  );
}

export function Dispatch({ base, q, ns }: { base: string; q: string; ns: string }) {
  const [meta, setMeta] = useState('');
  const [payload, setPayload] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    action.run(async () => {
      const Meta: Record<string, string> = {};
      for (const line of meta.split('\n')) {
        const eq = line.indexOf('=');
        if (line.trim() === '') continue;
        if (eq < 1) throw new Error(`meta line ${JSON.stringify(line)} is not key=value`);
        Meta[line.slice(0, eq).trim()] = line.slice(eq + 1);
      }
      const bytes = new TextEncoder().encode(payload);
      const Payload = payload ? btoa(String.fromCharCode(...bytes)) : undefined;
      const res = await api<{ DispatchedJobID: string }>('POST', `${base}/dispatch?${q}`, { Meta, Payload });
      navigate(jobHref(res.data.DispatchedJobID, ns));
    });
  };
  return (
    <Section title="Dispatch">
      <form class="stack" onSubmit={submit} aria-label="Dispatch the parameterized job">
        <label>
          Meta (one key=value a line)
          <textarea rows={3} value={meta} onInput={(e) => setMeta(e.currentTarget.value)} />
        </label>
        <label>
          Payload
          <textarea rows={3} value={payload} onInput={(e) => setPayload(e.currentTarget.value)} />
        </label>
        <button type="submit">Dispatch</button>
      </form>
      <ErrorBanner error={action.error} />
    </Section>
  );
}
