/** A synchronous call slower than this means the disk or the file system is not answering from memory. */
const SLOW_CALL_MS = 5;
/** Calls made through the thread pool after a slow one, before trying synchronously again. */
const ASYNC_CALLS_AFTER_SLOW = 500;

/**
 * Runs cheap file system calls (stat, open, close, utimes, rename, small reads and writes) synchronously
 * while they are fast, and through the thread pool for a while after one was not.
 *
 * On a local disk such a call answers from the kernel's caches in a few microseconds, far
 * less than an async call's hand-off to a thread-pool thread and back (a futex wake, a
 * context switch and an eventfd write each way). Measured here for 20,000 small files pulled
 * as the puller writes them (11 calls each, one fsync): 6 CPU-s through the thread pool,
 * 2.8 CPU-s synchronous, and twice the files per second. A call that blocks (cold metadata,
 * a network file system, writeback throttling) would stall the event loop, so after one the
 * next calls go asynchronously. fsync, reads above a block and writes above 64 KiB always go
 * through the pool (node-handles.ts).
 */
export class SyncWhileFast {
  private asyncLeft = 0;

  run<T>(sync: () => T, async: () => Promise<T>): Promise<T> {
    if (this.asyncLeft > 0) {
      this.asyncLeft--;
      return async();
    }
    const started = performance.now();
    try {
      return Promise.resolve(sync());
    } catch (err) {
      return Promise.reject(err as Error);
    } finally {
      if (performance.now() - started > SLOW_CALL_MS) this.asyncLeft = ASYNC_CALLS_AFTER_SLOW;
    }
  }

  /** Whether calls go through the thread pool now (after a slow one). */
  get deferring(): boolean {
    return this.asyncLeft > 0;
  }
}
