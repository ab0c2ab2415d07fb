import type { BlockRef, FileRecord, FileType, LocalFileRecord, VersionVector } from '../../protocol/index.js';
import type { TextIds } from './text-ids.js';

/**
 * How index records map to rows of local_files and remote_files (migration 9). Both tables share
 * the columns of a FileRecord; local_files adds what stat() said. Device and log entry ids are
 * numbers of text_ids: a record names its author, every device of its version vector and its log
 * point, each 64 hex characters, which was about half of what a small file's row held.
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
  author: number;
  /** `id:value,…`, ids of text_ids. */
  version: string;
  /** The log point's entries as ids of text_ids joined by ',' ('' in rows from before log points). */
  at: string;
  sig: Buffer;
  blocks: Buffer;
}

export interface LocalFileRow extends FileRow {
  inode: number;
  stat_mtime_ms: number;
}

/** The FileRecord columns, in the order of RowCodec.values (after folder, device and path). */
export const fileColumns = 'seq, type, size, mtime_ms, mode, deleted, author, version, at, sig, blocks';
/** SET clause of an upsert that replaces every FileRecord column. */
export const fileUpdates = fileColumns
  .split(', ')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');
/** SET clause of an UPDATE taking RowCodec.values as parameters. */
export const fileSets = fileColumns
  .split(', ')
  .map((c) => `${c} = ?`)
  .join(', ');

export type FileValues = [number, FileType, number, number, number, number, number, string, string, Buffer, Buffer];

export interface RowCodec {
  /** The row's FileRecord columns; adds ids to text_ids, so it runs inside the writing transaction. */
  values(r: FileRecord): FileValues;
  record(r: FileRow): FileRecord;
  localRecord(r: LocalFileRow): LocalFileRecord;
}

export function createRowCodec(ids: TextIds): RowCodec {
  const record = (r: FileRow): FileRecord => ({
    path: r.path,
    type: r.type,
    size: r.size,
    mtimeMs: r.mtime_ms,
    mode: r.mode,
    deleted: r.deleted !== 0,
    version: decodeVersion(r.version, ids),
    modifiedBy: ids.textOf(r.author),
    sequence: r.seq,
    blocks: decodeBlocks(r.blocks),
    sig: r.sig,
    at: decodeLogPoint(r.at, ids),
  });
  return {
    values: (r) => [
      r.sequence,
      r.type,
      r.size,
      r.mtimeMs,
      r.mode,
      r.deleted ? 1 : 0,
      ids.idOf(r.modifiedBy),
      encodeVersion(r.version, ids),
      r.at.map((id) => ids.idOf(id)).join(','),
      r.sig,
      encodeBlocks(r.blocks),
    ],
    record,
    localRecord: (r) => {
      const out = record(r) as LocalFileRecord;
      out.local = { inode: r.inode, statMtimeMs: r.stat_mtime_ms };
      return out;
    },
  };
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

/** Ids joined by ','; nearly always one. */
function decodeLogPoint(text: string, ids: TextIds): string[] {
  if (text === '') return [];
  return text.split(',').map((id) => ids.textOf(Number(id)));
}

function encodeVersion(v: VersionVector, ids: TextIds): string {
  return v.map((c) => `${ids.idOf(c.device)}:${c.value}`).join(',');
}

function decodeVersion(text: string, ids: TextIds): VersionVector {
  if (text === '') return [];
  return text.split(',').map((entry) => {
    const colon = entry.indexOf(':');
    return { device: ids.textOf(Number(entry.slice(0, colon))), value: Number(entry.slice(colon + 1)) };
  });
}
