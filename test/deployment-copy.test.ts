// The simulator copies deployments and their group states field by field (src/sim/deployment-copy.ts)
// instead of spreading them: the copy must be the record a spread gives, key order included, whatever
// shape the record comes in (the simulator's own, an older data dir's, one with fields added).
import t, { type Test } from 'tap';
import { copyGroupState, deploymentWithGroups, groupsWith } from '../src/sim/deployment-copy.js';

const state = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  AutoRevert: false, AutoPromote: false, ProgressDeadline: 600e9, RequireProgressBy: '2026-12-06T19:00:00Z', Promoted: false,
  PlacedCanaries: null, DesiredCanaries: 0, DesiredTotal: 2, PlacedAllocs: 2, HealthyAllocs: 1, UnhealthyAllocs: 0, ...extra,
});
const deployment = (groups: Record<string, unknown>): Record<string, unknown> => ({
  ID: 'd1', Namespace: 'default', JobID: 'web', JobVersion: 3, JobModifyIndex: 40, JobSpecModifyIndex: 40, JobCreateIndex: 7,
  IsMultiregion: false, TaskGroups: groups, Status: 'running', StatusDescription: 'Deployment is running', EvalPriority: 50,
  CreateIndex: 41, ModifyIndex: 45, CreateTime: 1.7e18, ModifyTime: 1.7e18 + 5,
});
const same = (t: Test, a: unknown, b: unknown, what: string): void => {
  t.equal(JSON.stringify(a), JSON.stringify(b), what);
};

t.test('a deployment copy with new groups is the spread, for the simulator\'s shape and any other', async (t) => {
  const groups = { web: state() };
  const next = { web: state({ HealthyAllocs: 2 }) };
  const d = deployment(groups);
  same(t, deploymentWithGroups(d, next), { ...d, TaskGroups: next }, 'simulator shape');
  t.equal(d.TaskGroups, groups, 'the original keeps its groups');
  const reordered = { Status: 'running', ...deployment(groups) };
  same(t, deploymentWithGroups(reordered, next), { ...reordered, TaskGroups: next }, 'another key order');
  const extra = { ...deployment(groups), Extra: { a: 1 } };
  same(t, deploymentWithGroups(extra, next), { ...extra, TaskGroups: next }, 'an extra field');
  const { EvalPriority: _, ...fewer } = deployment(groups);
  same(t, deploymentWithGroups(fewer, next), { ...fewer, TaskGroups: next }, 'a missing field');
});

t.test('a group state copy is the spread and changes apart from the original', async (t) => {
  const s = state();
  const c = copyGroupState(s);
  same(t, c, { ...s }, 'simulator shape');
  c.HealthyAllocs = 2;
  t.equal(s.HealthyAllocs, 1, 'the original is untouched');
  const odd = state({ Extra: true });
  same(t, copyGroupState(odd), { ...odd }, 'an extra field');
  const { Promoted: _, ...fewer } = state();
  same(t, copyGroupState(fewer), { ...fewer }, 'a missing field');
});

t.test('one group replaced keeps the groups\' order; a new one goes last; odd names stay fields', async (t) => {
  const a = state();
  const b = state({ DesiredTotal: 5 });
  const n = state({ HealthyAllocs: 9 });
  const groups = { api: a, web: b, '10': a };
  same(t, groupsWith(groups, 'web', n), { ...groups, web: n }, 'replaced in place');
  same(t, groupsWith(groups, 'db', n), { ...groups, db: n }, 'a new group');
  const proto = JSON.parse('{"__proto__": {"HealthyAllocs": 0}, "web": {}}') as Record<string, unknown>;
  const out = groupsWith(proto, '__proto__', n);
  same(t, out, { ...proto, ['__proto__']: n }, 'a group named __proto__ is a field of the copy');
  t.equal(Object.getPrototypeOf(out), Object.prototype);
  same(t, groupsWith(proto, 'web', n), { ...proto, web: n }, 'beside a group named __proto__');
});
