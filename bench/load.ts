// Load generation with autocannon against a server on loopback.
import autocannon, { type Request } from 'autocannon';

export interface LoadSpec {
  port: number;
  method: 'GET' | 'PUT';
  path: string;
  /** A fresh body per request (e.g. distinct job IDs). */
  body?: () => string;
  seconds: number;
  connections: number;
}

export async function requestsPerSecond(spec: LoadSpec): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${spec.port}`,
    connections: spec.connections,
    duration: spec.seconds,
    requests: [
      {
        method: spec.method,
        path: spec.path,
        headers: { 'content-type': 'application/json' },
        ...(spec.body ? { setupRequest: (req: Request): Request => ({ ...req, body: spec.body!() }) } : {}),
      },
    ],
  });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${spec.method} ${spec.path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  }
  return result.requests.average;
}
