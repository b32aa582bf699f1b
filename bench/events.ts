// Figure 9: register latency (one at a time, keep-alive) with N event-stream subscribers against
// none, on the same server in alternating rounds. The subscribers live in a child process
// (subscribers.ts) that reads and drops every byte, so the timing client only times registers.
import { fork, type ChildProcess } from 'node:child_process';
import { benchFile, cpuMs, keepAlive, ok, startMock, untilIdle } from './http.js';
import { bigNodes, smallJob } from './jobs.js';
import { count, fmt, median, note, size, type Context, type Figure, type Group } from './report.js';

async function registerLatencies(port: number, prefix: string, n: number): Promise<number[]> {
  const agent = keepAlive();
  const out: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await ok(port, 'PUT', '/v1/jobs', smallJob(`${prefix}-${i}`), agent);
      out.push(performance.now() - t0);
    }
  } finally {
    agent.destroy();
  }
  return out;
}

function ask<T>(child: ChildProcess, msg: string | null, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: Record<string, unknown>): void => {
      if (key in m) {
        child.off('message', onMsg);
        resolve(m as T);
      }
    };
    child.on('message', onMsg);
    child.once('exit', (code) => reject(new Error(`subscribers exited (${code})`)));
    if (msg) child.send(msg);
  });
}

export const events: Group = {
  name: 'events',
  quick: true,
  async run(ctx: Context): Promise<Figure[]> {
    const subscribers = size(ctx, 'BENCH_SUBSCRIBERS', 1000, 1000);
    const registers = count('BENCH_EVENT_REGISTERS', 200, 60, ctx);
    const rounds = count('BENCH_EVENT_ROUNDS', 3, 1, ctx);
    // Manual clock: only the register's own writes (job, eval, plan, allocs) make events.
    const mock = await startMock(ctx.port(), ['--clock', 'manual', ...bigNodes(10)]);
    const none: number[] = [];
    const withSubs: number[] = [];
    let bytes = 0;
    // The server's CPU time (from /proc) per register, until it is idle again (delivery included).
    const cpu = { none: 0, withSubs: 0 };
    const timedCpu = async (key: keyof typeof cpu, run: () => Promise<void>): Promise<void> => {
      const c0 = cpuMs(mock.child.pid!);
      await run();
      await untilIdle(mock.child.pid!);
      cpu[key] += cpuMs(mock.child.pid!) - c0;
    };
    try {
      await registerLatencies(mock.port, 'warm', 50);
      for (let r = 0; r < rounds; r++) {
        await timedCpu('none', async () => void none.push(...(await registerLatencies(mock.port, `n${r}`, registers))));
        const child = fork(benchFile('subscribers.js'), [String(mock.port), String(subscribers)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
        try {
          await ask(child, null, 'ready');
          await timedCpu('withSubs', async () => void withSubs.push(...(await registerLatencies(mock.port, `s${r}`, registers))));
          const got = await ask<{ bytes: number; open: number }>(child, 'bytes', 'bytes');
          if (got.open < subscribers) throw new Error(`only ${got.open} of ${subscribers} subscribers still open`);
          bytes += got.bytes;
        } finally {
          child.kill();
        }
      }
    } finally {
      await mock.stop();
    }
    const ratio = median(withSubs) / median(none);
    note(`register p50 ${fmt(median(withSubs), 2)} ms with ${fmt(subscribers)} subscribers (p90 ${fmt(withSubs.sort((a, b) => a - b)[Math.floor(withSubs.length * 0.9)]!, 2)}), ${fmt(median(none), 2)} ms without; subscribers received ${fmt(bytes / (registers * rounds) / 1024)} KB per register in all; server CPU per register ${fmt(cpu.withSubs / (registers * rounds), 2)} ms with, ${fmt(cpu.none / (registers * rounds), 2)} ms without (until idle, delivery included)`);
    return [
      {
        figure: `register latency p50 with ${fmt(subscribers)} event-stream subscribers vs none`,
        value: `${fmt(ratio, 2)}× (${fmt(median(withSubs), 2)} ms)`,
        baseline: `${fmt(median(none), 2)} ms (none)`,
        target: '<= 2×',
        ok: ratio <= 2,
      },
    ];
  },
};
