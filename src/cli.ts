#!/usr/bin/env node
// `nomad-mock`: start the server on the configured address and stop cleanly on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { ConfigError, helpText, loadConfig } from './config.js';
import { banner } from './banner.js';

/** The version of this package, from its package.json (dist/src/cli.js → ../../package.json). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

function fail(message: string, code: number): never {
  process.stderr.write(`nomad-mock: ${message}\n`);
  process.exit(code);
}

/** A listen error said as a user can act on it. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): string {
  const where = `${host}:${port}`;
  if (err.code === 'EADDRINUSE') return `${where} is already in use (another nomad-mock or a Nomad agent?): pick another port with --port <n>, or --port 0 for any free one`;
  if (err.code === 'EACCES') return `no permission to listen on ${where}: use a port above 1023 (--port <n>)`;
  if (err.code === 'EADDRNOTAVAIL') return `cannot bind ${host}: it is not an address of this machine (--bind)`;
  return `cannot listen on ${where}: ${err.message}`;
}

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(`${err.message}\nRun nomad-mock --help for the list of flags.`, 2);
    throw err;
  }
  if (cfg === 'help') {
    process.stdout.write(helpText());
    return;
  }
  if (cfg === 'version') {
    process.stdout.write(`nomad-mock ${packageVersion()}\n`);
    return;
  }
  // Loaded only to serve: --help, --version and flag errors answer without loading the server.
  const { createServer } = await import('./server.js');
  const { exposureWarning } = await import('./control/access.js');
  const mock = createServer(cfg);
  try {
    await mock.init();
  } catch (err) {
    fail((err as Error).message, 2);
  }
  const { app } = mock;
  let address: string;
  try {
    address = await app.listen({ port: cfg.port, host: cfg.bind });
  } catch (err) {
    fail(listenError(err as NodeJS.ErrnoException, cfg.bind, cfg.port), 2);
  }
  process.stdout.write(banner(cfg, { version: packageVersion(), address, nodes: mock.store.nodes.size, isTTY: process.stdout.isTTY === true }));
  const exposed = exposureWarning(cfg);
  if (exposed) process.stderr.write(`nomad-mock: warning: ${exposed}\n`);
  const stop = (): void => {
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  fail((err as Error).message, 1);
});
