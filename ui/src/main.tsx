// The app shell: Nomad-style navigation on the left, the view for the address on the right.
import { render } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { BASE, Link, location, navigate, splitAt } from './router';
import { token } from './api';
import { JobsView } from './views/jobs';
import { JobView } from './views/job';
import { AllocView } from './views/alloc';
import { NodesView, NodeView } from './views/nodes';
import { EvalsView } from './views/evals';
import { NamespacesView } from './views/namespaces';
import { VariablesView, VariableView } from './views/variables';
import { TokenView } from './views/token';
import { MockView } from './views/mock';
import './style.css';

const NAV: { href: string; label: string; match: string }[] = [
  { href: `${BASE}/jobs`, label: 'Jobs', match: 'jobs' },
  { href: `${BASE}/clients`, label: 'Clients', match: 'clients' },
  { href: `${BASE}/evaluations`, label: 'Evaluations', match: 'evaluations' },
  { href: `${BASE}/namespaces`, label: 'Namespaces', match: 'namespaces' },
  { href: `${BASE}/variables`, label: 'Variables', match: 'variables' },
  { href: `${BASE}/settings/tokens`, label: 'ACL Tokens', match: 'settings' },
  { href: `${BASE}/mock`, label: 'Mock panel', match: 'mock' },
];

function route(path: string) {
  const parts = path.replace(/^\/ui\/?/, '').split('?')[0]!.split('/').filter(Boolean);
  const [head, a, ...rest] = parts;
  switch (head) {
    case undefined:
    case 'jobs':
      if (a) {
        const { id, ns } = splitAt(a);
        return <JobView key={`${id}@${ns}`} id={id} ns={ns} />;
      }
      return <JobsView />;
    case 'allocations':
      return a ? <AllocView key={a} id={decodeURIComponent(a)} /> : <NotFound />;
    case 'clients':
      return a ? <NodeView key={a} id={decodeURIComponent(a)} /> : <NodesView />;
    case 'evaluations':
      return <EvalsView />;
    case 'namespaces':
      return <NamespacesView />;
    case 'variables':
      if (a === 'var' && rest.length) {
        const { id, ns } = splitAt(rest.join('/'));
        return <VariableView key={`${id}@${ns}`} path={id} ns={ns} />;
      }
      return <VariablesView />;
    case 'settings':
      return <TokenView />;
    case 'mock':
      return <MockView />;
    default:
      return <NotFound />;
  }
}

function NotFound() {
  return (
    <>
      <h1>Not found</h1>
      <p>
        Nothing lives at this address. <Link href={`${BASE}/jobs`}>Go to the jobs</Link>.
      </p>
    </>
  );
}

function App() {
  const path = location.use();
  const tok = token.use();
  const section = path.replace(/^\/ui\/?/, '').split(/[/?]/)[0] || 'jobs';
  useEffect(() => {
    if (path === BASE || path === `${BASE}/`) navigate(`${BASE}/jobs`, true);
  }, [path]);
  const loaded = useRef(false);
  useEffect(() => {
    document.title = `${NAV.find((n) => n.match === section)?.label ?? 'nomad-mock'} · nomad-mock`;
    // After a navigation, focus moves to the new page's heading (screen readers announce it). Not
    // on the page's load: there the first Tab must reach the skip link, whenever the user presses it.
    if (loaded.current) document.querySelector<HTMLElement>('main h1')?.focus();
    loaded.current = true;
  }, [path]);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">nomad-mock</span>
        <span class="muted">a Nomad API emulator</span>
        <span class="spacer" />
        <Link href={`${BASE}/settings/tokens`} class="tokenlink">
          {tok ? 'Token set' : 'Sign in (ACL token)'}
        </Link>
      </header>
      <nav aria-label="Main">
        <ul>
          {NAV.map((n) => (
            <li key={n.href}>
              <Link href={n.href} aria-current={n.match === section ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {route(path)}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
