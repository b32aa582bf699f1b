// A server in a child process of a probe, driven over IPC: the child answers each `{cmd, id}`
// message with `{id, out}` and first sends `{id: 0, out: port}` once it listens. Keeping the server
// out of the probe's process means its CPU time, heap and profiles are its own.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

export class ChildServer {
  private next = 1;
  private readonly pending = new Map<number, (v: any) => void>();
  port = 0;
  constructor(readonly child: ChildProcess) {
    child.on('message', (m: { id: number; out: unknown }) => {
      this.pending.get(m.id)?.(m.out);
      this.pending.delete(m.id);
    });
  }
  /** Forks `script` with `args` and resolves once the child reports its port. */
  static async start(script: string, args: string[], execArgv?: string[]): Promise<ChildServer> {
    const child = fork(script, args, execArgv ? { execArgv } : {});
    const s = new ChildServer(child);
    process.on('exit', () => child.kill());
    s.port = await new Promise<number>((resolve) => s.pending.set(0, resolve));
    return s;
  }
  call<T = any>(cmd: string, extra: Record<string, unknown> = {}): Promise<T> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.send({ cmd, id, ...extra });
    });
  }
}

/**
 * The child's side: an inspector session on its own process, answering the driver's
 * `profile-start` and `profile-stop` (a CPU profile written to `<dir>/<name>.cpuprofile`).
 */
export class ChildProfiler {
  readonly session = new Session();
  constructor() {
    this.session.connect();
  }
  post(method: string, params?: object): Promise<any> {
    return new Promise((resolve, reject) => this.session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  }
  /** Runs a profile command and gives its answer, or undefined when `m` is not one. */
  async command(m: { cmd: string; dir?: string; name?: string }): Promise<unknown> {
    if (m.cmd === 'profile-start') {
      await this.post('Profiler.enable');
      await this.post('Profiler.setSamplingInterval', { interval: 100 });
      await this.post('Profiler.start');
      return null;
    }
    if (m.cmd === 'profile-stop') {
      const { profile } = await this.post('Profiler.stop');
      mkdirSync(m.dir!, { recursive: true });
      const file = join(m.dir!, `${m.name}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      return file;
    }
    return undefined;
  }
}
