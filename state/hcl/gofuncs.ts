// The Go standard-library behaviours the HCL functions reproduce (functions.ts): fmt verbs,
// encoding/csv, UUID v5, the cidr helpers, and formatdate's layout language.
import { createHash } from 'node:crypto';
import { FunctionError, stringOf } from './eval.js';
import { compileRegexp, RegexpSyntaxError, type GoRegexp } from '../regexp.js';
import { formatNumber, list, object, str, toJS, type Value } from './value.js';

/** regexp.Compile; cty reports its error as a failed call, not as a bad argument. */
export function goRegexp(pattern: string): GoRegexp {
  try {
    return compileRegexp(pattern);
  } catch (err) {
    if (err instanceof RegexpSyntaxError) throw new FunctionError(err.message);
    throw err;
  }
}

/** strings.Replace(s, old, new, -1): an empty `old` matches before each character and at the end. */
export function goStringsReplace(s: string, old: string, rep: string): string {
  if (old !== '') return s.split(old).join(rep);
  return rep + [...s].map((ch) => ch + rep).join('');
}

/** A subset of Go's fmt verbs as cty's format function supports them. */
export function goFormat(fmt: string, args: Value[]): string {
  let out = '';
  let argi = 0;
  const re = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*))?([a-zA-Z%])/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(fmt))) {
    out += fmt.slice(last, m.index);
    last = re.lastIndex;
    const [, flags = '', widthS, precS, verb] = m;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) throw new FunctionError(`not enough arguments for "%${verb}" at ${m.index}: need index ${argi + 1} but have only ${args.length} total`);
    const arg = args[argi++]!;
    const prec = precS !== undefined ? Number(precS) : undefined;
    let text: string;
    switch (verb) {
      case 's':
        if (arg.t === 'null') throw new FunctionError(`unsupported value for "%s" at ${m.index}: null value cannot be formatted`);
        text = arg.t === 'string' || arg.t === 'number' || arg.t === 'bool' ? stringOf(arg) : JSON.stringify(toJS(arg));
        if (prec !== undefined) text = [...text].slice(0, prec).join('');
        break;
      case 'q':
        text = JSON.stringify(stringOf(arg));
        break;
      case 'v':
        text = arg.t === 'string' || arg.t === 'number' || arg.t === 'bool' ? stringOf(arg) : arg.t === 'null' ? 'null' : JSON.stringify(toJS(arg));
        if (flags.includes('#')) text = JSON.stringify(toJS(arg));
        break;
      case 't':
        if (arg.t !== 'bool') throw new FunctionError(`unsupported value for "%t" at ${m.index}: bool required`);
        text = String(arg.v);
        break;
      case 'd':
      case 'b':
      case 'o':
      case 'x':
      case 'X':
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G': {
        let x: number;
        if (arg.t === 'number') x = arg.v;
        else if (arg.t === 'string' && (verb === 'x' || verb === 'X')) {
          text = Buffer.from(arg.v, 'utf8').toString('hex');
          if (verb === 'X') text = text.toUpperCase();
          break;
        } else if (arg.t === 'string' && arg.v.trim() !== '' && !Number.isNaN(Number(arg.v))) x = Number(arg.v);
        else throw new FunctionError(`unsupported value for "%${verb}" at ${m.index}: number required`);
        if (verb === 'd') {
          if (!Number.isInteger(x)) throw new FunctionError(`unsupported value for "%d" at ${m.index}: an integer is required`);
          text = formatNumber(x);
        } else if (verb === 'b') text = Math.trunc(x).toString(2);
        else if (verb === 'o') text = Math.trunc(x).toString(8);
        else if (verb === 'x') text = Math.trunc(x).toString(16);
        else if (verb === 'X') text = Math.trunc(x).toString(16).toUpperCase();
        else if (verb === 'e' || verb === 'E') {
          text = x.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
          if (verb === 'E') text = text.toUpperCase();
        } else if (verb === 'f' || verb === 'F') text = x.toFixed(prec ?? 6);
        else text = prec !== undefined ? String(Number(x.toPrecision(prec))) : String(x);
        if (flags.includes('+') && x >= 0) text = '+' + text;
        else if (flags.includes(' ') && x >= 0) text = ' ' + text;
        break;
      }
      default:
        throw new FunctionError(`unsupported format verb %${verb}`);
    }
    const width = widthS !== undefined && widthS !== '*' ? Number(widthS) : 0;
    const len = [...text!].length;
    if (len < width) {
      const pad = width - len;
      if (flags.includes('-')) text = text! + ' '.repeat(pad);
      else if (flags.includes('0') && /[dfFeEgGbxXo]/.test(verb!)) text = text!.startsWith('-') || text!.startsWith('+') ? text![0] + '0'.repeat(pad) + text!.slice(1) : '0'.repeat(pad) + text!;
      else text = ' '.repeat(pad) + text!;
    }
    out += text!;
  }
  out += fmt.slice(last);
  if (argi < args.length) throw new FunctionError(`too many arguments; only ${argi} used by format string`);
  return out;
}

export function csvDecode(text: string): Value {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const pushField = (): void => {
    row.push(field);
    field = '';
  };
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (c === '"') {
        quoted = false;
        i++;
        continue;
      }
      field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') quoted = true;
    else if (c === ',') pushField();
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      pushField();
      rows.push(row);
      row = [];
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) {
    pushField();
    rows.push(row);
  }
  if (rows.length === 0) throw new FunctionError('missing header line');
  const header = rows[0]!;
  const out: Value[] = [];
  for (const [ri, r] of rows.slice(1).entries()) {
    if (r.length !== header.length) throw new FunctionError(`record on line ${ri + 2}: wrong number of fields`);
    out.push(object(new Map(header.map((h, j) => [h, str(r[j]!)]))));
  }
  return list(out);
}

export function uuidv5(namespace: string, name: string): string {
  const known: Record<string, string> = {
    dns: '6ba7b810-9dad-11d1-80b4-00c04fd430c8',
    url: '6ba7b811-9dad-11d1-80b4-00c04fd430c8',
    oid: '6ba7b812-9dad-11d1-80b4-00c04fd430c8',
    x500: '6ba7b814-9dad-11d1-80b4-00c04fd430c8',
  };
  const ns = known[namespace] ?? namespace;
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ns)) throw new FunctionError(`uuidv5() doesn't support namespace ${JSON.stringify(namespace)}`, 0);
  const bytes = createHash('sha1').update(Buffer.concat([Buffer.from(ns.replace(/-/g, ''), 'hex'), Buffer.from(name, 'utf8')])).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const h = bytes.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function parseCidr(prefix: string): { addr: number; len: number } {
  if (prefix.includes(':')) throw new FunctionError('nomad-mock supports IPv4 prefixes only', 0);
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(prefix);
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) throw new FunctionError(`invalid CIDR expression: invalid CIDR address: ${prefix}`, 0);
  const len = Number(m[5]);
  const ip = ((Number(m[1]) << 24) >>> 0) + (Number(m[2]) << 16) + (Number(m[3]) << 8) + Number(m[4]);
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return { addr: (ip & mask) >>> 0, len };
}

export function ipString(x: number): string {
  return [x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255].join('.');
}

export function cidrHost(prefix: string, host: number): string {
  const { addr, len } = parseCidr(prefix);
  const size = 2 ** (32 - len);
  const h = host < 0 ? size + host : host;
  if (h < 0 || h >= size) throw new FunctionError(`prefix of ${len} does not accommodate a host numbered ${host}`, 1);
  return ipString(addr + h);
}

export function cidrNetmask(prefix: string): string {
  const { len } = parseCidr(prefix);
  return ipString(len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
}

export function cidrSubnet(prefix: string, newbits: number, netnum: number): string {
  const { addr, len } = parseCidr(prefix);
  const nl = len + newbits;
  if (nl > 32) throw new FunctionError(`insufficient address space to extend prefix of ${len} by ${newbits}`, 1);
  if (netnum >= 2 ** newbits) throw new FunctionError(`prefix extension of ${newbits} does not accommodate a subnet numbered ${netnum}`, 2);
  return `${ipString(addr + netnum * 2 ** (32 - nl))}/${nl}`;
}

/** formatdate's spec letters (YYYY, MM, DD, hh, mm, ss, ZZZ, …) over an RFC 3339 timestamp. */
export function formatDate(spec: string, ts: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.exec(ts);
  if (!m) throw new FunctionError(`not a valid RFC3339 timestamp: ${JSON.stringify(ts)}`, 1);
  const [, Y, Mo, D, h, mi, sec, , zone] = m;
  const d = new Date(Date.UTC(Number(Y), Number(Mo) - 1, Number(D)));
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const hour = Number(h);
  const tokens: [string, () => string][] = [
    ['YYYY', () => Y!],
    ['YY', () => Y!.slice(2)],
    ['MMMM', () => months[Number(Mo) - 1]!],
    ['MMM', () => months[Number(Mo) - 1]!.slice(0, 3)],
    ['MM', () => Mo!],
    ['M', () => String(Number(Mo))],
    ['DD', () => D!],
    ['D', () => String(Number(D))],
    ['EEEE', () => days[d.getUTCDay()]!],
    ['EEE', () => days[d.getUTCDay()]!.slice(0, 3)],
    ['hh', () => h!],
    ['h', () => String(hour)],
    ['HH', () => String(hour % 12 === 0 ? 12 : hour % 12).padStart(2, '0')],
    ['H', () => String(hour % 12 === 0 ? 12 : hour % 12)],
    ['AA', () => (hour < 12 ? 'AM' : 'PM')],
    ['aa', () => (hour < 12 ? 'am' : 'pm')],
    ['mm', () => mi!],
    ['m', () => String(Number(mi))],
    ['ss', () => sec!],
    ['s', () => String(Number(sec))],
    ['ZZZZZ', () => (zone!.toUpperCase() === 'Z' ? '+00:00' : zone!)],
    ['ZZZZ', () => (zone!.toUpperCase() === 'Z' ? '+0000' : zone!.replace(':', ''))],
    ['ZZZ', () => (zone!.toUpperCase() === 'Z' ? 'UTC' : zone!.replace(':', ''))],
    ['Z', () => (zone!.toUpperCase() === 'Z' ? 'Z' : zone!)],
  ];
  let out = '';
  let i = 0;
  while (i < spec.length) {
    if (spec[i] === "'") {
      const j = spec.indexOf("'", i + 1);
      if (j < 0) throw new FunctionError('unterminated literal \'', 0);
      out += j === i + 1 ? "'" : spec.slice(i + 1, j);
      i = j + 1;
      continue;
    }
    const tok = tokens.find(([t]) => spec.startsWith(t, i));
    if (tok) {
      out += tok[1]();
      i += tok[0].length;
      continue;
    }
    if (/[A-Za-z]/.test(spec[i]!)) throw new FunctionError(`invalid date format verb ${JSON.stringify(spec[i])}: format verbs must be one of the supported letters`, 0);
    out += spec[i];
    i++;
  }
  return out;
}
