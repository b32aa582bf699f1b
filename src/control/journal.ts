// The request journal: what clients sent and what they got, for tests that assert on a client's
// traffic. Bounded; control requests (/_mock/) are not recorded.

export interface JournalEntry {
  ID: number;
  Time: string;
  Method: string;
  Path: string;
  Query: Record<string, string>;
  Headers: Record<string, string | string[] | undefined>;
  Body: string;
  Status: number;
  DurationMs: number;
}

export interface JournalQuery {
  method?: string;
  /** Exact path, or a prefix when it ends with `*`. */
  path?: string;
  limit?: number;
}

/** What the hot path keeps: references only; formatting waits until someone lists the journal. */
export interface RawEntry {
  time: number;
  method: string;
  url: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  status: number;
  durationMs: number;
}

function format(id: number, r: RawEntry): JournalEntry {
  const q = r.url.indexOf('?');
  return {
    ID: id,
    Time: new Date(r.time).toISOString(),
    Method: r.method,
    Path: q < 0 ? r.url : r.url.slice(0, q),
    Query: { ...r.query },
    Headers: { ...r.headers },
    Body: Buffer.isBuffer(r.body) ? r.body.toString('utf8') : typeof r.body === 'string' ? r.body : '',
    Status: r.status,
    DurationMs: Math.round(r.durationMs * 1000) / 1000,
  };
}

export class Journal {
  private raw: RawEntry[] = [];
  private firstId = 1;

  constructor(private readonly max = 10_000) {}

  record(e: RawEntry): void {
    this.raw.push(e);
    if (this.raw.length > this.max * 2) {
      const drop = this.raw.length - this.max;
      this.raw.splice(0, drop);
      this.firstId += drop;
    }
  }

  private get entries(): JournalEntry[] {
    const start = Math.max(0, this.raw.length - this.max);
    return this.raw.slice(start).map((r, i) => format(this.firstId + start + i, r));
  }

  list(q: JournalQuery = {}): JournalEntry[] {
    const prefix = q.path?.endsWith('*') ? q.path.slice(0, -1) : null;
    const out = this.entries.filter(
      (e) =>
        (!q.method || e.Method === q.method.toUpperCase()) &&
        (!q.path || (prefix !== null ? e.Path.startsWith(prefix) : e.Path === q.path)),
    );
    return q.limit && q.limit > 0 ? out.slice(-q.limit) : out;
  }

  clear(): number {
    const n = Math.min(this.raw.length, this.max);
    this.firstId += this.raw.length;
    this.raw = [];
    return n;
  }
}
