// A first job, over plain HTTP as any client speaks to Nomad: a namespace, a service job, waiting
// for it to run with a blocking query, then stop and purge. Against a running server:
//   NOMAD_ADDR=http://127.0.0.1:4646 node examples/first-job.mjs
// Without NOMAD_ADDR it starts its own nomad-mock in-process.
import assert from 'node:assert/strict';
import { createMockNomad } from 'nomad-mock';

const own = process.env.NOMAD_ADDR ? null : await createMockNomad();
const addr = process.env.NOMAD_ADDR ?? own.url;
const api = async (path, method = 'GET', body) => {
  const res = await fetch(addr + path, { method, body: body && JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, index: Number(res.headers.get('x-nomad-index')), body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
};

try {
  const job = {
    ID: 'web',
    Namespace: 'team-a',
    Datacenters: ['*'],
    TaskGroups: [{ Name: 'frontend', Count: 2, Tasks: [{ Name: 'nginx', Driver: 'docker', Config: { image: 'nginx:1.27' }, Resources: { CPU: 100, MemoryMB: 64 } }] }],
  };

  // As in Nomad, a namespace must exist before a job can be registered into it.
  const refused = await api('/v1/jobs', 'PUT', { Job: job });
  assert.notEqual(refused.status, 200);
  assert.match(refused.body, /nonexistent namespace "team-a"/);
  assert.equal((await api('/v1/namespace/team-a', 'PUT', { Name: 'team-a', Description: 'example' })).status, 200);

  const registered = await api('/v1/jobs', 'PUT', { Job: job });
  assert.equal(registered.status, 200);
  console.log('registered, evaluation', registered.body.EvalID);

  // A blocking query answers when the allocations change (or after `wait`): no polling loop.
  let index = 0;
  let running = 0;
  while (running < 2) {
    const allocs = await api(`/v1/job/web/allocations?namespace=team-a&index=${index}&wait=5s`);
    index = allocs.index;
    running = allocs.body.filter((a) => a.ClientStatus === 'running').length;
    console.log(`index ${index}: ${running} of 2 allocations running`);
  }

  const summary = (await api('/v1/job/web/summary?namespace=team-a')).body;
  assert.equal(summary.Summary.frontend.Running, 2);

  // Stop keeps the job (Status "dead", Stop true); purge removes it.
  assert.equal((await api('/v1/job/web?namespace=team-a', 'DELETE')).status, 200);
  assert.equal((await api('/v1/job/web?namespace=team-a')).body.Stop, true);
  assert.equal((await api('/v1/job/web?namespace=team-a&purge=true', 'DELETE')).status, 200);
  assert.equal((await api('/v1/job/web?namespace=team-a')).status, 404);
  console.log('first-job example: ok');
} finally {
  await own?.close();
}
