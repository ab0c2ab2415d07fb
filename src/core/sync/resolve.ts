import type { FileRecord } from '../../protocol/index.js';
import { compareVersions, mergeVersions } from './version-vector.js';

/**
 * Which version of a path wins, decided the same way on every node from the records alone.
 * A record no other record dominates is a candidate; among concurrent candidates an existing
 * file beats a deletion (a delete never removes a concurrent change), then the newer mtime,
 * then the greater device id of its author.
 */
export function pickWinner(records: readonly FileRecord[]): FileRecord | undefined {
  const candidates = records.filter(
    (r) => !records.some((other) => other !== r && compareVersions(other.version, r.version) === 'newer'),
  );
  let best: FileRecord | undefined;
  for (const r of candidates) if (best === undefined || beats(r, best)) best = r;
  return best;
}

/** True if a wins over b when their versions are concurrent (or equal: then it hardly matters). */
export function beats(a: FileRecord, b: FileRecord): boolean {
  if (a.deleted !== b.deleted) return !a.deleted;
  if (a.mtimeMs !== b.mtimeMs) return a.mtimeMs > b.mtimeMs;
  if (a.modifiedBy !== b.modifiedBy) return a.modifiedBy > b.modifiedBy;
  return a.sequence > b.sequence;
}

/** Same bytes, type and mode (the version may differ). */
export function sameContent(a: FileRecord, b: FileRecord): boolean {
  if (a.type !== b.type || a.deleted !== b.deleted) return false;
  if (a.deleted) return true;
  if (a.type === 'dir') return true;
  if (a.size !== b.size || a.blocks.length !== b.blocks.length) return false;
  if ((a.mode & 0o100) !== (b.mode & 0o100)) return false;
  return a.blocks.every((blk, i) => blk.size === b.blocks[i]!.size && blk.hash.equals(b.blocks[i]!.hash));
}

/** What this device must do about one path. */
export type Action =
  | { kind: 'none' }
  /** Take the winner's version: its bytes, or its deletion. */
  | { kind: 'apply'; winner: FileRecord }
  /** Ours has the winner's bytes: keep the file, take its mtime and mode, record `version`. */
  | { kind: 'merge'; winner: FileRecord; version: FileRecord['version'] }
  /** Ours lost to a concurrent change: keep ours as a conflict copy, then take the winner. */
  | { kind: 'conflict'; winner: FileRecord };

export function decide(local: FileRecord | undefined, winner: FileRecord | undefined): Action {
  if (winner === undefined) return { kind: 'none' };
  if (local === undefined) return winner.deleted ? { kind: 'none' } : { kind: 'apply', winner };
  switch (compareVersions(local.version, winner.version)) {
    case 'equal':
    case 'newer':
      return { kind: 'none' };
    case 'older':
      // Same bytes already here (a rename elsewhere, or a touch): only metadata to take.
      if (sameContent(local, winner)) return { kind: 'merge', winner, version: winner.version };
      return { kind: 'apply', winner };
    case 'concurrent':
      if (sameContent(local, winner)) return { kind: 'merge', winner, version: mergeVersions(local.version, winner.version) };
      // A deleted or directory entry of ours has nothing worth a conflict copy.
      if (local.deleted || local.type === 'dir') return { kind: 'apply', winner };
      return { kind: 'conflict', winner };
  }
}
