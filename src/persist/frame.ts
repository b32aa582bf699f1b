// The record framing of the write-ahead log and the checkpoints: a 4-byte length, a 4-byte CRC-32
// of the payload (both little-endian), then the payload (UTF-8 JSON, which never holds a zero byte).
// A crash mid-append leaves a last record that is short, or fails its checksum with part of it never
// written (a torn write: zeros in its payload, where JSON has none; etcd's WAL looks for a sector of
// zeros), or a header of zeros where the next record was to start (log files are made ahead, filled
// with zeros); the log ends there. The next write may have started while the sync of the one before
// ran, so whatever follows a torn record is not looked at. A record that fails its checksum with no
// zero in it is damage, not a crash, and stops the reader.
import zlib from 'node:zlib';

const HEADER = 8;
/** Larger than any record the mock writes (a full-state record of a huge state); guards a garbage length. */
const MAX_RECORD = 1024 * 1024 * 1024;

let table: Uint32Array | null = null;
function crcTable(): Uint32Array {
  if (table) return table;
  table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** zlib's CRC-32 (Node 20.15+), or the same sum in JavaScript on older releases. */
export const crc32: (buf: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (buf) => (zlib as unknown as { crc32(b: Uint8Array): number }).crc32(buf)
    : (buf) => {
        const t = crcTable();
        let c = 0xffffffff;
        for (let i = 0; i < buf.length; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
        return (c ^ 0xffffffff) >>> 0;
      };

/** One framed record holding `value` as JSON. */
export function frame(value: unknown): Buffer {
  return frameText(JSON.stringify(value));
}

/** One framed record of JSON text already rendered (a checkpoint renders its chunks piece by piece). */
export function frameText(json: string): Buffer {
  const len = Buffer.byteLength(json, 'utf8');
  const out = Buffer.allocUnsafe(HEADER + len);
  out.write(json, HEADER, 'utf8');
  out.writeUInt32LE(len, 0);
  out.writeUInt32LE(crc32(out.subarray(HEADER)), 4);
  return out;
}

export interface ReadResult {
  records: unknown[];
  /** Bytes of complete, valid records; a damaged tail starts here. */
  goodBytes: number;
  /** The last record was cut short or failed its checksum (a crash mid-append). */
  tornTail: boolean;
}

export class FrameError extends Error {}

/**
 * Every record of a file. A damaged record at the very end is a torn append and is dropped; one
 * followed by more data means the file is corrupt (FrameError with the byte offset).
 */
export function readFrames(buf: Buffer): ReadResult {
  const records: unknown[] = [];
  let off = 0;
  while (off < buf.length) {
    const rest = buf.length - off;
    if (rest < HEADER) return { records, goodBytes: off, tornTail: true };
    const len = buf.readUInt32LE(off);
    const sum = buf.readUInt32LE(off + 4);
    // Zeros where a header should be: the log ends (a file left longer than what was written).
    if (len === 0 && sum === 0) return { records, goodBytes: off, tornTail: !allZero(buf, off) };
    const end = off + HEADER + len;
    if (len > MAX_RECORD || end > buf.length) {
      // Runs past the end of the file: the append that wrote it never finished.
      return { records, goodBytes: off, tornTail: true };
    }
    const payload = buf.subarray(off + HEADER, end);
    let value: unknown;
    let ok = crc32(payload) === sum;
    if (ok) {
      try {
        value = JSON.parse(payload.toString('utf8'));
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      if (end === buf.length || allZero(buf, off) || payload.includes(0)) return { records, goodBytes: off, tornTail: true };
      throw new FrameError(`damaged record at byte ${off} (checksum mismatch) followed by ${buf.length - end} more bytes`);
    }
    records.push(value);
    off = end;
  }
  return { records, goodBytes: off, tornTail: false };
}

/** A file system may leave zeros after the last write that reached the disk. */
function allZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
