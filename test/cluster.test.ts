// The simulated cluster's shape from flags and the config file, and placement against it.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../src/config.js';
import { simClient, minimalJob } from './helpers.js';
import type { Obj } from '../state/types.js';

t.test('a config file replaces the generated nodes: names, datacenters, pools, classes, resources, meta', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-cfg-'));
  const file = join(dir, 'cluster.json');
  writeFileSync(
    file,
    JSON.stringify({
      nodes: [
        { name: 'edge-1', datacenter: 'edge', nodePool: 'edge', nodeClass: 'small', cpu: 2000, memoryMB: 2048, meta: { rack: 'r1' } },
        { name: 'core-1', datacenter: 'dc1', cpu: 16000, memoryMB: 65536, attributes: { 'gpu.model': 'a100' } },
      ],
    }),
  );
  const cfg = loadConfig(['--config', file, '--clock', 'manual'], {}) as Config;
  const c = await simClient(cfg);
  t.teardown(c.close);
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  t.same(nodes.map((n) => n.Name).sort(), ['core-1', 'edge-1']);
  const edge = nodes.find((n) => n.Name === 'edge-1')!;
  t.match(edge, { Datacenter: 'edge', NodePool: 'edge', NodeClass: 'small', Status: 'ready' });
  const full = (await c.get(`/v1/node/${edge.ID}`)).json;
  t.match(full, { NodeResources: { Cpu: { CpuShares: 2000 }, Memory: { MemoryMB: 2048 } }, Meta: { rack: 'r1' } });
  t.equal((await c.get('/v1/namespaces')).status, 200);

  // A job pinned to the edge pool and an attribute constraint land where they must.
  await c.register(minimalJob('edge-job', { NodePool: 'edge', Datacenters: ['edge'] }));
  await c.register(minimalJob('gpu-job', { Constraints: [{ LTarget: '${attr.gpu.model}', RTarget: 'a100', Operand: '=' }] }));
  await c.advance(0);
  const edgeAlloc = ((await c.get('/v1/job/edge-job/allocations')).json as Obj[])[0]!;
  t.equal(edgeAlloc.NodeName, 'edge-1');
  const gpuAlloc = ((await c.get('/v1/job/gpu-job/allocations')).json as Obj[])[0]!;
  t.equal(gpuAlloc.NodeName, 'core-1');
});

t.test('a bad config file is refused with its path in the message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nomad-mock-cfg-'));
  const file = join(dir, 'bad.json');
  writeFileSync(file, '{"nodes": {}}');
  t.throws(() => loadConfig(['--config', file], {}), /"nodes" must be an array/);
  writeFileSync(file, '{"nodes": [{"name": "a", "cpu": -1}]}');
  t.throws(() => loadConfig(['--config', file], {}), /nodes\[0\]: cpu must be a whole number/);
  writeFileSync(file, '{"nodes": [{"name": "a", "drivers": "docker"}]}');
  t.throws(() => loadConfig(['--config', file], {}), /nodes\[0\]: drivers must be a list of driver names/);
  writeFileSync(file, '{"nodes": [{"name": "a"}, {"name": "a"}]}');
  t.throws(() => loadConfig(['--config', file], {}), /a node named "a" is listed twice/);
  writeFileSync(file, '{"nodes": [{"name": "a", "colour": "red"}]}');
  t.throws(() => loadConfig(['--config', file], {}), /unknown field "colour"/);
  writeFileSync(file, '{nope');
  t.throws(() => loadConfig(['--config', file], {}), new RegExp(file.replace(/[/.]/g, '\\$&')));
});

t.test('--nodes and --datacenters spread nodes round robin; a job in dc2 only lands there', async (t) => {
  const c = await simClient({ nodes: 4, datacenters: 'dc1,dc2' });
  t.teardown(c.close);
  const nodes = (await c.get('/v1/nodes')).json as Obj[];
  t.same(nodes.map((n) => n.Datacenter).sort(), ['dc1', 'dc1', 'dc2', 'dc2']);
  await c.register(minimalJob('web', { Datacenters: ['dc2'], TaskGroups: [{ Name: 'web', Count: 3, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: 'nginx' } }] }] }));
  await c.advance(0);
  const allocs = (await c.get('/v1/job/web/allocations')).json as Obj[];
  const dc2 = new Set(nodes.filter((n) => n.Datacenter === 'dc2').map((n) => n.ID));
  t.equal(allocs.length, 3);
  t.ok(allocs.every((a) => dc2.has(a.NodeID)), 'every alloc on a dc2 node');
  t.equal(new Set(allocs.map((a) => a.NodeID)).size, 2, 'spread over both dc2 nodes');
});

t.test('evaluate with ForceReschedule reschedules a failed alloc whose policy is exhausted', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await c.register(
    minimalJob('once', {
      Type: 'batch',
      TaskGroups: [
        {
          Name: 'g',
          RestartPolicy: { Attempts: 0, Mode: 'fail' },
          ReschedulePolicy: { Attempts: 0, Unlimited: false },
          Tasks: [{ Name: 't', Driver: 'mock_driver', Config: { run_for: '1s', exit_code: 3 } }],
        },
      ],
    }),
  );
  await c.advance(2000);
  let allocs = (await c.get('/v1/job/once/allocations')).json as Obj[];
  t.equal(allocs.length, 1);
  t.equal(allocs[0]!.ClientStatus, 'failed');
  await c.advance(60_000);
  t.equal(((await c.get('/v1/job/once/allocations')).json as Obj[]).length, 1, 'no reschedule without attempts');
  const res = await c.post('/v1/job/once/evaluate', { JobID: 'once', EvalOptions: { ForceReschedule: true } });
  t.equal(res.status, 200);
  await c.advance(0);
  allocs = (await c.get('/v1/job/once/allocations')).json as Obj[];
  t.equal(allocs.length, 2, 'a replacement is placed');
  const failed = allocs.find((a) => a.ClientStatus === 'failed')!;
  t.match(failed, { DesiredStatus: 'stop', DesiredDescription: 'alloc was rescheduled because it failed' });
  t.equal((await c.get(`/v1/allocation/${failed.ID}`)).json.DesiredTransition.ForceReschedule, true);
});
