// IdSet (state/id-set.ts), the compact set behind each job's eval, alloc and deployment index rows:
// it must behave as the Set it replaces, whatever the sequence of adds and deletes.
import t from 'tap';
import { IdSet } from '../state/id-set.js';

t.test('random adds and deletes: the same members, size and insertion order as a Set', async (t) => {
  let seed = 7;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let round = 0; round < 200; round++) {
    const real = new Set<string>();
    const ids = new IdSet();
    for (let op = 0; op < 12; op++) {
      const id = `id-${rnd(4)}`;
      if (rnd(3) === 0) t.equal(ids.delete(id), real.delete(id), 'delete answers as Set');
      else ids.add(id), real.add(id);
      if (ids.size !== real.size || [...ids].join() !== [...real].join() || ids.has(id) !== real.has(id)) {
        t.fail(`round ${round}, op ${op}: ${[...ids].join()} vs ${[...real].join()}`);
        return;
      }
    }
  }
  t.pass('200 random sequences agree');
});

t.test('one member and none: iteration, spread, forEach, entries and clear', async (t) => {
  const ids = new IdSet(['a']);
  t.same([...ids], ['a']);
  t.same([...ids.entries()], [['a', 'a']]);
  const seen: string[] = [];
  ids.forEach((v) => seen.push(v));
  t.same(seen, ['a']);
  t.equal(ids.has('b'), false);
  t.equal(ids.delete('b'), false, 'deleting a non-member changes nothing');
  t.equal(ids.size, 1);
  ids.clear();
  t.equal(ids.size, 0);
  t.same([...ids], []);
  ids.add('b').add('c').add('b');
  t.same([...ids], ['b', 'c'], 'a second member moves it to a Set; a repeated add is no add');
  for (const id of ids) ids.delete(id);
  t.equal(ids.size, 0, 'deleting while iterating visits and removes every member');
});

t.test('a GC that leaves a job one eval or alloc holds its index row inline again', async (t) => {
  const { simClient, minimalJob } = await import('./helpers.js');
  const { reapEvals } = await import('../state/gc/reap.js');
  const { jobKey } = await import('../state/store.js');
  const c = await simClient({ nodes: 1 });
  t.teardown(c.close);
  t.equal((await c.register(minimalJob('one'))).status, 200);
  t.equal((await c.register(minimalJob('one', { Priority: 60 }))).status, 200);
  for (let i = 0; i < 15; i++) await c.advance(1000);
  const store = c.mock.store;
  const key = jobKey('default', 'one');
  const before = [...store.evalsByJob.get(key)!];
  t.ok(before.length >= 2, 'two registers gave two evals');
  const grown = store.evalsByJob.get(key) as unknown as { many?: Set<string> };
  t.ok(grown.many, 'the row grew a Set');
  reapEvals(store, before.slice(0, -1), []);
  const row = store.evalsByJob.get(key) as unknown as Iterable<string> & { many?: Set<string> };
  t.same([...row], before.slice(-1), 'the newest eval is left');
  t.equal(row.many, undefined, 'held inline, not in a Set');
  t.same(((await c.get('/v1/job/one/evaluations')).json as { ID: string }[]).map((e) => e.ID), before.slice(-1), 'the job answers its one eval');
});
