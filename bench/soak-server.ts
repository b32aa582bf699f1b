// The server side of `npm run soak`: a nomad-mock in its own process (run with --expose-gc) that
// reports its port and, on request, its memory after a full GC and the number of parked readers.
import v8 from 'node:v8';
import { createServer } from '../src/server.js';

// No simulator: the soak is about readers, and writes then cost the same before and after it.
const mock = createServer({ logLevel: 'silent', clock: 'manual' }, undefined, { simulate: false });
await mock.init();
await mock.app.listen({ port: 0, host: '127.0.0.1' });
const addr = mock.app.server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;

const gc = (globalThis as { gc?: () => void }).gc;

process.on('message', (msg: string) => {
  if (msg === 'stats') {
    // Two passes: the first may only queue finalizers.
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    const h = v8.getHeapStatistics();
    process.send?.({
      rss: m.rss,
      heapTotal: h.total_heap_size,
      malloced: h.malloced_memory,
      heapUsed: m.heapUsed,
      external: m.external,
      waiting: mock.store.watch.waiting(),
      journal: mock.control.journal.length,
      connections: (mock.app.server as unknown as { _connections?: number })._connections ?? -1,
    });
  } else if (msg === 'exit') {
    void mock.app.close().then(() => process.exit(0));
  }
});
process.send?.({ port });
