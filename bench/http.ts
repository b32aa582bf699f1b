// HTTP plumbing shared by the benchmarks: one-shot requests and timed server start-up.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';

export interface Started {
  child: ChildProcess;
  startupMs: number;
}

export function request(port: number, method: string, path: string, body?: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Spawns a server and times it from spawn to its first 200 on `probe`. */
export async function start(args: string[], port: number, probe: string): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  for (;;) {
    try {
      const res = await request(port, 'GET', probe);
      if (res.status === 200) return { child, startupMs: performance.now() - t0 };
    } catch {
      // not listening yet
    }
    if (performance.now() - t0 > 20_000) throw new Error(`${args.join(' ')} did not start`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

