import type { FileRecord } from '../../protocol/index.js';
import { CHUNK_LIMITS } from '../../protocol/index.js';
import { validateRelativePath } from './names/index.js';
import { isWellFormedVersion } from './version-vector.js';

/**
 * Why a record received from a peer cannot be used, or null if it is fine. A peer's record
 * decides what gets written to disk here, so nothing in it is trusted: the path must stay
 * inside the folder, sizes must add up, the version must be well formed.
 */
export function recordProblem(r: FileRecord): string | null {
  try {
    if (validateRelativePath(r.path) !== r.path) return 'path is not in normal form (NFC)';
  } catch (err) {
    return (err as Error).message;
  }
  if (!isWellFormedVersion(r.version) || r.version.length === 0) return 'malformed version vector';
  if (r.sig.byteLength !== 64) return 'not signed';
  if (!Number.isSafeInteger(r.size) || r.size < 0) return 'bad size';
  if (r.deleted || r.type === 'dir') {
    if (r.blocks.length > 0) return 'a directory or deletion carries no blocks';
    return null;
  }
  let total = 0;
  for (const b of r.blocks) {
    if (b.size <= 0 || b.size > CHUNK_LIMITS.max) return 'block size out of range';
    total += b.size;
  }
  return total === r.size ? null : 'block sizes do not add up to the file size';
}
