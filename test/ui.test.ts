// The web UI's serving (routes/ui/): the built files under /ui/ with their cache headers, deep links
// answered with the app's page, `--ui false` giving Nomad's stub without changing any API answer,
// UI files kept out of the journal and the faults, the size budget, and the scenario control route
// the mock panel loads scenarios with. `npm test` builds the UI (vite) before these run.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { client, simClient, aclSession, minimalJob } from './helpers.js';
import { UI_DIR, UI_DISABLED_HTML } from '../routes/ui/index.js';
import { loadConfig } from '../src/config.js';

/** The compressed budget of everything the UI ships (gzip -9 of each file, added up). */
const BUDGET_BYTES = 300 * 1024;

if (!existsSync(join(UI_DIR, 'index.html'))) {
  t.fail(`the UI is not built in ${UI_DIR}: run \`npm run build\` (npm test does) before these tests`);
  t.end();
} else {
  run();
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

function run(): void {
  const html = readFileSync(join(UI_DIR, 'index.html'), 'utf8');
  const script = /<script[^>]*src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  const style = /<link[^>]*href="(\/ui\/assets\/[^"]+\.css)"/.exec(html)?.[1];

  t.test('the build is within the compressed budget and has hashed asset names', async (t) => {
    const all = files(UI_DIR);
    const gz = all.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    t.ok(gz <= BUDGET_BYTES, `gzip size of dist/ui is ${gz} bytes (budget ${BUDGET_BYTES})`);
    t.ok(script, 'index.html loads a script from /ui/assets/');
    t.ok(style, 'and a stylesheet');
    for (const f of all.filter((f) => f.includes(`${join('ui', 'assets')}`))) t.match(f, /-[\w-]{8,}\.(js|css)$/, `${f} is content-hashed`);
    t.notMatch(html, /https?:\/\//, 'index.html loads nothing from another origin');
  });

  t.test('GET /ui/ serves the app page, revalidated on every load', async (t) => {
    const c = await client();
    t.teardown(c.close);
    const res = await c.get('/ui/');
    t.equal(res.status, 200);
    t.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    t.equal(res.headers['cache-control'], 'no-cache');
    t.match(res.headers['content-security-policy'], /script-src 'self'/);
    t.equal(res.body, html);
    t.equal(res.headers['x-nomad-index'], undefined, 'no Nomad API headers on a file');
  });

  t.test('hashed assets are cached for a year and sent gzipped when asked', async (t) => {
    const c = await client();
    t.teardown(c.close);
    for (const path of [script!, style!]) {
      const plain = await c.get(path);
      t.equal(plain.status, 200, path);
      t.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
      t.match(plain.headers['content-type'], path.endsWith('.js') ? /^text\/javascript/ : /^text\/css/);
      t.equal(plain.body, readFileSync(join(UI_DIR, path.slice('/ui/'.length)), 'utf8'));
      const gz = await c.req('GET', path, undefined, { 'accept-encoding': 'gzip, deflate' });
      t.equal(gz.headers['content-encoding'], 'gzip');
      t.ok(Number(gz.headers['content-length']) < Buffer.byteLength(plain.body), 'smaller compressed');
    }
  });

  t.test('deep links of the app get its page; a missing asset is a 404, never the page', async (t) => {
    const c = await client();
    t.teardown(c.close);
    for (const path of ['/ui/jobs', '/ui/jobs/web@default', '/ui/jobs/a.b@default', '/ui/allocations/123', '/ui/variables/var/nomad/jobs/x.json@default', '/ui/mock?x=1']) {
      const res = await c.get(path);
      t.equal(res.status, 200, path);
      t.equal(res.body, html, `${path}: index.html`);
      t.equal(res.headers['cache-control'], 'no-cache');
    }
    for (const path of ['/ui/assets/index-nope.js', '/ui/assets/x.css', '/ui/nope.js']) {
      const res = await c.get(path);
      t.equal(res.status, 404, path);
      t.equal(res.body, '404 page not found\n');
    }
    t.equal((await c.get('/ui/%2e%2e/package.json')).status, 404, 'no path leaves the build');
    const root = await c.get('/');
    t.equal(root.status, 307, '"/" still redirects to the UI, as Nomad does');
    t.equal(root.headers.location, '/ui/');
  });

  t.test('--ui false: Nomad\'s stub page under /ui/, and the API answers exactly as with the UI on', async (t) => {
    const on = await client({ config: { seed: 'ui', clock: 'manual' } });
    const off = await client({ config: { seed: 'ui', clock: 'manual', ui: false } });
    t.teardown(on.close);
    t.teardown(off.close);
    for (const path of ['/ui/', '/ui/jobs/web@default', script!]) {
      const res = await off.get(path);
      t.equal(res.status, 200, path);
      t.equal(res.body, UI_DISABLED_HTML);
      t.equal(res.headers['content-type'], 'text/html; charset=utf-8');
    }
    for (const c of [on, off]) await c.register(minimalJob('web'));
    for (const path of ['/v1/jobs', '/v1/job/web', '/v1/agent/self', '/', '/v1/nope']) {
      const a = await on.get(path);
      const b = await off.get(path);
      t.equal(b.status, a.status, `${path}: status`);
      t.equal(b.body, a.body, `${path}: body`);
    }
  });

  t.test('--ui and NOMAD_MOCK_UI turn the UI off; it is on by default', async (t) => {
    t.equal((loadConfig([], {}) as { ui: boolean }).ui, true);
    t.equal((loadConfig(['--ui', 'false'], {}) as { ui: boolean }).ui, false);
    t.equal((loadConfig(['--ui=0'], {}) as { ui: boolean }).ui, false);
    t.equal((loadConfig([], { NOMAD_MOCK_UI: 'false' }) as { ui: boolean }).ui, false);
    t.equal((loadConfig(['--ui'], { NOMAD_MOCK_UI: 'false' }) as { ui: boolean }).ui, true, 'a bare flag means true and wins over the env');
  });

  t.test('the UI\'s files are not journaled and no fault reaches them; its API calls are journaled', async (t) => {
    const c = await client();
    t.teardown(c.close);
    t.equal((await c.post('/_mock/faults', { Path: '/**', Status: 503, Body: 'down' })).status, 200);
    const page = await c.get('/ui/jobs');
    t.equal(page.status, 200, 'the page loads while every API path is faulted');
    t.equal((await c.get(script!)).status, 200);
    t.equal((await c.get('/v1/jobs')).status, 503, 'the API call gets the fault');
    const journal = (await c.get('/_mock/requests')).json as { Path: string }[];
    t.same(journal.map((e) => e.Path), ['/v1/jobs']);
  });

  t.test('with ACL on, the UI loads without a token (it asks for one for its API calls)', async (t) => {
    const c = await client({ config: { acl: true } });
    t.teardown(c.close);
    await aclSession(c);
    t.equal((await c.get('/ui/')).status, 200);
    t.equal((await c.get('/v1/jobs')).status, 403, 'the API still needs a token');
  });

  t.test('POST /_mock/scenario runs a named scenario on the running server; GET lists them', async (t) => {
    const c = await simClient({ clock: 'manual' });
    t.teardown(c.close);
    const list = await c.get('/_mock/scenario');
    t.equal(list.status, 200);
    t.same(list.json, { Scenarios: ['busy', 'empty'] });
    const before = await c.get('/v1/jobs?namespace=*');
    t.same(before.json, []);
    const res = await c.post('/_mock/scenario', { Name: 'busy' });
    t.equal(res.status, 200);
    t.ok(res.json.Index > 0);
    const after = await c.get('/v1/jobs?namespace=*');
    t.ok(after.json.length > 3, `the busy scenario's jobs are there (${after.json.length})`);
    const unknown = await c.post('/_mock/scenario', { Name: 'nope' });
    t.equal(unknown.status, 404);
    t.same(unknown.json, { Error: 'unknown scenario "nope" (known: busy, empty)' });
    t.equal((await c.post('/_mock/scenario', { Name: 7 })).status, 400);
    t.equal((await c.post('/_mock/scenario')).status, 400, 'a body is required');
    t.equal((await c.get('/v1/jobs?namespace=*')).json.length, after.json.length, 'failed calls changed nothing');
  });
}
