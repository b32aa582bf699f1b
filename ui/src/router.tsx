// History-API routing under /ui/: real links (open in a new tab, copy the address), no reloads.
import type { ComponentChildren } from 'preact';
import { signal } from './signal';

export const BASE = '/ui';
export const location = signal(window.location.pathname + window.location.search);

window.addEventListener('popstate', () => location.set(window.location.pathname + window.location.search));

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  location.set(window.location.pathname + window.location.search);
  window.scrollTo(0, 0);
}

interface LinkProps {
  href: string;
  children: ComponentChildren;
  class?: string;
  'aria-label'?: string;
  'aria-current'?: 'page';
}

export function Link({ href, children, ...rest }: LinkProps) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}

/** `/ui/jobs/<name>@<namespace>`, as Nomad's UI spells a job's address. */
export const jobHref = (id: string, ns: string): string => `${BASE}/jobs/${encodeURIComponent(id)}@${encodeURIComponent(ns || 'default')}`;
export const allocHref = (id: string): string => `${BASE}/allocations/${encodeURIComponent(id)}`;
export const nodeHref = (id: string): string => `${BASE}/clients/${encodeURIComponent(id)}`;

/** Splits `name@namespace` at the last `@` (a job name may hold one). */
export function splitAt(ref: string): { id: string; ns: string } {
  const at = ref.lastIndexOf('@');
  if (at < 0) return { id: decodeURIComponent(ref), ns: 'default' };
  return { id: decodeURIComponent(ref.slice(0, at)), ns: decodeURIComponent(ref.slice(at + 1)) || 'default' };
}
