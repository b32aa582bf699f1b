// The HCL functions Nomad's jobspec2 parser offers (jobspec2/functions.go): go-cty's stdlib plus
// encoding, crypto, uuid and cidr helpers. The filesystem functions fail as Nomad's do when the
// parse API calls them ("filesystem function disabled"); a few functions nomad-mock does not
// implement fail with a clear "Error in function call" (see NOT_IMPLEMENTED).
import { createHash, randomUUID } from 'node:crypto';
import { FunctionError, stringOf, type HclFunction } from './eval.js';
import { parseGoDuration } from './duration.js';
import { bool, equals, fromJS, isMap, isSeq, list, num, object, setItems, str, toJS, tuple, type Value } from './value.js';
import { cidrHost, cidrNetmask, cidrSubnet, csvDecode, formatDate, goFormat, goRegexp, goStringsReplace, ipString, parseCidr, uuidv5 } from './gofuncs.js';

type P = HclFunction['params'][number];
const s = (name: string): P => ({ name, type: 'string' });
const n = (name: string): P => ({ name, type: 'number' });
const a = (name: string, allowNull = false): P => ({ name, type: 'any', allowNull });
const l = (name: string): P => ({ name, type: 'list' });
const m = (name: string): P => ({ name, type: 'map' });

const S = (v: Value): string => (v as { v: string }).v;
const N = (v: Value): number => (v as { v: number }).v;
const items = (v: Value): Value[] => (isSeq(v) ? v.items : []);

function fn(params: P[], impl: (args: Value[]) => Value, varParam?: P): HclFunction {
  return varParam ? { params, varParam, impl } : { params, impl };
}

/** Functions Nomad has that nomad-mock does not implement. */
export const NOT_IMPLEMENTED = ['bcrypt', 'rsadecrypt', 'yamldecode', 'yamlencode'];

/** Filesystem functions: always disabled by the parse API (AllowFS false). */
export const FILESYSTEM = ['abspath', 'basename', 'dirname', 'file', 'filebase64', 'fileexists', 'fileset', 'pathexpand'];

function hash(alg: string): HclFunction {
  return fn([s('str')], ([x]) => str(createHash(alg).update(S(x!), 'utf8').digest('hex')));
}

function toNumberList(args: Value[]): number[] {
  return args.map((x, i) => {
    if (x.t !== 'number') throw new FunctionError('number required', i);
    return x.v;
  });
}

export function functions(): Map<string, HclFunction> {
  const f = new Map<string, HclFunction>();
  // numbers
  f.set('abs', fn([n('num')], ([x]) => num(Math.abs(N(x!)))));
  f.set('ceil', fn([n('num')], ([x]) => num(Math.ceil(N(x!)))));
  f.set('floor', fn([n('num')], ([x]) => num(Math.floor(N(x!)))));
  f.set('log', fn([n('num'), n('base')], ([x, b]) => num(Math.log(N(x!)) / Math.log(N(b!)))));
  f.set('pow', fn([n('num'), n('power')], ([x, p]) => num(Math.pow(N(x!), N(p!)))));
  f.set('signum', fn([n('num')], ([x]) => num(Math.sign(N(x!)))));
  f.set('max', fn([], (args) => {
    if (args.length === 0) throw new FunctionError('must pass at least one number');
    return num(Math.max(...toNumberList(args)));
  }, n('numbers')));
  f.set('min', fn([], (args) => {
    if (args.length === 0) throw new FunctionError('must pass at least one number');
    return num(Math.min(...toNumberList(args)));
  }, n('numbers')));
  f.set('parseint', fn([a('number'), n('base')], ([x, b]) => {
    const base = N(b!);
    if (!Number.isInteger(base) || base < 2 || base > 62) throw new FunctionError('base must be a whole number between 2 and 62 inclusive', 1);
    const text = stringOf(x!);
    const digits = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    let neg = false;
    let t = text;
    if (t.startsWith('-')) {
      neg = true;
      t = t.slice(1);
    } else if (t.startsWith('+')) t = t.slice(1);
    if (t === '') throw new FunctionError(`cannot parse ${JSON.stringify(text)} as a base ${base} integer`, 0);
    let out = 0;
    for (const ch of t) {
      const d = base <= 36 ? digits.indexOf(ch.toLowerCase()) : digits.indexOf(ch);
      if (d < 0 || d >= base) throw new FunctionError(`cannot parse ${JSON.stringify(text)} as a base ${base} integer`, 0);
      out = out * base + d;
    }
    return num(neg ? -out : out);
  }));
  // strings
  f.set('chomp', fn([s('str')], ([x]) => str(S(x!).replace(/(?:\r\n?|\n)*$/, ''))));
  f.set('indent', fn([n('spaces'), s('str')], ([sp, x]) => str(S(x!).replace(/\n/g, '\n' + ' '.repeat(N(sp!))))));
  f.set('join', fn([s('separator')], ([sep, ...lists]) => {
    if (lists.length === 0) throw new FunctionError('at least one list is required');
    const parts: string[] = [];
    lists.forEach((lv, li) => {
      if (!isSeq(lv)) throw new FunctionError('list of string required', li + 1);
      for (const x of lv.items) {
        if (x.t === 'null') throw new FunctionError('element is null; cannot concatenate null values', li + 1);
        parts.push(stringOf(x));
      }
    });
    return str(parts.join(S(sep!)));
  }, l('lists')));
  f.set('lower', fn([s('str')], ([x]) => str(S(x!).toLowerCase())));
  f.set('upper', fn([s('str')], ([x]) => str(S(x!).toUpperCase())));
  f.set('title', fn([s('str')], ([x]) => str(S(x!).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase()))));
  f.set('trimspace', fn([s('str')], ([x]) => str(S(x!).trim())));
  f.set('trim', fn([s('str'), s('cutset')], ([x, cut]) => {
    const set = new Set([...S(cut!)]);
    const chars = [...S(x!)];
    let i = 0;
    let j = chars.length;
    while (i < j && set.has(chars[i]!)) i++;
    while (j > i && set.has(chars[j - 1]!)) j--;
    return str(chars.slice(i, j).join(''));
  }));
  f.set('trimprefix', fn([s('str'), s('prefix')], ([x, p]) => str(S(x!).startsWith(S(p!)) ? S(x!).slice(S(p!).length) : S(x!))));
  f.set('trimsuffix', fn([s('str'), s('suffix')], ([x, p]) => str(S(p!) !== '' && S(x!).endsWith(S(p!)) ? S(x!).slice(0, -S(p!).length) : S(x!))));
  const reverse = fn([s('str')], ([x]) => str([...S(x!)].reverse().join('')));
  f.set('reverse', reverse);
  f.set('strrev', reverse);
  f.set('split', fn([s('separator'), s('str')], ([sep, x]) => list(S(x!).split(S(sep!)).map(str))));
  f.set('strlen', fn([s('str')], ([x]) => num([...S(x!)].length)));
  f.set('substr', fn([s('str'), n('offset'), n('length')], ([x, o, len]) => {
    const chars = [...S(x!)];
    let off = N(o!);
    let ln = N(len!);
    if (off < 0) off = Math.max(0, chars.length + off);
    if (off > chars.length) throw new FunctionError('offset cannot be larger than the length of the string', 1);
    if (ln === -1) ln = chars.length - off;
    return str(chars.slice(off, off + ln).join(''));
  }));
  // go-cty's replace is strings.Replace: no `/regex/` form (that is Terraform's); regex_replace is.
  f.set('replace', fn([s('str'), s('substr'), s('replace')], ([x, sub, rep]) => str(goStringsReplace(S(x!), S(sub!), S(rep!)))));
  f.set('regex_replace', fn([s('str'), s('substr'), s('replace')], ([x, p, rep]) => str(goRegexp(S(p!)).replaceAll(S(x!), S(rep!)))));
  f.set('format', fn([s('format')], ([fmt, ...args]) => str(goFormat(S(fmt!), args)), a('args', true)));
  f.set('formatlist', fn([s('format')], ([fmt, ...args]) => {
    let len = -1;
    for (const x of args) {
      if (isSeq(x)) {
        if (len >= 0 && len !== x.items.length) throw new FunctionError('all list arguments must have the same length');
        len = x.items.length;
      }
    }
    if (len < 0) len = 1;
    const out: Value[] = [];
    for (let i = 0; i < len; i++) out.push(str(goFormat(S(fmt!), args.map((x) => (isSeq(x) ? x.items[i]! : x)))));
    return list(out);
  }, a('args', true)));
  // collections
  f.set('coalesce', fn([], (args) => {
    for (const x of args) if (x.t !== 'null' && !(x.t === 'string' && x.v === '')) return x;
    throw new FunctionError('no non-null, non-empty-string arguments');
  }, a('vals', true)));
  f.set('coalescelist', fn([], (args) => {
    for (const x of args) if (isSeq(x) && x.items.length > 0) return x;
    return args.find(isSeq) ?? tuple([]);
  }, a('vals', true)));
  f.set('compact', fn([l('list')], ([x]) => list(items(x!).filter((v) => v.t !== 'null' && !(v.t === 'string' && v.v === '')))));
  f.set('concat', fn([], (args) => {
    const out: Value[] = [];
    args.forEach((x, i) => {
      if (!isSeq(x)) throw new FunctionError('all arguments must be lists or tuples; got ' + x.t, i);
      out.push(...x.items);
    });
    return tuple(out);
  }, { name: 'seqs', type: 'list' }));
  f.set('contains', fn([l('list'), a('value')], ([x, v]) => bool(items(x!).some((y) => equals(y, v!)))));
  f.set('distinct', fn([l('list')], ([x]) => {
    const out: Value[] = [];
    for (const v of items(x!)) if (!out.some((y) => equals(y, v))) out.push(v);
    return list(out);
  }));
  f.set('element', fn([l('list'), n('index')], ([x, i]) => {
    const xs = items(x!);
    if (xs.length === 0) throw new FunctionError('cannot use element function with an empty list');
    const idx = N(i!);
    if (idx < 0) throw new FunctionError('cannot use element function with a negative index');
    return xs[Math.floor(idx) % xs.length]!;
  }));
  f.set('flatten', fn([l('list')], ([x]) => {
    const out: Value[] = [];
    const walk = (v: Value): void => {
      if (isSeq(v)) v.items.forEach(walk);
      else out.push(v);
    };
    items(x!).forEach(walk);
    return tuple(out);
  }));
  f.set('index', fn([l('list'), a('value')], ([x, v]) => {
    const i = items(x!).findIndex((y) => equals(y, v!));
    if (i < 0) throw new FunctionError('item not found');
    return num(i);
  }));
  f.set('keys', fn([m('inputMap')], ([x]) => list([...(isMap(x!) ? x.attrs.keys() : [])].sort().map(str))));
  f.set('values', fn([m('mapping')], ([x]) => (isMap(x!) ? tuple([...x.attrs.keys()].sort().map((k) => x.attrs.get(k)!)) : tuple([]))));
  f.set('length', fn([{ name: 'value', type: 'any' }], ([x]) => {
    if (x!.t === 'string') return num([...x!.v].length);
    if (isSeq(x!)) return num(x.items.length);
    if (isMap(x!)) return num(x.attrs.size);
    throw new FunctionError('collection must be a list, a map or a tuple', 0);
  }));
  f.set('lookup', fn([a('inputMap'), s('key')], ([x, k, ...rest]) => {
    if (rest.length > 1) throw new FunctionError('lookup() takes no more than three arguments');
    if (!isMap(x!)) throw new FunctionError('the first argument must be a map or object', 0);
    const v = x.attrs.get(S(k!));
    if (v !== undefined) return v;
    if (rest.length === 1) return rest[0]!;
    throw new FunctionError(`lookup failed to find key ${JSON.stringify(S(k!))}`);
  }, a('default', true)));
  f.set('merge', fn([], (args) => {
    const out = new Map<string, Value>();
    args.forEach((x, i) => {
      if (x.t === 'null') return;
      if (!isMap(x)) throw new FunctionError('arguments must be maps or objects, got ' + JSON.stringify(x.t), i);
      for (const [k, v] of x.attrs) out.set(k, v);
    });
    return object(out);
  }, a('maps', true)));
  f.set('range', fn([], (args) => {
    const ns = toNumberList(args);
    let start = 0;
    let limit: number;
    let step = 1;
    if (ns.length === 1) limit = ns[0]!;
    else if (ns.length === 2) [start, limit] = [ns[0]!, ns[1]!];
    else if (ns.length === 3) [start, limit, step] = [ns[0]!, ns[1]!, ns[2]!];
    else throw new FunctionError('must have one, two, or three arguments');
    if (step === 0) throw new FunctionError('step must not be zero');
    if (start < limit && step < 0) throw new FunctionError('step must be positive when start is less than limit');
    if (start > limit && step > 0) throw new FunctionError('step must be negative when start is greater than limit');
    const out: Value[] = [];
    for (let i = start; step > 0 ? i < limit : i > limit; i += step) {
      out.push(num(i));
      if (out.length > 1024) throw new FunctionError('more than 1024 values were generated; either decrease the difference between start and end or use a smaller step');
    }
    return list(out);
  }, n('params')));
  f.set('slice', fn([l('list'), n('start_index'), n('end_index')], ([x, st, en]) => {
    const xs = items(x!);
    const i = N(st!);
    const j = N(en!);
    if (i < 0) throw new FunctionError('the starting index must be a non-negative integer', 1);
    if (j > xs.length) throw new FunctionError('the ending index must not exceed the list length', 2);
    if (i > j) throw new FunctionError("the starting index must be less than or equal to the ending index", 1);
    return tuple(xs.slice(i, j));
  }));
  f.set('sort', fn([l('list')], ([x]) => {
    const xs = items(x!).map((v, i) => {
      if (v.t === 'null') throw new FunctionError('given list element ' + i + ' is null; a null string cannot be sorted', 0);
      return stringOf(v);
    });
    return list(xs.sort((p, q) => (p < q ? -1 : p > q ? 1 : 0)).map(str));
  }));
  f.set('chunklist', fn([l('list'), n('size')], ([x, size]) => {
    const xs = items(x!);
    const k = N(size!);
    if (k < 0) throw new FunctionError('the size argument must be positive', 1);
    if (k === 0) return list([tuple(xs)]);
    const out: Value[] = [];
    for (let i = 0; i < xs.length; i += k) out.push(list(xs.slice(i, i + k)));
    return list(out);
  }));
  f.set('setunion', fn([], (args) => ({ t: 'set', items: setItems(args.flatMap(items)) }), l('sets')));
  f.set('setintersection', fn([], (args) => {
    if (args.length === 0) return { t: 'set', items: [] };
    const [first, ...rest] = args.map(items);
    return { t: 'set', items: setItems(first!.filter((v) => rest.every((r) => r.some((y) => equals(v, y))))) };
  }, l('sets')));
  f.set('setproduct', fn([], (args) => {
    if (args.length < 2) throw new FunctionError('at least two arguments are required');
    let acc: Value[][] = [[]];
    for (const set of args.map(items)) acc = acc.flatMap((prefix) => set.map((v) => [...prefix, v]));
    return list(acc.map((xs) => tuple(xs)));
  }, l('sets')));
  f.set('zipmap', fn([l('keys'), l('values')], ([k, v]) => {
    const ks = items(k!);
    const vs = items(v!);
    if (ks.length !== vs.length) throw new FunctionError(`number of keys (${ks.length}) does not match number of values (${vs.length})`);
    return object(new Map(ks.map((x, i) => [stringOf(x), vs[i]!])));
  }));
  // encoding
  f.set('jsonencode', fn([a('val', true)], ([x]) => str(JSON.stringify(toJS(x!)))));
  f.set('jsondecode', fn([s('str')], ([x]) => {
    try {
      return fromJS(JSON.parse(S(x!)));
    } catch (err) {
      throw new FunctionError((err as Error).message, 0);
    }
  }));
  f.set('csvdecode', fn([s('str')], ([x]) => csvDecode(S(x!))));
  f.set('base64encode', fn([s('str')], ([x]) => str(Buffer.from(S(x!), 'utf8').toString('base64'))));
  f.set('base64decode', fn([s('str')], ([x]) => {
    const text = S(x!);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new FunctionError('failed to decode base64 data ' + JSON.stringify(text), 0);
    const out = Buffer.from(text, 'base64').toString('utf8');
    if (out.includes('\uFFFD')) throw new FunctionError('the result of decoding the provided string is not valid UTF-8', 0);
    return str(out);
  }));
  f.set('urlencode', fn([s('str')], ([x]) => str(encodeURIComponent(S(x!)).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()))));
  // crypto and uuid
  f.set('md5', hash('md5'));
  f.set('sha1', hash('sha1'));
  f.set('sha256', hash('sha256'));
  f.set('sha512', hash('sha512'));
  f.set('uuidv4', fn([], () => str(randomUUID())));
  f.set('uuidv5', fn([s('namespace'), s('name')], ([ns, name]) => str(uuidv5(S(ns!), S(name!)))));
  // network
  f.set('cidrhost', fn([s('prefix'), n('hostnum')], ([p, h]) => str(cidrHost(S(p!), N(h!)))));
  f.set('cidrnetmask', fn([s('prefix')], ([p]) => str(cidrNetmask(S(p!)))));
  f.set('cidrsubnet', fn([s('prefix'), n('newbits'), n('netnum')], ([p, b, nn]) => str(cidrSubnet(S(p!), N(b!), N(nn!)))));
  f.set('cidrsubnets', fn([s('prefix')], ([p, ...bits]) => {
    const base = parseCidr(S(p!));
    let next = base.addr;
    const out: Value[] = [];
    for (const b of bits) {
      const len = base.len + N(b);
      if (len > 32) throw new FunctionError(`would extend prefix to ${len} bits, which is too long for an IPv4 address`);
      const size = 2 ** (32 - len);
      next = Math.ceil(next / size) * size;
      if (next + size > base.addr + 2 ** (32 - base.len)) throw new FunctionError('not enough remaining address space for a subnet with a prefix of ' + len + ' bits');
      out.push(str(`${ipString(next)}/${len}`));
      next += size;
    }
    return list(out);
  }, n('newbits')));
  // time
  f.set('timeadd', fn([s('timestamp'), s('duration')], ([t, d]) => {
    const ms = Date.parse(S(t!));
    if (!/^\d{4}-\d{2}-\d{2}T/.test(S(t!)) || Number.isNaN(ms)) throw new FunctionError('not a valid RFC3339 timestamp: ' + JSON.stringify(S(t!)), 0);
    let ns: number;
    try {
      ns = parseGoDuration(S(d!));
    } catch (err) {
      throw new FunctionError((err as Error).message, 1);
    }
    return str(new Date(ms + ns / 1e6).toISOString().replace(/\.000Z$/, 'Z'));
  }));
  f.set('formatdate', fn([s('format'), s('time')], ([fmt, t]) => str(formatDate(S(fmt!), S(t!)))));
  f.set('convert', fn([a('value', true), a('type')], ([x]) => x!));
  // Not implemented by nomad-mock; filesystem functions are disabled by the parse API itself.
  for (const name of NOT_IMPLEMENTED) f.set(name, fn([], () => { throw new FunctionError('nomad-mock does not implement this function'); }, a('args', true)));
  for (const name of FILESYSTEM) f.set(name, fn([], () => { throw new FunctionError('filesystem function disabled'); }, a('args', true)));
  return f;
}
