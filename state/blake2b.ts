// BLAKE2b (RFC 7693) with a chosen digest length: Nomad hashes namespaces with BLAKE2b-256, which
// Node's crypto does not offer (its blake2b512 has a fixed length, and 256 is not a truncation).
// Each 64-bit word is two 32-bit halves (low at even, high at odd indexes) of a Uint32Array: a
// server hashes its default namespace and node pools as it is created, and BigInt arithmetic cost
// about a millisecond a digest there (and allocated tens of KB).
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

/** v[a] += v[b] (64-bit words at half-indexes a and b). */
function add(v: Uint32Array, a: number, b: number): void {
  const lo = v[a]! + v[b]!;
  v[a] = lo;
  v[a + 1] = v[a + 1]! + v[b + 1]! + (lo >= 0x100000000 ? 1 : 0);
}

/** v[a] += the word (lo, hi). */
function addWord(v: Uint32Array, a: number, lo: number, hi: number): void {
  const sum = v[a]! + lo;
  v[a] = sum;
  v[a + 1] = v[a + 1]! + hi + (sum >= 0x100000000 ? 1 : 0);
}

/** The mixing function G on words a, b, c, d with message words x and y (half-indexes into m). */
function g(v: Uint32Array, m: Uint32Array, a: number, b: number, c: number, d: number, x: number, y: number): void {
  add(v, a, b);
  addWord(v, a, m[x]!, m[x + 1]!);
  let lo = v[d]! ^ v[a]!;
  let hi = v[d + 1]! ^ v[a + 1]!;
  v[d] = hi; // rotate right 32
  v[d + 1] = lo;
  add(v, c, d);
  lo = v[b]! ^ v[c]!;
  hi = v[b + 1]! ^ v[c + 1]!;
  v[b] = (lo >>> 24) | (hi << 8); // rotate right 24
  v[b + 1] = (hi >>> 24) | (lo << 8);
  add(v, a, b);
  addWord(v, a, m[y]!, m[y + 1]!);
  lo = v[d]! ^ v[a]!;
  hi = v[d + 1]! ^ v[a + 1]!;
  v[d] = (lo >>> 16) | (hi << 16); // rotate right 16
  v[d + 1] = (hi >>> 16) | (lo << 16);
  add(v, c, d);
  lo = v[b]! ^ v[c]!;
  hi = v[b + 1]! ^ v[c + 1]!;
  v[b] = (hi >>> 31) | (lo << 1); // rotate right 63
  v[b + 1] = (lo >>> 31) | (hi << 1);
}

function compress(h: Uint32Array, v: Uint32Array, m: Uint32Array, block: Buffer, counter: number, last: boolean): void {
  for (let i = 0; i < 32; i++) m[i] = block.readUInt32LE(i * 4);
  v.set(h, 0);
  v.set(IV, 16);
  // The byte counter fits in 53 bits: its high 64-bit word is zero.
  v[24] = v[24]! ^ (counter >>> 0);
  v[25] = v[25]! ^ Math.floor(counter / 0x100000000);
  if (last) {
    v[28] = ~v[28]!;
    v[29] = ~v[29]!;
  }
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10]!;
    g(v, m, 0, 8, 16, 24, s[0]! * 2, s[1]! * 2);
    g(v, m, 2, 10, 18, 26, s[2]! * 2, s[3]! * 2);
    g(v, m, 4, 12, 20, 28, s[4]! * 2, s[5]! * 2);
    g(v, m, 6, 14, 22, 30, s[6]! * 2, s[7]! * 2);
    g(v, m, 0, 10, 20, 30, s[8]! * 2, s[9]! * 2);
    g(v, m, 2, 12, 22, 24, s[10]! * 2, s[11]! * 2);
    g(v, m, 4, 14, 16, 26, s[12]! * 2, s[13]! * 2);
    g(v, m, 6, 8, 18, 28, s[14]! * 2, s[15]! * 2);
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!;
}

/** The unkeyed BLAKE2b digest of `data`, `outLen` bytes long (1–64). */
export function blake2b(data: Buffer, outLen = 32): Buffer {
  const h = new Uint32Array(IV);
  h[0] = h[0]! ^ (0x01010000 | outLen);
  const v = new Uint32Array(32);
  const m = new Uint32Array(32);
  let offset = 0;
  // Every full block but the last is compressed as it comes; the last (possibly empty) is padded.
  while (data.length - offset > 128) {
    compress(h, v, m, data.subarray(offset, offset + 128), offset + 128, false);
    offset += 128;
  }
  const last = Buffer.alloc(128);
  data.copy(last, 0, offset);
  compress(h, v, m, last, data.length, true);
  const out = Buffer.alloc(64);
  for (let i = 0; i < 16; i++) out.writeUInt32LE(h[i]!, i * 4);
  return out.subarray(0, outLen);
}
