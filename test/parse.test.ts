// `/v1/jobs/parse`: HCL2 jobspecs → API jobs (http-semantics §6.11, §5). The corpus in
// fixtures/hcl holds each jobspec with the exact API JSON it must produce (written from the block →
// field mapping of json-jobs.mdx), the error answers, and every parsed job registered and run in
// the simulator.
import t from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { client, simClient, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'hcl');
const read = (name: string): string => readFileSync(join(dir, name), 'utf8');
const expected = (name: string): Obj => JSON.parse(read(`${name}.json`)) as Obj;
const corpus = readdirSync(dir)
  .filter((f) => f.endsWith('.nomad.hcl'))
  .map((f) => f.slice(0, -'.nomad.hcl'.length))
  .sort();

const parse = (c: Client, body: unknown) => c.put('/v1/jobs/parse', body);

t.test('the corpus covers the init examples and at least 15 more jobspecs', async (t) => {
  t.ok(corpus.includes('example'), 'nomad job init');
  t.ok(corpus.includes('example-short'), 'nomad job init -short');
  t.ok(corpus.length >= 17, `${corpus.length} jobspecs`);
  for (const name of corpus) t.ok(existsSync(join(dir, `${name}.json`)), `${name}.json`);
});

t.test('each jobspec parses to its expected API JSON', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const name of corpus) {
    const res = await parse(c, { JobHCL: read(`${name}.nomad.hcl`) });
    t.equal(res.status, 200, `${name}: status`);
    t.strictSame(res.json, expected(name), `${name}: job`);
    if (existsSync(join(dir, `${name}.vars.hcl`))) {
      const withVars = await parse(c, { JobHCL: read(`${name}.nomad.hcl`), Variables: read(`${name}.vars.hcl`) });
      t.equal(withVars.status, 200, `${name} with Variables: status`);
      t.strictSame(withVars.json, expected(`${name}.vars`), `${name} with Variables: job`);
    }
    if (existsSync(join(dir, `${name}.canonical.json`))) {
      const canon = await parse(c, { JobHCL: read(`${name}.nomad.hcl`), Canonicalize: true });
      t.equal(canon.status, 200, `${name} canonicalized: status`);
      t.strictSame(canon.json, expected(`${name}.canonical`), `${name} canonicalized: job`);
    }
  }
});

t.test('request handling', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const hcl = read('example-short.nomad.hcl');

  for (const method of ['GET', 'DELETE', 'PATCH']) {
    const res = await c.req(method, '/v1/jobs/parse');
    t.equal(res.status, 405, `${method}`);
    t.equal(res.body, 'Invalid method');
  }
  const put = await c.put('/v1/jobs/parse', { JobHCL: hcl });
  const post = await c.post('/v1/jobs/parse', { JobHCL: hcl });
  t.equal(post.status, 200, 'POST works like PUT');
  t.strictSame(post.json, put.json);
  t.equal(put.headers['content-type'], 'application/json');
  t.notOk(put.headers['x-nomad-index'], 'no index: the agent parses without an RPC');

  const empty = await c.req('PUT', '/v1/jobs/parse', '');
  t.equal(empty.status, 400);
  t.equal(empty.body, 'Request body is empty');
  for (const body of [{}, { JobHCL: '' }, null]) {
    const res = await parse(c, body);
    t.equal(res.status, 400, `${JSON.stringify(body)}`);
    t.equal(res.body, 'Job spec is empty');
  }
  const badJson = await c.req('PUT', '/v1/jobs/parse', '{"JobHCL": ');
  t.equal(badJson.status, 400);
  t.equal(badJson.body, 'unexpected EOF');
  const wrongType = await parse(c, { JobHCL: 5 });
  t.equal(wrongType.status, 400);
  t.equal(wrongType.body, 'json: cannot unmarshal number into Go struct field JobsParseRequest.JobHCL of type string');

  const folded = await parse(c, { jobhcl: hcl, canonicalize: true });
  t.equal(folded.status, 200, 'keys match case-insensitively, as Go decodes them');
  t.strictSame(folded.json, expected('example-short.canonical'));

  // Current Nomad has no HCLv1 parser: the field is gone from the request struct, so it is ignored
  // and the jobspec is parsed as HCL2.
  const v1 = await parse(c, { JobHCL: hcl, HCLv1: true });
  t.equal(v1.status, 200);
  t.strictSame(v1.json, expected('example-short'));

  const pretty = await c.put('/v1/jobs/parse?pretty=true', { JobHCL: hcl });
  t.match(pretty.body, /^\{\n {4}"Region": null,/);
});

t.test('without Canonicalize unset fields are null; with it the API defaults are filled in', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const hcl = 'job "tiny" {\n  type = "batch"\n  group "g" {\n    task "t" {\n      driver = "exec"\n    }\n  }\n}\n';
  const raw = (await parse(c, { JobHCL: hcl })).json;
  t.equal(raw.Priority, null);
  t.equal(raw.Namespace, null);
  t.equal(raw.TaskGroups[0].Count, null);
  t.equal(raw.TaskGroups[0].Tasks[0].Resources, null);
  t.notOk('CSIPluginConfig' in raw.TaskGroups[0].Tasks[0], 'the one omitempty field of api.Task');
  const canon = (await parse(c, { JobHCL: hcl, Canonicalize: true })).json;
  t.match(canon, { ID: 'tiny', Name: 'tiny', Namespace: 'default', Priority: 50, Region: 'global', Type: 'batch', Update: null, Datacenters: null });
  const tg = canon.TaskGroups[0];
  t.match(tg, { Count: 1, Update: null, Migrate: null, EphemeralDisk: { Sticky: false, Migrate: false, SizeMB: 300 } });
  t.strictSame(tg.ReschedulePolicy, { Attempts: 1, Interval: 86400000000000, Delay: 5000000000, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false });
  t.strictSame(tg.RestartPolicy, { Interval: 86400000000000, Attempts: 3, Delay: 15000000000, Mode: 'fail', RenderTemplates: false });
  t.match(tg.Tasks[0], { KillTimeout: 5000000000, Resources: { CPU: 100, Cores: 0, MemoryMB: 300, MemoryMaxMB: null } });
});

t.test('variables: defaults, the Variables file, types and validation', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const hcl = 'variable "n" {\n  type = number\n  default = 1\n}\nvariable "img" {}\njob "v" {\n  group "g" {\n    count = var.n\n    task "t" {\n      driver = "docker"\n      config {\n        image = var.img\n      }\n    }\n  }\n}\n';

  const unset = await parse(c, { JobHCL: hcl });
  t.equal(unset.status, 400);
  t.equal(unset.body, 'Failed to parse job: <nil>: Unset variable "img"; A used variable must be set or have a default value; see https://www.nomadproject.io/docs/job-specification/hcl2/variables for details.');

  const set = await parse(c, { JobHCL: hcl, Variables: 'img = "redis:7"\nn = 4\nunknown = "only a warning"\n' });
  t.equal(set.status, 200);
  t.equal(set.json.TaskGroups[0].Count, 4);
  t.strictSame(set.json.TaskGroups[0].Tasks[0].Config, { image: 'redis:7' });

  const badType = await parse(c, { JobHCL: hcl, Variables: 'img = "x"\nn = "many"\n' });
  t.equal(badType.status, 400);
  t.equal(badType.body, 'Failed to parse job: input.hcl:2,5-11: Invalid value for variable; The value for n is not compatible with the variable\'s type constraint: a number is required.');

  const declared = await parse(c, { JobHCL: hcl, Variables: 'variable "img" {}\n' });
  t.equal(declared.status, 400);
  t.match(declared.body, /^Failed to parse job: input\.hcl:1,1-9: Variable declaration in a \.var file; A \.var file is used to assign values/);

  const varsSyntax = await parse(c, { JobHCL: hcl, Variables: 'img = \n' });
  t.equal(varsSyntax.status, 400);
  t.match(varsSyntax.body, /^Failed to parse job: input\.hcl:2,1-\d+: Invalid expression; /);

  const validated = 'variable "port" {\n  default = 80\n  validation {\n    condition     = var.port > 1024\n    error_message = "The port must be above 1024."\n  }\n}\njob "v" {}\n';
  const invalid = await parse(c, { JobHCL: validated });
  t.equal(invalid.status, 400);
  t.equal(invalid.body, 'Failed to parse job: input.hcl:2,13-15: Invalid value for default variable; The port must be above 1024.\n\nThis was checked by the validation rule at input.hcl:3,3-13.');
  t.equal((await parse(c, { JobHCL: validated, Variables: 'port = 8080' })).status, 200);

  const locals = 'locals {\n  b = "${local.a}-b"\n  a = upper("a")\n}\njob "l" {\n  name = local.b\n}\n';
  t.equal((await parse(c, { JobHCL: locals })).json.Name, 'A-b', 'locals resolve in dependency order');
});

/** Jobspecs Nomad rejects, with the exact 400 body (`Failed to parse job: <hcl diagnostics>`). */
const ERRORS: [string, string, string][] = [
  ['no job block', 'variable "x" {\n  default = 1\n}\n', '<nil>: Missing job block; A job block is required'],
  ['two job blocks', 'job "a" {}\njob "b" {}\n', 'input.hcl:2,1-8: Duplicate job block; Only one block of type "job" is allowed. Previous definition was at input.hcl:1,1-8.'],
  ['unknown top-level block', 'group "g" {}\n', 'input.hcl:1,1-6: Unsupported block type; Blocks of type "group" are not expected here.'],
  ['job without a name', 'job {}\n', 'input.hcl:1,5-6: Missing name for job; All job blocks must have 1 labels (name).'],
  ['unknown argument', 'job "x" {\n  prority = 1\n}\n', 'input.hcl:2,3-10: Unsupported argument; An argument named "prority" is not expected here. Did you mean "priority"?'],
  ['unknown block', 'job "x" {\n  grop "g" {}\n}\n', 'input.hcl:2,3-7: Unsupported block type; Blocks of type "grop" are not expected here. Did you mean "group"?'],
  ['block given as an argument', 'job "x" {\n  group "g" {\n    restart = {}\n  }\n}\n', 'input.hcl:3,5-12: Unsupported argument; An argument named "restart" is not expected here. Did you mean to define a block of type "restart"?'],
  ['argument given as a block', 'job "x" {\n  datacenters {}\n}\n', 'input.hcl:2,3-14: Unsupported block type; Blocks of type "datacenters" are not expected here. Did you mean to define argument "datacenters"? If so, use the equals sign to assign it a value.'],
  ['duplicate single block', 'job "x" {\n  update {}\n  update {}\n}\n', 'input.hcl:3,3-9: Duplicate update block; Only one update block is allowed. Another was defined at input.hcl:2,3-9.'],
  ['label on an unlabelled block', 'job "x" {\n  update "u" {}\n}\n', 'input.hcl:2,10-13: Extraneous label for update; No labels are expected for update blocks.'],
  ['group without a name', 'job "x" {\n  group {}\n}\n', 'input.hcl:2,9-10: Missing name for group; All group blocks must have 1 labels (name).'],
  ['argument set twice', 'job "x" {\n  type = "batch"\n  type = "service"\n}\n', 'input.hcl:3,3-7: Attribute redefined; The argument "type" was already set at input.hcl:2,3-7. Each argument may be set only once.'],
  ['missing required argument', 'job "x" {\n  group "g" {\n    task "t" {\n      lifecycle {}\n    }\n  }\n}\n', 'input.hcl:4,17-17: Missing required argument; The argument "hook" is required, but no definition was found.'],
  ['wrong value type', 'job "x" {\n  priority = "high"\n}\n', 'input.hcl:2,14-20: Unsuitable value type; Unsuitable value: a number is required'],
  ['list expected', 'job "x" {\n  datacenters = "dc1"\n}\n', 'input.hcl:2,17-22: Unsuitable value type; Unsuitable value: list of string required'],
  ['bad duration', 'job "x" {\n  group "g" {\n    task "t" {\n      kill_timeout = "10"\n    }\n  }\n}\n', 'input.hcl:4,22-26: Unsuitable value type; Unsuitable duration value: time: missing unit in duration "10"'],
  ['unknown duration unit', 'job "x" {\n  update {\n    stagger = "5y"\n  }\n}\n', 'input.hcl:3,15-19: Unsuitable value type; Unsuitable duration value: time: unknown unit "y" in duration "5y"'],
  ['undeclared variable', 'job "x" {\n  datacenters = [var.dc]\n}\n', 'input.hcl:2,21-24: Unsupported attribute; This object does not have an attribute named "dc".'],
  ['unknown function', 'job "x" {\n  name = nosuch(1)\n}\n', 'input.hcl:2,10-16: Call to unknown function; There is no function named "nosuch".'],
  ['missing function argument', 'job "x" {\n  name = upper()\n}\n', 'input.hcl:2,10-17: Not enough function arguments; Function "upper" expects 1 argument(s). Missing value for "str".'],
  ['filesystem functions are disabled', 'job "x" {\n  name = file("job.txt")\n}\n', 'input.hcl:2,10-25: Error in function call; Call to function "file" failed: filesystem function disabled.'],
  ['constraint with an unknown argument', 'job "x" {\n  constraint {\n    attribute = "${attr.a}"\n    valeu = "b"\n  }\n}\n', 'input.hcl:4,5-10: Unsupported argument; An argument named "valeu" is not expected here. Did you mean "value"?'],
  ['invalid task scaling name', 'job "x" {\n  group "g" {\n    task "t" {\n      scaling "gpu" {}\n    }\n  }\n}\n', 'input.hcl:4,15-20: Invalid scaling policy name; scaling policy name must be "cpu" or "mem"'],
  ['unclosed block', 'job "x" {\n  group "g" {\n', 'input.hcl:2,13-14: Unclosed configuration block; There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.'],
  ['missing expression', 'job "x" {\n  name =\n}\n', 'input.hcl:3,1-2: Invalid expression; Expected the start of an expression, but found an invalid expression token.'],
  ['two arguments on one line', 'job "x" {\n  type = "batch" priority = 1\n}\n', 'input.hcl:2,18-30: Missing newline after argument; An argument definition must end with a newline.'],
];

t.test('HCL errors are 400 "Failed to parse job: <diagnostics>"', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const [what, hcl, diag] of ERRORS) {
    const res = await parse(c, { JobHCL: hcl });
    t.equal(res.status, 400, `${what}: status`);
    t.equal(res.body, `Failed to parse job: ${diag}`, what);
    t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  }
});

/** What nomad-mock does not support (README "HCL jobspecs"): each a clear 400 in Nomad's shape. */
const UNSUPPORTED: [string, string, string][] = [
  ['JSON-syntax jobspec', '{"job": {"x": {}}}', 'input.hcl:1,1-2: Unsupported syntax; nomad-mock parses HCL native syntax only; jobspecs in HCL\'s JSON syntax are not supported.'],
  [
    'Consul Connect',
    'job "x" {\n  group "g" {\n    service {\n      connect {\n        sidecar_service {}\n      }\n    }\n  }\n}\n',
    'input.hcl:4,7-14: Unsupported block type; nomad-mock does not support Consul Connect ("connect" blocks: sidecar_service, sidecar_task, gateway, native).',
  ],
  ['yamldecode', 'job "x" {\n  name = yamldecode("a: b").a\n}\n', 'input.hcl:2,10-28: Error in function call; Call to function "yamldecode" failed: nomad-mock does not implement this function.'],
  ['yamlencode', 'job "x" {\n  name = yamlencode({})\n}\n', 'input.hcl:2,10-24: Error in function call; Call to function "yamlencode" failed: nomad-mock does not implement this function.'],
  ['bcrypt', 'job "x" {\n  name = bcrypt("pw")\n}\n', 'input.hcl:2,10-22: Error in function call; Call to function "bcrypt" failed: nomad-mock does not implement this function.'],
  ['rsadecrypt', 'job "x" {\n  name = rsadecrypt("a", "b")\n}\n', 'input.hcl:2,10-30: Error in function call; Call to function "rsadecrypt" failed: nomad-mock does not implement this function.'],
  ['exponent without a fraction', 'job "x" {\n  priority = 5e1\n}\n', 'input.hcl:2,14-17: Unsupported number syntax; nomad-mock cannot read a number with an exponent but no fraction (5e1); write it with a fraction, e.g. 5.0e1.'],
  ['IPv6 prefixes', 'job "x" {\n  name = cidrhost("fd00::/64", 1)\n}\n', 'input.hcl:2,19-30: Invalid function argument; Invalid value for "prefix" parameter: nomad-mock supports IPv4 prefixes only.'],
];

t.test('unsupported features fail with a clear 400', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const [what, hcl, diag] of UNSUPPORTED) {
    const res = await parse(c, { JobHCL: hcl });
    t.equal(res.status, 400, `${what}: status`);
    t.equal(res.body, `Failed to parse job: ${diag}`, what);
  }
});

t.test('runtime interpolations survive parsing; escapes and heredocs decode', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const hcl = [
    'job "x" {',
    '  group "g" {',
    '    task "t" {',
    '      driver = "docker"',
    '      env {',
    '        A = "${attr.unique.hostname}/${NOMAD_TASK_NAME}"',
    '        B = "tab\\there \\"quoted\\" \\u00e9 $${literal} %%{literal}"',
    '        C = <<-EOT',
    '          x',
    '            y',
    '          EOT',
    '        D = "%{ for i in [1, 2] ~} ${i} %{~ endfor }"',
    '      }',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n');
  const res = await parse(c, { JobHCL: hcl });
  t.equal(res.status, 200);
  t.strictSame(res.json.TaskGroups[0].Tasks[0].Env, {
    A: '${attr.unique.hostname}/${NOMAD_TASK_NAME}',
    B: 'tab\there "quoted" é ${literal} %{literal}',
    C: 'x\n  y\n',
    D: '12',
  });
});

/** Three nodes in dc1 (racks r1–r3) that also offer the Vault and Consul versions the implied constraints ask for. */
const NODES = ['r1', 'r2', 'r3'].map((rack, i) => ({
  name: `node-${i}`,
  datacenter: 'dc1',
  nodePool: 'default',
  cpu: 10000,
  memoryMB: 16384,
  diskMB: 100000,
  attributes: { 'vault.version': '1.17.0', 'consul.version': '1.19.0' },
  meta: { rack },
}));

async function allocStatuses(c: Client, jobId: string): Promise<string[]> {
  const res = await c.get(`/v1/job/${encodeURIComponent(jobId)}/allocations`);
  return (res.json as Obj[]).map((a) => a.ClientStatus as string);
}

t.test('every parsed job registers and runs in the simulator', async (t) => {
  for (const name of corpus) {
    await t.test(name, async (t) => {
      // A fixed start far from any cron boundary: the periodic jobs' own specs must not fire during the test.
      const c = await simClient({ nodeSpecs: NODES, clockStart: '2025-01-01T00:10:00Z' });
      t.teardown(c.close);
      const parsed = await parse(c, { JobHCL: read(`${name}.nomad.hcl`) });
      t.equal(parsed.status, 200, 'parsed');
      const job = parsed.json as Obj;
      const reg = await c.register(job);
      t.equal(reg.status, 200, reg.status === 200 ? 'registered' : reg.body);
      await c.advance(12000);
      const id = job.ID as string;
      const batchy = job.Type === 'batch' || job.Type === 'sysbatch';
      let runs = id;
      if (job.Periodic) {
        const force = await c.put(`/v1/job/${encodeURIComponent(id)}/periodic/force`, {});
        t.equal(force.status, 200, 'periodic force');
        const children = (await c.get(`/v1/job/${encodeURIComponent(id)}/summary`)).json;
        t.ok(children, 'parent summary');
        const list = (await c.get(`/v1/jobs?prefix=${encodeURIComponent(`${id}/periodic-`)}`)).json as Obj[];
        t.equal(list.length, 1, 'one periodic child');
        runs = list[0]!.ID as string;
      } else if (job.ParameterizedJob) {
        const dispatch = await c.put(`/v1/job/${encodeURIComponent(id)}/dispatch`, { Meta: { input: 'in.mp4' } });
        t.equal(dispatch.status, 200, 'dispatch');
        runs = dispatch.json.DispatchedJobID as string;
      }
      await c.advance(12000);
      await c.advance(12000);
      const statuses = await allocStatuses(c, runs);
      t.ok(statuses.length > 0, `${runs} has allocations`);
      t.ok(
        statuses.every((s) => s === (batchy ? 'complete' : 'running')),
        `${runs} allocations ${batchy ? 'complete' : 'running'}: ${statuses.join(',')}`,
      );
      const groups = (job.TaskGroups as Obj[]).length;
      const wantAllocs = job.Type === 'system' || job.Type === 'sysbatch' ? NODES.length * groups : (job.TaskGroups as Obj[]).reduce((n, g) => n + ((g.Count as number | null) ?? 1), 0);
      t.equal(statuses.length, wantAllocs, 'one allocation per count (per node for system jobs)');
    });
  }
});
