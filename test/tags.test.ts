// Version tags: name a version, keep it from pruning, diff against it, remove it.
import t from 'tap';
import { client, minimalJob } from './helpers.js';

t.test('tagging a version names it and survives version pruning', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web', { Meta: { v: '0' } }));
  const tagged = await c.put('/v1/job/web/versions/golden/tag', { Version: 0, Description: 'known good' });
  t.equal(tagged.status, 200);
  t.match(tagged.json, { Name: 'golden', Description: 'known good', Index: tagged.json.Index, KnownLeader: false, NextToken: '' });
  t.ok(tagged.json.TaggedTime > 0);
  t.equal(tagged.headers['x-nomad-index'], undefined, 'the tag route sets no index header');
  const jobsIndex = c.mock.store.tableIndex('jobs');
  const job = (await c.get('/v1/job/web')).json;
  t.match(job.VersionTag, { Name: 'golden', Description: 'known good' });
  t.equal(job.ModifyIndex, tagged.json.Index, 'tagging the latest version rewrites the job row');
  t.ok(jobsIndex < tagged.json.Index, 'but does not move the jobs table index');

  for (let v = 1; v <= 7; v++) await c.register(minimalJob('web', { Meta: { v: String(v) } }));
  const versions = (await c.get('/v1/job/web/versions')).json.Versions.map((j: { Version: number }) => j.Version);
  t.same(versions, [7, 6, 5, 4, 3, 2, 0], 'six untagged versions plus the tagged one');
  const diff = await c.get('/v1/job/web/versions?diffs=true&diff_tag=golden');
  t.equal(diff.status, 200);
  t.equal(diff.json.Diffs.length, 7);
  t.equal(diff.json.Diffs[6].Type, 'None', 'the target against itself');

  const untag = await c.del('/v1/job/web/versions/golden/tag');
  t.equal(untag.status, 200);
  t.match(untag.json, { Name: '', Description: '', TaggedTime: 0 });
  t.equal((await c.get('/v1/job/web/versions?diffs=true&diff_tag=golden')).body, 'tag "golden" not found');
});

t.test('tag errors', async (t) => {
  const c = await client();
  t.teardown(c.close);
  await c.register(minimalJob('web'));
  await c.register(minimalJob('web', { Priority: 60 }));
  t.equal((await c.put('/v1/job/web/versions/a/tag', { Version: 5 })).status, 500);
  await c.put('/v1/job/web/versions/a/tag', { Version: 0 });
  const taken = await c.put('/v1/job/web/versions/a/tag', { Version: 1 });
  t.equal(taken.status, 500);
  t.equal(taken.body, 'tag "a" already exists on a different version of job "web"');
  t.equal((await c.get('/v1/job/web/versions/a/tag')).status, 405);
  const bad = await c.put('/v1/job/web/x/y/z/tag', { Version: 0 });
  t.equal(bad.status, 404);
  t.equal(bad.body, 'invalid job tag endpoint');
});
