// The bytes of the event stream as they go on the wire, built once per filter and shared: every
// stream with the same filter (topics and namespace) is sent the same bytes. Each ndjson line is its
// own HTTP chunk, framed as node:http frames one `res.write` (hex size, CRLF, line, CRLF), so a
// socket write carrying several lines puts exactly the bytes on the wire that one write per line
// would.
//
// A filter's frames are encoded one after another into shared slabs, in the order they are first
// needed (the buffer's order, for streams that keep up), so the frames a stream is due are mostly
// one contiguous range: a socket write is a view of that range, never a copy. A stream that is sent
// frames from two slabs (or out of order) gets one write of the pieces (writev), so bytes are never
// copied in user space either way.
import type { EventBatch } from '../../state/events/buffer.js';

/** A frame: one HTTP chunk holding one ndjson line. */
export const frame = (line: string): Buffer => {
  const size = Buffer.byteLength(line);
  return Buffer.from(`${size.toString(16)}\r\n${line}\r\n`);
};

/** The `{}` heartbeat as a chunk. */
export const HEARTBEAT_FRAME = frame('{}\n');

/**
 * Slab sizes: a filter with few matching events never holds more than a small slab's unused tail;
 * one that fills its slabs gets larger ones, so fewer runs are cut at a slab's end. A stream's
 * queued bytes (at most its allowance plus one frame) keep at most two slabs alive beyond the frames
 * the buffer still holds. A frame larger than a quarter of the largest slab gets its own Buffer.
 */
export const SLAB_MIN = 16 * 1024;
export const SLAB_MAX = 128 * 1024;

export class FilterFrames {
  /** Open streams with this filter; the owner drops the object at zero. */
  users = 0;
  /** A batch's frame for this filter (a view of a slab), or null when none of its events pass. Dropped with the batch. */
  private readonly frames = new WeakMap<EventBatch, Buffer | null>();
  private slab: Buffer | null = null;
  private used = 0;

  constructor(private readonly line: (batch: EventBatch) => string | null) {}

  of(batch: EventBatch): Buffer | null {
    let f = this.frames.get(batch);
    if (f === undefined) {
      const text = this.line(batch);
      f = text === null ? null : this.encode(text);
      this.frames.set(batch, f);
    }
    return f;
  }

  /** `frame(line)`'s bytes, written at the end of the current slab. */
  private encode(line: string): Buffer {
    const size = Buffer.byteLength(line);
    const head = `${size.toString(16)}\r\n`;
    const total = head.length + size + 2;
    if (total > SLAB_MAX / 4) return frame(line);
    let slab = this.slab;
    if (slab === null || slab.length - this.used < total) {
      const grown = slab === null ? SLAB_MIN : Math.min(SLAB_MAX, slab.length * 2);
      slab = this.slab = Buffer.allocUnsafeSlow(Math.max(grown, total));
      this.used = 0;
    }
    const at = this.used;
    slab.write(head, at, 'latin1');
    slab.write(line, at + head.length, 'utf8');
    slab[at + total - 2] = 13;
    slab[at + total - 1] = 10;
    this.used = at + total;
    return slab.subarray(at, at + total);
  }
}

/**
 * The frames of one socket write, gathered in order: a frame that starts where the previous one
 * ends in the same slab extends the same piece, so a run of adjacent frames is one view.
 */
export class Run {
  readonly pieces: Buffer[] = [];
  bytes = 0;
  private base: ArrayBufferLike | null = null;
  private start = 0;
  private end = 0;

  add(f: Buffer): void {
    this.bytes += f.length;
    if (f.buffer === this.base && f.byteOffset === this.end) {
      this.end += f.length;
      return;
    }
    this.close();
    this.base = f.buffer;
    this.start = f.byteOffset;
    this.end = f.byteOffset + f.length;
  }

  /** The pieces to write, in order. */
  take(): Buffer[] {
    this.close();
    return this.pieces;
  }

  private close(): void {
    if (this.base === null) return;
    this.pieces.push(Buffer.from(this.base, this.start, this.end - this.start));
    this.base = null;
  }
}
