// The request journal: what clients sent and what they got, for tests that assert on a client's
// traffic. Control requests (/_mock/) are not recorded. Bounded by entries and by bytes (oldest
// dropped first); of each body only the first 64 KiB is kept, with its real size and a flag.
// Secrets are never stored: the headers that carry tokens and the token fields of JSON bodies are
// replaced by `[redacted]` when a request is recorded.

export interface JournalEntry {
  ID: number;
  Time: string;
  Method: string;
  Path: string;
  Query: Record<string, string>;
  Headers: Record<string, string | string[] | undefined>;
  /** The body as UTF-8, at most `maxBodyBytes` of it. */
  Body: string;
  /** The body's real size in bytes. */
  BodySize: number;
  /** True when Body holds only the first `maxBodyBytes` of the body. */
  BodyTruncated: boolean;
  Status: number;
  DurationMs: number;
}

export interface JournalQuery {
  method?: string;
  /** Exact path, or a prefix when it ends with `*`. */
  path?: string;
  /** Only the newest `limit` matching entries. */
  limit?: number;
  /** Entries from this ID on (a page's `nextToken`). */
  nextToken?: string;
  /** At most this many entries; `nextToken` then names the first of the rest. */
  perPage?: number;
}

export interface JournalPage {
  entries: JournalEntry[];
  /** ID of the next matching entry, or '' when this page is the last. */
  nextToken: string;
}

export interface JournalLimits {
  maxEntries: number;
  maxBytes: number;
  maxBodyBytes: number;
}

/** What the hot path hands over: references only; formatting waits until someone lists the journal. */
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

/**
 * One recorded request, one object: every request of a busy server lives in the journal for
 * thousands of requests, so each object kept per entry is garbage the collector copies and promotes.
 */
interface Stored {
  id: number;
  time: number;
  method: string;
  url: string;
  /** Null for a request without query parameters. */
  query: Record<string, string> | null;
  headers: Record<string, string | string[] | undefined>;
  status: number;
  durationMs: number;
  body: Buffer | null;
  bodySize: number;
  truncated: boolean;
  bytes: number;
}

export const REDACTED = '[redacted]';

/**
 * Headers that carry a secret. Nomad reads its token from X-Nomad-Token or `Authorization: Bearer`
 * only (command/agent/http.go parseToken; never from the query string, so `?token=` is kept as sent).
 */
const SECRET_HEADERS = new Set(['x-nomad-token', 'authorization', 'proxy-authorization', 'cookie', 'x-nomad-mock-token', 'x-vault-token', 'x-consul-token']);

/** The headers as stored: secrets replaced, `Authorization` keeping its scheme word. */
export function redactHeaders(h: Record<string, string | string[] | undefined>): Record<string, string | string[] | undefined> {
  let out: Record<string, string | string[] | undefined> | null = null;
  for (const k in h) {
    if (!SECRET_HEADERS.has(k) || h[k] === undefined) continue;
    out ??= { ...h };
    const one = (v: string): string => {
      if (k !== 'authorization' && k !== 'proxy-authorization') return REDACTED;
      const m = /^\s*(\S+)\s+\S/.exec(v);
      return m ? `${m[1]} ${REDACTED}` : REDACTED;
    };
    const v = h[k]!;
    out[k] = Array.isArray(v) ? v.map(one) : one(v);
  }
  return out ?? h;
}

/**
 * Body fields that carry a token or secret (Go's decoder matches keys case-insensitively): the
 * request's own token (`AuthToken`, register's `SecretID`), ACL secrets (bootstrap, one-time
 * exchange, login, auth-method client secret) and the job's Vault/Consul tokens.
 */
const SECRET_FIELDS = /("(?:SecretID|AuthToken|BootstrapSecret|OneTimeSecretID|LoginToken|OIDCClientSecret|VaultToken|ConsulToken)"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|\\?$)/gi;
// A body cut at the size limit may end inside a secret: that unterminated value is redacted too.
const MAY_HOLD_SECRET = /secret|token/i;

function redactBody(body: Buffer): Buffer {
  const text = body.toString('utf8');
  if (!MAY_HOLD_SECRET.test(text)) return body;
  const out = text.replace(SECRET_FIELDS, `$1"${REDACTED}"`);
  return out === text ? body : Buffer.from(out);
}

export const JOURNAL_DEFAULTS: JournalLimits = { maxEntries: 10_000, maxBytes: 32 * 1024 * 1024, maxBodyBytes: 64 * 1024 };

/** What an entry costs beyond its strings (object headers, numbers), roughly. */
const ENTRY_OVERHEAD = 256;

function headerBytes(h: Record<string, string | string[] | undefined>): number {
  let n = 0;
  for (const k in h) {
    const v = h[k];
    n += k.length + (Array.isArray(v) ? v.reduce((a, x) => a + x.length, 0) : (v?.length ?? 0));
  }
  return n;
}

function format(s: Stored): JournalEntry {
  const r = s;
  const q = r.url.indexOf('?');
  return {
    ID: s.id,
    Time: new Date(r.time).toISOString(),
    Method: r.method,
    Path: q < 0 ? r.url : r.url.slice(0, q),
    Query: { ...r.query },
    Headers: { ...r.headers },
    Body: s.body ? s.body.toString('utf8') : '',
    BodySize: s.bodySize,
    BodyTruncated: s.truncated,
    Status: r.status,
    DurationMs: Math.round(r.durationMs * 1000) / 1000,
  };
}

export class Journal {
  readonly limits: JournalLimits;
  private stored: Stored[] = [];
  private head = 0;
  private nextId = 1;
  private held = 0;

  constructor(limits: Partial<JournalLimits> = {}) {
    this.limits = { ...JOURNAL_DEFAULTS, ...limits };
  }

  record(e: RawEntry): void {
    const full = Buffer.isBuffer(e.body) ? e.body : typeof e.body === 'string' ? Buffer.from(e.body) : null;
    const size = full?.length ?? 0;
    // A copy, so the journal never pins the request's own buffer (or the socket slab it is cut from).
    const kept = full && size > 0 ? Buffer.from(full.subarray(0, Math.min(size, this.limits.maxBodyBytes))) : null;
    const body = kept && redactBody(kept);
    // One pass over the headers as sent; only a request carrying a secret gets a redacted copy.
    let headers = e.headers;
    let sizeOfHeaders = 0;
    let secret = false;
    for (const k in headers) {
      const v = headers[k];
      if (v === undefined) continue;
      if (SECRET_HEADERS.has(k)) secret = true;
      sizeOfHeaders += k.length + (typeof v === 'string' ? v.length : v.reduce((a, x) => a + x.length, 0));
    }
    if (secret) {
      headers = redactHeaders(headers);
      sizeOfHeaders = headerBytes(headers);
    }
    const bytes = ENTRY_OVERHEAD + (body?.length ?? 0) + e.url.length + sizeOfHeaders;
    let query: Record<string, string> | null = null;
    for (const _ in e.query) {
      query = e.query;
      break;
    }
    this.stored.push({
      id: this.nextId++,
      time: e.time,
      method: e.method,
      url: e.url,
      query,
      headers,
      status: e.status,
      durationMs: e.durationMs,
      body,
      bodySize: size,
      truncated: kept !== null && kept.length < size,
      bytes,
    });
    this.held += bytes;
    while (this.length > this.limits.maxEntries || (this.held > this.limits.maxBytes && this.length > 1)) this.dropOldest();
  }

  private dropOldest(): void {
    const s = this.stored[this.head++]!;
    this.held -= s.bytes;
    if (this.head >= 1024 && this.head * 2 >= this.stored.length) {
      this.stored = this.stored.slice(this.head);
      this.head = 0;
    }
  }

  /** Entries held now. */
  get length(): number {
    return this.stored.length - this.head;
  }

  /** Bytes held now (bodies as kept, URLs, headers, and a fixed cost per entry). */
  get bytes(): number {
    return this.held;
  }

  private matching(q: JournalQuery): Stored[] {
    const prefix = q.path?.endsWith('*') ? q.path.slice(0, -1) : null;
    const method = q.method?.toUpperCase();
    const out: Stored[] = [];
    for (let i = this.head; i < this.stored.length; i++) {
      const s = this.stored[i]!;
      if (method && s.method !== method) continue;
      if (q.path) {
        const u = s.url;
        const qm = u.indexOf('?');
        const path = qm < 0 ? u : u.slice(0, qm);
        if (prefix !== null ? !path.startsWith(prefix) : path !== q.path) continue;
      }
      out.push(s);
    }
    return q.limit && q.limit > 0 ? out.slice(-q.limit) : out;
  }

  /** One page of matching entries, oldest first. */
  page(q: JournalQuery = {}): JournalPage {
    let rows = this.matching(q);
    if (q.nextToken) {
      const from = Number(q.nextToken);
      rows = rows.filter((s) => s.id >= from);
    }
    let nextToken = '';
    if (q.perPage && q.perPage > 0 && rows.length > q.perPage) {
      nextToken = String(rows[q.perPage]!.id);
      rows = rows.slice(0, q.perPage);
    }
    return { entries: rows.map(format), nextToken };
  }

  /** Matching entries, oldest first (every page at once). */
  list(q: JournalQuery = {}): JournalEntry[] {
    return this.page(q).entries;
  }

  /** Empty, with IDs from 1 again, as at start-up (reset); `clear` keeps counting so page tokens stay valid. */
  restart(): void {
    this.clear();
    this.nextId = 1;
  }

  clear(): number {
    const n = this.length;
    this.stored = [];
    this.head = 0;
    this.held = 0;
    return n;
  }
}
