// GET /v1/agent/monitor: nomad-mock's own log lines in Nomad's stream frames, filtered by
// log_level, as hclog text or JSON, framed or plain; bad parameters get Nomad's 400s; a client that
// does not read loses lines rather than growing the server's memory.
import t from 'tap';
import { client, listening, openStream, simClient, waitFor } from './helpers.js';

const open = openStream;

/** The frames of a framed monitor stream: concatenated JSON objects. */
function frames(text: string): { Data?: string; FileEvent?: string }[] {
  if (text === '') return [];
  return text.replace(/\}\{/g, '}\n{').split('\n').map((f) => JSON.parse(f));
}
const decoded = (text: string): string => frames(text).map((f) => (f.Data ? Buffer.from(f.Data, 'base64').toString('utf8') : '')).join('');

t.test('frames carry hclog-formatted lines of nomad-mock\'s own log at the asked level', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  t.equal(c.mock.app.log.level, 'silent', 'nothing is logged while nobody monitors');
  const s = await open(port, '/v1/agent/monitor?log_level=debug');
  t.teardown(s.close);
  t.equal(s.status, 200);
  t.equal(s.headers['content-type'], 'application/json');
  t.equal(c.mock.app.log.level, 'debug', 'the monitor raised the logger to its level');
  await c.get('/v1/jobs');
  await s.until((text) => decoded(text.slice(0, text.lastIndexOf('}') + 1)).includes('GET /v1/jobs 200'));
  const complete = s.text().slice(0, s.text().lastIndexOf('}') + 1);
  const withData = frames(complete).filter((f) => f.Data);
  t.ok(withData.length > 0);
  t.ok(withData.every((f) => f.FileEvent === 'log'), 'every data frame is a "log" event');
  const line = decoded(complete).split('\n').find((l) => l.includes('GET /v1/jobs 200'))!;
  t.match(line, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[INFO\]  nomad-mock: GET \/v1\/jobs 200 [\d.]+ms: /);
  t.match(line, /path=\/v1\/jobs/);
  s.close();
  await waitFor(() => c.mock.app.log.level === 'silent', 'the server to see the monitor hang up');
  t.equal(c.mock.app.log.level, 'silent', 'the last monitor gone, the logger is quiet again');
});

t.test('plain=true and log_json=true: hclog JSON lines, unframed', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const s = await open(port, '/v1/agent/monitor?plain=true&log_json=true&log_level=INFO');
  t.teardown(s.close);
  t.equal(s.headers['content-type'], 'text/plain');
  await c.get('/v1/nodes');
  await s.until((text) => text.includes('GET /v1/nodes 200') && text.endsWith('\n'));
  const rec = s.text().split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((r) => /^GET \/v1\/nodes 200/.test(r['@message']));
  t.match(rec, { '@level': 'info', '@module': 'nomad-mock' });
  t.match(rec['@timestamp'], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
});

t.test('log_level=error hears no info lines; the logger stays at the configured level for others', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const s = await open(port, '/v1/agent/monitor?log_level=error&plain=true');
  t.teardown(s.close);
  t.equal(c.mock.app.log.level, 'error');
  await c.get('/v1/jobs');
  c.mock.app.log.error('something broke');
  await s.until((text) => text.includes('something broke'));
  t.notMatch(s.text(), /GET \/v1\/jobs 200/);
  t.match(s.text(), /\[ERROR\] nomad-mock: something broke/);
});

t.test('bad parameters get Nomad\'s 400s before anything streams', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const [query, text] of [
    ['log_level=loud', 'Unknown log level: loud'],
    ['log_json=maybe', 'Unknown option for log json: strconv.ParseBool: parsing "maybe": invalid syntax'],
    ['plain=2', 'Unknown option for plain: strconv.ParseBool: parsing "2": invalid syntax'],
    ['log_include_location=x', 'Unknown option for log_include_location: strconv.ParseBool: parsing "x": invalid syntax'],
    ['node_id=a&server_id=b', 'Cannot target node and server simultaneously'],
  ]) {
    const res = await c.get(`/v1/agent/monitor?${query}`);
    t.equal(res.status, 400, query);
    t.equal(res.body, text);
  }
});

t.test('ACLs: agent read streams, others are denied after the parameter checks', async (t) => {
  const c = await simClient({ acl: true });
  t.teardown(c.close);
  await c.mock.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (c.mock.app.server.address() as { port: number }).port;
  const mgmt = (await c.post('/v1/acl/bootstrap')).json.SecretID as string;
  const h = { 'X-Nomad-Token': mgmt };
  await c.req('PUT', '/v1/acl/policy/ar', { Name: 'ar', Rules: 'agent { policy = "read" }' }, h);
  const read = (await c.req('PUT', '/v1/acl/token', { Name: 'ar', Type: 'client', Policies: ['ar'] }, h)).json.SecretID as string;
  const anon = await c.get('/v1/agent/monitor');
  t.equal(anon.status, 403);
  t.equal(anon.body, 'Permission denied');
  t.equal((await c.get('/v1/agent/monitor?log_level=x')).body, 'Unknown log level: x', 'parameters are checked first');
  const s = await open(port, '/v1/agent/monitor', { 'X-Nomad-Token': read });
  t.teardown(s.close);
  t.equal(s.status, 200);
});

t.test('a monitor that does not read loses lines (and is told how many) instead of growing memory', async (t) => {
  const { c, port } = await listening();
  t.teardown(c.close);
  const s = await open(port, '/v1/agent/monitor?plain=true&log_level=info');
  t.teardown(s.close);
  s.pause();
  const filler = 'x'.repeat(16 * 1024);
  for (let i = 0; i < 2000; i++) c.mock.app.log.info({ i }, filler);
  c.mock.app.log.info('after the flood');
  s.resume();
  // Lines logged while the backlog drains are dropped too: repeat the marker until one gets through.
  const marker = setInterval(() => c.mock.app.log.warn('marker'), 100);
  t.teardown(() => clearInterval(marker));
  await s.until((text) => text.includes('marker'));
  clearInterval(marker);
  t.match(s.text(), /Monitor dropped \d+ logs during monitor request/);
  const delivered = s.text().split('\n').filter((l) => l.includes(filler)).length;
  t.ok(delivered < 2000, `only ${delivered} of 2000 big lines were queued for the stalled client`);
});
