// The clock's timer queue (a heap since issue 16) fires timers in (due time, creation) order, skips
// cancelled ones, and counts what is pending, whatever the mix of delays, cancellations and timers
// armed from inside callbacks: the order every simulated answer depends on.
import t from 'tap';
import { Clock } from '../src/clock.js';

/** A small deterministic PRNG (mulberry32), so a failure names its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

for (const seed of [1, 2, 3, 4, 5]) {
  t.test(`timers fire in (due, creation) order, cancelled ones never (seed ${seed})`, async (t) => {
    const rand = rng(seed);
    const clock = new Clock({ mode: 'manual', startMs: 1_000_000 });
    const fired: number[] = [];
    const expected: { due: number; seq: number; id: number }[] = [];
    const handles: { cancel(): void; id: number }[] = [];
    let next = 0;
    let seq = 0;
    const arm = (delay: number, depth: number): void => {
      const id = next++;
      const due = clock.nowMs() + delay;
      const entry = { due, seq: seq++, id };
      expected.push(entry);
      const h = clock.after(delay, () => {
        fired.push(id);
        // Timers armed from a callback take their place in the order too.
        if (depth < 2 && rand() < 0.3) arm(Math.floor(rand() * 50), depth + 1);
      });
      handles.push({ cancel: () => h.cancel(), id });
    };
    for (let i = 0; i < 3000; i++) arm(Math.floor(rand() * 200) * (rand() < 0.2 ? 0 : 1), 0);
    const cancelled = new Set<number>();
    for (const h of handles) {
      if (rand() < 0.6) {
        h.cancel();
        cancelled.add(h.id);
      }
    }
    t.equal(clock.pending(), 3000 - cancelled.size, 'pending counts the timers not cancelled');
    await clock.advance(1_000);
    const want = expected.filter((e) => !cancelled.has(e.id)).sort((a, b) => a.due - b.due || a.seq - b.seq).map((e) => e.id);
    t.same(fired, want);
    t.equal(clock.pending(), 0);
    clock.close();
  });
}

t.test('atNs fires at its nanosecond, after every timer due then, before any due later, whatever the start', async (t) => {
  const rand = rng(7);
  let checked = 0;
  for (let i = 0; i < 500; i++) {
    // Today's unix milliseconds, whole or not (scaled mode and fractional advances make them fractional).
    const startMs = 1_700_000_000_000 + Math.floor(rand() * 1e11) + (i % 2 ? rand() : 0);
    const clock = new Clock({ mode: 'manual', startMs });
    const delay = 1 + Math.floor(rand() * 5000);
    // The instant a timer armed now in milliseconds reads as, seen from nanoseconds (as a log line's time is).
    const ns = Math.round((clock.nowMs() + delay) * 1e6);
    const fired: string[] = [];
    let readAt = 0;
    clock.atNs(ns, () => {
      fired.push('reader');
      readAt = clock.nowNs();
    });
    clock.after(delay, () => fired.push('task'));
    // A timer armed later for the same instant still comes first; one a millisecond later comes after.
    clock.after(delay, () => fired.push('task 2'));
    clock.after(delay + 1, () => fired.push('later'));
    await clock.advance(delay + 1);
    if (fired.join() !== 'task,task 2,reader,later' || readAt !== ns) {
      t.fail(`start ${startMs}, delay ${delay}: ${fired.join()}, read at ${readAt} for ${ns}`);
      clock.close();
      return;
    }
    checked++;
    clock.close();
  }
  t.equal(checked, 500, 'the reader ran after the instant\'s timers and read the instant, from every start');
});

t.test('atNs for an instant already past fires on the next turn', async (t) => {
  const clock = new Clock({ mode: 'manual', startMs: 1_796_545_519_694 });
  let fired = 0;
  clock.atNs(clock.nowNs() - 5e9, () => fired++);
  t.equal(clock.pending(), 1);
  await clock.settle();
  t.equal(fired, 1);
  clock.close();
});

t.test('a zero-delay timer fires after the timers already due at its instant, in creation order, before atNs ones', async (t) => {
  const clock = new Clock({ mode: 'manual', startMs: 1_000_000 });
  const fired: string[] = [];
  clock.after(10, () => {
    fired.push('a');
    clock.after(0, () => fired.push('zero from a'));
    clock.atNs(clock.nowNs(), () => fired.push('late from a'));
    clock.after(0, () => fired.push('cancelled')).cancel();
    clock.after(-5, () => fired.push('negative from a'));
  });
  clock.after(10, () => {
    fired.push('b');
    clock.after(0, () => fired.push('zero from b'));
  });
  clock.after(11, () => fired.push('c'));
  const zero = clock.after(0, () => fired.push('zero at start'));
  t.equal(clock.pending(), 4);
  await clock.advance(0);
  t.same(fired, ['zero at start']);
  zero.cancel();
  t.equal(clock.pending(), 3, 'a fired timer cancelled late is not counted');
  await clock.advance(20);
  t.same(fired, ['zero at start', 'a', 'b', 'zero from a', 'negative from a', 'zero from b', 'late from a', 'c']);
  t.equal(clock.pending(), 0);
});

// Zero-delay timers wait in a list of their own beside the heap (a register's hand-offs to the next
// turn); the two are merged as they fire, so the order must be the one a single queue gives.
for (const seed of [11, 12, 13]) {
  t.test(`zero-delay timers and waiting ones fire in one (due, creation) order across advances (seed ${seed})`, async (t) => {
    const rand = rng(seed);
    const clock = new Clock({ mode: 'manual', startMs: 1_000_000 });
    const fired: number[] = [];
    const expected: { due: number; seq: number; id: number }[] = [];
    const live = new Map<number, { cancel(): void }>();
    const cancelled = new Set<number>();
    let next = 0;
    const arm = (delay: number, depth: number): void => {
      const id = next++;
      expected.push({ due: clock.nowMs() + Math.max(0, delay), seq: id, id });
      live.set(id, clock.after(delay, () => {
        fired.push(id);
        live.delete(id);
        // Chains of hand-offs, and waits armed from them.
        if (depth < 4 && rand() < 0.5) arm(rand() < 0.7 ? 0 : Math.floor(rand() * 30), depth + 1);
        if (rand() < 0.1) cancelSome(0.5);
      }));
    };
    const cancelSome = (share: number): void => {
      for (const [id, h] of live) {
        if (rand() < share) {
          h.cancel();
          live.delete(id);
          cancelled.add(id);
        }
      }
    };
    for (let step = 0; step < 200; step++) {
      const n = Math.floor(rand() * 40);
      for (let i = 0; i < n; i++) arm(rand() < 0.5 ? 0 : Math.floor(rand() * 100), 0);
      if (rand() < 0.3) cancelSome(0.2);
      t.equal(clock.pending(), live.size, `pending counts what waits (step ${step})`);
      await clock.advance(rand() < 0.3 ? 0 : Math.floor(rand() * 20));
    }
    await clock.advance(1_000);
    const want = expected.filter((e) => !cancelled.has(e.id)).sort((a, b) => a.due - b.due || a.seq - b.seq).map((e) => e.id);
    t.same(fired, want, 'fired in (due, creation) order, cancelled ones never');
    t.equal(clock.pending(), 0);
    clock.close();
  });
}

t.test('a long chain of zero-delay timers among thousands of cancelled waits keeps order and counts', async (t) => {
  const clock = new Clock({ mode: 'manual', startMs: 1_000_000 });
  const fired: string[] = [];
  const waits = [];
  for (let i = 0; i < 3000; i++) waits.push(clock.after(5 + (i % 7), () => fired.push(`wait ${i}`)));
  // Thousands of hand-offs pending at once, then most of everything cancelled: the sweep keeps the rest.
  const zeros = [];
  for (let i = 0; i < 3000; i++) zeros.push(clock.after(0, () => fired.push(`zero ${i}`)));
  for (let i = 0; i < 3000; i++) if (i % 3 !== 0) {
    waits[i]!.cancel();
    zeros[i]!.cancel();
  }
  t.equal(clock.pending(), 2000);
  let chain = 0;
  const link = (): void => {
    fired.push(`chain ${chain}`);
    if (++chain < 5000) clock.after(0, link);
  };
  clock.after(0, link);
  await clock.advance(0);
  const zerosFired = fired.filter((f) => f.startsWith('zero'));
  t.equal(zerosFired.length, 1000);
  t.same(zerosFired.slice(0, 3), ['zero 0', 'zero 3', 'zero 6'], 'the hand-offs left fire in creation order');
  t.equal(fired.filter((f) => f.startsWith('chain')).length, 5000, 'the whole chain ran, one link per callback');
  t.equal(fired.filter((f) => f.startsWith('wait')).length, 0, 'no wait fired before its time');
  t.equal(clock.pending(), 1000);
  await clock.advance(20);
  const waitsFired = fired.filter((f) => f.startsWith('wait')).map((f) => Number(f.slice(5)));
  const want = [...Array(3000).keys()].filter((i) => i % 3 === 0).sort((a, b) => (5 + (a % 7)) - (5 + (b % 7)) || a - b);
  t.same(waitsFired, want, 'the waits left fire in (due, creation) order');
  t.equal(clock.pending(), 0);
  clock.close();
});
