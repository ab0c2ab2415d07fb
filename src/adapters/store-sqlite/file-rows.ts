import type { BlockRef, FileRecord, FileType, LocalFileRecord, VersionVector } from '../../protocol/index.js';

/**
 * How index records map to rows of local_files and remote_files (migrations 2, 4 and 7). Both tables
 * share the columns of a FileRecord; local_files adds what stat() said.
 */

/** A block as stored in a row's `blocks` column: 32-byte hash, then size as a big-endian uint32. */
const HASH_BYTES = 32;
const BLOCK_BYTES = HASH_BYTES + 4;

export interface FileRow {
  path: string;
  seq: number;
  type: FileType;
  size: number;
  mtime_ms: number;
  mode: number;
  deleted: number;
  modified_by: string;
  version: string;
  blocks: Buffer;
  sig: Buffer;
  /** The log point's entry ids joined by ',' ('' in rows from before log points). */
  at: string;
}

export interface LocalFileRow extends FileRow {
  inode: number;
  stat_mtime_ms: number;
}

/** The FileRecord columns, in the order of fileValues (after folder, device and path). */
export const fileColumns = 'seq, type, size, mtime_ms, mode, deleted, modified_by, version, blocks, sig, at';
/** SET clause of an upsert that replaces every FileRecord column. */
export const fileUpdates = fileColumns
  .split(', ')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');
/** SET clause of an UPDATE taking fileValues as parameters. */
export const fileSets = fileColumns
  .split(', ')
  .map((c) => `${c} = ?`)
  .join(', ');

export type FileValues = [number, FileType, number, number, number, number, string, string, Buffer, Buffer, string];

export function fileValues(r: FileRecord): FileValues {
  return [r.sequence, r.type, r.size, r.mtimeMs, r.mode, r.deleted ? 1 : 0, r.modifiedBy, encodeVersion(r.version), encodeBlocks(r.blocks), r.sig, r.at.join(',')];
}

export function fromFileRow(r: FileRow): FileRecord {
  return {
    path: r.path,
    type: r.type,
    size: r.size,
    mtimeMs: r.mtime_ms,
    mode: r.mode,
    deleted: r.deleted !== 0,
    version: decodeVersion(r.version),
    modifiedBy: r.modified_by,
    sequence: r.seq,
    blocks: decodeBlocks(r.blocks),
    sig: r.sig,
    at: decodeLogPoint(r.at),
  };
}

export function fromLocalRow(r: LocalFileRow): LocalFileRecord {
  const record = fromFileRow(r) as LocalFileRecord;
  record.local = { inode: r.inode, statMtimeMs: r.stat_mtime_ms };
  return record;
}

/**
 * Compact and fixed-width, so a file with thousands of blocks costs 36 bytes per block and decodes
 * without parsing. Refuses what the format cannot hold rather than storing something else.
 */
export function encodeBlocks(blocks: readonly BlockRef[]): Buffer {
  const out = Buffer.allocUnsafe(blocks.length * BLOCK_BYTES);
  blocks.forEach((b, i) => {
    checkBlock(b);
    b.hash.copy(out, i * BLOCK_BYTES);
    out.writeUInt32BE(b.size, i * BLOCK_BYTES + HASH_BYTES);
  });
  return out;
}

export function decodeBlocks(buf: Buffer): BlockRef[] {
  const out: BlockRef[] = [];
  for (let at = 0; at + BLOCK_BYTES <= buf.length; at += BLOCK_BYTES) {
    // The row's buffer is fresh per read, so views into it are not shared with anyone.
    out.push({ hash: buf.subarray(at, at + HASH_BYTES), size: buf.readUInt32BE(at + HASH_BYTES) });
  }
  return out;
}

/** Same rule as the memory adapter, so both refuse the same records. */
export function checkBlock(b: BlockRef): void {
  if (b.hash.length !== HASH_BYTES) throw new RangeError(`block hash must be ${HASH_BYTES} bytes, got ${b.hash.length}`);
  if (!Number.isInteger(b.size) || b.size < 0 || b.size > 0xffffffff) throw new RangeError(`block size must be a uint32, got ${b.size}`);
}

/** Ids joined by ','; a single id (nearly always) is kept as it came. */
function decodeLogPoint(text: string): string[] {
  if (text === '') return [];
  return text.includes(',') ? text.split(',') : [text];
}

/** [[device, value], ...]: half the size of the object form, still readable in the sqlite shell. */
function encodeVersion(v: VersionVector): string {
  return JSON.stringify(v.map((c) => [c.device, c.value]));
}

function decodeVersion(text: string): VersionVector {
  return (JSON.parse(text) as [string, number][]).map(([device, value]) => ({ device, value }));
}
