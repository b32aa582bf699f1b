// The minimal shell a simulated task runs for `alloc exec` when its driver config scripts no answer:
// `sh -c '<line>'`, an interactive `sh` reading stdin, or one program run directly. Programs:
// echo, cat (stdin until it closes), exit N, true, false, env/printenv, pwd, hostname, sleep N (on the
// simulated clock), stty size; anything else is `sh: <name>: not found` with status 127, as a shell
// reports a missing command. Lines take `;`, `&&`, `||`, quotes, `$VAR`, `${VAR}` and `$?`.
import type { TimerHandle } from '../../clock.js';

export interface ShellHost {
  /** Output of the programs (the tty layer merges stderr into it and turns \n into \r\n). */
  out(text: string, stderr: boolean): void;
  env: readonly (readonly [string, string])[];
  hostname: string;
  /** Runs `fn` after `ms` of simulated time. */
  after(ms: number, fn: () => void): TimerHandle;
  /** The terminal's size, when there is a terminal. */
  size(): { height: number; width: number } | null;
  /** Interactive shells print a prompt only on a terminal. */
  tty: boolean;
}

/** A program that outlives its start: it takes stdin, ends on EOF or an interrupt, or is killed. */
export interface Job {
  input(text: string): boolean;
  eof(): void;
  interrupt(): void;
  kill(): void;
}

type Done = (status: number) => void;
interface Step { text: string; op: ';' | '&&' | '||' }

/** Characters of stdin a shell holds while no program reads them. */
const MAX_PENDING = 1024 * 1024;
const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh']);
const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** Splits a line at its top-level `;`, `&&`, `||` (quotes respected); `#` starts a comment. */
function splitSteps(line: string): Step[] {
  const steps: Step[] = [];
  let cur = '';
  let quote = '';
  let op: Step['op'] = ';';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"' && i + 1 < line.length) cur += c + line[++i];
      else {
        if (c === quote) quote = '';
        cur += c;
      }
      continue;
    }
    if (c === '\\' && i + 1 < line.length) cur += c + line[++i];
    else if (c === "'" || c === '"') (quote = c), (cur += c);
    else if (c === '#' && /(^|\s)$/.test(cur)) break;
    else if (c === ';' || ((c === '&' || c === '|') && line[i + 1] === c)) {
      steps.push({ text: cur, op });
      op = c === ';' ? ';' : c === '&' ? '&&' : '||';
      if (c !== ';') i++;
      cur = '';
    } else cur += c;
  }
  steps.push({ text: cur, op });
  return steps.filter((s) => s.text.trim() !== '');
}

/** The words of one simple command, with quotes removed and variables expanded. */
export function words(text: string, lookup: (name: string) => string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote = '';
  const expand = (i: number): [string, number] => {
    const rest = text.slice(i + 1);
    const m = /^(\?|[A-Za-z_][A-Za-z0-9_]*|\{([A-Za-z_][A-Za-z0-9_]*|\?)\})/.exec(rest);
    if (!m) return ['$', i];
    return [lookup(m[2] ?? m[1]!), i + m[0].length];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = '';
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = '';
      else if (c === '\\' && /["\\$`]/.test(text[i + 1] ?? '')) cur += text[++i];
      else if (c === '$') [cur, i] = ((r) => [cur + r[0], r[1]] as [string, number])(expand(i));
      else cur += c;
    } else if (/\s/.test(c)) {
      if (has) out.push(cur);
      cur = '';
      has = false;
      continue;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '\\') cur += text[++i] ?? '';
    else if (c === '$') [cur, i] = ((r) => [cur + r[0], r[1]] as [string, number])(expand(i));
    else cur += c;
    has = true;
  }
  if (has) out.push(cur);
  return out;
}

/**
 * A shell: `script` runs those lines and exits with the last status; without one it reads its
 * commands from stdin (an interactive shell) until `exit` or the end of stdin.
 */
export class Shell implements Job {
  private status = 0;
  private fg: Job | null = null;
  private steps: Step[] = [];
  private pending = '';
  private eofSeen = false;
  private finished = false;

  constructor(private host: ShellHost, private done: Done, private script: string | null, private args: string[] = []) {}

  start(): void {
    if (this.script !== null) {
      this.steps = splitSteps(this.script.replace(/\n/g, ';'));
      this.next();
    } else this.prompt();
  }

  input(text: string): boolean {
    if (this.finished) return true;
    if (this.fg?.input(text)) return true;
    // Input nobody reads yet waits here, up to a bound (beyond it, it is lost, as on a full pipe).
    if (this.pending.length < MAX_PENDING) this.pending += text.slice(0, MAX_PENDING - this.pending.length);
    if (!this.fg && this.script === null && this.steps.length === 0) this.readLines();
    return true;
  }

  /** A terminal's ^D: it ends the input of the program reading it, or the shell at its prompt. */
  eof(): void {
    if (this.fg) return this.fg.eof();
    if (this.script === null) this.finish(this.status);
  }

  /** Stdin itself closed: nothing more will ever be read. */
  endOfInput(): void {
    this.eofSeen = true;
    if (this.fg) return this.fg.eof();
    if (this.script === null && this.steps.length === 0) this.readLines();
  }

  interrupt(): void {
    if (this.fg) return this.fg.interrupt();
    if (this.script !== null) return this.finish(130);
    this.pending = '';
    this.prompt();
  }

  kill(): void {
    this.finished = true;
    this.fg?.kill();
    this.fg = null;
  }

  private finish(status: number): void {
    if (this.finished) return;
    this.finished = true;
    this.fg?.kill();
    this.fg = null;
    this.done(status);
  }

  private prompt(): void {
    if (this.host.tty && this.script === null && !this.finished) this.host.out('$ ', false);
  }

  /** Interactive: runs each complete line of stdin; at its end, the last status is the shell's. */
  private readLines(): void {
    while (!this.finished && !this.fg && this.steps.length === 0) {
      const nl = this.pending.indexOf('\n');
      if (nl < 0 && !(this.eofSeen && this.pending !== '')) break;
      const line = nl < 0 ? this.pending : this.pending.slice(0, nl);
      this.pending = nl < 0 ? '' : this.pending.slice(nl + 1);
      this.steps = splitSteps(line);
      this.next();
    }
    if (!this.finished && !this.fg && this.steps.length === 0 && this.eofSeen && this.pending === '') this.finish(this.status);
  }

  /** Runs the remaining steps of the current line until one has to wait. */
  private next(): void {
    while (!this.finished && !this.fg) {
      const step = this.steps.shift();
      if (!step) break;
      if ((step.op === '&&' && this.status !== 0) || (step.op === '||' && this.status === 0)) continue;
      const argv = words(step.text, (name) => this.lookup(name));
      if (argv.length === 0) continue;
      if (argv[0] === 'exit') return this.finish(exitStatus(argv[1], this.status, (t) => this.host.out(t, true)));
      let sync = true;
      let syncStatus = 0;
      const job = runProgram(this.host, argv, (status) => {
        if (sync) return void (syncStatus = status);
        this.status = status;
        this.fg = null;
        this.resume();
      });
      sync = false;
      if (job) {
        this.fg = job;
        // What the shell has read past this line belongs to the program now.
        if (this.pending !== '' && job.input(this.pending)) this.pending = '';
        if (this.eofSeen) job.eof();
        return;
      }
      this.status = syncStatus;
    }
    if (this.script !== null && !this.fg && this.steps.length === 0) this.finish(this.status);
    else if (!this.fg && this.steps.length === 0) this.prompt();
  }

  private resume(): void {
    if (this.finished) return;
    this.next();
    if (this.script === null && !this.fg && this.steps.length === 0) this.readLines();
  }

  private lookup(name: string): string {
    if (name === '?') return String(this.status);
    if (/^\d$/.test(name)) return this.args[Number(name)] ?? '';
    return this.host.env.find(([k]) => k === name)?.[1] ?? '';
  }
}

function exitStatus(arg: string | undefined, last: number, err: (t: string) => void): number {
  if (arg === undefined) return last;
  if (!/^\d+$/.test(arg)) {
    err(`sh: exit: Illegal number: ${arg}\n`);
    return 2;
  }
  return Number(BigInt(arg) & 0xffn);
}

/** A program that reads stdin until it ends (cat). */
function reader(onData: (t: string) => void, done: Done): Job {
  let over = false;
  const end = (s: number): void => {
    if (!over) (over = true), done(s);
  };
  return {
    input: (t) => (over ? false : (onData(t), true)),
    eof: () => end(0),
    interrupt: () => end(130),
    kill: () => void (over = true),
  };
}

/** Runs one program; returns its job when it outlives this call, else calls `done` before returning. */
export function runProgram(host: ShellHost, argv: string[], done: Done): Job | null {
  const [cmd = '', ...args] = argv;
  const out = (t: string): void => host.out(t, false);
  const err = (t: string): void => host.out(t, true);
  const name = basename(cmd);
  switch (name) {
    case 'echo': {
      const n = args[0] === '-n';
      out(`${(n ? args.slice(1) : args).join(' ')}${n ? '' : '\n'}`);
      done(0);
      return null;
    }
    case 'cat': {
      const files = args.filter((a) => a !== '-');
      if (files.length === 0) return reader(out, done);
      for (const f of files) err(`cat: ${f}: No such file or directory\n`);
      done(1);
      return null;
    }
    case 'true':
    case 'false':
      done(name === 'true' ? 0 : 1);
      return null;
    case 'exit':
      done(exitStatus(args[0], 0, err));
      return null;
    case 'env':
    case 'printenv': {
      if (name === 'printenv' && args.length > 0) {
        const hits = args.map((a) => host.env.find(([k]) => k === a));
        for (const h of hits) if (h) out(`${h[1]}\n`);
        done(hits.every(Boolean) ? 0 : 1);
        return null;
      }
      out(host.env.map(([k, v]) => `${k}=${v}\n`).join(''));
      done(0);
      return null;
    }
    case 'pwd':
      out('/\n');
      done(0);
      return null;
    case 'hostname':
      out(`${host.hostname}\n`);
      done(0);
      return null;
    case 'stty': {
      const size = host.size();
      if (args[0] === 'size' && size) {
        out(`${size.height} ${size.width}\n`);
        done(0);
      } else {
        err(`stty: ${size ? 'invalid argument' : "'standard input': Inappropriate ioctl for device"}\n`);
        done(1);
      }
      return null;
    }
    case 'sleep': {
      const secs = Number(args[0]);
      if (args.length === 0 || !/^\d+(\.\d+)?$/.test(args[0]!) || !Number.isFinite(secs)) {
        err(args.length === 0 ? 'sleep: missing operand\n' : `sleep: invalid time interval '${args[0]}'\n`);
        done(1);
        return null;
      }
      let over = false;
      const timer = host.after(secs * 1000, () => {
        if (!over) (over = true), done(0);
      });
      const stop = (s: number | null): void => {
        if (over) return;
        over = true;
        timer.cancel();
        if (s !== null) done(s);
      };
      return { input: () => false, eof: () => undefined, interrupt: () => stop(130), kill: () => stop(null) };
    }
  }
  if (SHELLS.has(name)) {
    const script = args[0] === '-c' ? (args[1] ?? '') : null;
    if (args[0] === '-c' && args.length < 2) {
      err(`${name}: -c: option requires an argument\n`);
      done(2);
      return null;
    }
    let sync = true;
    let syncStatus: number | null = null;
    const sh = new Shell(host, (s) => (sync ? (syncStatus = s) : done(s)), script, args.slice(2));
    sh.start();
    sync = false;
    if (syncStatus !== null) {
      done(syncStatus);
      return null;
    }
    return sh;
  }
  err(`sh: ${cmd}: not found\n`);
  done(127);
  return null;
}
