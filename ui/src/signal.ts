// A value components can read and follow: enough shared state for a UI this size, no library.
import { useEffect, useState } from 'preact/hooks';

export interface Signal<T> {
  get(): T;
  set(value: T): void;
  subscribe(fn: (value: T) => void): () => void;
  /** The value, re-rendering the calling component when it changes. */
  use(): T;
}

export function signal<T>(initial: T): Signal<T> {
  let value = initial;
  const subs = new Set<(value: T) => void>();
  const s: Signal<T> = {
    get: () => value,
    set(next) {
      if (Object.is(next, value)) return;
      value = next;
      for (const fn of [...subs]) fn(value);
    },
    subscribe(fn) {
      subs.add(fn);
      return () => subs.delete(fn);
    },
    use() {
      const [, force] = useState(0);
      useEffect(() => s.subscribe(() => force((n) => n + 1)), []);
      return value;
    },
  };
  return s;
}
