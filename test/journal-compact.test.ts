// The request journal keeps entries compact (src/control/journal.ts): numbers in a ring of columns,
// and a URL, query or header set shared with the entry before when equal. Whatever it shares, each
// entry must list exactly what its own request carried, as a journal of plain copies would.
import t from 'tap';
import { Journal, REDACTED, redactHeaders, type JournalEntry, type RawEntry } from '../src/control/journal.js';
import { prng } from './fuzz/json.js';
import { client } from './helpers.js';

type Fields = Record<string, string | string[] | undefined>;

/** The journal as a list of plain copies, with the same bounds: what every listing must equal. */
class PlainJournal {
  entries: { e: JournalEntry; bytes: number }[] = [];
  nextId = 1;
  constructor(private readonly limits: { maxEntries: number; maxBytes: number; maxBodyBytes: number }) {}
  record(r: RawEntry): void {
    const full = typeof r.body === 'string' ? Buffer.from(r.body) : null;
    const size = full?.length ?? 0;
    const kept = full && size > 0 ? full.subarray(0, Math.min(size, this.limits.maxBodyBytes)) : null;
    const headers = redactHeaders(r.headers);
    let headerBytes = 0;
    for (const k in headers) {
      const v = headers[k];
      headerBytes += k.length + (Array.isArray(v) ? v.reduce((a, x) => a + x.length, 0) : (v?.length ?? 0));
    }
    const q = r.url.indexOf('?');
    const e: JournalEntry = {
      ID: this.nextId++,
      Time: new Date(r.time).toISOString(),
      Method: r.method,
      Path: q < 0 ? r.url : r.url.slice(0, q),
      Query: structuredClone(r.query),
      Headers: structuredClone(headers),
      Body: kept ? kept.toString('utf8') : '',
      BodySize: size,
      BodyTruncated: kept !== null && kept.length < size,
      Status: r.status,
      DurationMs: Math.round(r.durationMs * 1000) / 1000,
    };
    this.entries.push({ e, bytes: 256 + (kept?.length ?? 0) + r.url.length + headerBytes });
    const held = (): number => this.entries.reduce((a, x) => a + x.bytes, 0);
    while (this.entries.length > this.limits.maxEntries || (held() > this.limits.maxBytes && this.entries.length > 1)) this.entries.shift();
  }
}

t.test('every entry lists its own URL, query, headers and body, in order, whatever the journal shares between entries', async (t) => {
  for (const seed of [1, 2, 3]) {
    const rnd = prng(seed);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const limits = { maxEntries: 40, maxBytes: 6000, maxBodyBytes: 50 };
    const journal = new Journal(limits);
    const plain = new PlainJournal(limits);
    // A client that mostly repeats itself, sometimes changes one header, its order, a token or the query.
    let headers: Fields = { host: 'h', 'user-agent': 'ua', accept: '*/*' };
    let query: Record<string, string> = {};
    let url = '/v1/job/web';
    for (let n = 0; n < 600; n++) {
      const r = rnd();
      if (r < 0.05) headers = { ...headers, accept: pick(['*/*', 'application/json', '']) };
      else if (r < 0.08) headers = Object.fromEntries(Object.entries(headers).reverse());
      else if (r < 0.11) headers = { ...headers, 'x-nomad-token': pick(['s1', 's2']) };
      else if (r < 0.13) headers = { ...headers, authorization: pick(['Bearer abc', 'Bearer xyz', 'Basic']) };
      else if (r < 0.15) headers = { ...headers, cookie: pick(['a=1', 'b=2']), 'x-list': pick([['a', 'b'], ['a', 'c'], ['a']]) };
      else if (r < 0.17) headers = { host: 'h' };
      else if (r < 0.22) url = pick(['/v1/job/web', '/v1/jobs?prefix=w', '/v1/jobs?prefix=x', '/v1/nodes']);
      // The query as the route saw it: the same URL may carry another query (the ACL filter rewrite).
      const q = url.indexOf('?');
      query = q < 0 ? {} : { prefix: url.slice(q + 8), ...(rnd() < 0.2 ? { filter: pick(['a', 'b']) } : {}) };
      // Each request brings objects of its own, equal or not to the last one's.
      const sent: RawEntry = {
        time: 1_700_000_000_000 + n * 1.5,
        method: pick(['GET', 'GET', 'GET', 'PUT']),
        url: `${url}`,
        query: { ...query },
        headers: structuredClone(headers),
        body: rnd() < 0.2 ? pick(['{"a":1}', 'é'.repeat(30), 'x'.repeat(80)]) : undefined,
        status: pick([200, 200, 404, 500]),
        durationMs: rnd() * 3,
      };
      journal.record(sent);
      plain.record(sent);
      if (n % 97 === 0) limits.maxEntries = limits.maxEntries === 40 ? 25 : 40;
      if (n % 50 === 0 || n === 599) {
        t.same(journal.list(), plain.entries.map((x) => x.e), `seed ${seed}, after ${n + 1} requests`);
        t.equal(journal.bytes, plain.entries.reduce((a, x) => a + x.bytes, 0), 'the same bytes held');
        for (const e of journal.list()) t.same(Object.keys(e.Headers), Object.keys(plain.entries.find((x) => x.e.ID === e.ID)!.e.Headers), 'header order as sent');
      }
    }
    const all = journal.list();
    const page = journal.page({ perPage: 7, nextToken: String(all[3]!.ID) });
    t.same(page.entries, all.slice(3, 10), 'a page from a token');
    t.equal(page.nextToken, String(all[10]!.ID));
    t.same(journal.list({ method: 'PUT', path: '/v1/jobs' }), all.filter((e) => e.Method === 'PUT' && e.Path === '/v1/jobs'), 'filtered');
  }
});

t.test('a journal bounded by entries lists the newest ones as sent, also when the bound changes while it runs', async (t) => {
  // Bytes never bind here: each new entry takes the place of the oldest (the journal writes it in its row).
  const journal = new Journal({ maxEntries: 7, maxBytes: 1 << 30, maxBodyBytes: 50 });
  // The journal's own limits, changed as a test may change them (secrets.test.ts does), seen by both.
  const limits = journal.limits;
  const plain = new PlainJournal(limits);
  const bounds = [7, 3, 12, 1, 0, 70, 5];
  for (let n = 0; n < 400; n++) {
    const sent: RawEntry = {
      time: 1_700_000_000_000 + n,
      method: n % 3 === 0 ? 'PUT' : 'GET',
      url: n % 5 === 0 ? `/v1/job/j${n}` : '/v1/jobs',
      query: n % 4 === 0 ? { prefix: String(n) } : {},
      headers: { host: 'h', 'x-n': String(n % 2) },
      body: n % 6 === 0 ? `{"n":${n}}` : undefined,
      status: 200,
      durationMs: n / 7,
    };
    journal.record(sent);
    plain.record(sent);
    if (n % 37 === 0) limits.maxEntries = bounds[(n / 37) % bounds.length]!;
    t.same(journal.list(), plain.entries.map((x) => x.e), `after ${n + 1} requests, at most ${limits.maxEntries}`);
    t.equal(journal.bytes, plain.entries.reduce((a, x) => a + x.bytes, 0), 'the same bytes held');
  }
});

t.test('a token is redacted in every entry, also in entries that share an earlier one\'s headers', async (t) => {
  const journal = new Journal();
  const sent = (token: string): RawEntry => ({ time: 0, method: 'GET', url: '/v1/jobs', query: {}, headers: { host: 'h', 'x-nomad-token': token }, body: undefined, status: 200, durationMs: 1 });
  journal.record(sent('one'));
  journal.record(sent('one'));
  journal.record(sent('two'));
  t.same(journal.list().map((e) => e.Headers['x-nomad-token']), [REDACTED, REDACTED, REDACTED]);
  t.notMatch(JSON.stringify(journal.list()), /one|two/, 'no token text anywhere');
});

t.test('body secrets are found in any ASCII case, next to any UTF-8, and a body without one is kept as sent', async (t) => {
  // The redaction rule as written in journal.ts: a body's text with these fields' values replaced.
  const fields = /("(?:SecretID|AuthToken|BootstrapSecret|OneTimeSecretID|LoginToken|OIDCClientSecret|VaultToken|ConsulToken)"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|\\?$)/gi;
  const pieces = ['{"Job":{"ID":"a"}', '"SecretID":"s1"', '"secretid" : "s2"', '"VAULTTOKEN":"hvs.x"', '"AuthToken":"t\\"q"', '"Note":"ſecret \u212aelvin token"', '"é":"ŝecret"', '"TOKEN"', '"Secre"', '"tok"', ' ', ',', '"OIDCClientSecret":"c"', '"ConsulToken":"', '\u00ff', '"x":"sec\u0000ret"'];
  const rnd = prng(16);
  const journal = new Journal({ maxEntries: 5000, maxBodyBytes: 60 });
  const want: string[] = [];
  let withSecret = 0;
  for (let i = 0; i < 3000; i++) {
    let body = '';
    const n = 1 + Math.floor(rnd() * 6);
    for (let k = 0; k < n; k++) body += pieces[Math.floor(rnd() * pieces.length)];
    const kept = Buffer.from(body).subarray(0, 60).toString('utf8');
    const redacted = kept.replace(fields, `$1"${REDACTED}"`);
    if (redacted !== kept) withSecret++;
    want.push(redacted);
    journal.record({ time: 0, method: 'PUT', url: '/v1/jobs', query: {}, headers: { host: 'h' }, body, status: 200, durationMs: 1 });
  }
  t.ok(withSecret > 100 && withSecret < 2900, `both kinds of body (${withSecret} with a secret)`);
  t.same(journal.list().map((e) => e.Body), want);
});

t.test('clear keeps counting IDs, restart starts again from 1, and both empty the journal', async (t) => {
  const journal = new Journal({ maxEntries: 3 });
  const sent: RawEntry = { time: 0, method: 'GET', url: '/v1/jobs', query: {}, headers: { host: 'h' }, body: undefined, status: 200, durationMs: 1 };
  for (let i = 0; i < 200; i++) journal.record(sent);
  t.same(journal.list().map((e) => e.ID), [198, 199, 200], 'the newest three of 200 (the ring wrapped many times)');
  t.equal(journal.clear(), 3);
  t.equal(journal.length, 0);
  t.equal(journal.bytes, 0);
  journal.record(sent);
  t.same(journal.list().map((e) => e.ID), [201]);
  journal.restart();
  t.same(journal.list(), []);
  journal.record({ ...sent, headers: { host: 'other' } });
  t.same(journal.list().map((e) => [e.ID, e.Headers]), [[1, { host: 'other' }]]);
});

t.test('over HTTP, repeated requests with changing headers and queries are journaled as sent', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.req('GET', '/v1/jobs?prefix=a', undefined, { 'x-one': '1' });
  await c.req('GET', '/v1/jobs?prefix=a', undefined, { 'x-one': '1' });
  await c.req('GET', '/v1/jobs?prefix=b', undefined, { 'x-one': '2' });
  await c.req('GET', '/v1/jobs?prefix=b', undefined, { 'x-two': '2' });
  const list = (await c.get('/_mock/requests')).json as JournalEntry[];
  t.same(list.map((e) => [e.Query, e.Headers['x-one'], e.Headers['x-two']]), [
    [{ prefix: 'a' }, '1', undefined],
    [{ prefix: 'a' }, '1', undefined],
    [{ prefix: 'b' }, '2', undefined],
    [{ prefix: 'b' }, undefined, '2'],
  ]);
});

t.test('bodies of every size, past the kept limit too, each list as their own request sent them, and the bytes held are counted as a plain journal counts them', async (t) => {
  const rnd = prng(29);
  const limits = { maxEntries: 300, maxBytes: 4 * 1024 * 1024, maxBodyBytes: 64 * 1024 };
  const journal = new Journal(limits);
  const plain = new PlainJournal(limits);
  for (let i = 0; i < 1200; i++) {
    const r = rnd();
    // Mostly small bodies, some near or past the limit, some empty.
    const len = r < 0.1 ? 0 : r < 0.8 ? Math.floor(rnd() * 400) : Math.floor(rnd() * 80 * 1024);
    const body = `${i}:`.padEnd(len, String.fromCharCode(97 + (i % 26)));
    const sent: RawEntry = { time: i, method: 'PUT', url: '/v1/jobs', query: {}, headers: { host: 'h' }, body, status: 200, durationMs: 1 };
    journal.record(sent);
    plain.record(sent);
  }
  t.same(journal.list(), plain.entries.map((x) => x.e));
  t.equal(journal.bytes, plain.entries.reduce((a, x) => a + x.bytes, 0), 'the same bytes held');
});
