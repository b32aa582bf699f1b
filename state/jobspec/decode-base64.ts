// Go's base64.StdEncoding.Decode (padded, non-strict: CR and LF are skipped, trailing bits are not
// checked), for `[]byte` fields such as the dispatch `Payload`. The failure offset is Go's
// CorruptInputError: `illegal base64 data at input byte N`.

const DECODE = new Int16Array(256).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.split('').forEach((ch, i) => {
  DECODE[ch.charCodeAt(0)] = i;
});

const PAD = 0x3d; // '='
const isNewline = (c: number): boolean => c === 0x0a || c === 0x0d;

/** Decoded bytes, or the byte offset Go reports as corrupt. */
export function goBase64Decode(src: Uint8Array): { ok: true; bytes: Uint8Array } | { ok: false; offset: number } {
  const out = new Uint8Array(Math.floor(src.length / 4) * 3 + 3);
  let n = 0;
  let si = 0;
  const len = src.length;
  const dbuf = [0, 0, 0, 0];
  while (si < len) {
    // decodeQuantum
    let dlen = 4;
    let trailing = -1;
    dbuf[0] = dbuf[1] = dbuf[2] = dbuf[3] = 0;
    let j = 0;
    for (; j < 4; j++) {
      if (si === len) {
        if (j === 0) return { ok: true, bytes: out.subarray(0, n) };
        return { ok: false, offset: si - j };
      }
      const ch = src[si]!;
      si++;
      const v = DECODE[ch]!;
      if (v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (isNewline(ch)) {
        j--;
        continue;
      }
      if (ch !== PAD) return { ok: false, offset: si - 1 };
      // Padding: the quantum ends here.
      if (j === 0 || j === 1) return { ok: false, offset: si - 1 };
      if (j === 2) {
        // "==" is expected; the first "=" is consumed.
        while (si < len && isNewline(src[si]!)) si++;
        if (si === len) return { ok: false, offset: len };
        if (src[si] !== PAD) return { ok: false, offset: si - 1 };
        si++;
      }
      while (si < len && isNewline(src[si]!)) si++;
      if (si < len) trailing = si; // trailing garbage after the padding
      dlen = j;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const b0 = (val >> 16) & 0xff;
    const b1 = (val >> 8) & 0xff;
    const b2 = val & 0xff;
    if (dlen >= 2) out[n++] = b0;
    if (dlen >= 3) out[n++] = b1;
    if (dlen >= 4) out[n++] = b2;
    if (trailing >= 0) return { ok: false, offset: trailing };
  }
  return { ok: true, bytes: out.subarray(0, n) };
}
