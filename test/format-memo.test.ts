// rfc3339 keeps the ISO text of recent whole seconds (state/format.ts): whatever order times come
// in, including seconds that share a memo slot, each renders as a fresh Date would render it.
import t from 'tap';
import { rfc3339 } from '../state/format.js';

const fresh = (ms: number, frac: string): string => `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}${frac}Z`;

t.test('times alternating between seconds render each its own second', async (t) => {
  const base = Date.UTC(2026, 0, 1, 12, 0, 0);
  // 0 and 16 s share a slot; 600 s (a progress deadline ten minutes on) has its own.
  const offsets = [0, 600_000, 16_000, 0, 600_000, 32_000, 16_000, 1_000, 0, -16_000, 600_000];
  for (const off of offsets) {
    const ms = base + off;
    t.equal(rfc3339(ms * 1e6 + 5_000), fresh(ms, '.000005'), `offset ${off} ms`);
    t.equal(rfc3339(ms * 1e6), fresh(ms, ''), `offset ${off} ms, whole second`);
  }
});

t.test('times before 1970 and far apart agree with Date', async (t) => {
  for (const ms of [-86_400_000 * 365, 1_000, Date.UTC(2261, 11, 31, 23, 59, 59), Date.UTC(2000, 1, 29)]) {
    t.equal(rfc3339(ms * 1e6 + 1_000_000)?.slice(0, 19), fresh(ms, '').slice(0, 19), String(ms));
  }
});
