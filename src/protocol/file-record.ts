import { MAX_PARENTS } from './log-entry.js';

/**
 * The sync index model shared by the wire, the store and the core: one record per path per
 * device, as Syncthing's BEP does it. A device only ever announces its own records; peers keep
 * the latest record they heard from each device, and the "global" version of a path is the one
 * no other record's version vector dominates.
 */

/** Directories and regular files are synced; symlinks and special files are skipped and reported. */
export type FileType = 'file' | 'dir';

/** One content-defined chunk: its SHA-256 and length. Offsets follow from the order. */
export interface BlockRef {
  /** 32 bytes. */
  hash: Buffer;
  size: number;
}

/** One device's counter in a version vector. */
export interface VersionCounter {
  /** Device id (hex of the Ed25519 public key). */
  device: string;
  value: number;
}

/** Sorted by device id, no zero values, each device once. */
export type VersionVector = VersionCounter[];

export interface FileRecord {
  /** Folder-relative, '/'-separated, NFC, validated by core/sync/names (never '..', never absolute). */
  path: string;
  type: FileType;
  /** Bytes; 0 for directories and deleted entries. */
  size: number;
  /** Modification time the file carries (ms since epoch, integer). */
  mtimeMs: number;
  /** Permission bits (0o777 mask). Receivers apply only the executable bit. */
  mode: number;
  /** A tombstone: the path was deleted at this version. */
  deleted: boolean;
  version: VersionVector;
  /** Device that made this version (the one whose counter was bumped last). */
  modifiedBy: string;
  /** Position in the announcing device's index for this folder; strictly increasing per device. */
  sequence: number;
  /** Content of a file, in order; empty for directories, empty files and tombstones. */
  blocks: BlockRef[];
  /**
   * Ed25519 signature by `modifiedBy` over recordSigningBytes(folderId, record): who made this
   * version can be proven to anyone, whoever relays the record (see record-signature.ts).
   */
  sig: Buffer;
  /**
   * The log point: heads of the space log (entry ids, hex, sorted, at most MAX_LOG_POINT) that
   * `modifiedBy` held when it made this version (its heads at its first version since access to
   * the folder last changed). Signed with the rest: a version counts only if its author could
   * write the folder in the log up to these entries (core/spaces/log-points.ts). Empty only in
   * records stored before log points existed.
   */
  at: readonly string[];
}

/** Entry ids in a log point: as many as an entry may have parents (a new entry follows every head). */
export const MAX_LOG_POINT = MAX_PARENTS;

/** What this device alone knows about its own copy, to notice changes without re-hashing. */
export interface LocalFileInfo {
  inode: number;
  /** mtime as stat() reported it at the last scan or apply (ms, may be fractional). */
  statMtimeMs: number;
}

/** A record of this device's own index: the announced part plus what stat() said. */
export interface LocalFileRecord extends FileRecord {
  local: LocalFileInfo;
}
