// The bytes of the event stream as they go on the wire, built once per filter and shared: every
// stream with the same filter (topics and namespace) is sent the same Buffer objects. Each ndjson
// line is its own HTTP chunk, framed as node:http frames one `res.write` (hex size, CRLF, line,
// CRLF), so a socket write carrying several lines puts exactly the bytes on the wire that one
// write per line would.
import type { EventBatch } from '../../state/events/buffer.js';

/** A frame: one HTTP chunk holding one ndjson line. */
export const frame = (line: string): Buffer => {
  const size = Buffer.byteLength(line);
  return Buffer.from(`${size.toString(16)}\r\n${line}\r\n`);
};

/** The `{}` heartbeat as a chunk. */
export const HEARTBEAT_FRAME = frame('{}\n');

export class FilterFrames {
  /** Open streams with this filter; the owner drops the object at zero. */
  users = 0;
  /** A batch's frame for this filter, or null when none of its events pass. Dropped with the batch. */
  private readonly frames = new WeakMap<EventBatch, Buffer | null>();
  /** The last run of batches joined into one write, for the next stream at the same place. */
  private runFirst: EventBatch | null = null;
  private runLast: EventBatch | null = null;
  private runBytes: Buffer | null = null;

  constructor(private readonly line: (batch: EventBatch) => string | null) {}

  of(batch: EventBatch): Buffer | null {
    let f = this.frames.get(batch);
    if (f === undefined) {
      const text = this.line(batch);
      f = text === null ? null : frame(text);
      this.frames.set(batch, f);
    }
    return f;
  }

  /**
   * The frames of the run of batches `first`…`last` (in the buffer's order) as one Buffer. Streams
   * at the same place with the same filter get the same run, so the last one built is kept.
   */
  run(first: EventBatch, last: EventBatch, frames: readonly Buffer[], bytes: number): Buffer {
    if (frames.length === 1) return frames[0]!;
    if (this.runFirst === first && this.runLast === last && this.runBytes) return this.runBytes;
    this.runFirst = first;
    this.runLast = last;
    this.runBytes = Buffer.concat(frames, bytes);
    return this.runBytes;
  }
}
