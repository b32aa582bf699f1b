// GET /v1/job/:id/action over a real websocket (a `ws` client against a listening server): the
// job's predefined action runs in the allocation named by `allocID`, its command and args become
// the exec'd command line, and everything else is alloc exec's: the close frames for what cannot
// run, the output and exit frames, ACLs, the handshake frame, a tty. Plain HTTP requests get the
// same refusal of a non-upgrade as exec.
import { test } from 'tap';
import net, { type AddressInfo } from 'node:net';
import { aclSession, listening, rawExchange, simClient, type Client } from './helpers.js';
import { collectSession, queryString, type Session, type SessionOptions } from './ws-session.js';
import type { Obj } from '../state/types.js';

interface ActionOptions extends SessionOptions {
  job?: string;
  task?: string;
  tty?: boolean;
  query?: Record<string, string>;
}

function actionUrl(port: number, alloc: string, action: string, opts: ActionOptions): string {
  const q: Record<string, string | undefined> = { action, allocID: alloc, task: opts.task ?? 'server', tty: opts.tty ? 'true' : undefined, ...opts.query };
  return `ws://127.0.0.1:${port}/v1/job/${opts.job ?? 'web'}/action?${queryString(q)}`;
}

/** Runs `action` and collects everything until the server closes the socket. */
function run(port: number, alloc: string, action: string, opts: ActionOptions = {}): Promise<Session> {
  return collectSession(actionUrl(port, alloc, action, opts), opts);
}

const ACTIONS: Obj[] = [
  { Name: 'hello', Command: 'echo', Args: ['hello', 'from  spaced', 'args'] },
  { Name: 'fail', Command: '/bin/sh', Args: ['-c', 'echo bye $NOMAD_TASK_NAME; exit 4'] },
  { Name: 'missing', Command: 'frobnicate', Args: null },
  { Name: 'lines', Command: '/bin/sh', Args: ['-c', 'echo one; echo two'] },
  { Name: 'wait', Command: 'cat' },
];

const actionJob = (id = 'web', driver = 'docker'): Obj => ({
  ID: id,
  TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'server', Driver: driver, Config: { image: 'nginx:1.27' }, Actions: ACTIONS }] }],
});

/** The running allocation of `job`, once the simulated clock has run it. */
async function runningAlloc(c: Client, job: string): Promise<string> {
  for (let i = 0; i < 30; i++) {
    const a = [...c.mock.store.allocs.values()].find((x) => x.JobID === job && x.ClientStatus === 'running');
    if (a) return String(a.ID);
    await c.advance(1000);
  }
  throw new Error(`${job} never ran`);
}

/** A simulated cluster on a real port with `job` registered and running. */
async function running(job: Obj = actionJob(), config: Obj = {}): Promise<{ c: Client; port: number; alloc: string }> {
  const c = await simClient(config);
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const reg = await c.put('/v1/jobs', { Job: job });
  if (reg.status !== 200) throw new Error(`register answered ${reg.status}: ${reg.body}`);
  return { c, port, alloc: await runningAlloc(c, String(job.ID)) };
}

test("an action runs its command with its args; output, exit code and close frames are exec's", async (t) => {
  const { c, port, alloc } = await running();
  t.teardown(c.close);
  const hello = await run(port, alloc, 'hello');
  t.equal(hello.stdout, 'hello from  spaced args\n', 'the args are passed as they are, not split again');
  t.same(hello.result, {}, 'exit code 0 is left out');
  t.same(hello.frames.slice(-3), [{ stdout: { close: true } }, { stderr: { close: true } }, { exited: true, result: {} }]);
  t.equal(typeof (hello.frames[0]!.stdout as Obj).data, 'string', 'stdout data is base64');
  t.equal(hello.code, 1000, 'then a normal close');

  const fail = await run(port, alloc, 'fail');
  t.equal(fail.stdout, 'bye server\n', "the task's environment");
  t.same(fail.result, { exit_code: 4 });
  t.equal(fail.code, 1000);

  const missing = await run(port, alloc, 'missing');
  t.equal(missing.stderr, 'sh: frobnicate: not found\n', 'a command without args; stderr frames');
  t.same(missing.result, { exit_code: 127 });

  const journal = await c.get('/_mock/requests');
  t.match(journal.json.find((e: Obj) => String(e.Path).endsWith('/action')), { Method: 'GET', Status: 101 }, 'the journal records the upgrade');
});

test('an action with a tty: output lines end with \\r\\n, stdin reaches a waiting command', async (t) => {
  const { c, port, alloc } = await running();
  t.teardown(c.close);
  const lines = await run(port, alloc, 'lines', { tty: true });
  t.equal(lines.stdout, 'one\r\ntwo\r\n');
  t.equal(lines.stderr, '');
  const wait = await run(port, alloc, 'wait', { send: [{ stdin: { data: Buffer.from('typed\n').toString('base64') } }, { stdin: { close: true } }] });
  t.equal(wait.stdout, 'typed\n', 'the session takes stdin frames as exec does');
  t.same(wait.result, {});
});

test('what cannot run: an unknown action, no or an unknown allocation, no task, no action, a stopped task', async (t) => {
  const { c, port, alloc } = await running();
  t.teardown(c.close);
  const unknown = await run(port, alloc, 'nope');
  t.same([unknown.code, unknown.reason], [1008, 'action nope not found in task server'], "the client's error, a 400: 1008");
  t.same(unknown.frames, [], 'no output frame before the close');
  const otherTask = await run(port, alloc, 'hello', { task: 'sidecar' });
  t.same([otherTask.code, otherTask.reason], [1008, `task sidecar not found in allocation ${alloc}`]);
  const noAlloc = await run(port, '', 'hello');
  t.same([noAlloc.code, noAlloc.reason], [1008, 'missing AllocID']);
  const id = '5f2b6a5e-0000-4000-8000-000000000001';
  const unknownAlloc = await run(port, id, 'hello');
  t.same([unknownAlloc.code, unknownAlloc.reason], [1008, `Unknown allocation "${id}"`]);
  const noTask = await run(port, alloc, 'hello', { task: '' });
  t.same([noTask.code, noTask.reason], [1008, 'must provide task name']);
  const noAction = await run(port, alloc, '');
  t.same([noAction.code, noAction.reason], [1008, 'command is not present'], 'no action: no command');

  // The server checks the path's job: it must exist in the request's namespace and own the allocation.
  const noJob = await run(port, alloc, 'hello', { job: 'some-other-job' });
  t.same([noJob.code, noJob.reason], [1008, 'job some-other-job not found in namespace default']);
  const otherNs = await run(port, alloc, 'hello', { query: { namespace: 'elsewhere' } });
  t.same([otherNs.code, otherNs.reason], [1008, 'job web not found in namespace elsewhere']);
  t.equal((await c.put('/v1/jobs', { Job: actionJob('other') })).status, 200);
  const notItsAlloc = await run(port, alloc, 'hello', { job: 'other' });
  t.same([notItsAlloc.code, notItsAlloc.reason], [1008, `job other does not have allocation ${alloc}`]);
  const unknownBeforeJob = await run(port, 'nope', 'hello', { job: 'some-other-job' });
  t.same([unknownBeforeJob.code, unknownBeforeJob.reason], [1008, 'Unknown allocation "nope"'], 'the allocation is looked up first');

  let stopping = false;
  const killed = run(port, alloc, 'wait', {
    send: [{ stdin: { data: Buffer.from('x\n').toString('base64') } }],
    onMessage: () => {
      if (stopping) return;
      stopping = true;
      void (async () => {
        t.equal((await c.put(`/v1/allocation/${alloc}/stop`)).status, 200);
        for (let i = 0; i < 10; i++) await c.advance(1000);
      })();
    },
  });
  const k = await killed;
  t.same(k.result, { exit_code: 137 }, 'a running action dies with its task');
  const stopped = await run(port, alloc, 'hello');
  t.same([stopped.code, stopped.reason], [1008, 'task "server" is not running.']);
});

test('ACLs: alloc-exec, alloc-node-exec for raw_exec, the token from a header or the handshake frame', async (t) => {
  const c = await simClient({ acl: true });
  t.teardown(c.close);
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const acl = await aclSession(c);
  for (const [id, driver] of [['web', 'docker'], ['raw', 'raw_exec']]) {
    t.equal((await acl.as(acl.mgmt, 'PUT', '/v1/jobs', { Job: actionJob(id, driver) })).status, 200);
  }
  const web = await runningAlloc(c, 'web');
  const raw = await runningAlloc(c, 'raw');
  const reader = await acl.token('reader', 'namespace "default" { policy = "read" }');
  const execer = await acl.token('execer', 'namespace "default" { capabilities = ["alloc-exec"] }');
  const nodeExec = await acl.token('node-exec', 'namespace "default" { capabilities = ["alloc-exec", "alloc-node-exec"] }');

  const none = await run(port, web, 'hello');
  t.same([none.code, none.reason], [1011, 'Permission denied'], 'anonymous: denied');
  const read = await run(port, web, 'hello', { headers: { 'X-Nomad-Token': reader } });
  t.same([read.code, read.reason], [1011, 'Permission denied'], 'read-job is not enough');
  const ok = await run(port, web, 'hello', { headers: { 'X-Nomad-Token': execer } });
  t.equal(ok.stdout, 'hello from  spaced args\n', 'alloc-exec runs an action');
  const rawDenied = await run(port, raw, 'hello', { job: 'raw', headers: { 'X-Nomad-Token': execer } });
  t.same([rawDenied.code, rawDenied.reason], [1011, 'Permission denied'], 'raw_exec also needs alloc-node-exec');
  const rawOk = await run(port, raw, 'hello', { job: 'raw', headers: { Authorization: `Bearer ${nodeExec}` } });
  t.equal(rawOk.stdout, 'hello from  spaced args\n');
  const hs = await run(port, web, 'hello', { query: { ws_handshake: 'true' }, send: [{ version: 1, auth_token: execer }] });
  t.equal(hs.stdout, 'hello from  spaced args\n', 'the token of the ws_handshake frame');
  const badHs = await run(port, web, 'hello', { query: { ws_handshake: 'true' }, send: [{ version: 2, auth_token: execer }] });
  t.same([badHs.code, badHs.reason], [1008, 'unexpected handshake value: 2']);
  const badFlag = await run(port, web, 'hello', { query: { ws_handshake: 'maybe' } });
  t.same([badFlag.code, badFlag.reason], [1008, 'ws_handshake value is not a boolean: strconv.ParseBool: parsing "maybe": invalid syntax']);
  const unknownAlloc = await run(port, 'nope', 'hello', { headers: { 'X-Nomad-Token': reader } });
  t.same([unknownAlloc.code, unknownAlloc.reason], [1008, 'Unknown allocation "nope"'], 'the allocation is looked up before its namespace is checked');
  const denied = await run(port, web, 'nope', { headers: { 'X-Nomad-Token': reader } });
  t.same([denied.code, denied.reason], [1011, 'Permission denied'], 'alloc-exec is checked before the action is looked up');
});

test('a job ID holding a slash, escaped or not', async (t) => {
  const { c, port, alloc } = await running(actionJob('team/web'));
  t.teardown(c.close);
  const escaped = await run(port, alloc, 'hello', { job: 'team%2Fweb' });
  t.equal(escaped.stdout, 'hello from  spaced args\n');
  const plainSlash = await run(port, alloc, 'hello', { job: 'team/web' });
  t.equal(plainSlash.stdout, 'hello from  spaced args\n', 'Nomad takes what precedes the suffix as the job ID');
  const r = await c.get('/v1/job/team/web/action?task=server&action=hello');
  t.equal(r.status, 400, 'a plain request is refused, not taken for a job');
  const list = await c.get('/v1/job/team%2Fweb/actions');
  t.equal(list.status, 200, 'the actions list is its own route still');
  t.same(list.json.map((a: Obj) => a.Name), ACTIONS.map((a) => a.Name));
});

test("plain HTTP requests get exec's refusal of a non-upgrade, for every method", async (t) => {
  const { c } = await listening();
  t.teardown(c.close);
  const exec = await c.get('/v1/client/allocation/x/exec?task=server&command=%5B%22ls%22%5D');
  const action = await c.get('/v1/job/web/action?task=server&action=hello&allocID=x');
  t.equal(action.status, 400);
  t.equal(action.body, "Bad Request\nfailed to upgrade connection: websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header");
  t.equal(action.body, exec.body);
  for (const h of ['content-type', 'sec-websocket-version', 'x-content-type-options']) t.equal(action.headers[h], exec.headers[h], h);
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const r = await c.req(method, '/v1/job/web/action?task=server&action=hello');
    t.same([r.status, r.body], [400, action.body], `${method}: the method is not checked before the upgrade`);
  }
  const tty = await c.get('/v1/job/web/action?action=hello&tty=yes');
  t.same([tty.status, tty.body], [500, 'tty value is not a boolean: strconv.ParseBool: parsing "yes": invalid syntax']);
  const wait = await c.get('/v1/job/web/action?action=hello&wait=soon');
  t.equal(wait.status, 400);
  t.equal(wait.body, "Invalid wait timeBad Request\nfailed to upgrade connection: websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header", 'the query error, then gorilla\'s refusal');
  const noJob = await c.get('/v1/job/action');
  t.equal(noJob.status, 404, 'without a job ID the path is the job "action"');
});

test('a websocket handshake gorilla refuses is answered in HTTP, as exec answers it', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  // `close`: a plain answer keeps the connection otherwise, and rawExchange reads until it closes.
  const head = (path: string, extra: string, method = 'GET'): string =>
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\n${extra}\r\n`;
  const key = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
  const cases: [string, string][] = [
    ['no version', key],
    ['another origin', `Sec-WebSocket-Version: 13\r\n${key}Origin: http://elsewhere.example\r\n`],
    ['a bad key', 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n'],
  ];
  const body = (text: string): string => text.slice(text.indexOf('\r\n\r\n') + 4);
  const status = (text: string): string => text.slice(0, text.indexOf('\r\n'));
  for (const [what, extra] of cases) {
    const e = await rawExchange(port, head('/v1/client/allocation/x/exec?command=%5B%5D', extra));
    const a = await rawExchange(port, head('/v1/job/web/action?action=hello', extra));
    t.equal(status(a.text), status(e.text), `${what}: status`);
    t.equal(body(a.text), body(e.text), `${what}: body`);
    t.match(body(a.text), /failed to upgrade connection: websocket: /);
  }
  const post = await rawExchange(port, head('/v1/job/web/action?action=hello', `Sec-WebSocket-Version: 13\r\n${key}Content-Length: 0\r\n`, 'POST'));
  t.match(post.text, /^HTTP\/1\.1 405 /);
  t.match(post.text, /Method Not Allowed\nfailed to upgrade connection: websocket: the client is not using the websocket protocol: request method is not GET$/);
  const tty = await rawExchange(port, head('/v1/job/web/action?action=hello&tty=2', `Sec-WebSocket-Version: 13\r\n${key}`));
  t.match(tty.text, /^HTTP\/1\.1 500 /);
  t.match(tty.text, /tty value is not a boolean: strconv.ParseBool: parsing "2": invalid syntax$/, 'tty is read before the upgrade');
});

test('an upgrade request to the other job routes is answered as plain HTTP', async (t) => {
  const { c, port, alloc } = await running();
  t.teardown(c.close);
  const answer = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('"TaskGroupName":"web"}]')) {
        s.destroy();
        resolve(buf);
      }
    });
    s.write('GET /v1/job/web/actions HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    setTimeout(() => (s.destroy(), resolve(buf)), 5000);
  });
  t.match(answer, /^HTTP\/1\.1 200 OK\r\n/, 'the actions list');
  const dots = await rawExchange(port, `GET /v1/job/./web/action?allocID=${alloc} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, close\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
  t.match(dots.text, /^HTTP\/1\.1 301 /, 'an unclean path is redirected first, as Go\'s mux does');
  const after = await run(port, alloc, 'hello');
  t.equal(after.stdout, 'hello from  spaced args\n', 'the server goes on');
  t.equal(c.mock.guard.count, 0);
});
