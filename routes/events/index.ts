// `/v1/event/stream` (command/agent/event_endpoint.go, nomad/stream): newline-delimited JSON, one
// line per committed write that has matching events, `{}` heartbeats at the start and every 30 s.
import { Type } from '@sinclair/typebox';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { App, RouteContext } from '../http/context.js';
import { ErrorText, Index } from '../http/schemas.js';
import { DROPPED, ENDED, eventBuffer, type EventBatch } from '../../state/events/buffer.js';
import { nsCheck, type Check, type Rule } from '../acl/rules.js';
import { FilterFrames, HEARTBEAT_FRAME, Run } from './frames.js';
import { batchLine, filterShape, parseEventTopics, type Topics } from './lines.js';
import { goQueryValues, parseEventIndex } from './query.js';

export { filterEvents, parseEventTopics, type Topics } from './lines.js';
export { goQueryValues, parseEventIndex } from './query.js';

/** Stream knobs; tests shorten the heartbeat. Read when a stream opens. */
export const EVENT_STREAM = {
  /** Nomad's JsonStream heartbeat interval (wall time). */
  heartbeatMs: 30_000,
};

const Str = Type.Optional(Type.String());

const EventStreamLine = Type.Object(
  {
    Index: Type.Optional(Index),
    Events: Type.Optional(
      Type.Array(
        Type.Object({
          Topic: Type.String(),
          Type: Type.String(),
          Key: Type.String(),
          Namespace: Type.String(),
          FilterKeys: Type.Union([Type.Array(Type.String()), Type.Null()]),
          Index,
          Payload: Type.Record(Type.String(), Type.Unknown()),
        }),
      ),
    ),
  },
  { description: 'one ndjson line; `{}` is a heartbeat' },
);

const schema = {
  querystring: Type.Object(
    {
      index: Str,
      topic: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'Topic[:Key], repeatable' })),
      namespace: Str,
      region: Str,
    },
    { additionalProperties: true },
  ),
  response: { 200: EventStreamLine, '4xx': ErrorText, '5xx': ErrorText },
};

/** What Nomad writes after the last line when a subscriber fell out of the buffer (then the stream ends). */
export const DROPPED_TEXT = 'event dropped from buffer';

/** One open stream, as the budget and the delivery see it. */
interface Sink {
  /** Bytes written to the socket and not yet taken by the kernel. */
  queued: number;
  /** When its socket last took bytes (or it last had none queued): stalled when long ago. */
  lastProgress: number;
  /** Writes what the subscriber may have now, in one socket write. */
  pump(): void;
  /**
   * Taking bytes, and so near the end of the batches retained for it that delivery must not yield
   * (the last resort that holds writers back when delivery cannot keep up at all).
   */
  nearDrop(): boolean;
  /** Disconnects at once, releasing its queued bytes (the budget's last resort). */
  evict(): void;
}

/**
 * Longest run of deliveries before the loop takes new requests. Short, so a request that arrives
 * during a delivery waits little; streams that wait meanwhile get more lines in their next write.
 * A yield (setImmediate, then the poll phase reads what arrived) costs about 3 µs of CPU, about 1%
 * of a slice this long.
 */
const DELIVERY_SLICE_MS = 0.25;

/** Each server's streams with batches waiting for a delivery slice. */
const dueByApp = new WeakMap<App, () => number>();

/**
 * Streams waiting to be written to (tests: delivery is over once none waits and no bytes are queued;
 * the queued count alone reads zero between two slices).
 */
export function eventDeliveriesDue(app: App): number {
  return dueByApp.get(app)?.() ?? 0;
}

export function eventRoutes(app: App, ctx: RouteContext): void {
  // Created now, so the buffer holds every write from server start.
  const buffer = eventBuffer(ctx.store).retain();
  const limits = ctx.limits;
  const open = new Set<() => void>();
  const sinks = new Set<Sink>();
  let recheck: NodeJS.Timeout | null = null;

  /** The frames of each filter shape with open streams, shared by those streams. */
  const filters = new Map<string, FilterFrames>();
  const filterFor = (shape: string, topics: Topics, namespace: string): FilterFrames => {
    let f = filters.get(shape);
    if (!f) {
      const line = (batch: EventBatch): string | null => {
        const text = batchLine(batch, topics, namespace);
        if (text !== null) buffer.charge(batch, text.length);
        return text;
      };
      filters.set(shape, (f = new FilterFrames(line)));
    }
    f.users++;
    return f;
  };
  const dropFilter = (shape: string, f: FilterFrames): void => {
    if (--f.users === 0 && filters.get(shape) === f) filters.delete(shape);
  };

  /**
   * Streams with batches to send. Delivery runs after the write that committed them, never inside
   * it: the writer's own answer goes first, and with many subscribers the work is sliced so
   * requests are taken between slices. A stream gets everything committed since its last write in
   * one socket write, so the busier the server, the fewer (and larger) the writes.
   */
  const due = new Set<Sink>();
  /** Streams still following the buffer: after a batch, each is due. */
  const live = new Set<Sink>();
  /**
   * A batch was committed since the last slice began. The write that committed it only sets this:
   * making a thousand streams due inside the write was most of what subscribers added to a
   * register's own time. The next slice makes them due, in the order they opened.
   */
  let appended = false;
  dueByApp.set(app, () => due.size + (appended ? live.size : 0));
  let delivery: NodeJS.Timeout | null = null;
  let nextSlice: NodeJS.Immediate | null = null;
  const deliver = (): void => {
    delivery = null;
    nextSlice = null;
    if (appended) {
      appended = false;
      for (const sink of live) due.add(sink);
    }
    const start = performance.now();
    for (const sink of due) {
      due.delete(sink);
      sink.pump();
      if (due.size > 0 && performance.now() - start >= DELIVERY_SLICE_MS) {
        // Writers may go on while nobody who keeps reading is near the end of what is retained for
        // it (twice the buffer: a reader is never dropped because delivery is behind); the
        // longest-waiting stream is first in `due`.
        const next = due.values().next().value as Sink;
        if (next.nearDrop()) continue;
        nextSlice = setImmediate(deliver);
        return;
      }
    }
  };
  const kick = (): void => {
    // A timer rather than an immediate: the simulator's writes for this one run as immediates first.
    if (!delivery && !nextSlice) delivery = setTimeout(deliver, 0);
  };
  const schedule = (sink: Sink): void => {
    due.add(sink);
    kick();
  };
  const unwatch = buffer.watch(() => {
    if (live.size === 0) return;
    appended = true;
    kick();
  });

  /**
   * Keeps the bytes queued for subscribers that stopped reading within the budget: over it, streams
   * whose sockets have taken nothing for `eventStallMs` are disconnected, longest-stalled first. A
   * reader that keeps up is never held back by others; until the stalled ones qualify, the total may
   * pass the budget by at most one per-subscriber allowance each, and a timer looks again.
   */
  const enforceBudget = (): void => {
    // A pending recheck means the last scan found nothing stalled long enough; it looks again in time.
    if (limits.eventQueuedBytes <= limits.eventQueueBudgetBytes || recheck) return;
    const now = performance.now();
    const stalled = [...sinks].filter((s) => s.queued > 0 && now - s.lastProgress >= limits.eventStallMs).sort((a, b) => a.lastProgress - b.lastProgress);
    for (const v of stalled) {
      if (limits.eventQueuedBytes <= limits.eventQueueBudgetBytes) break;
      v.evict();
    }
    if (limits.eventQueuedBytes > limits.eventQueueBudgetBytes && !recheck) {
      recheck = setTimeout(() => {
        recheck = null;
        enforceBudget();
      }, limits.eventStallMs);
      recheck.unref();
    }
  };

  // Streams never end on their own: end them before the server waits for its connections to drain.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });
  app.addHook('onClose', async () => {
    for (const end of [...open]) end();
    if (recheck) clearTimeout(recheck);
    if (delivery) clearTimeout(delivery);
    if (nextSlice) clearImmediate(nextSlice);
    due.clear();
    unwatch();
    buffer.release();
  });

  // Nomad's handler checks no method: every method streams.
  app.all('/v1/event/stream', { schema, config: { acl: (req) => eventRule(req.raw.url ?? '') } }, async (req, reply) => {
    const values = goQueryValues(req.raw.url ?? '');
    const index = parseEventIndex(values.get('index')?.[0] ?? '');
    const topics = parseEventTopics(values.get('topic'));
    const namespace = values.get('namespace')?.[0] || 'default';
    const shape = filterShape(topics, namespace);

    reply.hijack();
    const res: ServerResponse = reply.raw;
    res.on('error', () => {});
    res.writeHead(200, { Vary: 'Accept-Encoding', 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
    const filter = filterFor(shape, topics, namespace);

    /**
     * The body goes straight to the socket, already chunk-framed (frames.ts), in one write per
     * delivery; node:http only sends the head and, at the end, the last chunk. A HEAD answer has no
     * body: node:http drops its writes and sends the head at the end, so nothing is written here.
     */
    const bodyless = req.raw.method === 'HEAD';
    let socket: Socket | null = null;
    if (!bodyless) {
      res.flushHeaders();
      if (res.socket) socket = res.socket;
      else {
        // A pipelined request: node:http holds this answer (its head included) until the ones
        // before it on the connection are done, then hands it the socket and sends the head.
        res.once('socket', (s: Socket) => {
          socket = s;
          keepUp();
          schedule(sink);
        });
      }
    }

    let closed = false;
    /**
     * False once the socket is gone: its queued bytes are no longer ours to count. Until then the
     * stream stays evictable, even after it ended, since its bytes may still wait in the socket.
     */
    let counting = true;
    let heartbeatDue = true; // the initial heartbeat goes before any event (stream.NewJsonStream)

    /** Takes the socket's unsent bytes into this stream's and the global count. */
    const account = (): void => {
      if (!counting) return;
      const q = socket ? socket.writableLength : 0;
      limits.eventQueuedBytes += q - sink.queued;
      sink.queued = q;
      if (limits.eventQueuedBytes > limits.eventQueuedPeakBytes) limits.eventQueuedPeakBytes = limits.eventQueuedBytes;
      keepUp();
    };

    /**
     * Kept while it takes what it is sent (pump would send it more): then only the server's own lag
     * stands between it and its batches, and that must not drop it.
     */
    let taking = false;
    const keepUp = (): void => {
      taking = bodyless || (socket !== null && !socket.destroyed && sink.queued < limits.eventSubscriberBytes);
      cursor.keep(taking);
    };

    const release = (): void => {
      if (!counting) return;
      counting = false;
      limits.eventQueuedBytes -= sink.queued;
      sink.queued = 0;
      sinks.delete(sink);
    };

    /** One callback for every write of this stream: the kernel took bytes. */
    const written = (): void => {
      if (!counting) return;
      sink.lastProgress = performance.now();
      account();
      if (!closed && (heartbeatDue || cursor.behind() > 0)) schedule(sink);
    };

    const send = (bytes: Buffer): void => {
      if (sink.queued === 0) sink.lastProgress = performance.now();
      socket!.write(bytes, written);
      account();
      enforceBudget();
    };

    /** Pieces of one run as one socket write (writev); the callback goes with the last. */
    const sendPieces = (pieces: readonly Buffer[]): void => {
      if (pieces.length === 1) return send(pieces[0]!);
      if (sink.queued === 0) sink.lastProgress = performance.now();
      const s = socket!;
      s.cork();
      const last = pieces.length - 1;
      for (let i = 0; i < last; i++) s.write(pieces[i]!);
      s.write(pieces[last]!, written);
      s.uncork();
      account();
      enforceBudget();
    };

    /** Sends what the subscriber may have now: up to its small cap, within the shared budget. */
    const pump = (): void => {
      if (closed) return;
      // Ends at once even when the socket is full: the rest queued before the end still goes out.
      if (cursor.peek() === ENDED) return finish();
      if (!bodyless && (socket === null || socket.destroyed || res.destroyed)) return;
      const cap = limits.eventSubscriberBytes;
      if (sink.queued >= cap) return;
      if (heartbeatDue) {
        heartbeatDue = false;
        if (!bodyless) send(HEARTBEAT_FRAME);
      }
      // The batches it has not had, as runs of frames up to the cap: one write while the kernel takes
      // what it is given, and at most the cap waiting in the socket.
      while (sink.queued < cap) {
        let any = false;
        const run = new Run();
        let end: typeof ENDED | typeof DROPPED | null = null;
        while (sink.queued + run.bytes < cap) {
          const batch = cursor.peek();
          if (batch === null) break;
          if (batch === ENDED || batch === DROPPED) {
            end = batch;
            break;
          }
          cursor.advance();
          any = true;
          if (bodyless) continue;
          const f = filter.of(batch);
          if (f !== null) run.add(f);
        }
        if (run.bytes > 0) sendPieces(run.take());
        if (end === ENDED) {
          // The state was reset or restored: end the stream, as a restarted agent drops it.
          return finish();
        }
        if (end === DROPPED) {
          // Nomad's Event.Stream ends with the RPC error, which its HTTP wrapper writes as plain text.
          limits.eventSubscribersDropped++;
          res.write(DROPPED_TEXT);
          return finish();
        }
        if (!any || closed || socket?.destroyed) return;
      }
    };

    const sink: Sink = {
      queued: 0,
      lastProgress: 0,
      pump,
      nearDrop: () => taking && cursor.nearDrop(),
      evict: () => {
        limits.eventSubscribersDropped++;
        finish();
        res.destroy();
        release();
      },
    };

    const heartbeat = setInterval(() => {
      heartbeatDue = true;
      pump();
    }, EVENT_STREAM.heartbeatMs);
    heartbeat.unref();
    const cursor = buffer.subscribe(index);
    live.add(sink);
    keepUp();

    function finish(): void {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      cursor.unsubscribe();
      live.delete(sink);
      due.delete(sink);
      open.delete(finish);
      dropFilter(shape, filter);
      if (!res.destroyed && !res.writableEnded) res.end();
    }
    open.add(finish);
    sinks.add(sink);
    res.on('close', () => {
      finish();
      release();
    });

    pump();
  });
}

/** The event stream: job-ish topics need read-job, node topics node read, `*` or others management. */
function eventRule(url: string): Rule | null {
  let topics: Map<string, string[]>;
  const values = goQueryValues(url);
  try {
    topics = parseEventTopics(values.get('topic'));
  } catch {
    return null;
  }
  const namespace = values.get('namespace')?.[0] || 'default';
  const checks: Check[] = [];
  for (const topic of topics.keys()) {
    if (['Deployment', 'Evaluation', 'Allocation', 'Job', 'Service'].includes(topic)) checks.push(nsCheck(['read-job'], namespace));
    else if (topic === 'Node') checks.push({ kind: 'node-read' });
    // NodePool (like every other topic): management only, since pools cannot be filtered per token.
    else checks.push({ kind: 'management' });
  }
  return { check: { kind: 'all', checks } };
}
