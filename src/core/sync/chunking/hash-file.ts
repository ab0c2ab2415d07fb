/**
 * Block lists of files: content-defined chunks (fastcdc.ts), each named by its SHA-256.
 * Files are read through the fs port in fixed slices, so memory stays bounded whatever the
 * file size (two slice buffers, plus 32 bytes of hash per ~150 KiB block in the result).
 */
import { createHash, type Hash } from 'node:crypto';
import type { ReadHandle } from '../../../ports/fs.js';
import type { BlockRef } from '../../../protocol/file-record.js';
import { AgoraError, throwIfAborted } from '../../../errors/index.js';
import { ChunkBoundaryFinder } from './fastcdc.js';

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

/** SHA-256 of one block. */
export function blockHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Blocks of an in-memory buffer; the same result hashFile gives for a file with these bytes. */
export function hashBuffer(data: Uint8Array): BlockRef[] {
  const finder = new ChunkBoundaryFinder();
  const blocks: BlockRef[] = [];
  let from = 0;
  for (let at = finder.nextCut(data, 0, data.length); at >= 0; at = finder.nextCut(data, from, data.length)) {
    blocks.push({ hash: blockHash(data.subarray(from, at)), size: at - from });
    from = at;
  }
  if (finder.end() !== null) blocks.push({ hash: blockHash(data.subarray(from)), size: data.length - from });
  return blocks;
}

/** Chunks and hashes a stream of slices; a block may span several slices. */
class BlockAccumulator {
  readonly blocks: BlockRef[] = [];
  private readonly finder = new ChunkBoundaryFinder();
  private hash: Hash = createHash('sha256');
  private open = 0;

  /** Consumes data[0..length). The bytes are hashed before returning, so `data` may be reused. */
  add(data: Buffer, length: number): void {
    let from = 0;
    for (let at = this.finder.nextCut(data, 0, length); at >= 0; at = this.finder.nextCut(data, from, length)) {
      this.hash.update(data.subarray(from, at));
      this.blocks.push({ hash: this.hash.digest(), size: this.open + at - from });
      this.hash = createHash('sha256');
      this.open = 0;
      from = at;
    }
    if (from < length) {
      this.hash.update(data.subarray(from, length));
      this.open += length - from;
    }
  }

  finish(): BlockRef[] {
    if (this.finder.end() !== null) this.blocks.push({ hash: this.hash.digest(), size: this.open });
    return this.blocks;
  }
}

/**
 * Blocks of the file open as `handle`, which should hold `size` bytes. The next slice is
 * read while the current one is chunked and hashed, so disk and CPU overlap. The signal is
 * checked between slices. Throws FileChangedError if the file ends before `size` bytes or
 * has more. The caller keeps ownership of the handle.
 */
export async function hashFile(handle: ReadHandle, size: number, signal?: AbortSignal): Promise<BlockRef[]> {
  throwIfAborted(signal);
  const sliceLength = Math.min(SLICE_BYTES, size);
  // The second slice buffer is allocated only if a second read is needed before the first
  // slice is consumed, so a small file costs one buffer of its own size.
  const slices: Buffer[] = [Buffer.allocUnsafe(sliceLength)];
  const probe = Buffer.allocUnsafe(1);
  const acc = new BlockAccumulator();
  const readAt = (index: number, position: number): Promise<number> => {
    // One byte past the expected end: anything but EOF means the file grew.
    if (position >= size) return handle.read(probe, 0, 1, position);
    const buffer = (slices[index] ??= Buffer.allocUnsafe(sliceLength));
    return handle.read(buffer, 0, Math.min(sliceLength, size - position), position);
  };

  let position = 0;
  let current = 0;
  let pending = readAt(0, 0);
  for (;;) {
    const n = await pending;
    throwIfAborted(signal);
    if (position === size) {
      if (n > 0) throw new FileChangedError({ expectedSize: size, observedSize: size + n });
      break;
    }
    if (n === 0) throw new FileChangedError({ expectedSize: size, observedSize: position });
    const buffer = slices[current]!;
    position += n;
    current ^= 1;
    pending = readAt(current, position);
    try {
      acc.add(buffer, n);
    } catch (err) {
      // Do not leave the read in flight unobserved: its rejection would be unhandled.
      pending.catch(() => undefined);
      throw err;
    }
  }
  return acc.finish();
}
