// The server of the kill test (durable-kill.test.ts), in a process of its own: the modules load
// while the previous one is still running; a line on stdin makes it open the data dir and listen.
import type { AddressInfo } from 'node:net';
import { createServer } from '../src/server.js';

const dir = process.argv[2]!;
const mock = createServer({ logLevel: 'silent', dataDir: dir });
process.stdin.once('data', () => {
  mock
    .init()
    .then(() => mock.app.listen({ port: 0, host: '127.0.0.1' }))
    .then(() => process.stdout.write(`port ${(mock.app.server.address() as AddressInfo).port}\n`))
    .catch((err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`);
      process.exit(2);
    });
});
