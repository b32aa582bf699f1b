// The event-stream subscribers of figure 9, in their own process so reading their bytes costs the
// timing client nothing: `node subscribers.js <port> <n>` opens n GET /v1/event/stream on raw
// sockets, tells the parent `ready` once each has received its first bytes (the opening `{}`
// heartbeat), and answers `bytes` with the total received since.
import net from 'node:net';

const [port, n] = [Number(process.argv[2]), Number(process.argv[3])];
const head = `GET /v1/event/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
let bytes = 0;
let opened = 0;
const sockets: net.Socket[] = [];

async function open(): Promise<void> {
  for (let i = 0; i < n; i += 200) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(n, i + 200); j++) {
      const sock = net.connect({ host: '127.0.0.1', port }, () => sock.write(head));
      sockets.push(sock);
      batch.push(
        new Promise((resolve, reject) => {
          sock.once('data', () => {
            opened++;
            resolve();
          });
          sock.once('error', reject);
        }),
      );
      sock.on('data', (c: Buffer) => (bytes += c.length));
      sock.on('error', () => undefined);
    }
    await Promise.all(batch);
  }
}

process.on('message', (msg: string) => {
  if (msg === 'bytes') process.send?.({ bytes, open: sockets.filter((s) => !s.destroyed).length });
  else if (msg === 'exit') {
    for (const s of sockets) s.destroy();
    process.exit(0);
  }
});

open().then(
  () => {
    bytes = 0;
    process.send?.({ ready: opened });
  },
  (err: unknown) => {
    process.stderr.write(`subscribers: ${String(err)}\n`);
    process.exit(1);
  },
);
