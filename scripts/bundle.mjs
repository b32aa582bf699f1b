// Bundles the compiled server (dist/src, dist/routes, dist/state) and its pure-JS dependencies into
// dist/bundle/: the `nomad-mock` command (cli.js), the package entry (index.js) and the chunks they
// share. Loading a few files instead of about 650 modules (ESM resolution, file reads and
// compilation one by one) is most of what start-up costs. esbuild, because it bundles the ESM
// output of tsc and the CommonJS of Fastify alike in well under a second, with no configuration
// file and no plugin beyond the one below. tsc's output stays as it is: the tests import it, and
// the package's types are its .d.ts files.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const outdir = join(dist, 'bundle');

// Loaded on first use only, from node_modules as they are: pino-pretty (a terminal's log format),
// and the HCL parser's WebAssembly runtime and grammar, which find their .wasm files next to
// their own modules. Fastify's Ajv and fast-json-stringify compilers are never loaded (the server
// supplies its own schema compilers), so they are left out rather than parsed at every start.
const external = [
  'pino-pretty',
  'web-tree-sitter',
  '@tree-sitter-grammars/tree-sitter-hcl',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
];

/**
 * Each module's `import.meta.url` keeps naming the module's own file under dist/ (files beside
 * it, such as ../../package.json, dist/ui and fixtures, resolve as they do from tsc's output),
 * relative to the bundle file it ends up in: every output file sits directly in dist/bundle.
 */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/](src|routes|state)[\\/].*\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const rel = relative(outdir, args.path).split(sep).join('/');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

await build({
  entryPoints: { cli: join(dist, 'src', 'cli.js'), index: join(dist, 'src', 'index.js') },
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // CommonJS dependencies (Fastify and its own) call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __nomadMockRequire } from 'node:module';\nconst require = __nomadMockRequire(import.meta.url);" },
  plugins: [ownUrl],
  // Less source to read and parse at start; names are kept, so stack traces still say where.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
});
