// The `nomad-mock` command's start-up errors: each names the file or the setting to change.
import t from 'tap';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, start } from './cli-helpers.js';

t.test('a bad job file in --jobs-dir is named by its own path and line', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-cli-'));
  const file = join(dir, 'web.nomad');
  writeFileSync(file, 'job "web" {\n  group "g" {\n    task "t" {\n      driver = \n');
  const r = await run(['--port', '0', '--jobs-dir', dir]);
  t.equal(r.code, 2);
  t.match(r.stderr, new RegExp(`^nomad-mock: ${file.replace(/[/.]/g, '\\$&')}:3,\\d+-\\d+: `));
  t.notMatch(r.stderr, /input\.hcl/);
  const json = join(dir, 'json');
  mkdirSync(json);
  writeFileSync(join(json, 'a.json'), '{"Job": ');
  t.match((await run(['--port', '0', '--jobs-dir', json])).stderr, `nomad-mock: ${join(json, 'a.json')}: `);
});

t.test('a corrupt state file in --data-dir is named by its path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-cli-'));
  writeFileSync(join(dir, 'state.json'), 'not json');
  const r = await run(['--port', '0', '--data-dir', dir]);
  t.equal(r.code, 2);
  t.match(r.stderr, `nomad-mock: state file ${join(dir, 'state.json')} is not valid JSON`);
});

t.test('a port in use suggests another port or --port 0', async (t) => {
  const { url } = await start(t, ['--port', '0']);
  const port = new URL(url).port;
  const r = await run(['--port', port]);
  t.equal(r.code, 2);
  t.equal(r.stderr, `nomad-mock: 127.0.0.1:${port} is already in use (another nomad-mock or a Nomad agent?): pick another port with --port <n>, or --port 0 for any free one\n`);
});
