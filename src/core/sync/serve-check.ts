import type { FsStat } from '../../ports/fs.js';
import type { LocalFileRecord } from '../../protocol/index.js';

/*
 * Serving a block without hashing it again. The scanner (or the puller, which verified every
 * block it wrote) recorded the file's size, mtime and inode together with its block list. If
 * the open file still shows those three, its bytes are the ones the block list describes: the
 * same trust the scanner itself puts in an unchanged stat. Anything else falls back to
 * hashing the bytes read. The receiver verifies every block in any case; this check only
 * keeps an honest node from sending stale bytes (and being distrusted for it).
 */

/** Start offsets of each block of a block list, computed once per list (lists are never mutated). */
const offsetsOf = new WeakMap<readonly unknown[], Float64Array>();

function blockOffsets(blocks: LocalFileRecord['blocks']): Float64Array {
  let offsets = offsetsOf.get(blocks);
  if (!offsets) {
    offsets = new Float64Array(blocks.length);
    let at = 0;
    for (let i = 0; i < blocks.length; i++) {
      offsets[i] = at;
      at += blocks[i]!.size;
    }
    offsetsOf.set(blocks, offsets);
  }
  return offsets;
}

/**
 * Block lists this short are searched from the start instead: an offsets array per record,
 * kept as long as the record, cost ~200 bytes per small file (20 MB for 100k files served).
 */
const SCAN_MAX_BLOCKS = 16;

/** Whether `record` (a live file) says the block `hash` of `size` bytes starts at `offset`. */
export function recordHasBlockAt(record: LocalFileRecord, hash: Buffer, size: number, offset: number): boolean {
  if (record.deleted || record.type !== 'file') return false;
  if (record.blocks.length <= SCAN_MAX_BLOCKS) {
    let at = 0;
    for (const b of record.blocks) {
      if (at === offset) return b.size === size && b.hash.equals(hash);
      if (at > offset) return false;
      at += b.size;
    }
    return false;
  }
  const offsets = blockOffsets(record.blocks);
  // Binary search: a 1 GiB file has ~8,000 blocks and every one of them is requested.
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = offsets[mid]!;
    if (at === offset) {
      const b = record.blocks[mid]!;
      return b.size === size && b.hash.equals(hash);
    }
    if (at < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/** Whether an open file's stat is still the one recorded at its last scan or apply. */
export function statMatchesRecord(st: FsStat, record: LocalFileRecord): boolean {
  return st.type === 'file' && st.size === record.size && st.mtimeMs === record.local.statMtimeMs && st.inode === record.local.inode;
}
