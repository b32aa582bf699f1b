// The write-ahead log's sizes and times (persister.ts, loop-append.ts).

export interface PersisterOptions {
  /** Log bytes since the last checkpoint that start the next one (at least; default 16 MiB, else four times the last checkpoint). */
  checkpointBytes?: number;
  /** Size of the log files made ahead, filled with zeros (0: none; default 8 MiB). */
  segmentBytes?: number;
}

/**
 * Log bytes per byte of the last checkpoint that start the next one: a checkpoint copies the whole
 * state, so its work stays at most a quarter of the log's (a start replays up to four times the
 * state). Copying costs the event loop about twice what logging the same bytes does (row by row,
 * with its references), so at 2 the checkpoints took as much of the loop as the log itself.
 */
export const CHECKPOINT_LOG_RATIO = 4;

/** How long the log must be idle before a group nobody waits for (the simulator's own writes) is written anyway. */
export const BACKGROUND_MS = 5;

/**
 * An append on the event loop (loop-append.ts) that took longer than this turns them off for a while
 * (LOOP_BACKOFF_MS, doubling while they stay slow): a stalled disk then holds answers, not the loop
 * (the pause figure allows 20 ms). Below it, the measured times of the two ways choose: a busy disk
 * (0.65–2.8 ms a write) is no reason to leave the loop when the threadpool is no faster.
 */
export const LOOP_APPEND_MAX_MS = 5;
export const LOOP_BACKOFF_MS = [1_000, 60_000] as const;
/**
 * The two ways of appending for an answer on an idle log are compared by the median of the last
 * APPEND_TIMES_KEPT times of each; every APPEND_PROBE_EVERY-th such append goes the other way, so
 * that a way that was slow is seen again once it is fast (the disk, or the machine, quietens).
 */
export const APPEND_TIMES_KEPT = 5;
export const APPEND_PROBE_EVERY = 16;
/** An append on the loop holds at most this much (a bigger group is not one register's). */
export const LOOP_APPEND_MAX_BYTES = 256 * 1024;
