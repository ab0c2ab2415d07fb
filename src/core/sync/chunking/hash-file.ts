/**
 * Block lists of files: content-defined chunks (fastcdc.ts), each named by its SHA-256.
 * Files are read through the fs port in fixed slices, so memory stays bounded whatever the
 * file size (two slice buffers, plus 32 bytes of hash per ~150 KiB block in the result).
 */
import type { ReadHandle } from '../../../ports/fs.js';
import type { BlockHasher, HashStream } from '../../../ports/hasher.js';
import { BlockAccumulator, type BlockRef } from '../../../protocol/index.js';
import { AgoraError, throwIfAborted } from '../../../errors/index.js';

/**
 * Bytes per read. Large enough that the per-read overhead (a thread-pool round trip for a
 * real file) is noise next to ~3 ms of chunking and hashing; small enough that two of them
 * per file being hashed cost little memory.
 */
export const SLICE_BYTES = 4 * 1024 * 1024;

/** The file's size differed from the expected one while it was read: rescan it later. */
export class FileChangedError extends AgoraError {
  constructor(details: { expectedSize: number; observedSize: number }) {
    super('CONFLICT', 'The file changed while it was being read; it will be scanned again later.', { details });
    this.name = 'FileChangedError';
  }
}

/** Hashes on the calling thread, synchronously inside push(). */
export const inThreadHasher: BlockHasher = {
  parallelism: 1,
  stream(): HashStream {
    const acc = new BlockAccumulator();
    return {
      push: (data, length) => {
        acc.add(data, length);
        return Promise.resolve(data);
      },
      finish: () => Promise.resolve(acc.finish()),
      abort: () => undefined,
    };
  },
  close: () => Promise.resolve(),
};

/**
 * Blocks of the file open as `handle`, which should hold `size` bytes. The next slice is
 * read while the current one is chunked and hashed (by `hasher`), so disk and CPU overlap.
 * The signal is checked between slices. Throws FileChangedError if the file ends before
 * `size` bytes or has more. The caller keeps ownership of the handle.
 */
export async function hashFile(handle: ReadHandle, size: number, signal?: AbortSignal, hasher: BlockHasher = inThreadHasher): Promise<BlockRef[]> {
  throwIfAborted(signal);
  const sliceLength = Math.min(SLICE_BYTES, size);
  // The second slice buffer is allocated only if a second read is needed before the first
  // slice is consumed, so a small file costs one buffer of its own size. A slice being
  // hashed is not read into again until the hasher hands it back.
  const slices: (Buffer | undefined)[] = [Buffer.allocUnsafe(sliceLength)];
  const probe = Buffer.allocUnsafe(1);
  const stream = hasher.stream();
  const readAt = (index: number, position: number): Promise<number> => {
    // One byte past the expected end: anything but EOF means the file grew.
    if (position >= size) return handle.read(probe, 0, 1, position);
    const buffer = (slices[index] ??= Buffer.allocUnsafe(sliceLength));
    return handle.read(buffer, 0, Math.min(sliceLength, size - position), position);
  };

  let pending: Promise<number> | null = null;
  let pushing: Promise<Buffer> | null = null;
  try {
    let position = 0;
    let current = 0;
    pending = readAt(0, 0);
    for (;;) {
      const n = await pending;
      pending = null;
      throwIfAborted(signal);
      if (position === size) {
        if (n > 0) throw new FileChangedError({ expectedSize: size, observedSize: size + n });
        break;
      }
      if (n === 0) throw new FileChangedError({ expectedSize: size, observedSize: position });
      const buffer = slices[current]!;
      position += n;
      if (pushing) slices[current ^ 1] = await pushing; // the other slice is free again
      current ^= 1;
      pending = readAt(current, position);
      pushing = stream.push(buffer, n);
      slices[current ^ 1] = undefined; // in the hasher's hands until push resolves
    }
    if (pushing) await pushing;
    pushing = null;
    return await stream.finish();
  } catch (err) {
    stream.abort();
    // Do not leave a read or a push in flight unobserved: its rejection would be unhandled.
    pending?.catch(() => undefined);
    pushing?.catch(() => undefined);
    throw err;
  }
}
