// Where nomad-mock's log lines go: pino's JSON lines as they are, or through pino-pretty as one
// readable line per event on a terminal. pino-pretty is loaded only when pretty output is wanted.
import { createRequire } from 'node:module';

/** Fields the pretty line leaves out: its message already says them. */
const SAID_IN_MESSAGE = 'pid,hostname,reqId,method,path,status,ms,evalID,allocID,deploymentID,nodeID,job,namespace,node,faultID';

export function usePretty(format: string, isTTY: boolean): boolean {
  return format === 'pretty' || (format === 'auto' && isTTY);
}

/** A printer of pino lines for `--log-format` (`auto` looks at whether stdout is a terminal). */
export function logPrinter(format: string, out: NodeJS.WriteStream = process.stdout): (line: string) => void {
  const isTTY = out.isTTY === true;
  if (!usePretty(format, isTTY)) return (line) => void out.write(line);
  const pretty = createRequire(import.meta.url)('pino-pretty') as (opts: object) => NodeJS.WritableStream;
  const stream = pretty({
    colorize: isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: SAID_IN_MESSAGE,
    singleLine: true,
    destination: out,
  });
  return (line) => void stream.write(line);
}
