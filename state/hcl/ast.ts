// The HCL native-syntax tree the evaluator and decoder work on, built from tree-sitter's concrete
// syntax tree by syntax.ts. Shapes follow hclsyntax (Body, Attribute, Block, the expression kinds).
import type { Range } from './diag.js';

export interface Body {
  attributes: Attribute[];
  blocks: Block[];
  range: Range;
  /** Where a missing argument is reported (hclsyntax: the body's closing brace or end of file). */
  missingRange: Range;
}

export interface Attribute {
  name: string;
  nameRange: Range;
  expr: Expr;
  range: Range;
}

export interface Block {
  type: string;
  labels: string[];
  typeRange: Range;
  labelRanges: Range[];
  body: Body;
  /** The block header (type and labels), which hclsyntax calls DefRange. */
  defRange: Range;
  openBraceRange: Range;
}

export type Step =
  | { kind: 'attr'; name: string; range: Range }
  | { kind: 'index'; key: Expr; range: Range };

export type TemplatePart =
  | { kind: 'lit'; text: string }
  | { kind: 'interp'; expr: Expr; stripLeft: boolean; stripRight: boolean }
  | { kind: 'if'; cond: Expr; then: TemplatePart[]; else: TemplatePart[] | null; stripLeft: boolean; stripRight: boolean; range: Range }
  | { kind: 'for'; keyVar: string | null; valVar: string; coll: Expr; body: TemplatePart[]; stripLeft: boolean; stripRight: boolean; range: Range };

export type Expr =
  | { kind: 'literal'; value: unknown; range: Range }
  | { kind: 'template'; parts: TemplatePart[]; range: Range }
  | { kind: 'tuple'; items: Expr[]; range: Range }
  | { kind: 'object'; items: ObjectItem[]; range: Range }
  | { kind: 'scope'; root: string; rootRange: Range; steps: Step[]; range: Range }
  | { kind: 'relative'; source: Expr; steps: Step[]; range: Range }
  | { kind: 'splat'; source: Expr; each: Step[]; range: Range }
  | { kind: 'call'; name: string; nameRange: Range; args: Expr[]; expandFinal: boolean; range: Range }
  | { kind: 'binary'; op: string; left: Expr; right: Expr; range: Range }
  | { kind: 'unary'; op: string; operand: Expr; range: Range }
  | { kind: 'conditional'; cond: Expr; then: Expr; else: Expr; range: Range }
  | { kind: 'forTuple'; keyVar: string | null; valVar: string; coll: Expr; value: Expr; cond: Expr | null; range: Range }
  | { kind: 'forObject'; keyVar: string | null; valVar: string; coll: Expr; key: Expr; value: Expr; group: boolean; cond: Expr | null; range: Range }
  | { kind: 'paren'; inner: Expr; range: Range };

export interface ObjectItem {
  key: Expr;
  /** A bare identifier key (`a = 1`), which is a literal name rather than a variable reference. */
  keyName: string | null;
  value: Expr;
}

/** The source text of an expression (for the `${…}` strings unknown variables turn into). */
export function exprSource(src: string, e: Expr): string {
  return src.slice(e.range.start.offset, e.range.end.offset);
}
