// `--nomad-version`: which Nomad nomad-mock claims to be, reported wherever Nomad reports its
// version, and the rules that differ between 1.11 and 2.0 (state-semantics §0, §5.1).
import t from 'tap';
import { client, simClient, minimalJob } from './helpers.js';
import { loadConfig } from '../src/config.js';

const unplaceable = minimalJob('web', {
  TaskGroups: [{ Name: 'g', Count: 2, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' }, Resources: { CPU: 100, MemoryMB: 2000 } }] }],
});

t.test('the default claims 2.0.5 in agent self, member tags, members, node attributes and node stubs', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const self = (await c.get('/v1/agent/self')).json;
  t.equal(self.config.Version.Version, '2.0.5');
  t.equal(self.member.Tags.build, '2.0.5');
  const members = (await c.get('/v1/agent/members')).json;
  t.equal(members.Members[0].Tags.build, '2.0.5');
  const [stub] = (await c.get('/v1/nodes')).json;
  t.equal(stub.Version, '2.0.5');
  t.equal((await c.get(`/v1/node/${stub.ID}`)).json.Attributes['nomad.version'], '2.0.5');
});

t.test('--nomad-version 1.11 claims 1.11.3 everywhere; a full 1.11.x is taken as given', async (t) => {
  for (const [flag, claimed] of [['1.11', '1.11.3'], ['1.11.1', '1.11.1'], ['2.0.2', '2.0.2']] as const) {
    const c = await simClient({ nomadVersion: (loadConfig(['--nomad-version', flag], {}) as { nomadVersion: string }).nomadVersion });
    const self = (await c.get('/v1/agent/self')).json;
    t.equal(self.config.Version.Version, claimed, `${flag}: agent self`);
    t.equal(self.member.Tags.build, claimed, `${flag}: member tags`);
    const [stub] = (await c.get('/v1/nodes')).json;
    t.equal(stub.Version, claimed, `${flag}: node version`);
    t.equal((await c.get(`/v1/node/${stub.ID}`)).json.Attributes['nomad.version'], claimed, `${flag}: node attribute`);
    await c.close();
  }
});

t.test('an unsupported --nomad-version is refused at start-up, naming the accepted forms', async (t) => {
  for (const bad of ['1.10', '1.10.5', '3.0.0', 'latest', '2.0.x', '']) {
    t.throws(() => loadConfig([`--nomad-version=${bad}`], {}), /unsupported Nomad version/, bad);
  }
  t.throws(() => loadConfig([], { NOMAD_MOCK_NOMAD_VERSION: '0.9' }), /unsupported Nomad version "0.9" \(one of 1\.11, 1\.11\.x, 2\.0, 2\.0\.x\)/);
});

t.test('an unplaceable service job with an active deployment: 2.0 reports running, 1.11 pending', async (t) => {
  for (const [version, status] of [['2.0.5', 'running'], ['1.11.3', 'pending']] as const) {
    const c = await simClient({ nodeMemory: 1024, nomadVersion: version });
    t.equal((await c.register(unplaceable)).status, 200);
    await c.advance(0);
    t.same((await c.get('/v1/job/web/allocations')).json, [], `${version}: nothing placed`);
    t.equal((await c.get('/v1/job/web/deployment')).json.Status, 'running', `${version}: the deployment is active`);
    const evals = (await c.get('/v1/job/web/evaluations')).json as { Status: string }[];
    t.ok(evals.some((e) => e.Status === 'blocked'), `${version}: a blocked eval waits`);
    t.equal((await c.get('/v1/job/web')).json.Status, status, `${version}: job status`);
    await c.close();
  }
});

t.test('both versions agree where the deployment rule does not decide', async (t) => {
  for (const version of ['2.0.5', '1.11.3']) {
    const c = await client({ config: { nomadVersion: version } });
    await c.register(minimalJob('web'));
    t.equal((await c.get('/v1/job/web')).json.Status, 'pending', `${version}: a new job is pending`);
    await c.close();
  }
});
