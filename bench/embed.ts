// Figure 8: in-process createMockNomad() to its first answer, the module already imported, each
// sample in a fresh child process (a fresh heap and JIT, as a test file's first mock); against a
// bare Fastify app created, listening and answering the same way. Alternating, median.
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { benchFile, mainPath } from './http.js';
import { count, fmt, median, note, type Context, type Figure, type Group } from './report.js';

function sample(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [benchFile('embed-child.js'), ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`embed child ${args[0]}: ${err.message} ${stderr}`));
      else resolve(Number(stdout.trim()));
    });
  });
}

export const embed: Group = {
  name: 'embed',
  quick: true,
  async run(ctx: Context): Promise<Figure[]> {
    const rounds = count('BENCH_EMBED_ROUNDS', 9, 3, ctx);
    const main = pathToFileURL(mainPath()).href;
    const mock: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < rounds; i++) {
      mock.push(await sample(['mock', main]));
      bare.push(await sample(['fastify']));
    }
    note(`createMockNomad() to first answer, ms: ${mock.map((x) => fmt(x, 1)).join(' ')}; bare Fastify: ${bare.map((x) => fmt(x, 1)).join(' ')}`);
    const ms = median(mock);
    return [{ figure: `createMockNomad() to first answer, module loaded (median of ${rounds})`, value: `${fmt(ms, 1)} ms`, baseline: `${fmt(median(bare), 1)} ms (bare Fastify)`, target: '<= 50 ms', ok: ms <= 50 }];
  },
};
