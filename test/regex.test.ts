// User-supplied regular expressions run on an RE2 engine with Go's syntax and error texts (issue 10,
// findings 2 and 10): filter `matches`, HCL regex_replace, constraint `regexp`, fault path patterns.
// A backtracking pattern must not freeze the server, and what Go's regexp rejects is rejected with
// Go's message, wrapped as Nomad wraps it in each place.
import t, { type Test } from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../src/config.js';
import { client, simClient, minimalJob, type Client, type Res } from './helpers.js';
import { regexpCacheSize } from '../state/regexp.js';
import type { Obj } from '../state/types.js';

const EVIL_ID = `${'a'.repeat(30)}!`;
const filter = (c: Client, expr: string): Promise<Res> => c.get(`/v1/jobs?filter=${encodeURIComponent(expr)}`);
const parseMeta = (c: Client, expr: string): Promise<Res> =>
  c.put('/v1/jobs/parse', { JobHCL: `job "x" {\n  meta {\n    v = ${expr}\n  }\n}\n` });
const hclString = (s: string): string => JSON.stringify(s).replace(/\$\{/g, () => '$${');

function isPlain400(t: Test, r: Res, body: string, what: string): void {
  t.equal(r.status, 400, `${what}: status`);
  t.equal(r.body, body, `${what}: body`);
}

// ---------------------------------------------------------------------------------------------
// Finding 2: no backtracking freeze

t.test('a catastrophic filter pattern answers, and a concurrent request is answered too', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.register(minimalJob(EVIL_ID))).status, 200);
  const [evil, other] = await Promise.all([filter(c, 'ID matches "^(a+)+$"'), c.get('/v1/status/leader')]);
  t.equal(evil.status, 200, 'the filter request answers');
  t.same(evil.json, [], 'the pattern does not match the ID ending in "!"');
  t.equal(other.status, 200, 'the concurrent request answers');
  const hit = await filter(c, 'ID matches "^(a+)+!$"');
  t.same((hit.json as Obj[]).map((j) => j.ID), [EVIL_ID], 'the same shape with the "!" matches');
  const negated = await filter(c, 'ID not matches "^(a+)+$"');
  t.same((negated.json as Obj[]).map((j) => j.ID), [EVIL_ID], 'not matches');
});

t.test('a catastrophic regex_replace in /v1/jobs/parse answers, and a concurrent request is answered too', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const input = `${'a'.repeat(28)}!`;
  const [evil, other] = await Promise.all([parseMeta(c, `regex_replace("${input}", "^(a+)+$", "x")`), c.get('/v1/status/leader')]);
  t.equal(evil.status, 200, 'the parse request answers');
  t.same(evil.json.Meta, { v: input }, 'no match, the string is unchanged');
  t.equal(other.status, 200, 'the concurrent request answers');
});

// ---------------------------------------------------------------------------------------------
// Go's syntax and error texts, per context

t.test('filter: what Go rejects is a 400 with go-bexpr\'s and Nomad\'s wrapping of Go\'s message', async (t) => {
  const c = await client();
  t.teardown(c.close);
  // go-bexpr compiles the pattern when it first evaluates it, so with no rows there is no error.
  const empty = await filter(c, 'ID matches "(?=a)"');
  t.equal(empty.status, 200, 'no jobs: nothing evaluates the pattern');
  t.same(empty.json, []);
  await c.register(minimalJob('web'));
  isPlain400(
    t,
    await filter(c, 'ID matches "(?=a)"'),
    'failed to read result page: Failed to compile regular expression "(?=a)": error parsing regexp: invalid or unsupported Perl syntax: `(?=`',
    'lookahead',
  );
  isPlain400(
    t,
    await filter(c, 'ID matches `(a)\\1`'),
    'failed to read result page: Failed to compile regular expression "(a)\\\\1": error parsing regexp: invalid escape sequence: `\\1`',
    'backreference',
  );
  isPlain400(
    t,
    await filter(c, 'Name not matches "(?<!a)b"'),
    'failed to read result page: Failed to compile regular expression "(?<!a)b": error parsing regexp: invalid named capture: `(?<!a)b`',
    'lookbehind',
  );
  isPlain400(
    t,
    await filter(c, 'ID matches "a++"'),
    'failed to read result page: Failed to compile regular expression "a++": error parsing regexp: invalid nested repetition operator: `++`',
    'possessive quantifier',
  );
  const named = await filter(c, 'ID matches "^(?P<first>w)(?<rest>eb)$"');
  t.same((named.json as Obj[]).map((j) => j.ID), ['web'], 'Go named groups, both spellings');
});

t.test('HCL regex_replace: Go\'s syntax errors as an "Error in function call" diagnostic', async (t) => {
  const c = await client();
  t.teardown(c.close);
  isPlain400(
    t,
    await parseMeta(c, 'regex_replace("abc", "(?=b)", "x")'),
    'Failed to parse job: input.hcl:3,9-43: Error in function call; Call to function "regex_replace" failed: error parsing regexp: invalid or unsupported Perl syntax: `(?=`.',
    'lookahead',
  );
  isPlain400(
    t,
    await parseMeta(c, 'regex_replace("aa", "(a)\\\\1", "x")'),
    'Failed to parse job: input.hcl:3,9-43: Error in function call; Call to function "regex_replace" failed: error parsing regexp: invalid escape sequence: `\\1`.',
    'backreference',
  );
});

t.test('HCL regex_replace expands the replacement as Go\'s ReplaceAllString does; replace is literal', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const cases: [string, string, string, string, string][] = [
    ['$1W names group "1W" (none): empty', '-ab-axxb-', 'a(x*)b', '$1W', '---'],
    ['${1}W is group 1 then W', '-ab-axxb-', 'a(x*)b', '${1}W', '-W-xxW-'],
    ['named groups, $$, $0 and an unknown name', '2024-05', '(?P<y>\\d+)-(?P<m>\\d+)', '$m/$y $$ $0 [$nope]', '05/2024 $ 2024-05 []'],
    ['an empty match right after a match is not replaced', 'baaac', 'a*', 'X', 'XbXcX'],
    ['empty pattern: before each character and at the end', 'héllo', '', '-', '-h-é-l-l-o-'],
    ['$ followed by nothing usable stays', 'ab', 'b', '$-${', 'a$-${'],
  ];
  for (const [what, str, pattern, rep, want] of cases) {
    const r = await parseMeta(c, `regex_replace(${hclString(str)}, ${hclString(pattern)}, ${hclString(rep)})`);
    t.equal(r.status, 200, `${what}: status`);
    t.same(r.json?.Meta, { v: want }, what);
  }
  // go-cty's replace (which Nomad's jobspec2 uses) is strings.Replace: slashes are not a regex.
  t.same((await parseMeta(c, 'replace("a.b", "/./", "x")')).json?.Meta, { v: 'a.b' }, 'replace with /./ is literal');
  t.same((await parseMeta(c, 'replace("a/./b", "/./", "x")')).json?.Meta, { v: 'axb' }, 'and replaces the literal text');
  t.same((await parseMeta(c, 'replace("abc", "", "-")')).json?.Meta, { v: '-a-b-c-' }, 'empty substring as Go inserts it');
});

t.test('constraint regexp: a pattern Go rejects fails job validation like Nomad\'s Constraint.Validate', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const regexp = (RTarget: string): Obj => ({ LTarget: '${node.unique.name}', RTarget, Operand: 'regexp' });
  const job = minimalJob('bad', { Constraints: [regexp('^nomad'), regexp('(?=x)')] });
  const res = await c.register(job);
  t.equal(res.status, 500);
  t.equal(
    res.body,
    '1 error occurred:\n\t* Constraint 2 validation failed: 1 error occurred:\n\t* Regular expression failed to compile: error parsing regexp: invalid or unsupported Perl syntax: `(?=`\n\n\n\n',
  );
  t.equal((await c.get('/v1/job/bad')).status, 404, 'nothing was registered');
  const task = minimalJob('bad2');
  (task.TaskGroups as Obj[])[0]!.Tasks[0].Constraints = [regexp('(a)\\1')];
  const tres = await c.register(task);
  t.equal(tres.status, 500);
  t.match(tres.body, 'Task group web validation failed: 1 error occurred:\n\t* Task server validation failed: 1 error occurred:\n\t* Constraint 1 validation failed: 1 error occurred:\n\t* Regular expression failed to compile: error parsing regexp: invalid escape sequence: `\\1`');
});

t.test('constraint regexp: a pattern that only resolves on the node and does not compile makes the node infeasible', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-regex-'));
  const file = join(dir, 'cluster.json');
  // JavaScript accepts this lookahead (and it would match); Go's regexp does not compile it.
  writeFileSync(file, JSON.stringify({ nodes: [{ name: 'n1', datacenter: 'dc1', meta: { pattern: '^(?!zzz)', slow: '^(a+)+$' } }] }));
  const c = await simClient(loadConfig(['--config', file, '--clock', 'manual'], {}) as Config);
  t.teardown(c.close);
  const regexp = (RTarget: string, LTarget = '${node.unique.name}'): Obj => ({ LTarget, RTarget, Operand: 'regexp' });
  t.equal((await c.register(minimalJob('bad', { Constraints: [regexp('${meta.pattern}')] }))).status, 200, 'the literal RTarget compiles');
  t.equal((await c.register(minimalJob('good', { Constraints: [regexp('^n[0-9]$')] }))).status, 200);
  await c.advance(0);
  const evals = (await c.get('/v1/job/bad/evaluations')).json as Obj[];
  const failed = evals.find((e) => e.FailedTGAllocs)!;
  t.ok(failed, 'the placement failed');
  t.match(failed.FailedTGAllocs.web, { NodesEvaluated: 1, NodesFiltered: 1, ConstraintFiltered: { '${node.unique.name} regexp ${meta.pattern}': 1 } });
  t.same((await c.get('/v1/job/bad/allocations')).json, [], 'no alloc for the infeasible job');
  t.equal(((await c.get('/v1/job/good/allocations')).json as Obj[]).length, 1, 'a valid pattern places');
  t.equal((await c.get('/v1/jobs')).status, 200, 'the server still answers');
});

// ---------------------------------------------------------------------------------------------
// Fault path patterns (finding 10) and their regex form

t.test('a fault Path with a control character (NUL included) is a 400 and arms nothing', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const Path of ['/v1/\u0000', '\u0000', '/v1/jobs\u0007', '/v1/**\n', '/x\u007f', '/v1/\u0085']) {
    const r = await c.post('/_mock/faults', { Path, Status: 500 });
    t.equal(r.status, 400, `${JSON.stringify(Path)}: status`);
    t.same(r.json, { Error: 'Path must not contain control characters' }, `${JSON.stringify(Path)}: body`);
  }
  t.same((await c.get('/_mock/faults')).json, [], 'no fault was added');
  t.equal((await c.get('/v1/jobs')).status, 200, 'requests are not faulted');
});

t.test('fault globs are literal apart from * and **; /regex/ uses Go syntax and errors', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.post('/_mock/faults', { Path: '/v1/job/a+b(c)', Status: 503 });
  t.equal((await c.get('/v1/job/a+b(c)')).status, 503, 'regex metacharacters match themselves');
  t.equal((await c.get('/v1/job/aab(c)')).status, 404, 'and nothing else');
  await c.del('/_mock/faults');
  const bad = await c.post('/_mock/faults', { Path: '/^\\/v1\\/(?=job)/', Status: 500 });
  t.equal(bad.status, 400);
  t.same(bad.json, { Error: 'invalid Path pattern: error parsing regexp: invalid or unsupported Perl syntax: `(?=`' });
  await c.post('/_mock/faults', { Path: '/^\\/v1\\/(?P<kind>jobs?)$/', Status: 502 });
  t.equal((await c.get('/v1/jobs')).status, 502, 'Go named group');
  t.equal((await c.get('/v1/nodes')).status, 200);
});

t.test('compiled patterns are cached in an LRU bounded by entries and by program instructions', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  let ok = 0;
  for (let i = 0; i < 400; i++) if ((await filter(c, `ID matches "^w${i}"`)).status === 200) ok++;
  t.equal(ok, 400, '400 distinct patterns answered');
  t.ok(regexpCacheSize().entries <= 256, `cache holds ${regexpCacheSize().entries} entries`);
  // Each of these compiles to about 20,000 instructions (some 1.4 MB of heap).
  for (let i = 0; i < 30; i++) if ((await filter(c, `ID matches "^[a-z]{1000}${'[0-9]{1000}'.repeat(19)}${i}"`)).status === 200) ok++;
  t.equal(ok, 430, 'large patterns answered');
  t.ok(regexpCacheSize().instructions <= 500_000, `cache holds ${regexpCacheSize().instructions} instructions`);
});
