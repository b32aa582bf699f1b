// Expression evaluation with hclsyntax's semantics: traversals, templates (interpolation, `%{if}`,
// `%{for}`), operators, conditionals, `for` expressions, splats and function calls. Like Nomad's
// EvalContext, a reference to a variable that is not defined (`attr.kernel.name`, `NOMAD_ALLOC_ID`,
// `meta.rack`…) evaluates to the literal text `${…}`, so runtime interpolations survive parsing.
import type { Expr, Step, TemplatePart } from './ast.js';
import { HclError, diag, type Range } from './diag.js';
import { typeFromExpr } from './typeexpr.js';
import {
  ConversionError,
  NULL,
  bool,
  convert,
  equals,
  formatNumber,
  isMap,
  isSeq,
  num,
  object,
  str,
  tuple,
  typeName,
  type Value,
} from './value.js';

export interface FunctionParam {
  name: string;
  /** `any` takes any value; the primitive types convert; `list`/`map` only check the kind. */
  type: 'string' | 'number' | 'bool' | 'any' | 'list' | 'map' | 'collection';
  allowNull?: boolean;
}

export interface HclFunction {
  params: FunctionParam[];
  varParam?: FunctionParam;
  impl: (args: Value[]) => Value;
}

export interface EvalContext {
  /** The source text the expressions came from (for the `${…}` of unknown variables). */
  src: string;
  /** null: "Variables not allowed" (variable defaults and the variables file). */
  vars: Map<string, Value> | null;
  /** null: "Function calls not allowed". */
  funcs: Map<string, HclFunction> | null;
  /** Nomad's UnknownVariable hook: an undefined root variable becomes the string `${<expr>}`. */
  keepUnknown: boolean;
}

export function child(ctx: EvalContext, bindings: [string, Value][]): EvalContext {
  const vars = new Map(ctx.vars ?? []);
  for (const [k, v] of bindings) vars.set(k, v);
  return { ...ctx, vars };
}

/** Raised inside function implementations; becomes "Error in function call". */
export class FunctionError extends Error {
  constructor(
    message: string,
    readonly argIndex: number | null = null,
  ) {
    super(message);
  }
}

const fail = (summary: string, detail: string, subject?: Range): never => {
  throw new HclError([diag(summary, detail, subject)]);
};

export function evaluate(e: Expr, ctx: EvalContext): Value {
  switch (e.kind) {
    case 'literal':
      return literal(e.value);
    case 'template':
      return template(e.parts, ctx, e.range);
    case 'paren':
      return evaluate(e.inner, ctx);
    case 'tuple':
      return tuple(e.items.map((x) => evaluate(x, ctx)));
    case 'object': {
      const attrs = new Map<string, Value>();
      for (const item of e.items) {
        let key: string;
        if (item.keyName !== null) key = item.keyName;
        else {
          const k = evaluate(item.key, ctx);
          if (k.t === 'null') fail('Invalid object key', 'Object keys cannot be null.', item.key.range);
          try {
            key = (convert(k, { k: 'string' }) as { v: string }).v;
          } catch (err) {
            return fail('Incorrect key type', `Can't use this value as a key: ${(err as Error).message}.`, item.key.range);
          }
        }
        attrs.set(key, evaluate(item.value, ctx));
      }
      return object(attrs);
    }
    case 'scope': {
      if (ctx.vars === null) fail('Variables not allowed', 'Variables may not be used here.', e.range);
      const root = ctx.vars!.get(e.root);
      if (root === undefined) {
        if (ctx.keepUnknown) return str('${' + ctx.src.slice(e.range.start.offset, e.range.end.offset) + '}');
        return fail('Unknown variable', `There is no variable named "${e.root}".`, e.rootRange);
      }
      return traverse(root, e.steps, ctx);
    }
    case 'relative':
      return traverse(evaluate(e.source, ctx), e.steps, ctx);
    case 'splat': {
      const src = evaluate(e.source, ctx);
      if (src.t === 'null') return tuple([]);
      const items = isSeq(src) ? src.items : [src];
      return tuple(items.map((x) => traverse(x, e.each, ctx)));
    }
    case 'call':
      return call(e, ctx);
    case 'unary': {
      const v = evaluate(e.operand, ctx);
      if (e.op === '!') return bool(!(operand(v, 'bool', 'operand', e.operand.range) as boolean));
      return num(-(operand(v, 'number', 'operand', e.operand.range) as number));
    }
    case 'binary':
      return binary(e.op, e.left, e.right, ctx, e.range);
    case 'conditional': {
      const c = evaluate(e.cond, ctx);
      if (c.t === 'null') fail('Null condition', 'The condition value is null. Conditions must either be true or false.', e.cond.range);
      let b: boolean;
      try {
        b = (convert(c, { k: 'bool' }) as { v: boolean }).v;
      } catch (err) {
        return fail('Incorrect condition type', `The condition expression must be of type bool.`, e.cond.range);
      }
      return b ? evaluate(e.then, ctx) : evaluate(e.else, ctx);
    }
    case 'forTuple':
    case 'forObject':
      return forExpr(e, ctx);
  }
}

function literal(x: unknown): Value {
  if (x === null) return NULL;
  if (typeof x === 'string') return str(x);
  if (typeof x === 'number') return num(x);
  return bool(Boolean(x));
}

function operand(v: Value, type: 'number' | 'bool', which: string, range: Range): number | boolean {
  if (v.t === 'null') return fail('Invalid operand', `Unsuitable value for ${which}: a ${type} is required.`, range);
  try {
    return (convert(v, { k: type }) as { v: number | boolean }).v;
  } catch (err) {
    return fail('Invalid operand', `Unsuitable value for ${which}: ${(err as Error).message}.`, range);
  }
}

function binary(op: string, l: Expr, r: Expr, ctx: EvalContext, range: Range): Value {
  const a = evaluate(l, ctx);
  const b = evaluate(r, ctx);
  switch (op) {
    case '==':
      return bool(equals(a, b));
    case '!=':
      return bool(!equals(a, b));
    case '&&':
      return bool((operand(a, 'bool', 'left operand', l.range) as boolean) && (operand(b, 'bool', 'right operand', r.range) as boolean));
    case '||':
      return bool((operand(a, 'bool', 'left operand', l.range) as boolean) || (operand(b, 'bool', 'right operand', r.range) as boolean));
  }
  const x = operand(a, 'number', 'left operand', l.range) as number;
  const y = operand(b, 'number', 'right operand', r.range) as number;
  switch (op) {
    case '+':
      return num(x + y);
    case '-':
      return num(x - y);
    case '*':
      return num(x * y);
    case '/':
      if (y === 0) fail('Operation failed', 'Error during operation: can\'t divide by zero.', range);
      return num(x / y);
    case '%':
      if (y === 0) fail('Operation failed', 'Error during operation: can\'t use modulo by zero.', range);
      return num(x % y);
    case '<':
      return bool(x < y);
    case '<=':
      return bool(x <= y);
    case '>':
      return bool(x > y);
    case '>=':
      return bool(x >= y);
  }
  return fail('Invalid operator', `The operator ${op} is not supported.`, range);
}

export function traverse(v: Value, steps: Step[], ctx: EvalContext): Value {
  let cur = v;
  for (const s of steps) {
    if (s.kind === 'attr') {
      if (cur.t === 'null') fail('Attempt to get attribute from null value', 'This value is null, so it does not have any attributes.', s.range);
      if (cur.t === 'object') {
        const x = cur.attrs.get(s.name);
        if (x === undefined) fail('Unsupported attribute', `This object does not have an attribute named "${s.name}".`, s.range);
        cur = x!;
      } else if (cur.t === 'map') {
        const x = cur.attrs.get(s.name);
        if (x === undefined) fail('Missing map element', `This map does not have an element with the key "${s.name}".`, s.range);
        cur = x!;
      } else if (isSeq(cur)) {
        fail('Unsupported attribute', 'This value does not have any attributes.', s.range);
      } else {
        fail('Unsupported attribute', `Can't access attributes on a primitive-typed value (${cur.t}).`, s.range);
      }
      continue;
    }
    const key = evaluate(s.key, ctx);
    if (cur.t === 'null') fail('Attempt to index null value', 'This value is null, so it does not have any indices.', s.range);
    if (isSeq(cur)) {
      let i: number;
      try {
        i = (convert(key, { k: 'number' }) as { v: number }).v;
      } catch {
        return fail('Invalid index', 'The given key does not identify an element in this collection value: number required.', s.range);
      }
      if (cur.t === 'set') fail('Invalid index', 'Elements of a set are identified only by their value and don\'t have any separate index or key to select with, so it\'s only possible to perform operations across all elements of the set.', s.range);
      const x = Number.isInteger(i) ? cur.items[i] : undefined;
      if (x === undefined) fail('Invalid index', 'The given key does not identify an element in this collection value.', s.range);
      cur = x!;
    } else if (isMap(cur)) {
      let k: string;
      try {
        k = (convert(key, { k: 'string' }) as { v: string }).v;
      } catch {
        return fail('Invalid index', 'The given key does not identify an element in this collection value: string required.', s.range);
      }
      const x = cur.attrs.get(k);
      if (x === undefined) fail('Invalid index', 'The given key does not identify an element in this collection value.', s.range);
      cur = x!;
    } else {
      fail('Invalid index', `This value does not have any indices.`, s.range);
    }
  }
  return cur;
}

function template(parts: TemplatePart[], ctx: EvalContext, range: Range): Value {
  // "${x}" alone is the value of x itself, not a string (hclsyntax's TemplateWrapExpr).
  if (parts.length === 1 && parts[0]!.kind === 'interp') return evaluate(parts[0]!.expr, ctx);
  return str(render(parts, ctx, range));
}

function render(parts: TemplatePart[], ctx: EvalContext, range: Range): string {
  let out = '';
  for (const p of parts) {
    switch (p.kind) {
      case 'lit':
        out += p.text;
        break;
      case 'interp':
        out += interpolate(evaluate(p.expr, ctx), p.expr.range);
        break;
      case 'if': {
        const c = evaluate(p.cond, ctx);
        let b: boolean;
        try {
          b = (convert(c, { k: 'bool' }) as { v: boolean }).v;
        } catch {
          return fail('Invalid template if condition', 'The condition must be of type bool.', p.cond.range);
        }
        if (c.t === 'null') fail('Invalid template if condition', 'The condition value is null. Conditions must either be true or false.', p.cond.range);
        if (b) out += render(p.then, ctx, range);
        else if (p.else) out += render(p.else, ctx, range);
        break;
      }
      case 'for': {
        const coll = evaluate(p.coll, ctx);
        for (const [k, v] of iterate(coll, p.coll.range)) {
          const bindings: [string, Value][] = [[p.valVar, v]];
          if (p.keyVar) bindings.push([p.keyVar, k]);
          out += render(p.body, child(ctx, bindings), range);
        }
        break;
      }
    }
  }
  return out;
}

function interpolate(v: Value, range: Range): string {
  if (v.t === 'null') return fail('Invalid template interpolation value', 'The expression result is null. Cannot include a null value in a string template.', range);
  try {
    return (convert(v, { k: 'string' }) as { v: string }).v;
  } catch (err) {
    return fail('Invalid template interpolation value', `Cannot include the given value in a string template: ${(err as Error).message}.`, range);
  }
}

/** The (key, value) pairs a `for` walks: indices of sequences, sorted keys of maps and objects. */
export function iterate(coll: Value, range: Range): [Value, Value][] {
  if (isSeq(coll)) return coll.items.map((v, i) => [coll.t === 'set' ? v : num(i), v]);
  if (isMap(coll)) return [...coll.attrs.keys()].sort().map((k) => [str(k), coll.attrs.get(k)!]);
  if (coll.t === 'null') return fail('Iteration over null value', 'A null value cannot be used as the collection in a \'for\' expression.', range);
  return fail('Iteration over non-iterable value', `A value of type ${typeName(coll)} cannot be used as the collection in a 'for' expression.`, range);
}

function forExpr(e: Extract<Expr, { kind: 'forTuple' | 'forObject' }>, ctx: EvalContext): Value {
  const coll = evaluate(e.coll, ctx);
  const pairs = iterate(coll, e.coll.range);
  const items: Value[] = [];
  const attrs = new Map<string, Value>();
  const groups = new Map<string, Value[]>();
  for (const [k, v] of pairs) {
    const bindings: [string, Value][] = [[e.valVar, v]];
    if (e.keyVar) bindings.push([e.keyVar, k]);
    const c = child(ctx, bindings);
    if (e.cond) {
      const ok = evaluate(e.cond, c);
      if (ok.t !== 'bool') fail('Invalid \'for\' condition', 'The \'if\' clause value is invalid: bool required.', e.cond.range);
      if (!(ok as { v: boolean }).v) continue;
    }
    if (e.kind === 'forTuple') {
      items.push(evaluate(e.value, c));
      continue;
    }
    const kv = evaluate(e.key, c);
    if (kv.t === 'null') fail('Invalid object key', 'Key expression in \'for\' expression must not produce a null value.', e.key.range);
    let key: string;
    try {
      key = (convert(kv, { k: 'string' }) as { v: string }).v;
    } catch (err) {
      return fail('Invalid object key', `The key expression produced an invalid result: ${(err as Error).message}.`, e.key.range);
    }
    const val = evaluate(e.value, c);
    if (e.group) {
      const g = groups.get(key) ?? [];
      g.push(val);
      groups.set(key, g);
    } else {
      if (attrs.has(key)) fail('Duplicate object key', `Two different items produced the key ${JSON.stringify(key)} in this 'for' expression. If duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key.`, e.key.range);
      attrs.set(key, val);
    }
  }
  if (e.kind === 'forTuple') return tuple(items);
  if (e.group) for (const [k, g] of groups) attrs.set(k, tuple(g));
  return object(attrs);
}

// ---- function calls ------------------------------------------------------------------------------

function call(e: Extract<Expr, { kind: 'call' }>, ctx: EvalContext): Value {
  if (ctx.funcs === null) return fail('Function calls not allowed', 'Functions may not be called here.', e.range);
  // try() and can() evaluate their arguments lazily (hcl/ext/tryfunc).
  if (e.name === 'try' || e.name === 'can') {
    if (e.name === 'can' && e.args.length !== 1) fail('Invalid function arguments', 'Function "can" expects 1 argument.', e.range);
    if (e.args.length === 0) fail('Error in function call', 'Call to function "try" failed: at least one argument is required.', e.range);
    for (const a of e.args) {
      try {
        const v = evaluate(a, ctx);
        return e.name === 'can' ? bool(true) : v;
      } catch (err) {
        if (!(err instanceof HclError)) throw err;
      }
    }
    if (e.name === 'can') return bool(false);
    return fail('Error in function call', 'Call to function "try" failed: no expression succeeded.', e.range);
  }
  if (e.name === 'convert' && ctx.funcs.has('convert')) {
    if (e.args.length !== 2) fail('Invalid number of arguments', 'Function "convert" expects 2 argument(s).', e.range);
    const v = evaluate(e.args[0]!, ctx);
    const t = typeFromExpr(e.args[1]!);
    try {
      return convert(v, t);
    } catch (err) {
      return fail('Invalid function argument', `Invalid value for "value" parameter: ${(err as Error).message}.`, e.args[0]!.range);
    }
  }
  const fn = ctx.funcs.get(e.name);
  if (!fn) {
    return fail('Call to unknown function', `There is no function named "${e.name}".`, e.nameRange);
  }
  let args = e.args.map((a) => evaluate(a, ctx));
  if (e.expandFinal && args.length > 0) {
    const last = args[args.length - 1]!;
    if (!isSeq(last)) fail('Invalid expanding argument value', 'The expanding argument (indicated by ...) must be of a tuple, list, or set type.', e.args[e.args.length - 1]!.range);
    args = [...args.slice(0, -1), ...(last as { items: Value[] }).items];
  }
  const arity = fn.params.length;
  if (args.length < arity) {
    const missing = fn.params[args.length]!;
    fail('Not enough function arguments', `Function "${e.name}" expects ${arity} argument(s). Missing value for "${missing.name}".`, e.range);
  }
  if (args.length > arity && !fn.varParam) {
    fail('Too many function arguments', `Function "${e.name}" expects only ${arity} argument(s).`, e.args[arity]?.range ?? e.range);
  }
  const converted = args.map((a, i) => {
    const p = i < arity ? fn.params[i]! : fn.varParam!;
    const range = e.args[Math.min(i, e.args.length - 1)]?.range ?? e.range;
    return param(a, p, range);
  });
  try {
    return fn.impl(converted);
  } catch (err) {
    if (err instanceof HclError) throw err;
    if (err instanceof FunctionError && err.argIndex !== null) {
      const p = err.argIndex < arity ? fn.params[err.argIndex]! : fn.varParam!;
      return fail('Invalid function argument', `Invalid value for "${p.name}" parameter: ${err.message}.`, e.args[err.argIndex]?.range ?? e.range);
    }
    return fail('Error in function call', `Call to function "${e.name}" failed: ${(err as Error).message}.`, e.range);
  }
}

function param(v: Value, p: FunctionParam, range: Range): Value {
  if (v.t === 'null') {
    if (p.allowNull || p.type === 'any') return v;
    return fail('Invalid function argument', `Invalid value for "${p.name}" parameter: argument must not be null.`, range);
  }
  switch (p.type) {
    case 'any':
      return v;
    case 'list':
      if (!isSeq(v)) fail('Invalid function argument', `Invalid value for "${p.name}" parameter: list of any single type required.`, range);
      return v;
    case 'map':
      if (!isMap(v)) fail('Invalid function argument', `Invalid value for "${p.name}" parameter: map of any single type required.`, range);
      return v;
    case 'collection':
      if (!isMap(v) && !isSeq(v)) fail('Invalid function argument', `Invalid value for "${p.name}" parameter: collection required.`, range);
      return v;
    default:
      try {
        return convert(v, { k: p.type });
      } catch (err) {
        if (err instanceof ConversionError) return fail('Invalid function argument', `Invalid value for "${p.name}" parameter: ${err.message}.`, range);
        throw err;
      }
  }
}

export function stringOf(v: Value): string {
  if (v.t === 'string') return v.v;
  if (v.t === 'number') return formatNumber(v.v);
  if (v.t === 'bool') return String(v.v);
  return '';
}

