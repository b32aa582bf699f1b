// The yardstick: a bare Fastify server answering the same routes with the bytes nomad-mock sent,
// so the benchmark measures what nomad-mock adds on top of Fastify itself.
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

interface Recorded {
  method: 'GET' | 'PUT';
  url: string;
  body: string;
}

const [file, port] = [process.argv[2]!, Number(process.argv[3])];
const recorded = JSON.parse(readFileSync(file, 'utf8')) as Recorded[];
const app = Fastify({ logger: false });
for (const r of recorded) {
  app.route({
    method: r.method,
    url: r.url,
    handler: async (_req, reply) => reply.type('application/json').send(r.body),
  });
}
app.listen({ port, host: '127.0.0.1' }).catch((err: unknown) => {
  process.stderr.write(String(err));
  process.exit(1);
});
