// fast-check arbitraries for the pieces of a hostile request: IDs, strings, numbers, jobs (valid,
// from the fixtures, and mutated), filter expressions and query parameters.
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { Raw, deepNesting } from './json.js';

type Obj = Record<string, unknown>;

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export const FIXTURE_JOBS: Obj[] = readdirSync(join(root, 'fixtures', 'jobs'))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(root, 'fixtures', 'jobs', f), 'utf8')) as Obj);

export const FIXTURE_HCL: string[] = readdirSync(join(root, 'fixtures', 'hcl'))
  .filter((f) => f.endsWith('.nomad.hcl'))
  .sort()
  .map((f) => readFileSync(join(root, 'fixtures', 'hcl', f), 'utf8'));

/** The few job IDs requests aim at, so writes and reads meet the same jobs. */
export const JOB_POOL = ['fz-a', 'fz-b', 'fz-c', ...FIXTURE_JOBS.map((j) => String(j.ID))];
export const NAMESPACES = ['default', 'default', 'default', 'fz-ns', '*'];

/** Words the oracle looks for in answers: generated text never contains them, so an echo is no alarm. */
const ORACLE_WORDS = /undefined|NaN|object Object|Error\b|is not|Cannot|Unexpected|Invalid|Maximum|statusCode|FST_|ERR_|\bat /gi;
export const clean = (s: string): string => s.replace(ORACLE_WORDS, 'zz');

const cleanString = (a: fc.Arbitrary<string>): fc.Arbitrary<string> => a.map(clean);

/** Strings of 1k–10k characters (IDs, names): rare, or every other URL is over the header limit. */
const longString = fc.oneof(
  fc.integer({ min: 1_000, max: 10_000 }).map((n) => 'a'.repeat(n)),
  fc.constant('x'.repeat(10_000)),
  fc.constant(encodeURIComponent('ü/?#&'.repeat(700))),
);

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: cleanString(fc.string({ maxLength: 24 })) },
  { weight: 2, arbitrary: cleanString(fc.string({ unit: 'binary', maxLength: 24 })) },
  {
    weight: 6,
    arbitrary: fc.constantFrom('', ' ', '..', '.', '/', '%', '%00', '%2F', '%zz', '\u0000', '\t', '\n', '?', '#', '&', '=', '+', '*', '"', "'", '\\', '\ud800', 'ジョブ', '🚀', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'a/b', 'a%2Fb', 'a b'),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 200 }).map((n) => 'a'.repeat(n)) },
  { weight: 1, arbitrary: longString },
);

export const jobId: fc.Arbitrary<string> = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...JOB_POOL) }, { weight: 2, arbitrary: hostileString });
export const namespace: fc.Arbitrary<string> = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...NAMESPACES) }, { weight: 1, arbitrary: hostileString });

/** A value of the wrong kind for whatever field it replaces. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, -0.5, 1e308, -1e308, 2 ** 53, 2 ** 53 + 2, -(2 ** 63), 2 ** 31, 2 ** 32, '', 'x', '1', 'true', '10s', [], {}, [null], [[]], { a: null }, [1, 'a', null, {}]),
  },
  { weight: 3, arbitrary: fc.constantFrom(new Raw('1e400'), new Raw('-1e400'), new Raw('18446744073709551616'), new Raw('9223372036854775808'), new Raw('-0'), new Raw('1E2'), new Raw('0.0000000000000000000001')) },
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: fc.integer({ min: -10, max: 10 }) },
  { weight: 1, arbitrary: fc.constantFrom(100, 1_000, 10_000, 10_001).chain((d) => fc.boolean().map((o) => deepNesting(d, o))) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 1, 'x', {}, { Name: 'x' }).map((x) => Array.from({ length: 10_000 }, () => x)) },
  { weight: 2, arbitrary: fc.dictionary(cleanString(fc.string({ maxLength: 8 })), fc.oneof(fc.string({ maxLength: 8 }).map(clean), fc.integer(), fc.constant(null)), { maxKeys: 4 }) },
);

const duration = fc.constantFrom('1s', '5s', '30s', '100ms', '2m');

const mockConfig = fc.record(
  {
    run_for: duration,
    exit_code: fc.constantFrom(0, 0, 1, 2),
    start_error: fc.constant('boom'),
    start_block_for: duration,
    kill_after: duration,
    stdout_string: fc.constantFrom('line\n', '', 'ジョブ\n', '<html>\n', '\u0000\u0001'),
    stdout_repeat: fc.constantFrom<unknown>(0, 3, 1_000, -1, 'x'),
    stdout_repeat_duration: fc.constantFrom<unknown>('0s', '1s', '100ms', 'soon', 5e8),
    stderr_string: fc.constantFrom('err\n', ''),
  },
  { requiredKeys: [] },
);

const task = fc.record({
  Name: fc.constantFrom('t1', 't2', 'server'),
  Driver: fc.constantFrom('docker', 'mock_driver', 'mock_driver', 'exec', 'raw_exec'),
  Config: fc.oneof(fc.constant({ image: 'nginx:1.27' }), mockConfig, fc.constant({ command: '/bin/true' })),
  Resources: fc.option(fc.record({ CPU: fc.constantFrom(100, 500, 20_000), MemoryMB: fc.constantFrom(64, 256, 100_000) }), { nil: undefined }),
  Env: fc.option(fc.constant({ A: '1' }), { nil: undefined }),
});

const group = fc.record({
  Name: fc.constantFrom('g1', 'g2', 'web'),
  Count: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  Tasks: fc.array(task, { minLength: 1, maxLength: 2 }),
  Update: fc.option(fc.record({ Canary: fc.integer({ min: 0, max: 2 }), MaxParallel: fc.integer({ min: 0, max: 2 }), AutoRevert: fc.boolean(), MinHealthyTime: fc.constantFrom(0, 1e9, 1e10) }), { nil: undefined }),
  Meta: fc.option(fc.constant({ k: 'v' }), { nil: undefined }),
});

const generatedJob = fc.record({
  ID: jobId,
  Type: fc.option(fc.constantFrom('service', 'batch', 'system', 'sysbatch'), { nil: undefined }),
  Namespace: fc.option(namespace, { nil: undefined }),
  Datacenters: fc.option(fc.constantFrom(['dc1'], ['*'], ['nowhere']), { nil: undefined }),
  Priority: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
  Meta: fc.option(fc.dictionary(fc.constantFrom('owner', 'team', 'x'), fc.constantFrom('a', 'b')), { nil: undefined }),
  Stop: fc.option(fc.boolean(), { nil: undefined }),
  TaskGroups: fc.array(group, { minLength: 1, maxLength: 2 }),
  Periodic: fc.option(fc.record({ Enabled: fc.boolean(), Specs: fc.constantFrom(['*/5 * * * *'], ['* * * * * * *']), SpecType: fc.constant('cron') }), { nil: undefined, freq: 12 }),
  ParameterizedJob: fc.option(fc.record({ Payload: fc.constantFrom('optional', 'required', 'forbidden'), MetaRequired: fc.constant(['in']), MetaOptional: fc.constant(['o']) }), {
    nil: undefined,
    freq: 8,
  }),
});

const fixtureJob = fc.tuple(fc.nat(FIXTURE_JOBS.length - 1), fc.option(jobId, { nil: undefined })).map(([i, id]) => {
  const j = structuredClone(FIXTURE_JOBS[i]!);
  if (id !== undefined) {
    j.ID = id;
    j.Name = id;
  }
  return j;
});

export const validJob: fc.Arbitrary<Obj> = fc.oneof(fixtureJob, generatedJob as fc.Arbitrary<Obj>);

/** Every path into a value (object keys, array indexes), the value itself as []. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = [], depth = 0): (string | number)[][] {
  out.push(prefix);
  if (depth > 8 || out.length > 400) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out, depth + 1));
  else if (v !== null && typeof v === 'object' && !(v instanceof Raw)) for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out, depth + 1);
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  let cur = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (Array.isArray(cur) && typeof last === 'number' && value === DELETE) cur.splice(last, 1);
  else if (value === DELETE) delete cur[last];
  else cur[last] = value;
  return root;
}

const DELETE = Symbol('delete');

/**
 * A deep copy that keeps Raw tokens (structuredClone would turn them into plain objects). fast-check
 * hands out the same constant objects again and again, so nothing generated may be edited in place.
 */
function copy(v: unknown): unknown {
  if (v instanceof Raw || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copy);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)]));
}

/** One to three fields of a value replaced by hostile ones (or removed, or an array given an extra null). */
export function mutate<T>(base: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  const edit = fc.tuple(fc.nat(), fc.oneof({ weight: 6, arbitrary: hostileValue }, { weight: 1, arbitrary: fc.constant<unknown>(DELETE) }, { weight: 1, arbitrary: fc.constant<unknown>('push-null') }));
  return fc.tuple(base, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([v, edits]) => {
    let doc: unknown = copy(v);
    for (const [at, value] of edits) {
      const ps = paths(doc);
      const p = ps[at % ps.length]!;
      if (value === 'push-null') {
        const target = p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], doc);
        if (Array.isArray(target)) target.push(null);
        else doc = setAt(doc, p, [target, null]);
      } else if (p.length > 0 || value !== DELETE) {
        doc = setAt(doc, p, copy(value));
      }
    }
    return doc;
  });
}

export const job: fc.Arbitrary<unknown> = fc.oneof({ weight: 2, arbitrary: validJob }, { weight: 1, arbitrary: mutate(validJob) });

// ---- filter expressions (go-bexpr) ----

const selector = fc.constantFrom('ID', 'Name', 'Status', 'Type', 'Priority', 'Namespace', 'ParentID', 'Datacenters', 'Meta.owner', 'Meta["a b"]', 'JobSummary.Summary.g1.Running', 'Stop', 'SubmitTime', 'TaskGroups', 'Foo.Bar', 'ID.x', '', '"ID"');
const safeRegex = fc.constantFrom('^fz', 'a.*', '\\d+', '(?i)WEB', '^$', '[', '(', 'a{2,3}', '\\p{L}', '(?=x)', '(a)\\1', '.*.*.*', 'x{1000}', 'x{1001}');
const evilRegex = fc.constantFrom('^(a+)+$', '(a|aa)+$', '(x+x+)+y');
const literal = fc.oneof(
  fc.constantFrom('"fz-a"', '"web"', '"running"', '"dead"', '50', 'true', '"" ', '"\\"', '"unterminated', '`raw`', '"\\u0000"'),
  hostileString.map((s) => JSON.stringify(s)),
);
const comparison = fc.oneof(
  fc.tuple(selector, fc.constantFrom('==', '!=', 'contains', 'not contains'), literal).map(([s, o, v]) => `${s} ${o} ${v}`),
  fc.tuple(literal, fc.constantFrom('in', 'not in'), selector).map(([v, o, s]) => `${v} ${o} ${s}`),
  fc.tuple(selector, fc.constantFrom('is empty', 'is not empty')).map(([s, o]) => `${s} ${o}`),
  fc
    .tuple(selector, fc.constantFrom('matches', 'not matches'), fc.oneof(safeRegex, evilRegex))
    .map(([s, o, r]) => `${s} ${o} ${JSON.stringify(r)}`),
);
export const filterExpr: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      comparison,
      fc.tuple(tie('e'), fc.constantFrom('and', 'or'), tie('e')).map(([a, o, b]) => `${a} ${o} ${b}`),
      tie('e').map((e) => `not (${e})`),
      tie('e').map((e) => `(${e})`),
    ),
  })).e },
  { weight: 1, arbitrary: fc.constantFrom('(((', ')', 'ID ==', '== "x"', 'and', 'ID = "x"', 'ID == "a" and', '"a" in', `${'('.repeat(5000)}ID == "a"${')'.repeat(5000)}`, `${'not '.repeat(5000)}ID == "a"`) },
  { weight: 1, arbitrary: hostileString },
);
