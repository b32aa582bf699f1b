// Seeded randomness for --seed: every generated ID and every simulated choice comes from one
// deterministic stream, so two servers started with the same seed answer byte for byte alike.
import { randomFillSync } from 'node:crypto';

/** A generator whose whole state can be read and put back (reset returns it to its start). */
export interface SeededRandom {
  (): number;
  state(): number[];
  setState(s: readonly number[]): void;
}

/** sfc32 seeded from a string via a 128-bit cyrb hash: small, fast, good enough for IDs. */
export function seededRandom(seed: string): SeededRandom {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < seed.length; i++) {
    const k = seed.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  let a = h1 >>> 0, b = h2 >>> 0, c = h3 >>> 0, d = h4 >>> 0;
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  return Object.assign(next, {
    state: () => [a, b, c, d],
    setState: (s: readonly number[]) => {
      [a, b, c, d] = s as [number, number, number, number];
    },
  });
}

const HEX = Buffer.from('0123456789abcdef', 'latin1');
const pool = Buffer.alloc(16 * 256);
let poolAt = pool.length;
const text = Buffer.alloc(36);

const scratch = Buffer.alloc(16);

/** A v4 UUID from the stream, drawn a byte at a time. */
export function uuidFrom(rand: () => number): string {
  for (let i = 0; i < 16; i++) scratch[i] = Math.floor(rand() * 256);
  return formatUUID(scratch, 0);
}

/**
 * A random v4 UUID as one flat string. crypto.randomUUID builds its text from a score of
 * concatenations, which every map it keys must first flatten; IDs are keys of the largest tables.
 */
export function flatUUID(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const id = formatUUID(pool, poolAt);
  poolAt += 16;
  return id;
}

/** The 16 bytes at `at` as a v4 UUID's text (version and variant bits set), one flat string. */
function formatUUID(bytes: Buffer, at: number): string {
  let j = 0;
  for (let i = 0; i < 16; i++) {
    let v = bytes[at + i]!;
    if (i === 6) v = (v & 0x0f) | 0x40;
    else if (i === 8) v = (v & 0x3f) | 0x80;
    text[j++] = HEX[v >> 4]!;
    text[j++] = HEX[v & 15]!;
    if (i === 3 || i === 5 || i === 7 || i === 9) text[j++] = 0x2d;
  }
  return text.toString('latin1');
}

export interface Randomness {
  newId: () => string;
  random: () => number;
  /** Where the seeded streams stand (null without a seed: nothing to repeat). */
  save(): RandomState;
  /** Puts the streams back where `save` found them, so the same IDs and choices follow again. */
  load(state: RandomState): void;
}

export type RandomState = { ids: number[]; choices: number[] } | null;

export function randomness(seed: string): Randomness {
  if (!seed) return { newId: flatUUID, random: Math.random, save: () => null, load: () => undefined };
  const ids = seededRandom(`${seed}/ids`);
  const choices = seededRandom(`${seed}/choices`);
  return {
    newId: () => uuidFrom(ids),
    random: choices,
    save: () => ({ ids: ids.state(), choices: choices.state() }),
    load: (s) => {
      if (!s) return;
      ids.setState(s.ids);
      choices.setState(s.choices);
    },
  };
}
