// /v1/client/fs: the simulated allocation directory (alloc/, each task's local/ secrets/ tmp/), task
// output from the mock driver's stdout/stderr keys growing on the manual clock, cat/readat/stream/
// logs with offsets, origins, limits and plain text, follow over a real socket (new frames as time
// passes, the end once the task is dead, nothing left behind by a client that hangs up or a reset),
// Nomad's errors and its read-fs / read-logs checks.
import t from 'tap';
import type { AddressInfo } from 'node:net';
import { aclSession, client, openStream, waitFor, type Client, type OpenStream } from './helpers.js';
import { openFsStreams } from '../routes/client/fs-stream.js';
import type { Obj } from '../state/types.js';

const LINE = 'hello from app\n';

function job(id: string, appConfig: Obj = {}, extra: Obj = {}): Obj {
  return {
    ID: id,
    Type: 'service',
    TaskGroups: [
      {
        Name: 'g',
        Count: 1,
        Tasks: [
          {
            Name: 'app',
            Driver: 'mock_driver',
            Config: { run_for: '1h', stdout_string: LINE, stdout_repeat: 100, stdout_repeat_duration: '1s', stderr_string: 'warn\n', ...appConfig },
            ...extra,
          },
          { Name: 'side', Driver: 'docker', Config: { image: 'redis:7' } },
        ],
      },
    ],
  };
}

async function sim(acl = false, clockStart = ''): Promise<Client> {
  return client({ simulate: true, config: { clock: 'manual', acl, clockStart } });
}

/** Registers `j` and runs the clock until its alloc's tasks started; answers the alloc ID. */
async function running(c: Client, j: Obj, token?: string): Promise<string> {
  const res = await c.req('PUT', '/v1/jobs', { Job: j }, token ? { 'X-Nomad-Token': token } : {});
  if (res.status !== 200) throw new Error(`register: ${res.status} ${res.body}`);
  for (let i = 0; i < 20; i++) {
    await c.advance(50);
    const list = (await c.req('GET', `/v1/job/${j.ID}/allocations`, undefined, token ? { 'X-Nomad-Token': token } : {})).json as Obj[];
    if (list?.[0]?.ClientStatus === 'running') return list[0]!.ID as string;
  }
  throw new Error('alloc never ran');
}

interface Frame {
  Offset?: number;
  Data?: string;
  File?: string;
  FileEvent?: string;
}

/** Stream frames written back to back (`{…}{…}`), heartbeats included. */
function frames(text: string): Frame[] {
  if (text === '') return [];
  return text.replace(/\}\{/g, '}\n{').split('\n').map((f) => JSON.parse(f) as Frame);
}
const decoded = (fs: Frame[]): string => fs.map((f) => (f.Data ? Buffer.from(f.Data, 'base64').toString('utf8') : '')).join('');

t.test('ls and stat show the alloc dir: alloc/{data,logs,tmp} and each task\'s local, secrets, tmp', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const id = await running(c, job('web'));
  const root = await c.get(`/v1/client/fs/ls/${id}`);
  t.equal(root.status, 200);
  t.equal(root.headers['content-type'], 'application/json');
  t.same(root.json.map((e: Obj) => e.Name), ['alloc', 'app', 'side']);
  t.match(root.json[0], { Name: 'alloc', IsDir: true, Size: 4096, FileMode: 'drwxrwxrwx', ModTime: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/ });
  t.notOk('ContentType' in root.json[0], 'list entries carry no ContentType');
  t.same((await c.get(`/v1/client/fs/ls/${id}?path=alloc`)).json.map((e: Obj) => e.Name), ['data', 'logs', 'tmp']);
  t.same((await c.get(`/v1/client/fs/ls/${id}?path=/app/`)).json.map((e: Obj) => e.Name), ['local', 'secrets', 'tmp']);
  t.same((await c.get(`/v1/client/fs/ls/${id}?path=app/local`)).json, [], 'an empty directory lists as []');
  const logs = (await c.get(`/v1/client/fs/ls/${id}?path=alloc/logs`)).json as Obj[];
  t.same(logs.map((e) => e.Name), ['app.stderr.0', 'app.stdout.0', 'side.stderr.0', 'side.stdout.0']);
  t.match(logs[1], { IsDir: false, Size: LINE.length, FileMode: '-rw-r--r--' });
  t.equal(logs[2]!.Size, 0, 'docker writes nothing to stderr');

  const st = await c.get(`/v1/client/fs/stat/${id}?path=alloc/logs/app.stdout.0`);
  t.equal(st.status, 200);
  t.match(st.json, { Name: 'app.stdout.0', IsDir: false, Size: LINE.length, FileMode: '-rw-r--r--', ContentType: 'text/plain; charset=utf-8' });
  t.match((await c.get(`/v1/client/fs/stat/${id}?path=alloc/logs/side.stderr.0`)).json, { Size: 0, ContentType: 'application/octet-stream' });
  t.match((await c.get(`/v1/client/fs/stat/${id}?path=/`)).json, { Name: id, IsDir: true, ContentType: 'application/octet-stream' });
  t.same((await c.get(`/v1/client/fs/stat/${id}?path=app/../alloc/./data`)).json.Name, 'data', 'paths are cleaned as filepath.Join cleans them');
});

t.test('output grows on the simulated clock: cat, readat with offset and limit', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const id = await running(c, job('web'));
  const cat1 = await c.get(`/v1/client/fs/cat/${id}?path=alloc/logs/app.stdout.0`);
  t.equal(cat1.status, 200);
  t.equal(cat1.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(cat1.body, LINE, 'the string is written once at start');
  await c.advance(3000);
  t.equal((await c.get(`/v1/client/fs/cat/${id}?path=alloc/logs/app.stdout.0`)).body, LINE.repeat(4), 'then once per stdout_repeat_duration');
  t.equal((await c.get(`/v1/client/fs/stat/${id}?path=alloc/logs/app.stdout.0`)).json.Size, LINE.length * 4);
  const at = await c.get(`/v1/client/fs/readat/${id}?path=alloc/logs/app.stdout.0&offset=6&limit=4`);
  t.equal(at.status, 200);
  t.equal(at.body, 'from');
  t.equal((await c.get(`/v1/client/fs/readat/${id}?path=alloc/logs/app.stdout.0&offset=${LINE.length * 3 + 11}`)).body, 'app\n', 'no limit: to the end');
  t.equal((await c.get(`/v1/client/fs/readat/${id}?path=alloc/logs/app.stdout.0&offset=10000&limit=5`)).body, '', 'past the end: nothing');
  t.equal((await c.get(`/v1/client/fs/cat/${id}?path=alloc/logs/app.stderr.0`)).body, 'warn\n', 'stderr_string goes to stderr');
  t.equal((await c.get(`/v1/client/fs/cat/${id}?path=alloc/logs/side.stdout.0`)).body, 'nomad-mock: task "side" started (driver docker)\n', 'other drivers: one short line');
  const empty = await c.get(`/v1/client/fs/cat/${id}?path=alloc/logs/side.stderr.0`);
  t.equal(empty.status, 200);
  t.equal(empty.body, '');
  t.equal(empty.headers['content-type'], undefined, 'nothing to sniff, no Content-Type');
  // stdout_repeat bounds the writes: 1 + 100, whatever the clock does.
  await c.advance(3_600_000);
  t.equal((await c.get(`/v1/client/fs/stat/${id}?path=alloc/logs/app.stdout.0`)).json.Size, LINE.length * 101);
});

t.test('logs without follow: frames with Offset at the end of their bytes; origin=end; plain', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const id = await running(c, job('web'));
  await c.advance(2000);
  const res = await c.get(`/v1/client/fs/logs/${id}?task=app&type=stdout`);
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/json');
  const fs = frames(res.body).filter((f) => f.Data);
  t.same(fs, [{ Offset: LINE.length * 3, Data: Buffer.from(LINE.repeat(3)).toString('base64'), File: 'alloc/logs/app.stdout.0' }]);
  const tail = frames((await c.get(`/v1/client/fs/logs/${id}?task=app&type=stdout&origin=end&offset=4`)).body);
  t.equal(decoded(tail), 'app\n', 'origin=end counts the offset back from the end');
  const fromStart = await c.get(`/v1/client/fs/logs/${id}?task=app&type=stdout&offset=${LINE.length * 2}&plain=true`);
  t.equal(fromStart.headers['content-type'], 'text/plain');
  t.equal(fromStart.body, LINE, 'plain=true: the raw bytes from the offset');
  t.equal((await c.get(`/v1/client/fs/logs/${id}?task=app&type=stderr&plain=true`)).body, 'warn\n');
  t.equal((await c.get(`/v1/client/fs/logs/${id}?task=app&type=stdout&origin=end&offset=99999&plain=true`)).body, LINE.repeat(3), 'an offset past the start clamps to it');
  const stream = await c.get(`/v1/client/fs/stream/${id}?path=/alloc/logs/app.stdout.0&follow=false&origin=end&offset=${LINE.length}`);
  t.equal(stream.status, 200);
  t.same(frames(stream.body), [{ Offset: LINE.length * 3, Data: Buffer.from(LINE).toString('base64'), File: '/alloc/logs/app.stdout.0' }], 'stream frames name the path as asked');
});

t.test('log files rotate at MaxFileSizeMB and keep MaxFiles; logs reads across them', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const chunk = 'x'.repeat(1023) + '\n';
  const id = await running(c, job('big', { stdout_string: chunk, stdout_repeat: 3000, stdout_repeat_duration: '0s' }, { LogConfig: { MaxFiles: 2, MaxFileSizeMB: 1 } }));
  const names = ((await c.get(`/v1/client/fs/ls/${id}?path=alloc/logs`)).json as Obj[]).filter((e) => String(e.Name).startsWith('app.stdout'));
  // 3001 KiB of output in 1 MiB files: .0 .1 .2, of which the last two are kept.
  t.same(names.map((e) => [e.Name, e.Size]), [['app.stdout.1', 1024 * 1024], ['app.stdout.2', 3001 * 1024 - 2 * 1024 * 1024]]);
  t.equal((await c.get(`/v1/client/fs/stat/${id}?path=alloc/logs/app.stdout.0`)).status, 404, 'the oldest file was removed');
  const res = await c.get(`/v1/client/fs/logs/${id}?task=app&type=stdout&origin=end&offset=${1024 * 1024 + 10}`);
  const fs = frames(res.body).filter((f) => f.Data);
  t.equal(fs[0]!.File, 'alloc/logs/app.stdout.1', 'reaching back across a file boundary starts in the older file');
  t.equal(fs.at(-1)!.File, 'alloc/logs/app.stdout.2');
  t.equal(decoded(fs).length, 1024 * 1024 + 10);
  t.ok(fs.every((f) => Buffer.from(f.Data!, 'base64').length <= 64 * 1024), 'frames hold at most 64 KiB');
});

/** A server on a real socket, with the simulator on the manual clock. */
async function listeningSim(clockStart = ''): Promise<{ c: Client; port: number }> {
  const c = await sim(false, clockStart);
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  return { c, port: (c.mock.app.server.address() as AddressInfo).port };
}

const follow = (port: number, path: string): Promise<OpenStream> => openStream(port, path);

t.test('logs with follow receive the lines written later, and end once the task is dead', async (t) => {
  const { c, port } = await listeningSim();
  t.teardown(c.close);
  // A batch task that exits 0 is dead for good (a service task would be restarted).
  const id = await running(c, { ...job('web', { run_for: '5s', stdout_repeat: 100 }), Type: 'batch' });
  const s = await follow(port, `/v1/client/fs/logs/${id}?task=app&type=stdout&follow=true`);
  t.teardown(s.close);
  t.equal(s.status, 200);
  await s.until((text) => decoded(frames(text)) === LINE);
  await c.advance(1000);
  await s.until((text) => decoded(frames(text)) === LINE.repeat(2));
  await c.advance(2000);
  await s.until((text) => decoded(frames(text)) === LINE.repeat(4));
  const dataFrames = frames(s.text()).filter((f) => f.Data);
  t.ok(dataFrames.length >= 3, 'each advance brought new frames');
  t.same(dataFrames.map((f) => f.File), dataFrames.map(() => 'alloc/logs/app.stdout.0'));
  t.equal(dataFrames.at(-1)!.Offset, LINE.length * 4, 'a frame\'s Offset is where its bytes end');
  // run_for ends the task: the rest is sent and the answer ends.
  await c.advance(10_000);
  await s.ended;
  t.equal(decoded(frames(s.text())), LINE.repeat(5), 'all the output up to the task\'s end, nothing after');
  t.equal(openFsStreams(c.mock.app), 0);
});

/** The time (unix ns) of the first event of `type` of the alloc's task `task`, as the server has it. */
async function eventTime(c: Client, id: string, task: string, type: string): Promise<number | undefined> {
  const alloc = (await c.get(`/v1/allocation/${id}`)).json as Obj;
  return ((alloc.TaskStates as Obj)?.[task]?.Events as Obj[] | undefined)?.find((e) => e.Type === type)?.Time as number | undefined;
}

// Instants the clock started at that once made a follow send the line due when the task ended, before
// the end: the stream's wake, computed in float nanoseconds (256 ns apart today), fell a fraction of a
// microsecond before the task's exit timer, so the answer depended on the wall clock at start-up.
const STARTS = ['2026-12-06T06:51:59.694Z', '2026-12-06T06:52:00.990Z', '2026-12-06T06:52:02.302Z', '2025-01-01T00:00:00Z', '2030-05-17T13:07:41.123Z'];

t.test('a follow sends what a read returns once the task is dead, when it ends the instant a line is due', async (t) => {
  for (const start of STARTS) {
    // run_for ends a batch task at 5 s: lines at 0..4 s are written, the one due at 5 s is not.
    const { c, port } = await listeningSim(start);
    const id = await running(c, { ...job('web', { run_for: '5s' }), Type: 'batch' });
    const s = await follow(port, `/v1/client/fs/logs/${id}?task=app&type=stdout&follow=true`);
    for (let i = 0; i < 5; i++) await c.advance(1000);
    await c.advance(1000);
    await s.ended;
    const after = await c.get(`/v1/client/fs/logs/${id}?task=app&type=stdout&plain=true`);
    t.equal(decoded(frames(s.text())), LINE.repeat(5), `run_for, clock from ${start}: the line due at the exit is not sent`);
    t.equal(after.body, LINE.repeat(5), `run_for, clock from ${start}: nor read afterwards`);
    s.close();
    await c.close();
  }
  for (const start of STARTS) {
    // A stop whose kill lands the instant the third line is due, the stream's wake for it armed first.
    const { c, port } = await listeningSim(start);
    const id = await running(c, job('web'));
    const s = await follow(port, `/v1/client/fs/logs/${id}?task=app&type=stdout&follow=true`);
    await s.until((text) => decoded(frames(text)) === LINE);
    const startedNs = await eventTime(c, id, 'app', 'Started');
    t.ok(startedNs, 'the task started');
    const lineNs = startedNs! + 2e9;
    await c.advance(Math.round((lineNs - c.mock.clock.nowNs()) / 1e6) - 50);
    t.equal((await c.del('/v1/job/web')).status, 200);
    await c.advance(0);
    await c.advance(1000);
    await s.ended;
    t.equal(await eventTime(c, id, 'app', 'Killed'), lineNs, `kill, clock from ${start}: the task was killed the instant its third line was due`);
    const after = await c.get(`/v1/client/fs/logs/${id}?task=app&type=stdout&plain=true`);
    t.equal(decoded(frames(s.text())), LINE.repeat(2), `kill, clock from ${start}: the line due at the kill is not sent`);
    t.equal(after.body, LINE.repeat(2), `kill, clock from ${start}: nor read afterwards`);
    s.close();
    await c.close();
  }
});

t.test('stream follows by default; plain logs follow too', async (t) => {
  const { c, port } = await listeningSim();
  t.teardown(c.close);
  const id = await running(c, job('web'));
  const s = await follow(port, `/v1/client/fs/stream/${id}?path=alloc/logs/app.stdout.0&origin=end&offset=0`);
  t.teardown(s.close);
  const p = await follow(port, `/v1/client/fs/logs/${id}?task=app&type=stdout&follow=true&plain=true`);
  t.teardown(p.close);
  await p.until((text) => text === LINE);
  await c.advance(1000);
  await s.until((text) => decoded(frames(text)) === LINE);
  await p.until((text) => text === LINE.repeat(2));
  t.equal(openFsStreams(c.mock.app), 2);
});

t.test('a client hanging up mid-follow, a reset and a stopped alloc leave nothing behind', async (t) => {
  const { c, port } = await listeningSim();
  t.teardown(c.close);
  const id = await running(c, job('web'));
  const timersBefore = c.mock.clock.pending();
  const s = await follow(port, `/v1/client/fs/logs/${id}?task=app&type=stdout&follow=true`);
  await s.until((text) => text.includes('"Data"'));
  t.equal(openFsStreams(c.mock.app), 1);
  t.ok(c.mock.clock.pending() > timersBefore, 'the stream waits on a clock timer for the next line');
  s.close();
  await waitFor(() => openFsStreams(c.mock.app) === 0, 'the server to see the hang-up');
  t.equal(openFsStreams(c.mock.app), 0, 'the hang-up ended the stream');
  t.equal(c.mock.clock.pending(), timersBefore, 'and cancelled its timer');

  const r = await follow(port, `/v1/client/fs/logs/${id}?task=app&type=stdout&follow=true`);
  await r.until((text) => text.includes('"Data"'));
  t.equal((await c.post('/_mock/reset')).status, 200);
  await r.ended;
  t.equal(openFsStreams(c.mock.app), 0, 'a reset ends open streams');

  const id2 = await running(c, job('web2'));
  const k = await follow(port, `/v1/client/fs/stream/${id2}?path=alloc/logs/app.stdout.0`);
  await k.until((text) => text.includes('"Data"'));
  t.equal((await c.del('/v1/job/web2')).status, 200);
  await c.advance(1000);
  await k.ended;
  t.equal(openFsStreams(c.mock.app), 0, 'a killed task ends the stream of its log');
});

t.test('errors: Nomad\'s texts and codes', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const id = await running(c, job('web'));
  const abs = `/opt/nomad/data/alloc/${id}`;
  const cases: [string, number, string][] = [
    ['/v1/client/fs/ls/', 400, 'must provide a valid alloc id'],
    ['/v1/client/fs/nope/x', 404, 'Invalid method'],
    ['/v1/client/fs/ls', 404, 'Invalid method'],
    ['/v1/client/fs/ls/0000?path=/', 404, 'Unknown allocation "0000"'],
    [`/v1/client/fs/ls/${id.slice(0, 8)}`, 404, `Unknown allocation "${id.slice(0, 8)}"`],
    [`/v1/client/fs/stat/${id}`, 400, 'must provide a file name'],
    [`/v1/client/fs/cat/${id}`, 400, 'must provide a file name'],
    [`/v1/client/fs/stream/${id}`, 400, 'must provide a file name'],
    [`/v1/client/fs/readat/${id}?path=x`, 500, 'error parsing offset: strconv.ParseInt: parsing "": invalid syntax'],
    [`/v1/client/fs/readat/${id}?path=x&offset=1&limit=ten`, 500, 'error parsing limit: strconv.ParseInt: parsing "ten": invalid syntax'],
    [`/v1/client/fs/readat/${id}?path=x&offset=99999999999999999999`, 500, 'error parsing offset: strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    [`/v1/client/fs/stream/${id}?path=x&follow=maybe`, 500, 'failed to parse follow field to boolean: strconv.ParseBool: parsing "maybe": invalid syntax'],
    [`/v1/client/fs/stream/${id}?path=x&offset=z`, 500, 'error parsing offset: strconv.ParseInt: parsing "z": invalid syntax'],
    // strconv.Quote's own escapes: \a for BEL, \u0085 for a control character beyond ASCII.
    [`/v1/client/fs/stream/${id}?path=x&offset=%07%C2%85`, 500, 'error parsing offset: strconv.ParseInt: parsing "\\a\\u0085": invalid syntax'],
    [`/v1/client/fs/stream/${id}?path=x&origin=middle`, 400, 'origin must be start or end'],
    [`/v1/client/fs/logs/${id}?type=stdout`, 400, 'must provide task name'],
    [`/v1/client/fs/logs/${id}?task=app&follow=x&type=stdout`, 400, 'failed to parse follow field to boolean: strconv.ParseBool: parsing "x": invalid syntax'],
    [`/v1/client/fs/logs/${id}?task=app&plain=2&type=stdout`, 400, 'failed to parse plain field to boolean: strconv.ParseBool: parsing "2": invalid syntax'],
    [`/v1/client/fs/logs/${id}?task=app`, 400, 'must provide log type (stdout/stderr)'],
    [`/v1/client/fs/logs/${id}?task=app&type=stdin`, 400, 'must provide log type (stdout/stderr)'],
    [`/v1/client/fs/logs/${id}?task=app&type=stdout&offset=1.5`, 400, 'error parsing offset: strconv.ParseInt: parsing "1.5": invalid syntax'],
    [`/v1/client/fs/logs/${id}?task=app&type=stdout&origin=top`, 400, 'origin must be start or end'],
    [`/v1/client/fs/logs/${id}?task=db&type=stdout`, 400, 'unknown task name "db"'],
    [`/v1/client/fs/logs/nope?task=app&type=stdout`, 404, 'Unknown allocation "nope"'],
    [`/v1/client/fs/stat/${id}?path=nope`, 404, `stat ${abs}/nope: no such file or directory`],
    [`/v1/client/fs/ls/${id}?path=alloc/nope`, 404, `open ${abs}/alloc/nope: no such file or directory`],
    [`/v1/client/fs/ls/${id}?path=alloc/logs/app.stdout.0`, 500, `readdirent ${abs}/alloc/logs/app.stdout.0: not a directory`],
    [`/v1/client/fs/stat/${id}?path=alloc/logs/app.stdout.0/x`, 500, `stat ${abs}/alloc/logs/app.stdout.0/x: not a directory`],
    [`/v1/client/fs/ls/${id}?path=../other`, 500, 'Path escapes the alloc directory'],
    [`/v1/client/fs/stat/${id}?path=alloc/../../x`, 500, 'Path escapes the alloc directory'],
    [`/v1/client/fs/cat/${id}?path=..%2F..%2Fetc%2Fpasswd`, 400, 'Path escapes the alloc directory'],
    [`/v1/client/fs/cat/${id}?path=nope`, 400, `stat ${abs}/nope: no such file or directory`],
    [`/v1/client/fs/cat/${id}?path=alloc/logs`, 400, 'file "alloc/logs" is a directory'],
    [`/v1/client/fs/stream/${id}?path=app/local&follow=false`, 400, 'file "app/local" is a directory'],
    [`/v1/client/fs/readat/${id}?path=alloc/logs/app.stdout.0&offset=-1`, 500, `can't seek to offset '\uFFFD': seek ${abs}/alloc/logs/app.stdout.0: invalid argument`],
  ];
  for (const [url, status, text] of cases) {
    const res = await c.get(url);
    t.equal(res.status, status, url);
    t.equal(res.body, text, url);
  }
  // Any method: FsRequest checks none.
  t.equal((await c.post(`/v1/client/fs/cat/${id}?path=alloc/logs/app.stderr.0`)).body, 'warn\n');
});

t.test('logs of a task not started yet, and with logging disabled, are 404s', async (t) => {
  const c = await sim();
  t.teardown(c.close);
  const id = await running(c, job('web', {}, { LogConfig: { Disabled: true, MaxFiles: 10, MaxFileSizeMB: 10 } }));
  const res = await c.get(`/v1/client/fs/logs/${id}?task=app&type=stdout`);
  t.equal(res.status, 404);
  t.equal(res.body, 'log entry for task "app" and log type "stdout" not found');
  t.same(((await c.get(`/v1/client/fs/ls/${id}?path=alloc/logs`)).json as Obj[]).map((e) => e.Name), ['side.stderr.0', 'side.stdout.0']);

  const j = job('slow', { start_block_for: '1m' });
  await c.register(j);
  let alloc: Obj | undefined;
  for (let i = 0; i < 20 && !alloc?.TaskStates; i++) {
    await c.advance(100);
    alloc = ((await c.get('/v1/job/slow/allocations')).json as Obj[])[0];
  }
  const early = await c.get(`/v1/client/fs/logs/${alloc!.ID}?task=app&type=stdout`);
  t.equal(early.status, 404);
  t.equal(early.body, 'task "app" not started yet. No logs available');
});

t.test('ACLs: read-fs for files, read-fs or read-logs for logs, in the allocation\'s namespace', async (t) => {
  const c = await sim(true);
  t.teardown(c.close);
  const acl = await aclSession(c);
  const id = await running(c, job('web'), acl.mgmt);
  const logsOnly = await acl.token('logs', 'namespace "default" { capabilities = ["read-logs"] }');
  const fsOnly = await acl.token('fs', 'namespace "default" { capabilities = ["read-fs"] }');
  const other = await acl.token('other', 'namespace "other" { capabilities = ["read-fs", "read-logs"] }');
  const logs = `/v1/client/fs/logs/${id}?task=app&type=stdout&plain=true`;
  const cat = `/v1/client/fs/cat/${id}?path=alloc/logs/app.stdout.0`;
  t.equal((await acl.as(logsOnly, 'GET', logs)).body, LINE);
  t.equal((await acl.as(fsOnly, 'GET', logs)).body, LINE);
  t.equal((await acl.as(fsOnly, 'GET', cat)).body, LINE);
  for (const [token, url] of [[logsOnly, cat], [other, logs], [null, `/v1/client/fs/ls/${id}`]] as const) {
    const res = await acl.as(token, 'GET', url);
    t.equal(res.status, 403, url);
    t.equal(res.body, 'Permission denied');
  }
  const unknown = await acl.as(null, 'GET', '/v1/client/fs/ls/nope');
  t.equal(unknown.status, 404, 'an unknown allocation is reported before any token is checked');
  t.equal((await acl.as(null, 'GET', `/v1/client/fs/logs/${id}?type=stdout`)).body, 'must provide task name', 'the agent\'s own checks come first');
});
