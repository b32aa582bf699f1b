// Starting the yardstick servers of bare-server.ts with recorded answers.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchFile, start, type Started } from './http.js';

export interface RecordedAnswer {
  method: 'GET' | 'PUT' | 'POST';
  url: string;
  body: string;
}

/** Writes the answers to a temporary file for bare-server.js. */
export function recordFile(answers: RecordedAnswer[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'nomad-mock-bench-')), 'recorded.json');
  writeFileSync(file, JSON.stringify(answers));
  return file;
}

export function bareArgs(file: string, port: number, nodeHttp = false): string[] {
  return [benchFile('bare-server.js'), file, String(port), ...(nodeHttp ? ['--node-http'] : [])];
}

/** A bare Fastify (or node:http) server answering the recorded routes, started and probed on `probe`. */
export function startBare(file: string, port: number, probe: string, nodeHttp = false): Promise<Started> {
  return start(bareArgs(file, port, nodeHttp), port, probe);
}
