// A big GET /v1/jobs after a write is sent as slices of the list before it plus the few stubs that
// changed (routes/jobs/list-body.ts): the joined parts must be the list written whole, a reader
// still being sent an older list must get its bytes intact, and compression, pages and ACL-filtered
// lists must answer what they answered when every list was one fresh buffer.
import net from 'node:net';
import { gunzipSync, gzipSync, deflateRawSync } from 'node:zlib';
import t from 'tap';
import { aclSession, client, listening, minimalJob } from './helpers.js';
import { ListBodies, MIN_SLICE, stubListJson } from '../routes/jobs/list-body.js';
import { listJobs } from '../state/jobs/queries.js';
import { registerJob } from '../state/jobs/ops.js';
import type { Store } from '../state/store.js';
import type { Job } from '../state/types.js';

const id = (i: number): string => `job-${String(i).padStart(5, '0')}`;
/** A job whose stub is about `pad` bytes longer than a minimal one's (with ?meta=true). */
const padded = (i: number, pad: number, extra: Record<string, string> = {}): Record<string, unknown> => minimalJob(id(i), { Meta: { pad: 'x'.repeat(pad), ...extra } });

function load(store: Store, n: number, pad = 200, namespace = 'default'): void {
  for (let i = 0; i < n; i++) registerJob(store, { job: { ...padded(i, pad), Namespace: namespace } });
}

const all = (store: Store): Job[] => listJobs(store, { namespace: 'default', prefix: '', reverse: false, perPage: 0, nextToken: '' }).jobs;
const joined = (body: Buffer | readonly Buffer[]): Buffer => (Buffer.isBuffer(body) ? body : Buffer.concat(body as Buffer[]));
const copies = (body: Buffer | readonly Buffer[]): Buffer[] => (Buffer.isBuffer(body) ? [body] : body).map((p) => Buffer.from(p));

t.test('a list after a write is sent as slices of the list before, and they join to the list written whole', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const store = c.mock.store;
  load(store, 2000, 600);
  const bodies = new ListBodies(store);
  for (const meta of [false, true]) {
    const first = bodies.render(`k${meta}`, all(store), meta);
    t.ok(Buffer.isBuffer(first), 'the first list is written whole');
    const before = copies(first);
    registerJob(store, { job: padded(1000, 600, { v: `changed-${meta}` }) });
    registerJob(store, { job: padded(99999, 600) });
    const jobs = all(store);
    const second = bodies.render(`k${meta}`, jobs, meta);
    t.notOk(Buffer.isBuffer(second), 'the list after the writes is sent in parts');
    const parts = second as readonly Buffer[];
    t.ok(parts.some((p) => p.length >= MIN_SLICE && (first as Buffer).buffer === p.buffer), 'some parts are slices of the list before');
    t.ok(joined(second).equals(stubListJson(store, jobs, meta)), `the parts join to the list written whole (meta ${meta})`);
    t.ok(joined(first).equals(Buffer.concat(before)), 'the list before is unchanged');
    registerJob(store, { job: padded(0, 600, { v: `first-${meta}` }) });
    const third = bodies.render(`k${meta}`, all(store), meta);
    t.ok(joined(third).equals(stubListJson(store, all(store), meta)), 'a list patched from a list in parts is the list written whole');
    t.ok(joined(second).equals(Buffer.concat(parts.map((p) => Buffer.from(p)))), 'and the list in parts before it is unchanged');
  }
});

t.test('a list that lost most of its jobs is written whole again, not kept as slices of dead bytes', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const store = c.mock.store;
  load(store, 3000, 600);
  const bodies = new ListBodies(store);
  bodies.render('k', all(store), true);
  const kept = all(store).slice(0, 400);
  const small = bodies.render('k', kept, true);
  t.ok(Buffer.isBuffer(small), 'a tenth of the list is written into a buffer of its own');
  t.ok(joined(small).equals(stubListJson(store, kept, true)), 'with the same bytes');
  const again = bodies.render('k', kept, true);
  t.ok(joined(again).equals(joined(small)), 'and the same list again joins to the same bytes');
});

/** A raw GET whose reader stops reading until `resume` is called; resolves to the whole answer. */
function pausedGet(port: number, path: string, headers = ''): { answer: Promise<Buffer>; resume: () => void; started: Promise<void> } {
  const s = net.connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let started!: () => void;
  const first = new Promise<void>((go) => (started = go));
  s.on('data', (d) => {
    chunks.push(d);
    if (chunks.length === 1) {
      started();
      s.pause();
    }
  });
  const answer = new Promise<Buffer>((resolve, reject) => {
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
  s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${headers}\r\n`);
  return { answer, resume: () => s.resume(), started: first };
}

function split(raw: Buffer): { head: string; body: Buffer } {
  const at = raw.indexOf('\r\n\r\n');
  return { head: raw.subarray(0, at).toString('latin1'), body: raw.subarray(at + 4) };
}

async function rawGet(port: number, path: string, headers = ''): Promise<{ head: string; body: Buffer }> {
  const g = pausedGet(port, path, headers);
  g.resume();
  await g.started;
  g.resume();
  return split(await g.answer);
}

t.test('a reader still being sent an old list gets its bytes intact while writes make newer lists', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  // About 16 MB: more than loopback socket buffers hold, so the server still holds the slow reader's parts.
  load(c.mock.store, 4000, 4000);
  const old = await rawGet(port, '/v1/jobs?meta=true');
  const slow = pausedGet(port, '/v1/jobs?meta=true');
  await slow.started;
  const newer: Buffer[] = [];
  for (const i of [5, 2000, 123456]) {
    t.equal((await c.register(padded(i, 4000, { v: 'new' }))).status, 200);
    const list = await rawGet(port, '/v1/jobs?meta=true');
    t.ok(list.body.equals(stubListJson(c.mock.store, all(c.mock.store), true)), `the list after writing ${id(i)} is the newest`);
    newer.push(list.body);
  }
  slow.resume();
  const got = split(await slow.answer);
  t.equal(got.head, old.head.replace(/Date: [^\r]*/, /Date: [^\r]*/.exec(got.head)![0]), 'the slow reader got the old header block');
  t.ok(got.body.equals(old.body), 'and the old list, byte for byte');
  t.notOk(newer[0]!.equals(old.body), 'which the writes did change');
});

t.test('gzip and deflate of a list in parts are the whole list compressed', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  load(c.mock.store, 1500, 600);
  await rawGet(port, '/v1/jobs');
  t.equal((await c.register(padded(700, 600, { v: '2' }))).status, 200);
  const plain = await rawGet(port, '/v1/jobs');
  t.match(plain.head, /\r\nContent-Length: (\d+)/);
  t.equal(Number(/Content-Length: (\d+)/.exec(plain.head)![1]), plain.body.length, 'the length counts every part');
  const gz = await rawGet(port, '/v1/jobs', 'Accept-Encoding: gzip\r\n');
  t.match(gz.head, /\r\nContent-Encoding: gzip\r\n/);
  t.equal(Number(/Content-Length: (\d+)/.exec(gz.head)![1]), gz.body.length);
  t.ok(gz.body.equals(gzipSync(plain.body)), 'gzip: the bytes of the whole list compressed');
  t.ok(gunzipSync(gz.body).equals(plain.body));
  t.equal((await c.register(padded(800, 600, { v: '2' }))).status, 200);
  const plain2 = await rawGet(port, '/v1/jobs');
  const df = await rawGet(port, '/v1/jobs', 'Accept-Encoding: deflate, gzip\r\n');
  t.match(df.head, /\r\nContent-Encoding: deflate\r\n/);
  t.ok(df.body.equals(deflateRawSync(plain2.body)), 'deflate: the bytes of the whole list compressed');
  const head = await c.req('HEAD', '/v1/jobs');
  t.equal(head.status, 405, 'HEAD of the list is refused as Nomad refuses it');
  t.equal(head.body, '');
});

t.test('pages and ACL-filtered lists in parts answer what a list written whole answers', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const w = await aclSession(c);
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/namespace/dev', { Name: 'dev' })).status, 200);
  load(c.mock.store, 1200, 600);
  load(c.mock.store, 1200, 600, 'dev');
  const dev = await w.token('dev', 'namespace "dev" { policy = "read" }');
  const queries: [string | null, string][] = [
    [w.mgmt, '/v1/jobs?per_page=700'],
    [w.mgmt, '/v1/jobs?per_page=700&next_token=default.job-00300'],
    [w.mgmt, '/v1/jobs?namespace=*&reverse=true&per_page=2000'],
    [dev, '/v1/jobs?namespace=*'],
    [dev, '/v1/jobs?namespace=*&meta=true&per_page=900'],
  ];
  const check = async (what: string): Promise<void> => {
    for (const [token, q] of queries) {
      const compact = await w.as(token, 'GET', q);
      const pretty = await w.as(token, 'GET', `${q}&pretty=true`);
      t.equal(compact.status, 200);
      t.equal(compact.body, JSON.stringify(JSON.parse(pretty.body)), `${what}: ${q}`);
      t.equal(compact.headers['x-nomad-nexttoken'], pretty.headers['x-nomad-nexttoken'], `${what}: ${q} next token`);
    }
  };
  await check('written whole');
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/jobs', { Job: padded(400, 600, { v: '2' }) })).status, 200);
  await check('one default job changed');
  t.equal((await w.as(w.mgmt, 'PUT', '/v1/jobs', { Job: { ...padded(600, 600, { v: '2' }), Namespace: 'dev' } })).status, 200);
  t.equal((await w.as(w.mgmt, 'DELETE', '/v1/job/job-00010?purge=true')).status, 200);
  await check('a dev job changed and a default job purged');
});

