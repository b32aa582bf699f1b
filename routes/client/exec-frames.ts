// The JSON Nomad's exec endpoint reads, decoded as Go decodes it, with Go's error texts: the
// `command` query parameter (json.Unmarshal into []string), the request frames (gorilla's ReadJSON
// into drivers.ExecTaskStreamingRequestMsg) and the `ws_handshake` frame (wsHandshakeMessage).
import { GoSyntaxError, quoteChar, scanFirstValue } from '../../state/jobspec/decode-scanner.js';

export type RequestFrame =
  | { kind: 'stdin'; data: Buffer }
  | { kind: 'close' }
  | { kind: 'resize'; height: number; width: number }
  | { kind: 'heartbeat' };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const kindOf = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v);

class TypeMismatch extends Error {}

function mismatch(v: Json, field: string, type: string): TypeMismatch {
  const value = typeof v === 'number' ? 'number' : kindOf(v);
  const into = field ? `Go struct field ${field}` : 'Go value';
  return new TypeMismatch(`json: cannot unmarshal ${value} into ${into} of type ${type}`);
}

/** The first JSON value of `raw` (Decoder semantics: what follows it is not read). */
function firstValue(raw: Buffer): Json {
  const end = scanFirstValue(raw);
  try {
    return JSON.parse(raw.toString('utf8', 0, end)) as Json;
  } catch {
    throw new GoSyntaxError('exceeded max depth');
  }
}

/** `json.Unmarshal(data, &[]string)`: the whole text must be one value; errors are Go's. */
export function unmarshalStringList(text: string): { ok: true; value: string[] } | { ok: false; error: string } {
  const raw = Buffer.from(text, 'utf8');
  let value: Json;
  try {
    const end = scanFirstValue(raw);
    for (let i = end; i < raw.length; i++) {
      const c = raw[i]!;
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
      return { ok: false, error: `invalid character ${quoteChar(c)} after top-level value` };
    }
    value = firstValue(raw);
  } catch (err) {
    if (!(err instanceof GoSyntaxError)) throw err;
    const eof = err.message === 'EOF' || err.message === 'unexpected EOF';
    return { ok: false, error: eof ? 'unexpected end of JSON input' : err.message };
  }
  if (value === null) return { ok: true, value: [] };
  if (!Array.isArray(value)) return { ok: false, error: mismatch(value, '', '[]string').message };
  const out: string[] = [];
  for (const v of value) {
    if (v === null) out.push('');
    else if (typeof v === 'string') out.push(v);
    else return { ok: false, error: mismatch(v, '', 'string').message };
  }
  return { ok: true, value: out };
}

/** Go's field match: the exact key, else one equal under Unicode case folding (the last one wins). */
function field(obj: { [k: string]: Json }, name: string): Json | undefined {
  let found: Json | undefined;
  for (const [k, v] of Object.entries(obj)) if (k === name || k.toLowerCase() === name) found = v;
  return found;
}

/** Go's base64.StdEncoding: padded, newlines skipped; the offset of the first bad byte otherwise. */
function base64(text: string): Buffer {
  const s = text.replace(/[\r\n]/g, '');
  const fail = (at: number): TypeMismatch => new TypeMismatch(`illegal base64 data at input byte ${at}`);
  const bad = /[^A-Za-z0-9+/=]/.exec(s);
  if (bad) throw fail(bad.index);
  const pad = s.indexOf('=');
  if (pad >= 0 && (!/^={1,2}$/.test(s.slice(pad)) || pad % 4 < 2)) throw fail(pad);
  if (s.length % 4 !== 0) throw fail(s.length - (s.length % 4));
  return Buffer.from(s, 'base64');
}

function goInt(v: Json, path: string, type = 'int32'): number {
  if (v === null) return 0;
  const limit = type === 'int32' ? 2 ** 31 : 2 ** 63;
  if (typeof v !== 'number') throw mismatch(v, path, type);
  if (!Number.isInteger(v) || v < -limit || v >= limit) throw new TypeMismatch(`json: cannot unmarshal number ${v} into Go struct field ${path} of type ${type}`);
  return v;
}

function goBool(v: Json, path: string): boolean {
  if (v === null) return false;
  if (typeof v !== 'boolean') throw mismatch(v, path, 'bool');
  return v;
}

// drivers.ExecTaskStreamingRequestMsg is an alias of the plugin protocol's generated struct.
const STRUCT = 'ExecTaskStreamingRequest';

/**
 * One request frame. Nomad reads each with gorilla's ReadJSON: an empty message is `unexpected
 * EOF`, a JSON object with neither `stdin` nor `tty_size` is a heartbeat (and so is `setup`). Returns the frame or
 * Go's error text.
 */
export function decodeRequestFrame(raw: Buffer): RequestFrame | { error: string } {
  try {
    const v = firstValue(raw);
    if (v === null) return { kind: 'heartbeat' };
    if (typeof v !== 'object' || Array.isArray(v)) throw mismatch(v, '', `proto.${STRUCT}`);
    const stdin = field(v, 'stdin');
    const tty = field(v, 'tty_size');
    let frame: RequestFrame = { kind: 'heartbeat' };
    if (tty !== undefined && tty !== null) {
      if (typeof tty !== 'object' || Array.isArray(tty)) throw mismatch(tty, `${STRUCT}.tty_size`, 'proto.ExecTaskStreamingRequest_TerminalSize');
      const height = goInt(field(tty, 'height') ?? null, `${STRUCT}.tty_size.height`);
      const width = goInt(field(tty, 'width') ?? null, `${STRUCT}.tty_size.width`);
      frame = { kind: 'resize', height, width };
    }
    if (stdin !== undefined && stdin !== null) {
      if (typeof stdin !== 'object' || Array.isArray(stdin)) throw mismatch(stdin, `${STRUCT}.stdin`, 'proto.ExecTaskStreamingIOOperation');
      const data = field(stdin, 'data') ?? null;
      if (data !== null && typeof data !== 'string') throw mismatch(data, `${STRUCT}.stdin.data`, '[]uint8');
      const bytes = typeof data === 'string' ? base64(data) : Buffer.alloc(0);
      const close = goBool(field(stdin, 'close') ?? null, `${STRUCT}.stdin.close`);
      // Nomad's stream looks at stdin before tty_size, and at `close` before the data.
      frame = close ? { kind: 'close' } : { kind: 'stdin', data: bytes };
    }
    return frame;
  } catch (err) {
    if (err instanceof GoSyntaxError) return { error: err.message === 'EOF' ? 'unexpected EOF' : err.message };
    if (err instanceof TypeMismatch) return { error: err.message };
    throw err;
  }
}

/** The `ws_handshake` frame: `{"version":1,"auth_token":"…"}`; the token or Go's error text. */
export function decodeHandshake(raw: Buffer): { token: string } | { error: string } {
  try {
    const v = firstValue(raw);
    let version = 0;
    let token = '';
    if (v !== null) {
      if (typeof v !== 'object' || Array.isArray(v)) throw mismatch(v, '', 'agent.wsHandshakeMessage');
      version = goInt(field(v, 'version') ?? null, 'wsHandshakeMessage.version', 'int');
      const t = field(v, 'auth_token') ?? null;
      if (t !== null && typeof t !== 'string') throw mismatch(t, 'wsHandshakeMessage.auth_token', 'string');
      token = t ?? '';
    }
    if (version !== 1) return { error: `unexpected handshake value: ${version}` };
    return { token };
  } catch (err) {
    if (err instanceof GoSyntaxError) return { error: err.message === 'EOF' ? 'unexpected EOF' : err.message };
    if (err instanceof TypeMismatch) return { error: err.message };
    throw err;
  }
}
