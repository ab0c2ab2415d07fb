/**
 * Block lists of files: content-defined chunks (fastcdc.ts), each named by its SHA-256.
 * Files are read through the fs port in fixed slices, so memory stays bounded whatever the
 * file size (two slice buffers, plus 32 bytes of hash per ~150 KiB block in the result).
 * Where the handle has a descriptor and the hasher a thread of its own, that thread reads the
 * slices itself (BlockHasher.hashOpenFile): a node serving peers keeps its main thread busy,
 * and every slice waiting for it there made hashing 1 GiB take ~6 s instead of ~3 (bench big).
 */
import type { ReadHandle } from '../../../ports/fs.js';
import type { BlockHasher, HashStream } from '../../../ports/hasher.js';
import { BlockAccumulator, PriorBlocks, type BlockRef } from '../../../protocol/index.js';
import { AbortedError, AgoraError, throwIfAborted } from '../../../errors/index.js';

/**
 * Bytes per read. Large enough that the per-read overhead (a thread-pool round trip, and one
 * to a hash worker) is small next to the ~1.6 ms of chunking and hashing a slice; small enough
 * that two of them per file being hashed cost little memory, and that a slice is still in the
 * CPU's cache when the hash worker goes over it. Measured on the bench's big dataset, where A
 * hashes while it serves (2 vCPU, 4 runs each): 4 MiB slices 5.83 s (median), 1 MiB 4.82 s,
 * 512 KiB 4.82 s; A's peak RSS 216, 193 and 187 MB.
 */
export const SLICE_BYTES = 1024 * 1024;

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
  stream(from): HashStream {
    const acc = new BlockAccumulator(from && new PriorBlocks(from.prior), from?.start);
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

/** Files at least this big may be cut into segments hashed in parallel (hashFile's `segments`). */
export const SPLIT_MIN_BYTES = 64 * 1024 * 1024;
/**
 * How far past its end a segment is chunked, to find a cut that the next segment (which starts
 * chunking afresh at its start) makes too. Content-defined cuts agree again within a chunk or
 * two of a point where chunking restarts, so this is rarely more than ~1 MiB.
 */
export const SPLIT_OVERLAP_BYTES = 4 * 1024 * 1024;

/**
 * Blocks of the file open as `handle`, which should hold `size` bytes. The next slice is
 * read while the current one is chunked and hashed (by `hasher`), so disk and CPU overlap.
 * The signal is checked between slices. Throws FileChangedError if the file ends before
 * `size` bytes or has more. The caller keeps ownership of the handle.
 *
 * With `segments` > 1 (and a file of at least SPLIT_MIN_BYTES) the file is cut into that many
 * ranges, chunked and hashed at once on the hasher's threads, and the block lists are joined
 * where they agree (joinSegments): the result is the same as one pass over the file.
 *
 * `prior`, the blocks of the file's earlier version, lets the hasher confirm unchanged blocks
 * by their hashes instead of chunking them again (protocol PriorBlocks): same result, faster.
 */
export async function hashFile(
  handle: ReadHandle,
  size: number,
  signal?: AbortSignal,
  hasher: BlockHasher = inThreadHasher,
  segments = 1,
  prior?: readonly BlockRef[],
): Promise<BlockRef[]> {
  const count = size >= SPLIT_MIN_BYTES ? Math.max(1, Math.floor(segments)) : 1;
  // One block or none: nothing a re-hash could confirm (a last block ends at the file's end, not a cut).
  const known = prior && prior.length > 1 ? prior : undefined;
  const range = (start: number, end: number, rangeSignal: AbortSignal | undefined) => hashRange(handle, start, end, size, rangeSignal, hasher, known);
  if (count === 1) return range(0, size, signal);
  const starts = Array.from({ length: count }, (_, k) => Math.floor((k * size) / count));
  const controller = new AbortController();
  const stop = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', stop, { once: true });
  try {
    // One failing segment stops the others; all are waited for before the first failure is
    // thrown, as a hash worker may still be reading the caller's handle until it answers.
    const failure: { failed: boolean; err?: unknown } = { failed: false };
    const settled = await Promise.allSettled(
      starts.map((start, k) => {
        const end = k === count - 1 ? size : Math.min(size, starts[k + 1]! + SPLIT_OVERLAP_BYTES);
        return range(start, end, controller.signal).catch((err: unknown) => {
          if (!failure.failed) Object.assign(failure, { failed: true, err });
          controller.abort(err);
          throw err;
        });
      }),
    );
    if (failure.failed) throw failure.err;
    const ranges = settled.map((r) => (r as PromiseFulfilledResult<BlockRef[]>).value);
    const joined = joinSegments(starts, ranges);
    if (joined.complete) return joined.blocks;
    // No agreement within the overlap (data with no content-defined cuts, such as long runs of
    // one byte): the rest is chunked in one pass from the last cut known to be right.
    const rest = await range(joined.resumeAt, size, signal);
    return [...joined.blocks, ...rest];
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

/**
 * Joins block lists of ranges chunked independently: range k starts at starts[k] (a chunk
 * starts there) and runs past starts[k + 1]. Where a cut of the joined list so far is also a
 * cut of range k + 1, both chunkings go on identically (cuts depend only on the bytes since
 * the last cut), so range k + 1 takes over from there. If no such cut exists, `complete` is
 * false and `blocks` ends at `resumeAt`, the last cut known to be right.
 */
export function joinSegments(starts: readonly number[], ranges: readonly BlockRef[][]): { complete: true; blocks: BlockRef[] } | { complete: false; blocks: BlockRef[]; resumeAt: number } {
  let blocks = [...ranges[0]!];
  let blockStarts = startsOf(starts[0]!, blocks);
  for (let k = 1; k < ranges.length; k++) {
    const next = ranges[k]!;
    const nextStarts = startsOf(starts[k]!, next);
    const ours = new Map<number, number>();
    blockStarts.forEach((at, i) => ours.set(at, i));
    let joined = false;
    for (let j = 0; j < next.length; j++) {
      const i = ours.get(nextStarts[j]!);
      if (i === undefined) continue;
      blocks = [...blocks.slice(0, i), ...next.slice(j)];
      blockStarts = [...blockStarts.slice(0, i), ...nextStarts.slice(j)];
      joined = true;
      break;
    }
    if (!joined) {
      // The last block may have been cut short by the end of its range: its start is right.
      const last = blocks.length - 1;
      return { complete: false, blocks: blocks.slice(0, last), resumeAt: blockStarts[last]! };
    }
  }
  return { complete: true, blocks };
}

function startsOf(from: number, blocks: readonly BlockRef[]): number[] {
  const out: number[] = new Array<number>(blocks.length);
  let at = from;
  for (let i = 0; i < blocks.length; i++) {
    out[i] = at;
    at += blocks[i]!.size;
  }
  return out;
}

/**
 * Blocks of handle's bytes [start, end), chunked as if a chunk started at `start`. At
 * end === size the file must end there (one byte past it is probed); a range that ends
 * earlier just stops, its last block possibly cut short by the end of the range.
 */
async function hashRange(
  handle: ReadHandle,
  start: number,
  end: number,
  size: number,
  signal: AbortSignal | undefined,
  hasher: BlockHasher,
  prior: readonly BlockRef[] | undefined,
): Promise<BlockRef[]> {
  throwIfAborted(signal);
  const descriptor = handle.descriptor;
  if (descriptor !== undefined && hasher.hashOpenFile) {
    const result = await hasher.hashOpenFile({ descriptor, start, end, size, sliceBytes: SLICE_BYTES, prior }, signal);
    if ('aborted' in result) throw new AbortedError();
    if ('observedSize' in result) throw new FileChangedError({ expectedSize: size, observedSize: result.observedSize });
    return result.blocks;
  }
  const sliceLength = Math.min(SLICE_BYTES, end - start);
  // The second slice buffer is allocated only if a second read is needed before the first
  // slice is consumed, so a small file costs one buffer of its own size. A slice being
  // hashed is not read into again until the hasher hands it back.
  const slices: (Buffer | undefined)[] = [Buffer.allocUnsafe(sliceLength)];
  const probe = Buffer.allocUnsafe(1);
  const stream = hasher.stream(prior && { start, prior });
  const readAt = (index: number, position: number): Promise<number> => {
    // One byte past the expected end: anything but EOF means the file grew.
    if (position >= end) return end === size ? handle.read(probe, 0, 1, position) : Promise.resolve(0);
    const buffer = (slices[index] ??= Buffer.allocUnsafe(sliceLength));
    return handle.read(buffer, 0, Math.min(sliceLength, end - position), position);
  };

  let pending: Promise<number> | null = null;
  let pushing: Promise<Buffer> | null = null;
  try {
    let position = start;
    let current = 0;
    pending = readAt(0, start);
    for (;;) {
      const n = await pending;
      pending = null;
      throwIfAborted(signal);
      if (position === end) {
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
