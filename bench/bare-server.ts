// The yardsticks: a bare Fastify server (or, with `--node-http`, a bare node:http server) answering
// the same routes with the bytes nomad-mock sent (a recorded URL with a query answers that exact URL), so the benchmark measures what nomad-mock adds on
// top of its framework. A GET carrying `index=` parks until the next PUT, as a blocking query does:
// the floor for one write releasing many readers.
//   node bare-server.js <recorded.json> <port> [--node-http]
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Fastify from 'fastify';

interface Recorded {
  method: 'GET' | 'PUT' | 'POST';
  url: string;
  body: string;
}

const [file, port] = [process.argv[2]!, Number(process.argv[3])];
const plain = process.argv.includes('--node-http');
const recorded = JSON.parse(readFileSync(file, 'utf8')) as Recorded[];
let parked: (() => void)[] = [];

function releaseParked(): void {
  const waiting = parked;
  parked = [];
  for (const go of waiting) go();
}

if (plain) {
  const routes = new Map(recorded.map((r) => [`${r.method} ${r.url}`, Buffer.from(r.body)]));
  const server = http.createServer((req, res) => {
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    const body = routes.get(`${req.method} ${req.url}`) ?? routes.get(`${req.method} ${path}`);
    const send = (): void => {
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
    };
    if (req.method === 'PUT' || req.method === 'POST') {
      req.resume();
      req.on('end', () => {
        releaseParked();
        send();
      });
    } else if (q >= 0 && req.url!.includes('index=', q)) parked.push(send);
    else send();
  });
  server.listen(port, '127.0.0.1');
} else {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  const exact = new Map(recorded.filter((r) => r.url.includes('?')).map((r) => [`${r.method} ${r.url}`, r.body]));
  for (const r of recorded) {
    if (r.url.includes('?')) continue;
    app.route({
      method: r.method,
      url: r.url,
      handler: async (req, reply) => {
        if (r.method !== 'GET') releaseParked();
        else if ((req.query as Record<string, string>)['index'] !== undefined) await new Promise<void>((go) => parked.push(go));
        return reply.type('application/json').send(exact.get(`${r.method} ${req.url}`) ?? r.body);
      },
    });
  }
  app.listen({ port, host: '127.0.0.1' }).catch((err: unknown) => {
    process.stderr.write(String(err));
    process.exit(1);
  });
}
