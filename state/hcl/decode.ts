// Body → API struct decoding as Nomad's jobspec2 does it with gohcl and its own block decoders
// (hcl_conversions.go): schema checks with hclsyntax's diagnostics, argument conversion,
// durations, `constraint`/`affinity` shorthands, group and task specials and `dynamic` blocks.
// The free-form maps (`config`, `meta`, `env`, …) are in blocks-as-attrs.ts.
import type { Attribute, Block, Body } from './ast.js';
import { HclError, diag, nameSuggestion, rangeString, type Diagnostic, collecting } from './diag.js';
import { child, evaluate, iterate, type EvalContext } from './eval.js';
import { parseGoDuration } from './duration.js';
import { spec, STRUCTS, UNSUPPORTED_BLOCKS, type AttrType, type BlockSpec, type StructSpec } from './schema.js';
import { ConversionError, convert, isMap, isSeq, object, toJS, type Value } from './value.js';
import { zeroStruct, type Obj } from './zero.js';
import { justAttributes } from './blocks-as-attrs.js';

/** A block with the evaluation context of its body (dynamic blocks add their iterator). */
interface Scoped {
  block: Block;
  ctx: EvalContext;
}


const INT_RANGES: Record<string, [number, number, string, string]> = {
  int: [-9223372036854775808, 9223372036854775807, '-9223372036854775808', '9223372036854775807'],
  int64: [-9223372036854775808, 9223372036854775807, '-9223372036854775808', '9223372036854775807'],
  int8: [-128, 127, '-128', '127'],
  uint8: [0, 255, '0', '255'],
  uint64: [0, 18446744073709551615, '0', '18446744073709551615'],
};

export class Decoder {
  readonly diags: Diagnostic[] = [];

  private error(summary: string, detail: string, subject?: Diagnostic['subject']): void {
    this.diags.push(diag(summary, detail, subject));
  }

  /** Runs `f`, turning an evaluation failure into collected diagnostics. */
  private guard<T>(f: () => T): T | undefined {
    return collecting(this.diags, f);
  }

  // ---- schema checks ------------------------------------------------------------------------

  /** Expands `dynamic "<type>"` blocks whose type the schema accepts (hcl/ext/dynblock). */
  expandDynamic(body: Body, ctx: EvalContext, types: ReadonlySet<string>): Scoped[] {
    const out: Scoped[] = [];
    for (const b of body.blocks) {
      if (b.type !== 'dynamic' || b.labels.length !== 1 || !types.has(b.labels[0]!)) {
        out.push({ block: b, ctx });
        continue;
      }
      const type = b.labels[0]!;
      const attrs = new Map(b.body.attributes.map((a) => [a.name, a]));
      for (const a of b.body.attributes) {
        if (!['for_each', 'iterator', 'labels'].includes(a.name)) this.error('Unsupported argument', `An argument named "${a.name}" is not expected here.`, a.nameRange);
      }
      const forEach = attrs.get('for_each');
      if (!forEach) {
        this.error('Missing required argument', 'The argument "for_each" is required, but no definition was found.', b.body.missingRange);
        continue;
      }
      const contents = b.body.blocks.filter((x) => x.type === 'content');
      for (const x of b.body.blocks) if (x.type !== 'content') this.error('Unsupported block type', `Blocks of type "${x.type}" are not expected here.`, x.typeRange);
      if (contents.length !== 1) {
        this.error(contents.length === 0 ? 'Missing content block' : 'Duplicate content block', contents.length === 0 ? 'A dynamic block must have a nested block of type "content" to describe the body of each generated block.' : 'Only one content block is allowed per dynamic block.', b.defRange);
        continue;
      }
      const content = contents[0]!;
      let iterName = type;
      const it = attrs.get('iterator');
      if (it) {
        if (it.expr.kind !== 'scope' || it.expr.steps.length > 0) {
          this.error('Invalid dynamic iterator name', 'Dynamic iterator must be a single variable name.', it.expr.range);
          continue;
        }
        iterName = it.expr.root;
      }
      const coll = this.guard(() => evaluate(forEach.expr, ctx));
      if (coll === undefined) continue;
      if (!isSeq(coll) && !isMap(coll)) {
        this.error('Invalid dynamic for_each value', `Cannot use a ${coll.t} value in for_each. An iterable collection is required.`, forEach.expr.range);
        continue;
      }
      for (const [k, v] of iterate(coll, forEach.expr.range)) {
        const iter = object(new Map([['key', k], ['value', v]]));
        const c = child(ctx, [[iterName, iter]]);
        let labels: string[] = [];
        const labelsAttr = attrs.get('labels');
        if (labelsAttr) {
          const lv = this.guard(() => evaluate(labelsAttr.expr, c));
          if (lv === undefined) continue;
          try {
            const conv = convert(lv, { k: 'list', elem: { k: 'string' } });
            labels = (conv as { items: Value[] }).items.map((x) => (x as { v: string }).v);
          } catch (err) {
            this.error('Invalid dynamic block labels', `Invalid labels: ${(err as Error).message}.`, labelsAttr.expr.range);
            continue;
          }
        }
        out.push({
          block: { ...content, type, labels, typeRange: b.labelRanges[0]!, labelRanges: labels.map(() => b.labelRanges[0]!), defRange: b.defRange },
          ctx: c,
        });
      }
    }
    return out;
  }

  /**
   * hclsyntax Body.Content against a struct's schema: unknown arguments and blocks, missing required
   * arguments, label counts. `skipAttrs`/`skipBlocks` were taken by a partial decode already.
   */
  private content(body: Body, s: StructSpec, blocks: Scoped[], skipAttrs: ReadonlySet<string>, skipBlocks: ReadonlySet<string>): void {
    const attrNames = s.attrs.map((a) => a.hcl);
    const blockNames = s.blocks.map((b) => b.hcl);
    for (const a of body.attributes) {
      if (skipAttrs.has(a.name) || attrNames.includes(a.name)) continue;
      if (blockNames.includes(a.name)) {
        this.error('Unsupported argument', `An argument named "${a.name}" is not expected here. Did you mean to define a block of type "${a.name}"?`, a.nameRange);
        continue;
      }
      const sug = nameSuggestion(a.name, attrNames);
      this.error('Unsupported argument', `An argument named "${a.name}" is not expected here.${sug ? ` Did you mean "${sug}"?` : ''}`, a.nameRange);
    }
    for (const { block: b } of blocks) {
      if (skipBlocks.has(b.type)) continue;
      const bs = s.blocks.find((x) => x.hcl === b.type);
      if (!bs) {
        if (attrNames.includes(b.type)) {
          this.error('Unsupported block type', `Blocks of type "${b.type}" are not expected here. Did you mean to define argument "${b.type}"? If so, use the equals sign to assign it a value.`, b.typeRange);
          continue;
        }
        const sug = nameSuggestion(b.type, blockNames);
        this.error('Unsupported block type', `Blocks of type "${b.type}" are not expected here.${sug ? ` Did you mean "${sug}"?` : ''}`, b.typeRange);
        continue;
      }
      this.checkLabels(b, labelCount(bs));
    }
    for (const a of s.attrs) {
      if (a.required && !body.attributes.some((x) => x.name === a.hcl)) {
        this.error('Missing required argument', `The argument "${a.hcl}" is required, but no definition was found.`, body.missingRange);
      }
    }
  }

  checkLabels(b: Block, want: number): boolean {
    if (b.labels.length < want) {
      this.error(`Missing name for ${b.type}`, `All ${b.type} blocks must have ${want} labels (name).`, b.openBraceRange);
      return false;
    }
    if (b.labels.length > want) {
      if (want === 0) this.error(`Extraneous label for ${b.type}`, `No labels are expected for ${b.type} blocks.`, b.labelRanges[0]);
      else this.error(`Extraneous label for ${b.type}`, `Only ${want} labels (name) are expected for ${b.type} blocks.`, b.labelRanges[want]);
      return false;
    }
    return true;
  }

  // ---- structs -------------------------------------------------------------------------------

  /** Decodes a block into a fresh API struct (with its label, if the struct takes one). */
  decodeBlock(sb: Scoped, structName: string): Obj {
    const out = zeroStruct(structName);
    const s = spec(structName);
    if (s.label && sb.block.labels.length > 0) out[s.label] = sb.block.labels[0];
    switch (structName) {
      case 'Constraint':
        this.decodeConstraint(sb, out);
        break;
      case 'Affinity':
        this.decodeAffinity(sb, out);
        break;
      case 'TaskGroup':
        this.decodeTaskGroup(sb, out);
        break;
      case 'Task':
        this.decodeTask(sb, out);
        break;
      default:
        this.decodeBody(sb.block.body, sb.ctx, structName, out);
    }
    return out;
  }

  /** gohcl.DecodeBody: the body's arguments and blocks into `out` (an API struct). */
  decodeBody(body: Body, ctx: EvalContext, structName: string, out: Obj, skipAttrs: ReadonlySet<string> = new Set(), skipBlocks: ReadonlySet<string> = new Set()): void {
    const s = spec(structName);
    const blocks = this.expandDynamic(body, ctx, new Set(s.blocks.map((b) => b.hcl)));
    this.content(body, s, blocks, skipAttrs, skipBlocks);
    for (const a of body.attributes) {
      const as = s.attrs.find((x) => x.hcl === a.name);
      if (!as || skipAttrs.has(a.name)) continue;
      const v = this.guard(() => this.attrValue(a, as.type, ctx));
      if (v !== undefined) out[as.field] = v;
    }
    for (const bs of s.blocks) {
      if (skipBlocks.has(bs.hcl)) continue;
      const mine = blocks.filter((x) => x.block.type === bs.hcl && x.block.labels.length === labelCount(bs));
      if (mine.length === 0) continue;
      this.decodeBlocks(bs, mine, out);
    }
  }

  private decodeBlocks(bs: BlockSpec, blocks: Scoped[], out: Obj): void {
    const unsupported = UNSUPPORTED_BLOCKS.get(bs.hcl);
    if (unsupported) {
      for (const b of blocks) this.error('Unsupported block type', unsupported, b.block.typeRange);
      return;
    }
    if (bs.kind !== 'list' && bs.kind !== 'map' && blocks.length > 1) {
      this.error(`Duplicate ${bs.hcl} block`, `Only one ${bs.hcl} block is allowed. Another was defined at ${rangeString(blocks[0]!.block.defRange)}.`, blocks[1]!.block.defRange);
      return;
    }
    switch (bs.kind) {
      case 'one':
        out[bs.field] = this.decodeBlock(blocks[0]!, bs.struct!);
        return;
      case 'list':
        out[bs.field] = blocks.map((b) => this.decodeBlock(b, bs.struct!));
        return;
      case 'map': {
        const m: Obj = {};
        for (const b of blocks) m[b.block.labels[0]!] = this.decodeBlock(b, bs.struct!);
        out[bs.field] = m;
        return;
      }
      default:
        out[bs.field] = this.decodeMap(blocks[0]!, bs.kind);
    }
  }

  /** A block decoded into a Go map through hclutil.BlocksAsAttrs' JustAttributes. */
  private decodeMap(sb: Scoped, kind: 'strmap' | 'anymap' | 'strlistmap'): Obj {
    const attrs = this.guard(() => justAttributes(sb.block.body, sb.ctx)) ?? new Map<string, [Value, Attribute | null]>();
    const out: Obj = {};
    for (const k of [...attrs.keys()].sort()) {
      const [v, attr] = attrs.get(k)!;
      const subject = attr?.expr.range ?? sb.block.typeRange;
      if (kind === 'anymap') {
        out[k] = toJS(v);
        continue;
      }
      try {
        if (kind === 'strmap') {
          const s = convert(v, { k: 'string' });
          out[k] = s.t === 'null' ? '' : (s as { v: string }).v;
        } else {
          const l = convert(v, { k: 'list', elem: { k: 'string' } });
          out[k] = l.t === 'null' ? null : (l as { items: Value[] }).items.map((x) => (x as { v: string }).v);
        }
      } catch (err) {
        if (!(err instanceof ConversionError)) throw err;
        this.error('Unsuitable value type', `Unsuitable value: ${err.message}`, subject);
      }
    }
    return out;
  }

  /** gohcl.DecodeExpression into a Go field of the given type; null leaves the field unset. */
  attrValue(a: Attribute, type: AttrType, ctx: EvalContext): unknown {
    const v = evaluate(a.expr, ctx);
    const subject = a.expr.range;
    const unsuitable = (detail: string): never => {
      throw new HclError([diag('Unsuitable value type', detail, subject)]);
    };
    if (type === 'duration') {
      if (v.t === 'string') {
        try {
          return parseGoDuration(v.v);
        } catch (err) {
          return unsuitable(`Unsuitable duration value: ${(err as Error).message}`);
        }
      }
      if (v.t === 'null') return null;
      if (v.t !== 'number') return unsuitable(`Unsuitable value: expected a string but found ${v.t === 'tuple' || v.t === 'object' ? v.t : v.t}`);
      if (!Number.isInteger(v.v)) return unsuitable('Unsuitable value: value must be a whole number, between -9223372036854775808 and 9223372036854775807 inclusive');
      return v.v;
    }
    if (v.t === 'null') return null;
    try {
      switch (type) {
        case 'string':
          return (convert(v, { k: 'string' }) as { v: string }).v;
        case 'bool':
          return (convert(v, { k: 'bool' }) as { v: boolean }).v;
        case 'strings': {
          const l = convert(v, { k: 'list', elem: { k: 'string' } }) as { items: Value[] };
          return l.items.map((x) => (x.t === 'null' ? '' : (x as { v: string }).v));
        }
        case 'strmap': {
          const m = convert(v, { k: 'map', elem: { k: 'string' } }) as { attrs: Map<string, Value> };
          const out: Obj = {};
          for (const k of [...m.attrs.keys()].sort()) out[k] = (m.attrs.get(k) as { v: string }).v;
          return out;
        }
        default: {
          const n = (convert(v, { k: 'number' }) as { v: number }).v;
          const [lo, hi, los, his] = INT_RANGES[type]!;
          if (!Number.isInteger(n) || n < lo || n > hi) unsuitable(`Unsuitable value: value must be a whole number, between ${los} and ${his} inclusive`);
          return n;
        }
      }
    } catch (err) {
      if (err instanceof ConversionError) return unsuitable(`Unsuitable value: ${err.message}`);
      throw err;
    }
  }

  // ---- Nomad's own block decoders (jobspec2/hcl_conversions.go) ------------------------------------

  /** hcldec over a fixed set of arguments: unknown names and nested blocks are errors. */
  private hcldec(sb: Scoped, specs: Record<string, 'string' | 'bool' | 'number'>): Map<string, Value> | null {
    const body = sb.block.body;
    const before = this.diags.length;
    const names = Object.keys(specs);
    for (const a of body.attributes) {
      if (!specs[a.name]) {
        const sug = nameSuggestion(a.name, names);
        this.error('Unsupported argument', `An argument named "${a.name}" is not expected here.${sug ? ` Did you mean "${sug}"?` : ''}`, a.nameRange);
      }
    }
    for (const b of body.blocks) this.error('Unsupported block type', `Blocks of type "${b.type}" are not expected here.`, b.typeRange);
    const out = new Map<string, Value>();
    for (const a of body.attributes) {
      const t = specs[a.name];
      if (!t) continue;
      const v = this.guard(() => evaluate(a.expr, sb.ctx));
      if (v === undefined) continue;
      try {
        out.set(a.name, convert(v, { k: t }));
      } catch (err) {
        if (!(err instanceof ConversionError)) throw err;
        this.error('Incorrect attribute value type', `Inappropriate value for attribute "${a.name}": ${err.message}.`, a.expr.range);
      }
    }
    return this.diags.length > before ? null : out;
  }

  private decodeConstraint(sb: Scoped, c: Obj): void {
    const v = this.hcldec(sb, {
      attribute: 'string', value: 'string', operator: 'string', distinct_property: 'string', distinct_hosts: 'bool', regexp: 'string',
      version: 'string', semver: 'string', set_contains: 'string', set_contains_all: 'string', set_contains_any: 'string',
      attribute_is_set: 'string', attribute_is_not_set: 'string',
    });
    if (!v) return;
    const attr = (k: string): string => {
      const x = v.get(k);
      return x && x.t === 'string' ? x.v : '';
    };
    c.LTarget = attr('attribute');
    c.RTarget = attr('value');
    c.Operand = attr('operator');
    for (const op of ['version', 'semver', 'regexp', 'set_contains']) {
      if (attr(op) !== '') {
        c.Operand = op;
        c.RTarget = attr(op);
      }
    }
    const dh = v.get('distinct_hosts');
    if (dh && dh.t === 'bool' && dh.v) c.Operand = 'distinct_hosts';
    if (attr('distinct_property') !== '') {
      c.Operand = 'distinct_property';
      c.LTarget = attr('distinct_property');
    }
    if (c.Operand === '') c.Operand = '=';
  }

  private decodeAffinity(sb: Scoped, a: Obj): void {
    const v = this.hcldec(sb, {
      attribute: 'string', value: 'string', operator: 'string', weight: 'number',
      version: 'string', semver: 'string', regexp: 'string', set_contains: 'string', set_contains_all: 'string', set_contains_any: 'string',
    });
    if (!v) return;
    const attr = (k: string): string => {
      const x = v.get(k);
      return x && x.t === 'string' ? x.v : '';
    };
    a.LTarget = attr('attribute');
    a.RTarget = attr('value');
    a.Operand = attr('operator');
    const w = v.get('weight');
    if (w && w.t === 'number') a.Weight = ((Math.trunc(w.v) + 128) & 0xff) - 128;
    for (const op of ['version', 'semver', 'regexp', 'set_contains_any', 'set_contains_all', 'set_contains']) {
      if (attr(op) !== '') {
        a.Operand = op;
        a.RTarget = attr(op);
      }
    }
    if (a.Operand === '') a.Operand = '=';
  }

  /**
   * decodeAsAttribute: `meta = { … }` as an argument instead of a block. Returns the map, or
   * undefined when the body has no such argument.
   */
  metaAttribute(body: Body, ctx: EvalContext): Obj | undefined {
    const attr = body.attributes.find((a) => a.name === 'meta');
    if (!attr) return undefined;
    const block = body.blocks.find((b) => b.type === 'meta');
    if (block) this.error('Duplicate meta block', 'meta may not be defined both as an attribute and as a block.', attr.nameRange);
    const m = this.guard(() => {
      const v = evaluate(attr.expr, ctx);
      try {
        return convert(v, { k: 'map', elem: { k: 'string' } });
      } catch (err) {
        if (!(err instanceof ConversionError)) throw err;
        throw new HclError([diag('Unsuitable value type', `Unsuitable value: ${err.message}`, attr.expr.range)]);
      }
    });
    const out: Obj = {};
    if (m && m.t !== 'null') for (const k of [...(m as { attrs: Map<string, Value> }).attrs.keys()].sort()) out[k] = ((m as { attrs: Map<string, Value> }).attrs.get(k) as { v: string }).v;
    return out;
  }

  /** decodeTaskGroup: `meta` as an argument, a group-level `vault` block, scaling defaults. */
  private decodeTaskGroup(sb: Scoped, tg: Obj): void {
    const body = sb.block.body;
    const meta = this.metaAttribute(body, sb.ctx);
    const vaultBlocks = this.expandDynamic(body, sb.ctx, new Set(['vault'])).filter((x) => x.block.type === 'vault');
    let vault: Obj | null = null;
    for (const vb of vaultBlocks) {
      if (!this.checkLabels(vb.block, 0)) continue;
      vault = zeroStruct('Vault');
      this.decodeBody(vb.block.body, vb.ctx, 'Vault', vault);
    }
    this.decodeBody(body, sb.ctx, 'TaskGroup', tg, new Set(meta !== undefined ? ['meta'] : []), new Set(['vault']));
    if (meta !== undefined) tg.Meta = meta;
    if (vault) for (const t of (tg.Tasks as Obj[] | null) ?? []) if (t.Vault === null) t.Vault = vault;
    const scaling = tg.Scaling as Obj | null;
    if (scaling) {
      if (scaling.Type === '') scaling.Type = 'horizontal';
      if (scaling.Max === null || scaling.Type !== 'horizontal') {
        const sblock = body.blocks.find((b) => b.type === 'scaling');
        if (sblock) {
          if (!sblock.body.attributes.some((a) => a.name === 'max')) this.error('Missing required argument', 'The argument "max" is required, but no definition was found.', sblock.body.missingRange);
          const typeAttr = sblock.body.attributes.find((a) => a.name === 'type');
          if (scaling.Type !== 'horizontal' && typeAttr) this.error('Invalid group scaling type', `task group scaling policy had invalid type: ${JSON.stringify(scaling.Type)}`, typeAttr.expr.range);
        }
      }
    }
  }

  /** decodeTask: `meta` as an argument and the labelled `scaling "cpu"|"mem"` policies. */
  private decodeTask(sb: Scoped, t: Obj): void {
    const body = sb.block.body;
    const meta = this.metaAttribute(body, sb.ctx);
    const scalingBlocks = this.expandDynamic(body, sb.ctx, new Set(['scaling'])).filter((x) => x.block.type === 'scaling');
    const seen = new Map<string, Block>();
    const policies: Obj[] = [];
    for (const sc of scalingBlocks) {
      if (!this.checkLabels(sc.block, 1)) continue;
      const label = sc.block.labels[0]!.toLowerCase();
      const policyType = label === 'cpu' ? 'vertical_cpu' : label === 'mem' ? 'vertical_mem' : null;
      if (!policyType) {
        this.error('Invalid scaling policy name', 'scaling policy name must be "cpu" or "mem"', sc.block.labelRanges[0]);
        continue;
      }
      const prev = seen.get(label);
      if (prev) {
        this.error(`Duplicate scaling ${JSON.stringify(label)} block`, `Only one scaling ${label} block is allowed. Another was defined at ${rangeString(prev.defRange)}.`, sc.block.defRange);
        continue;
      }
      seen.set(label, sc.block);
      const p = zeroStruct('ScalingPolicy');
      this.decodeBody(sc.block.body, sc.ctx, 'ScalingPolicy', p);
      if (p.Type === '') p.Type = policyType;
      else if (p.Type !== policyType) {
        this.error('Invalid scaling policy type', `Invalid policy type, expected ${JSON.stringify(p.Type)} but found ${JSON.stringify(policyType)}`, sc.block.defRange);
        continue;
      }
      policies.push(p);
    }
    this.decodeBody(body, sb.ctx, 'Task', t, new Set(meta !== undefined ? ['meta'] : []), new Set(['scaling']));
    if (meta !== undefined) t.Meta = meta;
    if (policies.length > 0) t.ScalingPolicies = policies;
  }
}

function labelCount(bs: BlockSpec): number {
  if (bs.kind === 'map') return 1;
  if (bs.kind === 'one' || bs.kind === 'list') return STRUCTS.get(bs.struct!)?.label ? 1 : 0;
  return 0;
}
