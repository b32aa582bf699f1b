// The probes' server children (put-probe.ts, get-probe.ts): spawned as Node, with a CPU profile,
// or under valgrind's callgrind, whose instruction totals are read back from its dumps.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ProbeSpawn {
  /** Writes a CPU profile of the child into `<prof>/<name>`. */
  prof?: string;
  /** Runs the child under callgrind, its dumps (`<name>.<pid>.<n>`) and valgrind's log (`<name>.log`) in this folder. */
  callgrindDir?: string;
}

export function spawnServer(name: string, args: string[], opts: ProbeSpawn): ChildProcess {
  const nodeArgs = opts.prof ? ['--cpu-prof', '--cpu-prof-dir', join(opts.prof, name)] : [];
  const cg = opts.callgrindDir;
  if (cg) {
    mkdirSync(cg, { recursive: true });
    const vg = ['--tool=callgrind', `--callgrind-out-file=${cg}/${name}.%p`, process.execPath, ...nodeArgs, ...args];
    return spawn('valgrind', vg, { stdio: ['ignore', 'ignore', openSync(`${cg}/${name}.log`, 'w')] });
  }
  return spawn(process.execPath, [...nodeArgs, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Total instructions of the newest callgrind dump of `pid` (`<name>.<pid>.<n>`) in `dir`. */
export function callgrindTotal(dir: string, name: string, pid: number): number {
  const dumps = readdirSync(dir)
    .filter((f) => f.startsWith(`${name}.${pid}.`))
    .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, dumps.at(-1)!), 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}
