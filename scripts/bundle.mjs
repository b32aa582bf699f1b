// Bundles the compiled server (dist/src, dist/routes, dist/state) and its pure-JS dependencies into
// dist/bundle/: the `nomad-mock` command (cli.js) and the package entry (index.js), each a small
// loader of one bundled script (cli-core.cjs, index-core.cjs) and of V8's code cache for it
// (*.code-cache). Loading a few files instead of about 650 modules (ESM resolution, file reads and
// compilation one by one) is most of what start-up costs; most of what is left of a server's
// first start, once loaded, is V8 compiling each function the first time it runs (the routes,
// Fastify, pino, the first request): about 40% of createMockNomad()'s CPU. The code cache holds
// those functions compiled, so a start deserializes them instead. esbuild, because it bundles the
// ESM output of tsc and the CommonJS of Fastify alike in well under a second, with no
// configuration file and no plugin beyond the one below. tsc's output stays as it is: the tests
// import it, and the package's types are its .d.ts files.
//
// Why a script and not an ES module: Node 20 gives a code cache to vm.Script only (not to ES
// modules, nor to require()). The script is run in strict mode, as the ES module bundle was.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

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
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, __nomadMockUrl).href`), loader: 'js' };
    });
  },
};

/**
 * Fastify's router (find-my-way) compiles functions with `new Function` as routes are added: a
 * prefix matcher per static node (again when a node is split), a params-object builder per route
 * and a constraint matcher per route even when no route is constrained. For ~100 routes that was
 * about a tenth of a server's creation, and a code cache cannot hold them. Here each is compiled
 * the first time it is called instead, from the same state the eager compile would have read, and
 * then replaces itself: a lookup goes the same way, and a node or route never looked up compiles
 * nothing. (The router's own tests are not run on this; test/method-routing.test.ts sends its
 * requests to the bundle too.)
 */
const routerEdits = {
  'lib/node.js': [
    [
      'function compilePrefixMatch (prefix) {',
      `function compilePrefixMatch (prefix) {
  return prefix.length > 1 && prefix.length < LONG_PREFIX_MIN_LENGTH ? lazyPrefixMatch : compilePrefixMatchNow(prefix)
}

function lazyPrefixMatch (path, i) {
  const match = compilePrefixMatchNow(this.prefix)
  this.matchPrefix = match
  return match(path, i)
}

function compilePrefixMatchNow (prefix) {`,
    ],
  ],
  'lib/handler-storage.js': [
    ['_createParamsObject: this._compileCreateParamsObject(params)', '_createParamsObject: lazyCreateParamsObject'],
    [
      'this._compileGetHandlerMatchingConstraints(constrainer, constraints)',
      'this._constrainer = constrainer\n      this._getHandlerMatchingConstraints = lazyGetHandlerMatchingConstraints',
    ],
    [
      'module.exports = HandlerStorage',
      `function lazyCreateParamsObject (param0, param1, param2, param3, extraParams) {
  const create = HandlerStorage.prototype._compileCreateParamsObject(this.params)
  this._createParamsObject = create
  return create(param0, param1, param2, param3, extraParams)
}

function lazyGetHandlerMatchingConstraints (derivedConstraints) {
  this._compileGetHandlerMatchingConstraints(this._constrainer)
  return this._getHandlerMatchingConstraints(derivedConstraints)
}

module.exports = HandlerStorage`,
    ],
  ],
};
/**
 * Fastify's per-route work at start, for a server of ~100 routes, done the same way for less:
 * - `findRoute('HEAD', …)` walks the router for every route added, for one use only: whether to add
 *   the automatic HEAD route, which the server turns off (`exposeHeadRoutes: false`). It is now
 *   asked only when that HEAD route could be added; the same routes are mounted either way.
 * - At preReady each route got, for each of the 11 lifecycle hooks, a new array of newly bound
 *   copies of its scope's hooks (about a thousand arrays and bound functions, most of them the
 *   same). A route with no hooks of its own for that lifecycle now shares one such array with the
 *   other routes of its scope, made the same way when the first of them asks; a route with its own
 *   hooks gets its own array, as before. Fastify reads these arrays and never changes them, and
 *   no hook can be added once the server is ready.
 * - A plugin's Fastify range (`@fastify/websocket`: '5.x') was checked with semver, whose first use
 *   compiles a dozen large regular expressions; a range of the form 'N.x' is now checked against a
 *   plain 'N.m.p' version by its major number, which is what semver answers for them; anything
 *   else still goes to semver.
 */
const fastifyEdits = {
  'lib/plugin-utils.js': [
    [
      '  if (requiredVersion && semver.satisfies(',
      `  if (fastifyRc === false && /^[1-9]\\d*\\.x$/.test(requiredVersion) && /^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)$/.test(this.version)) {
    if (requiredVersion.split('.')[0] === this.version.split('.')[0]) return
    throw new FST_ERR_PLUGIN_VERSION_MISMATCH(meta.name, requiredVersion, this.version)
  }
  if (requiredVersion && semver.satisfies(`,
    ],
  ],
  'lib/route.js': [
    [
      `      const headHandler = router.findRoute('HEAD', opts.url, constraints)
      const hasHEADHandler = headHandler !== null`,
      `      const hasHEADHandler = shouldExposeHead && isGetRoute && !isHeadRoute && router.findRoute('HEAD', opts.url, constraints) !== null`,
    ],
    [
      `          for (const hook of lifecycleHooks) {
            const toSet = this[kHooks][hook]
              .concat(opts[hook] || [])
              .map(h => h.bind(this))
            context[hook] = toSet.length ? toSet : null
          }`,
      `          for (const hook of lifecycleHooks) {
            const own = opts[hook]
            if (own === undefined || own === null || (Array.isArray(own) && own.length === 0)) {
              let shared = sharedHooks.get(this)
              if (shared === undefined) sharedHooks.set(this, (shared = new Map()))
              if (!shared.has(hook)) {
                const toSet = this[kHooks][hook].map(h => h.bind(this))
                shared.set(hook, toSet.length ? toSet : null)
              }
              context[hook] = shared.get(hook)
              continue
            }
            const toSet = this[kHooks][hook]
              .concat(opts[hook] || [])
              .map(h => h.bind(this))
            context[hook] = toSet.length ? toSet : null
          }`,
    ],
    ['function buildRouting (options) {', 'const sharedHooks = new WeakMap()\n\nfunction buildRouting (options) {'],
  ],
};

/**
 * pino loads node:worker_threads (and with it four more of Node's modules) when it is loaded: for
 * its worker-thread transport (thread-stream), which the server never makes, and to ask whether it
 * runs on the main thread when it opens a file destination, which the server never does. Both are
 * now loaded when used.
 */
const pinoEdits = {
  'lib/tools.js': [
    ["const { isMainThread } = require('worker_threads')\n", ''],
    ['  if (!opts.sync && isMainThread) {', "  if (!opts.sync && require('worker_threads').isMainThread) {"],
  ],
  'lib/transport.js': [
    ["const ThreadStream = require('thread-stream')\n", ''],
    ['  const stream = new ThreadStream({', "  const ThreadStream = require('thread-stream')\n  const stream = new ThreadStream({"],
  ],
};

/** Source edits of dependencies, by package and file; the build fails if one no longer applies. */
const edits = { 'find-my-way': routerEdits, fastify: fastifyEdits, pino: pinoEdits };
const editedSources = {
  name: 'edited-dependency-sources',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/](find-my-way|fastify|pino)[\\/]lib[\\/][\w-]+\.js$/ }, async (args) => {
      const parts = args.path.split(/[\\/]/);
      const table = edits[parts[parts.length - 3]]?.[`lib/${parts[parts.length - 1]}`];
      if (!table) return undefined;
      let source = await readFile(args.path, 'utf8');
      for (const [from, to] of table) {
        if (source.split(from).length !== 2) throw new Error(`${parts[parts.length - 3]} changed: ${args.path} does not hold ${JSON.stringify(from)} once`);
        source = source.replace(from, to);
      }
      applied.add(`${parts[parts.length - 3]}/lib/${parts[parts.length - 1]}`);
      return { contents: source, loader: 'js' };
    });
  },
};
const applied = new Set();

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { 'cli-core': join(dist, 'src', 'cli.js'), 'index-core': join(dist, 'src', 'index.js') },
  outdir,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [ownUrl, editedSources],
  // Less source to read and parse at start; names are kept, so stack traces still say where.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
});
for (const [pkg, files] of Object.entries(edits)) {
  for (const file of Object.keys(files)) if (!applied.has(`${pkg}/${file}`)) throw new Error(`${pkg}/${file} was not bundled: its edits were not made`);
}

// A script's import() needs a callback Node 20 only has behind a flag: the loader (an ES module)
// passes its own import() in, which resolves a package from dist/bundle as the script would.
const build_id = randomBytes(8).toString('hex');
for (const name of ['cli-core', 'index-core']) {
  const file = join(outdir, `${name}.cjs`);
  // (The command's `#!` line stays with the loader.)
  let source = readFileSync(file, 'utf8').replace(/^#![^\n]*\n/, '');
  source = source.replace(/\bimport\(("[^"]+")\)/g, (all, spec) => (external.includes(JSON.parse(spec)) ? `__nomadMockImport(${spec})` : all));
  const left = /(^|[^\w$.])import\(/.exec(source);
  if (left) throw new Error(`${name}.cjs: an import() the loader does not serve, at ${left.index}: ${source.slice(left.index, left.index + 80)}`);
  // The loader takes the cache only for the script it was made from (V8 itself checks the length).
  writeFileSync(file, `${source}\n//# nomad-mock-build ${build_id}\n`);
}

/** The loader both entry files share: reads the script and its code cache, runs it, returns its exports. */
const loader = (core) => `import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

// Generated by scripts/bundle.mjs: runs ${core}.cjs (the bundled server) with V8's code cache for
// it, made at build time by a start that answered a request. NOMAD_MOCK_CODE_CACHE=off compiles
// without it, =report says on stderr whether V8 took it (a Node version or V8 flags other than the
// build's make V8 refuse it, and the script is then compiled as any other), =write writes it anew
// when the process exits.
function load() {
  const file = fileURLToPath(new URL('./${core}.cjs', import.meta.url));
  const cacheFile = fileURLToPath(new URL('./${core}.code-cache', import.meta.url));
  const mode = process.env.NOMAD_MOCK_CODE_CACHE;
  const source = readFileSync(file, 'utf8');
  let cachedData;
  if (mode !== 'off' && mode !== 'write' && source.endsWith(${JSON.stringify(`//# nomad-mock-build ${build_id}\n`)})) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {}
  }
  const script = new Script('(function (exports, require, module, __filename, __dirname, __nomadMockImport, __nomadMockUrl) {"use strict";' + source + '\\n})', { filename: file, cachedData });
  if (mode === 'report') process.stderr.write('nomad-mock code cache: ' + (cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted') + '\\n');
  if (mode === 'write') process.once('exit', () => writeFileSync(cacheFile, script.createCachedData()));
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), (spec) => import(spec), new URL('./${core}.cjs', import.meta.url).href);
  return module.exports;
}
`;

// The package entry's names, from tsc's module (its types are tsc's too).
const { metafile } = await build({ entryPoints: [join(dist, 'src', 'index.js')], bundle: false, write: false, metafile: true, format: 'esm', outdir, logLevel: 'silent' });
const api = Object.values(metafile.outputs).flatMap((o) => o.exports);
writeFileSync(join(outdir, 'index.js'), `${loader('index-core')}\nexport const { ${api.join(', ')} } = load();\n`);
writeFileSync(join(outdir, 'cli.js'), `#!/usr/bin/env node\n${loader('cli-core')}\nload();\n`, { mode: 0o755 });

// The code caches: each entry started as a user starts it, answering one request, then stopped.
const env = { ...process.env, NOMAD_MOCK_CODE_CACHE: 'write' };
delete env.NODE_OPTIONS;
execFileSync(process.execPath, [join(root, 'scripts', 'train-code-cache.mjs'), outdir], { env, stdio: 'inherit', timeout: 120_000 });
const check = (args) => spawnSync(process.execPath, args, { env: { ...env, NOMAD_MOCK_CODE_CACHE: 'report' }, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] }).stderr;
const reports = [check([join(outdir, 'cli.js'), '--version']), check(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(outdir, 'index.js')).href)})`])];
for (const r of reports) if (r.trim() !== 'nomad-mock code cache: accepted') throw new Error(`the code cache just made is not taken: ${r}`);
