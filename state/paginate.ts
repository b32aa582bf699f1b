// Nomad's result paginator (nomad/state/paginator): skip to next_token (inclusive), filter, and stop
// at per_page, reporting the token of the first item of the next page.

export interface PageOptions<T> {
  perPage: number;
  nextToken: string;
  reverse: boolean;
  tokenOf: (item: T) => string;
  /** Token order; byte order unless the tokenizer says otherwise (CreateIndex tokens are numeric). */
  compare?: (a: string, b: string) => number;
  /** Applied after the token skip; filtered-out items do not count toward per_page. */
  accept?: (item: T) => boolean;
}

export function paginate<T>(items: Iterable<T>, opts: PageOptions<T>): { page: T[]; nextToken: string } {
  const page: T[] = [];
  for (const item of items) {
    if (opts.nextToken !== '') {
      const c = (opts.compare ?? byteOrder)(opts.tokenOf(item), opts.nextToken);
      if (opts.reverse ? c > 0 : c < 0) continue;
    }
    if (opts.accept && !opts.accept(item)) continue;
    if (opts.perPage !== 0 && page.length >= opts.perPage) {
      return { page, nextToken: opts.tokenOf(item) };
    }
    page.push(item);
  }
  return { page, nextToken: '' };
}

const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Tokens of the form `<CreateIndex>.<ID>` compare by index numerically, then by ID. */
export function createIndexTokenOrder(a: string, b: string): number {
  const [ai, aid] = splitToken(a);
  const [bi, bid] = splitToken(b);
  return ai !== bi ? ai - bi : byteOrder(aid, bid);
}

function splitToken(t: string): [number, string] {
  const dot = t.indexOf('.');
  const n = Number(dot < 0 ? t : t.slice(0, dot));
  return [Number.isFinite(n) ? n : 0, dot < 0 ? '' : t.slice(dot + 1)];
}
