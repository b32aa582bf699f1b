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

type Fields = Record<string, string | string[] | undefined>;

/**
 * Whether `rec` holds exactly the keys and values `flat` was taken from, in the same order (the
 * order shows in the listing). `flat` is [key, value, key, value, …] with arrays copied, so later
 * changes to the object it was taken from do not count.
 */
function sameFields(rec: Fields, flat: unknown[]): boolean {
  let i = 0;
  for (const k in rec) {
    if (i >= flat.length || flat[i] !== k) return false;
    const v = rec[k];
    const w = flat[i + 1];
    if (v !== w) {
      if (!Array.isArray(v) || !Array.isArray(w) || v.length !== w.length) return false;
      for (let j = 0; j < v.length; j++) if (v[j] !== w[j]) return false;
    }
    i += 2;
  }
  return i === flat.length;
}

function flatten(rec: Fields): unknown[] {
  const flat: unknown[] = [];
  for (const k in rec) {
    const v = rec[k];
    flat.push(k, Array.isArray(v) ? [...v] : v);
  }
  return flat;
}

const MIN_CAPACITY = 64;

/**
 * The journal holds the last `maxEntries` requests of a busy server, so what it keeps per request is
 * what the garbage collector copies and promotes for thousands of requests. It is kept compact:
 * numbers in typed-array columns of a ring, and a request's URL, query and headers shared with the
 * entry before when they are equal (a client sends the same ones again and again), so the common
 * request leaves nothing new behind. The JSON view is built only when the journal is listed.
 */
export class Journal {
  readonly limits: JournalLimits;
  /** Ring capacity (a power of two, grown as entries arrive) and the slot of the oldest entry. */
  private cap = 0;
  private first = 0;
  private count = 0;
  /** ID of the oldest entry held: IDs are consecutive. */
  private firstId = 1;
  private nextId = 1;
  private held = 0;
  private time = new Float64Array(0);
  private duration = new Float64Array(0);
  private status = new Float64Array(0);
  private size = new Float64Array(0);
  private cost = new Float64Array(0);
  private cut = new Uint8Array(0);
  private method: string[] = [];
  private url: string[] = [];
  private query: (Record<string, string> | null)[] = [];
  private headers: Fields[] = [];
  private body: (Buffer | null)[] = [];
  // The last distinct URL, query and headers, as recorded and as sent.
  private lastUrl = '';
  private lastQuery: Record<string, string> | null = null;
  private lastQueryFlat: unknown[] = [];
  private lastHeaders: Fields | null = null;
  private lastHeadersFlat: unknown[] = [];
  private lastHeaderBytes = 0;

  constructor(limits: Partial<JournalLimits> = {}) {
    this.limits = { ...JOURNAL_DEFAULTS, ...limits };
  }

  record(e: RawEntry): void {
    const full = Buffer.isBuffer(e.body) ? e.body : typeof e.body === 'string' ? Buffer.from(e.body) : null;
    const size = full?.length ?? 0;
    // A copy, so the journal never pins more than it keeps (a socket slab, a pool slab, a body past
    // the limit); a body that is its own memory, as Node's parser hands over one read at a time,
    // is kept as it is (nothing writes into a request body).
    const whole = full !== null && size <= this.limits.maxBodyBytes && full.byteOffset === 0 && full.buffer.byteLength === size;
    const kept = full && size > 0 ? (whole ? full : Buffer.from(full.subarray(0, Math.min(size, this.limits.maxBodyBytes)))) : null;
    const body = kept && redactBody(kept);
    let headers: Fields;
    let sizeOfHeaders: number;
    if (this.lastHeaders !== null && sameFields(e.headers, this.lastHeadersFlat)) {
      headers = this.lastHeaders;
      sizeOfHeaders = this.lastHeaderBytes;
    } else {
      // One pass over the headers as sent; only a request carrying a secret gets a redacted copy.
      headers = e.headers;
      sizeOfHeaders = 0;
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
      this.lastHeadersFlat = flatten(e.headers);
      this.lastHeaders = headers;
      this.lastHeaderBytes = sizeOfHeaders;
    }
    const url = e.url === this.lastUrl ? this.lastUrl : (this.lastUrl = e.url);
    let query: Record<string, string> | null = null;
    for (const _ in e.query) {
      if (this.lastQuery !== null && sameFields(e.query, this.lastQueryFlat)) query = this.lastQuery;
      else {
        query = this.lastQuery = e.query;
        this.lastQueryFlat = flatten(e.query);
      }
      break;
    }
    const bytes = ENTRY_OVERHEAD + (body?.length ?? 0) + url.length + sizeOfHeaders;
    if (this.count === this.cap) this.grow();
    const i = (this.first + this.count) & (this.cap - 1);
    this.count++;
    this.nextId++;
    this.time[i] = e.time;
    this.duration[i] = e.durationMs;
    this.status[i] = e.status;
    this.size[i] = size;
    this.cost[i] = bytes;
    this.cut[i] = kept !== null && kept.length < size ? 1 : 0;
    this.method[i] = e.method;
    this.url[i] = url;
    this.query[i] = query;
    this.headers[i] = headers;
    this.body[i] = body;
    this.held += bytes;
    while (this.count > this.limits.maxEntries || (this.held > this.limits.maxBytes && this.count > 1)) this.dropOldest();
  }

  /** Doubles the ring, the oldest entry first again. */
  private grow(): void {
    const cap = Math.max(MIN_CAPACITY, this.cap * 2);
    const order = (n: number): number[] => Array.from({ length: n }, (_, k) => (this.first + k) & (this.cap - 1));
    const at = order(this.count);
    const column = <T extends Float64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const out = make(cap);
      at.forEach((slot, k) => (out[k] = old[slot]!));
      return out;
    };
    const refs = <T>(old: T[], empty: T): T[] => {
      const out = new Array<T>(cap).fill(empty);
      at.forEach((slot, k) => (out[k] = old[slot]!));
      return out;
    };
    this.time = column(this.time, (n) => new Float64Array(n));
    this.duration = column(this.duration, (n) => new Float64Array(n));
    this.status = column(this.status, (n) => new Float64Array(n));
    this.size = column(this.size, (n) => new Float64Array(n));
    this.cost = column(this.cost, (n) => new Float64Array(n));
    this.cut = column(this.cut, (n) => new Uint8Array(n));
    this.method = refs(this.method, '');
    this.url = refs(this.url, '');
    this.query = refs(this.query, null);
    this.headers = refs<Fields>(this.headers, EMPTY_FIELDS);
    this.body = refs(this.body, null);
    this.first = 0;
    this.cap = cap;
  }

  private dropOldest(): void {
    const i = this.first;
    this.held -= this.cost[i]!;
    // Nothing of a dropped entry stays reachable (a body may be 64 KiB).
    this.url[i] = '';
    this.query[i] = null;
    this.headers[i] = EMPTY_FIELDS;
    this.body[i] = null;
    this.first = (i + 1) & (this.cap - 1);
    this.count--;
    this.firstId++;
  }

  /** Entries held now. */
  get length(): number {
    return this.count;
  }

  /** Bytes held now (bodies as kept, URLs, headers, and a fixed cost per entry). */
  get bytes(): number {
    return this.held;
  }

  private entry(k: number): JournalEntry {
    const i = (this.first + k) & (this.cap - 1);
    const url = this.url[i]!;
    const q = url.indexOf('?');
    const body = this.body[i];
    return {
      ID: this.firstId + k,
      Time: new Date(this.time[i]!).toISOString(),
      Method: this.method[i]!,
      Path: q < 0 ? url : url.slice(0, q),
      Query: { ...this.query[i] },
      Headers: { ...this.headers[i] },
      Body: body ? body.toString('utf8') : '',
      BodySize: this.size[i]!,
      BodyTruncated: this.cut[i] === 1,
      Status: this.status[i]!,
      DurationMs: Math.round(this.duration[i]! * 1000) / 1000,
    };
  }

  /** Positions (0 = oldest) of the matching entries. */
  private matching(q: JournalQuery): number[] {
    const prefix = q.path?.endsWith('*') ? q.path.slice(0, -1) : null;
    const method = q.method?.toUpperCase();
    const out: number[] = [];
    for (let k = 0; k < this.count; k++) {
      const i = (this.first + k) & (this.cap - 1);
      if (method && this.method[i] !== method) continue;
      if (q.path) {
        const u = this.url[i]!;
        const qm = u.indexOf('?');
        const path = qm < 0 ? u : u.slice(0, qm);
        if (prefix !== null ? !path.startsWith(prefix) : path !== q.path) continue;
      }
      out.push(k);
    }
    return q.limit && q.limit > 0 ? out.slice(-q.limit) : out;
  }

  /** One page of matching entries, oldest first. */
  page(q: JournalQuery = {}): JournalPage {
    let rows = this.matching(q);
    if (q.nextToken) {
      const from = Number(q.nextToken);
      rows = rows.filter((k) => this.firstId + k >= from);
    }
    let nextToken = '';
    if (q.perPage && q.perPage > 0 && rows.length > q.perPage) {
      nextToken = String(this.firstId + rows[q.perPage]!);
      rows = rows.slice(0, q.perPage);
    }
    return { entries: rows.map((k) => this.entry(k)), nextToken };
  }

  /** Matching entries, oldest first (every page at once). */
  list(q: JournalQuery = {}): JournalEntry[] {
    return this.page(q).entries;
  }

  /** Empty, with IDs from 1 again, as at start-up (reset); `clear` keeps counting so page tokens stay valid. */
  restart(): void {
    this.clear();
    this.nextId = 1;
    this.firstId = 1;
  }

  clear(): number {
    const n = this.count;
    this.cap = 0;
    this.first = 0;
    this.count = 0;
    this.firstId = this.nextId;
    this.held = 0;
    this.time = new Float64Array(0);
    this.duration = new Float64Array(0);
    this.status = new Float64Array(0);
    this.size = new Float64Array(0);
    this.cost = new Float64Array(0);
    this.cut = new Uint8Array(0);
    this.method = [];
    this.url = [];
    this.query = [];
    this.headers = [];
    this.body = [];
    this.lastUrl = '';
    this.lastQuery = null;
    this.lastQueryFlat = [];
    this.lastHeaders = null;
    this.lastHeadersFlat = [];
    this.lastHeaderBytes = 0;
    return n;
  }
}

const EMPTY_FIELDS: Fields = Object.freeze({}) as Fields;
