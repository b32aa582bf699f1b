// The namespace switch: one of the namespaces, or all of them (`*`), remembered across views.
import { useLive } from '../api';
import { signal } from '../signal';

const current = signal(sessionStorage.getItem('nomad-mock.namespace') ?? 'default');
current.subscribe((v) => sessionStorage.setItem('nomad-mock.namespace', v));

export function useNamespace(): [string, (ns: string) => void] {
  return [current.use(), (ns) => current.set(ns)];
}

export function NamespaceSelect({ value, onChange }: { value: string; onChange: (ns: string) => void }) {
  const list = useLive<{ Name: string }[]>('/v1/namespaces');
  const names = (list.data ?? []).map((n) => n.Name);
  if (!names.includes(value) && value !== '*') names.push(value);
  return (
    <label>
      Namespace
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="*">All namespaces</option>
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}
