// nomad-mock inside a Node test: start it on a free port, point the code under test at its URL,
// move simulated time by hand, and close it. Run: node examples/in-process.mjs
import assert from 'node:assert/strict';
import { createMockNomad } from 'nomad-mock';

// A manual clock moves only when told: every step below is deterministic.
const nomad = await createMockNomad({ clock: 'manual', seed: 'example' });
const api = async (path, method = 'GET', body) => {
  const res = await fetch(nomad.url + path, { method, body: body && JSON.stringify(body) });
  return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? await res.json() : await res.text() };
};

try {
  const job = {
    ID: 'report',
    Type: 'batch',
    TaskGroups: [{ Name: 'report', Tasks: [{ Name: 'main', Driver: 'mock_driver', Config: { run_for: '30s' } }] }],
  };
  assert.equal((await api('/v1/jobs', 'PUT', { Job: job })).status, 200);

  await nomad.control.advance(1_000); // the scheduler places it, the simulated client starts it
  let allocs = (await api('/v1/job/report/allocations')).body;
  assert.equal(allocs.length, 1);
  assert.equal(allocs[0].ClientStatus, 'running');

  await nomad.control.advance(30_000); // run_for has passed: the task exits 0
  allocs = (await api('/v1/job/report/allocations')).body;
  assert.equal(allocs[0].ClientStatus, 'complete');
  assert.equal((await api('/v1/job/report')).body.Status, 'dead');

  // Faults make the next matching call fail, as an unhealthy cluster would.
  nomad.control.faults.add({ Path: '/v1/jobs', Status: 500, Body: 'rpc error: no leader' });
  assert.deepEqual(await api('/v1/jobs'), { status: 500, body: 'rpc error: no leader' });

  // A reset gives what a fresh start gives, between two tests of a suite.
  nomad.control.reset();
  assert.deepEqual((await api('/v1/jobs')).body, []);
  console.log('in-process example: ok');
} finally {
  await nomad.close();
}
