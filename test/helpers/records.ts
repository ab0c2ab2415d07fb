import type { FsStat } from '../../src/ports/fs.js';
import { hashBuffer, type FileRecord, type LocalFileRecord } from '../../src/protocol/index.js';

/**
 * Index records for puller tests: what this device recorded of a file it scanned, and a peer's
 * version to pull. Signatures are blank: the puller never checks them (peer-sync did before).
 */

/** This device's record of `path` holding `data`, scanned with stat `st` (so that it is as recorded). */
export function scannedRecord(path: string, data: Buffer, st: FsStat): LocalFileRecord {
  return {
    path, type: 'file', size: data.length, mtimeMs: Math.floor(st.mtimeMs), mode: 0o644, deleted: false,
    version: [{ device: 'b'.repeat(64), value: 1 }], modifiedBy: 'b'.repeat(64), sequence: 1, blocks: hashBuffer(data), sig: Buffer.alloc(64), at: [],
    local: { inode: st.inode, statMtimeMs: st.mtimeMs },
  };
}

/** A peer's version `value` of `path` holding `data`. */
export function peerVersion(path: string, data: Buffer, value = 1): FileRecord {
  return {
    path, type: 'file', size: data.length, mtimeMs: 1_600_000_000_000, mode: 0o644, deleted: false,
    version: [{ device: 'a'.repeat(64), value }], modifiedBy: 'a'.repeat(64), sequence: value, blocks: hashBuffer(data), sig: Buffer.alloc(64), at: ['e'.repeat(64)],
  };
}
