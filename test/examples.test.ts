// The README's runnable Node examples run as written (they import the package by its name).
import t from 'tap';
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'examples');
const examples = readdirSync(dir).filter((f) => f.endsWith('.mjs'));

t.test('every Node example in examples/ runs to its "ok"', async (t) => {
  t.ok(examples.length >= 2, 'the Node examples are found');
  const env = { ...process.env };
  delete env.NOMAD_ADDR;
  // Side by side: each starts its own server on a free port.
  const runs = await Promise.allSettled(examples.map((f) => promisify(execFile)(process.execPath, [join(dir, f)], { env, timeout: 55_000 })));
  runs.forEach((r, i) => {
    if (r.status === 'rejected') t.fail(`examples/${examples[i]}: ${(r.reason as Error).message}`);
    else t.match(r.value.stdout, /example: ok\n$/, `examples/${examples[i]}`);
  });
});
