import type { Clock } from '../../ports/clock.js';
import type { FileHistoryItem, Store } from '../../ports/store.js';
import { recordSigningBytes, type FileRecord, type VersionVector } from '../../protocol/index.js';
import { verify } from '../crypto.js';
import type { Authority } from './global-view.js';

/** Rows kept per folder: the oldest go once a folder has more (checked every PRUNE_EVERY new rows). */
export const HISTORY_KEEP = 100_000;
const PRUNE_EVERY = 1_000;

/** The version vector as the history stores it: `device:value` pairs, full ids, in vector (sorted) order. */
export function versionText(v: VersionVector): string {
  return v.map((c) => `${c.device}:${c.value}`).join(',');
}

/**
 * Writes one folder's file history (FileHistoryRepo): each version of a path that this
 * device takes into its picture of the folder, once, with who made it and whether its
 * signature held. What counts: the records FolderSync commits (recordCommitted: its own
 * changes only while it may write, and the versions it applied) and those PeerSync accepts
 * (recordReceived: only if their author may write, and could when it made them). Directories
 * are not recorded. Call it inside the transaction that stores the records, so a batch costs
 * one write.
 */
export class FileHistory {
  private sincePrune = 0;

  constructor(
    private readonly deps: { store: Store; clock: Clock; folderId: string; keep?: number },
  ) {}

  /**
   * Records a peer sent: the versions made by a device that may write, and could when it made
   * them; a reader's are no change of the folder. One whose log point this device has not
   * reached is left out here (it is recorded if it is applied later, in recordCommitted).
   */
  recordReceived(records: readonly FileRecord[], checked: ReadonlySet<FileRecord>, authority: Authority): void {
    this.record(
      records.filter((r) => authority.mayWrite(r.modifiedBy) && authority.wroteAt(r) === true),
      checked,
    );
  }

  /**
   * Records this device is committing: versions applied from peers (they won among the
   * writers') and its own changes (`made`, just signed), unless it may only read (those stay
   * local and are no change of the folder).
   */
  recordCommitted(records: readonly FileRecord[], made: ReadonlySet<FileRecord>, selfWrites: boolean): void {
    this.record(selfWrites ? records : records.filter((r) => !made.has(r)), made);
  }

  /**
   * Records the versions not recorded yet. `checked`: records whose signature the caller has
   * already verified (or just made); the others are verified here, once, and only if new.
   */
  record(records: readonly FileRecord[], checked: ReadonlySet<FileRecord> = NONE): void {
    const { store, folderId } = this.deps;
    const history = store.fileHistory;
    const recordedAt = this.deps.clock.now();
    const items: FileHistoryItem[] = [];
    const batch = new Set<string>();
    for (const r of records) {
      if (r.type === 'dir') continue;
      const version = versionText(r.version);
      const key = `${r.path}\0${version}`;
      if (batch.has(key) || history.has(folderId, r.path, version)) continue;
      batch.add(key);
      const signed = checked.has(r) || verify(recordSigningBytes(folderId, r), r.sig, r.modifiedBy);
      items.push({ path: r.path, type: r.type, deleted: r.deleted, size: r.deleted ? 0 : r.size, mtimeMs: r.mtimeMs, modifiedBy: r.modifiedBy, version, signed, recordedAt });
    }
    if (items.length === 0) return;
    this.sincePrune += history.append(folderId, items);
    if (this.sincePrune >= PRUNE_EVERY) {
      this.sincePrune = 0;
      history.prune(folderId, this.deps.keep ?? HISTORY_KEEP);
    }
  }
}

const NONE: ReadonlySet<FileRecord> = new Set();
