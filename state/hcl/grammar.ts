// The HCL grammar: tree-sitter-hcl run through web-tree-sitter's WebAssembly build (syntax.ts walks
// the trees it produces).
import { createRequire } from 'node:module';
import type { Parser } from 'web-tree-sitter';

let parserPromise: Promise<Parser> | null = null;

/** Loads the WebAssembly runtime and the HCL grammar once per process. */
export function loadParser(): Promise<Parser> {
  parserPromise ??= (async () => {
    // Imported here, not at the top: the bundled server (scripts/bundle.mjs) would otherwise load
    // the WebAssembly runtime at every start, before any HCL is seen.
    const { Language, Parser } = await import('web-tree-sitter');
    await Parser.init();
    const require = createRequire(import.meta.url);
    const wasm = require.resolve('@tree-sitter-grammars/tree-sitter-hcl/tree-sitter-hcl.wasm');
    const language = await Language.load(wasm);
    const parser = new Parser();
    parser.setLanguage(language);
    return parser;
  })();
  return parserPromise;
}
