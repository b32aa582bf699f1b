// The shared list shape of /v1/allocations and /v1/deployments (and evals): namespace and ID-prefix
// filters, ordered by CreateIndex (token `<CreateIndex>.<ID>`) or by ID when a prefix is given.
import type { Obj } from './types.js';
import { createIndexTokenOrder, paginate } from './paginate.js';

export interface ListOptions {
  namespace: string;
  prefix: string;
  reverse: boolean;
  perPage: number;
  nextToken: string;
  accept?: (o: Obj) => boolean;
}

export function listByCreateIndex(items: Iterable<Obj>, opts: ListOptions): { items: Obj[]; nextToken: string } {
  let list = [...items].filter((o) => (opts.namespace === '*' || o.Namespace === opts.namespace) && String(o.ID).startsWith(opts.prefix));
  const byId = opts.prefix !== '';
  list.sort(byId ? (a, b) => (a.ID < b.ID ? -1 : 1) : (a, b) => a.CreateIndex - b.CreateIndex || (a.ID < b.ID ? -1 : 1));
  if (opts.reverse) list = list.reverse();
  const { page, nextToken } = paginate(list, {
    perPage: opts.perPage,
    nextToken: opts.nextToken,
    reverse: opts.reverse,
    tokenOf: byId ? (o) => o.ID : (o) => `${o.CreateIndex}.${o.ID}`,
    compare: byId ? undefined : createIndexTokenOrder,
    accept: opts.accept,
  });
  return { items: page, nextToken };
}
