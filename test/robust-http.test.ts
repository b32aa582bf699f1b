// Issue 10, findings 6 and 7: no answer carries a JavaScript engine message or a framework's generic
// body. JSON null where a job holds a list or map of blocks is a validation error naming it (Nomad
// would dereference the nil pointer and drop the connection); an unexpected exception answers a generic
// 500; requests Node's HTTP parser refuses get what Go's net/http server in front of Nomad answers,
// over a real socket, always with `Connection: close` before the server closes.
import t, { type Test } from 'tap';
import http from 'node:http';
import { client, listening, minimalJob, rawExchange, type Client } from './helpers.js';
import { createServer } from '../src/server.js';
import { apiTypes } from '../state/jobspec/decode.js';
import { Kind, type GoType, type StructDesc } from '../state/jobspec/decode-types.js';
import type { Obj } from '../state/types.js';

const JS_TEXT = /Cannot read|is not a function|is not iterable|undefined|TypeError|RangeError|statusCode|FST_/;

// ---------------------------------------------------------------------------------------------
// Finding 6: null block elements, found systematically from the API job's Go types.

interface NullCase {
  name: string;
  /** Fields from the job to the list (or map) that gets the null; `[]`/`{}` descend into the first element. */
  steps: string[];
  map: boolean;
  expect: string;
}

const structOf = (t: GoType): StructDesc | undefined =>
  t.kind === Kind.Struct ? t.struct : t.kind === Kind.Ptr && t.elem?.kind === Kind.Struct ? t.elem.struct : undefined;

/** Every list or map of block pointers reachable from api.Job (each struct once per path). */
function nullCases(): NullCase[] {
  const out: NullCase[] = [];
  const walk = (desc: StructDesc, steps: string[], path: string, seen: string[]): void => {
    for (const f of desc.fields) {
      const s = structOf(f.type);
      if (s && !seen.includes(s.name)) walk(s, [...steps, f.name], `${path}.${f.name}`, [...seen, s.name]);
      const elem = f.type.elem;
      if ((f.type.kind !== Kind.Slice && f.type.kind !== Kind.Map) || !elem) continue;
      const es = structOf(elem);
      if (!es) continue;
      const map = f.type.kind === Kind.Map;
      const at = `${path}.${f.name}`;
      if (elem.kind === Kind.Ptr) out.push({ name: at, steps: [...steps, f.name], map, expect: `${at}${map ? '["x"]' : '[1]'} must not be null` });
      if (!seen.includes(es.name)) walk(es, [...steps, f.name + (map ? '{}' : '[]')], `${at}${map ? '["x"]' : '[0]'}`, [...seen, es.name]);
    }
  };
  walk(apiTypes.Job!, [], 'Job', ['Job']);
  return out;
}

/** A minimal job with empty blocks along the way and a null as the list's second element (or map value "x"). */
function jobWithNull(c: NullCase): Obj {
  const job = minimalJob('nulls');
  let cur: Obj = job;
  for (const step of c.steps.slice(0, -1)) {
    const field = step.replace(/(\[\]|\{\})$/, '');
    if (step.endsWith('{}')) {
      cur[field] ??= { x: {} };
      cur = (cur[field] as Obj).x as Obj;
    } else if (step.endsWith('[]')) {
      if (!Array.isArray(cur[field]) || (cur[field] as Obj[]).length === 0) cur[field] = [{}];
      cur = (cur[field] as Obj[])[0]!;
    } else {
      cur[field] ??= {};
      cur = cur[field] as Obj;
    }
  }
  const last = c.steps[c.steps.length - 1]!;
  cur[last] = c.map ? { x: null } : [Array.isArray(cur[last]) ? (cur[last] as Obj[])[0] : {}, null];
  return job;
}

const CASES = nullCases();

t.test('the null-element table covers every list of blocks a job has', async (t) => {
  const names = CASES.map((c) => c.name);
  for (const n of [
    'Job.TaskGroups',
    'Job.Constraints',
    'Job.Affinities',
    'Job.Spreads',
    'Job.Spreads[0].SpreadTarget',
    'Job.Multiregion.Regions',
    'Job.UI.Links',
    'Job.TaskGroups[0].Tasks',
    'Job.TaskGroups[0].Volumes',
    'Job.TaskGroups[0].Networks',
    'Job.TaskGroups[0].Services',
    'Job.TaskGroups[0].Tasks[0].Services',
    'Job.TaskGroups[0].Tasks[0].Artifacts',
    'Job.TaskGroups[0].Tasks[0].Templates',
    'Job.TaskGroups[0].Tasks[0].VolumeMounts',
    'Job.TaskGroups[0].Tasks[0].Resources.Devices',
    'Job.TaskGroups[0].Tasks[0].ScalingPolicies',
    'Job.TaskGroups[0].Tasks[0].Identities',
  ]) {
    t.ok(names.includes(n), n);
  }
  t.ok(CASES.length >= 40, `${CASES.length} lists of blocks`);
});

const ENDPOINTS = [
  { name: 'register', method: 'PUT', url: '/v1/jobs' },
  { name: 'validate', method: 'PUT', url: '/v1/validate/job' },
  { name: 'plan', method: 'PUT', url: '/v1/job/nulls/plan' },
] as const;

const multi = (...items: string[]): string =>
  items.length === 1 ? `1 error occurred:\n\t* ${items[0]}\n\n` : `${items.length} errors occurred:\n${items.map((i) => `\t* ${i}`).join('\n')}\n\n`;

/** Register and plan fail with the validation errors (500, as Nomad's RPC reports them); validate lists them. */
async function expectValidationErrors(t: Test, c: Client, job: Obj, items: string[], what: string): Promise<void> {
  for (const ep of ENDPOINTS) {
    const res = await c.req(ep.method, ep.url, { Job: job });
    if (ep.name === 'validate') {
      t.equal(res.status, 200, `${ep.name} ${what}: status`);
      t.same(res.json?.ValidationErrors, items, `${ep.name} ${what}: ValidationErrors`);
      t.equal(res.json?.Error, multi(...items), `${ep.name} ${what}: Error`);
    } else {
      t.equal(res.status, 500, `${ep.name} ${what}: status`);
      t.equal(res.body, multi(...items), `${ep.name} ${what}: body`);
    }
    t.notMatch(res.body, JS_TEXT, `${ep.name} ${what}: no JavaScript text`);
  }
}

t.test('a null block element is a validation error naming it on register, validate and plan, and writes nothing', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const nc of CASES) await expectValidationErrors(t, c, jobWithNull(nc), [nc.expect], nc.name);
  const jobs = await c.get('/v1/jobs');
  t.same(jobs.json, [], 'no job was stored');
});

t.test('the issue’s examples: a null task, constraint or service', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const task = { Name: 'server', Driver: 'docker', Config: { image: 'nginx' } };
  const rows: [Obj, string][] = [
    [{ TaskGroups: [{ Name: 'web', Tasks: [task, null] }] }, 'Job.TaskGroups[0].Tasks[1] must not be null'],
    [{ Constraints: [null] }, 'Job.Constraints[0] must not be null'],
    [{ TaskGroups: [{ Name: 'web', Tasks: [{ ...task, Services: [null] }] }] }, 'Job.TaskGroups[0].Tasks[0].Services[0] must not be null'],
    [{ TaskGroups: [null] }, 'Job.TaskGroups[0] must not be null'],
  ];
  for (const [over, expect] of rows) await expectValidationErrors(t, c, minimalJob('nulls', over), [expect], expect);
  // Every null element is reported, in document order.
  await expectValidationErrors(
    t,
    c,
    minimalJob('nulls', { Constraints: [null], TaskGroups: [{ Name: 'web', Tasks: [null, task] }, null] }),
    ['Job.Constraints[0] must not be null', 'Job.TaskGroups[0].Tasks[0] must not be null', 'Job.TaskGroups[1] must not be null'],
    'several nulls',
  );
});

t.test('a key given twice: a null element left by the last value is reported, one the last value fills is not', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const group = '{"Name":"web","Tasks":[{"Name":"server","Driver":"docker","Config":{"image":"nginx"}}]}';
  // Go re-fills a repeated slice element by element: a null where a group was makes it nil again,
  // a group where a null was replaces the nil.
  const nilAgain = `{"Job":{"ID":"twice","TaskGroups":[${group}],"TaskGroups":[null]}}`;
  const filled = `{"Job":{"ID":"twice","TaskGroups":[null],"TaskGroups":[${group}]}}`;
  // The job object given twice is one job: a null in either value stays in it.
  const twoJobs = `{"Job":{"ID":"twice","Constraints":[null]},"Job":{"TaskGroups":[${group}]}}`;
  for (const ep of ENDPOINTS) {
    const a = await c.req(ep.method, ep.url.replace('nulls', 'twice'), nilAgain);
    const b = await c.req(ep.method, ep.url.replace('nulls', 'twice'), twoJobs);
    if (ep.name === 'validate') {
      t.same(a.json?.ValidationErrors, ['Job.TaskGroups[0] must not be null'], `${ep.name}: nil again`);
      t.same(b.json?.ValidationErrors, ['Job.Constraints[0] must not be null'], `${ep.name}: one job`);
    } else {
      t.equal(a.body, multi('Job.TaskGroups[0] must not be null'), `${ep.name}: nil again`);
      t.equal(b.body, multi('Job.Constraints[0] must not be null'), `${ep.name}: one job`);
    }
  }
  const res = await c.req('PUT', '/v1/jobs', filled);
  t.equal(res.status, 200, res.body);
});

t.test('with ACLs on, a null element is reported before authorisation too', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const res = await c.req('PUT', '/v1/jobs', { Job: minimalJob('nulls', { Constraints: [null] }) });
  t.equal(res.status, 500);
  t.equal(res.body, multi('Job.Constraints[0] must not be null'));
});

t.test('null in a list of plain structs (ports, checks) is Go’s zero value, and a null field is absent', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const job = minimalJob('zeros', { Update: null, Periodic: null, Meta: null, Constraints: null });
  (job.TaskGroups as Obj[])[0]!.Networks = [{ DynamicPorts: [null], ReservedPorts: null }];
  const res = await c.register(job);
  t.equal(res.status, 200, res.body);
});

/** Every nullable field (pointer, slice, map, interface) reachable from api.Job, as steps like jobWithNull's. */
function nullFieldCases(): { name: string; steps: string[] }[] {
  const out: { name: string; steps: string[] }[] = [];
  const walk = (desc: StructDesc, steps: string[], seen: string[]): void => {
    for (const f of desc.fields) {
      if (f.type.nullable) out.push({ name: [...steps, f.name].join('.'), steps: [...steps, f.name] });
      const s = structOf(f.type);
      if (s && !seen.includes(s.name)) walk(s, [...steps, f.name], [...seen, s.name]);
      const es = f.type.elem && (f.type.kind === Kind.Slice || f.type.kind === Kind.Map) ? structOf(f.type.elem) : undefined;
      if (es && !seen.includes(es.name)) walk(es, [...steps, f.name + (f.type.kind === Kind.Map ? '{}' : '[]')], [...seen, es.name]);
    }
  };
  walk(apiTypes.Job!, [], ['Job']);
  return out;
}

t.test('a null in any field of a job gets Nomad’s kind of answer: accepted, or validation errors', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const cases = nullFieldCases();
  t.ok(cases.length > 300, `${cases.length} nullable fields`);
  for (const fc of cases) {
    const job = minimalJob('nulls');
    let cur: Obj = job;
    for (const step of fc.steps.slice(0, -1)) {
      const field = step.replace(/(\[\]|\{\})$/, '');
      if (step.endsWith('{}')) {
        cur[field] ??= { x: {} };
        cur = (cur[field] as Obj).x as Obj;
      } else if (step.endsWith('[]')) {
        if (!Array.isArray(cur[field]) || (cur[field] as Obj[]).length === 0) cur[field] = [{}];
        cur = (cur[field] as Obj[])[0]!;
      } else {
        cur[field] ??= {};
        cur = cur[field] as Obj;
      }
    }
    cur[fc.steps[fc.steps.length - 1]!] = null;
    for (const ep of ENDPOINTS) {
      const res = await c.req(ep.method, ep.url, { Job: job });
      const ok =
        res.status === 200 || (res.status === 500 && /^\d+ errors? occurred:\n/.test(res.body)) || (res.status === 400 && ep.name !== 'validate');
      if (!ok || JS_TEXT.test(res.body)) t.fail(`${ep.name} ${fc.name}: ${res.status} ${res.body.slice(0, 200)}`);
    }
  }
  t.pass('every answer was Nomad-shaped');
});

t.test('an unexpected exception answers a generic 500 and keeps its text out of the answer', async (t) => {
  const mock = createServer({ logLevel: 'silent' }, undefined, { simulate: false });
  mock.app.get('/v1/boom', () => {
    const o = null as unknown as { x: { y: number } };
    return o.x.y;
  });
  await mock.app.ready();
  t.teardown(() => mock.app.close());
  const res = await mock.app.inject({ method: 'GET', url: '/v1/boom' });
  t.equal(res.statusCode, 500);
  t.equal(res.body, 'rpc error: internal error');
  t.equal(mock.guard.count, 1, 'counted as a mock bug');
  t.match(mock.guard.last, { Source: 'request GET /v1/boom', Message: /Cannot read properties of null/ });
  t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  t.notMatch(res.body, JS_TEXT);
});

// ---------------------------------------------------------------------------------------------
// Finding 7: Go's answers over a real socket.

const goError = (status: string, body = status): string =>
  `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n${body}`;

t.test('requests Node refuses get Go net/http answers, then a clean close', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const rows: [string, string | Buffer, string][] = [
    ['a raw space in the path', 'GET /v1/job/a b HTTP/1.1\r\nHost: x\r\n\r\n', goError('400 Bad Request')],
    ['a bad escape in the path', 'GET /v1/job/%zz HTTP/1.1\r\nHost: x\r\n\r\n', goError('400 Bad Request')],
    ['a bad escape in a static path', 'GET /v1/jobs%zz HTTP/1.1\r\nHost: x\r\n\r\n', goError('400 Bad Request')],
    ['a missing Host header', 'GET /v1/jobs HTTP/1.1\r\n\r\n', goError('400 Bad Request: missing required Host header')],
    ['two Host headers', 'GET /v1/jobs HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n', goError('400 Bad Request: too many Host headers')],
    ['a malformed Host header', 'GET /v1/jobs HTTP/1.1\r\nHost: a b\r\n\r\n', goError('400 Bad Request: malformed Host header')],
    [
      'a transfer coding Go does not implement',
      'PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n',
      goError('501 Not Implemented', 'Unsupported transfer encoding'),
    ],
    [
      'an unknown method with a body it has not finished sending',
      'BREW /v1/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nhello',
      'HTTP/1.1 404 Not Found\r\nVary: Accept-Encoding\r\nDate: <date>\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
    ],
    ['a request line that is not HTTP', 'hello\r\n\r\n', goError('400 Bad Request')],
    [
      'an HTTP version Go does not serve',
      'GET /v1/jobs HTTP/2.5\r\nHost: x\r\n\r\n',
      goError('505 HTTP Version Not Supported: unsupported protocol version'),
    ],
    [
      'headers over Go’s 1 MB limit',
      `GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(1100 * 1024)}\r\n\r\n`,
      goError('431 Request Header Fields Too Large'),
    ],
  ];
  for (const [name, data, expect] of rows) {
    const res = await rawExchange(port, data);
    t.equal(res.text.replace(/\r\nDate: [^\r]+\r\n/, '\r\nDate: <date>\r\n'), expect, name);
    t.ok(res.fin, `${name}: the server closed with a FIN after its answer`);
    t.equal(res.error, null, `${name}: no reset`);
  }
});

t.test('what Go hands to Nomad is answered by the routes, with Connection: close where Node gave up', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);

  const brew = await rawExchange(port, 'BREW /v1/jobs HTTP/1.1\r\nHost: x\r\n\r\n');
  t.match(brew.text, /^HTTP\/1\.1 405 Method Not Allowed\r\n/, 'an unknown method on a Nomad route');
  t.match(brew.text, /\r\nConnection: close\r\n/);
  t.match(brew.text, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
  t.match(brew.text, /\r\n\r\nInvalid method$/);
  t.ok(brew.fin && brew.error === null, 'closed cleanly');

  const off = await rawExchange(port, 'BREW /v1/nothing-here HTTP/1.1\r\nHost: x\r\n\r\n');
  t.match(off.text, /^HTTP\/1\.1 404 Not Found\r\n/, 'an unknown method off the routes');
  t.match(off.text, /\r\nConnection: close\r\n/);

  const utf8 = Buffer.concat([Buffer.from('GET /v1/job/'), Buffer.from('é', 'utf8'), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]);
  const raw = await rawExchange(port, utf8);
  t.match(raw.text, /^HTTP\/1\.1 404 Not Found\r\n/, 'raw UTF-8 in the path reaches the job lookup');
  t.match(raw.text, /\r\nX-Nomad-Index: \d+\r\n/, 'with Go-cased Nomad headers');
  t.match(raw.text, /\r\nConnection: close\r\n/);
  t.match(raw.text, /\r\n\r\njob not found$/);

  // Go lets chunked override Content-Length (and drops the latter); Node refuses the pair.
  const body = JSON.stringify({ Job: minimalJob('te-and-cl') });
  const both = await rawExchange(
    port,
    `PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
  );
  t.match(both.text, /^HTTP\/1\.1 200 OK\r\n/, 'Transfer-Encoding with Content-Length registers the chunked body');
  t.match(both.text, /\r\nX-Nomad-Index: \d+\r\n/);
  t.match(both.text, /\r\nConnection: close\r\n/);
  t.ok(both.fin && both.error === null, 'closed cleanly');
  t.equal((await c.get('/v1/job/te-and-cl')).status, 200, 'the job is stored');
});

t.test('long URLs and path parameters reach the handlers as in Go', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  for (const n of [20_000, 500_000]) {
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', path: `/v1/job/${'a'.repeat(n)}`, agent: false }, (r) => {
        let body = '';
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    t.equal(res.status, 404, `a ${n}-character job ID`);
    t.equal(res.body, 'job not found');
  }
});

t.test('a keep-alive client’s next request goes out on a new connection, not into a reset', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const send = (method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; port: number; connection?: string }> =>
    new Promise((resolve, reject) => {
      const req = http.request({ port, host: '127.0.0.1', method, path, agent, headers }, (r) => {
        let body = '';
        const local = r.socket.localPort ?? 0;
        r.on('data', (d) => (body += d));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body, port: local, connection: r.headers.connection }));
      });
      req.on('error', reject);
      req.end();
    });
  const big = { 'X-Big': 'a'.repeat(1100 * 1024) };
  for (const [method, path, status, headers] of [
    ['BREW', '/v1/jobs', 405, {}],
    ['GET', '/v1/job/%zz', 400, {}],
    ['GET', '/v1/jobs', 431, big],
  ] as const) {
    const first = await send('GET', '/v1/jobs');
    t.equal(first.status, 200);
    const bad = await send(method, path, headers);
    t.equal(bad.status, status, `${method} ${path}`);
    t.equal(bad.connection, 'close', 'the server says it closes');
    t.equal(bad.port, first.port, 'the bad request went on the kept-alive connection');
    const next = await send('GET', '/v1/jobs');
    t.equal(next.status, 200, 'the next request succeeds');
    t.not(next.port, first.port, 'on a new connection');
  }
});

t.test('bodies that are not JSON get Go decoder texts on the ACL and control routes, never JSON.parse’s', async (t) => {
  const c = await client({ config: { acl: true } });
  t.teardown(c.close);
  const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  const boot = await c.req('POST', '/v1/acl/bootstrap', '{"BootstrapSecret": x}');
  t.equal(boot.status, 400);
  t.equal(boot.body, "failed to decode request body: invalid character 'x' looking for beginning of value");
  const nested = await c.req('POST', '/v1/acl/bootstrap', deep);
  t.equal(nested.status, 400);
  t.equal(nested.body, "failed to decode request body: invalid character '[' exceeded max depth");
  for (const [url, body, expect] of [
    ['/_mock/clock/advance', 'ten seconds', "invalid JSON body: invalid character 'e' in literal true (expecting 'r')"],
    ['/_mock/reset', '{', 'invalid JSON body: unexpected EOF'],
    ['/_mock/reset', deep, "invalid JSON body: invalid character '[' exceeded max depth"],
  ] as const) {
    const res = await c.req('POST', url, body);
    t.equal(res.status, 400, url);
    t.equal(res.json?.Error, expect, `${url}: ${body.slice(0, 12)}`);
    t.notMatch(res.body, JS_TEXT);
  }
});

t.test('HCL jobs cannot hold null blocks: null attributes parse and register with Nomad’s answers', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const task = 'task "t" {\n driver = "docker"\n config {\n image = "x"\n }\n}\n';
  const rows: [string, number][] = [
    [`job "h1" {\n group "g" {\n dynamic "task" {\n for_each = [1, null]\n labels = ["t\${task.key}"]\n content {\n driver = "d"\n }\n }\n }\n}`, 200],
    [`job "h2" {\n meta = { a = null }\n datacenters = null\n group "g" {\n count = null\n ${task} }\n}`, 200],
    [`job "h3" {\n datacenters = [null]\n group "g" {\n ${task} }\n}`, 500],
    [`job "h4" {\n group "g" {\n network {\n port "a" {\n to = null\n }\n }\n service {\n tags = [null]\n }\n ${task} }\n}`, 200],
  ];
  for (const [hcl, status] of rows) {
    for (const canonicalize of [false, true]) {
      const parsed = await c.put('/v1/jobs/parse', { JobHCL: hcl, Canonicalize: canonicalize });
      t.equal(parsed.status, 200, parsed.body);
      t.notMatch(parsed.body, JS_TEXT);
      const reg = await c.register(parsed.json);
      t.equal(reg.status, status, reg.body);
      t.notMatch(reg.body, JS_TEXT);
    }
  }
});

t.test('the HTTP server itself behaves as Go’s: any method reaches the routes, CONNECT, Expect, OPTIONS *', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const strip = (s: string): string => s.replace(/\r\nDate: [^\r]+/, '');
  for (const m of ['PURGE', 'SEARCH', 'LINK']) {
    const res = await rawExchange(port, `${m} /v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    t.match(res.text, /^HTTP\/1\.1 405 Method Not Allowed\r\n/, `${m} on a Nomad route`);
    t.match(res.text, /\r\n\r\nInvalid method$/);
  }
  const connect = await rawExchange(port, 'CONNECT /v1/jobs HTTP/1.1\r\nHost: x\r\n\r\n');
  t.match(connect.text, /^HTTP\/1\.1 405 Method Not Allowed\r\n[^]*\r\nConnection: close\r\n\r\nInvalid method$/, 'CONNECT is answered, not dropped');
  t.ok(connect.fin && connect.error === null);
  const tunnel = await rawExchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n');
  t.match(tunnel.text, /^HTTP\/1\.1 404 Not Found\r\n[^]*\r\nConnection: close\r\n/, 'CONNECT to an authority matches no route');
  const expect = await rawExchange(port, 'PUT /v1/jobs HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nContent-Length: 2\r\n\r\n{}');
  t.equal(strip(expect.text), 'HTTP/1.1 417 Expectation Failed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', 'an unknown expectation');
  const star = await rawExchange(port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  t.match(strip(star.text), /^HTTP\/1\.1 200 OK\r\nContent-Length: 0\r\n/, 'OPTIONS * is the server’s own 200');
});
