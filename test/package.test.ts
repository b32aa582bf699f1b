// What `npm pack` puts in the published tarball, and what installing it runs.
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import semver from 'semver';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  license: string;
  scripts: Record<string, string>;
  engines: { node: string };
  overrides?: Record<string, unknown>;
};

t.test('the tarball holds the license, the changelog, the README and the built server, and no tests', async (t) => {
  const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
  const files = new Set(((JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files).map((f) => f.path));
  for (const f of ['LICENSE', 'CHANGELOG.md', 'README.md', 'package.json', 'dist/bundle/cli.js', 'dist/bundle/index.js', 'dist/bundle/cli-core.cjs', 'dist/bundle/index-core.cjs', 'dist/bundle/cli-core.code-cache', 'dist/bundle/index-core.code-cache', 'dist/src/cli.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/ui/index.html', 'fixtures/jobs/batch-report.json']) {
    t.ok(files.has(f), `${f} is packed`);
  }
  const stray = [...files].filter((f) => /^(dist\/(test|bench)\/|src\/|test\/|\.ci\/|node_modules\/)/.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'));
  t.same(stray, [], 'no tests, benchmarks, sources or CI scripts');
});

t.test('installing the package runs no build: it is built before packing', async (t) => {
  t.equal(pkg.scripts.prepare, undefined, 'no prepare script (it runs on every install from git and on npm ci)');
  t.equal(pkg.scripts.install, undefined);
  t.equal(pkg.scripts.postinstall, undefined);
  t.match(pkg.scripts.prepack, /npm run build/);
});

t.test('LICENSE is the text of the license package.json declares', async (t) => {
  t.equal(pkg.license, 'MPL-2.0');
  const text = readFileSync(join(root, 'LICENSE'), 'utf8');
  t.match(text, /^Mozilla Public License Version 2\.0\n={10,}\n/);
  t.match(text, /This Source Code Form is "Incompatible With Secondary Licenses", as\ndefined by the Mozilla Public License, v\. 2\.0\.\n$/);
});

t.test('no installed package requires a newer Node than package.json promises', async (t) => {
  t.equal(pkg.engines.node, '>=20');
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[]; dev?: boolean }> };
  // The oldest Node the project supports, at the machines' minor line (vite 7 needs 20.19).
  const node = semver.minVersion(pkg.engines.node)!.major;
  const oldest = `${node}.19.0`;
  const refuse = Object.entries(lock.packages)
    .filter(([, p]) => !Array.isArray(p.engines) && typeof p.engines?.node === 'string' && !semver.satisfies(oldest, p.engines.node))
    .map(([name, p]) => `${name} (${(p.engines as { node: string }).node})`);
  t.same(refuse, [], `every locked package runs on Node ${oldest}`);
  t.ok(pkg.overrides, 'cookie is held at a Node 20 release through overrides');
});
