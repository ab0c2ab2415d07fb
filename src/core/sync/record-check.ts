import type { FileRecord } from '../../protocol/index.js';
import { CHUNK_LIMITS, MAX_LOG_POINT } from '../../protocol/index.js';
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
  const at = logPointProblem(r.at);
  if (at) return at;
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

const ENTRY_ID = /^[0-9a-f]{64}$/;

/**
 * A log point names 1 to MAX_LOG_POINT entry ids (64 lower-case hex characters), sorted and
 * each once, so that equal points are equal strings (they key the cache of log states).
 */
export function logPointProblem(at: readonly string[]): string | null {
  if (at.length === 0) return 'no log point';
  if (at.length > MAX_LOG_POINT) return 'log point names too many entries';
  for (let i = 0; i < at.length; i++) {
    if (!ENTRY_ID.test(at[i]!)) return 'malformed log point';
    if (i > 0 && at[i - 1]! >= at[i]!) return 'log point not sorted or repeats an entry';
  }
  return null;
}
