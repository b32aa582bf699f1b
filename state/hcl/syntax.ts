// HCL native syntax → the tree in ast.ts. The grammar is tree-sitter-hcl (the tree-sitter project's
// HCL grammar, run through web-tree-sitter's WebAssembly build); this file only walks its concrete
// syntax tree and reports syntax errors as HCL diagnostics (string escapes and template strip
// markers: syntax-text.ts).
import type { Node, Parser } from 'web-tree-sitter';
import type { Attribute, Block, Body, Expr, ObjectItem, Step, TemplatePart } from './ast.js';
import { HclError, diag, rangeString, type Diagnostic, type Pos, type Range } from './diag.js';
import { applyStrip, trimFirst, trimLast, unescapeQuoted, unescapeTemplate } from './syntax-text.js';

const BINARY_OPS = new Set(['*', '/', '%', '+', '-', '>', '>=', '<', '<=', '==', '!=', '&&', '||']);

/** Parses a whole HCL file into its top-level body; syntax errors throw HclError. */
export function parseFile(parser: Parser, src: string, filename: string): Body {
  const tree = parser.parse(src);
  if (!tree) throw new HclError([diag('Invalid syntax', 'The file could not be parsed.')]);
  try {
    const c = new Converter(src, filename);
    const root = tree.rootNode;
    if (root.hasError) throw new HclError([c.syntaxError(root)]);
    const bodyNode = root.namedChildren.find((n) => n?.type === 'body') ?? null;
    if (root.namedChildren.some((n) => n?.type === 'object')) {
      throw new HclError([diag('Unsupported syntax', 'nomad-mock parses HCL native syntax only; jobspecs in HCL\'s JSON syntax are not supported.', c.range(0, 1))]);
    }
    const body = c.body(bodyNode, c.range(0, 0), c.range(src.length, src.length));
    check(c.diags);
    return body;
  } finally {
    tree.delete();
  }
}

function check(diags: Diagnostic[]): void {
  if (diags.length > 0) throw new HclError(diags);
}

class Converter {
  readonly diags: Diagnostic[] = [];
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly src: string,
    readonly filename: string,
  ) {
    for (let i = 0; i < src.length; i++) if (src[i] === '\n') this.lineStarts.push(i + 1);
  }

  pos(offset: number): Pos {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1, offset };
  }

  range(start: number, end: number): Range {
    return { filename: this.filename, start: this.pos(start), end: this.pos(end) };
  }

  nodeRange(n: Node): Range {
    return this.range(n.startIndex, n.endIndex);
  }

  // ---- syntax errors ----------------------------------------------------------------------

  syntaxError(root: Node): Diagnostic {
    // tree-sitter-hcl reads `1.5e3` but not `1e3`; say so rather than report a confusing error.
    const exp = /([=(,[:?]|\s)\s*(-?\d+[eE][+-]?\d+)\b/.exec(this.src);
    if (exp) {
      const at = exp.index + exp[0].length - exp[2]!.length;
      return diag('Unsupported number syntax', `nomad-mock cannot read a number with an exponent but no fraction (${exp[2]}); write it with a fraction, e.g. ${exp[2]!.replace(/^(-?\d+)/, '$1.0')}.`, this.range(at, at + exp[2]!.length));
    }
    const bad = findError(root);
    if (!bad) return diag('Invalid syntax', 'The file could not be parsed.', this.range(0, 0));
    if (bad.isMissing) {
      const at = this.range(bad.startIndex, bad.startIndex);
      if (bad.type === 'block_end' || bad.type === '}' || bad.type === 'object_end') {
        const brace = bad.parent?.type === 'block' ? bad.parent.children.find((c) => c?.type === 'block_start') : bad.parent?.parent?.children.find((c) => c?.type === 'block_start');
        return diag('Unclosed configuration block', 'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.', brace ? this.nodeRange(brace) : at);
      }
      if (bad.type === 'quoted_template_end') return diag('Unterminated template string', 'No closing marker was found for the string.', at);
      if (bad.type === 'tuple_end' || bad.type === ']') return diag('Missing item separator', 'Expected a comma to mark the beginning of the next item.', at);
      return diag('Invalid expression', 'Expected the start of an expression, but found an invalid expression token.', at);
    }
    // An ERROR holding block openings without their closings: the file ended inside a block.
    const open: Node[] = [];
    for (const c of bad.children) {
      if (c?.type === 'block_start') open.push(c);
      else if (c?.type === 'block_end') open.pop();
    }
    if (open.length > 0) {
      const brace = open[open.length - 1]!;
      return diag('Unclosed configuration block', 'There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.', this.nodeRange(brace));
    }
    const eq = bad.children.find((c) => c?.type === '=');
    if (eq) {
      const next = this.src.slice(eq.endIndex).search(/\S/);
      const at = next < 0 ? this.src.length : eq.endIndex + next;
      return diag('Invalid expression', 'Expected the start of an expression, but found an invalid expression token.', this.range(at, Math.min(at + 1, this.src.length)));
    }
    const leaf = firstLeaf(bad);
    const at = this.range(leaf.startIndex, Math.max(leaf.endIndex, leaf.startIndex + 1));
    const parent = bad.parent;
    if (!parent || parent.type === 'body' || parent.type === 'config_file' || parent.type === 'block') {
      return diag('Argument or block definition required', 'An argument or block definition is required here. To set an argument, use the equals sign "=" to introduce the argument value.', at);
    }
    return diag('Invalid expression', 'Expected the start of an expression, but found an invalid expression token.', at);
  }

  // ---- structure ----------------------------------------------------------------------------

  body(node: Node | null, open: Range, close: Range): Body {
    const attributes: Attribute[] = [];
    const blocks: Block[] = [];
    const items: { node: Node; kind: 'attr' | 'block' }[] = [];
    for (const child of node?.namedChildren ?? []) {
      if (!child) continue;
      if (child.type === 'attribute') {
        attributes.push(this.attribute(child));
        items.push({ node: child, kind: 'attr' });
      } else if (child.type === 'block') {
        blocks.push(this.block(child));
        items.push({ node: child, kind: 'block' });
      }
    }
    this.checkNewlines(items, open);
    const seen = new Map<string, Attribute>();
    for (const a of attributes) {
      const prev = seen.get(a.name);
      if (prev) {
        this.diags.push(diag('Attribute redefined', `The argument "${a.name}" was already set at ${rangeString(prev.nameRange)}. Each argument may be set only once.`, a.nameRange));
      } else {
        seen.set(a.name, a);
      }
    }
    const range: Range = { filename: this.filename, start: open.start, end: close.end };
    return { attributes, blocks, range, missingRange: { filename: this.filename, start: open.start, end: open.start } };
  }

  /** hclsyntax wants one argument or block per line (a single-line block holds one argument). */
  private checkNewlines(items: { node: Node; kind: 'attr' | 'block' }[], open: Range): void {
    for (let i = 0; i < items.length; i++) {
      const cur = items[i]!;
      const startLine = this.pos(cur.node.startIndex).line;
      if (i === 0) {
        if (startLine === open.start.line && open.start.offset > 0) {
          if (cur.kind === 'block') {
            this.diags.push(diag('Invalid single-argument block definition', 'A single-line block definition can contain only a single argument. If you meant to define argument "' + (cur.node.namedChildren[0]?.text ?? '') + '", use an equals sign to assign it a value. To define a nested configuration block, place it on a line of its own within its parent block.', this.nodeRange(cur.node)));
          } else if (items.length > 1 && this.pos(items[1]!.node.startIndex).line === startLine) {
            this.diags.push(diag('Invalid single-argument block definition', 'A single-line block definition must end with a closing brace immediately after its single argument definition.', this.nodeRange(items[1]!.node)));
          }
        }
        continue;
      }
      const prev = items[i - 1]!;
      if (this.pos(prev.node.endIndex).line === startLine) {
        if (prev.kind === 'attr') this.diags.push(diag('Missing newline after argument', 'An argument definition must end with a newline.', this.nodeRange(cur.node)));
        else this.diags.push(diag('Missing newline after block definition', 'A block definition must end with a newline.', this.nodeRange(cur.node)));
      }
    }
  }

  attribute(n: Node): Attribute {
    const id = n.namedChildren[0]!;
    const exprNode = n.namedChildren.find((c) => c?.type === 'expression')!;
    return { name: id.text, nameRange: this.nodeRange(id), expr: this.expr(exprNode), range: this.nodeRange(n) };
  }

  block(n: Node): Block {
    const kids = n.children.filter((c): c is Node => !!c && c.type !== 'comment');
    const typeNode = kids[0]!;
    const labels: string[] = [];
    const labelRanges: Range[] = [];
    let i = 1;
    for (; i < kids.length && kids[i]!.type !== 'block_start'; i++) {
      const l = kids[i]!;
      labelRanges.push(this.nodeRange(l));
      labels.push(l.type === 'string_lit' ? this.stringLit(l) : l.text);
    }
    const start = kids[i]!;
    const bodyNode = kids.find((c) => c.type === 'body') ?? null;
    const end = kids.find((c) => c.type === 'block_end') ?? kids[kids.length - 1]!;
    const openRange = this.nodeRange(start);
    return {
      type: typeNode.text,
      labels,
      typeRange: this.nodeRange(typeNode),
      labelRanges,
      body: this.body(bodyNode, openRange, this.nodeRange(end)),
      defRange: this.range(typeNode.startIndex, labelRanges.length > 0 ? labelRanges[labelRanges.length - 1]!.end.offset : typeNode.endIndex),
      openBraceRange: openRange,
    };
  }

  // ---- expressions --------------------------------------------------------------------------

  expr(n: Node): Expr {
    const kids = n.children.filter((c): c is Node => !!c && c.type !== 'comment');
    if (kids.length === 1 && kids[0]!.type === 'conditional') return this.conditional(kids[0]!);
    return this.term(kids, this.nodeRange(n));
  }

  private conditional(n: Node): Expr {
    const parts = n.namedChildren.filter((c): c is Node => !!c && c.type === 'expression');
    return { kind: 'conditional', cond: this.expr(parts[0]!), then: this.expr(parts[1]!), else: this.expr(parts[2]!), range: this.nodeRange(n) };
  }

  /** A term: a primary expression followed by attribute, index and splat steps (flattened by the grammar). */
  private term(kids: Node[], range: Range): Expr {
    let i = 0;
    let e: Expr;
    const first = kids[0]!;
    if (first.type === '(') {
      const inner = this.expr(kids[1]!);
      const close = kids[2]!;
      e = { kind: 'paren', inner, range: this.range(first.startIndex, close.endIndex) };
      i = 3;
    } else {
      e = this.primary(first);
      i = 1;
    }
    for (; i < kids.length; i++) {
      const k = kids[i]!;
      const end = k.endIndex;
      if (k.type === 'get_attr' || k.type === 'index') {
        const step = this.step(k);
        if (e.kind === 'scope' || e.kind === 'relative') {
          e = { ...e, steps: [...e.steps, step], range: this.range(e.range.start.offset, end) };
        } else {
          e = { kind: 'relative', source: e, steps: [step], range: this.range(e.range.start.offset, end) };
        }
      } else if (k.type === 'splat') {
        const inner = k.namedChildren[0]!;
        const each = inner.namedChildren.filter((c): c is Node => !!c && (c.type === 'get_attr' || c.type === 'index')).map((c) => this.step(c));
        e = { kind: 'splat', source: e, each, range: this.range(e.range.start.offset, end) };
      }
    }
    void range;
    return e;
  }

  private step(k: Node): Step {
    const range = this.nodeRange(k);
    if (k.type === 'get_attr') return { kind: 'attr', name: k.namedChildren[0]!.text, range };
    const inner = k.namedChildren[0]!;
    if (inner.type === 'legacy_index') {
      const digits = inner.text.replace(/^\./, '');
      return { kind: 'index', key: { kind: 'literal', value: Number(digits), range }, range };
    }
    return { kind: 'index', key: this.expr(inner.namedChildren[0]!), range };
  }

  private primary(n: Node): Expr {
    const range = this.nodeRange(n);
    switch (n.type) {
      case 'literal_value': {
        const c = n.namedChildren[0]!;
        if (c.type === 'numeric_lit') return { kind: 'literal', value: parseNumber(c.text), range };
        if (c.type === 'bool_lit') return { kind: 'literal', value: c.text === 'true', range };
        if (c.type === 'null_lit') return { kind: 'literal', value: null, range };
        return { kind: 'literal', value: this.stringLit(c), range };
      }
      case 'template_expr':
        return this.template(n.namedChildren[0]!);
      case 'collection_value': {
        const c = n.namedChildren[0]!;
        if (c.type === 'tuple') {
          const items = c.namedChildren.filter((x): x is Node => !!x && x.type === 'expression').map((x) => this.expr(x));
          return { kind: 'tuple', items, range };
        }
        const items: ObjectItem[] = c.namedChildren
          .filter((x): x is Node => !!x && x.type === 'object_elem')
          .map((el) => {
            const keyNode = el.childForFieldName('key')!;
            const valNode = el.childForFieldName('val')!;
            const keyKids = keyNode.children.filter((x): x is Node => !!x && x.type !== 'comment');
            const keyName = keyKids.length === 1 && keyKids[0]!.type === 'variable_expr' ? keyKids[0]!.text : null;
            return { key: this.expr(keyNode), keyName, value: this.expr(valNode) };
          });
        return { kind: 'object', items, range };
      }
      case 'variable_expr':
        return { kind: 'scope', root: n.text, rootRange: range, steps: [], range };
      case 'function_call': {
        const name = n.namedChildren[0]!;
        const argsNode = n.namedChildren.find((x) => x?.type === 'function_arguments') ?? null;
        const args = (argsNode?.namedChildren ?? []).filter((x): x is Node => !!x && x.type === 'expression').map((x) => this.expr(x));
        const expandFinal = (argsNode?.namedChildren ?? []).some((x) => x?.type === 'ellipsis');
        return { kind: 'call', name: name.text, nameRange: this.nodeRange(name), args, expandFinal, range };
      }
      case 'for_expr':
        return this.forExpr(n.namedChildren[0]!);
      case 'operation':
        return this.operation(n.namedChildren[0]!);
      default:
        throw new HclError([diag('Invalid expression', 'Expected the start of an expression, but found an invalid expression token.', range)]);
    }
  }

  private operation(n: Node): Expr {
    const kids = n.children.filter((c): c is Node => !!c && c.type !== 'comment');
    const range = this.nodeRange(n);
    if (n.type === 'unary_operation') {
      const op = kids[0]!.type;
      const rest = kids.slice(1);
      return { kind: 'unary', op, operand: this.term(rest, this.range(rest[0]!.startIndex, rest[rest.length - 1]!.endIndex)), range };
    }
    let i = 0;
    while (i < kids.length) {
      const k = kids[i]!;
      if (k.type === '(') {
        i += 3;
        continue;
      }
      if (!k.isNamed && BINARY_OPS.has(k.type)) break;
      i++;
    }
    const left = kids.slice(0, i);
    const right = kids.slice(i + 1);
    return {
      kind: 'binary',
      op: kids[i]!.type,
      left: this.term(left, this.range(left[0]!.startIndex, left[left.length - 1]!.endIndex)),
      right: this.term(right, this.range(right[0]!.startIndex, right[right.length - 1]!.endIndex)),
      range,
    };
  }

  private forExpr(n: Node): Expr {
    const range = this.nodeRange(n);
    const intro = n.namedChildren.find((x) => x?.type === 'for_intro')!;
    const ids = intro.namedChildren.filter((x): x is Node => !!x && x.type === 'identifier').map((x) => x.text);
    const coll = this.expr(intro.namedChildren.find((x) => x?.type === 'expression')!);
    const keyVar = ids.length === 2 ? ids[0]! : null;
    const valVar = ids[ids.length - 1]!;
    const exprs = n.namedChildren.filter((x): x is Node => !!x && x.type === 'expression').map((x) => this.expr(x));
    const condNode = n.namedChildren.find((x) => x?.type === 'for_cond');
    const cond = condNode ? this.expr(condNode.namedChildren.find((x) => x?.type === 'expression')!) : null;
    if (n.type === 'for_tuple_expr') return { kind: 'forTuple', keyVar, valVar, coll, value: exprs[0]!, cond, range };
    const group = n.namedChildren.some((x) => x?.type === 'ellipsis');
    return { kind: 'forObject', keyVar, valVar, coll, key: exprs[0]!, value: exprs[1]!, group, cond, range };
  }

  // ---- strings and templates ----------------------------------------------------------------

  /** A quoted string without interpolation (string literals, block labels). */
  stringLit(n: Node): string {
    const start = n.children[0]!;
    const end = n.children[n.children.length - 1]!;
    return unescapeQuoted(this.src.slice(start.endIndex, end.type === 'quoted_template_end' ? end.startIndex : end.endIndex));
  }

  private template(n: Node): Expr {
    const range = this.nodeRange(n);
    const kids = n.children.filter((c): c is Node => !!c && c.type !== 'comment');
    if (n.type === 'quoted_template') {
      const start = kids[0]!;
      const end = kids[kids.length - 1]!;
      return { kind: 'template', parts: this.parts(kids.slice(1, -1), start.endIndex, end.startIndex, true, null), range };
    }
    // Heredoc: the text starts on the line after the opening marker and ends before the line of
    // the closing marker; `<<-` removes the smallest indentation of the lines from each line.
    const flush = kids[0]!.text === '<<-';
    const open = kids[1]!;
    const close = kids[kids.length - 1]!;
    const nl = this.src.indexOf('\n', open.endIndex);
    const from = nl < 0 ? open.endIndex : nl + 1;
    const to = this.src.lastIndexOf('\n', close.startIndex - 1) + 1;
    let skip: Set<number> | null = null;
    if (flush) skip = this.flushIndent(from, Math.max(from, to));
    return { kind: 'template', parts: this.parts(kids.slice(2, -1), from, Math.max(from, to), false, skip), range };
  }

  /** Offsets of the leading whitespace `<<-` strips: the least indentation of any non-blank line. */
  private flushIndent(from: number, to: number): Set<number> {
    const lines: [number, number][] = [];
    let s = from;
    for (let i = from; i < to; i++) {
      if (this.src[i] === '\n') {
        lines.push([s, i]);
        s = i + 1;
      }
    }
    if (s < to) lines.push([s, to]);
    let min = Infinity;
    for (const [a, b] of lines) {
      const text = this.src.slice(a, b);
      if (text.trim() === '') continue;
      const ws = /^[ \t]*/.exec(text)![0].length;
      min = Math.min(min, ws);
    }
    const skip = new Set<number>();
    if (!Number.isFinite(min)) min = 0;
    for (const [a, b] of lines) {
      for (let k = 0; k < min && a + k < b && (this.src[a + k] === ' ' || this.src[a + k] === '\t'); k++) skip.add(a + k);
    }
    return skip;
  }

  /** Template parts between `from` and `to`: literal text around the interpolation and directive nodes. */
  private parts(nodes: Node[], from: number, to: number, quoted: boolean, skip: Set<number> | null): TemplatePart[] {
    const out: TemplatePart[] = [];
    let at = from;
    const lit = (a: number, b: number): void => {
      if (b <= a) return;
      let raw = '';
      for (let i = a; i < b; i++) if (!skip?.has(i)) raw += this.src[i];
      const text = quoted ? unescapeQuoted(raw) : unescapeTemplate(raw);
      if (text !== '') out.push({ kind: 'lit', text });
    };
    for (const n of nodes) {
      if (n.type !== 'template_interpolation' && n.type !== 'template_directive') continue;
      lit(at, n.startIndex);
      at = n.endIndex;
      if (n.type === 'template_interpolation') {
        const kids = n.children.filter((c): c is Node => !!c && c.type !== 'comment');
        const exprNode = kids.find((c) => c.type === 'expression');
        if (!exprNode) throw new HclError([diag('Invalid template interpolation', 'Expected an expression.', this.nodeRange(n))]);
        out.push({ kind: 'interp', expr: this.expr(exprNode), stripLeft: kids[1]?.type === 'strip_marker', stripRight: kids[kids.length - 2]?.type === 'strip_marker' });
      } else {
        out.push(this.directive(n.namedChildren[0]!, quoted, skip));
      }
    }
    lit(at, to);
    return applyStrip(out);
  }

  private directive(n: Node, quoted: boolean, skip: Set<number> | null): TemplatePart {
    const range = this.nodeRange(n);
    const kids = n.children.filter((c): c is Node => !!c && c.type !== 'comment');
    const strips = (tag: Node): [boolean, boolean] => {
      const t = tag.children.filter((c): c is Node => !!c);
      return [t[1]?.type === 'strip_marker', t[t.length - 2]?.type === 'strip_marker'];
    };
    if (n.type === 'template_if') {
      const intro = kids[0]!;
      const endTag = kids[kids.length - 1]!;
      const elseIdx = kids.findIndex((c) => c.type === 'template_else_intro');
      const thenEnd = elseIdx >= 0 ? kids[elseIdx]! : endTag;
      const cond = this.expr(intro.namedChildren.find((c) => c?.type === 'expression')!);
      const thenParts = this.parts(kids.slice(1, elseIdx >= 0 ? elseIdx : -1), intro.endIndex, thenEnd.startIndex, quoted, skip);
      const elseParts = elseIdx >= 0 ? this.parts(kids.slice(elseIdx + 1, -1), kids[elseIdx]!.endIndex, endTag.startIndex, quoted, skip) : null;
      const [introL, introR] = strips(intro);
      const [endL, endR] = strips(endTag);
      if (introR) trimFirst(thenParts);
      if (endL) trimLast(elseParts ?? thenParts);
      if (elseIdx >= 0) {
        const [elseL, elseR] = strips(kids[elseIdx]!);
        if (elseL) trimLast(thenParts);
        if (elseR && elseParts) trimFirst(elseParts);
      }
      return { kind: 'if', cond, then: thenParts, else: elseParts, stripLeft: introL, stripRight: endR, range };
    }
    const start = kids[0]!;
    const endTag = kids[kids.length - 1]!;
    const ids = start.namedChildren.filter((c): c is Node => !!c && c.type === 'identifier').map((c) => c.text);
    const coll = this.expr(start.namedChildren.find((c) => c?.type === 'expression')!);
    const body = this.parts(kids.slice(1, -1), start.endIndex, endTag.startIndex, quoted, skip);
    const [startL, startR] = strips(start);
    const [endL, endR] = strips(endTag);
    if (startR) trimFirst(body);
    if (endL) trimLast(body);
    return { kind: 'for', keyVar: ids.length === 2 ? ids[0]! : null, valVar: ids[ids.length - 1]!, coll, body, stripLeft: startL, stripRight: endR, range };
  }
}


function findError(n: Node): Node | null {
  if (n.isError || n.isMissing) return n;
  for (const c of n.children) {
    if (c && (c.hasError || c.isMissing || c.isError)) {
      const found = findError(c);
      if (found) return found;
    }
  }
  return null;
}

function firstLeaf(n: Node): Node {
  let cur = n;
  while (cur.childCount > 0) cur = cur.children[0]!;
  return cur;
}

function parseNumber(text: string): number {
  return Number(text);
}
