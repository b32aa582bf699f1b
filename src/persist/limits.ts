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
 * (LOOP_BACKOFF_MS, doubling while they stay slow): a slow disk then holds answers, not the loop.
 */
export const LOOP_APPEND_MAX_MS = 2;
export const LOOP_BACKOFF_MS = [1_000, 60_000] as const;
/** An append on the loop holds at most this much (a bigger group is not one register's). */
export const LOOP_APPEND_MAX_BYTES = 256 * 1024;
