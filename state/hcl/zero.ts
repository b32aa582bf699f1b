// API structs at their Go zero values (nil pointers, slices and maps are JSON null), the base every
// decoded block starts from.
import { apiTypes, type GoType } from '../jobspec/decode.js';
import { zeroValue } from '../jobspec/decode-types.js';

export type Obj = Record<string, unknown>;

const zeroOf = (t: GoType): unknown => zeroValue(t, (s) => zeroStruct(s.struct!.name));

/** A fresh API struct with every field at its Go zero value, in declaration order. */
export function zeroStruct(name: string): Obj {
  const desc = apiTypes[name];
  if (!desc) throw new Error(`hcl: no API struct ${name}`);
  const out: Obj = {};
  for (const f of desc.fields) out[f.name] = zeroOf(f.type);
  return out;
}
