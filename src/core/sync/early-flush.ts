import type { WriteHandle } from '../../ports/fs.js';

/**
 * Bytes written between two flushes started in the background. A file being assembled is
 * fsynced before it is renamed into place; started along the way, those fsyncs let the disk
 * write while the copy goes on, and the last one finds little left. Measured on the bench
 * machine, 256 MiB written then fsynced: 160 ms; with a flush every 32 MiB: 125 ms.
 */
export const EARLY_FLUSH_BYTES = 32 * 1024 * 1024;

/**
 * Writes to a handle and starts its sync() every `every` bytes, one at a time, without waiting
 * for it. settle() waits for the one in flight and reports its failure: call it before the
 * final sync, and before closing the handle on any path (a sync must not outlive its file
 * descriptor).
 */
export class EarlyFlush {
  private unflushed = 0;
  private flushing: Promise<void> | null = null;
  private failure: { err: unknown } | null = null;

  constructor(
    private readonly handle: WriteHandle,
    private readonly every = EARLY_FLUSH_BYTES,
  ) {}

  async write(data: Buffer, position: number): Promise<void> {
    await this.handle.write(data, position);
    this.unflushed += data.byteLength;
    if (this.unflushed < this.every || this.flushing) return;
    this.unflushed = 0;
    this.flushing = this.handle
      .sync()
      .catch((err: unknown) => {
        this.failure ??= { err };
      })
      .finally(() => {
        this.flushing = null;
      });
  }

  /** Waits for the flush in flight; throws the first flush failure. */
  async settle(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.failure) throw this.failure.err;
  }
}
