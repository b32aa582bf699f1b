// A server in a child process of a probe, driven over IPC: the child answers each `{cmd, id}`
// message with `{id, out}` and first sends `{id: 0, out: port}` once it listens. Keeping the server
// out of the probe's process means its CPU time, heap and profiles are its own.
import { fork, type ChildProcess } from 'node:child_process';

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
