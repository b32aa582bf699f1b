// Input variables and locals (jobspec2/types.variables.go, types.config.go): `variable "x" {}`
// blocks with `type`, `default`, `description` and `validation`, the legacy `variables {}` block,
// values from the request's `Variables` (HCL variables-file syntax), and `locals {}`.
import type { Attribute, Body, Expr } from './ast.js';
import { HclError, diag, rangeString, type Diagnostic, type Range, collecting } from './diag.js';
import { evaluate, type EvalContext, type HclFunction } from './eval.js';
import { typeFromExpr } from './typeexpr.js';
import { ConversionError, convert, object, type Type, type Value } from './value.js';

interface Assignment {
  from: 'default' | 'varfile';
  value: Value;
  expr: Expr | null;
}

interface Validation {
  condition: Expr | null;
  errorMessage: string;
  declRange: Range;
}

interface Variable {
  name: string;
  type: Type | null;
  values: Assignment[];
  validations: Validation[];
  range: Range;
}

const VALID_IDENT = /^[\p{L}_][\p{L}\p{N}_-]*$/u;

/** The type a value implies when a variable has no `type` (cty's value.Type()). */
function impliedType(v: Value): Type {
  switch (v.t) {
    case 'string':
    case 'number':
    case 'bool':
      return { k: v.t };
    case 'null':
      return { k: 'any' };
    case 'tuple':
      return { k: 'tuple', elems: v.items.map(impliedType) };
    case 'list':
    case 'set':
      return { k: v.t, elem: v.items.length > 0 ? impliedType(v.items[0]!) : { k: 'any' } };
    case 'object':
      return { k: 'object', attrs: new Map([...v.attrs].map(([k, x]) => [k, impliedType(x)])) };
    case 'map': {
      const first = v.attrs.values().next();
      return { k: 'map', elem: first.done ? { k: 'any' } : impliedType(first.value) };
    }
  }
}

/** Evaluation with no variables and no functions (variable defaults, the variables file). */
export function staticContext(src: string): EvalContext {
  return { src, vars: null, funcs: null, keepUnknown: false };
}

export class Variables {
  readonly diags: Diagnostic[] = [];
  private readonly vars = new Map<string, Variable>();
  private readonly locals = new Map<string, Value>();

  constructor(private readonly src: string) {}

  private guard<T>(f: () => T): T | undefined {
    return collecting(this.diags, f);
  }

  /** `variable` and `variables` blocks of the jobspec. */
  declare(body: Body): void {
    for (const b of body.blocks) {
      if (b.type === 'variable') this.variableBlock(b.labels[0]!, b.body, b.defRange, b.labelRanges[0]!);
      else if (b.type === 'variables') {
        for (const x of b.body.blocks) this.diags.push(diag(`Unexpected "${x.type}" block`, 'Blocks are not allowed here.', x.typeRange));
        for (const a of b.body.attributes) this.plainVariable(a);
      }
    }
  }

  private plainVariable(a: Attribute): void {
    if (this.vars.has(a.name)) {
      this.diags.push(diag('Duplicate variable', `Duplicate ${a.name} variable definition found.`, a.nameRange));
      return;
    }
    const value = this.guard(() => evaluate(a.expr, staticContext(this.src)));
    if (value === undefined) return;
    this.vars.set(a.name, { name: a.name, type: impliedType(value), values: [{ from: 'default', value, expr: a.expr }], validations: [], range: a.range });
  }

  private variableBlock(name: string, body: Body, defRange: Range, labelRange: Range): void {
    if (this.vars.has(name)) {
      this.diags.push({ summary: 'Duplicate variable', detail: `Duplicate ${name} variable definition found.` });
      return;
    }
    const allowed = ['description', 'default', 'type'];
    for (const a of body.attributes) {
      if (!allowed.includes(a.name)) this.diags.push(diag('Unsupported argument', `An argument named "${a.name}" is not expected here.`, a.nameRange));
    }
    for (const b of body.blocks) {
      if (b.type !== 'validation') this.diags.push(diag('Unsupported block type', `Blocks of type "${b.type}" are not expected here.`, b.typeRange));
    }
    if (!VALID_IDENT.test(name)) {
      this.diags.push(diag('Invalid variable name', 'A name must start with a letter or underscore and may contain only letters, digits, underscores, and dashes.', labelRange));
    }
    const v: Variable = { name, type: null, values: [], validations: [], range: defRange };
    const attr = (n: string): Attribute | undefined => body.attributes.find((a) => a.name === n);
    const desc = attr('description');
    if (desc) this.guard(() => evaluate(desc.expr, staticContext(this.src)));
    const typeAttr = attr('type');
    if (typeAttr) {
      const t = this.guard(() => typeFromExpr(typeAttr.expr));
      if (t === undefined) return;
      v.type = t;
    }
    const def = attr('default');
    if (def) {
      let value = this.guard(() => evaluate(def.expr, staticContext(this.src)));
      if (value === undefined) return;
      if (v.type) {
        try {
          value = convert(value, v.type);
        } catch (err) {
          if (!(err instanceof ConversionError)) throw err;
          this.diags.push(diag('Invalid default value for variable', `This default value is not compatible with the variable's type constraint: ${err.message}.`, def.expr.range));
        }
      }
      v.values.push({ from: 'default', value, expr: def.expr });
      if (!v.type) v.type = impliedType(value);
    }
    for (const b of body.blocks) {
      if (b.type !== 'validation') continue;
      const cond = b.body.attributes.find((a) => a.name === 'condition');
      const msg = b.body.attributes.find((a) => a.name === 'error_message');
      for (const req of ['condition', 'error_message']) {
        if (!b.body.attributes.some((a) => a.name === req)) this.diags.push(diag('Missing required argument', `The argument "${req}" is required, but no definition was found.`, b.body.missingRange));
      }
      let errorMessage = '';
      if (msg) {
        const m = this.guard(() => evaluate(msg.expr, staticContext(this.src)));
        errorMessage = m && m.t === 'string' ? m.v : '';
        if (m !== undefined && errorMessage === '') this.diags.push(diag('Invalid validation error message', 'An empty string is not a valid nor useful error message.', msg.expr.range));
      }
      v.validations.push({ condition: cond?.expr ?? null, errorMessage, declRange: b.defRange });
    }
    this.vars.set(name, v);
  }

  /** Values from the request's `Variables` (a variables file); unknown names only warn. */
  assign(body: Body, src: string): void {
    const decls = body.blocks.filter((b) => b.type === 'variable');
    for (const b of decls) {
      const name = b.labels[0] ?? '';
      this.diags.push(diag('Variable declaration in a .var file', `A .var file is used to assign values to variables that have already been declared in job files, not to declare new variables. To declare variable ${JSON.stringify(name)}, place this block in one of your job files\n\nTo set a value for this variable in ${b.typeRange.filename}, use the definition syntax instead:\n    ${name} = <value>`, b.typeRange));
    }
    if (decls.length > 0) return;
    for (const b of body.blocks) this.diags.push(diag(`Unexpected "${b.type}" block`, 'Blocks are not allowed here.', b.typeRange));
    for (const a of body.attributes) {
      const v = this.vars.get(a.name);
      if (!v) {
        this.diags.push({ summary: 'Undefined variable', detail: `A ${JSON.stringify(a.name)} variable was set but was not found in known variables. To declare variable ${JSON.stringify(a.name)}, place this block in your job files`, subject: a.range, warning: true });
        continue;
      }
      let value = this.guard(() => evaluate(a.expr, staticContext(src)));
      if (value === undefined) continue;
      if (v.type) {
        try {
          value = convert(value, v.type);
        } catch (err) {
          if (!(err instanceof ConversionError)) throw err;
          this.diags.push(diag('Invalid value for variable', `The value for ${a.name} is not compatible with the variable's type constraint: ${err.message}.`, a.expr.range));
          continue;
        }
      }
      v.values.push({ from: 'varfile', value, expr: a.expr });
    }
  }

  /** The `var` object: each variable's last value, after its validation rules. */
  values(funcs: Map<string, HclFunction>): Map<string, Value> {
    const out = new Map<string, Value>();
    for (const v of this.vars.values()) {
      const last = v.values[v.values.length - 1];
      if (!last) {
        this.diags.push({ summary: `Unset variable ${JSON.stringify(v.name)}`, detail: 'A used variable must be set or have a default value; see https://www.nomadproject.io/docs/job-specification/hcl2/variables for details.' });
        continue;
      }
      out.set(v.name, last.value);
      for (const rule of v.validations) {
        if (!rule.condition) continue;
        const ctx: EvalContext = { src: this.src, vars: new Map([['var', object(new Map([[v.name, last.value]]))]]), funcs, keepUnknown: false };
        const result = this.guard(() => evaluate(rule.condition!, ctx));
        if (result === undefined) continue;
        if (result.t === 'null') {
          this.diags.push(diag('Invalid variable validation result', 'Validation condition expression must return either true or false, not null.', rule.condition.range));
          continue;
        }
        let ok: boolean;
        try {
          ok = (convert(result, { k: 'bool' }) as { v: boolean }).v;
        } catch (err) {
          this.diags.push(diag('Invalid variable validation result', `Invalid validation condition result value: ${(err as Error).message}.`, rule.condition.range));
          continue;
        }
        if (!ok) {
          this.diags.push(diag(`Invalid value for ${last.from} variable`, `${rule.errorMessage}\n\nThis was checked by the validation rule at ${rangeString(rule.declRange)}.`, last.expr?.range ?? rule.declRange));
        }
      }
    }
    return out;
  }

  /** `locals` blocks, evaluated in dependency order (each retried until its references resolve). */
  evaluateLocals(body: Body, ctxFor: (locals: Map<string, Value>) => EvalContext): Map<string, Value> {
    const pending: Attribute[] = [];
    const seen = new Set<string>();
    for (const b of body.blocks) {
      if (b.type !== 'locals') continue;
      for (const x of b.body.blocks) this.diags.push(diag(`Unexpected "${x.type}" block`, 'Blocks are not allowed here.', x.typeRange));
      for (const a of b.body.attributes) {
        if (seen.has(a.name)) {
          this.diags.push(diag('Duplicate value in locals', `Duplicate ${a.name} definition found.`, a.nameRange));
          return this.locals;
        }
        seen.add(a.name);
        pending.push(a);
      }
    }
    let progress = true;
    while (pending.length > 0 && progress) {
      progress = false;
      for (let i = 0; i < pending.length; i++) {
        const a = pending[i]!;
        try {
          this.locals.set(a.name, evaluate(a.expr, ctxFor(this.locals)));
          pending.splice(i, 1);
          i--;
          progress = true;
        } catch (err) {
          if (!(err instanceof HclError)) throw err;
        }
      }
    }
    if (pending.length > 0) {
      // What is left fails for good (or references itself): report its own error.
      this.guard(() => evaluate(pending[0]!.expr, ctxFor(this.locals)));
    }
    return this.locals;
  }
}

