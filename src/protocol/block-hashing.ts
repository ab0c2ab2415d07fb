import { createHash, type Hash } from 'node:crypto';
import type { BlockRef } from './file-record.js';
import { CHUNK_LIMITS, ChunkBoundaryFinder } from './fastcdc.js';

/**
 * Block ids: content-defined chunks (fastcdc.ts), each named by its SHA-256. Pure computation
 * on bytes, shared by the scanner, the puller and the hash workers, so every device cuts and
 * names a file's blocks the same way.
 */

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

/**
 * The blocks of an earlier version of a file, so that a re-hash can confirm them instead of
 * chunking again. Cuts depend only on the bytes since the last cut: where the new bytes from a
 * cut on are a prior block's bytes (same SHA-256), the chunker would cut exactly where that
 * block ends, so SHA-256 alone decides it, and the expensive part of chunking is skipped.
 * An appended or edited file is then mostly hashed, not chunked: the result is the same block
 * list a full pass gives.
 *
 * The prior's last block is never expected: it ended where the file did, not at a cut. Nor is
 * a block of a size no chunker makes, or anything after one.
 */
export class PriorBlocks {
  /** Blocks 0..usable-1 may be expected. */
  readonly usable: number;
  private readonly starts = new Map<number, number>();
  private readonly following = new Map<string, number>();

  constructor(readonly blocks: readonly BlockRef[]) {
    let usable = 0;
    let at = 0;
    for (; usable < blocks.length - 1; usable++) {
      const b = blocks[usable]!;
      if (b.size <= 0 || b.size > CHUNK_LIMITS.max || b.hash.length !== 32) break;
      if (!this.starts.has(at)) this.starts.set(at, usable);
      at += b.size;
    }
    this.usable = usable;
    // A block whose bytes show up again: the prior block after it is likely next.
    for (let i = 0; i + 1 < usable; i++) {
      const key = blocks[i]!.hash.toString('hex');
      if (!this.following.has(key)) this.following.set(key, i + 1);
    }
  }

  /** The usable block that started at `offset`, or -1. */
  startingAt(offset: number): number {
    return this.starts.get(offset) ?? -1;
  }

  /** The usable block that followed a block with this hash, or -1. */
  after(hash: Buffer): number {
    return this.following.get(hash.toString('hex')) ?? -1;
  }
}

/**
 * Chunks and hashes a stream of slices; a block may span several slices. With `prior`, the
 * stream (which starts at file offset `start`, as if a chunk started there) expects prior
 * blocks where it can: from a prior block's start, and after a block whose hash a prior block
 * had. Each expected block is only hashed and compared; a mismatch chunks its bytes afresh.
 */
export class BlockAccumulator {
  readonly blocks: BlockRef[] = [];
  /** Blocks confirmed as prior blocks (hashed, not chunked). */
  confirmed = 0;
  private readonly finder = new ChunkBoundaryFinder();
  private hash: Hash = createHash('sha256');
  private open = 0;
  /** Index in prior of the block expected at the current position, or -1 while chunking. */
  private expect: number;
  /** The expected block's bytes seen so far, when it spans slices (or the stream ends in it). */
  private held: Buffer | null = null;
  private heldLength = 0;

  constructor(private readonly prior?: PriorBlocks, start = 0) {
    this.expect = prior ? prior.startingAt(start) : -1;
  }

  /** Consumes data[0..length). The bytes are hashed before returning, so `data` may be reused. */
  add(data: Buffer, length: number): void {
    let i = 0;
    while (i < length) {
      if (this.expect < 0) {
        i = this.chunk(data, i, length, true);
        continue;
      }
      const block = this.prior!.blocks[this.expect]!;
      const take = Math.min(block.size - this.heldLength, length - i);
      this.hash.update(data.subarray(i, i + take));
      if (this.heldLength + take < block.size) {
        this.hold(data, i, take);
        return;
      }
      const digest = this.hash.digest();
      this.hash = createHash('sha256');
      if (digest.equals(block.hash)) {
        this.blocks.push({ hash: digest, size: block.size });
        this.confirmed++;
        this.heldLength = 0;
        this.expect = this.expect + 1 < this.prior!.usable ? this.expect + 1 : -1;
        i += take;
        continue;
      }
      // Not the prior block: chunk its bytes (those held, then these) as new ones.
      this.expect = -1;
      const held = this.heldLength;
      this.heldLength = 0;
      if (held > 0) this.chunk(this.held!, 0, held, false);
    }
  }

  finish(): BlockRef[] {
    if (this.heldLength > 0) {
      // The stream ended inside an expected block: those bytes are the end of a new chunk.
      const held = this.heldLength;
      this.heldLength = 0;
      this.expect = -1;
      this.hash = createHash('sha256');
      this.chunk(this.held!, 0, held, false);
    }
    if (this.finder.end() !== null) this.blocks.push({ hash: this.hash.digest(), size: this.open });
    return this.blocks;
  }

  /**
   * Chunks data[from..end) and returns where it stopped: at `end`, or (with `resync`) just after
   * a cut whose block a prior block matched, with the next prior block expected.
   */
  private chunk(data: Buffer, from: number, end: number, resync: boolean): number {
    for (let at = this.finder.nextCut(data, from, end); at >= 0; at = this.finder.nextCut(data, from, end)) {
      this.hash.update(data.subarray(from, at));
      const hash = this.hash.digest();
      this.blocks.push({ hash, size: this.open + at - from });
      this.hash = createHash('sha256');
      this.open = 0;
      from = at;
      if (resync && this.prior) {
        this.expect = this.prior.after(hash);
        if (this.expect >= 0) return at;
      }
    }
    if (from < end) {
      this.hash.update(data.subarray(from, end));
      this.open += end - from;
    }
    return end;
  }

  /** Keeps data[from..from+length) as the next bytes of the expected block. */
  private hold(data: Buffer, from: number, length: number): void {
    this.held ??= Buffer.allocUnsafe(CHUNK_LIMITS.max);
    data.copy(this.held, this.heldLength, from, from + length);
    this.heldLength += length;
  }
}
