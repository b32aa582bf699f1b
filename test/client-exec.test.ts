// GET /v1/client/allocation/:id/exec over a real websocket (a `ws` client against a listening
// server): Nomad's close frames for what cannot run, the framing of stdin/stdout/stderr/exit, the
// scripted answers of a task's driver config, the minimal shell, a tty, ACLs, and a server that
// stays healthy whatever the client does. Plain HTTP requests get Nomad's refusal of a non-upgrade.
import { test } from 'tap';
import net, { type AddressInfo } from 'node:net';
import { aclSession, listening, rawExchange, simClient, type Client } from './helpers.js';
import { collectSession, queryString, type Session, type SessionOptions } from './ws-session.js';
import type { Obj } from '../state/types.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const stdin = (s: string): Obj => ({ stdin: { data: b64(s) } });
const CLOSE_STDIN = { stdin: { close: true } };

function execUrl(port: number, alloc: string, q: Record<string, string | undefined>): string {
  return `ws://127.0.0.1:${port}/v1/client/allocation/${alloc}/exec?${queryString(q)}`;
}

interface ExecOptions extends SessionOptions {
  task?: string;
  tty?: boolean;
  query?: Record<string, string>;
}

/** Opens an exec session and collects everything until the server closes it. */
function exec(port: number, alloc: string, command: string[] | string, opts: ExecOptions = {}): Promise<Session> {
  const cmd = typeof command === 'string' ? command : JSON.stringify(command);
  const url = execUrl(port, alloc, { task: opts.task ?? 'server', command: cmd, tty: opts.tty ? 'true' : undefined, ...opts.query });
  return collectSession(url, opts);
}

const webJob = (config: Obj = {}, driver = 'docker', extra: Obj = {}): Obj => ({
  ID: 'web',
  TaskGroups: [{ Name: 'web', Tasks: [{ Name: 'server', Driver: driver, Config: { image: 'nginx:1.27', ...config }, Env: { GREETING: 'hello' }, ...extra }] }],
});

/** A simulated cluster listening on a real port, with `job` registered and its allocation running. */
async function running(job: Obj, config: Obj = {}): Promise<{ c: Client; port: number; alloc: string }> {
  const c = await simClient(config);
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const reg = await c.put('/v1/jobs', { Job: job });
  if (reg.status !== 200) throw new Error(`register answered ${reg.status}: ${reg.body}`);
  let alloc = '';
  for (let i = 0; i < 30 && !alloc; i++) {
    await c.advance(1000);
    const a = [...c.mock.store.allocs.values()].find((x) => x.JobID === job.ID && x.ClientStatus === 'running');
    alloc = a ? String(a.ID) : '';
  }
  if (!alloc) throw new Error('the allocation never ran');
  return { c, port, alloc };
}

test('an unknown allocation is closed with 1008 and Nomad\'s reason', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const id = '5f2b6a5e-0000-4000-8000-000000000001';
  const s = await exec(port, id, ['echo', 'hi']);
  t.equal(s.code, 1008);
  t.equal(s.reason, `Unknown allocation "${id}"`);
  t.same(s.frames, [], 'no output frame before the close');
  const journal = await c.get('/_mock/requests');
  t.match(journal.json.find((e: Obj) => String(e.Path).endsWith('/exec')), { Method: 'GET', Status: 101 }, 'the journal records the exec request');
});

test('a plain HTTP request gets the agent\'s refusal of a non-websocket request', async (t) => {
  const { c } = await listening();
  t.teardown(c.close);
  const url = '/v1/client/allocation/x/exec?task=server&command=%5B%22ls%22%5D';
  const r = await c.get(url);
  t.equal(r.status, 400);
  t.equal(r.body, "Bad Request\nfailed to upgrade connection: websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header");
  t.equal(r.headers['sec-websocket-version'], '13');
  t.equal(r.headers['x-content-type-options'], 'nosniff');
  t.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
  const post = await c.post(url, {});
  t.equal(post.status, 400, 'the agent does not check the method before the upgrade');
  const bad = await c.get('/v1/client/allocation/x/exec?task=server&command=ls');
  t.equal(bad.status, 500);
  t.equal(bad.body, "failed to marshal command into json: invalid character 'l' looking for beginning of value");
  t.equal((await c.get('/v1/client/allocation/x/exec')).body, 'failed to marshal command into json: unexpected end of JSON input');
  t.equal((await c.get('/v1/client/allocation/x/exec?command=%5B1%5D')).body, 'failed to marshal command into json: json: cannot unmarshal number into Go value of type string');
  t.equal((await c.get('/v1/client/allocation/x/exec?command=%5B%5D&tty=yes')).body, 'tty value is not a boolean: strconv.ParseBool: parsing "yes": invalid syntax');
  const wait = await c.get('/v1/client/allocation/x/exec?command=%5B%5D&wait=soon');
  t.equal(wait.status, 400);
  t.equal(wait.body, "Invalid wait timeBad Request\nfailed to upgrade connection: websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header", 'the query error, then gorilla\'s refusal');
});

test('a websocket handshake gorilla refuses is answered in HTTP', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const head = (extra: string): string =>
    `GET /v1/client/allocation/x/exec?command=%5B%5D HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`;
  const noVersion = await rawExchange(port, head('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'));
  t.match(noVersion.text, /^HTTP\/1\.1 400 /);
  t.match(noVersion.text, /Bad Request\nfailed to upgrade connection: websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header$/);
  const origin = await rawExchange(port, head('Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://elsewhere.example\r\n'));
  t.match(origin.text, /^HTTP\/1\.1 403 /);
  t.match(origin.text, /Forbidden\nfailed to upgrade connection: websocket: request origin not allowed by Upgrader.CheckOrigin$/);
  const badJson = await rawExchange(port, head('Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n').replace('%5B%5D', 'x'));
  t.match(badJson.text, /^HTTP\/1\.1 500 /);
  t.match(badJson.text, /failed to marshal command into json: invalid character 'x' looking for beginning of value$/);
});

test('other routes answer an upgrade request as plain HTTP and keep the connection', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const answer = await new Promise<string>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    let asked = false;
    s.on('data', (d) => {
      buf += d.toString();
      // The second request goes once the first is answered (Node drops what is pipelined behind an upgrade).
      if (!asked && buf.endsWith('[]')) {
        asked = true;
        s.write('GET /v1/status/leader HTTP/1.1\r\nHost: x\r\n\r\n');
      }
      if (buf.includes('"127.0.0.1:4647"')) {
        s.destroy();
        resolve(buf);
      }
    });
    s.write('GET /v1/jobs HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
    setTimeout(() => (s.destroy(), resolve(buf)), 5000);
  });
  t.match(answer, /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\n\[\]HTTP\/1\.1 200 OK/, 'the jobs list, then a second answer on the same connection');
  t.notMatch(answer, /101 Switching Protocols/);
});

test('scripted answers: exec_responses per command line, the mock driver\'s exec_command otherwise', async (t) => {
  const { c, port, alloc } = await running(
    webJob({
      exec_responses: { 'ls /': { stdout_string: 'bin\netc\n', stderr_string: 'warning\n', exit_code: 3 } },
      exec_command: [{ stdout_string: 'tick\n', stdout_repeat: 2, stdout_repeat_duration: '1s', run_for: '5s', exit_code: 7 }],
    }),
  );
  t.teardown(c.close);
  const ls = await exec(port, alloc, ['ls', '/']);
  t.equal(ls.stdout, 'bin\netc\n');
  t.equal(ls.stderr, 'warning\n');
  t.same(ls.result, { exit_code: 3 });
  t.same(ls.frames.slice(-3), [{ stdout: { close: true } }, { stderr: { close: true } }, { exited: true, result: { exit_code: 3 } }], 'both streams close before the exit frame');
  t.equal(ls.code, 1000, 'then a normal close');

  // exec_command runs on the simulated clock: its repeats and run_for need time to pass.
  let advanced = false;
  const other = exec(port, alloc, ['anything', 'else'], {
    onMessage: () => {
      if (advanced) return;
      advanced = true;
      void c.advance(10_000);
    },
  });
  const o = await other;
  t.equal(o.stdout, 'tick\ntick\ntick\n', 'once, then stdout_repeat more times');
  t.same(o.result, { exit_code: 7 });

  const show = await exec(port, alloc, ['showinput'], { send: [stdin('abc'), stdin('def'), CLOSE_STDIN] });
  t.equal(show.stdout, 'TTY: false\nStdin:\nabcdef\n', "the mock driver's showinput");
  t.same(show.result, {});
});

test('the minimal shell: echo, cat until stdin closes, exit codes, env, unknown commands', async (t) => {
  const { c, port, alloc } = await running(webJob());
  t.teardown(c.close);
  const echo = await exec(port, alloc, ['echo', 'hello', 'world']);
  t.equal(echo.stdout, 'hello world\n');
  t.same(echo.result, {}, 'exit code 0 is left out, as the plugin protocol encodes it');
  t.equal(echo.frames[0]!.stdout && typeof (echo.frames[0]!.stdout as Obj).data, 'string', 'stdout data is base64');

  const cat = await exec(port, alloc, ['cat'], { send: [stdin('line one\n'), stdin('line two\n'), { tty_size: { height: 10, width: 20 } }, {}, CLOSE_STDIN] });
  t.equal(cat.stdout, 'line one\nline two\n');
  t.same(cat.result, {});

  const missing = await exec(port, alloc, ['frobnicate', '--now']);
  t.equal(missing.stderr, 'sh: frobnicate: not found\n');
  t.same(missing.result, { exit_code: 127 });

  const sh = await exec(port, alloc, ['/bin/sh', '-c', 'echo $NOMAD_TASK_NAME $GREETING; false || echo "status $?"; exit 4']);
  t.equal(sh.stdout, 'server hello\nstatus 1\n');
  t.same(sh.result, { exit_code: 4 });

  const env = await exec(port, alloc, ['env']);
  t.match(env.stdout, new RegExp(`^NOMAD_ALLOC_ID=${alloc}$`, 'm'));
  t.match(env.stdout, /^GREETING=hello$/m);

  const interactive = await exec(port, alloc, ['sh'], { send: [stdin('echo one\ncat\n'), stdin('typed\n'), CLOSE_STDIN] });
  t.equal(interactive.stdout, 'one\ntyped\n', 'a shell reading stdin hands the rest of it to cat');
  t.same(interactive.result, {});
  t.same([(await exec(port, alloc, ['true'])).result, (await exec(port, alloc, ['false'])).result], [{}, { exit_code: 1 }]);
});

test('a tty echoes input, takes resizes and ends lines with \\r\\n', async (t) => {
  const { c, port, alloc } = await running(webJob());
  t.teardown(c.close);
  const s = await exec(port, alloc, ['/bin/bash'], {
    tty: true,
    send: [{ tty_size: { height: 40, width: 120 } }, stdin('stty size\r'), stdin('nope\r'), stdin('exit 5\r')],
  });
  t.equal(s.stdout, '$ stty size\r\n40 120\r\n$ nope\r\nsh: nope: not found\r\n$ exit 5\r\n');
  t.equal(s.stderr, '', 'with a tty everything arrives on stdout');
  t.same(s.result, { exit_code: 5 });
  const ctrlC = await exec(port, alloc, ['cat'], { tty: true, send: [stdin('abc\x7f\r'), stdin('x\x03')] });
  t.equal(ctrlC.stdout, 'abc\b \b\r\nab\r\nx^C\r\n', 'backspace edits the line, ^C interrupts');
  t.same(ctrlC.result, { exit_code: 130 });
});

test('tasks that cannot exec: unknown, missing, not running; an empty command', async (t) => {
  const { c, port, alloc } = await running(webJob());
  t.teardown(c.close);
  const unknown = await exec(port, alloc, ['ls'], { task: 'nope' });
  t.same([unknown.code, unknown.reason], [1011, 'task not found'], 'the client answers 500 for a task its runner lacks');
  const missing = await exec(port, alloc, ['ls'], { task: '' });
  t.same([missing.code, missing.reason], [1008, 'must provide task name']);
  const empty = await exec(port, alloc, []);
  t.same([empty.code, empty.reason], [1008, 'command is not present']);
  // A session open while its task is stopped: the process dies with the task.
  let stopping = false;
  const killed = exec(port, alloc, ['cat'], {
    send: [stdin('x\n')],
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
  t.equal(k.stdout, 'x\n');
  t.same(k.result, { exit_code: 137 }, 'killed with its task');
  t.equal(k.code, 1000);
  const dead = await exec(port, alloc, ['ls']);
  t.same([dead.code, dead.reason], [1008, 'task "server" is not running.']);
});

test('ACLs: alloc-exec, alloc-node-exec for raw_exec, the token from a header or the handshake frame', async (t) => {
  const c = await simClient({ acl: true });
  t.teardown(c.close);
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as AddressInfo).port;
  const acl = await aclSession(c);
  for (const [id, driver] of [['web', 'docker'], ['raw', 'raw_exec']]) {
    const r = await acl.as(acl.mgmt, 'PUT', '/v1/jobs', { Job: { ...webJob({}, driver), ID: id } });
    t.equal(r.status, 200);
  }
  for (let i = 0; i < 10; i++) await c.advance(1000);
  const allocOf = (job: string): string => String([...c.mock.store.allocs.values()].find((a) => a.JobID === job && a.ClientStatus === 'running')?.ID);
  const reader = await acl.token('reader', 'namespace "default" { policy = "read" }');
  const execer = await acl.token('execer', 'namespace "default" { capabilities = ["alloc-exec"] }');
  const nodeExec = await acl.token('node-exec', 'namespace "default" { capabilities = ["alloc-exec", "alloc-node-exec"] }');

  const none = await exec(port, allocOf('web'), ['echo', 'x']);
  t.same([none.code, none.reason], [1011, 'Permission denied'], 'anonymous: denied (an error without a code is 1011)');
  const read = await exec(port, allocOf('web'), ['echo', 'x'], { headers: { 'X-Nomad-Token': reader } });
  t.same([read.code, read.reason], [1011, 'Permission denied']);
  const ok = await exec(port, allocOf('web'), ['echo', 'x'], { headers: { 'X-Nomad-Token': execer } });
  t.equal(ok.stdout, 'x\n', 'alloc-exec is enough for a driver that isolates the filesystem');
  const raw = await exec(port, allocOf('raw'), ['echo', 'x'], { headers: { 'X-Nomad-Token': execer } });
  t.same([raw.code, raw.reason], [1011, 'Permission denied'], 'raw_exec also needs alloc-node-exec');
  const rawOk = await exec(port, allocOf('raw'), ['echo', 'y'], { headers: { Authorization: `Bearer ${nodeExec}` } });
  t.equal(rawOk.stdout, 'y\n');
  const hs = await exec(port, allocOf('web'), ['echo', 'z'], { query: { ws_handshake: 'true' }, send: [{ version: 1, auth_token: execer }] });
  t.equal(hs.stdout, 'z\n', 'the token of the ws_handshake frame');
  const badHs = await exec(port, allocOf('web'), ['echo', 'z'], { query: { ws_handshake: 'true' }, send: [{ version: 2, auth_token: execer }] });
  t.same([badHs.code, badHs.reason], [1008, 'unexpected handshake value: 2']);
  const unknownAlloc = await exec(port, 'nope', ['echo'], { headers: { 'X-Nomad-Token': reader } });
  t.same([unknownAlloc.code, unknownAlloc.reason], [1008, 'Unknown allocation "nope"'], 'the allocation is looked up before its namespace is checked');
});

test('bad frames close the session with Go\'s decoding error; oversized ones with 1009', async (t) => {
  const { c, port, alloc } = await running(webJob());
  t.teardown(c.close);
  const garbage = await exec(port, alloc, ['cat'], { send: ['not json'] });
  t.same([garbage.code, garbage.reason], [1011, "invalid character 'o' in literal null (expecting 'u')"]);
  const badType = await exec(port, alloc, ['cat'], { send: [{ stdin: { data: 5 } }] });
  t.same([badType.code, badType.reason], [1011, 'json: cannot unmarshal number into Go struct field ExecTaskStreamingRequest.stdin.data of type []uint8']);
  const badB64 = await exec(port, alloc, ['cat'], { send: [{ stdin: { data: 'a!b' } }] });
  t.same([badB64.code, badB64.reason], [1011, 'illegal base64 data at input byte 1']);
  const huge = await exec(port, alloc, ['cat'], { send: [JSON.stringify(stdin('x'.repeat(2 * 1024 * 1024)))] });
  t.equal(huge.code, 1009);
  t.equal(huge.reason, '');
  const after = await exec(port, alloc, ['echo', 'still', 'here']);
  t.equal(after.stdout, 'still here\n', 'the server goes on');
});

test('a client vanishing mid-session, or a reset, leaves the server healthy', async (t) => {
  const { c, port, alloc } = await running(webJob());
  t.teardown(c.close);
  // The client drops its TCP connection while cat waits for more input.
  const vanished = await exec(port, alloc, ['cat'], {
    send: [stdin('first\n')],
    onMessage: (ws) => ws.terminate(),
  });
  t.equal(vanished.code, 1006, 'the client saw its own drop');
  t.equal(vanished.stdout, 'first\n');
  const next = await exec(port, alloc, ['echo', 'ok']);
  t.equal(next.stdout, 'ok\n');

  // A reset ends open sessions, as a restarted agent drops its connections.
  let reset = false;
  const open = exec(port, alloc, ['cat'], {
    send: [stdin('x\n')],
    onMessage: () => {
      if (reset) return;
      reset = true;
      void c.post('/_mock/reset', {});
    },
  });
  const dropped = await open;
  t.equal(dropped.code, 1006, 'dropped without a close frame');
  t.equal(dropped.result, null);
  const health = await c.get('/_mock/health');
  t.equal(health.status, 200);
  t.equal(c.mock.guard.count, 0);
});

test('an idle session is closed', async (t) => {
  const { c, port, alloc } = await running(webJob());
  t.teardown(c.close);
  c.mock.limits.execIdleMs = 300;
  const idle = await exec(port, alloc, ['cat']);
  t.same([idle.code, idle.reason], [1001, 'exec session idle']);
  t.equal(idle.result, null, 'no exit frame: the process did not end');
  const next = await exec(port, alloc, ['echo', 'ok']);
  t.equal(next.stdout, 'ok\n');
});
