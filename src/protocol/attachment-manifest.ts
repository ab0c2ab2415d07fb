import { createHash } from 'node:crypto';
import { DecodeError } from './bounded.js';
import { CHUNK_LIMITS } from './fastcdc.js';
import type { BlockRef } from './file-record.js';

/**
 * An attachment's block list: per block its 32-byte SHA-256 and its size (4 bytes, big
 * endian), in file order. The attachment id is the SHA-256 of these bytes, so a receiver
 * that fetched the list from anyone can check it against the id the signed message carries,
 * and then each block against the list.
 */
const ENTRY = 36;

export function encodeManifest(blocks: readonly BlockRef[]): Buffer {
  const out = Buffer.allocUnsafe(blocks.length * ENTRY);
  blocks.forEach((b, i) => {
    b.hash.copy(out, i * ENTRY);
    out.writeUInt32BE(b.size, i * ENTRY + 32);
  });
  return out;
}

export function attachmentIdOf(manifest: Uint8Array): string {
  return createHash('sha256').update(manifest).digest('hex');
}

/** The blocks of a manifest; throws DecodeError if it is not one. */
export function decodeManifest(manifest: Buffer): BlockRef[] {
  if (manifest.byteLength % ENTRY !== 0) throw new DecodeError('attachment block list has a partial entry');
  const blocks: BlockRef[] = [];
  for (let off = 0; off < manifest.byteLength; off += ENTRY) {
    const size = manifest.readUInt32BE(off + 32);
    if (size === 0 || size > CHUNK_LIMITS.max) throw new DecodeError(`attachment block of ${size} bytes is out of range`);
    blocks.push({ hash: Buffer.from(manifest.subarray(off, off + 32)), size });
  }
  return blocks;
}
