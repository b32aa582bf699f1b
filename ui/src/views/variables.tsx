// Variables: paths per namespace, and one variable's items.
import { nsQuery, useLive } from '../api';
import { Empty, ErrorBanner, Loading, Title, time } from '../components';
import { BASE, Link } from '../router';
import { NamespaceSelect, useNamespace } from './namespace-select';

interface VarMeta {
  Path: string;
  Namespace: string;
  ModifyTime: number;
  ModifyIndex: number;
}

const varHref = (path: string, ns: string): string => `${BASE}/variables/var/${path.split('/').map(encodeURIComponent).join('/')}@${encodeURIComponent(ns)}`;

export function VariablesView() {
  const [ns, setNs] = useNamespace();
  const list = useLive<VarMeta[]>(`/v1/vars?${nsQuery(ns)}`);
  return (
    <>
      <Title>Variables</Title>
      <div class="toolbar">
        <NamespaceSelect value={ns} onChange={setNs} />
      </div>
      <ErrorBanner error={list.error} what="Listing variables" />
      {!list.data && !list.error ? <Loading what="variables" /> : null}
      {list.data && list.data.length === 0 ? <Empty text="No variables here." /> : null}
      {list.data && list.data.length ? (
        <table aria-label="Variables">
          <thead>
            <tr>
              <th scope="col">Path</th>
              <th scope="col">Namespace</th>
              <th scope="col">Last modified</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((v) => (
              <tr key={`${v.Namespace}/${v.Path}`}>
                <td>
                  <Link href={varHref(v.Path, v.Namespace)}>{v.Path}</Link>
                </td>
                <td>{v.Namespace}</td>
                <td>{time(v.ModifyTime)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

export function VariableView({ path, ns }: { path: string; ns: string }) {
  const v = useLive<VarMeta & { Items: Record<string, string> }>(`/v1/var/${path.split('/').map(encodeURIComponent).join('/')}?${nsQuery(ns)}`);
  return (
    <>
      <p class="crumbs">
        <Link href={`${BASE}/variables`}>Variables</Link> / {path}
      </p>
      <Title>{path}</Title>
      <ErrorBanner error={v.error} what="Reading the variable" />
      {v.data ? (
        <table aria-label="Items">
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(v.data.Items ?? {}).map(([k, val]) => (
              <tr key={k}>
                <td>{k}</td>
                <td>
                  <code>{val}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
