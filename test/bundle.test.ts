// The bundled server (dist/bundle, built by scripts/bundle.mjs): the package's command and entry
// point are the bundle, a loader that runs one bundled script (with V8's code cache for it) and loads
// no module of dist/src, dist/routes or dist/state, and what those modules find beside themselves (package.json, fixtures, dist/ui, the HCL grammar,
// pino-pretty) is still found from it. The CLI tests (cli-helpers.ts) run the bundle throughout.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run, start } from './cli-helpers.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  main: string;
  exports: { '.': { default: string } };
};

// Each test starts processes that load the whole bundle: on a shared, loaded machine the default 60 s per
// file is too tight.
t.setTimeout(180_000);

t.test('the command, the entry point and npm start are the bundle', async (t) => {
  t.equal(pkg.bin['nomad-mock'], 'dist/bundle/cli.js');
  t.equal(pkg.main, 'dist/bundle/index.js');
  t.equal(pkg.exports['.'].default, './dist/bundle/index.js');
  t.equal(import.meta.resolve(pkg.name), pathToFileURL(join(root, 'dist', 'bundle', 'index.js')).href, 'the package name resolves to the bundle');
  const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  t.equal(scripts.start, 'node dist/bundle/cli.js');
  t.match(scripts.build, /build:bundle/, 'npm run build (and so npm test and prepack) bundles');
});

// Records every file the child loads: ES modules through a module hook, CommonJS through _compile.
const RECORDER_HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.LOADED_FILES, url + '\\n');
  return next(url, context);
}`;
const RECORDER = `import { register } from 'node:module';
import Module from 'node:module';
import { appendFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify('./hooks.mjs')}, import.meta.url);
const compile = Module.prototype._compile;
Module.prototype._compile = function (content, filename) {
  appendFileSync(process.env.LOADED_FILES, pathToFileURL(filename).href + '\\n');
  return compile.call(this, content, filename);
};`;

t.test('the bundled command loads one file of the package to serve: no module of dist/ or node_modules', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-bundle-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'hooks.mjs'), RECORDER_HOOKS);
  writeFileSync(join(dir, 'recorder.mjs'), RECORDER);
  const list = join(dir, 'loaded.txt');
  writeFileSync(list, '');
  const cli = join(root, pkg.bin['nomad-mock']!);
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(dir, 'recorder.mjs')).href, cli, '--port', '0', '--log-level', 'silent'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH, LOADED_FILES: list },
  });
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
  });
  t.equal((await fetch(`${url}/v1/jobs`)).status, 200);
  const loaded = readFileSync(list, 'utf8').split('\n').filter(Boolean);
  const files = loaded.filter((u) => !u.startsWith(pathToFileURL(dir).href));
  // (The loader reads its bundled script and runs it as a script: no module loader sees it.)
  t.same(files, [pathToFileURL(cli).href], 'the bundle itself only');
});

t.test('the bundled command answers --version from package.json', async (t) => {
  const r = await run(['--version']);
  t.equal(r.code, 0);
  t.equal(r.stdout, `nomad-mock ${pkg.version}\n`);
});

t.test('the bundled command serves /v1/jobs, a fixture scenario, HCL parsing and the web UI', async (t) => {
  const s = await start(t, ['--port', '0', '--scenario', 'busy', '--clock', 'manual', '--log-level', 'silent']);
  const jobs = await fetch(`${s.url}/v1/jobs?namespace=*`);
  t.equal(jobs.status, 200);
  const ids = ((await jobs.json()) as { ID: string }[]).map((j) => j.ID);
  t.ok(ids.includes('web') || ids.length >= 5, `the busy scenario's jobs are there (${ids.join(', ')})`);
  const filtered = await fetch(`${s.url}/v1/jobs?namespace=*&filter=${encodeURIComponent('ID matches "^w"')}`);
  t.equal(filtered.status, 200, 'the regexp engine loads at the first pattern');
  t.same(((await filtered.json()) as { ID: string }[]).map((j) => j.ID).sort(), ['web', 'whoami']);
  const parsed = await fetch(`${s.url}/v1/jobs/parse`, {
    method: 'POST',
    body: JSON.stringify({ JobHCL: 'job "hcl" {\n  group "g" {\n    task "t" {\n      driver = "docker"\n    }\n  }\n}\n' }),
  });
  t.equal(parsed.status, 200, 'the HCL grammar loads from node_modules');
  t.match(await parsed.json(), { ID: 'hcl', TaskGroups: [{ Name: 'g', Tasks: [{ Name: 't', Driver: 'docker' }] }] });
  const ui = await fetch(`${s.url}/ui/`);
  t.equal(ui.status, 200);
  const html = await ui.text();
  if (existsSync(join(root, 'dist', 'ui', 'index.html'))) t.equal(html, readFileSync(join(root, 'dist', 'ui', 'index.html'), 'utf8'), 'dist/ui is found');
  else t.match(html, /ui/i, 'the not-built page');
});

t.test('the bundled command prints pretty log lines (pino-pretty loads from node_modules)', async (t) => {
  const s = await start(t, ['--port', '0', '--log-format', 'pretty', '--log-level', 'info']);
  await fetch(`${s.url}/v1/jobs`);
  await s.until(/GET \/v1\/jobs 200/);
  t.notMatch(s.output(), /^\{"level"/m, 'not JSON lines');
});

t.test('the package entry (the bundle) starts an in-process server that answers', async (t) => {
  const { createMockNomad } = (await import(pkg.name)) as typeof import('../src/index.js');
  const nomad = await createMockNomad({ clock: 'manual' });
  t.teardown(() => nomad.close());
  const res = await fetch(`${nomad.url}/v1/jobs`);
  t.equal(res.status, 200);
  t.equal(await res.text(), '[]');
  t.equal(nomad.server.store.nodes.size, 1, 'its server handle is there');
});

// scripts/bundle.mjs makes V8's code cache of each bundled script by starting it once; the loader
// takes it only for the script of the same build, and V8 refuses it for another Node or other flags.
const cacheReport = (args: string[], cwd?: string): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, args, { cwd, env: { PATH: process.env.PATH, NOMAD_MOCK_CODE_CACHE: 'report' }, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};
// Loads the package entry (each spawn loads the whole bundle: kept light for a loaded machine).
const loads = (entry: string): string[] => ['--input-type=module', '-e', `const m = await import(${JSON.stringify(pathToFileURL(entry).href)}); console.log(typeof m.createMockNomad, typeof m.createServer);`];

t.test('the command and the package entry run with the code cache made when the bundle was built', async (t) => {
  const cli = cacheReport([join(root, pkg.bin['nomad-mock']!), '--version']);
  t.equal(cli.stdout, `nomad-mock ${pkg.version}\n`);
  t.equal(cli.stderr, 'nomad-mock code cache: accepted\n');
  const entry = cacheReport(loads(join(root, pkg.main)));
  t.equal(entry.stdout, 'function function\n');
  t.equal(entry.stderr, 'nomad-mock code cache: accepted\n');
});

t.test('a code cache of another build is not taken, and one V8 refuses only costs the compile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-cache-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bundle = join(root, 'dist', 'bundle');
  for (const f of ['index.js', 'index-core.cjs', 'index-core.code-cache']) writeFileSync(join(dir, f), readFileSync(join(bundle, f)));
  // The same script with another build's mark (same length): the cache is not even read.
  const core = readFileSync(join(bundle, 'index-core.cjs'), 'utf8');
  writeFileSync(join(dir, 'index-core.cjs'), core.replace(/nomad-mock-build ([0-9a-f]+)\n$/, (_all, id: string) => `nomad-mock-build ${[...id].reverse().join('')}\n`));
  const other = cacheReport(loads(join(dir, 'index.js')));
  t.equal(other.stderr, 'nomad-mock code cache: absent\n');
  t.equal(other.stdout, 'function function\n');
  writeFileSync(join(dir, 'index-core.cjs'), core);
  const cache = readFileSync(join(bundle, 'index-core.code-cache'));
  writeFileSync(join(dir, 'index-core.code-cache'), Buffer.concat([cache.subarray(0, 16), Buffer.alloc(cache.length - 16, 7)]));
  const refused = cacheReport(loads(join(dir, 'index.js')));
  t.equal(refused.stderr, 'nomad-mock code cache: rejected\n');
  t.equal(refused.stdout, 'function function\n');
});
