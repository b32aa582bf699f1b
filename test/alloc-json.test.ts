// Allocation JSON as Nomad 1.11 sends it (issue 14): the field lists below are written down from the
// Go source (nomad/structs/alloc.go Allocation and AllocListStub, structs.go Resources, TaskState,
// AllocNetworkStatus, DesiredTransition, AllocatedSharedResources), not from nomad-mock's output.
import t, { type Test } from 'tap';
import { client, minimalJob, simClient, streamEvents, type Client } from './helpers.js';
import type { Obj } from '../state/types.js';

/** structs.Allocation, in declaration order (SignedIdentities is `json:"-"` and stripped by Sanitize). */
const ALLOCATION_FIELDS = [
  'ID', 'Namespace', 'EvalID', 'Name', 'NodeID', 'NodeName', 'JobID', 'Job', 'TaskGroup', 'Resources',
  'SharedResources', 'TaskResources', 'AllocatedResources', 'Metrics', 'DesiredStatus', 'DesiredDescription',
  'DesiredTransition', 'ClientStatus', 'ClientDescription', 'TaskStates', 'AllocStates', 'PreviousAllocation',
  'NextAllocation', 'DeploymentID', 'DeploymentStatus', 'RescheduleTracker', 'NetworkStatus', 'FollowupEvalID',
  'PreemptedAllocations', 'PreemptedByAllocation', 'SigningKeyID', 'CreateIndex', 'ModifyIndex',
  'AllocModifyIndex', 'CreateTime', 'ModifyTime',
];

/** structs.AllocListStub: no omitempty that codecgen honours, so every field is sent. */
const STUB_FIELDS = [
  'ID', 'EvalID', 'Name', 'Namespace', 'NodeID', 'NodeName', 'JobID', 'JobType', 'JobVersion', 'TaskGroup',
  'AllocatedResources', 'DesiredStatus', 'DesiredDescription', 'ClientStatus', 'ClientDescription',
  'DesiredTransition', 'TaskStates', 'DeploymentStatus', 'FollowupEvalID', 'NextAllocation', 'RescheduleTracker',
  'PreemptedAllocations', 'PreemptedByAllocation', 'CreateIndex', 'ModifyIndex', 'CreateTime', 'ModifyTime',
];

/** structs.Resources (the type of SharedResources and of each TaskResources entry). */
const RESOURCES_FIELDS = ['CPU', 'Cores', 'MemoryMB', 'MemoryMaxMB', 'DiskMB', 'IOPS', 'Networks', 'Devices', 'NUMA', 'SecretsMB'];
const TASK_STATE_FIELDS = ['State', 'Failed', 'Restarts', 'LastRestart', 'StartedAt', 'FinishedAt', 'Events', 'Paused'];
const NETWORK_STATUS_FIELDS = ['InterfaceName', 'Address', 'AddressIPv6', 'DNS'];
const DESIRED_TRANSITION_FIELDS = ['Migrate', 'Reschedule', 'ForceReschedule', 'NoShutdownDelay', 'MigrateDisablePlacement'];
const SHARED_ALLOCATED_FIELDS = ['DiskMB', 'Networks', 'Ports'];

// Ten scenarios on a shared, loaded machine: the default 60 s per file is too tight for them.
t.setTimeout(180_000);

const sorted = (xs: string[]): string[] => [...xs].sort();

function twoGroupJob(webImage = 'nginx:1.27', opts: { bridge?: boolean } = {}): Obj {
  const network = opts.bridge
    ? [{ Mode: 'bridge', DNS: { Servers: ['10.0.0.53'] }, ReservedPorts: [{ Label: 'admin', Value: 9000 }], DynamicPorts: [{ Label: 'http', To: 8080 }, { Label: 'same', To: -1 }] }]
    : [{ Mode: 'host', DynamicPorts: [{ Label: 'http' }] }];
  return minimalJob('web', {
    TaskGroups: [
      { Name: 'web', Count: 1, Networks: network, Tasks: [{ Name: 'server', Driver: 'docker', Config: { image: webImage } }] },
      { Name: 'cache', Count: 1, Tasks: [{ Name: 'redis', Driver: 'docker', Config: { image: 'redis:7' } }] },
    ],
  });
}

async function running(t: Test, c: Client, job: Obj): Promise<Obj[]> {
  t.equal((await c.register(job)).status, 200, `${job.ID} registers`);
  await c.advance(0);
  await c.advance(12_000);
  return (await c.get(`/v1/job/${job.ID}/allocations`)).json as Obj[];
}

const full = async (c: Client, id: string): Promise<Obj> => (await c.get(`/v1/allocation/${id}`)).json as Obj;

t.test('a running alloc sends exactly the Allocation fields that are set; its stub sends every AllocListStub field', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const stubs = await running(t, c, twoGroupJob());
  const stub = stubs.find((a) => a.TaskGroup === 'cache')!;
  t.same(Object.keys(stub), STUB_FIELDS, 'stub: every field, in declaration order');
  t.same(Object.keys(stub.DesiredTransition), DESIRED_TRANSITION_FIELDS, 'the stub keeps an all-null DesiredTransition');
  t.equal(stub.AllocatedResources, null);

  const a = await full(c, stub.ID);
  for (const k of Object.keys(a)) t.ok(ALLOCATION_FIELDS.includes(k), `${k} is an Allocation field`);
  t.same(sorted(Object.keys(a)), sorted([
    'ID', 'Namespace', 'EvalID', 'Name', 'NodeID', 'NodeName', 'JobID', 'Job', 'TaskGroup', 'SharedResources',
    'TaskResources', 'AllocatedResources', 'Metrics', 'DesiredStatus', 'ClientStatus', 'ClientDescription',
    'TaskStates', 'DeploymentID', 'DeploymentStatus', 'NetworkStatus', 'SigningKeyID', 'CreateIndex',
    'ModifyIndex', 'AllocModifyIndex', 'CreateTime', 'ModifyTime',
  ]), 'zero fields (DesiredTransition included) are left out');
  t.same(Object.keys(a.TaskStates.redis), TASK_STATE_FIELDS, 'no TaskHandle in a task state');
  t.same(Object.keys(a.SharedResources), RESOURCES_FIELDS);
  t.match(a.SharedResources, { CPU: 0, MemoryMB: 0, DiskMB: 300, Networks: null, Devices: null, NUMA: null, SecretsMB: 0 });
  t.same(Object.keys(a.TaskResources.redis), RESOURCES_FIELDS);
  t.match(a.TaskResources.redis, { CPU: 100, MemoryMB: 300, MemoryMaxMB: 0, DiskMB: 0, Networks: null });
  t.same(Object.keys(a.AllocatedResources.Shared), SHARED_ALLOCATED_FIELDS);
});

t.test('SigningKeyID is the active root key the keyring endpoints report, and a rotation moves new allocs to the new key', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const [a] = await running(t, c, minimalJob('one'));
  const keys = (await c.get('/v1/operator/keyring/keys')).json as Obj[];
  const active = keys.find((k) => k.State === 'active')!;
  t.equal((await full(c, a!.ID)).SigningKeyID, active.KeyID);

  const rotated = (await c.put('/v1/operator/keyring/rotate')).json.Key.KeyID as string;
  t.not(rotated, active.KeyID);
  const later = await running(t, c, minimalJob('two'));
  t.equal((await full(c, later[0]!.ID)).SigningKeyID, rotated);
  t.equal((await full(c, a!.ID)).SigningKeyID, active.KeyID, 'an existing alloc keeps the key it was signed with');
});

t.test('NetworkStatus once the client reports: empty in host mode, the CNI address in bridge mode', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const stubs = await running(t, c, twoGroupJob('nginx:1.27', { bridge: true }));
  const bridged = await full(c, stubs.find((a) => a.TaskGroup === 'web')!.ID);
  t.same(Object.keys(bridged.NetworkStatus), NETWORK_STATUS_FIELDS);
  t.equal(bridged.NetworkStatus.InterfaceName, 'eth0');
  t.match(bridged.NetworkStatus.Address, /^172\.26\.(6[4-9]|7[0-9])\.\d{1,3}$/, 'an address of the nomad bridge subnet 172.26.64.0/20');
  t.equal(bridged.NetworkStatus.AddressIPv6, '');
  t.same(bridged.NetworkStatus.DNS, { Servers: ['10.0.0.53'], Searches: null, Options: null }, 'the group network DNS, copied by the client');
  t.same((await full(c, bridged.ID)).NetworkStatus, bridged.NetworkStatus, 'stable across reads');

  const plain = await full(c, stubs.find((a) => a.TaskGroup === 'cache')!.ID);
  t.same(plain.NetworkStatus, { InterfaceName: '', Address: '', AddressIPv6: '', DNS: null }, 'no network: an empty, non-nil status');

  const host = await simClient();
  t.teardown(host.close);
  const [h] = (await running(t, host, twoGroupJob())).filter((a) => a.TaskGroup === 'web');
  t.same((await full(host, h!.ID)).NetworkStatus, { InterfaceName: '', Address: '', AddressIPv6: '', DNS: null }, 'host mode: no CNI status');
});

t.test('SharedResources and AllocatedResources.Shared carry the group network the scheduler offered, with its ports', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const stubs = await running(t, c, twoGroupJob('nginx:1.27', { bridge: true }));
  const a = await full(c, stubs.find((s) => s.TaskGroup === 'web')!.ID);
  const node = (await c.get(`/v1/node/${a.NodeID}`)).json as Obj;
  const ip = node.Attributes['unique.network.ip-address'];
  const shared = a.AllocatedResources.Shared;
  t.equal(shared.DiskMB, 300);
  t.equal(shared.Networks.length, 1);
  const net = shared.Networks[0];
  t.match(net, { Mode: 'bridge', IP: ip, ReservedPorts: [{ Label: 'admin', Value: 9000 }] });
  const http = net.DynamicPorts.find((p: Obj) => p.Label === 'http');
  const same = net.DynamicPorts.find((p: Obj) => p.Label === 'same');
  t.ok(http.Value >= 20000 && http.Value <= 32000, 'a dynamic port from the node range');
  t.equal(http.To, 8080);
  t.equal(same.To, same.Value, 'to = -1 maps to the host port');
  t.same(shared.Ports, [
    { Label: 'admin', Value: 9000, HostIP: ip },
    { Label: 'http', Value: http.Value, To: 8080, HostIP: ip },
    { Label: 'same', Value: same.Value, To: same.Value, HostIP: ip },
  ], 'reserved ports first, then dynamic; a zero To is left out');
  t.same(a.SharedResources.Networks, shared.Networks, 'the deprecated copy has the same networks');
  t.equal(a.SharedResources.DiskMB, 300);
});

t.test('DesiredTransition: left out while all nil, sent once something is asked (stop → Migrate); always in the stub', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const [stub] = await running(t, c, minimalJob('one'));
  t.notOk('DesiredTransition' in (await full(c, stub!.ID)));
  t.equal((await c.put(`/v1/allocation/${stub!.ID}/stop`)).status, 200);
  const stopped = await full(c, stub!.ID);
  t.same(stopped.DesiredTransition, { Migrate: true, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null, MigrateDisablePlacement: null });
  const again = ((await c.get('/v1/job/one/allocations')).json as Obj[]).find((a) => a.ID === stub!.ID)!;
  t.same(again.DesiredTransition, stopped.DesiredTransition);
});

t.test('the node, event-stream and allocation reads render the same Allocation', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const [stub] = await running(t, c, minimalJob('one'));
  const a = await full(c, stub!.ID);
  const onNode = ((await c.get(`/v1/node/${a.NodeID}/allocations`)).json as Obj[]).find((x) => x.ID === a.ID)!;
  t.same(onNode, a);

  // A count the run cannot reach: the stream is read until its wait ends, after the updates.
  const events = await streamEvents(c, 'topic=Allocation&index=1', 1000, async () => {
    await c.register(minimalJob('two'));
    await c.advance(0);
    await c.advance(12_000);
  });
  const placed = events.find((e) => e.Type === 'PlanResult' && e.Payload.Allocation.JobID === 'two')?.Payload.Allocation as Obj;
  t.ok(placed, 'the placement was streamed');
  t.notOk('NetworkStatus' in placed, 'no NetworkStatus before the client has reported');
  t.equal(placed.SigningKeyID, a.SigningKeyID);
  const updated = events.filter((e) => e.Type === 'AllocationUpdated' && e.Payload.Allocation.JobID === 'two').map((e) => e.Payload.Allocation as Obj);
  t.ok(updated.length > 0, 'client updates were streamed');
  for (const p of updated) {
    t.notOk('DesiredTransition' in p, 'no zero DesiredTransition in the event payload');
    t.notOk('Job' in p, 'no job in alloc events');
    t.same(Object.keys(p.NetworkStatus), NETWORK_STATUS_FIELDS);
    t.notOk('TaskHandle' in Object.values(p.TaskStates as Obj)[0], 'no TaskHandle in the event payload');
  }
});

t.test('a snapshot restores allocations with the same JSON', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const stubs = await running(t, c, twoGroupJob('nginx:1.27', { bridge: true }));
  const before = await Promise.all(stubs.map((s) => full(c, s.ID)));
  const snap = (await c.get('/_mock/snapshot')).body;
  t.equal((await c.post('/_mock/reset')).status, 200);
  t.equal((await c.put('/_mock/restore', snap)).status, 200);
  const after = await Promise.all(stubs.map((s) => full(c, s.ID)));
  t.same(after, before);
});

t.test('Identity.ExtraClaims exists from 2.0.3 on: not in 1.11 or 2.0.2 jobs, null in 2.0.5 ones', async (t) => {
  for (const [version, present] of [['1.11', false], ['2.0.2', false], ['2.0.3', true], ['2.0.5', true]] as const) {
    const c = await client({ config: { nomadVersion: version } });
    const job = minimalJob('idjob');
    (job.TaskGroups[0].Tasks[0] as Obj).Identities = [{ Name: 'vault_default', Audience: ['vault.io'] }];
    t.equal((await c.register(job)).status, 200);
    const task = (await c.get('/v1/job/idjob')).json.TaskGroups[0].Tasks[0] as Obj;
    t.equal('ExtraClaims' in task.Identity, present, `${version}: default identity`);
    t.equal('ExtraClaims' in task.Identities[0], present, `${version}: named identity`);
    if (present) t.equal(task.Identity.ExtraClaims, null);
    await c.close();
  }
});

t.test('plan: an unchanged job ignores every alloc; one changed group updates, the other is updated in place', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  await running(t, c, twoGroupJob());
  const same = await c.post('/v1/job/web/plan', { Job: twoGroupJob(), Diff: true });
  t.equal(same.status, 200);
  t.match(same.json.Annotations.DesiredTGUpdates, {
    web: { Ignore: 1, Place: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0, Migrate: 0, Canary: 0, Preemptions: 0 },
    cache: { Ignore: 1, Place: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0, Migrate: 0, Canary: 0, Preemptions: 0 },
  });
  t.same(same.json.Diff.TaskGroups.map((g: Obj) => [g.Name, g.Updates]), [['cache', { ignore: 1 }], ['web', { ignore: 1 }]].sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1)));

  // A changed job moves JobModifyIndex: genericAllocUpdateFn ignores only allocs of the same index,
  // so the untouched group is updated in place and the changed one destructively.
  const changed = await c.post('/v1/job/web/plan', { Job: twoGroupJob('nginx:1.28'), Diff: true });
  t.match(changed.json.Annotations.DesiredTGUpdates, {
    web: { Ignore: 0, DestructiveUpdate: 1, InPlaceUpdate: 0, Place: 0, Stop: 0 },
    cache: { Ignore: 0, InPlaceUpdate: 1, DestructiveUpdate: 0, Place: 0, Stop: 0 },
  });
});

t.test('plan: a finished batch job\'s completed allocs are ignored, not placed again', async (t) => {
  const c = await simClient();
  t.teardown(c.close);
  const job = minimalJob('report', { Type: 'batch', TaskGroups: [{ Name: 'g', Count: 2, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox' } }] }] });
  await c.register(job);
  await c.advance(0);
  for (let i = 0; i < 5; i++) await c.advance(1_000);
  const allocs = (await c.get('/v1/job/report/allocations')).json as Obj[];
  t.same(allocs.map((a) => a.ClientStatus), ['complete', 'complete']);
  const plan = await c.post('/v1/job/report/plan', { Job: job });
  t.match(plan.json.Annotations.DesiredTGUpdates.g, { Ignore: 2, Place: 0, Stop: 0, InPlaceUpdate: 0, DestructiveUpdate: 0 });

  // A new version: filterOldTerminalAllocs ignores the old terminal allocs; their names are free again.
  const next = minimalJob('report', { Type: 'batch', TaskGroups: [{ Name: 'g', Count: 2, Tasks: [{ Name: 't', Driver: 'docker', Config: { image: 'busybox:2' } }] }] });
  const plan2 = await c.post('/v1/job/report/plan', { Job: next });
  t.match(plan2.json.Annotations.DesiredTGUpdates.g, { Ignore: 2, Place: 2, Stop: 0 });
});
