// The mock panel's lists: faults (add, remove), the request journal (live) and the nodes.
import { useState } from 'preact/hooks';
import { api, useLive, usePoll } from '../api';
import { Badge, Empty, ErrorBanner, Note, Section, shortId, useAction } from '../components';

type Obj = Record<string, any>;

export function Faults() {
  const list = usePoll<Obj[]>('/_mock/faults', 3000);
  const action = useAction();
  const [form, setForm] = useState({ Method: '', Path: '/v1/jobs', Status: '503', Body: '', Probability: '', LatencyMs: '', Times: '' });
  const field = (name: keyof typeof form) => (e: Event) => setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value });
  const add = (e: Event) => {
    e.preventDefault();
    const body: Obj = { Path: form.Path.trim() };
    if (form.Method) body.Method = form.Method;
    if (form.Status.trim()) body.Status = Number(form.Status);
    if (form.Body) body.Body = form.Body;
    if (form.Probability.trim()) body.Probability = Number(form.Probability);
    if (form.LatencyMs.trim()) body.LatencyMs = Number(form.LatencyMs);
    if (form.Times.trim()) body.Times = Number(form.Times);
    action.run(async () => {
      await api('POST', '/_mock/faults', body);
      list.refresh();
    }, 'Fault added.');
  };
  const remove = (id: string) =>
    action.run(async () => {
      await api('DELETE', `/_mock/faults/${encodeURIComponent(id)}`);
      list.refresh();
    }, 'Fault removed.');
  return (
    <Section title="Faults">
      <ErrorBanner error={list.error} />
      {list.data && list.data.length === 0 ? <Empty text="No faults: every call reaches the API." /> : null}
      {list.data && list.data.length ? (
        <table aria-label="Faults">
          <thead>
            <tr>
              <th scope="col">ID</th>
              <th scope="col">Method</th>
              <th scope="col">Path</th>
              <th scope="col">Answer</th>
              <th scope="col">Probability</th>
              <th scope="col">Left</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((f) => (
              <tr key={f.ID}>
                <td>{f.ID}</td>
                <td>{f.Method || 'any'}</td>
                <td>
                  <code>{f.Path}</code>
                </td>
                <td>{f.Connection ? `connection ${f.Connection}` : f.Status ? `${f.Status} ${f.Body ?? ''}` : ''}{f.LatencyMs ? ` after ${f.LatencyMs} ms` : ''}</td>
                <td>{f.Probability ?? 1}</td>
                <td>{f.Times ? Math.max(0, f.Times - (f.Hits ?? 0)) : '∞'}</td>
                <td>
                  <button type="button" aria-label={`Remove fault ${f.ID}`} onClick={() => remove(String(f.ID))}>
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form class="grid" onSubmit={add} aria-label="Add a fault">
        <label>
          Method
          <select value={form.Method} onChange={field('Method')}>
            <option value="">any</option>
            {['GET', 'PUT', 'POST', 'DELETE'].map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label>
          Path (glob or /regex/)
          <input required value={form.Path} onInput={field('Path')} />
        </label>
        <label>
          Status
          <input type="number" min="100" max="599" value={form.Status} onInput={field('Status')} />
        </label>
        <label>
          Body
          <input value={form.Body} onInput={field('Body')} />
        </label>
        <label>
          Probability
          <input type="number" min="0" max="1" step="any" value={form.Probability} placeholder="1" onInput={field('Probability')} />
        </label>
        <label>
          Latency (ms)
          <input type="number" min="0" value={form.LatencyMs} onInput={field('LatencyMs')} />
        </label>
        <label>
          Times
          <input type="number" min="1" value={form.Times} placeholder="∞" onInput={field('Times')} />
        </label>
        <button type="submit">Add fault</button>
      </form>
      <ErrorBanner error={action.error} />
      <Note text={action.note} />
    </Section>
  );
}

export function Journal() {
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState('');
  const list = usePoll<Obj[]>(`/_mock/requests?limit=50${filter.trim() ? `&path=${encodeURIComponent(filter.trim())}` : ''}`, 1000, paused);
  const action = useAction();
  const entries = [...(list.data ?? [])].reverse();
  return (
    <Section title="Request journal">
      <div class="row">
        <label>
          Path (exact, or a prefix ending in *)
          <input value={filter} onInput={(e) => setFilter(e.currentTarget.value)} placeholder="/v1/job/*" />
        </label>
        <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
          {paused ? 'Resume' : 'Pause'}
        </button>
        <button
          type="button"
          onClick={() =>
            action.run(async () => {
              await api('DELETE', '/_mock/requests');
              list.refresh();
            })
          }
        >
          Clear journal
        </button>
      </div>
      <ErrorBanner error={list.error ?? action.error} />
      <p class="muted">The newest 50 API calls (this page's own calls included), newest first{paused ? ' — paused' : ', live'}.</p>
      <div class="scroll" tabIndex={0} aria-label="Journal entries">
        <table aria-label="Request journal">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Time</th>
              <th scope="col">Method</th>
              <th scope="col">Path</th>
              <th scope="col">Status</th>
              <th scope="col">ms</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.ID} class={e.Status >= 400 ? 'bad' : ''}>
                <td>{e.ID}</td>
                <td>{String(e.Time).slice(11, 23)}</td>
                <td>{e.Method}</td>
                <td>
                  <code>
                    {e.Path}
                    {Object.keys(e.Query ?? {}).length ? `?${new URLSearchParams(e.Query).toString()}` : ''}
                  </code>
                </td>
                <td>{e.Status}</td>
                <td>{Math.round(e.DurationMs)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Section>
  );
}

export function MockNodes() {
  const nodes = useLive<Obj[]>('/v1/nodes');
  const action = useAction();
  const [name, setName] = useState('');
  const [dc, setDc] = useState('');
  const [pool, setPool] = useState('');
  const add = (e: Event) => {
    e.preventDefault();
    const body: Obj = {};
    if (name.trim()) body.Name = name.trim();
    if (dc.trim()) body.Datacenter = dc.trim();
    if (pool.trim()) body.NodePool = pool.trim();
    action.run(() => api('POST', '/_mock/nodes', body), 'Node added.');
  };
  const mark = (id: string, how: 'down' | 'up') => action.run(() => api('POST', `/_mock/node/${encodeURIComponent(id)}/${how}`), `Node marked ${how}.`);
  return (
    <Section title="Nodes">
      <ErrorBanner error={nodes.error} />
      <table aria-label="Nodes">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Name</th>
            <th scope="col">Datacenter</th>
            <th scope="col">Pool</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(nodes.data ?? []).map((n) => (
            <tr key={n.ID}>
              <td>
                <code>{shortId(n.ID)}</code>
              </td>
              <td>{n.Name}</td>
              <td>{n.Datacenter}</td>
              <td>{n.NodePool}</td>
              <td>
                <Badge status={n.Status} />
              </td>
              <td>
                {n.Status === 'down' ? (
                  <button type="button" aria-label={`Mark ${n.Name} up`} onClick={() => mark(n.ID, 'up')}>
                    Mark up
                  </button>
                ) : (
                  <button type="button" aria-label={`Mark ${n.Name} down`} onClick={() => mark(n.ID, 'down')}>
                    Mark down
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form class="row" onSubmit={add} aria-label="Add a node">
        <label>
          Name
          <input value={name} onInput={(e) => setName(e.currentTarget.value)} placeholder="generated" />
        </label>
        <label>
          Datacenter
          <input value={dc} size={8} onInput={(e) => setDc(e.currentTarget.value)} placeholder="dc1" />
        </label>
        <label>
          Node pool
          <input value={pool} size={8} onInput={(e) => setPool(e.currentTarget.value)} placeholder="default" />
        </label>
        <button type="submit">Add node</button>
      </form>
      <ErrorBanner error={action.error} />
      <Note text={action.note} />
    </Section>
  );
}
