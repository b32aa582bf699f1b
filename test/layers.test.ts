// The layering rules of ARCHITECTURE.md, checked on the source tree: state/ (the store) imports
// nothing from routes/ or src/; src/ reaches routes/ only through routes/index.ts, the one place
// that mounts them; the authorizer imports no route area; and no source file grows past ~500
// lines, data tables aside.
import { test } from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAX_LINES = 500;

/** Files allowed past MAX_LINES because they are data, not logic. */
const DATA_TABLES = new Set([
  'state/jobspec/decode-types.ts', // Go struct bodies of Nomad's api package
]);

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sources(path));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const IMPORT = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Repository-relative .ts paths of a file's relative imports (static, re-exports and dynamic). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) =>
    relative(root, resolve(root, dirname(file), m[1])).replace(/\.js$/, '.ts'),
  );
}

const files = ['state', 'routes', 'src'].flatMap(sources);

test('the source tree is where the checks look for it', async (t) => {
  t.ok(files.length > 100, `found ${files.length} source files`);
  t.ok(importsOf('src/server.ts').includes('routes/index.ts'), 'imports are resolved to repository paths');
});

test('state/ imports nothing from routes/ or src/', async (t) => {
  const bad = files
    .filter((f) => f.startsWith('state/'))
    .flatMap((f) => importsOf(f).filter((i) => /^(routes|src)\//.test(i)).map((i) => `${f} → ${i}`));
  t.same(bad, []);
});

test('src/ reaches routes/ only through routes/index.ts', async (t) => {
  const bad = files
    .filter((f) => f.startsWith('src/'))
    .flatMap((f) => importsOf(f).filter((i) => i.startsWith('routes/') && i !== 'routes/index.ts').map((i) => `${f} → ${i}`));
  t.same(bad, []);
});

test('routes/acl/ (the authorizer) imports no other route area, so areas can import it without a circle', async (t) => {
  const bad = files
    .filter((f) => f.startsWith('routes/acl/'))
    .flatMap((f) => importsOf(f).filter((i) => i.startsWith('routes/') && !/^routes\/(acl|http)\//.test(i)).map((i) => `${f} → ${i}`));
  t.same(bad, []);
});

test(`no source file is longer than ${MAX_LINES} lines, data tables aside`, async (t) => {
  const long = files.filter((f) => {
    const lines = readFileSync(join(root, f), 'utf8').split('\n').length - 1;
    return lines > MAX_LINES && !DATA_TABLES.has(f);
  });
  t.same(long, []);
});
