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

// An entry's numbers, side by side in one row of `nums` (one or two cache lines per entry).
const TIME = 0;
const DURATION = 1;
const STATUS = 2;
const SIZE = 3;
const COST = 4;
const CUT = 5;
const NUMS = 6;
// An entry's references, side by side in one row of `refs`.
const METHOD = 0;
const URL = 1;
const QUERY = 2;
const HEADERS = 3;
const BODY = 4;
const REFS = 5;

type Ref = string | Record<string, string> | Fields | Buffer | null;

/**
 * The journal holds the last `maxEntries` requests of a busy server, so what it keeps per request is
 * what the garbage collector copies and promotes for thousands of requests. It is kept compact:
 * numbers in a typed array and references in one array, a row per entry in a ring, and a request's
 * URL, query and headers shared with the entry before when they are equal (a client sends the same
 * ones again and again), so the common request leaves nothing new behind. The JSON view is built
 * only when the journal is listed.
 *
 * Rows rather than a column per field, and a full ring sized to `maxEntries` so the newest entry
 * takes the row the oldest leaves: a request writes one or two cache lines of each array, the ones
 * the entry it replaces held, instead of one line in each of eleven columns, cold since they were
 * written 10,000 requests before (a read spent more on those misses than on the rest of the record).
 */
export class Journal {
  readonly limits: JournalLimits;
  /** Rows in the ring (grown as entries arrive, up to `maxEntries`) and the row of the oldest entry. */
  private cap = 0;
  private first = 0;
  private count = 0;
  /** ID of the oldest entry held: IDs are consecutive. */
  private firstId = 1;
  private nextId = 1;
  private held = 0;
  private nums = new Float64Array(0);
  private refs: Ref[] = [];
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
    this.add(e.time, e.method, e.url, e.query, e.headers, e.body, e.status, e.durationMs);
  }

  /** `record` without the entry object, for the server's hot path. */
  add(time: number, method: string, sentUrl: string, sentQuery: Record<string, string>, sentHeaders: Fields, sentBody: unknown, status: number, durationMs: number): void {
    const full = sentBody === undefined || sentBody === null ? null : Buffer.isBuffer(sentBody) ? sentBody : typeof sentBody === 'string' ? Buffer.from(sentBody) : null;
    const size = full?.length ?? 0;
    // A copy, so the journal never pins more than it keeps (a socket slab, a pool slab, a body past
    // the limit); a body that is its own memory, as Node's parser hands over one read at a time,
    // is kept as it is (nothing writes into a request body).
    const whole = full !== null && size <= this.limits.maxBodyBytes && full.byteOffset === 0 && full.buffer.byteLength === size;
    const kept = full && size > 0 ? (whole ? full : Buffer.from(full.subarray(0, Math.min(size, this.limits.maxBodyBytes)))) : null;
    const body = kept && redactBody(kept);
    let headers: Fields;
    let sizeOfHeaders: number;
    if (this.lastHeaders !== null && sameFields(sentHeaders, this.lastHeadersFlat)) {
      headers = this.lastHeaders;
      sizeOfHeaders = this.lastHeaderBytes;
    } else {
      // One pass over the headers as sent; only a request carrying a secret gets a redacted copy.
      headers = sentHeaders;
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
      this.lastHeadersFlat = flatten(sentHeaders);
      this.lastHeaders = headers;
      this.lastHeaderBytes = sizeOfHeaders;
    }
    const url = sentUrl === this.lastUrl ? this.lastUrl : (this.lastUrl = sentUrl);
    let query: Record<string, string> | null = null;
    for (const _ in sentQuery) {
      if (this.lastQuery !== null && sameFields(sentQuery, this.lastQueryFlat)) query = this.lastQuery;
      else {
        query = this.lastQuery = sentQuery;
        this.lastQueryFlat = flatten(sentQuery);
      }
      break;
    }
    const bytes = ENTRY_OVERHEAD + (body?.length ?? 0) + url.length + sizeOfHeaders;
    // A full journal drops its oldest entry for this one anyway (below): dropped first, its row is the one written.
    if (this.count > 0 && this.count >= this.limits.maxEntries) this.dropOldest();
    if (this.count === this.cap) this.grow();
    let i = this.first + this.count;
    if (i >= this.cap) i -= this.cap;
    this.count++;
    this.nextId++;
    const n = i * NUMS;
    const nums = this.nums;
    nums[n + TIME] = time;
    nums[n + DURATION] = durationMs;
    nums[n + STATUS] = status;
    nums[n + SIZE] = size;
    nums[n + COST] = bytes;
    nums[n + CUT] = kept !== null && kept.length < size ? 1 : 0;
    const r = i * REFS;
    const refs = this.refs;
    refs[r + METHOD] = method;
    refs[r + URL] = url;
    refs[r + QUERY] = query;
    refs[r + HEADERS] = headers;
    refs[r + BODY] = body;
    this.held += bytes;
    while (this.count > this.limits.maxEntries || (this.held > this.limits.maxBytes && this.count > 1)) this.dropOldest();
  }

  /** The row of the entry at position `k` (0 = oldest). */
  private row(k: number): number {
    const i = this.first + k;
    return i >= this.cap ? i - this.cap : i;
  }

  /** A bigger ring (doubled, but no more rows than `maxEntries` needs), the oldest entry first again. */
  private grow(): void {
    const cap = Math.max(this.count + 1, Math.min(Math.max(MIN_CAPACITY, this.cap * 2), this.limits.maxEntries));
    const nums = new Float64Array(cap * NUMS);
    const refs = new Array<Ref>(cap * REFS).fill(null);
    for (let k = 0; k < this.count; k++) {
      const i = this.row(k);
      nums.set(this.nums.subarray(i * NUMS, (i + 1) * NUMS), k * NUMS);
      for (let f = 0; f < REFS; f++) refs[k * REFS + f] = this.refs[i * REFS + f]!;
    }
    this.nums = nums;
    this.refs = refs;
    this.first = 0;
    this.cap = cap;
  }

  private dropOldest(): void {
    const i = this.first;
    this.held -= this.nums[i * NUMS + COST]!;
    // Nothing of a dropped entry stays reachable (a body may be 64 KiB).
    const r = i * REFS;
    this.refs[r + URL] = '';
    this.refs[r + QUERY] = null;
    this.refs[r + HEADERS] = EMPTY_FIELDS;
    this.refs[r + BODY] = null;
    this.first = i + 1 === this.cap ? 0 : i + 1;
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
    const i = this.row(k);
    const n = i * NUMS;
    const r = i * REFS;
    const url = this.refs[r + URL] as string;
    const q = url.indexOf('?');
    const body = this.refs[r + BODY] as Buffer | null;
    return {
      ID: this.firstId + k,
      Time: new Date(this.nums[n + TIME]!).toISOString(),
      Method: this.refs[r + METHOD] as string,
      Path: q < 0 ? url : url.slice(0, q),
      Query: { ...(this.refs[r + QUERY] as Record<string, string> | null) },
      Headers: { ...(this.refs[r + HEADERS] as Fields) },
      Body: body ? body.toString('utf8') : '',
      BodySize: this.nums[n + SIZE]!,
      BodyTruncated: this.nums[n + CUT] === 1,
      Status: this.nums[n + STATUS]!,
      DurationMs: Math.round(this.nums[n + DURATION]! * 1000) / 1000,
    };
  }

  /** Positions (0 = oldest) of the matching entries. */
  private matching(q: JournalQuery): number[] {
    const prefix = q.path?.endsWith('*') ? q.path.slice(0, -1) : null;
    const method = q.method?.toUpperCase();
    const out: number[] = [];
    for (let k = 0; k < this.count; k++) {
      const r = this.row(k) * REFS;
      if (method && this.refs[r + METHOD] !== method) continue;
      if (q.path) {
        const u = this.refs[r + URL] as string;
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
    this.nums = new Float64Array(0);
    this.refs = [];
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
