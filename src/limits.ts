// What one server lets clients hold in its memory, and what they hold now. A shared CI instance must
// outlive slow and hostile clients, so every buffer a client can fill has a budget here. The knobs
// are read when they are used: tests lower them on a running server.

const MiB = 1024 * 1024;

export class Limits {
  /** The largest request body accepted. */
  maxBodyBytes = 64 * MiB;
  /** Request bytes buffered at once across all requests still being received. */
  bodyBudgetBytes = 256 * MiB;
  /** A request body that sends nothing for this long is answered and its connection closed. */
  bodyIdleMs = 30_000;

  /** Event-stream bytes written to sockets and not yet taken by the kernel, all subscribers together. */
  eventQueueBudgetBytes = 32 * MiB;
  /** A subscriber is sent more only while it has less than this waiting in its socket. */
  eventSubscriberBytes = 64 * 1024;
  /** A subscriber whose socket has taken none of its queued bytes for this long is stalled: when the budget runs short, stalled subscribers are disconnected. */
  eventStallMs = 1000;

  /** An alloc exec session with no frame either way for this long is closed (1001). */
  execIdleMs = 5 * 60_000;
  /** Exec output waiting in a session's socket beyond this is dropped (a client that does not read loses it). */
  execBufferedBytes = 1 * MiB;

  /** Request body bytes buffered now. */
  bodyBytes = 0;
  /** Request bodies refused for the budget or the size limit, and bodies timed out. */
  bodiesRefused = 0;
  bodiesTimedOut = 0;

  /** Event-stream bytes queued now, the most ever queued at once, and subscribers dropped. */
  eventQueuedBytes = 0;
  eventQueuedPeakBytes = 0;
  eventSubscribersDropped = 0;
}
