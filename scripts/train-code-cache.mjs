// Makes the bundle's code caches (run by scripts/bundle.mjs, with NOMAD_MOCK_CODE_CACHE=write): the
// command and the package entry each started in a process of their own as a user starts them,
// answering GET /v1/jobs once, then stopped; each writes the cache of what it compiled as it exits.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const dir = process.argv[2];

/** Runs node with `args` until `ready` finds the server's URL in its stdout; answers one request; stops it. */
function train(args, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    let asked = false;
    child.stdout.on('data', (d) => {
      out += d;
      const url = ready(out);
      if (!url || asked) return;
      asked = true;
      fetch(`${url}/v1/jobs`)
        .then((r) => r.text().then(() => (r.status === 200 ? child.kill('SIGTERM') : reject(new Error(`${args.join(' ')}: GET /v1/jobs answered ${r.status}`)))))
        .catch(reject);
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${args.join(' ')} exited with ${code ?? signal}: ${out}`))));
  });
}

await train([join(dir, 'cli.js'), '--port', '0', '--bind', '127.0.0.1', '--log-level', 'silent'], (out) => /listening on (http:\/\/\S+)/.exec(out)?.[1]);
// The package entry stops on SIGTERM too, through close() as a test suite would stop it.
const entry = `const { createMockNomad } = await import(${JSON.stringify(pathToFileURL(join(dir, 'index.js')).href)});
const nomad = await createMockNomad();
process.stdout.write('listening on ' + nomad.url + '\\n');
process.on('SIGTERM', () => nomad.close().then(() => process.exit(0)));`;
await train(['--input-type=module', '-e', entry], (out) => /listening on (http:\/\/\S+)/.exec(out)?.[1]);
