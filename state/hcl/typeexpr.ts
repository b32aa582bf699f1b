// HCL type constraint expressions (hcl/ext/typeexpr): `string`, `number`, `bool`, `any`,
// `list(T)`, `set(T)`, `map(T)`, `tuple([T…])`, `object({name = T…})`, for `variable` blocks and
// the `convert` function.
import type { Expr } from './ast.js';
import { HclError, diag } from './diag.js';
import type { Type } from './value.js';

const invalid = (e: Expr, detail: string): never => {
  throw new HclError([diag('Invalid type specification', detail, e.range)]);
};

export function typeFromExpr(e: Expr): Type {
  if (e.kind === 'paren') return typeFromExpr(e.inner);
  if (e.kind === 'scope' && e.steps.length === 0) {
    switch (e.root) {
      case 'string':
      case 'number':
      case 'bool':
      case 'any':
        return { k: e.root };
      case 'list':
      case 'map':
      case 'set':
        return invalid(e, `The ${e.root} type constructor requires one argument specifying the element type.`);
      default:
        return invalid(e, `The keyword ${JSON.stringify(e.root)} is not a valid type specification.`);
    }
  }
  if (e.kind === 'call') {
    switch (e.name) {
      case 'list':
      case 'set':
      case 'map':
        if (e.args.length !== 1) invalid(e, `The ${e.name} type constructor requires one argument specifying the element type.`);
        return { k: e.name, elem: typeFromExpr(e.args[0]!) };
      case 'tuple': {
        const arg = e.args[0];
        if (e.args.length !== 1 || arg?.kind !== 'tuple') return invalid(e, 'The tuple type constructor requires one argument specifying the element types as a list.');
        return { k: 'tuple', elems: arg.items.map(typeFromExpr) };
      }
      case 'object': {
        const arg = e.args[0];
        if (e.args.length !== 1 || arg?.kind !== 'object') return invalid(e, 'The object type constructor requires one argument specifying the attribute types as a map.');
        const attrs = new Map<string, Type>();
        for (const item of arg.items) {
          const name = item.keyName ?? (item.key.kind === 'literal' && typeof item.key.value === 'string' ? item.key.value : null);
          if (name === null) invalid(item.key, 'Object constructor map keys must be attribute names.');
          attrs.set(name!, typeFromExpr(item.value));
        }
        return { k: 'object', attrs };
      }
      default:
        return invalid(e, `Keyword ${JSON.stringify(e.name)} is not a valid type constructor.`);
    }
  }
  return invalid(e, 'A type specification is either a primitive type keyword (bool, number, string) or a complex type constructor call, like list(string).');
}
