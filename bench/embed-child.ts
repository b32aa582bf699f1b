// One sample of figure 8 in a fresh process: the module already loaded, the time from calling the
// factory to the first answer of GET /v1/jobs. `mock <main.js>` times createMockNomad() of the
// package's entry; `fastify` times a bare Fastify app answering `[]` the same way. Prints the ms.
import http from 'node:http';

function firstAnswer(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}/v1/jobs`, { agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}

const [mode, main] = [process.argv[2], process.argv[3]];
let ms: number;
let close: () => Promise<unknown>;
if (mode === 'mock') {
  const { createMockNomad } = (await import(main!)) as typeof import('../src/index.js');
  const t0 = performance.now();
  const m = await createMockNomad();
  const status = await firstAnswer(m.url);
  ms = performance.now() - t0;
  if (status !== 200) throw new Error(`first answer ${status}`);
  close = m.close;
} else {
  const { default: Fastify } = await import('fastify');
  const t0 = performance.now();
  const app = Fastify({ logger: false });
  app.get('/v1/jobs', async (_req, reply) => reply.type('application/json').send('[]'));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const status = await firstAnswer(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`);
  ms = performance.now() - t0;
  if (status !== 200) throw new Error(`first answer ${status}`);
  close = () => app.close();
}
process.stdout.write(`${ms}\n`);
await close();
process.exit(0);
