// JSON text the way a hostile client writes it: raw number tokens JSON.stringify cannot produce
// (1e400, 2^64), duplicate keys, case-folded keys, and nesting deeper than any recursion allows.
/** A JSON token written verbatim. */
export class Raw {
  constructor(readonly text: string) {}
}

/** Small deterministic PRNG (mulberry32) for choices made while writing the text. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WriteOptions {
  /** Chance that an object key is written twice, the second time with another value. */
  duplicate?: number;
  /** Chance that a key is written in another letter case (Go matches keys case-insensitively). */
  recase?: number;
  seed?: number;
}

export function writeJson(value: unknown, opts: WriteOptions = {}): string {
  const rnd = prng(opts.seed ?? 1);
  const dup = opts.duplicate ?? 0;
  const recase = opts.recase ?? 0;
  if (dup === 0 && recase === 0) {
    // JSON.stringify with the raw tokens swapped in afterwards: the same text, far faster.
    const raws: string[] = [];
    const text = JSON.stringify(value, (_k, v: unknown) => (v instanceof Raw ? `\u0001${raws.push(v.text) - 1}\u0001` : v)) ?? 'null';
    return raws.length === 0 ? text : text.replace(/"\\u0001(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
  }
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Raw) {
      parts.push(v.text);
    } else if (Array.isArray(v)) {
      parts.push('[');
      v.forEach((x, i) => {
        if (i) parts.push(',');
        walk(x);
      });
      parts.push(']');
    } else if (v !== null && typeof v === 'object') {
      parts.push('{');
      let first = true;
      for (const [k, x] of Object.entries(v)) {
        if (x === undefined) continue;
        if (!first) parts.push(',');
        first = false;
        const key = recase > 0 && rnd() < recase ? (rnd() < 0.5 ? k.toLowerCase() : k.toUpperCase()) : k;
        parts.push(JSON.stringify(key), ':');
        walk(x);
        if (dup > 0 && rnd() < dup) {
          parts.push(',', JSON.stringify(key), ':');
          walk(rnd() < 0.5 ? null : typeof x === 'string' ? 7 : 'dup');
        }
      }
      parts.push('}');
    } else if (typeof v === 'number' && !Number.isFinite(v)) {
      parts.push('null');
    } else {
      parts.push(JSON.stringify(v) ?? 'null');
    }
  };
  walk(value);
  return parts.join('');
}

/** `depth` nested arrays (or objects) as one token. */
export function deepNesting(depth: number, objects: boolean): Raw {
  return objects ? new Raw(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) : new Raw(`${'['.repeat(depth)}${']'.repeat(depth)}`);
}
