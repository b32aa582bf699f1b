// What a simulated task does for `alloc exec` (Nomad's ExecTaskStreaming). In order:
//   1. `exec_responses` in the task's driver config: an answer per command line (the words joined
//      by single spaces), each with the mock driver's output keys;
//   2. the mock driver's own `exec_command` block: one answer whatever the command, and the mock
//      driver's `showinput` command (prints the tty flag and all of stdin once it closes);
//   3. otherwise the minimal shell of shell.ts.
// An answer's keys are the mock driver's: stdout_string, stderr_string, stdout_repeat,
// stdout_repeat_duration, stderr_repeat, stderr_repeat_duration, run_for, exit_code. With a tty
// the terminal is emulated too: typed input is echoed, lines are cooked (backspace, ^C, ^D), and
// program output, stderr included, arrives on stdout with \n as \r\n.
import type { Clock, TimerHandle } from '../../clock.js';
import { parseGoDuration } from '../../../state/godur.js';
import type { Obj } from '../../../state/types.js';
import { Shell, runProgram, type Job, type ShellHost } from './shell.js';

export interface ExecIO {
  stdout(data: Buffer): void;
  stderr(data: Buffer): void;
  /** Called once, after the last output. */
  exit(code: number): void;
}

export interface ExecProcess {
  stdin(data: Buffer): void;
  closeStdin(): void;
  resize(height: number, width: number): void;
  /** The session is gone: no more output, timers cancelled. */
  kill(): void;
}

export interface ExecTarget {
  task: Obj;
  env: readonly (readonly [string, string])[];
  hostname: string;
}

/** Bytes of stdin a program that waits for its end (showinput) keeps; the rest is dropped. */
const MAX_HELD_STDIN = 1024 * 1024;
/** Most repeats of a scripted output, so a config cannot keep a session writing forever. */
const MAX_REPEAT = 10_000;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);
const durMs = (v: unknown): number => Math.max(0, (parseGoDuration(str(v) || '0s') ?? 0) / 1e6);
/** A block in a driver config arrives as an object from JSON and as a one-element list from HCL. */
const block = (v: unknown): Obj | null => {
  const one = Array.isArray(v) ? v[0] : v;
  return one && typeof one === 'object' && !Array.isArray(one) ? (one as Obj) : null;
};

/** The scripted answer for `cmd`, if the task's config has one, and whether it is `exec_command`'s. */
export function scriptedAnswer(config: Obj | null | undefined, cmd: readonly string[]): { answer: Obj; shared: boolean } | null {
  const answers = block(config?.exec_responses);
  const line = cmd.join(' ');
  const own = answers && Object.hasOwn(answers, line) ? block(answers[line]) : null;
  if (own) return { answer: own, shared: false };
  const shared = block(config?.exec_command);
  return shared ? { answer: shared, shared: true } : null;
}

export function startExec(target: ExecTarget, cmd: string[], tty: boolean, io: ExecIO, clock: Clock): ExecProcess {
  let size: { height: number; width: number } | null = tty ? { height: 24, width: 80 } : null;
  let over = false;
  const timers = new Set<TimerHandle>();
  const after = (ms: number, fn: () => void): TimerHandle => {
    const h = clock.after(ms, () => {
      timers.delete(h);
      if (!over) fn();
    }, 'alloc exec');
    timers.add(h);
    return h;
  };
  const write = (text: string, stderr: boolean): void => {
    if (over || text === '') return;
    if (tty) io.stdout(Buffer.from(text.replace(/\r?\n/g, '\r\n')));
    else (stderr ? io.stderr : io.stdout)(Buffer.from(text));
  };
  const exit = (code: number): void => {
    if (over) return;
    over = true;
    for (const t of timers) t.cancel();
    io.exit(code);
  };
  const host: ShellHost = { out: write, env: target.env, hostname: target.hostname, after, size: () => size, tty };

  const config = (target.task.Config ?? null) as Obj | null;
  const found = scriptedAnswer(config, cmd);
  let job: Job | null;
  if (found && !(found.shared && cmd.length === 1 && cmd[0] === 'showinput')) {
    job = scripted(found.answer, write, exit, after);
  } else if (found) {
    // The mock driver's `showinput`: everything typed, once stdin ends.
    let held = '';
    job = {
      input: (t) => ((held = (held + t).slice(0, MAX_HELD_STDIN)), true),
      eof: () => {
        write(`TTY: ${tty}\nStdin:\n${held}\n`, false);
        exit(0);
      },
      interrupt: () => exit(130),
      kill: () => undefined,
    };
  } else {
    let sync = true;
    let code: number | null = null;
    job = runProgram(host, cmd, (c) => (sync ? (code = c) : exit(c)));
    sync = false;
    if (code !== null) exit(code);
  }
  const term = tty ? new LineDiscipline(write, () => job) : null;
  return {
    stdin(data) {
      if (over) return;
      const text = data.toString('utf8');
      if (term) term.feed(text);
      else job?.input(text);
    },
    closeStdin() {
      if (over) return;
      if (term) term.flush();
      if (job instanceof Shell) job.endOfInput();
      else job?.eof();
    },
    resize(height, width) {
      if (tty) size = { height, width };
    },
    kill() {
      over = true;
      for (const t of timers) t.cancel();
      job?.kill();
    },
  };
}

/** The mock driver's runCommand: each output once, then repeated; the exit after run_for and the last output. */
function scripted(a: Obj, write: (t: string, err: boolean) => void, exit: (c: number) => void, after: ShellHost['after']): Job {
  let open = 0;
  let ranFor = false;
  const maybeExit = (): void => {
    if (open === 0 && ranFor) exit(num(a.exit_code));
  };
  const stream = (text: string, repeat: number, everyMs: number, err: boolean): void => {
    if (text === '') return;
    write(text, err);
    let left = Math.min(Math.max(0, repeat), MAX_REPEAT);
    if (left === 0) return;
    if (everyMs <= 0) {
      write(text.repeat(left), err);
      return;
    }
    open++;
    const tick = (): void => {
      write(text, err);
      if (--left > 0) after(everyMs, tick);
      else (open--, maybeExit());
    };
    after(everyMs, tick);
  };
  stream(str(a.stdout_string), num(a.stdout_repeat), durMs(a.stdout_repeat_duration), false);
  stream(str(a.stderr_string), num(a.stderr_repeat), durMs(a.stderr_repeat_duration), true);
  const runFor = durMs(a.run_for);
  if (runFor > 0) after(runFor, () => ((ranFor = true), maybeExit()));
  else (ranFor = true), maybeExit();
  return { input: () => true, eof: () => undefined, interrupt: () => exit(130), kill: () => undefined };
}

/**
 * A terminal in canonical mode between the client and the program: it echoes what is typed,
 * hands over whole lines (backspace edits the line), ^C interrupts, ^D ends the input of a reader.
 */
class LineDiscipline {
  private line = '';
  constructor(private write: (t: string, err: boolean) => void, private job: () => Job | null) {}

  feed(text: string): void {
    // Echo goes out in one piece per run of typed characters, before what a program answers.
    let echo = '';
    const say = (t: string): void => {
      echo += t;
    };
    const flushEcho = (): void => {
      if (echo !== '') this.write(echo, false);
      echo = '';
    };
    for (const c of text) {
      if (c === '\r' || c === '\n') {
        say('\n');
        flushEcho();
        const line = `${this.line}\n`;
        this.line = '';
        this.job()?.input(line);
      } else if (c === '\x7f' || c === '\b') {
        if (this.line === '') continue;
        this.line = [...this.line].slice(0, -1).join('');
        say('\b \b');
      } else if (c === '\x03') {
        this.line = '';
        say('^C\n');
        flushEcho();
        this.job()?.interrupt();
      } else if (c === '\x04') {
        flushEcho();
        if (this.line !== '') this.flush();
        else this.job()?.eof();
      } else if (this.line.length < MAX_HELD_STDIN) {
        this.line += c;
        say(c);
      }
    }
    flushEcho();
  }

  /** What was typed without Enter goes to the program as it is. */
  flush(): void {
    if (this.line === '') return;
    const line = this.line;
    this.line = '';
    this.job()?.input(line);
  }
}
