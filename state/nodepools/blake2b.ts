// BLAKE2b (RFC 7693), which Nomad's NodePool.SetHash uses as BLAKE2b-256; Node's crypto only offers
// BLAKE2b-512, whose output differs in every byte. 64-bit words are kept as two 32-bit halves (low
// first) so a large Meta hashes at tens of MB/s without BigInt.
const IV32 = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4], [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13], [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11], [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5], [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
].map((row) => row.map((i) => i * 2));

const v = new Uint32Array(32);
const m = new Uint32Array(32);

/** v[a] += v[b] (64-bit). */
function add64(a: number, b: number): void {
  const lo = v[a]! + v[b]!;
  v[a + 1] = v[a + 1]! + v[b + 1]! + (lo >= 0x100000000 ? 1 : 0);
  v[a] = lo;
}

/** v[a] += (hi:lo) (64-bit). */
function add64c(a: number, lo: number, hi: number): void {
  const l = v[a]! + lo;
  v[a + 1] = v[a + 1]! + hi + (l >= 0x100000000 ? 1 : 0);
  v[a] = l;
}

function g(a: number, b: number, c: number, d: number, ix: number, iy: number): void {
  add64(a, b);
  add64c(a, m[ix]!, m[ix + 1]!);
  let x0 = v[d]! ^ v[a]!;
  let x1 = v[d + 1]! ^ v[a + 1]!;
  v[d] = x1; // rotr 32
  v[d + 1] = x0;
  add64(c, d);
  x0 = v[b]! ^ v[c]!;
  x1 = v[b + 1]! ^ v[c + 1]!;
  v[b] = (x0 >>> 24) ^ (x1 << 8); // rotr 24
  v[b + 1] = (x1 >>> 24) ^ (x0 << 8);
  add64(a, b);
  add64c(a, m[iy]!, m[iy + 1]!);
  x0 = v[d]! ^ v[a]!;
  x1 = v[d + 1]! ^ v[a + 1]!;
  v[d] = (x0 >>> 16) ^ (x1 << 16); // rotr 16
  v[d + 1] = (x1 >>> 16) ^ (x0 << 16);
  add64(c, d);
  x0 = v[b]! ^ v[c]!;
  x1 = v[b + 1]! ^ v[c + 1]!;
  v[b] = (x1 >>> 31) ^ (x0 << 1); // rotr 63
  v[b + 1] = (x0 >>> 31) ^ (x1 << 1);
}

function compress(h: Uint32Array, block: Uint8Array, t: number, last: boolean): void {
  for (let i = 0; i < 16; i++) {
    v[i] = h[i]!;
    v[i + 16] = IV32[i]!;
  }
  v[24] = v[24]! ^ (t >>> 0);
  v[25] = v[25]! ^ Math.floor(t / 0x100000000);
  if (last) {
    v[28] = ~v[28]!;
    v[29] = ~v[29]!;
  }
  for (let i = 0; i < 32; i++) m[i] = block[i * 4]! | (block[i * 4 + 1]! << 8) | (block[i * 4 + 2]! << 16) | (block[i * 4 + 3]! << 24);
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10]!;
    g(0, 8, 16, 24, s[0]!, s[1]!);
    g(2, 10, 18, 26, s[2]!, s[3]!);
    g(4, 12, 20, 28, s[4]!, s[5]!);
    g(6, 14, 22, 30, s[6]!, s[7]!);
    g(0, 10, 20, 30, s[8]!, s[9]!);
    g(2, 12, 22, 24, s[10]!, s[11]!);
    g(4, 14, 16, 26, s[12]!, s[13]!);
    g(6, 8, 18, 28, s[14]!, s[15]!);
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!;
}

/** Unkeyed BLAKE2b with an `outLen`-byte digest (1…64). */
export function blake2b(data: Uint8Array, outLen = 32): Buffer {
  const h = new Uint32Array(IV32);
  h[0] = h[0]! ^ 0x01010000 ^ outLen;
  let t = 0;
  let off = 0;
  while (data.length - off > 128) {
    t += 128;
    compress(h, data.subarray(off, off + 128), t, false);
    off += 128;
  }
  const last = new Uint8Array(128);
  last.set(data.subarray(off));
  t += data.length - off;
  compress(h, last, t, true);
  const out = Buffer.alloc(64);
  for (let i = 0; i < 16; i++) out.writeUInt32LE(h[i]!, i * 4);
  return out.subarray(0, outLen);
}
