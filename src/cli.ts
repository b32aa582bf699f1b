#!/usr/bin/env node
// `nomad-mock`: start the server on the configured address and stop cleanly on SIGINT/SIGTERM.
import { ConfigError, helpText, loadConfig } from './config.js';
import { createServer } from './server.js';
import { exposureWarning } from './control/access.js';

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`nomad-mock: ${err.message}\n\n${helpText()}`);
      process.exit(2);
    }
    throw err;
  }
  if (cfg === 'help') {
    process.stdout.write(helpText());
    return;
  }
  const mock = createServer(cfg);
  try {
    await mock.init();
  } catch (err) {
    process.stderr.write(`nomad-mock: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const { app } = mock;
  const address = await app.listen({ port: cfg.port, host: cfg.bind });
  process.stdout.write(`nomad-mock listening on ${address} (region ${cfg.region})\n`);
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
  process.stderr.write(`nomad-mock: ${(err as Error).message}\n`);
  process.exit(1);
});
