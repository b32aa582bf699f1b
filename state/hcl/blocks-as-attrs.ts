// hclutil.BlocksAsAttrs, for the free-form maps (`config`, `meta`, `env`, …): arguments as they are,
// nested blocks become lists of objects.
import type { Attribute, Block, Body } from './ast.js';
import { evaluate, type EvalContext } from './eval.js';
import { object, tuple, type Value } from './value.js';

/**
 * hclutil.BlocksAsAttrs' JustAttributes: arguments as they are (an object constructor wrapped in a
 * one-element list), nested blocks of one type as a list of objects, labels as nested keys.
 */
export function justAttributes(body: Body, ctx: EvalContext): Map<string, [Value, Attribute | null]> {
  const out = new Map<string, [Value, Attribute | null]>();
  for (const a of body.attributes) {
    let v = evaluate(a.expr, ctx);
    if (a.expr.kind === 'object') v = tuple([v]);
    out.set(a.name, [v, a]);
  }
  const byType = new Map<string, Block[]>();
  for (const b of body.blocks) byType.set(b.type, [...(byType.get(b.type) ?? []), b]);
  for (const [type, blocks] of byType) out.set(type, [tuple(blocks.map((b) => blockValue(b, ctx))), null]);
  return out;
}

function blockValue(b: Block, ctx: EvalContext): Value {
  const attrs = new Map<string, Value>();
  for (const [k, [v]] of justAttributes(b.body, ctx)) attrs.set(k, v);
  let v: Value = object(attrs);
  for (let i = b.labels.length - 1; i >= 0; i--) v = object(new Map([[b.labels[i]!, tuple([v])]]));
  return v;
}
