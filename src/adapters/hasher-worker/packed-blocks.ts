import type { BlockRef } from '../../protocol/file-record.js';

/**
 * Block lists as they cross between the main thread and a hash worker: the prior blocks of a
 * stream going in, the blocks of a finished stream coming back. Its own module so that the
 * worker loads nothing of the main thread's side.
 */

/** Blocks as two transferable arrays (32-byte hashes, uint32 sizes) rather than one object each. */
export function packBlocks(blocks: readonly BlockRef[]): { hashes: ArrayBuffer; sizes: ArrayBuffer } {
  const hashes = new Uint8Array(blocks.length * 32);
  const sizes = new Uint32Array(blocks.length);
  blocks.forEach((b, i) => {
    hashes.set(b.hash, i * 32);
    sizes[i] = b.size;
  });
  return { hashes: hashes.buffer, sizes: sizes.buffer };
}

/** The blocks of packBlocks; each hash is a view of one shared buffer. */
export function unpackBlocks(hashes: ArrayBuffer, sizes: ArrayBuffer): BlockRef[] {
  const all = Buffer.from(hashes);
  const lengths = new Uint32Array(sizes);
  const blocks: BlockRef[] = new Array<BlockRef>(lengths.length);
  for (let i = 0; i < lengths.length; i++) blocks[i] = { hash: all.subarray(i * 32, i * 32 + 32), size: lengths[i]! };
  return blocks;
}
