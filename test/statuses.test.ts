// `GET|POST /v1/jobs/statuses` (http-semantics §1.3, §2.4, §2.5, §4.2, §5.3, §6.13; Nomad's
// command/agent/job_endpoint_statuses.go and nomad/job_endpoint_statuses.go): per-job allocs,
// latest deployment and child statuses, newest ModifyIndex first, ModifyIndex page tokens, the body
// form naming jobs, and a blocking index taken from the page's own jobs.
import t, { type Test } from 'tap';
import { client, index, minimalJob, waitFor, type Client } from './helpers.js';
import { jobKey } from '../state/store.js';
import type { Job, Obj } from '../state/types.js';

const TEXT = 'text/plain; charset=utf-8';

async function simulated(t: Test): Promise<Client> {
  const c = await client({ simulate: true, config: { clock: 'manual' } });
  t.teardown(c.close);
  return c;
}

const service = (id: string, count: number, extra: Obj = {}): Obj =>
  minimalJob(id, {
    TaskGroups: [{ Name: 'web', Count: count, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }] }],
    ...extra,
  });

const ids = (body: { ID: string }[]): string[] => body.map((j) => j.ID);

/**
 * Dispatch and periodic force are other routes; a child row is put in the store the way Nomad's
 * derive/dispatch would leave it (ParentID set, no Periodic block), in one write of its own.
 */
function putChild(c: Client, parentId: string, childId: string, status: string): Job {
  const store = c.mock.store;
  const parent = store.jobs.get(jobKey('default', parentId))!;
  return store.write((tx) => {
    const child: Job = {
      ...parent,
      ID: childId,
      Name: childId,
      ParentID: parentId,
      Periodic: null,
      Status: status,
      Version: 0,
      CreateIndex: tx.index,
      ModifyIndex: tx.index,
      JobModifyIndex: tx.index,
    };
    store.jobs.set(jobKey('default', childId), child);
    tx.touch('jobs');
    return child;
  });
}

t.test('a service job: allocs, deployment, status and the page index (§6.13, §4.2)', async (t) => {
  const c = await simulated(t);
  t.equal((await c.register(service('web', 2))).status, 200);
  await c.mock.clock.settle();
  await c.mock.clock.advance(1000);

  const res = await c.get('/v1/jobs/statuses');
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'application/json');
  t.equal(res.headers['x-nomad-knownleader'], 'true');
  t.equal(res.headers['x-nomad-lastcontact'], '0');
  t.equal(res.headers['x-nomad-nexttoken'], undefined, 'no next token without paging');
  t.equal(res.json.length, 1);
  const st = res.json[0];
  t.same(Object.keys(st), [
    'ID', 'Namespace', 'Name', 'Type', 'NodePool', 'Datacenters', 'Priority', 'Version', 'SubmitTime', 'ModifyIndex',
    'Allocs', 'GroupCountSum', 'ChildStatuses', 'ParentID', 'LatestDeployment', 'Stop', 'IsPack', 'Status',
  ], 'JobStatusesJob fields in declaration order');

  const job = (await c.get('/v1/job/web')).json;
  t.match(st, {
    ID: 'web', Namespace: 'default', Name: 'web', Type: 'service', NodePool: 'default', Datacenters: ['*'], Priority: 50,
    Version: 0, SubmitTime: job.SubmitTime, ModifyIndex: job.ModifyIndex, GroupCountSum: 2, ChildStatuses: null,
    ParentID: '', Stop: false, IsPack: false, Status: 'running',
  });

  const allocs = (await c.get('/v1/job/web/allocations')).json as Obj[];
  t.equal(st.Allocs.length, 2);
  t.same(ids(st.Allocs), allocs.map((a) => a.ID).sort(), 'allocs in ID order');
  for (const a of st.Allocs) {
    t.same(Object.keys(a), ['ID', 'Group', 'ClientStatus', 'NodeID', 'DeploymentStatus', 'JobVersion', 'FollowupEvalID', 'HasPausedTask']);
    const full = allocs.find((x) => x.ID === a.ID)!;
    t.match(a, { Group: 'web', ClientStatus: 'running', NodeID: full.NodeID, JobVersion: 0, FollowupEvalID: '', HasPausedTask: false });
    t.same(a.DeploymentStatus, { Canary: false, Healthy: null }, 'health not reported yet');
  }

  const dep = (await c.get('/v1/job/web/deployment')).json;
  t.same(st.LatestDeployment, {
    ID: dep.ID, IsActive: true, JobVersion: 0, Status: 'running', StatusDescription: 'Deployment is running',
    AllAutoPromote: true, RequiresPromotion: false,
  });
  const highest = Math.max(job.ModifyIndex, dep.ModifyIndex, ...allocs.map((a) => a.ModifyIndex as number));
  t.equal(index(res), highest, 'index = highest job/alloc/deployment index on the page');

  // Once healthy, the deployment completes.
  await c.mock.clock.advance(30_000);
  const done = (await c.get('/v1/jobs/statuses')).json[0];
  for (const a of done.Allocs) t.same(a.DeploymentStatus, { Canary: false, Healthy: true });
  t.match(done.LatestDeployment, { IsActive: false, Status: 'successful', StatusDescription: 'Deployment completed successfully', AllAutoPromote: false });
});

t.test('canary update: allocs of every version, RequiresPromotion, and a job with no allocs (§6.13)', async (t) => {
  const c = await simulated(t);
  const job = (v: string): Obj =>
    minimalJob('web', {
      Meta: { v },
      TaskGroups: [{
        Name: 'web', Count: 2, Update: { Canary: 1, MinHealthyTime: 1e9, HealthyDeadline: 60e9 },
        Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx:1.27' } }],
      }],
    });
  await c.register(job('1'));
  await c.mock.clock.settle();
  await c.mock.clock.advance(30_000);
  await c.register(job('2'));
  await c.mock.clock.settle();
  await c.mock.clock.advance(30_000);

  const st = (await c.get('/v1/jobs/statuses')).json[0];
  t.equal(st.Version, 1);
  t.same(st.Allocs.map((a: Obj) => a.JobVersion).sort(), [0, 0, 1], 'old and new version allocs both listed');
  const canary = st.Allocs.find((a: Obj) => a.JobVersion === 1);
  t.same(canary.DeploymentStatus, { Canary: true, Healthy: true });
  t.match(st.LatestDeployment, {
    IsActive: true, JobVersion: 1, Status: 'running', StatusDescription: 'Deployment is running but requires manual promotion',
    AllAutoPromote: false, RequiresPromotion: true,
  });

  // A job that was not scheduled yet: Allocs is null (a nil slice), no deployment.
  const fresh = await client({ simulate: false });
  t.teardown(fresh.close);
  await fresh.register(service('idle', 3));
  const idle = (await fresh.get('/v1/jobs/statuses')).json[0];
  t.match(idle, { ID: 'idle', Allocs: null, LatestDeployment: null, GroupCountSum: 3, Status: 'pending' });
});

t.test('periodic and parameterized parents: ChildStatuses, IsPack, children only on request (§2.5, §6.13)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('cron', { Type: 'batch', Periodic: { Spec: '*/5 * * * *' }, Meta: { 'pack.name': 'cron-pack' } }));
  await c.register(minimalJob('param', { Type: 'batch', ParameterizedJob: {} }));
  await c.register(service('web', 1));

  let res = await c.get('/v1/jobs/statuses');
  t.same(ids(res.json), ['web', 'param', 'cron']);
  const byId = (body: Obj[], id: string): Obj => body.find((j) => j.ID === id)!;
  t.match(byId(res.json, 'cron'), { ChildStatuses: [], Allocs: null, LatestDeployment: null, IsPack: true, Status: 'running', GroupCountSum: 1 });
  t.match(byId(res.json, 'param'), { ChildStatuses: [], Allocs: null, LatestDeployment: null, IsPack: false, Status: 'running' });
  t.equal(byId(res.json, 'web').ChildStatuses, null, 'ordinary jobs have null ChildStatuses');

  const c1 = putChild(c, 'cron', 'cron/periodic-1700000000', 'dead');
  const c2 = putChild(c, 'cron', 'cron/periodic-1700000300', 'running');
  putChild(c, 'param', 'param/dispatch-1700000000-abcd1234', 'pending');

  res = await c.get('/v1/jobs/statuses');
  t.same(ids(res.json), ['web', 'param', 'cron'], 'children are excluded by default');
  t.same(byId(res.json, 'cron').ChildStatuses, ['dead', 'running'], 'child statuses by child ID');
  t.same(byId(res.json, 'param').ChildStatuses, ['pending']);
  t.equal(index(res), c.mock.store.tableIndex('jobs'), "children's ModifyIndex counts toward the page index");
  t.ok(c2.ModifyIndex > c1.ModifyIndex);

  res = await c.get('/v1/jobs/statuses?include_children=true');
  t.same(ids(res.json), ['param/dispatch-1700000000-abcd1234', 'cron/periodic-1700000300', 'cron/periodic-1700000000', 'web', 'param', 'cron']);
  t.match(byId(res.json, 'cron/periodic-1700000000'), { ParentID: 'cron', ChildStatuses: null, Status: 'dead', IsPack: true });

  t.same(ids((await c.get('/v1/jobs/statuses?include_children=0')).json), ['web', 'param', 'cron'], 'Go ParseBool: 0 is false');
  t.same(ids((await c.get('/v1/jobs/statuses?include_children=')).json), ['web', 'param', 'cron'], 'empty value = absent');

  // Body form: IncludeChildren:true turns it on; IncludeChildren:false never turns the query off.
  const jobs = [{ ID: 'cron' }, { ID: 'cron/periodic-1700000000' }];
  t.same(ids((await c.post('/v1/jobs/statuses', { Jobs: jobs })).json), ['cron']);
  t.same(ids((await c.post('/v1/jobs/statuses', { Jobs: jobs, IncludeChildren: true })).json), ['cron/periodic-1700000000', 'cron']);
  t.same(ids((await c.post('/v1/jobs/statuses?include_children=true', { Jobs: jobs, IncludeChildren: false })).json), ['cron/periodic-1700000000', 'cron']);
});

t.test('order: newest ModifyIndex first, reverse=true oldest first, updates move a job up (§6.13)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const id of ['a', 'b', 'c']) await c.register(service(id, 1));
  t.same(ids((await c.get('/v1/jobs/statuses')).json), ['c', 'b', 'a']);
  t.same(ids((await c.get('/v1/jobs/statuses?reverse=true')).json), ['a', 'b', 'c']);
  t.same(ids((await c.get('/v1/jobs/statuses?reverse=TRUE')).json), ['c', 'b', 'a'], 'only the exact string true reverses');
  await c.register(service('a', 2));
  t.same(ids((await c.get('/v1/jobs/statuses')).json), ['a', 'c', 'b'], 'a modified job moves to the front');
  t.same(ids((await c.get('/v1/jobs/statuses?filter=' + encodeURIComponent('ID != "c"'))).json), ['a', 'b'], 'filter on the Job');
});

t.test('pagination: per_page, ModifyIndex tokens in X-Nomad-Nexttoken, next_token (§6.13, §8.4)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const mi: Record<string, number> = {};
  for (const id of ['a', 'b', 'c', 'd', 'e']) mi[id] = (await c.register(service(id, 1))).json.JobModifyIndex;

  let res = await c.get('/v1/jobs/statuses?per_page=2');
  t.same(ids(res.json), ['e', 'd']);
  t.equal(res.headers['x-nomad-nexttoken'], String(mi.c), 'token = ModifyIndex of the first job of the next page');
  res = await c.get(`/v1/jobs/statuses?per_page=2&next_token=${mi.c}`);
  t.same(ids(res.json), ['c', 'b']);
  t.equal(res.headers['x-nomad-nexttoken'], String(mi.a));
  res = await c.get(`/v1/jobs/statuses?per_page=2&next_token=${mi.a}`);
  t.same(ids(res.json), ['a']);
  t.equal(res.headers['x-nomad-nexttoken'], undefined, 'no token on the last page');

  res = await c.get('/v1/jobs/statuses?per_page=3&reverse=true');
  t.same(ids(res.json), ['a', 'b', 'c']);
  t.equal(res.headers['x-nomad-nexttoken'], String(mi.d));
  res = await c.get(`/v1/jobs/statuses?per_page=3&reverse=true&next_token=${mi.d}`);
  t.same(ids(res.json), ['d', 'e']);

  // A token that is not a number counts as 0: nothing is at or below it newest-first, everything oldest-first.
  t.same((await c.get('/v1/jobs/statuses?next_token=abc')).json, []);
  t.same(ids((await c.get('/v1/jobs/statuses?next_token=abc&reverse=true')).json), ['a', 'b', 'c', 'd', 'e']);

  res = await c.get('/v1/jobs/statuses?per_page=-1');
  t.same(res.json, [], 'negative per_page: empty page');
  t.equal(res.headers['x-nomad-nexttoken'], String(mi.e), '… with the first job as the token');
  t.equal(index((await c.get('/v1/jobs/statuses?per_page=2'))), mi.e, 'index from the page only');
  t.equal(index((await c.get(`/v1/jobs/statuses?per_page=2&next_token=${mi.b}`))), mi.b, 'index of an older page is lower');
});

t.test('tokens compare as numbers, not as strings', async (t) => {
  const c = await client();
  t.teardown(c.close);
  const mi: [string, number][] = [];
  for (let i = 0; i < 12; i++) mi.push([`j${i}`, (await c.register(service(`j${i}`, 1))).json.JobModifyIndex]);
  const at = mi.find(([, m]) => m >= 10)!;
  t.ok(mi.some(([, m]) => m < 10), 'single- and double-digit indexes both present');
  const res = await c.get(`/v1/jobs/statuses?reverse=true&next_token=${at[1]}`);
  t.same(ids(res.json), mi.filter(([, m]) => m >= at[1]).map(([id]) => id));
  const newest = await c.get(`/v1/jobs/statuses?next_token=${at[1]}`);
  t.same(ids(newest.json), mi.filter(([, m]) => m <= at[1]).map(([id]) => id).reverse());
});

t.test('namespaces: default, a named one, *, and the body narrowing (§2.4)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  t.equal((await c.post('/v1/namespace/prod', { Name: 'prod' })).status, 200);
  await c.register(service('web', 1));
  await c.register(service('api', 1, { Namespace: 'prod' }));
  await c.register(service('web', 1, { Namespace: 'prod' }));

  t.same(ids((await c.get('/v1/jobs/statuses')).json), ['web']);
  const prod = (await c.get('/v1/jobs/statuses?namespace=prod')).json;
  t.same(prod.map((j: Obj) => `${j.Namespace}/${j.ID}`), ['prod/web', 'prod/api']);
  const all = (await c.get('/v1/jobs/statuses?namespace=*')).json;
  t.same(all.map((j: Obj) => `${j.Namespace}/${j.ID}`), ['prod/web', 'prod/api', 'default/web']);
  t.same((await c.get('/v1/jobs/statuses?namespace=nope')).json, [], 'unknown namespace: empty list');

  // Body jobs: with the default namespace the search widens to all namespaces …
  let res = await c.post('/v1/jobs/statuses', { Jobs: [{ ID: 'web' }, { ID: 'api', Namespace: 'prod' }] });
  t.same(res.json.map((j: Obj) => `${j.Namespace}/${j.ID}`), ['prod/api', 'default/web']);
  // … and when every listed job shares one namespace, that namespace wins over the query.
  res = await c.post('/v1/jobs/statuses?namespace=default', { Jobs: [{ ID: 'api', Namespace: 'prod' }] });
  t.same(res.json.map((j: Obj) => `${j.Namespace}/${j.ID}`), ['prod/api']);
  res = await c.post('/v1/jobs/statuses?namespace=other', { Jobs: [{ ID: 'web', Namespace: 'prod' }] });
  t.same(res.json.map((j: Obj) => `${j.Namespace}/${j.ID}`), ['prod/web']);
  // Mixed namespaces with an explicit non-default query namespace: only that namespace is searched.
  res = await c.post('/v1/jobs/statuses?namespace=prod', { Jobs: [{ ID: 'web' }, { ID: 'api', Namespace: 'prod' }] });
  t.same(res.json.map((j: Obj) => `${j.Namespace}/${j.ID}`), ['prod/api']);
});

t.test('body form: POST and GET, listed jobs only, page size forced to the list length (§6.13)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  for (const id of ['a', 'b', 'c', 'd']) await c.register(service(id, 1));

  let res = await c.post('/v1/jobs/statuses', { Jobs: [{ ID: 'a' }, { ID: 'c', Namespace: '' }, { ID: 'missing' }] });
  t.equal(res.status, 200);
  t.same(ids(res.json), ['c', 'a'], 'listed jobs that exist, in page order');
  t.equal(res.headers['x-nomad-nexttoken'], undefined);

  res = await c.req('GET', '/v1/jobs/statuses?per_page=1', { Jobs: [{ ID: 'b' }, { ID: 'd' }] });
  t.equal(res.status, 200, 'GET takes the body too');
  t.same(ids(res.json), ['d', 'b'], 'per_page is replaced by the number of listed jobs');

  res = await c.post('/v1/jobs/statuses', { jobs: [{ id: 'b' }] });
  t.same(ids(res.json), ['b'], 'keys match case-insensitively (Go encoding/json)');

  res = await c.post('/v1/jobs/statuses');
  t.same(ids(res.json), ['d', 'c', 'b', 'a'], 'POST without a body lists everything');
});

t.test('errors: method, query parameters, body, filter (§1.3, §2.5, §5.3)', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(service('web', 1));

  for (const method of ['PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']) {
    const res = await c.req(method, '/v1/jobs/statuses');
    t.equal(res.status, 405, `${method} → 405`);
    if (method !== 'HEAD') t.equal(res.body, 'Invalid method');
    t.equal(res.headers['content-type'], TEXT);
    t.equal(res.headers.allow, undefined, 'no Allow header');
  }

  const bad = async (method: string, url: string, status: number, body: string, payload?: unknown): Promise<void> => {
    const res = await c.req(method, url, payload);
    t.equal(res.status, status, `${method} ${url}`);
    t.equal(res.body, body);
    t.equal(res.headers['content-type'], TEXT);
    t.equal(res.headers['x-nomad-index'], undefined, 'no query meta on an error');
  };
  // Query parameters are parsed before the method check.
  await bad('PUT', '/v1/jobs/statuses?per_page=x', 400, 'Expect a number for `per_page` query string parameter');
  await bad('DELETE', '/v1/jobs/statuses?wait=10', 400, 'Invalid wait time');
  await bad('PUT', '/v1/jobs/statuses?index=-1', 400, 'Invalid index');
  await bad('PUT', '/v1/jobs/statuses?stale=maybe', 400, 'Expect `true` or `false` for `stale` query string parameter');
  // include_children is parsed after the method check.
  await bad('PUT', '/v1/jobs/statuses?include_children=yes', 405, 'Invalid method');
  await bad('GET', '/v1/jobs/statuses?include_children=yes', 400,
    'Failed to parse value of "include_children" (yes) as a bool: strconv.ParseBool: parsing "yes": invalid syntax');

  await bad('POST', '/v1/jobs/statuses', 400, 'error decoding request: invalid character \'x\' looking for beginning of value', 'x');
  await bad('POST', '/v1/jobs/statuses', 400, 'error decoding request: unexpected EOF', '{"Jobs":[');
  await bad('POST', '/v1/jobs/statuses', 400,
    'error decoding request: json: cannot unmarshal string into Go struct field JobStatusesRequest.Jobs of type []api.NamespacedID', { Jobs: 'web' });
  await bad('POST', '/v1/jobs/statuses', 400, 'no jobs in request', { Jobs: [] });
  await bad('POST', '/v1/jobs/statuses', 400, 'no jobs in request', { IncludeChildren: true });
  await bad('POST', '/v1/jobs/statuses', 400, 'no jobs in request', 'null');
  await bad('POST', '/v1/jobs/statuses', 400, 'no jobs in request', '  \n');
  await bad('GET', '/v1/jobs/statuses', 400, 'no jobs in request', '{}');

  await bad('GET', '/v1/jobs/statuses?filter=' + encodeURIComponent('Type =='), 500,
    (await c.get('/v1/jobs?filter=' + encodeURIComponent('Type =='))).body);
  const listErr = await c.get('/v1/jobs?filter=' + encodeURIComponent('Type =='));
  t.equal(listErr.status, 400, '/v1/jobs answers the same text with 400');
  t.match(listErr.body, /^failed to create result paginator: failed to read filter expression: /);
  const missing = await c.get('/v1/jobs/statuses?filter=' + encodeURIComponent('Nope == 1'));
  t.equal(missing.status, 500);
  t.match(missing.body, /^failed to read result page: /);

  // The filter error comes from the RPC, after the body checks.
  await bad('POST', '/v1/jobs/statuses?filter=' + encodeURIComponent('Type =='), 400, 'no jobs in request', { Jobs: [] });
});

t.test('blocking: wakes when the page changes, not for off-page writes (§4.1, §4.2)', async (t) => {
  const c = await simulated(t);
  await c.register(service('web', 1));
  await c.mock.clock.settle();
  await c.mock.clock.advance(1000);

  const first = await c.get('/v1/jobs/statuses');
  const idx = index(first);
  t.ok(idx > 0);

  // A new job enters the page: the index moves to the jobs table index.
  const pending = c.get(`/v1/jobs/statuses?index=${idx}&wait=10s`);
  await waitFor(() => c.mock.store.watch.waiting() === 1, 'the reader to park');
  t.equal(c.mock.store.watch.waiting(), 1, 'the reader is parked');
  const reg = await c.register(service('api', 1));
  const woke = await pending;
  t.equal(woke.status, 200);
  t.same(ids(woke.json), ['api', 'web']);
  t.ok(index(woke) >= reg.json.JobModifyIndex, 'index passed the request');
  await c.mock.clock.settle();
  await c.mock.clock.advance(1000);

  // Only `web` is asked for: writes to `api` (new version, allocs, deployment) are off the page.
  const webOnly = await c.post('/v1/jobs/statuses', { Jobs: [{ ID: 'web' }] });
  const webIdx = index(webOnly);
  const started = Date.now();
  const blocked = c.req('POST', `/v1/jobs/statuses?index=${webIdx}&wait=300ms`, { Jobs: [{ ID: 'web' }] });
  await waitFor(() => c.mock.store.watch.waiting() === 1, 'the reader to park');
  await c.register(service('api', 2));
  await c.mock.clock.settle();
  await c.mock.clock.advance(1000);
  const timedOut = await blocked;
  t.equal(timedOut.status, 200, 'a timeout is not an error');
  t.equal(index(timedOut), webIdx, 'off-page writes leave the index alone');
  t.ok(Date.now() - started >= 290, 'waited until the deadline');
  t.ok(c.mock.store.tableIndex('allocs') > webIdx, 'the allocs table did move meanwhile');

  // An on-page change (web's allocs after an update) releases it.
  const onPage = c.req('POST', `/v1/jobs/statuses?index=${webIdx}&wait=10s`, { Jobs: [{ ID: 'web' }] });
  await waitFor(() => c.mock.store.watch.waiting() === 1, 'the reader to park');
  await c.register(service('web', 2));
  await c.mock.clock.settle();
  const released = await onPage;
  t.ok(index(released) > webIdx);
  t.equal(released.json[0].GroupCountSum, 2);
  t.equal(c.mock.store.watch.waiting(), 0, 'nothing left waiting');
});
