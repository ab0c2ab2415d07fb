import { createHash, type Hash } from 'node:crypto';
import type { BlockRef } from './file-record.js';
import { ChunkBoundaryFinder } from './fastcdc.js';

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

/** Chunks and hashes a stream of slices; a block may span several slices. */
export class BlockAccumulator {
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

