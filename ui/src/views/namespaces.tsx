// Namespaces: names and descriptions.
import { useLive } from '../api';
import { ErrorBanner, Loading, Title } from '../components';

export function NamespacesView() {
  const list = useLive<{ Name: string; Description: string; CreateIndex: number }[]>('/v1/namespaces');
  return (
    <>
      <Title>Namespaces</Title>
      <ErrorBanner error={list.error} what="Listing namespaces" />
      {!list.data ? <Loading what="namespaces" /> : null}
      {list.data ? (
        <table aria-label="Namespaces">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Created at index</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((n) => (
              <tr key={n.Name}>
                <td>{n.Name}</td>
                <td>{n.Description || '—'}</td>
                <td>{n.CreateIndex}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}
