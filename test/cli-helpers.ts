// Runs the `nomad-mock` command as a user would, for the CLI tests.
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
/** The command as installed: the package's `bin`, the bundled server (dist/bundle/cli.js). */
const cli = join(root, pkg.bin['nomad-mock']!);
export const version = pkg.version;

/** Runs the command to its end (it must end on its own: errors, --help, --version). */
export function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export const firstLine = async (args: string[]): Promise<string> => (await run(args)).stderr.split('\n')[0]!;

export interface Started {
  url: string;
  /** Everything the server printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Resolves once the output matches (rejects after 30 s). */
  until(re: RegExp): Promise<RegExpExecArray>;
}

/** Starts the server and waits for its "listening on" line. */
export async function start(t: Test, args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH } });
  t.teardown(() => void child.kill('SIGKILL'));
  let out = '';
  const waiting = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const w of waiting) w();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const until = (re: RegExp, ms = 30_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const m = re.exec(out);
        if (!m) return;
        done();
        resolve(m);
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${re} in the output: ${out}`));
      }, ms);
      const exited = (code: number | null): void => {
        done();
        reject(new Error(`exited with ${code}: ${out}`));
      };
      const done = (): void => {
        clearTimeout(timer);
        waiting.delete(check);
        child.off('exit', exited);
      };
      waiting.add(check);
      child.once('exit', exited);
      check();
    });
  const m = await until(/listening on (http:\/\/\S+)/, 50_000);
  return { url: m[1]!, output: () => out, until };
}

export function getJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: /json/.test(String(res.headers['content-type'])) ? (JSON.parse(body) as unknown) : body }));
    }).on('error', reject);
  });
}
