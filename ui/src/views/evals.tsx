// Evaluations of a namespace (or all): what triggered them, their status and placement failures.
import { nsQuery, useLive } from '../api';
import { ErrorBanner, Title } from '../components';
import { EvalTable } from './job';
import { NamespaceSelect, useNamespace } from './namespace-select';

export function EvalsView() {
  const [ns, setNs] = useNamespace();
  const evals = useLive<Record<string, unknown>[]>(`/v1/evaluations?${nsQuery(ns)}`);
  return (
    <>
      <Title>Evaluations</Title>
      <div class="toolbar">
        <NamespaceSelect value={ns} onChange={setNs} />
      </div>
      <ErrorBanner error={evals.error} what="Listing evaluations" />
      <EvalTable evals={evals.data} showJob />
    </>
  );
}
