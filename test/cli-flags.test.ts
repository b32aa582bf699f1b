// The `nomad-mock` command as a user runs it: flags, --help, --version, and errors that say what to do.
import t from 'tap';
import { ConfigError, loadConfig } from '../src/config.js';
import { firstLine, getJson, run, start, version } from './cli-helpers.js';

t.test('--version prints the package version and exits 0', async (t) => {
  const r = await run(['--version']);
  t.equal(r.code, 0);
  t.equal(r.stdout, `nomad-mock ${version}\n`);
});

t.test('--help lists every flag with its env var, and no empty default', async (t) => {
  const [r, h] = await Promise.all([run(['--help']), run(['--port', '1', '-h'])]);
  t.equal(r.code, 0);
  t.match(r.stdout, /^Usage: nomad-mock \[flags\]/);
  t.match(r.stdout, /--acl \[true\|false\] +ACL mode/);
  t.match(r.stdout, /--port <value> +TCP port to listen on; 0 picks a free one \(env NOMAD_MOCK_PORT; default 4646\)/);
  t.match(r.stdout, /--seed <value> .*\(env NOMAD_MOCK_SEED\)\n/, 'a flag without a default names only its env var');
  t.notMatch(r.stdout, /default \)|default: \)|\(\)/, 'no empty default');
  t.notMatch(r.stdout, /\(default [^)]*\) \(env/, 'no flag states its default twice');
  t.equal(h.stdout, r.stdout, '-h works and wins over the other flags');
});

t.test('an unknown flag is one line with a did-you-mean and a pointer to --help, not the usage', async (t) => {
  const [r, positional] = await Promise.all([run(['--prot', '4647']), firstLine(['serve'])]);
  t.equal(r.code, 2);
  t.equal(r.stderr, 'nomad-mock: unknown flag --prot (did you mean --port?)\nRun nomad-mock --help for the list of flags.\n');
  t.equal(r.stdout, '');
  t.equal(positional, 'nomad-mock: unexpected argument "serve"');
  // The same checks, in process (the command prints the message of this error).
  const message = (argv: string[]): string => {
    try {
      loadConfig(argv, {});
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
    }
    return 'no error';
  };
  t.equal(message(['--simulat']), 'unknown flag --simulat (did you mean --simulate?)');
  t.equal(message(['--zzzzzzzz']), 'unknown flag --zzzzzzzz', 'no suggestion when nothing is close');
  t.equal(message(['--port']), '--port needs a value');
  t.equal(message(['--port', '--acl']), '--port needs a value', 'a flag is not taken as the value of the one before');
  t.equal(message(['--simulate', 'maybe']), 'unexpected argument "maybe"');
  t.equal(message(['--simulate=maybe']), '--simulate: expected true or false (also 1/0, yes/no, on/off), got "maybe"');
  t.equal(message(['--', 'x']), 'nomad-mock takes no arguments after --');
  t.equal(message(['-x']), 'unknown flag -x', 'one letter is no typo of a short flag name');
  t.equal(message(['--acll']), 'unknown flag --acll (did you mean --acl?)');
  t.equal(message(['--node']), 'unknown flag --node (did you mean --nodes?)');
});

t.test('boolean flags take a value after a space or an equals sign, in the usual spellings', async (t) => {
  const [{ url: base }, { url: acl }] = await Promise.all([start(t, ['--port', '0', '--acl', 'false', '--simulate', 'no', '--clock=manual']), start(t, ['--port=0', '--acl=on'])]);
  const nodes = await getJson(`${base}/v1/nodes`);
  t.equal(nodes.status, 200, '--acl false: no token needed');
  t.same(nodes.body, [], '--simulate no: a bare store without nodes');
  t.equal((await getJson(`${acl}/v1/jobs`)).status, 403, '--acl=on turns ACLs on');
});

