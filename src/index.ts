// The package's in-process API: start a mock Nomad from a Node test, point a client at `url`, drive
// it through `control`, and `close()` it. Several instances can run at once on port 0.
import { createServer, type NomadMock } from './server.js';
import { DEFAULTS, type Config } from './config.js';
import type { MockControl } from './control/mock-control.js';

export type MockNomadOptions = Partial<Config>;

export interface MockNomad {
  /** Base URL, e.g. `http://127.0.0.1:41234` — what NOMAD_ADDR should be. */
  url: string;
  port: number;
  /** Reset, snapshot/restore, clock, forced alloc states, faults, leader switch, request journal. */
  control: MockControl;
  /** The underlying server (Fastify app, store, clock, simulator) for advanced use. */
  server: NomadMock;
  close(): Promise<void>;
}

export async function createMockNomad(options: MockNomadOptions = {}): Promise<MockNomad> {
  const config = options;
  const server = createServer({ logLevel: 'silent', port: 0, ...config });
  try {
    await server.init();
  } catch (err) {
    // A data dir that cannot be loaded: nothing may keep running behind the rejection.
    await server.app.close();
    throw err;
  }
  const port = config.port ?? 0;
  await server.app.listen({ port, host: config.bind ?? DEFAULTS.bind });
  const addr = server.app.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  const host = config.bind && config.bind !== '0.0.0.0' ? config.bind : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    port: actual,
    control: server.control,
    server,
    close: () => server.app.close(),
  };
}

export { createServer, type NomadMock } from './server.js';
export { DEFAULTS, type Config } from './config.js';
export { Store } from '../state/store.js';
export type { MockControl } from './control/mock-control.js';
export type { FaultSpec, Fault } from './control/faults.js';
export type { JournalEntry } from './control/journal.js';
export type { Snapshot } from '../state/snapshot/snapshot.js';
export type { NodeControl, NodeWriteResult } from './control/nodes.js';
